"""14. EDM's sigma-view: preconditioning from unit-variance targets, the rho time steps, the churn sampler.

Run it: ``python derivations/14_edm_preconditioning_and_sampler.py [--fast]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from .. import grids
from ..analytic import GaussianMixture
from ..sde import VESDE
from .core import Derivation
from .common import CHI2_999, F64, diffused, gen, loglik_z, slope, weights_chi2

KEY = "14"
TITLE = "EDM's sigma-view: preconditioning, the rho time steps, the churn sampler"
CLAIM = (
    "Write the denoiser as D(x; sigma) = c_skip x + c_out F(c_in x; c_noise). Asking for unit-variance network inputs "
    "and training targets, and for the smallest c_out (least amplification of F's errors), gives c_in = 1/sqrt(sigma^2 + "
    "sigma_data^2), c_skip = sigma_data^2/(sigma^2 + sigma_data^2), c_out = sigma sigma_data/sqrt(sigma^2 + "
    "sigma_data^2) and loss weight 1/c_out^2; c_noise = ln(sigma)/4 is a choice, not a derivation. The PF-ODE is dx/dsigma "
    "= (x - D(x; sigma))/sigma. The rho-schedule interpolates uniform (rho = 1) and geometric (rho -> inf) steps; "
    "Heun on it is second order. The churn step x^ = x + sqrt(sigma^^2 - sigma^2) z maps p_sigma exactly to p_sigma^, "
    "so the stochastic sampler keeps the right marginals."
)
SOURCES = ("Karras, Aittala, Aila & Laine 2022 (EDM), Eq. 3-5, 7-8, Table 1, Sec. 5 and App. B.6 (preconditioning), "
           "Alg. 1 (Heun) and Alg. 2 (churn)")


def denoiser(mix: GaussianMixture):
    """The exact D(x; sigma) = E[y | y + sigma n = x] = x + sigma^2 grad log p_sigma(x) (Tweedie)."""
    def D(x, sigma):
        return x + sigma**2 * diffused(mix, 1.0, sigma).score(x)
    return D


def edm_sampler(D, x, sigmas, *, churn=0.0, s_tmin=0.0, s_tmax=float("inf"), s_noise=1.0, seed=0):
    """EDM Algorithm 2 (Heun with churn; churn = 0 is Algorithm 1). sigmas decreasing, last one may be 0."""
    g = gen(seed)
    n = len(sigmas) - 1
    for i in range(n):
        s, s1 = sigmas[i], sigmas[i + 1]
        gamma = min(churn / n, math.sqrt(2) - 1) if s_tmin <= s <= s_tmax else 0.0
        sh = s * (1 + gamma)
        if gamma > 0:
            x = x + math.sqrt(sh**2 - s**2) * s_noise * torch.randn(x.shape, generator=g, dtype=F64)
        dx = (x - D(x, sh)) / sh
        xn = x + (s1 - sh) * dx
        if s1 > 0:
            dx2 = (xn - D(xn, s1)) / s1
            xn = x + (s1 - sh) * (dx + dx2) / 2
        x = xn
    return x


def rho_sigmas(smax, smin, n, rho):
    """sigma_i = (smax^(1/rho) + i/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho, i < n, and sigma_n = 0 (EDM Eq. 5)."""
    i = np.arange(n) / (n - 1)
    return list((smax ** (1 / rho) + i * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho) + [0.0]


def derive(d: Derivation) -> None:
    sg, sd = sp.symbols("σ σ_data", positive=True)
    cs = sp.Symbol("c_skip", real=True)

    d.step("Preconditioning from unit-variance requirements (EDM App. B.6)")
    d.say("""Training pairs: clean y with Var y = sigma_data^2, noisy x = y + sigma n. Network input c_in x: unit
    variance needs c_in^2 (sigma_data^2 + sigma^2) = 1. Training target of F: (y - c_skip x)/c_out, with variance
    ((1 - c_skip)^2 sigma_data^2 + c_skip^2 sigma^2)/c_out^2; unit variance fixes c_out^2 as that numerator, and
    c_skip is chosen to make c_out as small as possible:""")
    cout2 = (1 - cs) ** 2 * sd**2 + cs**2 * sg**2
    c_skip = sp.solve(sp.diff(cout2, cs), cs)[0]
    d.show("c_skip", c_skip)
    d.equal("c_skip = sigma_data^2/(sigma^2 + sigma_data^2)", c_skip, sd**2 / (sg**2 + sd**2))
    d.holds("... and it is a minimum (d^2 c_out^2/d c_skip^2 > 0)", sp.diff(cout2, cs, 2).is_positive)
    c_out = sp.sqrt(sp.simplify(cout2.subs(cs, c_skip)))
    d.equal("c_out = sigma sigma_data/sqrt(sigma^2 + sigma_data^2)", c_out, sg * sd / sp.sqrt(sg**2 + sd**2))
    d.say("""The loss lambda(sigma) |D - y|^2 = lambda c_out^2 |F - target|^2: EDM takes lambda = 1/c_out^2 so that the
    network's loss has unit weight at every sigma (Eq. 8, Table 1). c_noise = ln(sigma)/4 only maps sigma to a
    convenient input range: an empirical choice.""")
    d.equal("lambda(sigma) = (sigma^2 + sigma_data^2)/(sigma sigma_data)^2 = 1/c_out^2", 1 / c_out**2,
            (sg**2 + sd**2) / (sg * sd) ** 2)
    d.say("""For comparison, the other parameterisations in the same form: eps-prediction (VE) has c_skip = 1,
    c_out = -sigma (target variance 1, but an error in F is amplified by sigma); x0-prediction has c_skip = 0, c_out = 1
    (target variance sigma_data^2, unit input only with c_in).""")

    d.step("Measured: the preconditioned target has unit variance at every sigma (1-D mixture, exact)")
    mix = GaussianMixture([0.3, 0.45, 0.25], [[-1.0], [0.3], [1.3]], [0.18, 0.15, 0.22])
    sdata = math.sqrt(float(mix.covariance()[0, 0]))
    n = 100000 if d.fast else 1000000
    g = gen(1)
    y = mix.sample(n, g)
    nz = torch.randn(y.shape, generator=g, dtype=F64)
    rows, worst = [], 0.0
    D = denoiser(mix)
    for s_ in (0.002, 0.05, 0.5, 5.0, 80.0):
        x = y + s_ * nz
        cin = 1 / math.sqrt(s_**2 + sdata**2)
        ck = sdata**2 / (s_**2 + sdata**2)
        co = s_ * sdata / math.sqrt(s_**2 + sdata**2)
        tgt = (y - ck * x) / co
        f_star = (D(x, s_) - ck * x) / co  # the ideal F: the best predictor of the target
        rows.append([s_, float((cin * x).var()), float(tgt.var()), float(f_star.var()), float(y.var()), float(nz.var() * s_**2)])
        worst = max(worst, abs(float(tgt.var()) - 1), abs(float((cin * x).var()) - 1))
    d.table(["sigma", "Var c_in x", "Var F target", "Var F* (exact D)", "Var x0-target", "Var of sigma eps"], rows)
    d.at_most(f"max |variance - 1| of c_in x and of the F target over sigma in [0.002, 80] (n = {n})", worst, 0.02)

    d.step("The rho time steps (EDM Eq. 5)")
    r, u = sp.symbols("ρ u", positive=True)
    a_, b_ = sp.symbols("a b", positive=True)  # sigma_max, sigma_min
    sig_u = (a_ ** (1 / r) + u * (b_ ** (1 / r) - a_ ** (1 / r))) ** r
    d.zero("rho = 1: uniform in sigma", sig_u.subs(r, 1) - (a_ + u * (b_ - a_)))
    lim = sp.limit(sp.log(sig_u), r, sp.oo)
    d.equal("rho -> inf: log sigma(u) -> (1 - u) log sigma_max + u log sigma_min (geometric)", sp.expand_log(lim, force=True),
            (1 - u) * sp.log(a_) + u * sp.log(b_))
    ve = VESDE(sigma_min=0.002, sigma_max=80.0, marginal="smld")
    gk = grids.karras(ve, 17, rho=7.0)
    hi, lo = float(ve.noise_level(gk[0])), float(ve.noise_level(gk[-1]))
    mine = np.asarray(rho_sigmas(hi, lo, 18, 7.0)[:-1])
    d.at_most("grids.karras(VESDE, 17, rho=7) noise levels vs Eq. 5 written here (max relative error)",
              float(np.abs(ve.noise_level(gk).numpy() / mine - 1).max()), 1e-10)

    d.step("Measured: Heun on the sigma-ODE (Alg. 1) is second order; rho = 7 beats uniform and geometric")
    d.say("""dx/dsigma = (x - D(x; sigma))/sigma = -sigma grad log p_sigma(x), from sigma_max = 80 to sigma_min = 0.002,
    the last step to sigma = 0 is Euler (x = D). Error of the end point against a DOP853 reference on the same start
    points, at equal step counts:""")
    from scipy.integrate import solve_ivp

    x_T = 80.0 * torch.randn(64 if d.fast else 256, 1, generator=gen(2), dtype=F64)

    def rhs(s_, yv):
        xv = torch.from_numpy(yv)[:, None]
        return ((xv - D(xv, s_)) / s_)[:, 0].numpy()

    ref = solve_ivp(rhs, (80.0, 0.002), x_T[:, 0].numpy(), method="DOP853", rtol=1e-11, atol=1e-11).y[:, -1]
    ref = torch.from_numpy(ref)[:, None]
    ref = D(ref, 0.002)  # the same final Euler step to sigma = 0
    steps = [8, 16, 32, 64] if d.fast else [8, 16, 32, 64, 128]
    rows, errs = [], {}
    for rho in (1.0, 7.0, 1e6):
        errs[rho] = []
        for nn in steps:
            out = edm_sampler(D, x_T.clone(), rho_sigmas(80.0, 0.002, nn, rho))
            errs[rho].append(float((out - ref).abs().max()))
    for j, nn in enumerate(steps):
        rows.append([nn, 2 * nn - 1] + [errs[rho][j] for rho in (1.0, 7.0, 1e6)])
    d.table(["steps", "NFE", "rho = 1 (uniform)", "rho = 7", "rho -> inf (geometric)"], rows)
    d.between("Heun, rho = 7: measured order in the number of steps (last three)", slope(steps[-3:], errs[7.0][-3:]), 1.7, 3.0)
    d.holds("rho = 7 has the smallest error of the three at 32 steps",
            errs[7.0][2] < min(errs[1.0][2], errs[1e6][2]), [errs[r_][2] for r_ in (1.0, 7.0, 1e6)])

    d.step("The churn sampler (Alg. 2): noise that moves p_sigma to p_sigma^ exactly")
    v, gm = sp.symbols("v γ", positive=True)
    d.say("""Alg. 2 first raises the noise level: sigma^ = (1 + gamma) sigma, x^ = x + sqrt(sigma^^2 - sigma^2) S_noise z.
    If x ~ p_sigma = p * N(0, sigma^2) then x^ ~ p * N(0, sigma^2 + sigma^^2 - sigma^2) = p_sigma^ exactly (S_noise = 1),
    and the Heun step from sigma^ to sigma_{i+1} follows the ODE. In variances:""")
    d.zero("Var: v + sigma^2 + (sigma^^2 - sigma^2) = v + sigma^^2", v + sg**2 + ((1 + gm) ** 2 * sg**2 - sg**2) - (v + ((1 + gm) * sg) ** 2))
    n2 = 4000 if d.fast else 20000
    x_T = 80.0 * torch.randn(n2, 1, generator=gen(3), dtype=F64)
    sig = rho_sigmas(80.0, 0.002, 64, 7.0)
    target = diffused(mix, 1.0, 0.002)
    for name, kw in (("Heun, no churn (Alg. 1)", {}), ("churn S_churn = 10, S_tmin = 0.05, S_tmax = 50 (Alg. 2)",
                                                     dict(churn=10.0, s_tmin=0.05, s_tmax=50.0, seed=4))):
        out = edm_sampler(D, x_T.clone(), sig, **kw)
        d.between(f"{name}, 64 steps: z-score of mean log p_0.002 vs exact samples", loglik_z(target, out, n2, 5), -4, 4)
        d.at_most(f"{name}: chi^2 of mode counts vs weights (2 dof)", weights_chi2(mix, out), CHI2_999[2])
