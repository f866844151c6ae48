"""Reverse diffusion: the reverse of the discrete twin (Song et al. 2021, Eq. 45-46).

With the twin step t_next -> t written x_t = a x_{t_next} + b z (so f_i(x) = (a - 1) x, G_i = b):

    x_{t_next} = x - f_i(x) + G_i^2 score(x, t) + G_i z = (2 - a) x + b^2 score + b z.

For VP this is  (2 - sqrt(1 - beta_i)) x_i + beta_i s + sqrt(beta_i) z  (Song et al. 2021, Eq. 46);
for VE,  x_i + (sigma_i^2 - sigma_{i-1}^2) s + sqrt(sigma_i^2 - sigma_{i-1}^2) z  (Eq. 47).
It agrees with DDPM ancestral sampling only to first order in beta (see tests/test_special_cases.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from .base import Step, StepContext


class ReverseDiffusion(Step):
    name = "reverse_diffusion"
    order = 1.0
    nfe_per_step = 1
    stochastic = True
    summary = "reverse of the discrete twin (Song et al. Eq. 46-47)"

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        b2 = c.b * c.b
        mean = x.mul(2.0 - c.a).add_(ctx.score(x), alpha=b2)
        return torch.add(mean, ctx.noise(x), alpha=c.b), mean
