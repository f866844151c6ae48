"""Hostile input to the Python sampling API (issue 17): clear ValueErrors instead of silent broadcasting,
dtype promotion, truncation or errors from deep inside torch/math; bounded grids; library-built grids
that pass the library's own check; and what "sample i depends only on (seed, i)" exactly means."""
from __future__ import annotations

import time

import pytest
import torch

from scoresde import VESDE, VPSDE, GaussianMixture, grids
from scoresde.noise import PREDICTOR, PRIOR, PerSampleNoise
from scoresde.problems import get_problem
from scoresde.sampler import sample
from scoresde.solvers import CORRECTORS, PREDICTORS

MIX = GaussianMixture([0.3, 0.7], [[-2.0, 1.0], [1.5, -0.5]], [[0.5, 0.2], [1.0, 0.7]])


def _run(score, shape=(4, 2), sde=None, **kw):
    sde = sde or VPSDE()
    kw.setdefault("predictor", PREDICTORS["euler_maruyama"]())
    return sample(sde, score, shape, grid=grids.uniform(sde, 5), **kw)


# ---------------------------------------------------------------------------- the score function's output
@pytest.mark.parametrize("bad, words", [
    (lambda x, t: -x[:, :1], ["shape (4, 1)", "(4, 2)"]),
    (lambda x, t: -x[:1], ["shape (1, 2)", "(4, 2)"]),
    (lambda x, t: -x.double(), ["dtype torch.float64", "torch.float32"]),
    (lambda x, t: None, ["score_fn", "NoneType"]),
], ids=["B1", "1D", "float64", "None"])
def test_score_output_is_checked_on_the_first_call(bad, words):
    with pytest.raises(ValueError, match="^score_fn") as e:
        _run(bad)
    for w in words:
        assert w in str(e.value)


def test_score_output_is_checked_once():
    calls = []

    def score(x, t):
        calls.append(1)
        return -x

    res = _run(score)
    assert res.nfe == len(calls) == 5 and res.x.dtype == torch.float32


# ---------------------------------------------------------------------------- shape, dtype, device
@pytest.mark.parametrize("kw, name", [
    (dict(shape=(4.7, 2)), "shape"), (dict(shape=(4.0, 2)), "shape"), (dict(shape=(True, 2)), "shape"),
    (dict(shape=(0, 2)), "shape"), (dict(shape=(2**20, 2**20)), "shape"),
    (dict(dtype=torch.int64), "dtype"), (dict(dtype=torch.complex64), "dtype"), (dict(dtype=torch.bool), "dtype"),
    (dict(device="meta"), "device"), (dict(device="nonsense"), "device"),
])
def test_shape_dtype_device_are_validated(kw, name):
    shape = kw.pop("shape", (4, 2))
    with pytest.raises(ValueError, match=f"^{name}\\b"):
        _run(lambda x, t: -x, shape=shape, **kw)


def test_prior_sampling_refuses_fractional_shapes():
    with pytest.raises(ValueError, match="^shape must hold positive integers, got 4.7"):
        VPSDE().prior_sampling((4.7, 2))
    assert VPSDE().prior_sampling(torch.Size([3, 2])).shape == (3, 2)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_cuda_device_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="^device: 'cuda:0' requested but CUDA is not available"):
        _run(lambda x, t: -x, device="cuda:0")


# ---------------------------------------------------------------------------- bounded grids
@pytest.mark.parametrize("name", list(grids.GRIDS))
def test_grids_are_bounded(name):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"^steps must be <= 1_000_000 \(grids.MAX_STEPS\)"):
        grids.GRIDS[name](VPSDE(), 10**9)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(ValueError, match="^N must be <="):
        grids.twin(VPSDE(T=1.0, eps=1e-12), 10**9)


# Found by the seeded search of tests/test_fuzz.py (600 configurations, 65 such grids failed before).
EXTREME = [
    (VPSDE(beta_min=0.0001452553267051772, beta_max=258955.4426581217, T=39.3174190019528, eps=15.36858624182177), "geometric", 45),
    (VPSDE(beta_min=0.0, beta_max=29127832.429926157, T=0.6509554503774316, eps=0.4600777380026961), "karras", 22),
]


