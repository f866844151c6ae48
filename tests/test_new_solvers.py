"""Identities and behaviour of the third-order, UniPC-class and modern stochastic samplers
(issue 14): each equivalence is an exact algebraic identity, checked to 1e-12 in float64."""
from __future__ import annotations

import math

import pytest
import torch

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S
from scoresde.moments import propagate_gaussian
from scoresde.solvers.multistep import lagrange_integrals, phi


def _run(sde_name, predictor, corrector=None, n=12, grid="log-snr", B=16, seed=0, problem="gmm2d"):
    prob = sd.get_problem(problem)
    sde = prob.sde(sde_name)
    x_T = sde.prior_sampling((B, 2), torch.Generator().manual_seed(3), dtype=torch.float64)
    return sd.sample(sde, prob.mixture.score_fn(sde), x_T.shape, predictor=predictor, corrector=corrector,
                     grid=grids.GRIDS[grid](sde, n), x_T=x_T, dtype=torch.float64, seed=seed)


def _same(a, b):
    torch.testing.assert_close(a.x, b.x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sde_name", ["vp", "ve"])
@pytest.mark.parametrize("step", [S.DPMSolverPP3M(order=1), S.UniPC(order=1, corrector=False), S.LMS(order=1),
                                  S.DEIS(order=1), S.DPMSolverPP3M(order=1, warmup="lower")],
                         ids=["dpmpp_3m-1", "unip-1", "lms-1", "deis-1", "dpmpp_3m-1-lower"])
def test_first_order_members_are_ddim(sde_name, step):
    """Forced to one point, 3M, UniP, LMS (Euler in sigma) and DEIS are DDIM (Lu et al. 2022a, Eq. 3.7)."""
    _same(_run(sde_name, step), _run(sde_name, S.DDIM()))


@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_sde_dpmpp_eta0_is_its_ode_version(sde_name):
    _same(_run(sde_name, S.SDEDPMSolverPP2M(eta=0.0), n=20), _run(sde_name, S.DPMSolverPP2M(), n=20))
    _same(_run(sde_name, S.SDEDPMSolverPP3M(eta=0.0), n=20), _run(sde_name, S.DPMSolverPP3M(warmup="lower"), n=20))
    _same(_run(sde_name, S.SDEDPMSolverPP3M(eta=0.0), n=10), _run(sde_name, S.DPMSolverPP3M(warmup="lower"), n=10))


def test_dpmpp_3m_order2_is_dpmpp_2m_on_short_runs():
    """Fewer than 15 steps: the last step is first order in both (lower-order final)."""
    _same(_run("vp", S.DPMSolverPP3M(order=2), n=10), _run("vp", S.DPMSolverPP2M(), n=10))


@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_unic_corrector_after_a_history_predictor_is_unipc(sde_name):
    """UniC as a separate corrector, after DDIM-with-history, is UniPC-1, at the same NFE (reused evaluation)."""
    a = _run(sde_name, S.UniPC(order=1), n=15)
    b = _run(sde_name, S.DPMSolverPP3M(order=1, warmup="lower"), S.UniC(order=1), n=15)
    _same(a, b)
    assert a.nfe == b.nfe == 15


def test_unic_nfe_accounting_and_refusals():
    r = _run("vp", S.DDIM(), S.UniC(), n=10)
    assert r.nfe == 20  # DDIM keeps no history: it evaluates again at the corrected point
    r = _run("vp", S.LMS(warmup="unic"), S.UniC(), n=10)
    assert r.nfe == 10  # LMS reuses UniC's evaluation
    r = _run("vp", S.LMS(), S.UniC(), n=10)
    assert r.nfe == 14 == 10 + 4  # LMS-4's DPM-Solver-3 start: two extra evaluations on each of two intervals
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    calls = sd.CountingScore(prob.mixture.score_fn(sde))
    with pytest.raises(ValueError, match="unic"):
        sd.sample(sde, calls, (4, 2), predictor=S.EulerMaruyama(), corrector=S.UniC())
    assert calls.nfe == 0
    for bad in (dict(order=4), dict(variant="bh3")):
        with pytest.raises(ValueError, match=list(bad)[0]):
            S.UniC(**bad)


def _heun_sigma_reference(sde, score, x_T, grid):
    """Karras et al. 2022, Alg. 1 written directly on the denoiser D(x~, sigma), x~ = x/m."""
    def ms(t):
        tt = torch.tensor(t, dtype=torch.float64)
        return float(torch.exp(sde.log_mean_coeff(tt))), float(torch.sqrt(sde.marginal_var(tt)))

    def D(xt, t):
        m, s = ms(t)
        return xt + (s / m) ** 2 * m * score(m * xt, torch.full((xt.shape[0],), t, dtype=xt.dtype))

    ts = grid.tolist()
    xt = x_T / ms(ts[0])[0]
    for t, t1 in zip(ts[:-1], ts[1:]):
        (m, s), (m1, s1) = ms(t), ms(t1)
        sig, sig1 = s / m, s1 / m1
        d = (xt - D(xt, t)) / sig
        x1 = xt + (sig1 - sig) * d
        d1 = (x1 - D(x1, t1)) / sig1
        xt = xt + (sig1 - sig) * 0.5 * (d + d1)
    return ms(ts[-1])[0] * xt


@pytest.mark.parametrize("sde_name", ["vp", "ve", "subvp"])
def test_edm_without_churn_is_heun_in_sigma(sde_name):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    grid = grids.karras(sde, 9)
    r = _run(sde_name, S.EDMStochastic(s_churn=0.0), n=9, grid="karras")
    x_T = sde.prior_sampling((16, 2), torch.Generator().manual_seed(3), dtype=torch.float64)
    ref = _heun_sigma_reference(sde, prob.mixture.score_fn(sde), x_T, grid)
    torch.testing.assert_close(r.x, ref, rtol=1e-12, atol=1e-12)
    assert r.nfe == 18
    # no restart interval on the grid: Restart is the same Heun sampler
    _same(_run(sde_name, S.Restart(t_min=1e-7, t_max=2e-7), n=9, grid="karras"), r)


def test_edm_churn_window_and_cap():
    """S_tmin/S_tmax select where churn happens; outside it the sampler is Heun; sigma^ <= sigma(T)."""
    a = _run("vp", S.EDMStochastic(s_churn=5.0, s_tmin=1e6, s_tmax=1e7), n=9, grid="karras")
    b = _run("vp", S.EDMStochastic(s_churn=0.0), n=9, grid="karras")
    _same(a, b)
    c = _run("vp", S.EDMStochastic(s_churn=5.0), n=9, grid="karras")
    assert not torch.allclose(c.x, b.x)
    with pytest.raises(ValueError, match="s_tmax"):
        S.EDMStochastic(s_tmin=2.0, s_tmax=1.0)


def test_restart_nfe_and_noise():
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    g = grids.uniform(sde, 10)  # times 1, 0.9001, ..., 0.1009, 0.001
    st = S.Restart(t_min=0.15, t_max=0.45, K=3)
    r = _run("vp", st, n=10, grid="uniform")
    ts = g.tolist()
    j_min = next(j for j, t in enumerate(ts) if t <= 0.15)
    j_max = max(j for j, t in enumerate(ts[:j_min]) if t >= 0.45)
    assert r.nfe == st.nfe(g) == 2 * 10 + 3 * 2 * (j_min - j_max)
    assert not torch.equal(r.x, _run("vp", st, n=10, grid="uniform", seed=1).x)


def test_moments_joint_propagation_matches_monte_carlo():
    """The joint exact-moment path (stochastic multistep: the history carries earlier noise) against sampling."""
    prob = sd.get_problem("gaussian")
    sde = prob.sde("vp")
    g = grids.log_snr(sde, 8)
    for step in (S.SDEDPMSolverPP2M(), S.Restart(t_min=0.2, t_max=0.6, K=2)):
        mu, v = propagate_gaussian(sde, prob.mixture, step, None, g)
        n = 100_000
        x_T = prob.mixture.sample_t(sde, sde.T, n, torch.Generator().manual_seed(1))
        x = sd.sample(sde, prob.mixture.score_fn(sde), (n, 2), predictor=step, grid=g, x_T=x_T,
                      dtype=torch.float64, seed=2).x
        assert bool(((x.mean(0) - mu).abs() < 4 * (v / n).sqrt()).all()), step
        assert bool(((x.var(0) - v).abs() < 4 * v * (2 / n) ** 0.5).all()), step


def test_helpers_against_closed_forms():
    for z in (-3.0, -0.7, -1e-3, 0.4, 2.0):
        assert math.isclose(phi(1, z), math.expm1(z) / z, rel_tol=1e-12)
        assert math.isclose(phi(2, z), (math.expm1(z) - z) / z**2, rel_tol=1e-9)
        assert math.isclose(phi(3, z), (math.expm1(z) - z - z * z / 2) / z**3, rel_tol=1e-6)
    # Lagrange weights integrate polynomials of degree < n exactly
    nodes, a, b = [0.3, 0.1, -0.2, -0.6], 0.3, 0.8
    w = lagrange_integrals(nodes, a, b)
    for k in range(4):
        exact = (b ** (k + 1) - a ** (k + 1)) / (k + 1)
        assert math.isclose(sum(wi * u**k for wi, u in zip(w, nodes)), exact, rel_tol=1e-12)


@pytest.mark.parametrize("make,field", [(lambda: S.DPMSolverPP3M(order=4), "order"), (lambda: S.UniPC(order=0), "order"),
                                        (lambda: S.UniPC(variant="x"), "variant"), (lambda: S.LMS(order=7), "order"),
                                        (lambda: S.DEIS(warmup="x"), "warmup"), (lambda: S.DPMSolver2(r1=1.5), "r1"),
                                        (lambda: S.DPMSolver3(r1=0.7, r2=0.5), "r1"), (lambda: S.SDEDPMSolverPP2M(eta=-1), "eta"),
                                        (lambda: S.Restart(t_min=0.5, t_max=0.2), "t_max"), (lambda: S.Restart(K=0), "K"),
                                        (lambda: S.UniPC(lower_order_final="x"), "lower_order_final")])
def test_bad_options_name_the_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()


def test_lower_order_final_always_changes_only_the_last_two_steps():
    a = _run("vp", S.UniPC(order=3), n=20, grid="uniform")
    b = _run("vp", S.UniPC(order=3, lower_order_final="always"), n=20, grid="uniform")
    c = _run("vp", S.UniPC(order=3, lower_order_final="always"), n=10, grid="uniform")
    d = _run("vp", S.UniPC(order=3), n=10, grid="uniform")  # fewer than 15 steps: the same rule
    assert not torch.allclose(a.x, b.x)
    _same(c, d)
