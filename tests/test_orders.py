"""Declared orders, measured against exact truth (exact mixture / Gaussian scores)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S
from scoresde.moments import propagate_gaussian
from scoresde.noise import BrownianNoise

from _solver_cases import predictor_cases

ODE_CASES = [(pid, p) for pid, p in predictor_cases() if p.deterministic_ode]
SDE_CASES = [(pid, p) for pid, p in predictor_cases() if p.stochastic]
#: DPM-Solver takes steps uniform in log-SNR (Lu et al. 2022, Sec. 3.4), and so do the other exponential
#: integrators and multistep methods; the rest uniform in t.
LOG_SNR = ("dpmpp_2m", "dpmpp_3m", "unipc", "deis", "lms", "dpm_solver_2", "dpm_solver_3", "sde_dpmpp_2m", "sde_dpmpp_3m")
GRID_FOR = {**{name: "log-snr" for name in LOG_SNR}, "lms": "uniform"}
#: higher-order methods reach their asymptotic regime later on gmm2d (measured slopes approach the order from
#: below or above as n grows: LMS-4 3.54 on 32-320 log-SNR steps, 3.88 on 80-640 uniform ones)
NS_FOR = {"lms": [80, 160, 320, 640], "deis": [80, 160, 320, 640], "dpmpp_3m": [64, 128, 320, 640]}
#: issue 14's samplers: the default suite measures them on VP; the other SDEs run under -m slow
NEW = {"dpmpp_3m", "unipc", "deis", "lms", "dpm_solver_2", "dpm_solver_3", "sde_dpmpp_2m", "sde_dpmpp_3m", "edm",
       "restart"}


#: (SDE, case id) measured outside +-0.15 on these step counts in the slow sweep (pre-asymptotic on gmm2d)
PRE_ASYMPTOTIC = {
    ("ve", "dpmpp_3m"): "3.15 on 64-640 log-SNR steps", ("subvp", "dpmpp_3m"): "3.17 on 64-640 log-SNR steps",
    ("ve", "deis{'order': 4}"): "4.22 on 80-640 log-SNR steps", ("vp-cosine", "restart"): "2.19 (weak) on 50-400 steps",
    # declared 3: the warm-up's first step caps it asymptotically; the bulk is order 5 (UniP-4 + UniC-4), and
    # the slope on practical grids lies between (bounded in tests/test_high_order_multistep.py)
    ("vp", "unipc{'order': 4}"): "4.53 on 32-320 log-SNR steps", ("ve", "unipc{'order': 4}"): "4.33 on 32-320 log-SNR steps",
    ("subvp", "unipc{'order': 4}"): "4.32 on 32-320 log-SNR steps",
    # rho = 1/2 on the one-point steps (Zhao et al.'s code; B(h) matters there): slower to reach the
    # asymptote on subVP; 3.03 / 2.03 on 128-1280 steps (test_high_order_multistep, -m slow)
    ("subvp", "unipc"): "2.83 on 32-320 log-SNR steps",
    ("subvp", "unipc{'order': 2, 'variant': 'bh1', 'corrector': False}"): "2.16 on 32-320 log-SNR steps",
}


def _params(cases, sde_names):
    out = []
    for sde_name in sde_names:
        for pid, step in cases:
            marks = [pytest.mark.slow] if (step.name in NEW and sde_name != "vp") else []
            if (sde_name, pid) in PRE_ASYMPTOTIC:
                marks.append(pytest.mark.xfail(reason=f"measured {PRE_ASYMPTOTIC[sde_name, pid]}", strict=False))
            out.append(pytest.param(sde_name, pid, step, marks=marks, id=f"{sde_name}-{pid}"))
    return out


def slope(ns, errs) -> float:
    """Least-squares slope of -log(err) against log(n): the measured order."""
    return float(-np.polyfit(np.log(ns), np.log(errs), 1)[0])


def pf_ode_reference(sde, score, x_T):
    """scipy DOP853 (rtol = atol = 1e-10) from T to eps on the flattened batch, float64."""
    B = x_T.shape[0]

    def rhs(t, y):
        x = torch.from_numpy(y).reshape(x_T.shape)
        tt = torch.tensor(t, dtype=torch.float64)
        d = sde.drift_coeff(tt) * x - 0.5 * sde.diffusion_sq(tt) * score(x, torch.full((B,), t, dtype=torch.float64))
        return d.reshape(-1).numpy()

    sol = solve_ivp(rhs, (sde.T, sde.eps), x_T.reshape(-1).numpy(), method="DOP853", rtol=1e-10, atol=1e-10)
    assert sol.success
    return torch.from_numpy(sol.y[:, -1]).reshape(x_T.shape)


_REFS: dict = {}


@pytest.mark.parametrize("sde_name,pid,step", _params(ODE_CASES, ["vp", "ve", "subvp"]))
def test_pf_ode_order(sde_name, pid, step):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    score = prob.mixture.score_fn(sde)
    x_T = sde.prior_sampling((64, 2), torch.Generator().manual_seed(0), dtype=torch.float64)
    if sde_name not in _REFS:  # one reference per SDE for the whole module
        _REFS[sde_name] = pf_ode_reference(sde, score, x_T)
    ref = _REFS[sde_name]
    ns = NS_FOR.get(step.name, [32, 64, 128, 320])  # a decade of step counts
    make = grids.GRIDS[GRID_FOR.get(step.name, "uniform")]
    errs = []
    for n in ns:
        x = sd.sample(sde, score, x_T.shape, predictor=step, grid=make(sde, n), x_T=x_T, dtype=torch.float64).x
        errs.append(float(((x - ref) ** 2).mean().sqrt()))
    assert abs(slope(ns, errs) - step.order) < 0.15, (errs, slope(ns, errs))


def _gaussian_target(sde, data):
    e = torch.tensor(sde.eps, dtype=torch.float64)
    m = float(sde.mean_coeff(e))
    return m * data.means[0], m * m * data.stds[0] ** 2 + float(sde.marginal_var(e))


@pytest.mark.parametrize("sde_name,pid,step", _params(SDE_CASES, ["vp", "subvp", "vp-cosine", "ve"]))
def test_sde_weak_order_on_gaussian(sde_name, pid, step):
    """Exact output mean/variance (no sampling noise) vs the exact p_eps, started from the exact p_T.
    Stochastic multistep steps and Restart propagate the moments jointly over all draws (O(n^2)):
    they use 50-400 steps."""
    prob = sd.get_problem("gaussian")
    sde = prob.sde(sde_name)
    mean, var = _gaussian_target(sde, prob.mixture)
    ns = [200, 400, 800, 1600] if step.name not in NEW else [50, 100, 200, 400]
    if sde_name == "ve" and step.name == "euler_maruyama":
        # On VE + Gaussian data EM's first-order weak-error constant is tiny (~0.05/n) and an O(1/n^2)
        # term dominates coarse grids (the error changes sign near n = 150); the asymptotic regime starts later.
        ns = [2000, 4000, 8000, 16000]
    errs = []
    for n in ns:
        mu, v = propagate_gaussian(sde, prob.mixture, step, None, grids.GRIDS[GRID_FOR.get(step.name, "uniform")](sde, n))
        errs.append(float((mu - mean).abs().max() + (v - var).abs().max()))
    assert abs(slope(ns, errs) - step.order) < 0.15, (errs, slope(ns, errs))


def test_moment_propagation_matches_monte_carlo():
    """The exact moments tool agrees with plain sampling (independent check of the tool itself)."""
    prob = sd.get_problem("gaussian")
    sde = prob.sde("vp")
    g = grids.uniform(sde, 8)
    mu, v = propagate_gaussian(sde, prob.mixture, S.ReverseDiffusion(), None, g)
    n = 200_000
    x_T = prob.mixture.sample_t(sde, sde.T, n, torch.Generator().manual_seed(1))
    x = sd.sample(sde, prob.mixture.score_fn(sde), (n, 2), predictor=S.ReverseDiffusion(), grid=g, x_T=x_T,
                  dtype=torch.float64, seed=2).x
    se_mu = (v / n).sqrt()
    assert bool(((x.mean(0) - mu).abs() < 4 * se_mu).all())
    se_v = v * (2 / n) ** 0.5
    assert bool(((x.var(0) - v).abs() < 4 * se_v).all())


def test_moment_propagation_rejects_non_affine():
    prob = sd.get_problem("gaussian")
    sde = prob.sde("vp")
    with pytest.raises(ValueError, match="langevin"):
        propagate_gaussian(sde, prob.mixture, S.EulerMaruyama(), S.Langevin(rule="snr"), grids.uniform(sde, 4))


def test_brownian_noise_shares_one_path_across_grids():
    """Increments of one path: the coarse step's normalised noise is the sum of the fine steps' increments."""
    like = torch.zeros(5, 3, dtype=torch.float64)
    src = BrownianNoise(seed=4, T=1.0, tol=1e-10)
    coarse = src(like, 1, 0, 0.8, 0.4) * (0.4**0.5)
    fine = src(like, 1, 0, 0.8, 0.6) * (0.2**0.5) + src(like, 1, 1, 0.6, 0.4) * (0.2**0.5)
    torch.testing.assert_close(coarse, fine, rtol=1e-8, atol=1e-8)
    other = BrownianNoise(seed=5, T=1.0)(like, 1, 0, 0.8, 0.4)
    assert not torch.allclose(other * 0.4**0.5, coarse)


@pytest.mark.slow
@pytest.mark.parametrize("sde_name", ["vp"])
def test_euler_maruyama_strong_order_one_with_shared_brownian_path(sde_name):
    """Additive noise: EM converges strongly at order 1. Runs at different step counts share one
    Brownian path (BrownianNoise); the reference is EM on a 4096-step grid along the same path."""
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    score = prob.mixture.score_fn(sde)
    x_T = sde.prior_sampling((256, 2), torch.Generator().manual_seed(3), dtype=torch.float64)

    def run(n):
        return sd.sample(sde, score, x_T.shape, predictor=S.EulerMaruyama(), grid=grids.uniform(sde, n), x_T=x_T,
                         noise=BrownianNoise(seed=7, T=sde.T, tol=1e-9), dtype=torch.float64).x

    ref = run(4096)
    ns = [32, 64, 128, 256]
    errs = [float(((run(n) - ref) ** 2).mean().sqrt()) for n in ns]
    assert abs(slope(ns, errs) - 1.0) < 0.2, errs


def _loglik_z(mixture, sde, x, n_ref, seed):
    """Two-sample z-score of mean log p_eps between sampler output and exact samples."""
    ref = mixture.sample_t(sde, sde.eps, n_ref, torch.Generator().manual_seed(seed))
    a = mixture.log_prob(x.double(), sde, sde.eps)
    b = mixture.log_prob(ref, sde, sde.eps)
    se = (a.var() / a.numel() + b.var() / b.numel()).sqrt()
    return float((a.mean() - b.mean()) / se)


def _weights_chi2(mixture, x):
    counts = torch.bincount(mixture.component_of(x.double()), minlength=mixture.n_components).double()
    exp = mixture.weights * counts.sum()
    return float(((counts - exp) ** 2 / exp).sum())


SAMPLER_CASES = [(pid, p, None) for pid, p in predictor_cases() if p.name != "none"] + [
    ("pc_langevin_sigma", S.ReverseDiffusion(), S.Langevin(snr=0.16)),
    ("dpmpp_3m+unic", S.DPMSolverPP3M(), S.UniC()),
]


@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_per_sample_snr_rule_is_biased_in_two_dimensions(sde_name):
    """The per-sample SNR step e(x) = 2 alpha (r ||z||/||s(x)||)^2 depends on x, so unadjusted Langevin
    targets p/e(x), not p: on gmm2d the PC sampler's log-likelihood is off by tens of standard errors,
    while rule="sigma" (the same scale with x-independent norms) is within the noise floor."""
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    z_snr = _loglik_z(prob.mixture, sde, _from_exact_p_T(prob, sde, 4000, S.ReverseDiffusion(), S.Langevin(rule="snr"), 200).x, 4000, 17)
    z_sig = _loglik_z(prob.mixture, sde, _from_exact_p_T(prob, sde, 4000, S.ReverseDiffusion(), S.Langevin(rule="sigma"), 200).x, 4000, 17)
    assert z_snr < -10 and abs(z_sig) < 4, (z_snr, z_sig)


def _from_exact_p_T(prob, sde, n, predictor, corrector, steps):
    """Start from exact samples of p_T, so that only the sampler's error is measured (the prior
    N(0, s(T)^2) differs from p_T by the data's spread; the PF-ODE carries that mismatch to the end)."""
    x_T = prob.mixture.sample_t(sde, sde.T, n, torch.Generator().manual_seed(23))
    return sd.sample(sde, prob.mixture.score_fn(sde), x_T.shape, predictor=predictor, corrector=corrector,
                     grid=grids.uniform(sde, steps), seed=5, x_T=x_T, dtype=torch.float64)


