"""DPM-Solver++(2M): second-order multistep solver of the PF-ODE in data-prediction form
(Lu et al. 2022b, "DPM-Solver++", Algorithm 2).

With lambda = log(m/s), h_i = lambda_i - lambda_{i-1}, D the data prediction x0_hat:
    x_i = (s_i / s_{i-1}) x_{i-1} - m_i (e^{-h_i} - 1) D_i
    D_1 = x0_hat_0;  D_i = (1 + 1/(2 r_i)) x0_hat_{i-1} - 1/(2 r_i) x0_hat_{i-2},  r_i = h_{i-1}/h_i.
(s_i/s_{i-1} = e^{-h_i} m_i/m_{i-1}.) The final interval is a first-order step (D = x0_hat_{n-1}):
"lower order final", as in diffusers and Lu et al.'s reference code. It keeps the global order 2 (one
step of local error O(h^2)) and avoids extrapolating with a tiny r = h_{n-1}/h_n on grids whose last
step is the largest in lambda (uniform-t grids: lambda grows fastest near eps); on an interval ending at
t = 0 (s = 0, h = inf) it is x = x0_hat. One evaluation per step, order 2.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import Step, StepContext



class DPMSolverPP2M(Step):
    needs_positive_m = True
    name = "dpmpp_2m"
    order = 2.0
    nfe_per_step = 1
    deterministic_ode = True
    multistep = True
    summary = "PF-ODE, DPM-Solver++(2M) multistep"

    def __init__(self, lower_order_final: bool = True):
        self.lower_order_final = bool(lower_order_final)

    def config(self) -> dict:
        return {} if self.lower_order_final else {"lower_order_final": False}

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        # x0_hat = (x + s^2 score)/m (Tweedie) is never formed: every update below is a linear
        # combination of x, score and the previous step's (x, score), with the coefficients folded
        # into Python floats (4 tensor operations per step instead of 7).
        c = ctx.coeffs
        sc = ctx.score(x)
        prev = ctx.state.get("dpmpp_prev")  # (x_{i-1}, score_{i-1}, s_{i-1}^2 / m_{i-1}, 1 / m_{i-1}, h_{i-1})
        if c.s1 == 0.0:  # the data: x = m1 x0_hat
            ctx.state["dpmpp_prev"] = None
            x_new = x.mul(c.m1 / c.m).add_(sc, alpha=c.m1 * c.s * c.s / c.m)
            return x_new, x_new
        # h = lambda(t_next) - lambda(t) from the logs (m/s can underflow where m is tiny: VP with a large
        # B(t); check() has refused grids where m itself underflows)
        h = (math.log(c.m1) - math.log(c.s1)) - (math.log(c.m) - math.log(c.s))
        k = -c.m1 * math.expm1(-h)
        ctx.state["dpmpp_prev"] = (x, sc, c.s * c.s / c.m, 1.0 / c.m, h)
        if prev is None or (self.lower_order_final and ctx.is_last):
            w0, w1 = k, 0.0  # D = x0_hat
        else:
            r = prev[4] / h  # D = (1 + 1/(2r)) x0_hat - 1/(2r) x0_hat_prev
            w0, w1 = k * (1 + 1 / (2 * r)), -k / (2 * r)
        # x_new = (s1/s) x + w0 x0_hat + w1 x0_hat_prev
        x_new = x.mul(c.s1 / c.s + w0 / c.m).add_(sc, alpha=w0 * c.s * c.s / c.m)
        if w1 != 0.0:
            x_p, sc_p, s2m_p, im_p = prev[:4]
            x_new.add_(x_p, alpha=w1 * im_p).add_(sc_p, alpha=w1 * s2m_p)
        return x_new, x_new
