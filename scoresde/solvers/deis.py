"""DEIS, t-AB variant (Zhang & Chen 2023, "Fast sampling of diffusion models with exponential
integrator", Eq. 14-15): an exponential integrator of the PF-ODE whose noise prediction is
extrapolated by a polynomial in t through the last p evaluations.

For a linear SDE the PF-ODE is dx/dt = f x + g^2 eps_hat/(2 s), and with rho = s/m
(d rho/dt = g^2/(2 m s)) its exact solution over one interval is
    x_{i+1} = (m_{i+1}/m_i) x_i + m_{i+1} int_{rho_i}^{rho_{i+1}} eps_hat(t(rho)) d rho
(Zhang & Chen 2023, Eq. 11 with Psi = m_{i+1}/m and the noise-prediction weight). t-AB replaces
eps_hat(t) by the Lagrange polynomial through (t_{i-j}, eps_hat_{i-j}), j < p, giving
    C_j = int_{rho_i}^{rho_{i+1}} l_j(t(rho)) d rho        (Eq. 15),
computed once per interval as int l_j(tau) g^2/(2 m s) d tau by 12-point Gauss-Legendre quadrature in
u = sqrt(tau) (in tau the integrand behaves like 1/sqrt(tau) near t = 0 for VP; in u it is smooth).
Order p (1-4, default 3; p = 1 is DDIM). Warm-up as ``lms``: ``"unic"`` (default for p = 3, no extra
NFE), ``"rk"`` (default for p = 4: singlestep DPM-Solver-3 on the first two intervals, 4 extra NFE),
``"lower"``. No lower-order final step; an interval ending at t = 0 is an
ordinary step (rho = 0 at t = 0 for VP; VE's rho(0) is its sigma(0)).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .._util import check_int
from .base import Step, StepContext
from .dpm_solver_single import DPMSolver3
from .multistep import combine, evaluate, gauss_legendre, history, rk_start_nfe
from .unipc import warmup_correct

_GL = gauss_legendre(12)


def tab_coefficients(sde, ts: list[float], t0: float, t1: float) -> list[float]:
    """C_j = int_{t0}^{t1} l_j(tau) (d rho/d tau) d tau, d rho/d tau = g^2/(2 m s), for the Lagrange
    basis l_j on the times ``ts``. Integrated in u = sqrt(tau) (tau = u^2, d tau = 2 u du), where
    the integrand is smooth even on an interval reaching t = 0 (VP: rho ~ sqrt(beta_min tau))."""
    x, w = _GL
    u0, u1 = t0 ** 0.5, t1 ** 0.5
    u = torch.as_tensor(u0 + (u1 - u0) * x, dtype=torch.float64)
    tau = u * u
    m = torch.exp(sde.log_mean_coeff(tau))
    s = torch.sqrt(sde.marginal_var(tau))
    dens = (sde.diffusion_sq(tau) / (2.0 * m * s) * 2.0 * u * (u1 - u0)).tolist()
    tq = tau.tolist()
    out = []
    for j, tj in enumerate(ts):
        tot = 0.0
        for tn, wn, dn in zip(tq, w, dens):
            lj = 1.0
            for k, tk in enumerate(ts):
                if k != j:
                    lj *= (tn - tk) / (tj - tk)
            tot += wn * lj * dn
        out.append(tot)
    return out


class DEIS(Step):
    needs_positive_m = True
    name = "deis"
    nfe_per_step = 1
    deterministic_ode = True
    multistep = True
    summary = "PF-ODE, DEIS t-AB exponential integrator"

    def __init__(self, order: int = 3, warmup: str = "auto"):
        self.p = check_int("order", order, 1)
        if self.p > 4:
            raise ValueError(f"order must be between 1 and 4, got {self.p}")
        self.order = float(self.p)
        if warmup not in ("auto", "unic", "rk", "lower"):
            raise ValueError(f"warmup must be 'auto', 'unic', 'rk' or 'lower', got {warmup!r}")
        self.warmup = ("rk" if self.p >= 4 else "unic") if warmup == "auto" else warmup

    def config(self) -> dict:
        cfg = {} if self.p == 3 else {"order": self.p}
        auto = "rk" if self.p >= 4 else "unic"
        return cfg if self.warmup == auto else {**cfg, "warmup": self.warmup}

    def nfe(self, grid) -> int:
        return len(grid) - 1 + (rk_start_nfe(grid, self.p) if self.warmup == "rk" else 0)

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        e = evaluate(ctx, x)
        if self.warmup == "unic":
            x = warmup_correct(ctx, x, e, self.p)
        elif self.warmup == "rk" and ctx.step_index < self.p - 2 and c.s1 > 0.0:
            x_new = DPMSolver3()._update(ctx, x, e.eps, e.lam, math.log(c.m1 / c.s1) - e.lam)
            return x_new, x_new
        pts = history(ctx)[-self.p:]
        ctx.state["warmup_prev"] = (x, len(pts))
        if len(pts) == 1:
            coefs = [c.s1 / c.m1 - c.s / c.m]
        else:
            coefs = tab_coefficients(ctx.sde, [e.t for e in pts], c.t, c.t_next)
        x_new = (c.m1 / c.m) * x + c.m1 * combine(coefs, [e.eps for e in pts])
        return x_new, x_new
