"""Bad input: every constructor and public function names the offending argument in a ValueError.

Hypothesis: >= 200 generated parameter sets per constructor family (VP, cosine VP, sub-VP, VE,
GaussianMixture), each either rejected with a ValueError whose message starts with the argument's
name, or giving finite marginals, scores and prior log-densities.
"""
from __future__ import annotations

import math
import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoresde import VESDE, VPSDE, GaussianMixture, convert, get_problem, subVPSDE
from scoresde.grids import GRIDS

NAN, INF = math.nan, math.inf


def _raises_naming(name, fn, *args, **kwargs):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
        fn(*args, **kwargs)


# ---------------------------------------------------------------------------- explicit table
BAD_CONSTRUCTORS = [
    (VPSDE, dict(beta_min=-0.1), "beta_min"),
    (VPSDE, dict(beta_min=NAN), "beta_min"),
    (VPSDE, dict(beta_min="0.1"), "beta_min"),
    (VPSDE, dict(beta_max=0.1), "beta_max"),  # beta_max <= beta_min
    (VPSDE, dict(beta_min=5.0, beta_max=1.0), "beta_max"),
    (VPSDE, dict(beta_max=INF), "beta_max"),
    (VPSDE, dict(T=0.0), "T"),
    (VPSDE, dict(T=-1.0), "T"),
    (VPSDE, dict(T=INF), "T"),
    (VPSDE, dict(eps=0.0), "eps"),
    (VPSDE, dict(eps=1.0), "eps"),  # eps = T
    (VPSDE, dict(eps=2.0), "eps"),
    (VPSDE, dict(eps=-1e-3), "eps"),
    (VPSDE, dict(eps=NAN), "eps"),
    (VPSDE, dict(N=0), "N"),
    (VPSDE, dict(N=-3), "N"),
    (VPSDE, dict(N=2.5), "N"),
    (VPSDE, dict(N=True), "N"),
    (subVPSDE, dict(beta_min=-1.0), "beta_min"),
    (subVPSDE, dict(beta_max=0.0), "beta_max"),
    (subVPSDE, dict(eps=5.0), "eps"),
    (VPSDE.cosine, dict(s=0.0), "s"),
    (VPSDE.cosine, dict(s=-0.01), "s"),
    (VPSDE.cosine, dict(s=INF), "s"),
    (VPSDE.cosine, dict(T=1.0), "T"),
    (VPSDE.cosine, dict(T=0.0), "T"),
    (VPSDE.cosine, dict(N=0), "N"),
    (VESDE, dict(sigma_min=0.0), "sigma_min"),
    (VESDE, dict(sigma_min=-0.01), "sigma_min"),
    (VESDE, dict(sigma_min=NAN), "sigma_min"),
    (VESDE, dict(sigma_min=1e-200), "sigma_min"),
    (VESDE, dict(sigma_max=0.01), "sigma_max"),  # sigma_max <= sigma_min
    (VESDE, dict(sigma_max=0.001), "sigma_max"),
    (VESDE, dict(sigma_max=INF), "sigma_max"),
    (VESDE, dict(sigma_max=1e200), "sigma_max"),
    (VESDE, dict(marginal="score_sde"), "marginal"),
    (VESDE, dict(T=-1.0), "T"),
    (VESDE, dict(eps=1.5), "eps"),
    (GaussianMixture, dict(weights=[0.3, 0.3], means=[[0.0], [1.0]], stds=[1.0, 1.0]), "weights"),
    (GaussianMixture, dict(weights=[INF, 1.0], means=[[0.0], [1.0]], stds=[1.0, 1.0]), "weights"),
    (GaussianMixture, dict(weights=[0.5, 0.5], means=[[NAN], [1.0]], stds=[1.0, 1.0]), "means"),
    (GaussianMixture, dict(weights=[0.5, 0.5], means=[[0.0], [1.0]], stds=[1.0, INF]), "stds"),
    (GaussianMixture, dict(weights=[0.5, 0.5], means=[[0.0], [1.0]], stds=[0.0, 1.0]), "stds"),
]


@pytest.mark.parametrize("ctor, kwargs, name", BAD_CONSTRUCTORS, ids=[f"{n}={list(k.values())[0]!r}" for _, k, n in BAD_CONSTRUCTORS])
def test_constructors_name_the_bad_argument(ctor, kwargs, name):
    _raises_naming(name, ctor, **kwargs)


