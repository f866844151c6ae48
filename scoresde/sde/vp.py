"""Variance-preserving SDE (Song et al. 2021, Eq. 11): the continuous limit of DDPM.

dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw,  m(t) = exp(-B(t)/2),  s(t)^2 = 1 - exp(-B(t)),
B(t) = int_0^t beta.  Linear schedule beta(t) = beta_min + (t/T)(beta_max - beta_min)
(Song et al. 2021, Appendix C; with N = 1000 its twin is Ho et al.'s chain to first order).
Cosine schedule: Nichol & Dhariwal 2021, Eq. 17 in continuous time.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .._util import check_finite_number, check_nonnegative
from .base import LinearSDE


class VPSDE(LinearSDE):
    """VP SDE with the linear beta schedule; its discrete twin is the DDPM chain."""

    name = "vp"
    chain_kind = "ddpm"

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0, *, T: float = 1.0, eps: float = 1e-3, N: int = 1000):
        super().__init__(T=T, eps=eps, N=N)
        self.beta_min = check_nonnegative("beta_min", beta_min)
        self.beta_max = check_finite_number("beta_max", beta_max)
        if self.beta_max <= self.beta_min:
            raise ValueError(f"beta_max must be > beta_min, got beta_max={self.beta_max:g} <= beta_min={self.beta_min:g}")

    @classmethod
    def cosine(cls, s: float = 0.008, *, T: float = 0.9946, eps: float = 1e-3, N: int = 1000) -> "CosineVPSDE":
        """VP SDE with the cosine schedule of Nichol & Dhariwal 2021 (Eq. 17), continuous form."""
        return CosineVPSDE(s=s, T=T, eps=eps, N=N)

    def config(self) -> dict:
        return {**super().config(), "beta_min": self.beta_min, "beta_max": self.beta_max}

    # B(t) = int_0^t beta(u) du
    def integrated_beta(self, t: Tensor) -> Tensor:
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t / self.T

    def beta(self, t: Tensor) -> Tensor:
        return self.beta_min + (self.beta_max - self.beta_min) * t / self.T

    def log_mean_coeff(self, t: Tensor) -> Tensor:
        return -0.5 * self.integrated_beta(t)

    def marginal_var(self, t: Tensor) -> Tensor:
        return -torch.expm1(-self.integrated_beta(t))

    def drift_coeff(self, t: Tensor) -> Tensor:
        return -0.5 * self.beta(t)

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return self.beta(t)

    @property
    def prior_std(self) -> float:
        """N(0, I) (Song et al. 2021, Sec. 3.4): the VP process's limit."""
        return 1.0

    def _transition(self, t0: Tensor, t1: Tensor):
        # For VP, s^2 = 1 - m^2, so b^2 = 1 - a^2 = beta_i exactly: no cancellation.
        dlog = self.log_mean_coeff(t1) - self.log_mean_coeff(t0)
        return torch.exp(dlog), torch.sqrt(-torch.expm1(2 * dlog))


class CosineVPSDE(VPSDE):
    """VP SDE with abar(t) = cos^2(phi(t)) / cos^2(phi(0)), phi(t) = (t + s)/(1 + s) * pi/2.

    Time runs on Nichol & Dhariwal's scale t in [0, 1]; abar(1) = 0 makes beta(1) infinite, so
    T defaults to 0.9946, the truncation used by DPM-Solver (Lu et al. 2022, Appendix D.1).

    Numerics: with the complementary angle psi(t) = pi/2 - phi(t) = (1 - t) c, c = pi/(2(1+s)),
    cos(phi(t)) = sin(psi(t)) and cos(phi(0)) = sin(c); 1 - t is exact in floating point near
    t = T, so m(t) and beta(t) keep full relative accuracy where abar(t) -> 0 (float32 included).
    """

    name = "vp-cosine"

    def __init__(self, s: float = 0.008, *, T: float = 0.9946, eps: float = 1e-3, N: int = 1000):
        LinearSDE.__init__(self, T=T, eps=eps, N=N)
        self.s = check_finite_number("s", s)
        if self.s <= 0:
            raise ValueError(f"s must be > 0, got {self.s:g}")
        if self.T >= 1.0:
            raise ValueError(f"T must be < 1 for the cosine schedule (abar(1) = 0), got {self.T:g}")
        self._c = math.pi / (2 * (1 + self.s))
        self._phi0 = self.s * self._c
        self._log_cos_phi0 = math.log(math.sin(self._c))  # cos(phi(0)) = sin(c)

    def config(self) -> dict:
        return {**LinearSDE.config(self), "s": self.s}

    def _phi(self, t: Tensor) -> Tensor:
        return (t + self.s) * self._c

    def _psi(self, t: Tensor) -> Tensor:
        """pi/2 - phi(t) = (1 - t) c."""
        return (1 - t) * self._c

    def log_mean_coeff(self, t: Tensor) -> Tensor:
        return torch.log(torch.sin(self._psi(t))) - self._log_cos_phi0

    def marginal_var(self, t: Tensor) -> Tensor:
        # 1 - cos^2(phi)/cos^2(phi0) = sin(phi - phi0) sin(phi + phi0) / cos^2(phi0), phi - phi0 = t c.
        # sin(phi + phi0) = sin((t + 2s) c) = sin((2 - t) c): take the smaller angle, so no digits
        # cancel near t = 0 (small s) nor for large s; cos(phi0) = sin(c) divides each factor.
        sin_c = math.sin(self._c)
        small = torch.where(t + self.s < 1, (t + 2 * self.s) * self._c, (2 - t) * self._c)
        return (torch.sin(t * self._c) / sin_c) * (torch.sin(small) / sin_c)

    def beta(self, t: Tensor) -> Tensor:
        """beta(t) = -d log abar / dt = pi tan(phi(t)) / (1 + s) = 2c / tan(psi(t)).

        tan(phi) is accurate where phi < psi (small t), 1/tan(psi) where psi is the smaller angle.
        """
        phi, psi = self._phi(t), self._psi(t)
        return 2 * self._c * torch.where(phi < psi, torch.tan(phi), 1 / torch.tan(psi))

    def integrated_beta(self, t: Tensor) -> Tensor:
        return -2 * self.log_mean_coeff(t)

    def _transition(self, t0: Tensor, t1: Tensor):
        # a = sin(psi1)/sin(psi0);  b^2 = 1 - a^2 = sin(psi0 - psi1) sin(psi0 + psi1) / sin^2(psi0)
        # with psi0 - psi1 = (t1 - t0) c and sin(psi0 + psi1) = sin((t0 + t1 + 2s) c), the smaller
        # of the two supplementary angles taken as in marginal_var: no cancellation.
        sp0 = torch.sin(self._psi(t0))
        a = torch.sin(self._psi(t1)) / sp0
        small = torch.where(t0 + t1 + self.s < 1, (t0 + t1 + 2 * self.s) * self._c, (2 - t0 - t1) * self._c)
        b2 = (torch.sin((t1 - t0) * self._c) / sp0) * (torch.sin(small) / sp0)
        return a, torch.sqrt(torch.clamp(b2, min=0.0))
