"""5. The probability-flow ODE has the same marginals as the SDE.

Run it: ``python derivations/05_probability_flow_ode.py [--fast] [--figures DIR]``.
"""
from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from .. import grids
from ..moments import propagate_gaussian
from ..problems import get_problem
from ..sampler import sample
from ..sde import VPSDE
from ..solvers import EulerMaruyama, Heun
from .core import Derivation
from .common import (CHI2_999, F64, gaussian_moments_at, gen, loglik_z, marginal, mixture_1d, moment_error, ode_solve,
                     pf_drift, plt, slope, weights_chi2)

KEY = "05"
TITLE = "The probability-flow ODE has the same marginals"
CLAIM = (
    "The deterministic ODE dx/dt = f(t) x - g(t)^2/2 grad log p_t(x) moves probability mass with velocity field v; "
    "its continuity equation d_t p = -div(v p) is the forward Fokker-Planck equation, so pushing p_T back along "
    "the ODE gives p_t at every t, although each path is deterministic where the SDE's paths spread."
)
SOURCES = ("Song et al. 2021 (score SDE), Eq. 13 and Appendix D.1; Maoutsa, Reich & Opper 2020; "
           "Chen et al. 2018 (continuity / instantaneous change of variables)")


def derive(d: Derivation) -> None:
    x, t = sp.symbols("x t", real=True)
    xT = sp.Symbol("x_T", real=True)
    f, g = sp.Function("f")(t), sp.Function("g")(t)
    p = sp.Function("p")(x, t)

    d.step("The continuity equation of the ODE is the Fokker-Planck equation (sympy, any p)")
    d.say("""A deterministic flow dx/dt = v(x, t) transports a density by d_t p = -d_x(v p). With
    v = f x - g^2/2 d_x log p, the product v p = f x p - g^2/2 d_x p, so:""")
    vel = f * x - g**2 / 2 * sp.diff(p, x) / p
    continuity = -sp.diff(vel * p, x)
    fokker_planck = -sp.diff(f * x * p, x) + g**2 / 2 * sp.diff(p, x, 2)
    d.equal("-d_x(v p) = -d_x(f x p) + g^2/2 d_xx p  (the forward Fokker-Planck right-hand side)", continuity,
            fokker_planck)
    d.say("""Both p_t (from the SDE) and the density transported by the ODE solve the same equation from the
    same p_T, so they coincide at every t. (Derivation 04 found this as the lam = 0 member of the family
    dx = [f x - (1 + lam^2)/2 g^2 score] dt + lam g dw_bar.)""")

    d.step("Gaussian data: the flow map is affine and pushes N(mu_T, v_T) to N(mu_t, v_t) (sympy)")
    mu, v = sp.Function("μ")(t), sp.Function("v")(t)
    muT, vT = sp.symbols("μ_T v_T", positive=True)
    odes = {sp.Derivative(mu, t): f * mu, sp.Derivative(v, t): 2 * f * v + g**2}
    phi = mu + sp.sqrt(v / vT) * (xT - muT)
    score = -(phi - mu) / v
    d.show("flow map phi_t(x_T)", phi)
    d.zero("d phi/dt = f phi - g^2/2 score(phi)  (score of N(mu_t, v_t))",
           sp.simplify((sp.diff(phi, t) - (f * phi - g**2 / 2 * score)).subs(odes)))
    d.say("""phi is affine in x_T with slope sqrt(v_t / v_T) and maps mu_T to mu_t, so it maps N(mu_T, v_T) to
    N(mu_t, v_t): mean mu_t, variance (v_t/v_T) v_T = v_t.""")

    d.step("Measured: exact p_T samples pushed through the ODE (DOP853, rtol 1e-9) land on p_t, gmm2d")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    n = 1000 if d.fast else 10000
    for name in ("vp", "ve"):
        sde = prob.sde(name)
        score_fn = mix.score_fn(sde)
        x_T = mix.sample_t(sde, sde.T, n, gen(1))
        t_mid = 0.5 if name == "vp" else 0.6
        xs = ode_solve(lambda xx, tt: pf_drift(sde, score_fn, xx, tt), x_T, sde.T, sde.eps, rtol=1e-9, atol=1e-9,
                       t_eval=[t_mid, sde.eps])
        for tt, xt in zip((t_mid, sde.eps), xs):
            tgt = marginal(mix, sde, tt)
            d.between(f"{name}: z-score of mean log p_t at t = {tt:g} (n = {n})", loglik_z(tgt, xt, n, 2), -4, 4)
        d.at_most(f"{name}: chi^2 of the 8 mode weights at t = eps", weights_chi2(tgt, xs[-1]), CHI2_999[7])

    d.step("Measured: on Gaussian data Heun's output law converges at order 2 to the exact p_eps")
    gprob = get_problem("gaussian")
    ns = [8, 16, 32, 64] if d.fast else [8, 16, 32, 64, 128, 256]
    for name in ("vp", "ve"):
        sde = gprob.sde(name)
        tgt = gaussian_moments_at(sde, gprob.mixture, sde.eps)
        errs = [moment_error(propagate_gaussian(sde, gprob.mixture, Heun(), None, grids.uniform(sde, k)), tgt) for k in ns]
        d.table(["n", f"{name}: |mean err| + |var err|"], [[k, e] for k, e in zip(ns, errs)])
        d.between(f"{name}: order of Heun's error (-> 0: the ODE's marginal is exact)", slope(ns[1:], errs[1:]), 1.8, 2.3)

    if d.wants_figures:
        paths_figure(d)


