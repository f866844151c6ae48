"""Sub-VP SDE (Song et al. 2021, Eq. 12): dx = -1/2 beta x dt + sqrt(beta (1 - e^{-2B})) dw.

Same mean as VP, m = exp(-B/2); kernel std s = 1 - exp(-B) (Song et al. 2021, Eq. 29), whose
variance is bounded by the VP one at every t.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .vp import VPSDE


class subVPSDE(VPSDE):
    """Sub-VP SDE with the linear beta schedule; its discrete twin is a DDPM-type chain."""

    name = "subvp"
    chain_kind = "general"

    def marginal_var(self, t: Tensor) -> Tensor:
        return torch.expm1(-self.integrated_beta(t)) ** 2

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return -self.beta(t) * torch.expm1(-2 * self.integrated_beta(t))

    def _transition(self, t0: Tensor, t1: Tensor):
        # b^2 = s1^2 - a^2 s0^2 with s = 1 - e^{-B}, a^2 = e^{-(B1-B0)}; factorised as
        # (1 - e^{-(B1-B0)}) (1 - e^{-(B0+B1)}) so that no O(dt) difference cancels.
        B0, B1 = self.integrated_beta(t0), self.integrated_beta(t1)
        a = torch.exp(-0.5 * (B1 - B0))
        dB = B1 - B0
        b2 = -torch.expm1(-dB) * (1 - torch.exp(-B1 - B0))
        return a, torch.sqrt(torch.clamp(b2, min=0.0))
