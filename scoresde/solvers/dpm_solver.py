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

from torch import Tensor

from .base import Step, StepContext


class DPMSolverPP2M(Step):
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
        c = ctx.coeffs
        x0 = (x + c.s * c.s * ctx.score(x)) / c.m
        prev = ctx.state.get("dpmpp_prev")  # (x0_hat_{i-1}, h_{i-1})
        if c.s1 == 0.0:
            x_new = c.m1 * x0
            ctx.state["dpmpp_prev"] = None
            return x_new, x_new
        h = math.log(c.m1 / c.s1) - math.log(c.m / c.s)
        if prev is None or (self.lower_order_final and ctx.is_last):
            d = x0
        else:
            x0_prev, h_prev = prev
            r = h_prev / h
            d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_prev
        ctx.state["dpmpp_prev"] = (x0, h)
        x_new = (c.s1 / c.s) * x - c.m1 * math.expm1(-h) * d
        return x_new, x_new
