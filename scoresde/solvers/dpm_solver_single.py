"""Singlestep DPM-Solver-2 and DPM-Solver-3 (Lu et al. 2022a, "DPM-Solver", Alg. 1 and 2), noise
prediction eps_hat = -s score, lambda = log(m/s), h = lambda_{i+1} - lambda_i, t_lambda the inverse of
lambda (``LinearSDE.t_from_log_snr``):

DPM-Solver-2 (Alg. 1, r1 = 1/2 by default):
    s = t_lambda(lambda_i + r1 h),  u = (m_s/m_i) x - s_s (e^{r1 h} - 1) eps_i,
    x_{i+1} = (m_{i+1}/m_i) x - s_{i+1} (e^h - 1) eps_i - s_{i+1}/(2 r1) (e^h - 1) (eps(u, s) - eps_i).
DPM-Solver-3 (Alg. 2, r1 = 1/3, r2 = 2/3):
    u1 = (m_{s1}/m_i) x - s_{s1} (e^{r1 h} - 1) eps_i,                      D1 = eps(u1, s1) - eps_i,
    u2 = (m_{s2}/m_i) x - s_{s2} (e^{r2 h} - 1) eps_i - s_{s2} r2/r1 ((e^{r2 h} - 1)/(r2 h) - 1) D1,
    D2 = eps(u2, s2) - eps_i,
    x_{i+1} = (m_{i+1}/m_i) x - s_{i+1} (e^h - 1) eps_i - s_{i+1}/r2 ((e^h - 1)/h - 1) D2.
(e^h - 1)/h - 1 = h phi_2(h) is evaluated without cancellation. Orders 2 and 3, with 2 and 3 NFE per
interval. Final interval: an interval ending at t = 0 (lambda = inf) is one evaluation,
x = m(0) x0_hat (the intermediate times would not exist); every other interval is a full step.
"""
from __future__ import annotations

import math

from torch import Tensor

from .._util import check_positive
from .base import Step, StepContext
from .multistep import eval_at, ms_at, phi, t_of_sigma_near


def _t_lambda(sde, lam: float, t0: float) -> float:
    """t_lambda(lam): the time with noise level sigma = e^{-lam}, by Newton from t0 (the interval start)."""
    return t_of_sigma_near(sde, math.exp(-lam), t0)


class _SinglestepDPMSolver(Step):
    needs_positive_m = True
    deterministic_ode = True

    def nfe(self, grid) -> int:
        n = len(grid) - 1
        return self.nfe_per_step * n - ((self.nfe_per_step - 1) if float(grid[-1]) == 0.0 else 0)

    def _stage(self, ctx: StepContext, x: Tensor, lam_i: float, r: float, h: float):
        """(t, m, s) at lambda_i + r h and the DDIM part of the stage."""
        t = _t_lambda(ctx.sde, lam_i + r * h, ctx.t)
        m, s = ms_at(ctx.sde, t)
        return t, m, s

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        e0 = eval_at(ctx, x, c.t, c.m, c.s)
        if c.s1 == 0.0:
            x_new = c.m1 * e0.x0
            return x_new, x_new
        h = math.log(c.m1 / c.s1) - e0.lam
        x_new = self._update(ctx, x, e0.eps, e0.lam, h)
        return x_new, x_new


class DPMSolver2(_SinglestepDPMSolver):
    name = "dpm_solver_2"
    order = 2.0
    nfe_per_step = 2
    summary = "PF-ODE, singlestep DPM-Solver-2"

    def __init__(self, r1: float = 0.5):
        self.r1 = check_positive("r1", r1)
        if self.r1 >= 1:
            raise ValueError(f"r1 must lie in (0, 1), got {self.r1:g}")

    def config(self) -> dict:
        return {} if self.r1 == 0.5 else {"r1": self.r1}

    def _update(self, ctx, x, eps0, lam_i, h):
        c = ctx.coeffs
        t1, m1s, s1s = self._stage(ctx, x, lam_i, self.r1, h)
        u = (m1s / c.m) * x - (s1s * math.expm1(self.r1 * h)) * eps0
        eps1 = eval_at(ctx, u, t1, m1s, s1s).eps
        eh = math.expm1(h)
        return (c.m1 / c.m) * x - (c.s1 * eh) * eps0 - (c.s1 * eh / (2 * self.r1)) * (eps1 - eps0)


class DPMSolver3(_SinglestepDPMSolver):
    name = "dpm_solver_3"
    order = 3.0
    nfe_per_step = 3
    summary = "PF-ODE, singlestep DPM-Solver-3"

    def __init__(self, r1: float = 1 / 3, r2: float = 2 / 3):
        self.r1 = check_positive("r1", r1)
        self.r2 = check_positive("r2", r2)
        if not self.r1 < self.r2 < 1:
            raise ValueError(f"need 0 < r1 < r2 < 1, got r1 = {self.r1:g}, r2 = {self.r2:g}")

    def config(self) -> dict:
        return {} if (self.r1, self.r2) == (1 / 3, 2 / 3) else {"r1": self.r1, "r2": self.r2}

    def _update(self, ctx, x, eps0, lam_i, h):
        c = ctx.coeffs
        r1, r2 = self.r1, self.r2
        t1, m_1, s_1 = self._stage(ctx, x, lam_i, r1, h)
        t2, m_2, s_2 = self._stage(ctx, x, lam_i, r2, h)
        u1 = (m_1 / c.m) * x - (s_1 * math.expm1(r1 * h)) * eps0
        d1 = eval_at(ctx, u1, t1, m_1, s_1).eps - eps0
        # r2/r1 ((e^{r2 h} - 1)/(r2 h) - 1) = r2/r1 * (r2 h) phi_2(r2 h)
        u2 = (m_2 / c.m) * x - (s_2 * math.expm1(r2 * h)) * eps0 - (s_2 * r2 / r1 * r2 * h * phi(2, r2 * h)) * d1
        d2 = eval_at(ctx, u2, t2, m_2, s_2).eps - eps0
        return (c.m1 / c.m) * x - (c.s1 * math.expm1(h)) * eps0 - (c.s1 / r2 * h * phi(2, h)) * d2
