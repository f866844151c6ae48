"""6. DDPM ancestral sampling and the reverse-diffusion predictor: two discretisations of the reverse VP SDE.

Run it: ``python derivations/06_ddpm_ancestral_vs_reverse_diffusion.py [--fast]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from .. import grids
from ..analytic import gaussian
from ..moments import propagate_gaussian
from ..noise import PREDICTOR
from ..problems import get_problem
from ..sampler import sample
from ..sde import VPSDE
from ..solvers import Ancestral, EulerMaruyama, ReverseDiffusion
from .core import Derivation
from .common import F64, gaussian_moments_at, gen, moment_error, ms, slope, taylor

KEY = "06"
TITLE = "DDPM ancestral sampling vs reverse diffusion: which is exact for what"
CLAIM = (
    "Both x_{i-1} = (x_i + beta_i s)/sqrt(1 - beta_i) + sigma_i z (DDPM ancestral, Ho et al. Alg. 2) and "
    "x_{i-1} = (2 - sqrt(1 - beta_i)) x_i + beta_i s + sqrt(beta_i) z (reverse diffusion) are first-order "
    "discretisations of the reverse VP SDE and agree with each other only to first order in beta. With the exact "
    "score, the ancestral step's mean is the exact E[x_{i-1} | x_i] for any data; its variance is exact for "
    "unit-variance Gaussian data with sigma_i^2 = beta_i and for point-mass data with sigma_i^2 = beta~_i. "
    "Reverse diffusion is exact in neither case."
)
SOURCES = ("Ho et al. 2020, Eq. 6-7, 11, Alg. 2 and Sec. 3.2 (the two variance choices); Song et al. 2021 (score "
           "SDE), Eq. 4 (the ancestral step in score form), Eq. 46-47 and Appendix E-F (reverse diffusion, SMLD ancestral sampling)")


class TableNoise:
    """Noise drawn once per (stream, step) and shared with an independent reference loop."""

    def __init__(self, shape, seed=0):
        self.shape, self.g, self.table = shape, gen(seed), {}

    def get(self, stream, step):
        if (stream, step) not in self.table:
            self.table[(stream, step)] = torch.randn(self.shape, generator=self.g, dtype=F64)
        return self.table[(stream, step)]

    def __call__(self, like, stream, step, t=0.0, t_next=0.0):
        return self.get(stream, step)


def derive(d: Derivation) -> None:
    b, A, mu, x = sp.symbols("β ᾱ_{i-1} μ x", positive=True)
    C = sp.Symbol("c²", nonnegative=True)

    d.step("The exact reverse step for Gaussian data N(mu, c^2), one coordinate (sympy)")
    d.say("""Chain step x_i = a x_{i-1} + sqrt(beta) z with a = sqrt(1 - beta); x_{i-1} = sqrt(abar_{i-1}) x_0 + noise.
    Then P = Var[x_{i-1}] = abar_{i-1} c^2 + 1 - abar_{i-1}, Var[x_i] = a^2 P + beta, Cov = a P, and Gaussian
    conditioning gives the exact reverse kernel q(x_{i-1} | x_i):""")
    a = sp.sqrt(1 - b)
    m1 = sp.sqrt(A)
    P = A * C + 1 - A
    Vi = a**2 * P + b
    mean_exact = m1 * mu + a * P / Vi * (x - a * m1 * mu)
    V_exact = sp.simplify(P * b / Vi)
    score = -(x - a * m1 * mu) / Vi  # exact score of p_i
    d.show("E[x_{i-1} | x_i = x]", "sqrt(ᾱ_{i-1}) μ + a P/(a² P + β) (x - a sqrt(ᾱ_{i-1}) μ)")
    d.show("Var[x_{i-1} | x_i]", "P β/(a² P + β)")
    mean_anc = (x + b * score) / a
    d.equal("ancestral mean (x + beta s)/sqrt(1 - beta) = E[x_{i-1} | x_i] exactly (any mu, c)", mean_anc, mean_exact)
    d.say("""This holds for any data, not just Gaussians: x_i | x_{i-1} ~ N(a x_{i-1}, beta) gives
    grad log p_i(x) = (a E[x_{i-1} | x] - x)/beta (Tweedie's formula for one step), i.e. E[x_{i-1} | x] = (x + beta s)/a.""")
    bt = (1 - A) / (1 - A * (1 - b)) * b
    s2_i = 1 - A * (1 - b)  # s_i^2 = 1 - abar_i
    var_x0 = C * s2_i / Vi  # Var[x_0 | x_i] for Gaussian data
    d.equal("Var[x_{i-1}|x_i] - beta~_i = (sqrt(abar_{i-1}) beta_i / s_i^2)^2 Var[x_0 | x_i] >= 0 "
            "(beta~ = posterior variance given x_0)", V_exact - bt, (sp.sqrt(A) * b / s2_i) ** 2 * var_x0)
    d.equal("the exact variance equals beta~_i iff c^2 = 0 (point-mass data)", sp.solve(sp.Eq(V_exact, bt), C)[0], 0)
    d.equal("the exact variance equals beta_i iff c^2 = 1 (unit-variance Gaussian data)", sp.solve(sp.Eq(V_exact, b), C)[0], 1)
    d.say("""So Ho et al.'s two choices sigma^2 = beta_i and sigma^2 = beta~_i are exact in those two extreme cases
    (their Sec. 3.2), and for other data the ancestral step has the right mean but not the right variance.""")
    mean_rd = (2 - a) * x + b * score
    c_rd = taylor(mean_rd - mean_exact, b, 2)  # Taylor coefficients in beta
    r = sp.Symbol("r", positive=True)  # r = sqrt(abar_{i-1}), so that the coefficient is rational and cancels
    lead = sp.factor(sp.cancel(c_rd[2].subs(A, r**2))).subs(r, sp.sqrt(A))
    d.show("reverse-diffusion mean - exact mean, in powers of beta", lead * b**2 + sp.O(b**3))
    d.zero("reverse diffusion's mean agrees with the exact one to first order: no beta^0 or beta^1 term", c_rd[0] + c_rd[1] * b)
    d.zero("... and its variance beta_i too: Var - beta = O(beta^2)", sum(c * b**k for k, c in enumerate(taylor(V_exact - b, b, 1))))
    d.holds("... but not to second order (the beta^2 term of the mean is nonzero)", c_rd[2] != 0)
    em = x * (1 + b / 2) + b * score  # EM with beta_i = beta(t) dt
    d.zero("Euler-Maruyama x + (beta x/2 + beta s) also agrees to first order",
           sum(c * b**k for k, c in enumerate(taylor(em - mean_exact, b, 1))))

    d.step("Measured: Ho et al.'s Algorithm 2, written in DDPM notation, IS the ancestral step on the VP twin")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    N, B = 50, 16
    sde = prob.sde("vp", N=N)
    score_fn = mix.score_fn(sde)
    x_T = torch.randn(B, 2, generator=gen(9), dtype=F64)
    noise = TableNoise((B, 2))
    res = sample(sde, score_fn, (B, 2), predictor=Ancestral("posterior"), grid=grids.twin(sde), x_T=x_T, noise=noise,
                 dtype=F64)
    ch = sde.chain(N)
    beta, abar, times = ch.betas.tolist(), np.cumprod(1 - ch.betas.numpy()).tolist(), ch.times.tolist()
    xr = x_T.clone()
    for tt in range(N, 0, -1):  # Ho et al.'s t = T..1
        z = noise.get(PREDICTOR, N - tt) if tt > 1 else torch.zeros_like(xr)
        eps = -math.sqrt(1 - abar[tt - 1]) * score_fn(xr, torch.full((B,), times[tt], dtype=F64))  # eps_theta = -sqrt(1-abar) s
        abar_prev = abar[tt - 2] if tt > 1 else 1.0
        sigma = math.sqrt((1 - abar_prev) / (1 - abar[tt - 1]) * beta[tt - 1])
        xr = (xr - beta[tt - 1] / math.sqrt(1 - abar[tt - 1]) * eps) / math.sqrt(1 - beta[tt - 1]) + sigma * z
    d.at_most("max |Algorithm 2 - sampler(Ancestral, twin grid)| after 50 steps", float((res.x - xr).abs().max()), 1e-12)

    d.step("Measured: the ancestral mean is E[x_{i-1} | x_i] on gmm2d too (posterior computed component-wise)")
    sde = prob.sde("vp")
    x = mix.sample_t(sde, 0.3, 64, gen(2))
    errs = []
    for t_i, t_p in [(0.3, 0.29), (0.3, 0.2), (0.05, 0.04)]:
        one = sample(sde, mix.score_fn(sde), x.shape, predictor=Ancestral(), grid=torch.tensor([t_i, t_p], dtype=F64),
                     x_T=x, dtype=F64)
        a_, b_ = (float(v) for v in sde.transition(t_p, t_i))
        m_p, s_p = ms(sde, t_p)
        r = mix.responsibilities(x, sde, t_i)  # p(k | x_i)
        Pk = m_p**2 * mix.stds**2 + s_p**2  # (K, D): Var[x_{i-1} | k]
        Ek = m_p * mix.means[None] + (a_ * Pk / (a_**2 * Pk + b_**2))[None] * (x[:, None] - a_ * m_p * mix.means[None])
        exact = (r[:, :, None] * Ek).sum(1)
        errs.append(float((one.x_mean - exact).abs().max()))
    d.at_most("max |ancestral mean - E[x_{i-1} | x_i]| over 64 points and 3 intervals", max(errs), 1e-12)

    d.step("Measured: exact output laws on Gaussian data (moment propagation, no sampling noise)")
    N = 10
    sde = VPSDE(N=N)
    g_t1 = grids.twin(sde, N)[:-1]  # t_N = T, ..., t_1 = T/N
    unit = gaussian([0.7], [1.0])
    tgt = gaussian_moments_at(sde, unit, float(g_t1[-1]))
    e_anc = moment_error(propagate_gaussian(sde, unit, Ancestral("beta"), None, g_t1), tgt)
    e_rd = moment_error(propagate_gaussian(sde, unit, ReverseDiffusion(), None, g_t1), tgt)
    d.say(f"Unit-variance data N(0.7, 1), N = {N} twin steps from the exact p_T down to t_1:")
    d.at_most("ancestral, sigma^2 = beta: error of (mean, var) at t_1", e_anc, 1e-13)
    d.at_least("reverse diffusion: error of (mean, var) at t_1 (not exact)", e_rd, 1e-3)
    rows, ratios = [], []
    for c in (0.1, 0.01, 0.001):
        pm = gaussian([0.7], [c])
        tg = gaussian_moments_at(sde, pm, float(g_t1[-1]))
        ea = moment_error(propagate_gaussian(sde, pm, Ancestral("posterior"), None, g_t1), tg)
        er = moment_error(propagate_gaussian(sde, pm, ReverseDiffusion(), None, g_t1), tg)
        rows.append([c, ea, er])
        ratios.append(ea / c**2)
    d.say("Nearly point-mass data N(0.7, c^2): the ancestral error vanishes like c^2, reverse diffusion's does not:")
    d.table(["c", "ancestral (beta~) error", "reverse diffusion error"], rows)
    d.at_most("ancestral (beta~): error / c^2 stays bounded (max over c)", max(ratios), 1.0)
    d.at_least("reverse diffusion: error at c = 0.001 stays O(1/N)", rows[-1][2], 1e-3)

    gprob = get_problem("gaussian")  # stds 0.5 and 1.5: neither extreme
    ns = [25, 50, 100, 200] if d.fast else [25, 50, 100, 200, 400, 800]
    sde = gprob.sde("vp")
    tgt = gaussian_moments_at(sde, gprob.mixture, sde.eps)
    steps = [("ancestral, beta~", Ancestral("posterior")), ("ancestral, beta", Ancestral("beta")),
             ("reverse diffusion", ReverseDiffusion()), ("Euler-Maruyama", EulerMaruyama())]
    table = {k: [moment_error(propagate_gaussian(sde, gprob.mixture, st, None, grids.uniform(sde, n)), tgt) for n in ns]
             for k, st in steps}
    d.say("Generic Gaussian data (stds 0.5 and 1.5), uniform grids from T to eps, error at eps:")
    d.table(["n"] + [k for k, _ in steps], [[n] + [table[k][j] for k, _ in steps] for j, n in enumerate(ns)])
    for k, _ in steps:
        d.between(f"{k}: measured weak order", slope(ns, table[k]), 0.85, 1.15)

    d.step("Measured: reverse diffusion and ancestral differ by O(beta^2) per step (shared noise, gmm2d)")
    x = torch.randn(64, 2, generator=gen(1), dtype=F64) * 2
    t = 0.5
    bet, diffs = [], []
    for dt in [0.02, 0.01, 0.005, 0.0025, 0.00125]:
        gg = torch.tensor([t, t - dt], dtype=F64)
        rd = sample(sde, mix.score_fn(sde), x.shape, predictor=ReverseDiffusion(), grid=gg, x_T=x, noise=TableNoise(x.shape, 3), dtype=F64).x
        an = sample(sde, mix.score_fn(sde), x.shape, predictor=Ancestral("beta"), grid=gg, x_T=x, noise=TableNoise(x.shape, 3), dtype=F64).x
        a_, _ = sde.transition(t - dt, t)
        bet.append(1 - float(a_) ** 2)
        diffs.append(float((rd - an).abs().max()))
    d.table(["beta_i", "max |RD - ancestral|"], [[u, v] for u, v in zip(bet, diffs)])
    d.between("order of the one-step difference in beta (2 = first-order agreement only)", -slope(bet, diffs), 1.85, 2.15)

    d.step("The SMLD (VE) analogue: same mean, different noise (sympy, then one sampler step)")
    S, Sp = sp.symbols("σ_i σ_{i-1}", positive=True)
    b2 = S**2 - Sp**2  # the SMLD chain step x_i = x_{i-1} + b z
    d.say("""For the SMLD chain a = 1 and b^2 = sigma_i^2 - sigma_{i-1}^2, so E[x_{i-1} | x_i] = x_i + b^2 s (the same
    one-step Tweedie argument): the ancestral mean and reverse diffusion's mean x_i + (sigma_i^2 - sigma_{i-1}^2) s
    coincide. Only the noise differs: the posterior variance sigma_{i-1}^2 b^2 / sigma_i^2 (ancestral) vs b^2:""")
    gap = sp.factor(b2 - Sp**2 * b2 / S**2)
    d.show("b^2 - sigma_{i-1}^2 b^2/sigma_i^2", gap)
    d.equal("the variance gap is (sigma_i^2 - sigma_{i-1}^2)^2/sigma_i^2 = O(dt^2) (so first-order agreement)", gap,
            b2**2 / S**2)
    ve = prob.sde("ve", N=20)
    gv = grids.twin(ve)[:2]
    x_T = torch.randn(16, 2, generator=gen(9), dtype=F64) * ve.prior_std
    a_ = sample(ve, mix.score_fn(ve), x_T.shape, predictor=Ancestral(), grid=gv, x_T=x_T, noise=TableNoise(x_T.shape, 5), dtype=F64)
    r_ = sample(ve, mix.score_fn(ve), x_T.shape, predictor=ReverseDiffusion(), grid=gv, x_T=x_T, noise=TableNoise(x_T.shape, 5),
                dtype=F64)
    d.at_most("VE, one step: max |ancestral mean - reverse-diffusion mean|", float((a_.x_mean - r_.x_mean).abs().max()), 1e-10)
    sig = ve.chain(20).sigmas
    ratio = ((a_.x - a_.x_mean) / (r_.x - r_.x_mean)).flatten()
    d.at_most("VE, one step, shared noise: noise ratio = sigma_{i-1}/sigma_i (max deviation)",
              float((ratio - float(sig[-2] / sig[-1])).abs().max()), 1e-10)
