"""DPM-Solver++(2M): second-order multistep solver of the PF-ODE in data-prediction form
(Lu et al. 2022b, "DPM-Solver++", Algorithm 2).

With lambda = log(m/s), h_i = lambda_i - lambda_{i-1}, D the data prediction x0_hat:
    x_i = (s_i / s_{i-1}) x_{i-1} - m_i (e^{-h_i} - 1) D_i
    D_1 = x0_hat_0;  D_i = (1 + 1/(2 r_i)) x0_hat_{i-1} - 1/(2 r_i) x0_hat_{i-2},  r_i = h_{i-1}/h_i.
(s_i/s_{i-1} = e^{-h_i} m_i/m_{i-1}.) A final interval to t = 0 (s = 0, h = inf) is the first-order
step x = x0_hat ("lower order final", as in k-diffusion and diffusers). One evaluation per step, order 2.
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

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        x0 = (x + c.s * c.s * ctx.score(x)) / c.m
        prev = ctx.state.get("dpmpp_prev")  # (x0_hat_{i-1}, h_{i-1})
        if c.s1 == 0.0:
            x_new = c.m1 * x0
            ctx.state["dpmpp_prev"] = None
            return x_new, x_new
        h = math.log(c.m1 / c.s1) - math.log(c.m / c.s)
        if prev is None:
            d = x0
        else:
            x0_prev, h_prev = prev
            r = h_prev / h
            d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_prev
        ctx.state["dpmpp_prev"] = (x0, h)
        x_new = (c.s1 / c.s) * x - c.m1 * math.expm1(-h) * d
        return x_new, x_new
