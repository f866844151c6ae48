"""Black-box integrators (torchdiffeq PF-ODE, scipy reference, torchsde reverse SDE) against exact truth.

Ground truth: the exact Gaussian-mixture score and marginals (scoresde.analytic), a scipy DOP853
reference at rtol = atol = 1e-10, and hand-written Euler / Euler-Maruyama loops written from the
formulas (Song et al. 2021, Eq. 6 and 13) through the independent ReverseSDE code path.
"""
from __future__ import annotations

import math

import pytest
import torch

from scoresde import CountingScore, get_problem, grids
from scoresde.integrators import (
    brownian_interval,
    pf_ode_scipy,
    pf_ode_torchdiffeq,
    reverse_sdeint,
    uniform_grid,
)


def _setup(problem: str, sde_name: str, n: int, seed: int = 0):
    p = get_problem(problem)
    sde = p.sde(sde_name)
    x_T = p.mixture.sample_t(sde, sde.T, n, torch.Generator().manual_seed(seed))
    return p, sde, p.mixture.score_fn(sde), x_T


def _moments_within(x: torch.Tensor, mean: torch.Tensor, second: torch.Tensor, k: float = 3.0):
    """Per-coordinate sample mean and second moment within k standard errors of the exact values."""
    n = x.shape[0]
    m_hat, m2_hat = x.mean(0), (x * x).mean(0)
    se_m = x.std(0) / math.sqrt(n)
    se_m2 = (x * x).std(0) / math.sqrt(n)
    z_mean = ((m_hat - mean) / se_m).abs().max().item()
    z_second = ((m2_hat - second) / se_m2).abs().max().item()
    assert z_mean < k, f"mean off by {z_mean:.2f} s.e."
    assert z_second < k, f"second moment off by {z_second:.2f} s.e."


def _exact_moments(mixture, sde, t: float):
    """Exact per-coordinate E[x_t] and E[x_t^2] of the mixture pushed through the SDE."""
    tt = torch.tensor(t, dtype=torch.float64)
    m, s2 = torch.exp(sde.log_mean_coeff(tt)), sde.marginal_var(tt)
    w = mixture.weights[:, None]
    mean = m * (w * mixture.means).sum(0)
    second = (w * (m * m * (mixture.means**2 + mixture.stds**2) + s2)).sum(0)
    return mean, second


# ---------------------------------------------------------------------------- PF-ODE
@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_dopri5_matches_scipy_dop853(sde_name):
    """torchdiffeq dopri5 agrees with the DOP853 reference, and the gap shrinks with the tolerance."""
    _, sde, score, x_T = _setup("gmm2d", sde_name, 32)
    ref = pf_ode_scipy(sde, score, x_T)  # DOP853, rtol = atol = 1e-10, float64
    assert ref.nfe == ref.info["nfev"]
    errs = {}
    for tol in (1e-5, 1e-8):
        res = pf_ode_torchdiffeq(sde, score, x_T, rtol=tol, atol=tol)
        assert res.x.shape == x_T.shape and res.x.dtype == x_T.dtype
        errs[tol] = (res.x - ref.x).abs().max().item()
    # Global error is a modest multiple of the local tolerance (measured ~100x tol for VP).
    assert errs[1e-8] < 1e-5, errs
    assert errs[1e-5] < 1e-2, errs
    assert errs[1e-8] < errs[1e-5] / 30, errs


@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_pf_ode_pushes_p_T_to_p_eps(sde_name):
    """Exact samples of p_T, transported by the PF-ODE, are samples of p_eps: moments and mode
    occupancy within 3 standard errors (the PF-ODE preserves the marginals, Song et al. 2021, Sec. 4.3)."""
    p, sde, score, x_T = _setup("gmm2d", sde_name, 4000, seed=1)
    res = pf_ode_torchdiffeq(sde, score, x_T, rtol=1e-6, atol=1e-6)
    mean, second = _exact_moments(p.mixture, sde, sde.eps)
    _moments_within(res.x, mean, second)
    # mode occupancy: each of the 8 equal modes holds 1/8 of the mass
    r = p.mixture.responsibilities(res.x, sde, sde.eps)
    occ = r.mean(0)
    se = r.std(0) / math.sqrt(r.shape[0])
    assert ((occ - p.mixture.weights).abs() / se).max() < 3


