"""Correctors: Langevin MCMC at fixed t.

* ``Langevin`` (Song et al. 2021, Algorithm 4-5): x <- x + e s + sqrt(2 e) z. Default step
  (``rule="sigma"``): e = 2 alpha (r s(t))^2, alpha = a^2 of the twin step ending at t
  (alpha_i = 1 - beta_i for VP, 1 for VE), independent of x and of the batch (derivation below).
  ``rule="snr"`` is score_sde's rule, e = 2 alpha (r ||z|| / ||s||)^2, kept by name; it is biased
  (measured below and in tests/test_orders.py: on gmm2d its log-likelihood is off by tens of
  standard errors, exact KL 0.12 -> 0.43 from NFE 20 to 200 on Gaussian data, per compare's report).
  The norms are taken **per sample**: score_sde averages them over the batch, which
  makes one sample's path depend on its batch-mates. Per sample, ||s|| can be ~0 (a sample at a mode
  centre in low dimension) and the rule then asks for an unbounded step; it is capped at
  e <= s(t)^2, the inverse of the largest curvature -grad^2 log p_t can have (p_t is a convolution
  with N(0, s^2 I), so -grad^2 log p_t <= I/s^2): beyond 1/L a Langevin step overshoots. In high
  dimension the rule gives e ~ 2 r^2 s^2 << s^2 and the cap never engages.
  Caution, measured in tests/test_orders.py: a step size that depends on x through ||s(x)|| makes
  the Langevin chain target p/e(x), not p (the Ito drift correction grad e is missing). In high
  dimension ||z|| and ||s|| concentrate, e(x) is nearly constant and the bias vanishes; in 2-D it
  is large. ``rule="sigma"`` replaces the realised norms by their values for N(0, s^2 I) data,
  ||z||^2 -> D and ||s||^2 -> D/s^2, i.e. e = 2 alpha (r s(t))^2: the same scale, independent of x
  and of the batch, so only the O(e) discretisation bias of unadjusted Langevin remains.
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


RULES = ("snr", "sigma")


def _norm(v: Tensor) -> Tensor:
    return torch.linalg.vector_norm(v.reshape(v.shape[0], -1), dim=1)


class Langevin(Step):
    name = "langevin"
    kind = "corrector"
    order = None
    stochastic = True
    summary = "Langevin corrector, x-independent step 2 alpha (r s)^2 (rule='snr': score_sde's biased rule)"

    def __init__(self, snr: float = 0.16, n_steps: int = 1, cap: bool = True, rule: str = "sigma"):
        self.snr = check_positive("snr", snr)
        self.n_steps = check_int("n_steps", n_steps, 1)
        self.cap = bool(cap)
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.rule = rule

    @property
    def nfe_per_step(self) -> int:  # type: ignore[override]
        return self.n_steps

    def config(self) -> dict:
        cfg = {"snr": self.snr, "n_steps": self.n_steps}
        if not self.cap:
            cfg["cap"] = False
        if self.rule != "sigma":
            cfg["rule"] = self.rule
        return cfg

    @property
    def affine(self) -> bool:  # type: ignore[override]
        return self.rule == "sigma"  # the SNR rule's step depends on ||z|| and ||score||

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        alpha = ctx.coeffs.a ** 2
        max_step = ctx.coeffs.s ** 2 if self.cap else float("inf")
        mean = x
        for j in range(self.n_steps):
            grad = ctx.score(x)
            z = ctx.noise(x, substream=j)
            if self.rule == "sigma":
                step = min(2 * alpha * (self.snr * ctx.coeffs.s) ** 2, max_step)
            else:
                step = expand_like(torch.clamp(2 * alpha * (self.snr * _norm(z) / _norm(grad)) ** 2, max=max_step), x)
            mean = x + step * grad
            x = mean + (2 * step) ** 0.5 * z
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
