"""DDIM (Song, Meng & Ermon 2021, Eq. 12), written for any linear SDE through (m, s).

    x0_hat = (x - s eps_hat)/m,  eps_hat = -s score(x, t),
    x_{t_next} = m1 x0_hat + sqrt(s1^2 - c^2) eps_hat + c z,   c = eta * s1 b / s   (Eq. 16)

eta = 0 is the first-order exponential integrator of the PF-ODE (DPM-Solver-1, Lu et al. 2022, Eq. 3.7:
x' = (m1/m) x - s1 (e^h - 1) eps_hat, h = lambda(t_next) - lambda(t)); eta = 1 with this c is DDPM
posterior (ancestral) sampling. Order 1.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .._util import check_nonnegative
from .base import Step, StepContext


class DDIM(Step):
    needs_positive_m = True
    name = "ddim"
    order = 1.0
    nfe_per_step = 1
    summary = "DDIM(eta); eta=0: exponential integrator of the PF-ODE"

    def __init__(self, eta: float = 0.0):
        self.eta = check_nonnegative("eta", eta)
        if self.eta > 1.0:
            raise ValueError(f"eta must lie in [0, 1], got {self.eta:g}")

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.eta > 0

    @property
    def deterministic_ode(self) -> bool:  # type: ignore[override]
        return self.eta == 0

    def config(self) -> dict:
        return {"eta": self.eta}

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        s2 = c.a * c.a * c.s1 * c.s1 + c.b * c.b
        sig = self.eta * c.s1 * c.b / math.sqrt(s2)
        k = math.sqrt(max(c.s1 * c.s1 - sig * sig, 0.0))
        # m1 x0_hat + k eps_hat with x0_hat = (x + s^2 score)/m, eps_hat = -s score, as A x + B score
        mean = x.mul(c.m1 / c.m).add_(ctx.score(x), alpha=c.m1 * c.s * c.s / c.m - k * c.s)
        if sig == 0.0:
            return mean, mean
        return torch.add(mean, ctx.noise(x), alpha=sig), mean
