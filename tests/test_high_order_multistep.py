"""Fourth-order UniPC, LMS above order 4 and the Karras grid's noise range, each against the peer that
runs the same algorithm (diffusers' UniPC, k-diffusion's lms and get_sigmas_karras) where installed,
and against exact truth (measured order) where not.

Found while chasing issue 14's gmm2d VE gap (benchmarks/RESULTS.md): the step history kept at most
four evaluations, so LMS-5/-6 silently ran as LMS-4 and a corrector after a UniP-4 step would get
three points instead of four; and diffusers' Karras grid spans sigma(T/N)..sigma(T), not sigma(eps).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S

from test_orders import pf_ode_reference, slope


def _gmm2d(sde_name="vp", B=32):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    x_T = sde.prior_sampling((B, 2), torch.Generator().manual_seed(0), dtype=torch.float64)
    return sde, prob.mixture.score_fn(sde), x_T


def _run(sde, score, x_T, step, grid):
    return sd.sample(sde, score, x_T.shape, predictor=step, grid=grid, x_T=x_T, dtype=torch.float64).x


# ------------------------------------------------------------------ the history holds what the order needs
@pytest.mark.parametrize("order", [5, 6])
def test_lms_above_order_4_uses_all_its_points(order):
    """LMS-p combines p evaluations: it differs from LMS-(p-1) (before the fix it equalled LMS-4 exactly)."""
    sde, score, x_T = _gmm2d(B=8)
    g = grids.uniform(sde, 30)
    a = _run(sde, score, x_T, S.LMS(order=order, warmup="lower"), g)
    b = _run(sde, score, x_T, S.LMS(order=order - 1, warmup="lower"), g)
    assert float((a - b).abs().max()) > 1e-7


@pytest.mark.parametrize("order", [4, 5])
def test_lms_matches_k_diffusion_lms_of_the_same_order(order):
    """Ours with k-diffusion's lower-order start is its ``sample_lms(order=p)`` on the same sigmas (float64;
    k-diffusion integrates the Lagrange basis with scipy quad, exact for these polynomials)."""
    import importlib.util

    if importlib.util.find_spec("k_diffusion") is None:
        pytest.skip("k-diffusion not installed (pip install --no-deps k-diffusion)")
    from scoresde.models.kdiffusion import load_sampling

    K = load_sampling()
    sde, score, x_T = _gmm2d(B=8)
    g = torch.cat([grids.karras(sde, 24), torch.zeros(1, dtype=torch.float64)])
    sig = sde.noise_level(g)
    sig[-1] = 0.0
    ts = dict(zip(sig.tolist(), g.tolist()))

    def denoiser(xt, sigma):  # x~ = x/m; D = (x + s^2 score)/m
        t = ts[float(sigma.reshape(-1)[0])]
        tt = torch.tensor(t, dtype=torch.float64)
        m, s = float(sde.mean_coeff(tt)), float(torch.sqrt(sde.marginal_var(tt)))
        x = m * xt
        return (x + s * s * score(x, torch.full((x.shape[0],), t, dtype=x.dtype))) / m

    m_T = float(sde.mean_coeff(torch.tensor(sde.T, dtype=torch.float64)))
    theirs = K.sample_lms(denoiser, x_T / m_T, sig, disable=True, order=order)
    ours = _run(sde, score, x_T, S.LMS(order=order, warmup="lower"), g)  # m(0) = 1: x~ = x at t = 0
    torch.testing.assert_close(ours, theirs, rtol=1e-8, atol=1e-8)


# ------------------------------------------------------------------ UniPC-4
def test_unipc_order_4_config_and_bounds():
    s = S.UniPC(order=4)
    assert s.config() == {"order": 4} and s.order == 3.0  # the warm-up caps the declared order (docstring)
    assert S.UniPC(order=4, corrector=False).order == 4.0
    with pytest.raises(ValueError, match="order"):
        S.UniPC(order=5)


def test_unipc_4_measured_order_between_warmup_cap_and_bulk_order():
    """Declared 3 (the UniP-1 + UniC-1 first step, local error O(h^3), caps it asymptotically); the bulk is
    UniP-4 + UniC-4, order 5, and on practical step counts the slope lies in between (measured 4.5 on
    32-320 log-SNR steps, VP gmm2d; UniPC-3: 3.9)."""
    sde, score, x_T = _gmm2d(B=64)
    ref = pf_ode_reference(sde, score, x_T)
    ns = [32, 64, 128, 320]
    errs = [float(((_run(sde, score, x_T, S.UniPC(order=4), grids.log_snr(sde, n)) - ref) ** 2).mean().sqrt())
            for n in ns]
    k = slope(ns, errs)
    assert 3.0 - 0.15 < k < 5.0 + 0.15, (errs, k)
    errs3 = [float(((_run(sde, score, x_T, S.UniPC(order=3), grids.log_snr(sde, n)) - ref) ** 2).mean().sqrt())
             for n in ns[2:]]
    assert errs[-1] < errs3[-1]  # the fourth-order predictor pays off at fine grids


@pytest.mark.slow
@pytest.mark.parametrize("step", [S.UniPC(order=2), S.UniPC(order=2, corrector=False, variant="bh1")],
                         ids=["unipc-2", "unip-2-bh1"])
def test_unipc_one_point_rule_keeps_the_order_on_subvp(step):
    """With rho = 1/2 on the one-point steps the declared orders (3 with UniC, 2 without) hold on subVP,
    where 32-320 steps are pre-asymptotic (2.83 / 2.16, marked in test_orders): 128-1280 log-SNR steps."""
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("subvp")
    score = prob.mixture.score_fn(sde)
    x_T = sde.prior_sampling((64, 2), torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = pf_ode_reference(sde, score, x_T)
    ns = [128, 320, 640, 1280]
    errs = [float(((_run(sde, score, x_T, step, grids.log_snr(sde, n)) - ref) ** 2).mean().sqrt()) for n in ns]
    assert abs(slope(ns, errs) - step.order) < 0.15, (errs, slope(ns, errs))


def _diffusers_unipc(sde, score, x_T, order, steps):
    """diffusers' UniPC (use_karras_sigmas, lower_order_final) on our VP SDE as in benchmarks/bench_peers.py:
    alphas_cumprod = m(t_k)^2 at t_k = (k + 1) T/N, the exact eps = -s score at the scheduler's own sigmas.
    Returns its endpoint and our grid of the same noise levels (ending at t = 0)."""
    D = pytest.importorskip("diffusers")
    tk = torch.arange(1, sde.N + 1, dtype=torch.float64) * sde.T / sde.N
    ac = 1.0 / (1.0 + sde.noise_level(tk) ** 2)
    betas = (1.0 - ac / torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])).numpy()
    sched = D.UniPCMultistepScheduler(trained_betas=betas, solver_order=order, use_karras_sigmas=True)
    sched.set_timesteps(steps)
    sig_T = float(sde.noise_level(torch.tensor(sde.T, dtype=torch.float64)))
    ts = [sde.T if float(v) >= sig_T * (1 - 1e-6) else float(sde.t_from_noise_level(torch.tensor([float(v)], dtype=torch.float64))[0])
          for v in sched.sigmas[:-1]]
    x = x_T.clone()  # VP: diffusers' coordinates are ours
    for i, k in enumerate(sched.timesteps):
        s = float(torch.sqrt(sde.marginal_var(torch.tensor(ts[i], dtype=torch.float64))))
        x = sched.step(-s * score(x, torch.full((x.shape[0],), ts[i], dtype=x.dtype)), k, x).prev_sample
    g = torch.tensor(ts + [0.0], dtype=torch.float64)
    g[0] = sde.T
    return x, g


@pytest.mark.parametrize("order", [2, 3, 4])
def test_unipc_is_diffusers_unipc_on_its_karras_grid(order):
    """Same algorithm, same grid (diffusers' Karras grid ending with a step to sigma = 0, its lower-order
    final rule = our ``lower_order_final="always"``, rho = 1/2 on the one-point UniP-2 / UniC-1 steps):
    the endpoints agree to diffusers' float32 sigmas (measured max difference 1e-7 / 2e-7 / 5e-7 for
    orders 2 / 3 / 4 at 40 steps, against 1e-2 between neighbouring orders)."""
    sde, score, x_T = _gmm2d(B=32)
    theirs, g = _diffusers_unipc(sde, score, x_T, order, 40)
    other, _ = _diffusers_unipc(sde, score, x_T, order + 1 if order < 4 else 3, 40)  # a neighbouring order
    ours = _run(sde, score, x_T, S.UniPC(order=order, lower_order_final="always"), g)
    same, cross = float((ours - theirs).abs().max()), float((ours - other).abs().max())
    assert same < 1e-5 and cross > 1e-3, (same, cross)


def test_unipc_b_h_variant_matters_on_one_point_steps():
    """bh1 and bh2 differ (rho = 1/2 on the one-point steps, where B(h) does not cancel), by a
    discretisation error that shrinks as the grid is refined (both are consistent)."""
    sde, score, x_T = _gmm2d(B=8)

    def diff(n):
        a = _run(sde, score, x_T, S.UniPC(order=2, variant="bh1"), grids.log_snr(sde, n))
        b = _run(sde, score, x_T, S.UniPC(order=2, variant="bh2"), grids.log_snr(sde, n))
        return float((a - b).abs().max())

    d20, d80 = diff(20), diff(80)
    assert d20 > 1e-4 and d80 < d20 / 4, (d20, d80)


# ------------------------------------------------------------------ the Karras grid's noise range
def test_karras_sigma_range_matches_eq5_and_k_diffusion():
    sde = sd.get_problem("gmm2d").sde("ve")
    s1 = float(sde.noise_level(torch.tensor(sde.T / sde.N, dtype=torch.float64)))
    g = grids.karras(sde, 12, sigma_min=s1, sigma_max=5.0)
    assert torch.equal(grids.validate(g, sde), g)
    sig = sde.noise_level(g).numpy()
    i = np.arange(13) / 12
    eq5 = (5.0 ** (1 / 7) + i * (s1 ** (1 / 7) - 5.0 ** (1 / 7))) ** 7  # Karras et al. 2022, Eq. 5
    np.testing.assert_allclose(sig, eq5, rtol=1e-10)
    # defaults unchanged: exactly [eps, T]
    assert torch.equal(grids.karras(sde, 12), grids.karras(sde, 12, sigma_min=None, sigma_max=None))
    d = grids.karras(sde, 12)
    assert float(d[0]) == sde.T and float(d[-1]) == sde.eps
    import importlib.util

    if importlib.util.find_spec("k_diffusion") is not None:
        from scoresde.models.kdiffusion import load_sampling

        kd = load_sampling().get_sigmas_karras(13, s1, 5.0, rho=7.0).to(torch.float64)[:-1]  # drops its final 0
        np.testing.assert_allclose(sig, kd.numpy(), rtol=1e-5)  # k-diffusion builds them in float32


@pytest.mark.parametrize("kw, needle", [
    ({"sigma_min": 1e-9}, "sigma_min must lie in"), ({"sigma_max": 1e3}, "sigma_max must lie in"),
    ({"sigma_min": 2.0, "sigma_max": 1.0}, "sigma_min must be < sigma_max"), ({"sigma_min": math.nan}, "sigma_min"),
    ({"sigma_max": -1.0}, "sigma_max must lie in"), ({"sigma_min": "x"}, "sigma_min"),
])
def test_karras_sigma_range_is_validated(kw, needle):
    sde = sd.get_problem("gmm2d").sde("ve")
    with pytest.raises(ValueError, match=needle):
        grids.karras(sde, 10, **kw)
