"""Built-in problems with exact ground truth: Gaussian mixtures (and Gaussians) with SDE defaults.

VE's sigma_max follows Song & Ermon 2020 ("Improved techniques", Technique 1): about the largest
Euclidean distance between two data points, so that the prior covers the data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict

import torch

from .analytic import GaussianMixture, gaussian
from .sde import SDES, LinearSDE


@dataclass(frozen=True)
class Problem:
    name: str
    description: str
    mixture: GaussianMixture

    def max_pairwise_distance(self, n: int = 2000, seed: int = 0) -> float:
        """Largest distance between n exact data samples (fixed seed: deterministic)."""
        g = torch.Generator().manual_seed(seed)
        x = self.mixture.sample(n, g).reshape(n, -1)
        return float(torch.cdist(x, x).max())

    def sde(self, name: str, **overrides) -> LinearSDE:
        """The problem's default SDE of the given registry name (keywords override)."""
        if name not in SDES:
            raise ValueError(f"unknown SDE {name!r}; valid: {', '.join(SDES)}")
        kwargs: dict = {}
        if name == "ve":
            kwargs["sigma_max"] = float(math.ceil(self.max_pairwise_distance()))
        kwargs.update(overrides)
        return SDES[name](**kwargs)


def _ring(n_modes: int, radius: float, std: float) -> GaussianMixture:
    ang = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    means = radius * torch.stack([torch.cos(ang), torch.sin(ang)], dim=1)
    return GaussianMixture(torch.full((n_modes,), 1.0 / n_modes, dtype=torch.float64), means, torch.full((n_modes,), std, dtype=torch.float64))


def _gmm64d() -> GaussianMixture:
    g = torch.Generator().manual_seed(64)
    D = 64
    means = 2.0 * torch.randn(4, D, generator=g, dtype=torch.float64)
    stds = 0.3 + 0.7 * torch.rand(4, D, generator=g, dtype=torch.float64)
    return GaussianMixture([0.4, 0.3, 0.2, 0.1], means, stds)


_BUILDERS: Dict[str, Callable[[], Problem]] = {
    "gmm2d": lambda: Problem("gmm2d", "8 equal modes on a ring of radius 4, std 0.5", _ring(8, 4.0, 0.5)),
    "gmm2d-sharp": lambda: Problem("gmm2d-sharp", "8 equal modes on a ring of radius 4, std 0.05", _ring(8, 4.0, 0.05)),
    "gmm64d": lambda: Problem("gmm64d", "4 unequal modes (0.4/0.3/0.2/0.1) in 64-D, diagonal stds in [0.3, 1]", _gmm64d()),
    "gaussian": lambda: Problem("gaussian", "2-D Gaussian, mean (1, -0.5), stds (0.5, 1.5)", gaussian([1.0, -0.5], [0.5, 1.5])),
    "gaussian1d": lambda: Problem("gaussian1d", "1-D Gaussian, mean 0.5, std 0.7", gaussian([0.5], [0.7])),
}

PROBLEMS = tuple(_BUILDERS)


def get_problem(name: str) -> Problem:
    """A built-in problem by name (see ``PROBLEMS``)."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown problem {name!r}; valid: {', '.join(PROBLEMS)}")
    return _BUILDERS[name]()


__all__ = ["Problem", "PROBLEMS", "get_problem"]
