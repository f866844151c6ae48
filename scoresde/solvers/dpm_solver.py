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


#: log of the smallest positive normal float64 (m(t) below exp(-708) underflows)
_LOG_TINY = math.log(2.2250738585072014e-308)


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

    def check(self, sde, grid: Tensor) -> None:
        """The data prediction x0 = (x + s^2 score)/m needs m(t) > 0 in float64 at every grid time t > 0."""
        g = torch.as_tensor(grid, dtype=torch.float64)
        logm = sde.log_mean_coeff(g[g > 0])
        if bool((logm < _LOG_TINY).any()):
            k = int(torch.argmin(logm))
            raise ValueError(
                f"predictor dpmpp_2m: m(t) = exp({float(logm[k]):.4g}) underflows float64 at grid time "
                f"t = {float(g[g > 0][k]):.6g}, so its data prediction x0 = (x + s^2 score)/m is not representable; "
                f"start the grid where log m(t) > {_LOG_TINY:.0f}, or use a noise-prediction sampler (ddim, heun)")

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        x0 = (x + c.s * c.s * ctx.score(x)) / c.m
        prev = ctx.state.get("dpmpp_prev")  # (x0_hat_{i-1}, h_{i-1})
        if c.s1 == 0.0:
            x_new = c.m1 * x0
            ctx.state["dpmpp_prev"] = None
            return x_new, x_new
        # h = lambda(t_next) - lambda(t) from log m and log s (m/s can underflow: VP with a large B(t)).
        lam = ctx.sde.log_snr(torch.tensor([c.t, c.t_next], dtype=torch.float64)).tolist()
        h = lam[1] - lam[0]
        if prev is None or (self.lower_order_final and ctx.is_last):
            d = x0
        else:
            x0_prev, h_prev = prev
            r = h_prev / h
            d = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_prev
        ctx.state["dpmpp_prev"] = (x0, h)
        x_new = (c.s1 / c.s) * x - c.m1 * math.expm1(-h) * d
        return x_new, x_new
