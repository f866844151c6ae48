"""9. VP and VE are one ODE in different coordinates: sigma = s/m, y = x/m.

Run it: ``python derivations/09_vp_ve_change_of_variables.py [--fast] [--figures DIR]``.
"""
from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from .. import grids
from ..problems import get_problem
from ..sampler import sample
from ..sde import VESDE, VPSDE
from ..solvers import DDIM
from .core import Derivation
from .common import F64, f64, gen, mixture_1d, ms, ode_solve, pf_drift, plt

KEY = "09"
TITLE = "VP <-> VE by a change of variables: the same noise lands on the same points"
CLAIM = (
    "For any linear SDE with kernel (m, s), y = x/m follows the VE-type process with noise level sigma = s/m: "
    "y_t ~ p_data * N(0, sigma^2). Its PF-ODE becomes dy/dsigma = -sigma grad log p_sigma(y), which no longer "
    "mentions m. So the VP PF-ODE started at x_T and the VE PF-ODE started at y_T = x_T/m(T) at the same noise "
    "level trace the same curves in (sigma, y) and land on the same points up to the scale m."
)
SOURCES = ("Karras et al. 2022 (EDM), Eq. 4 and Table 1; Song et al. 2021 (score SDE), Eq. 13; "
           "Song, Meng & Ermon 2021 (DDIM), Eq. 14")


def mapped_ve(sde_vp) -> VESDE:
    """A VE SDE (SMLD convention, s = sigma) whose noise levels cover those of ``sde_vp`` on [eps, T]."""
    lo, hi = (float(sde_vp.noise_level(f64(t))) for t in (sde_vp.eps, sde_vp.T))
    return VESDE(sigma_min=lo / 2, sigma_max=hi * 2, marginal="smld")


