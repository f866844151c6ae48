"""17. PF-ODE likelihood: the instantaneous change of variables.

Run it: ``python derivations/17_pf_ode_likelihood.py [--fast]``.
"""
from __future__ import annotations

import math

import sympy as sp
import torch

from ..likelihood import likelihood
from ..problems import get_problem
from .core import Derivation
from .common import F64, gen, marginal, ode_solve

KEY = "17"
TITLE = "PF-ODE likelihood: the instantaneous change of variables"
CLAIM = (
    "Along a path of dx/dt = v(x, t) the density transported by the flow obeys d/dt log p_t(x(t)) = -div v(x(t), t) "
    "(continuity equation + chain rule), so log p_eps(x) = log p_T(x(T)) + int_eps^T div v dt with v the PF-ODE "
    "drift f x - g^2/2 score. For a Gaussian the integral is the log-determinant of the linear flow. Hutchinson's "
    "E[z^T J z] = tr J (E z z^T = I) gives an unbiased divergence from one vector-Jacobian product. With the exact "
    "mixture score the integral reproduces the exact log p_eps on gmm2d (the remaining error is the prior mismatch "
    "p_T vs N(0, s_T^2) and the solver tolerance)."
)
SOURCES = ("Chen et al. 2018 (neural ODEs), Theorem 1 (instantaneous change of variables); Grathwohl et al. 2019 "
           "(FFJORD), Eq. 5-7 (Hutchinson trace estimator); Song et al. 2021 (score SDE), Sec. 4.3 and App. D.2, "
           "Eq. 39-40; Hutchinson 1990")


def derive(d: Derivation) -> None:
    x, t = sp.symbols("x t", real=True)
    p = sp.Function("p", positive=True)(x, t)
    v = sp.Function("v")(x, t)

    d.step("The instantaneous change of variables (sympy)")
    d.say("""The density carried by dx/dt = v obeys the continuity equation dp/dt = -d/dx (p v) (derivation 05: the
    PF-ODE's continuity equation is the Fokker-Planck equation). Along a path x(t), the total derivative of log p is
    d_t log p + v d_x log p; substitute the continuity equation:""")
    dlogp_dt = -sp.diff(p * v, x) / p  # partial_t log p from the continuity equation
    total = dlogp_dt + v * sp.diff(sp.log(p), x)
    d.show("d/dt log p(x(t), t)", sp.simplify(total))
    d.zero("d/dt log p_t(x(t)) + d/dx v(x(t), t) = 0", sp.simplify(total + sp.diff(v, x)))
    d.say("""So log p_eps(x(eps)) = log p_T(x(T)) + int_eps^T div v(x(t), t) dt: integrate x and the divergence together
    from the data point up to T and evaluate the prior there.""")
    a, b, c0 = sp.symbols("a b c_0", positive=True)
    d.say("""Check on a linear flow dx/dt = -a x (so div v = -a) carrying N(0, c0): x(t) = x(0) e^{-a t},
    p_t = N(0, c0 e^{-2 a t}):""")
    lp = lambda xv, tv: -xv**2 / (2 * c0 * sp.exp(-2 * a * tv)) - sp.log(2 * sp.pi * c0 * sp.exp(-2 * a * tv)) / 2  # noqa: E731
    x0 = sp.Symbol("x_0", real=True)
    path = x0 * sp.exp(-a * t)
    d.zero("log p_t(x(t)) - log p_0(x_0) = -int_0^t div v = a t", sp.simplify(sp.expand_log(lp(path, t) - lp(x0, 0) - a * t, force=True)))

    d.step("Hutchinson's trace estimator (sympy, 2 x 2)")
    J = sp.Matrix(2, 2, sp.symbols("j11 j12 j21 j22", real=True))
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    z = sp.Matrix([z1, z2])
    quad = sp.expand((z.T * J * z)[0])
    expect = quad.subs({z1 * z2: 0}).subs({z1**2: 1, z2**2: 1})  # E z_i z_j = delta_ij (Gaussian or Rademacher)
    d.equal("E[z^T J z] = tr J when E[z z^T] = I", expect, J.trace())

    d.step("Measured: log-likelihoods on gmm2d with the exact score")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    sde = prob.sde("vp")
    n = 16 if d.fast else 64
    eps = sde.eps
    x = marginal(mix, sde, eps).sample(n, gen(1))
    exact = marginal(mix, sde, eps).log_prob(x)
    tol = 1e-7 if d.fast else 1e-9
    res = likelihood(sde, mix.score_fn(sde), x, rtol=tol, atol=tol)
    d.say(f"scoresde.likelihood (torchdiffeq dopri5, rtol = atol = {tol:g}, exact divergence by autograd), {n} points at t = eps:")
    d.at_most("max |log p (ODE) - exact log p_eps| (nats)", float((res.logp - exact).abs().max()), 2e-3)
    # the same integral written here: augmented state [x, int div], divergence by central differences of the drift
    score = mix.score_fn(sde)

    def drift(xv, tv):
        tt = torch.tensor(tv, dtype=F64)
        return float(sde.drift_coeff(tt)) * xv - 0.5 * float(sde.diffusion_sq(tt)) * score(xv, torch.full((xv.shape[0],), tv, dtype=F64))

    def aug(yv, tv):
        xv = yv[:, :2]
        h = 1e-5
        div = torch.zeros(xv.shape[0], dtype=F64)
        for k in range(2):
            e = torch.zeros(2, dtype=F64)
            e[k] = h
            div = div + (drift(xv + e, tv)[:, k] - drift(xv - e, tv)[:, k]) / (2 * h)
        return torch.cat([drift(xv, tv), div[:, None]], 1)

    y0 = torch.cat([x, torch.zeros(n, 1, dtype=F64)], 1)
    yT = ode_solve(aug, y0, eps, sde.T, rtol=1e-9, atol=1e-9)
    zT, delta = yT[:, :2], yT[:, 2]
    exact_T = marginal(mix, sde, sde.T).log_prob(zT)
    mine = exact_T + delta
    d.at_most("written here (DOP853, divergence by central differences, exact p_T as the prior): max |log p - exact|",
              float((mine - exact).abs().max()), 1e-5)
    prior_gap = float((sde.prior_logp(zT) - exact_T).abs().max())
    d.at_most("the prior mismatch |log N(0, s_T^2 I) - log p_T| at the latents (what limits the package's default)",
              prior_gap, 2e-3)
    seeds = 6 if d.fast else 20
    diffs = torch.stack([likelihood(sde, mix.score_fn(sde), x[:4], rtol=1e-6, atol=1e-6, divergence="hutchinson", probes=4,
                                    seed=sd).logp - res.logp[:4] for sd in range(seeds)])  # (seeds, 4)
    zs = diffs.mean(0) / (diffs.std(0) / math.sqrt(seeds))
    d.say(f"Hutchinson with 4 Rademacher probes per path, {seeds} independent probe seeds, 4 points: the per-seed error "
          f"has std {float(diffs.std(0).mean()):.2f} nats; unbiased means its average over seeds is 0 within its standard error.")
    d.at_most("max over 4 points |mean Hutchinson error| / standard error (t-statistic)", float(zs.abs().max()), 4.5)