def test_fixed_step_euler_equals_hand_written_loop():
    """torchdiffeq 'euler' over decreasing time is the explicit Euler loop on the PF-ODE (float64, 1e-12)."""
    _, sde, score, x_T = _setup("gmm2d", "vp", 16)
    res = pf_ode_torchdiffeq(sde, score, x_T, method="euler", step_size=0.02)
    grid = uniform_grid(sde.T, sde.eps, 0.02)
    assert res.steps == grid.numel() - 1 == 50
    ode = sde.reverse(score, probability_flow=True)  # independent code path: ReverseSDE.sde
    x = x_T.clone()
    for t_cur, t_next in zip(grid[:-1], grid[1:]):
        drift, _ = ode.sde(x, float(t_cur))
        x = x + (t_next - t_cur) * drift
    assert (res.x - x).abs().max().item() < 1e-12
    assert res.nfe == 50


def test_explicit_grid_and_fixed_step_orders():
    """Fixed-step euler / midpoint / rk4 on the PF-ODE converge at orders 1 / 2 / 4 (+-0.3)
    against the DOP853 reference; an explicit grid gives the same answer as step_size."""
    _, sde, score, x_T = _setup("gmm2d", "ve", 16)
    ref = pf_ode_scipy(sde, score, x_T).x
    # VE is smooth in log sigma; a geometric grid keeps every method in its asymptotic regime.
    for method, order, steps in (("euler", 1, (200, 400)), ("midpoint", 2, (100, 200)), ("rk4", 4, (25, 50))):
        errs = []
        for n in steps:
            g = grids.geometric(sde, n)
            res = pf_ode_torchdiffeq(sde, score, x_T, method=method, grid=g)
            errs.append((res.x - ref).pow(2).mean().sqrt().item())
        slope = math.log2(errs[0] / errs[1])
        assert abs(slope - order) < 0.3, (method, errs, slope)
    a = pf_ode_torchdiffeq(sde, score, x_T, method="rk4", step_size=0.05)
    b = pf_ode_torchdiffeq(sde, score, x_T, method="rk4", grid=uniform_grid(sde.T, sde.eps, 0.05))
    assert torch.equal(a.x, b.x)


def test_float32_and_image_shapes_preserved():
    p = get_problem("gmm2d")
    sde = p.sde("vp")
    x = torch.randn(4, 3, 4, 4, generator=torch.Generator().manual_seed(0))

    def score(x, t):  # N(0, I) data: the exact score of p_t is -x (m^2 + s^2 = 1 for VP)
        assert t.shape == (x.shape[0],)
        return -x

    r = pf_ode_torchdiffeq(sde, score, x, method="midpoint", step_size=0.1)
    assert r.x.shape == x.shape and r.x.dtype == torch.float32
    # With score -x the PF-ODE is dx/dt = (f + g^2/2) x = 0 for VP: x is a fixed point.
    assert torch.allclose(r.x, x, atol=1e-6)
    s = reverse_sdeint(sde, score, x, dt=0.1, seed=0)
    assert s.x.shape == x.shape and s.x.dtype == torch.float32


# ---------------------------------------------------------------------------- reverse SDE
@pytest.mark.parametrize("sde_name,method,dt", [("vp", "euler", 2e-3), ("ve", "euler", 2e-3), ("vp", "srk", 1e-2)])
def test_reverse_sdeint_reaches_p_eps_on_gaussian(sde_name, method, dt):
    """The reverse SDE from exact p_T samples ends at p_eps: moments within 3 s.e."""
    p = get_problem("gaussian")
    sde = p.sde(sde_name)
    score = p.mixture.score_fn(sde)
    x_T = p.mixture.sample_t(sde, sde.T, 4000, torch.Generator().manual_seed(2))
    res = reverse_sdeint(sde, score, x_T, method=method, dt=dt, seed=5)
    mean, second = _exact_moments(p.mixture, sde, sde.eps)
    _moments_within(res.x, mean, second)