@pytest.mark.parametrize("sde, name, steps", EXTREME)
def test_library_grids_for_extreme_sdes_pass_the_library_check(sde, name, steps):
    g = grids.validate(grids.GRIDS[name](sde, steps), sde)
    assert len(g) == steps + 1 and float(g[0]) == sde.T and float(g[-1]) == sde.eps
    log_sig = -sde.log_snr(g)  # sigma = s/m overflows float64 here; its log does not
    if name == "geometric":  # geometric in sigma = uniform in log sigma
        d = log_sig[:-1] - log_sig[1:]
        assert float((d - d.mean()).abs().max()) < 1e-9 * float(d.mean().abs())


@pytest.mark.parametrize("name", ["geometric", "karras"])
def test_log_domain_grids_match_the_sigma_formulas_on_ordinary_sdes(name):
    sde = VESDE()
    g = grids.GRIDS[name](sde, 30)
    hi, lo = float(sde.noise_level(sde.T)), float(sde.noise_level(sde.eps))
    i = torch.arange(31, dtype=torch.float64) / 30
    sig = hi * (lo / hi) ** i if name == "geometric" else (hi ** (1 / 7) + i * (lo ** (1 / 7) - hi ** (1 / 7))) ** 7
    assert torch.allclose(sde.noise_level(g), sig, rtol=1e-10)


# ---------------------------------------------------------------------------- extreme-but-valid SDEs
def test_float16_with_large_sigma_max_is_a_clear_error():
    ve = VESDE(sigma_max=300.0)
    for corr in (None, CORRECTORS["langevin"]()):
        with pytest.raises(ValueError, match=r"^dtype: torch.float16 cannot hold this SDE's variances"):
            _run(MIX.score_fn(ve), sde=ve, corrector=corr, dtype=torch.float16)
    res = _run(MIX.score_fn(ve), sde=ve, corrector=CORRECTORS["langevin"](), dtype=torch.float32)
    assert bool(torch.isfinite(res.x).all())


def test_dpmpp_2m_with_huge_beta_max_has_no_math_domain_error():
    vp = VPSDE(beta_max=1e4)  # m(1) = exp(-2500) underflows float64
    with pytest.raises(ValueError, match=r"^predictor dpmpp_2m: m\(t\) = exp\(-2500\) underflows"):
        sample(vp, MIX.score_fn(vp), (4, 2), predictor=PREDICTORS["dpmpp_2m"](), grid=grids.uniform(vp, 10))
    # where m stays representable the same SDE samples, on the log-SNR step h computed in log form
    g = grids.validate(torch.linspace(0.3, vp.eps, 11, dtype=torch.float64), vp)
    res = sample(vp, MIX.score_fn(vp), (4, 2), predictor=PREDICTORS["dpmpp_2m"](), grid=g, dtype=torch.float64)
    assert bool(torch.isfinite(res.x).all())


# ---------------------------------------------------------------------------- sample i depends only on (seed, i)
def test_noise_is_batch_independent_bit_for_bit():
    full = PerSampleNoise(7).randn((64, 3, 5), PREDICTOR, 11)
    for idx in (range(0, 1), range(5, 23), range(40, 64), [63, 2, 17, 17]):
        part = PerSampleNoise(7, indices=list(idx)).randn((len(idx), 3, 5), PREDICTOR, 11)
        assert torch.equal(part, full[list(idx)])
    assert not torch.equal(PerSampleNoise(8).randn((4, 2), PRIOR, 0), PerSampleNoise(7).randn((4, 2), PRIOR, 0))


# Measured max |x_B - x_64| / max |x| over every predictor (+/- Langevin), 50 steps, VP and VE:
# 4e-5 in float32 and 7e-14 in float64 (a shared, loaded 2-core CPU). README states these bounds.
BATCH_RTOL = {torch.float32: 2e-4, torch.float64: 1e-12}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("pred, corr", [("euler_maruyama", "langevin"), ("dpmpp_2m", None), ("ancestral", None)])
def test_outputs_agree_across_batch_sizes_to_round_off(dtype, pred, corr):
    sde = VESDE()
    score = get_problem("gmm2d").mixture.score_fn(sde)
    kw = dict(predictor=PREDICTORS[pred](), corrector=CORRECTORS[corr]() if corr else None,
              grid=grids.uniform(sde, 20), seed=3, dtype=dtype, denoise=True)
    whole = sample(sde, score, (64, 2), **kw).x
    parts = torch.cat([sample(sde, score, (n, 2), indices=range(s, s + n), **kw).x for s, n in [(0, 1), (1, 20), (21, 43)]])
    assert float((whole - parts).abs().max()) <= BATCH_RTOL[dtype] * float(whole.abs().max())
