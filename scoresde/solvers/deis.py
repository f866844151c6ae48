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

import torch

from .base import StepContext
from .eps_multistep import EpsMultistep
from .multistep import gauss_legendre

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


class DEIS(EpsMultistep):
    name = "deis"
    summary = "PF-ODE, DEIS t-AB exponential integrator"
    default_order = 3
    max_order = 4

    def __init__(self, order: int = 3, warmup: str = "auto"):
        super().__init__(order, warmup)

    def weights(self, ctx: StepContext, pts) -> list:
        c = ctx.coeffs
        if len(pts) == 1:
            return [c.s1 / c.m1 - c.s / c.m]
        return tab_coefficients(ctx.sde, [q.t for q in pts], c.t, c.t_next)