def test_torchsde_euler_equals_hand_written_euler_maruyama():
    """Given the same Brownian increments, torchsde's Euler scheme in tau = -t is exactly reverse
    Euler-Maruyama: x <- x - [f x - g^2 score] h + g dW (Song et al. 2021, Eq. 6), float64 to 1e-12."""
    p, sde, score, x_T = _setup("gmm2d", "ve", 8)
    bm = brownian_interval(sde, x_T, seed=11)
    res = reverse_sdeint(sde, score, x_T, method="euler", dt=0.05, bm=bm)
    assert res.steps == 20 and res.nfe == 20  # counted: one score call per step
    rev = sde.reverse(score)  # independent code path: ReverseSDE.sde
    dt = res.info["dt"]
    tau, tau_end = torch.tensor(-sde.T, dtype=torch.float64), torch.tensor(-sde.eps, dtype=torch.float64)
    x, n = x_T.clone(), 0
    while tau < tau_end:
        nxt = torch.minimum(tau + dt, tau_end)
        dW = bm(tau, nxt).reshape(x.shape)
        drift, g = rev.sde(x, float(-tau))
        x = x - drift * (nxt - tau) + g * dW
        tau, n = nxt, n + 1
    assert n == 20
    assert (res.x - x).abs().max().item() < 1e-12


def test_shared_brownian_path_across_step_sizes():
    """One BrownianInterval drives runs at two step sizes along the same path (strong convergence):
    they differ far less than runs on independent paths."""
    _, sde, score, x_T = _setup("gmm2d", "vp", 256)
    bm = brownian_interval(sde, x_T, seed=3, method="srk")
    a = reverse_sdeint(sde, score, x_T, method="srk", dt=0.01, bm=bm).x
    b = reverse_sdeint(sde, score, x_T, method="srk", dt=0.005, bm=bm).x
    c = reverse_sdeint(sde, score, x_T, method="srk", dt=0.005, seed=4).x
    same = (a - b).pow(2).mean().sqrt().item()
    indep = (a - c).pow(2).mean().sqrt().item()
    assert same < 0.05 * indep, (same, indep)
    # same seed, same result
    d = reverse_sdeint(sde, score, x_T, method="srk", dt=0.005, seed=4).x
    assert torch.equal(c, d)


def test_additive_and_diagonal_noise_agree_and_milstein_is_euler():
    """The reverse SDE has additive noise: declaring it 'diagonal' changes nothing for Euler, and
    Milstein's correction (g dg/dx) vanishes, so Milstein == Euler-Maruyama given one path."""
    _, sde, score, x_T = _setup("gmm2d", "vp", 16)
    bm = brownian_interval(sde, x_T, seed=8)
    add = reverse_sdeint(sde, score, x_T, method="euler", dt=0.02, bm=bm)
    diag = reverse_sdeint(sde, score, x_T, method="euler", dt=0.02, bm=bm, noise_type="diagonal")
    mil = reverse_sdeint(sde, score, x_T, method="milstein", dt=0.02, bm=bm)
    assert torch.allclose(add.x, diag.x, atol=1e-13, rtol=0)
    assert torch.allclose(add.x, mil.x, atol=1e-13, rtol=0)


# ---------------------------------------------------------------------------- NFE
def test_nfe_is_counted():
    _, sde, score, x_T = _setup("gmm2d", "vp", 8)
    outer = CountingScore(score)
    r = pf_ode_torchdiffeq(sde, outer, x_T)
    assert r.nfe == outer.nfe > 0
    r = pf_ode_torchdiffeq(sde, score, x_T, method="rk4", step_size=0.1)
    assert (r.steps, r.nfe) == (10, 40)
    r = pf_ode_torchdiffeq(sde, score, x_T, method="midpoint", step_size=0.1)
    assert (r.steps, r.nfe) == (10, 20)
    outer = CountingScore(score)
    r = reverse_sdeint(sde, outer, x_T, method="srk", dt=0.1, seed=0)
    assert r.nfe == outer.nfe == 2 * r.steps == 20  # SRA1 has two stages (Rößler 2010)
    r = reverse_sdeint(sde, score, x_T, method="heun", dt=0.1, seed=0)
    assert r.nfe == 2 * r.steps
    r = pf_ode_scipy(sde, score, x_T, method="RK45", rtol=1e-6, atol=1e-6)
    assert r.nfe == r.info["nfev"]


