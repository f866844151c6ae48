"""Correctors: Langevin MCMC at fixed t.

* ``Langevin`` (Song et al. 2021, Algorithm 4-5): x <- x + e s + sqrt(2 e) z with the SNR rule
  e = 2 alpha (r ||z|| / ||s||)^2, alpha = a^2 of the twin step ending at t (alpha_i = 1 - beta_i for
  VP, 1 for VE). The norms are taken **per sample**: score_sde averages them over the batch, which
  makes one sample's path depend on its batch-mates.
* ``AnnealedLangevin`` (Song & Ermon 2019, Algorithm 1): at noise level sigma_i,
  alpha_i = eps sigma_i^2 / sigma_L^2 and  x <- x + alpha_i/2 s + sqrt(alpha_i) z,  n_steps times.
  As a corrector-only sampler (predictor "none") on the VE twin grid it *is* SMLD sampling.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .._util import check_int, check_positive, expand_like
from ..sde.base import LinearSDE
from .base import Step, StepContext


def _norm(v: Tensor) -> Tensor:
    return torch.linalg.vector_norm(v.reshape(v.shape[0], -1), dim=1)


class Langevin(Step):
    name = "langevin"
    kind = "corrector"
    order = None
    stochastic = True
    affine = False  # the SNR step size depends on ||z|| and ||score||
    summary = "Langevin corrector, per-sample SNR step size"

    def __init__(self, snr: float = 0.16, n_steps: int = 1):
        self.snr = check_positive("snr", snr)
        self.n_steps = check_int("n_steps", n_steps, 1)

    @property
    def nfe_per_step(self) -> int:  # type: ignore[override]
        return self.n_steps

    def config(self) -> dict:
        return {"snr": self.snr, "n_steps": self.n_steps}

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        alpha = ctx.coeffs.a ** 2
        mean = x
        for j in range(self.n_steps):
            grad = ctx.score(x)
            z = ctx.noise(x, substream=j)
            step = 2 * alpha * (self.snr * _norm(z) / _norm(grad)) ** 2
            step = expand_like(step, x)
            mean = x + step * grad
            x = mean + torch.sqrt(2 * step) * z
        return x, mean


class AnnealedLangevin(Step):
    name = "ald"
    kind = "corrector"
    order = None
    stochastic = True
    summary = "annealed Langevin dynamics (Song & Ermon 2019), VE"

    def __init__(self, eps: float = 2e-5, n_steps: int = 100):
        self.eps = check_positive("eps", eps)
        self.n_steps = check_int("n_steps", n_steps, 1)

    @property
    def nfe_per_step(self) -> int:  # type: ignore[override]
        return self.n_steps

    def config(self) -> dict:
        return {"eps": self.eps, "n_steps": self.n_steps}

    def check(self, sde: LinearSDE, grid: Tensor) -> None:
        if not sde.variance_exploding:
            raise ValueError(f"corrector 'ald' (annealed Langevin, Song & Ermon 2019) needs a variance-exploding SDE; got {sde.name!r}")

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        sig_l = ctx.state.get("ald_sigma_L")
        if sig_l is None:
            sig_l = ctx.state["ald_sigma_L"] = float(ctx.state["grid_min_noise_level"])
        sig = ctx.coeffs.s / ctx.coeffs.m
        alpha = self.eps * (sig / sig_l) ** 2
        mean = x
        for j in range(self.n_steps):
            mean = x + 0.5 * alpha * ctx.score(x)
            x = mean + math.sqrt(alpha) * ctx.noise(x, substream=j)
        return x, mean