def paths_figure(d) -> None:
    """From one x_T: reverse-SDE paths spread, the PF-ODE path is one curve; the ODE flow on many x_T."""
    P = plt()
    mix = mixture_1d()
    sde = VPSDE()
    score = mix.score_fn(sde)
    steps = 500
    g = grids.uniform(sde, steps)
    ts = g.numpy()
    lim = 3.6
    xs = torch.linspace(-lim, lim, 301, dtype=F64)
    tgrid = torch.linspace(sde.eps, 1, 200, dtype=F64)
    img = np.zeros((xs.numel(), tgrid.numel()))
    for j, tt in enumerate(tgrid.tolist()):
        lp = mix.log_prob(xs[:, None], sde, tt)
        img[:, j] = torch.exp(lp - lp.max()).numpy()
    fig, axes = P.subplots(1, 2, figsize=(9.0, 3.6), constrained_layout=True, sharey=True)
    x0 = 0.35
    k = 14
    sde_res = sample(sde, score, (k, 1), predictor=EulerMaruyama(), grid=g, x_T=torch.full((k, 1), x0, dtype=F64),
                     dtype=F64, seed=3, trajectory=True)
    ode_res = sample(sde, score, (1, 1), predictor=Heun(), grid=g, x_T=torch.full((1, 1), x0, dtype=F64), dtype=F64,
                     trajectory=True)
    sde_path = torch.stack(sde_res.trajectory)[:, :, 0].numpy()
    ode_path = torch.stack(ode_res.trajectory)[:, :, 0].numpy()
    ax = axes[0]
    ax.imshow(img, origin="lower", aspect="auto", extent=[sde.eps, 1, -lim, lim], cmap="Blues", vmin=0, vmax=1.15)
    ax.plot(ts, sde_path, color="C1", lw=0.6, alpha=0.85)
    ax.scatter(np.zeros(k) + sde.eps, sde_path[-1], s=10, color="C1", zorder=3, clip_on=False)
    ax.plot(ts, ode_path, color="k", lw=2.0)
    ax.plot([], [], color="C1", label=f"{k} reverse-SDE paths (Euler-Maruyama)")
    ax.plot([], [], color="k", lw=2, label="the PF-ODE path (Heun)")
    ax.set_title(f"From one x_T = {x0}: SDE paths spread, the ODE path is one curve")
    ax.legend(loc="lower right", framealpha=0.9)
    ax.set_xlim(1, 0)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("t (sampling runs from t = 1 to t = 0)")
    ax.set_ylabel("x")
    ax = axes[1]
    ax.imshow(img, origin="lower", aspect="auto", extent=[sde.eps, 1, -lim, lim], cmap="Blues", vmin=0, vmax=1.15)
    from scipy.stats import norm

    x_T = torch.as_tensor(norm.ppf((np.arange(31) + 0.5) / 31), dtype=F64)[:, None]
    flow = sample(sde, score, x_T.shape, predictor=Heun(), grid=g, x_T=x_T, dtype=F64, trajectory=True)
    fpath = torch.stack(flow.trajectory)[:, :, 0].numpy()
    ax.plot(ts, fpath, color="k", lw=0.7)
    ax.set_title("PF-ODE from 31 prior quantiles: paths never cross,\nend points fall into the modes by their mass")
    ax.set_xlim(1, 0)
    ax.set_xlabel("t")
    fig.suptitle("Reverse SDE vs probability-flow ODE, VP SDE, exact score of a 3-mode 1-D mixture (shade = p_t)")
    d.savefig(fig, "sde_vs_ode_paths.png")