# ---------------------------------------------------------------------------- bad input
def test_bad_input_rejected():
    _, sde, score, x_T = _setup("gmm2d", "vp", 4)
    bad = x_T.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="x_T must be finite"):
        pf_ode_torchdiffeq(sde, score, bad)
    with pytest.raises(ValueError, match="x_T must be a floating-point"):
        reverse_sdeint(sde, score, torch.zeros(4, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="x_T must have shape"):
        pf_ode_scipy(sde, score, torch.zeros(0, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="t_start must be > t_end"):
        pf_ode_torchdiffeq(sde, score, x_T, t_start=0.1, t_end=0.5)
    with pytest.raises(ValueError, match="t_start must lie in"):
        reverse_sdeint(sde, score, x_T, t_start=1.5)
    with pytest.raises(ValueError, match="t_end must lie in"):
        pf_ode_scipy(sde, score, x_T, t_end=-0.1)
    with pytest.raises(ValueError, match="t_end must be finite"):
        pf_ode_scipy(sde, score, x_T, t_end=float("nan"))
    with pytest.raises(ValueError, match="method must be one of"):
        pf_ode_torchdiffeq(sde, score, x_T, method="rk45")
    with pytest.raises(ValueError, match="fixed-step: give step_size or grid"):
        pf_ode_torchdiffeq(sde, score, x_T, method="euler")
    with pytest.raises(ValueError, match="step_size must be > 0"):
        pf_ode_torchdiffeq(sde, score, x_T, method="euler", step_size=-0.1)
    with pytest.raises(ValueError, match="not to adaptive"):
        pf_ode_torchdiffeq(sde, score, x_T, step_size=0.1)
    with pytest.raises(ValueError, match="grid must be strictly decreasing"):
        pf_ode_torchdiffeq(sde, score, x_T, method="euler", grid=torch.tensor([0.1, 0.5, 1.0]))
    with pytest.raises(ValueError, match="rtol must be > 0"):
        pf_ode_torchdiffeq(sde, score, x_T, rtol=0.0)
    with pytest.raises(ValueError, match="method must be one of"):
        pf_ode_scipy(sde, score, x_T, method="LSODA")
    with pytest.raises(ValueError, match="method must be one of"):
        reverse_sdeint(sde, score, x_T, method="rk4")
    with pytest.raises(ValueError, match="noise_type must be one of"):
        reverse_sdeint(sde, score, x_T, noise_type="general")
    with pytest.raises(ValueError, match="noise_type='diagonal'"):
        reverse_sdeint(sde, score, x_T, method="reversible_heun")
    with pytest.raises(ValueError, match="dt must be > 0"):
        reverse_sdeint(sde, score, x_T, dt=0.0)
    with pytest.raises(ValueError, match="bm must have size"):
        reverse_sdeint(sde, score, x_T, bm=brownian_interval(sde, x_T[:2]))
    with pytest.raises(ValueError, match="bm must cover"):
        reverse_sdeint(sde, score, x_T, bm=brownian_interval(sde, x_T, t_start=0.5))
    with pytest.raises(ValueError, match="seed must be"):
        reverse_sdeint(sde, score, x_T, seed=-1)
    with pytest.raises(ValueError, match="score_fn returned shape"):
        pf_ode_torchdiffeq(sde, lambda x, t: x[:, :1], x_T)
    with pytest.raises(ValueError, match="score_fn returned shape"):
        reverse_sdeint(sde, lambda x, t: x.sum(1), x_T, seed=0)
    with pytest.raises(ValueError, match="score_fn must be callable"):
        pf_ode_torchdiffeq(sde, None, x_T)
    with pytest.raises(ValueError, match="sde must be a LinearSDE"):
        pf_ode_torchdiffeq("vp", score, x_T)


def test_non_finite_state_stops_with_time():
    _, sde, score, x_T = _setup("gmm2d", "vp", 4)

    def broken(x, t):
        out = score(x, t)
        return out * float("nan") if float(t[0]) < 0.5 else out

    with pytest.raises(FloatingPointError, match=r"at t=0\.4"):
        pf_ode_torchdiffeq(sde, broken, x_T, method="euler", step_size=0.1)
    with pytest.raises(FloatingPointError, match=r"reverse-SDE drift .* at t=0\.4"):
        reverse_sdeint(sde, broken, x_T, dt=0.1, seed=0)
    with pytest.raises(FloatingPointError, match=r"at t=0\.4"):
        pf_ode_scipy(sde, broken, x_T, method="RK23", rtol=1e-3, atol=1e-3, t_end=0.45 - 0.05)

