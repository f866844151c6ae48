"""3. Perturbation kernels from the mean and variance ODEs (VP, sub-VP, VE).

Run it: ``python derivations/03_kernels_from_moment_odes.py [--fast] [--figures DIR]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..problems import get_problem
from ..sde import SDES, VESDE, VPSDE
from .core import Derivation
from .common import F64, gen, mixture_1d, ms, plt

KEY = "03"
TITLE = "Perturbation kernels from the mean and variance ODEs"
CLAIM = (
    "For a linear SDE dx = f(t) x dt + g(t) dw started at x_0, x_t is Gaussian with mean m(t) x_0 and variance "
    "v(t), where m' = f m (m(0) = 1) and v' = 2 f v + g^2 (v(0) = 0). Solving them gives the kernels: VP "
    "m = exp(-B/2), v = 1 - exp(-B); sub-VP v = (1 - exp(-B))^2; VE v = sigma(t)^2 - sigma(0)^2 (B = int_0^t beta)."
)
SOURCES = ("Särkkä & Solin 2019, Eq. 5.50-5.51 and 6.6-6.7; Song et al. 2021 (score SDE), Eq. 29, 31-33 and "
           "Appendix B")


def derive(d: Derivation) -> None:
    t, u, y = sp.symbols("t u y", positive=True)
    f, g, M = sp.Function("f"), sp.Function("g"), sp.Function("m")

    d.step("The moment ODEs, from Itô's formula (sympy)")
    d.say("""E[dx] = f E[x] dt, so m' = f m. Itô's formula for x^2: d(x^2) = (2 f x^2 + g^2) dt + 2 g x dw, so
    Q = E[x^2] obeys Q' = 2 f Q + g^2. The variance v = Q - m^2 then obeys:""")
    mm, Q = sp.Function("μ")(t), sp.Function("Q")(t)
    v_rate = (2 * f(t) * Q + g(t) ** 2) - 2 * mm * (f(t) * mm)  # Q' - 2 m m'
    d.equal("v' = Q' - 2 m m' = 2 f v + g^2", v_rate, 2 * f(t) * (Q - mm**2) + g(t) ** 2, simplify=sp.expand)
    d.say("""Integrating factor: v(t) = m(t)^2 int_0^t g(u)^2 / m(u)^2 du solves it with v(0) = 0 (check:
    differentiate and use m' = f m).""")
    v_gen = M(t) ** 2 * sp.Integral(g(u) ** 2 / M(u) ** 2, (u, 0, t))
    resid = sp.diff(v_gen, t).subs(sp.Derivative(M(t), t), f(t) * M(t)) - 2 * f(t) * v_gen - g(t) ** 2
    d.zero("d/dt [m^2 int g^2/m^2] - 2 f v - g^2 = 0", resid)

    d.step("Solve for VP, sub-VP and VE (sympy; substitute y = B(u), dy = beta(u) du)")
    Bt = sp.Symbol("B", positive=True)  # B(t) = int_0^t beta
    d.say("""VP: f = -beta/2, g^2 = beta, so m = exp(-B/2), and g^2/m^2 du = beta e^{B(u)} du = e^y dy.
    sub-VP: same f, g^2 = beta (1 - e^{-2B}). VE: f = 0, m = 1, g^2 = d[sigma^2]/dt.""")
    v_vp = sp.exp(-Bt) * sp.integrate(sp.exp(y), (y, 0, Bt))
    v_sub = sp.exp(-Bt) * sp.integrate(sp.exp(y) * (1 - sp.exp(-2 * y)), (y, 0, Bt))
    d.show("VP v(t)", sp.simplify(v_vp))
    d.equal("VP: v = 1 - exp(-B)  (Song et al. Eq. 29, VP row)", v_vp, 1 - sp.exp(-Bt))
    d.show("sub-VP v(t)", sp.factor(sp.expand(v_sub)))
    d.equal("sub-VP: v = (1 - exp(-B))^2  (Song et al. Eq. 29, sub-VP row)", v_sub, (1 - sp.exp(-Bt)) ** 2, simplify=sp.expand)
    sig = sp.Function("σ")
    v_ve = sp.integrate(sp.diff(sig(u) ** 2, u), (u, 0, t))
    d.equal("VE: v = int_0^t d[sigma^2] = sigma(t)^2 - sigma(0)^2  (Song et al. Eq. 31 up to sigma(0)^2)", v_ve,
            sig(t) ** 2 - sig(0) ** 2)
    d.say("""The VP variance equals 1 - m^2: started from unit-variance data the total variance stays 1 ('variance
    preserving'); sub-VP's is (1 - m^2)^2 <= 1 - m^2; VE's grows without bound ('variance exploding').""")
    if not d.fast:
        bmin, bmax = sp.symbols("β_min β_max", positive=True)
        beta = bmin + (bmax - bmin) * t
        V = sp.Function("v")
        sol = sp.dsolve(sp.Eq(V(t).diff(t), -beta * V(t) + beta), V(t), ics={V(0): 0}).rhs
        d.show("dsolve, linear beta, T = 1", sol)
        d.equal("dsolve agrees with 1 - exp(-B(t)), B = beta_min t + (beta_max - beta_min) t^2/2", sol,
                1 - sp.exp(-(bmin * t + (bmax - bmin) * t**2 / 2)))

    d.step("Measured: the code's (m, s) solve the ODEs built from the code's (f, g^2), for every registered SDE")
    from scipy.integrate import solve_ivp

    cases = [(name, ctor()) for name, ctor in SDES.items()] + [("ve (smld)", VESDE(marginal="smld"))]
    rows = []
    worst = 0.0
    for name, sde in cases:
        v0 = float(sde.marginal_var(torch.tensor(0.0, dtype=F64)))

        def rhs(tt, z, sde=sde):
            tv = torch.tensor(tt, dtype=F64)
            fv, g2 = float(sde.drift_coeff(tv)), float(sde.diffusion_sq(tv))
            return [fv, 2 * fv * z[1] + g2]

        ts = np.linspace(0, sde.T, 21)
        sol = solve_ivp(rhs, (0, sde.T), [0.0, v0], method="DOP853", rtol=1e-12, atol=1e-14, t_eval=ts)
        tt = torch.as_tensor(ts, dtype=F64)
        e_m = float((torch.as_tensor(sol.y[0]) - sde.log_mean_coeff(tt)).abs().max())  # log m: absolute = relative in m
        v_code = sde.marginal_var(tt)
        e_v = float(  # relative, skipping t = 0 where v may vanish
            ((torch.as_tensor(sol.y[1][1:]) - v_code[1:]).abs() / v_code[1:]).max())
        rows.append([name, e_m, e_v])
        worst = max(worst, e_m, e_v)
    d.table(["SDE", "max |log m_ode - log m_code|", "max relative |v_ode - s_code^2|"], rows)
    d.at_most("largest disagreement over all SDEs and 21 times", worst, 1e-8)

    d.step("Measured: simulate the forward SDE (Euler-Maruyama, only f and g) on gmm2d; compare moments")
    d.say("""The kernel fixes the law of x_t: mean m E[x_0] and covariance m^2 Cov[x_0] + s^2 I. Simulating the
    SDE with Euler-Maruyama uses only f and g, so this is an independent check (up to O(dt) bias and sampling
    noise).""")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    n = 4000 if d.fast else 40000
    steps = 200 if d.fast else 1000
    for name in ("vp", "ve"):
        sde = prob.sde(name)
        x = mix.sample(n, gen(1))
        gz = gen(2)
        dt = sde.T / steps
        for i in range(steps):
            tt = torch.tensor(i * dt, dtype=F64)
            x = x + float(sde.drift_coeff(tt)) * x * dt + math.sqrt(float(sde.diffusion_sq(tt)) * dt) * torch.randn(
                x.shape, generator=gz, dtype=F64)
        m, s_T = ms(sde, sde.T)
        v = s_T * s_T
        cov = m * m * mix.covariance() + v * torch.eye(2, dtype=F64)
        mean = m * mix.mean()
        z_mean = float(((x.mean(0) - mean) / torch.sqrt(torch.diag(cov) / n)).abs().max())
        emp = torch.cov(x.T)
        z_cov = float(((emp - cov).abs() / (torch.sqrt(torch.diag(cov))[:, None] * torch.sqrt(torch.diag(cov))[None] * math.sqrt(2 / n))).max())
        d.at_most(f"{name}: max z-score of the simulated mean at t = T (n = {n}, {steps} EM steps)", z_mean, 4.0)
        d.at_most(f"{name}: max z-score of the simulated covariance entries at t = T", z_cov, 4.5)

    if d.wants_figures:
        fan_figure(d)


