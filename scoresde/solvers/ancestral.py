"""Ancestral sampling: sample the twin's posterior q(x_{t_next} | x_t, x_0) at x_0 = E[x_0 | x_t].

For the chain step x_t = a x_{t_next} + b z, with x_{t_next} = m1 x_0 + s1 z' and s^2 = a^2 s1^2 + b^2,

    mean = (a s1^2 / s^2) x_t + (m1 b^2 / s^2) x0_hat,   var = s1^2 b^2 / s^2      (Ho et al. 2020, Eq. 6-7)
    x0_hat = (x_t + s^2 score) / m                                               (Tweedie)

For VP this is exactly Ho et al. 2020, Algorithm 2 with sigma_t^2 = beta_tilde_t:
mean = (x + beta_t score)/sqrt(alpha_t) (Eq. 11 with eps = -sqrt(1 - abar_t) score). For VE it is SMLD
ancestral sampling (Song et al. 2021, Eq. 47 mean, variance sigma_{i-1}^2 (sigma_i^2 - sigma_{i-1}^2)/sigma_i^2).
``variance="beta"`` uses b^2 instead (Ho et al.'s other choice sigma_t^2 = beta_t; no noise on the
final step, as in Algorithm 2 line 3).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import Step, StepContext

VARIANCES = ("posterior", "beta")


class Ancestral(Step):
    needs_positive_m = True
    name = "ancestral"
    order = 1.0
    nfe_per_step = 1
    stochastic = True
    summary = "DDPM posterior sampling (VP) / SMLD ancestral (VE)"

    def __init__(self, variance: str = "posterior"):
        if variance not in VARIANCES:
            raise ValueError(f"variance must be one of {VARIANCES}, got {variance!r}")
        self.variance = variance

    def config(self) -> dict:
        return {"variance": self.variance}

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        b2 = c.b * c.b
        s2 = c.a * c.a * c.s1 * c.s1 + b2
        # (a s1^2/s2) x + (m1 b^2/s2) x0_hat with x0_hat = (x + s^2 score)/m, as A x + B score
        w = c.m1 * b2 / (s2 * c.m)
        mean = x.mul(c.a * c.s1 * c.s1 / s2 + w).add_(ctx.score(x), alpha=w * c.s * c.s)
        if self.variance == "posterior":
            std = math.sqrt(c.s1 * c.s1 * b2 / s2)
        else:
            std = 0.0 if c.t_next == 0.0 else c.b
        if std == 0.0:
            return mean, mean
        return torch.add(mean, ctx.noise(x), alpha=std), mean