@pytest.mark.parametrize("bad_t", [-0.1, 1.5, NAN, INF, -INF])
def test_time_outside_range_is_rejected_everywhere(sde, bad_t):
    t = bad_t * sde.T if math.isfinite(bad_t) else bad_t
    x = torch.zeros(3, 2, dtype=torch.float64)
    t_vec = torch.tensor([0.5 * sde.T, t, 0.1 * sde.T], dtype=torch.float64)  # one bad entry suffices
    mix = get_problem("gmm2d").mixture
    calls = [
        lambda tt: sde.marginal_prob(x, tt),
        lambda tt: sde.sde(x, tt),
        lambda tt: sde.mean_coeff(tt),
        lambda tt: sde.marginal_std(tt),
        lambda tt: sde.noise_level(tt),
        lambda tt: sde.log_snr(tt),
        lambda tt: sde.diffusion(tt),
        lambda tt: sde.reverse(lambda a, b: a).sde(x, tt),
        lambda tt: mix.score(x, sde, tt),
        lambda tt: mix.log_prob(x, sde, tt),
        lambda tt: convert(x, "eps", "score", x, tt, sde),
    ]
    for call in calls:
        for tt in (t, t_vec):
            _raises_naming("t", call, tt)
    _raises_naming("t", mix.sample_t, sde, t, 3)
    _raises_naming("t_to", sde.transition, 0.0, t)
    _raises_naming("t_from", sde.transition, t, sde.T)


def test_other_public_arguments(sde):
    _raises_naming("shape", sde.prior_sampling, (0, 2))
    _raises_naming("shape", sde.prior_sampling, ())
    _raises_naming("z", sde.prior_logp, torch.tensor(1.0))
    _raises_naming("N", sde.chain, 0)
    _raises_naming("n", get_problem("gmm2d").mixture.sample, 0)
    for make in GRIDS.values():
        _raises_naming("steps", make, sde, 0)


# ---------------------------------------------------------------------------- hypothesis
def _reals():
    """Any number: extremes, NaN and inf included, typical and log-uniform magnitudes, integers."""
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-100.0, max_value=100.0),
        st.builds(lambda sign, e: sign * 10.0**e, st.sampled_from([1.0, -1.0]), st.floats(-200.0, 200.0)),
        st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e-3, NAN, INF, -INF]),
        st.integers(-10, 100),
    )


def _log_uniform(lo: float, hi: float):
    return st.builds(lambda e: 10.0**e, st.floats(math.log10(lo), math.log10(hi)))


ANYTHING = {"N": st.one_of(st.integers(-5, 10), st.sampled_from([2.5, True, 0.0, NAN])),
            "marginal": st.one_of(st.sampled_from(["exact", "smld"]), st.text(max_size=5))}


@st.composite
def _params(draw, valid):
    """A valid parameter set from ``valid`` (a strategy of dicts), then, half of the time, one argument
    replaced by an arbitrary value (which may or may not be valid)."""
    kw = draw(valid)
    keys = sorted(kw)
    key = draw(st.sampled_from(keys + [None] * len(keys)))
    if key is not None:
        kw[key] = draw(ANYTHING.get(key, _reals()))
    kw["extra_t"] = draw(st.floats(0.0, 1.0))
    return kw


@st.composite
def _time_args(draw, T_max=None):
    T = draw(_log_uniform(1e-4, 1e4)) if T_max is None else draw(st.floats(1e-4, T_max))
    eps = T * draw(st.floats(1e-9, 0.999))
    return dict(T=T, eps=eps, N=draw(st.integers(1, 5000)))


@st.composite
def _vp_args(draw):
    beta_min = draw(st.one_of(st.just(0.0), _log_uniform(1e-8, 1e8)))
    beta_max = beta_min + draw(_log_uniform(1e-8, 1e8))
    return dict(beta_min=beta_min, beta_max=beta_max, **draw(_time_args()))


@st.composite
def _cosine_args(draw):
    return dict(s=draw(_log_uniform(1e-8, 1e8)), **draw(_time_args(T_max=1 - 1e-12)))


@st.composite
def _ve_args(draw):
    sigma_min = draw(_log_uniform(1e-140, 1e6))
    sigma_max = min(sigma_min * (1 + draw(_log_uniform(1e-8, 1e12))), 1e150)
    marginal = draw(st.sampled_from(["exact", "smld"]))
    return dict(sigma_min=sigma_min, sigma_max=sigma_max, marginal=marginal, **draw(_time_args()))