def fan_figure(d) -> None:
    """Forward marginal fan: p_t(x) for a 1-D mixture under VP and VE, with forward sample paths."""
    P = plt()
    mix = mixture_1d()
    sdes = [("VP SDE: mean m(t) x_0 shrinks to 0, std s(t) -> 1", VPSDE(), 3.6),
            ("VE SDE: mean stays x_0, std s(t) -> sigma_max = 10", VESDE(sigma_min=0.01, sigma_max=10.0), 26.0)]
    fig, axes = P.subplots(1, 2, figsize=(9.5, 3.9), constrained_layout=True)
    ts = torch.linspace(0, 1, 241, dtype=F64)
    for ax, (title, sde, lim) in zip(axes, sdes):
        log_sigma = isinstance(sde, VESDE)  # VE: sigma grows geometrically in t, so draw it against log sigma(t)
        xs = torch.linspace(-lim, lim, 301, dtype=F64)
        img = np.zeros((xs.numel(), ts.numel()))
        for j, t in enumerate(ts.tolist()):
            lp = mix.log_prob(xs[:, None]) if t == 0 else mix.log_prob(xs[:, None], sde, t)
            p = torch.exp(lp - lp.max())
            img[:, j] = p.numpy()
        axis = sde.sigma(ts).numpy() if log_sigma else ts.numpy()
        ax.pcolormesh(axis, xs.numpy(), img, cmap="Blues", vmin=0, vmax=1.15, shading="auto", rasterized=True)
        # sample paths with the exact transition between grid times
        g = gen(7)
        x = mix.sample(5, g)
        path = [x.clone()]
        for t0, t1 in zip(ts[:-1].tolist(), ts[1:].tolist()):
            a, b = sde.transition(t0, t1)
            x = float(a) * x + float(b) * torch.randn(x.shape, generator=g, dtype=F64)
            path.append(x.clone())
        path = torch.stack(path)[:, :, 0].numpy()
        ax.plot(axis, path, lw=0.8, color="C1", alpha=0.9)
        m = torch.exp(sde.log_mean_coeff(ts))
        for mu in mix.means[:, 0].tolist():
            ax.plot(axis, (m * mu).numpy(), ls="--", lw=0.8, color="k", alpha=0.6)
        s = torch.sqrt(sde.marginal_var(ts))
        ax.plot(axis, 2 * s.numpy(), ls=":", color="C3", lw=1.0)
        ax.plot(axis, -2 * s.numpy(), ls=":", color="C3", lw=1.0)
        ax.set_ylim(-lim, lim)
        ax.set_title(title)
        ax.set_ylabel("x")
        if log_sigma:
            ax.set_xscale("log")
            ax.set_xlim(float(axis[0]), float(axis[-1]))
            ax.set_xlabel(f"noise level sigma(t) = {sde.sigma_min:g} ({sde.sigma_max:g}/{sde.sigma_min:g})^t, log scale\n"
                          "(t = 0 at the left, t = 1 at the right)")
        else:
            ax.set_xlim(0, 1)
            ax.set_xlabel("t (data at t = 0, noise at t = 1)\n")
    axes[0].plot([], [], color="C1", label="forward paths")
    axes[0].plot([], [], ls="--", color="k", label="m(t) x mode means")
    axes[0].plot([], [], ls=":", color="C3", label="±2 s(t) (kernel std)")
    axes[0].legend(loc="lower left", framealpha=0.9)
    fig.suptitle("Forward marginal fan: shade = p_t(x) / max_x p_t(x), exact (3-mode 1-D mixture)")
    d.savefig(fig, "forward_fan.png")