def derive(d: Derivation) -> None:
    t = sp.Symbol("t", real=True)
    m, s = sp.Function("m")(t), sp.Function("s")(t)

    d.step("The change of variables (sympy)")
    d.say("""x_t = m x_0 + s z, so y = x_t/m = x_0 + (s/m) z: the VE marginal at noise sigma = s/m. Densities:
    p_x(x) = p_sigma(x/m)/m^d, so grad_x log p_x(x) = grad_y log p_sigma(y)/m. The VP PF-ODE reads
    dx/dt = f x - g^2/2 grad_x log p_x. With f = m'/m and g^2 = (s^2)' - 2 f s^2:""")
    sig = s / m
    f = sp.diff(m, t) / m
    g2 = sp.diff(s**2, t) - 2 * f * s**2
    d.equal("g^2 = m^2 d[sigma^2]/dt", g2, m**2 * sp.diff(sig**2, t))
    X = sp.Function("X")(t)
    score_y = sp.Symbol("∇log p_σ(y)", real=True)
    dxdt = f * X - g2 / 2 * score_y / m
    dydt = sp.diff(X / m, t).subs(sp.Derivative(X, t), dxdt)
    d.equal("d(x/m)/dt = -sigma dsigma/dt grad_y log p_sigma(y), i.e. dy/dsigma = -sigma grad log p_sigma(y)",
            dydt, -sig * sp.diff(sig, t) * score_y)
    d.say("""The right-hand side depends on the SDE only through sigma(t): VP, sub-VP and VE (with any schedules)
    are the same ODE in (sigma, y), run at different speeds. For VE (m = 1) y = x already.""")

    d.step("Measured: VP PF-ODE vs VE PF-ODE from the mapped start (DOP853, gmm2d)")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    vp = VPSDE()
    ve = mapped_ve(vp)
    n = 200 if d.fast else 2000
    x_T = vp.prior_sampling((n, 2), gen(0), dtype=F64)
    m_T, s_T = ms(vp, vp.T)
    m_e, _ = ms(vp, vp.eps)
    sig_T, sig_e = s_T / m_T, float(vp.noise_level(f64(vp.eps)))
    t_ve_T = float(ve.t_from_noise_level(f64(sig_T)))
    t_ve_e = float(ve.t_from_noise_level(f64(sig_e)))
    d.say(f"""VP: sigma runs from {sig_T:.4g} (t = 1) to {sig_e:.4g} (t = eps). The VE SDE
    VESDE(sigma_min={ve.sigma_min:.4g}, sigma_max={ve.sigma_max:.4g}, 'smld') reaches those levels at
    t = {t_ve_T:.6f} and t = {t_ve_e:.6f}; start it at y_T = x_T / m(1), m(1) = {m_T:.4g}.""")
    s_vp, s_ve = mix.score_fn(vp), mix.score_fn(ve)
    x_vp = ode_solve(lambda xx, tt: pf_drift(vp, s_vp, xx, tt), x_T, vp.T, vp.eps, rtol=1e-11, atol=1e-11)
    y_ve = ode_solve(lambda xx, tt: pf_drift(ve, s_ve, xx, tt), x_T / m_T, t_ve_T, t_ve_e, rtol=1e-11, atol=1e-11)
    diff = float((x_vp / m_e - y_ve).abs().max())
    d.at_most(f"max |x_VP(eps)/m(eps) - y_VE| over {n} paths (both solved to rtol 1e-11)", diff, 1e-6)
    spread = float((x_vp / m_e).std())
    d.say(f"(for scale: the end points spread over a standard deviation of {spread:.3g})")

    d.step("Measured: DDIM, which is Euler in sigma, gives the same points step by step")
    d.say("""DDIM updates y by (sigma_next - sigma) eps_hat (derivation 08), so on grids with the same sigma values
    the VP and VE DDIM runs are the same computation in different coordinates.""")
    k = 12
    g_vp = grids.uniform(vp, k)
    sig_grid = vp.noise_level(g_vp)
    g_ve = ve.t_from_noise_level(sig_grid)
    r_vp = sample(vp, s_vp, x_T.shape, predictor=DDIM(0.0), grid=g_vp, x_T=x_T, dtype=F64, trajectory=True)
    r_ve = sample(ve, s_ve, x_T.shape, predictor=DDIM(0.0), grid=g_ve, x_T=x_T / m_T, dtype=F64, trajectory=True)
    m_grid = torch.exp(vp.log_mean_coeff(g_vp))
    worst = max(float((a / float(mm) - b).abs().max()) for a, b, mm in zip(r_vp.trajectory, r_ve.trajectory, m_grid))
    d.at_most(f"max over all {k} steps and paths of |x_VP/m - y_VE| (round-off only)", worst, 1e-9)

    d.step("Measured: the same noise z through each sampler's own prior")
    d.say(f"""In practice VP starts at x_T = z ~ N(0, I) and VE at y_T = sigma_T z. Mapped, the VP start is
    y = z/m(1), the VE start sigma_T z = (s(1)/m(1)) z: they differ by the factor s(1) = {s_T:.8f} (the VP prior
    N(0, I) is not exactly p_1's scale). The end points differ by about that relative amount, no more:""")
    y_ve2 = ode_solve(lambda xx, tt: pf_drift(ve, s_ve, xx, tt), sig_T * x_T, t_ve_T, t_ve_e, rtol=1e-11, atol=1e-11)
    rel = float(((x_vp / m_e - y_ve2).norm(dim=1) / (x_vp / m_e).norm(dim=1)).max())
    d.at_most("max relative end-point difference, same z through both priors", rel, 20 * (1 - s_T))
    d.holds("... and it is not round-off: the priors really differ", rel > 1e-9, rel, "> 1e-9")

    if d.wants_figures:
        figure(d, diff)


def _symlog(ax) -> None:
    """A symmetric-log y axis with plain, readable ticks."""
    ax.set_yscale("symlog", linthresh=3)
    ticks = [-100, -30, -10, -3, 0, 3, 10, 30, 100]
    ax.set_yticks(ticks)
    ax.set_yticklabels([str(t) for t in ticks])
    ax.minorticks_off()