@pytest.mark.parametrize("sde_name", ["vp", "ve"])
@pytest.mark.parametrize("pid,predictor,corrector", SAMPLER_CASES, ids=[c[0] for c in SAMPLER_CASES])
def test_every_sampler_reaches_gmm2d(sde_name, pid, predictor, corrector):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    n = 4000
    res = _from_exact_p_T(prob, sde, n, predictor, corrector, 400)
    assert abs(_loglik_z(prob.mixture, sde, res.x, n, 17)) < 4
    assert _weights_chi2(prob.mixture, res.x) < 24.3  # chi^2_7 at p = 0.001


@pytest.mark.slow
@pytest.mark.parametrize("sde_name", ["vp", "ve"])
@pytest.mark.parametrize("pid,predictor,corrector", SAMPLER_CASES, ids=[c[0] for c in SAMPLER_CASES])
def test_every_sampler_reaches_gmm64d(sde_name, pid, predictor, corrector):
    prob = sd.get_problem("gmm64d")
    sde = prob.sde(sde_name)
    n = 4000
    # first-order steps need a finer grid in 64-D (ode_euler on VE is still biased at 1000 steps: z ~ 5)
    steps = 1000 if (predictor.order or 1) >= 2 else 4000
    res = _from_exact_p_T(prob, sde, n, predictor, corrector, steps)
    assert abs(_loglik_z(prob.mixture, sde, res.x, n, 17)) < 4
    assert _weights_chi2(prob.mixture, res.x) < 16.3  # chi^2_3 at p = 0.001