_FIXED_MIX = GaussianMixture([0.3, 0.7], [[-2.0, 1.0], [1.5, -0.5]], [[0.5, 0.2], [1.0, 0.7]])
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_accepted_sde(sde, mix=_FIXED_MIX, extra_t=None):
    """Finite marginals, exact scores and prior log-densities at t in {0, eps, mid, T} (+ a drawn t)."""
    ts = [0.0, sde.eps, 0.5 * (sde.eps + sde.T), sde.T]
    if extra_t is not None:
        ts.append(extra_t * sde.T)
    t = torch.tensor(ts, dtype=torch.float64)
    n = len(ts)
    x0 = mix.sample(n, torch.Generator().manual_seed(0))
    mean, std = sde.marginal_prob(x0, t)
    assert bool(torch.isfinite(mean).all()) and bool(torch.isfinite(std).all()) and bool((std >= 0).all())
    assert bool(torch.isfinite(sde.mean_coeff(t)).all()) and bool(torch.isfinite(sde.marginal_std(t)).all())
    xt = mean + std * torch.randn(x0.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert bool(torch.isfinite(xt).all())
    score = mix.score(xt, sde, t)
    assert bool(torch.isfinite(score).all()), (sde, score)
    for k, tk in enumerate(ts):
        xk = mix.sample_t(sde, tk, 4, torch.Generator().manual_seed(k))
        assert bool(torch.isfinite(xk).all())
        assert bool(torch.isfinite(mix.score(xk, sde, tk)).all()), (sde, tk)
    z = sde.prior_sampling((4, mix.dim), generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    assert math.isfinite(sde.prior_std) and sde.prior_std > 0
    assert bool(torch.isfinite(sde.prior_logp(z)).all()), sde
    assert bool(torch.isfinite(sde.prior_logp(mix.sample_t(sde, sde.T, 4, torch.Generator().manual_seed(3)))).all()), sde


def _run_family(make, check, names, params):
    """``make(**drawn)`` is either rejected with a ValueError whose message starts with one of ``names``,
    or accepted and passes ``check``. At least 200 parameter sets, both outcomes exercised."""
    seen = {"accepted": 0, "rejected": 0}

    @SETTINGS
    @given(kw=params)
    def run(kw):
        kw = dict(kw)
        extra_t = kw.pop("extra_t")
        try:
            obj = make(**kw)
        except ValueError as e:
            msg = str(e)
            assert any(re.match(rf"{re.escape(n)}\b", msg) for n in names), msg
            seen["rejected"] += 1
            return
        check(obj, extra_t)
        seen["accepted"] += 1

    run()
    assert seen["accepted"] + seen["rejected"] >= 200, seen
    assert seen["accepted"] >= 50 and seen["rejected"] >= 20, seen  # both outcomes really exercised
    return seen


def _check_sde(sde, extra_t):
    _check_accepted_sde(sde, extra_t=extra_t)


def test_hypothesis_vp_family():
    _run_family(VPSDE, _check_sde, ["beta_min", "beta_max", "T", "eps", "N"], _params(_vp_args()))


def test_hypothesis_subvp_family():
    _run_family(subVPSDE, _check_sde, ["beta_min", "beta_max", "T", "eps", "N"], _params(_vp_args()))


def test_hypothesis_cosine_family():
    _run_family(VPSDE.cosine, _check_sde, ["s", "T", "eps", "N"], _params(_cosine_args()))


def test_hypothesis_ve_family():
    _run_family(VESDE, _check_sde, ["sigma_min", "sigma_max", "marginal", "T", "eps", "N"], _params(_ve_args()))


@st.composite
def _mixture_args(draw):
    K = draw(st.integers(1, 4))
    D = draw(st.integers(1, 3))
    raw = draw(st.lists(_log_uniform(1e-3, 1e3), min_size=K, max_size=K))
    weights = [w / sum(raw) for w in raw]
    means = [draw(st.lists(st.one_of(st.floats(-10.0, 10.0), _log_uniform(1e-6, 1e100)), min_size=D, max_size=D)) for _ in range(K)]
    if draw(st.booleans()):  # isotropic (K,) or diagonal (K, D) stds
        stds = draw(st.lists(_log_uniform(1e-100, 1e100), min_size=K, max_size=K))
    else:
        stds = [draw(st.lists(_log_uniform(1e-100, 1e100), min_size=D, max_size=D)) for _ in range(K)]
    args = dict(weights=weights, means=means, stds=stds)
    field = draw(st.sampled_from(["weights", "means", "stds", None, None, None]))
    if field is not None:  # corrupt one entry (or the shape) of one field
        value = args[field]
        if draw(st.booleans()):
            row = draw(st.integers(0, K - 1))
            if isinstance(value[row], list):
                value[row][draw(st.integers(0, len(value[row]) - 1))] = draw(_reals())
            else:
                value[row] = draw(_reals())
        else:
            value.append(value[0])  # wrong length
    return dict(args=args, extra_t=draw(st.floats(0.0, 1.0)))


def _check_mixture(mix, extra_t):
    for sde in (VPSDE(), VESDE(), VPSDE.cosine()):
        _check_accepted_sde(sde, mix=mix, extra_t=extra_t)
        t = extra_t * sde.T
        x = mix.sample_t(sde, t, 4, torch.Generator().manual_seed(3))
        assert bool(torch.isfinite(mix.log_prob(x, sde, t)).all())


def test_hypothesis_gaussian_mixture_family():
    _run_family(lambda args: GaussianMixture(**args), _check_mixture, ["weights", "means", "stds"], _mixture_args())
