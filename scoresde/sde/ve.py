"""Variance-exploding SDE (Song et al. 2021, Eq. 9): the continuous limit of SMLD.

sigma(t) = sigma_min (sigma_max/sigma_min)^{t/T},  dx = sqrt(d sigma^2/dt) dw,  m(t) = 1.

Two marginal conventions (both consistent with the same dynamics, they differ in p_0):
* ``marginal="exact"`` (default): the SDE started at the data x_0 at t = 0, so
  s(t)^2 = sigma(t)^2 - sigma_min^2 (the integral of g^2 from 0).
* ``marginal="smld"``: s(t) = sigma(t), as in SMLD and score_sde_pytorch (Song et al. 2021,
  Eq. 31), i.e. the data are already perturbed with sigma_min at t = 0.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .._util import check_positive
from .base import LinearSDE

MARGINALS = ("exact", "smld")
#: admissible sigma values: their squares stay finite and nonzero in float64
SIGMA_RANGE = (1e-150, 1e150)


class VESDE(LinearSDE):
    """VE SDE with geometric sigma(t); its discrete twin is the SMLD chain."""

    name = "ve"
    variance_exploding = True
    chain_kind = "smld"

    def __init__(
        self,
        sigma_min: float = 0.01,
        sigma_max: float = 50.0,
        *,
        marginal: str = "exact",
        T: float = 1.0,
        eps: float = 1e-5,
        N: int = 1000,
    ):
        super().__init__(T=T, eps=eps, N=N)
        self.sigma_min = check_positive("sigma_min", sigma_min)
        self.sigma_max = check_positive("sigma_max", sigma_max)
        # s(t)^2 and g(t)^2 must be representable in float64 (no overflow/underflow to 0 or inf).
        if self.sigma_min < SIGMA_RANGE[0]:
            raise ValueError(f"sigma_min must be >= {SIGMA_RANGE[0]:g} (its square underflows), got {self.sigma_min:g}")
        if self.sigma_max > SIGMA_RANGE[1]:
            raise ValueError(f"sigma_max must be <= {SIGMA_RANGE[1]:g} (its square overflows), got {self.sigma_max:g}")
        if self.sigma_max <= self.sigma_min:
            raise ValueError(f"sigma_max must be > sigma_min, got sigma_max={self.sigma_max:g} <= sigma_min={self.sigma_min:g}")
        if marginal not in MARGINALS:
            raise ValueError(f"marginal must be one of {MARGINALS}, got {marginal!r}")
        self.marginal = marginal
        self._log_ratio = math.log(self.sigma_max) - math.log(self.sigma_min)

    def config(self) -> dict:
        return {**super().config(), "sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "marginal": self.marginal}

    def sigma(self, t: Tensor) -> Tensor:
        """The schedule sigma(t) = sigma_min (sigma_max/sigma_min)^{t/T} (not the EDM noise level)."""
        return self.sigma_min * torch.exp(self._log_ratio * t / self.T)

    def log_mean_coeff(self, t: Tensor) -> Tensor:
        return torch.zeros_like(t)

    def marginal_var(self, t: Tensor) -> Tensor:
        if self.marginal == "smld":
            return self.sigma(t) ** 2
        # sigma^2 - sigma_min^2 = sigma(t)^2 (1 - exp(-2 log(r) t/T)): exact near t = 0, no overflow
        return self.sigma(t) ** 2 * -torch.expm1(-2 * self._log_ratio * t / self.T)

    def drift_coeff(self, t: Tensor) -> Tensor:
        return torch.zeros_like(t)

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return self.sigma(t) ** 2 * (2 * self._log_ratio / self.T)

    @property
    def prior_std(self) -> float:
        """N(0, s(T)^2 I): sigma_max for the SMLD convention (Song et al. 2021, Sec. 3.4)."""
        return math.sqrt(float(self.marginal_var(torch.tensor(self.T, dtype=torch.float64))))

    def _transition(self, t0: Tensor, t1: Tensor):
        # b^2 = sigma(t1)^2 - sigma(t0)^2 = sigma(t0)^2 expm1(2 log r (t1 - t0)/T), for both conventions.
        b2 = self.sigma(t0) ** 2 * torch.expm1(2 * self._log_ratio * (t1 - t0) / self.T)
        return torch.ones_like(b2), torch.sqrt(b2)
