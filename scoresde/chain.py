"""Discrete twins: the DDPM and SMLD forward Markov chains.

A chain is  x_i = a_i x_{i-1} + b_i z_i  (i = 1..N) with  q(x_i | x_0) = N(m_i x_0, s_i^2 I).

* DDPM (Ho et al. 2020, Eq. 2 and 4): a_i = sqrt(1 - beta_i), b_i = sqrt(beta_i),
  m_i = sqrt(abar_i), s_i = sqrt(1 - abar_i), abar_i = prod_{j<=i} (1 - beta_j).
* SMLD (Song & Ermon 2019; Song et al. 2021, Eq. 8): a_i = 1, b_i = sqrt(sigma_i^2 - sigma_{i-1}^2),
  sigma_0 = 0, m_i = 1, s_i = sigma_i.

Chains built by ``LinearSDE.chain(N)`` sit at times t_i = iT/N and match the SDE marginals
exactly there; chains built from explicit betas (``MarkovChain.ho2020()``) are the papers'.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
from torch import Tensor


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """Forward chain x_i = a_i x_{i-1} + b_i z (all tensors float64).

    Attributes:
        times: (N+1,) increasing, t_0 = 0 (index only, for chains not tied to an SDE).
        m, s: (N+1,) mean coefficient and std of q(x_i | x_0); m_0 = 1, s_0 = 0.
        a, b: (N,) one-step coefficients for steps 1..N.
        kind: "ddpm", "smld" or "general".
    """

    times: Tensor
    m: Tensor
    s: Tensor
    a: Tensor
    b: Tensor
    kind: str = "general"

    def __post_init__(self):
        n = self.a.numel()
        if n < 1:
            raise ValueError("a chain needs N >= 1 steps")
        for name in ("times", "m", "s"):
            if getattr(self, name).shape != (n + 1,):
                raise ValueError(f"{name} must have shape ({n + 1},)")
        if self.b.shape != (n,):
            raise ValueError(f"b must have shape ({n},)")
        for name in ("times", "m", "s", "a", "b"):
            if not bool(torch.isfinite(getattr(self, name)).all()):
                raise ValueError(f"chain {name} must be finite")
        if bool((self.a <= 0).any()) or bool((self.b < 0).any()):
            raise ValueError("chain coefficients must satisfy a_i > 0 and b_i >= 0")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_betas(cls, betas: Sequence[float] | Tensor, times: Optional[Tensor] = None) -> "MarkovChain":
        """DDPM chain from beta_1..beta_N, each in (0, 1) (Ho et al. 2020, Eq. 2)."""
        beta = torch.as_tensor(betas, dtype=torch.float64).flatten()
        if beta.numel() < 1:
            raise ValueError("betas must hold at least one value")
        if not bool(torch.isfinite(beta).all()) or bool(((beta <= 0) | (beta >= 1)).any()):
            raise ValueError("betas must all lie in the open interval (0, 1)")
        n = beta.numel()
        log_abar = torch.cat([beta.new_zeros(1), torch.cumsum(torch.log1p(-beta), 0)])
        m = torch.exp(0.5 * log_abar)
        s = torch.sqrt(-torch.expm1(log_abar))
        times = torch.arange(n + 1, dtype=torch.float64) if times is None else torch.as_tensor(times, dtype=torch.float64)
        return cls(times=times, m=m, s=s, a=torch.sqrt(1 - beta), b=torch.sqrt(beta), kind="ddpm")

    @classmethod
    def from_sigmas(cls, sigmas: Sequence[float] | Tensor, times: Optional[Tensor] = None) -> "MarkovChain":
        """SMLD chain from 0 < sigma_1 < ... < sigma_N (sigma_0 = 0: x_0 is the data)."""
        sig = torch.as_tensor(sigmas, dtype=torch.float64).flatten()
        if sig.numel() < 1:
            raise ValueError("sigmas must hold at least one value")
        if not bool(torch.isfinite(sig).all()) or bool((sig <= 0).any()):
            raise ValueError("sigmas must be finite and > 0")
        if bool((sig[1:] <= sig[:-1]).any()):
            raise ValueError("sigmas must be strictly increasing (sigma_1 < ... < sigma_N)")
        n = sig.numel()
        s = torch.cat([sig.new_zeros(1), sig])
        times = torch.arange(n + 1, dtype=torch.float64) if times is None else torch.as_tensor(times, dtype=torch.float64)
        b = torch.sqrt(s[1:] ** 2 - s[:-1] ** 2)
        return cls(times=times, m=torch.ones(n + 1, dtype=torch.float64), s=s, a=torch.ones(n, dtype=torch.float64), b=b, kind="smld")

    @classmethod
    def ho2020(cls, N: int = 1000, beta_1: float = 1e-4, beta_N: float = 0.02) -> "MarkovChain":
        """Ho et al. 2020, Sec. 4: linear betas from 1e-4 to 0.02, N = 1000."""
        return cls.from_betas(torch.linspace(beta_1, beta_N, N, dtype=torch.float64))

    @classmethod
    def song_ermon2019(cls, sigma_1: float = 1.0, sigma_L: float = 0.01, L: int = 10) -> "MarkovChain":
        """Song & Ermon 2019, Sec. 4.2: L geometric noise levels from sigma_1 (largest) to sigma_L."""
        sig = torch.logspace(torch.log10(torch.tensor(sigma_L)), torch.log10(torch.tensor(sigma_1)), L, dtype=torch.float64)
        return cls.from_sigmas(sig)

    # ------------------------------------------------------------------ views
    @property
    def N(self) -> int:
        return self.a.numel()

    @property
    def betas(self) -> Tensor:
        """DDPM beta_i = 1 - a_i^2 (i = 1..N)."""
        return self.b**2 if self.kind == "ddpm" else 1 - self.a**2

    @property
    def alphas(self) -> Tensor:
        """DDPM alpha_i = 1 - beta_i = a_i^2."""
        return self.a**2

    @property
    def alphas_bar(self) -> Tensor:
        """abar_i = m_i^2 (i = 0..N, abar_0 = 1)."""
        return self.m**2

    @property
    def sigmas(self) -> Tensor:
        """SMLD noise levels sigma_i = s_i / m_i (i = 0..N, sigma_0 = 0)."""
        return self.s / self.m

    def index_of(self, t: Tensor) -> Tensor:
        """Index i >= 1 of twin time(s) t; raises ValueError if t is not on the grid."""
        t = torch.as_tensor(t, dtype=torch.float64)
        idx = torch.searchsorted(self.times, t.reshape(-1)).clamp(1, self.N)
        lo = (idx - 1).clamp(min=0)
        nearer_lo = (t.reshape(-1) - self.times[lo]).abs() < (self.times[idx] - t.reshape(-1)).abs()
        idx = torch.where(nearer_lo, lo, idx)
        step = float((self.times[-1] - self.times[0]) / self.N)
        if bool(((self.times[idx] - t.reshape(-1)).abs() > 1e-4 * step).any()) or bool((idx < 1).any()):
            raise ValueError("t must be a twin time t_i (i >= 1) of the discrete chain")
        return idx.reshape(t.shape)

    def marginal(self, x0: Tensor, i: int, z: Tensor) -> Tensor:
        """Sample q(x_i | x_0) in closed form: m_i x_0 + s_i z."""
        return float(self.m[i]) * x0 + float(self.s[i]) * z

    def step(self, x: Tensor, i: int, z: Tensor) -> Tensor:
        """One forward step x_{i-1} -> x_i (i = 1..N)."""
        return float(self.a[i - 1]) * x + float(self.b[i - 1]) * z