def figure(d, diff2d: float) -> None:
    P = plt()
    mix = mixture_1d()
    vp = VPSDE()
    ve = mapped_ve(vp)
    k = 400
    g_vp = grids.uniform(vp, k)
    x_T = torch.linspace(-2.2, 2.2, 15, dtype=F64)[:, None]
    m_T, _ = ms(vp, vp.T)
    r_vp = sample(vp, mix.score_fn(vp), x_T.shape, predictor=DDIM(0.0), grid=g_vp, x_T=x_T, dtype=F64, trajectory=True)
    g_ve_own = ve.t_from_noise_level(vp.noise_level(g_vp))  # the VE run on the grid with the same noise levels
    r_ve = sample(ve, mix.score_fn(ve), x_T.shape, predictor=DDIM(0.0), grid=g_ve_own, x_T=x_T / m_T, dtype=F64,
                  trajectory=True)
    xv = torch.stack(r_vp.trajectory)[:, :, 0].numpy()
    ye = torch.stack(r_ve.trajectory)[:, :, 0].numpy()
    sig_vp = vp.noise_level(g_vp).numpy()
    sig_ve = ve.noise_level(g_ve_own).numpy()
    m_vp = torch.exp(vp.log_mean_coeff(g_vp)).numpy()
    fig, axes = P.subplots(1, 3, figsize=(11.0, 3.6), constrained_layout=True)
    ax = axes[0]
    ax.plot(g_vp.numpy(), xv, color="C0", lw=0.8)
    ax.set_xlim(1, 0)
    ax.set_title("VP PF-ODE in its own coordinates (t, x)")
    ax.set_xlabel(f"VP time t, from T = 1 to eps = {vp.eps:g} ({k} DDIM steps)")
    ax.set_ylabel("x")
    ax = axes[1]
    ax.plot(g_ve_own.numpy(), ye, color="C3", lw=0.8)
    ax.set_xlim(float(g_ve_own[0]), float(g_ve_own[-1]))
    _symlog(ax)
    ax.set_title("VE PF-ODE in its own coordinates (t, x)\nstarted at x_T/m(1)")
    ax.set_xlabel(f"VE time t, {float(g_ve_own[0]):.2f} -> {float(g_ve_own[-1]):.2f}: where VE has\nthe VP grid's noise levels "
                  f"sigma = {float(sig_vp[0]):.0f} -> {float(sig_vp[-1]):.2g}")
    ax = axes[2]
    ax.plot(sig_vp, xv / m_vp[:, None], color="C0", lw=2.4, alpha=0.5)
    ax.plot(sig_ve, ye, color="C3", lw=0.8, ls="--")
    ax.plot([], [], color="C0", lw=2.4, alpha=0.5, label="VP, plotted as x/m vs s/m")
    ax.plot([], [], color="C3", lw=0.8, ls="--", label="VE, plotted as x vs sigma")
    ax.set_xscale("log")
    ax.set_xlim(sig_vp[0], sig_vp[-1])
    _symlog(ax)
    ax.set_xlabel("noise level sigma = s/m (log scale, decreasing)")
    ax.set_ylabel("y = x / m")
    ax.set_title("Both in (sigma, x/m): the same curves,\nthe same end points")
    end = np.abs(xv[-1] / m_vp[-1] - ye[-1]).max()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7.5, frameon=False,
              title=f"end-point gap: {end:.0e} here (400 DDIM steps), {diff2d:.0e} on gmm2d (DOP853)",
              title_fontsize=7.5)
    fig.suptitle("VP and VE probability-flow ODEs from the same 15 starting points x_T (evenly spaced in [-2.2, 2.2]; "
                 "3-mode 1-D mixture, exact score).\nMiddle and right: y axis linear in [-3, 3], logarithmic beyond; "
                 "right: the VP curves (thick, blue) and the VE curves (dashed, red) coincide.")
    d.savefig(fig, "vp_ve_ode_endpoints.png")
