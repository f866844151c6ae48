"""Euler–Maruyama on the reverse-time SDE (Anderson 1982; Song et al. 2021, Eq. 6 and Algorithm 2's predictor).

    x_{t+dt} = x + [f(t) x - g(t)^2 score(x, t)] dt + g(t) sqrt(|dt|) z,   dt = t_next - t < 0.

The reverse VP/VE SDEs have additive noise, so EM has strong order 1; its weak order is 1.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import Step, StepContext


class EulerMaruyama(Step):
    name = "euler_maruyama"
    order = 1.0
    nfe_per_step = 1
    stochastic = True
    summary = "reverse SDE, Euler–Maruyama"

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        dt = c.dt
        mean = x.mul(1.0 + c.f * dt).add_(ctx.score(x), alpha=-c.g2 * dt)  # x + (f x - g^2 score) dt
        return torch.add(mean, ctx.noise(x), alpha=math.sqrt(c.g2 * -dt)), mean
