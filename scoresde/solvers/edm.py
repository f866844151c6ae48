"""The EDM stochastic sampler (Karras et al. 2022, Alg. 2), on any linear SDE through its noise level
sigma(t) = s/m and scale m (Karras et al. 2022, Eq. 4 and Table 1: x = m x~).

On interval i (sigma_i -> sigma_{i+1}, N intervals):
    gamma_i = min(S_churn/N, sqrt(2) - 1) if S_tmin <= sigma_i <= S_tmax else 0,
    sigma^ = sigma_i (1 + gamma_i),  x~^ = x~_i + sqrt(sigma^2 - sigma_i^2) S_noise z      (lines 4-6)
    d = (x~^ - D(x~^, sigma^))/sigma^,  x~_{i+1} = x~^ + (sigma_{i+1} - sigma^) d             (lines 7-8)
    if sigma_{i+1} != 0: d' = (x~_{i+1} - D(x~_{i+1}, sigma_{i+1}))/sigma_{i+1},
                         x~_{i+1} = x~^ + (sigma_{i+1} - sigma^) (d + d')/2                   (lines 9-11)
with D the data prediction x0_hat at time t(sigma). sigma^ is capped at sigma(T) (the SDE is not
defined beyond T), so the first step of a grid starting at T takes no churn. S_churn = 0 is Heun's
method in sigma (Alg. 1), tested against an independent Heun-in-sigma loop. Final interval: to
t = 0 (sigma = 0) it is the Euler step of line 8, one evaluation. Weak order measured on Gaussian data
(exact moments, tests/test_orders.py): 2 -- with the exact score the churn (an exact forward
noising, sigma_i -> sigma^) and the exact PF-ODE (sigma^ -> sigma_{i+1}) preserve the marginals, so only
Heun's error remains; S_churn/N -> 0 keeps the total churn bounded.
"""
from __future__ import annotations

import math

from torch import Tensor

from .._util import check_nonnegative, check_positive
from .base import Step, StepContext
from .multistep import eval_at, ms_at, t_of_sigma_near


def heun_sigma(ctx: StepContext, xt: Tensor, t: float, m: float, s: float, t1: float, m1: float, s1: float) -> Tensor:
    """One Heun step of dx~/dsigma = (x~ - D)/sigma from (x~, t) to t1 (Karras et al. 2022, Alg. 1
    lines 4-8; Euler when sigma(t1) = 0). Returns x~ at t1."""
    sig, sig1 = s / m, s1 / m1
    d = eval_at(ctx, m * xt, t, m, s).eps  # (x~ - D)/sigma = eps_hat
    x1 = xt + (sig1 - sig) * d
    if s1 == 0.0:
        return x1
    d1 = eval_at(ctx, m1 * x1, t1, m1, s1).eps
    return xt + (0.5 * (sig1 - sig)) * (d + d1)


class EDMStochastic(Step):
    needs_positive_m = True
    name = "edm"
    order = 2.0
    nfe_per_step = 2
    summary = "EDM stochastic sampler (churn + Heun in sigma)"

    def __init__(self, s_churn: float = 10.0, s_tmin: float = 0.0, s_tmax: float = float("inf"), s_noise: float = 1.0):
        self.s_churn = check_nonnegative("s_churn", s_churn)
        self.s_tmin = check_nonnegative("s_tmin", s_tmin)
        if not (isinstance(s_tmax, (int, float)) and s_tmax >= self.s_tmin):
            raise ValueError(f"s_tmax must be a number >= s_tmin, got {s_tmax!r}")
        self.s_tmax = float(s_tmax)
        self.s_noise = check_positive("s_noise", s_noise)

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.s_churn > 0

    def config(self) -> dict:
        return {"s_churn": self.s_churn, "s_tmin": self.s_tmin, "s_tmax": self.s_tmax, "s_noise": self.s_noise}

    def nfe(self, grid) -> int:
        return 2 * (len(grid) - 1) - (1 if float(grid[-1]) == 0.0 else 0)

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        sig = c.s / c.m
        gamma = min(self.s_churn / ctx.n_steps, math.sqrt(2.0) - 1.0) if self.s_tmin <= sig <= self.s_tmax else 0.0
        xt = x / c.m
        t, m, s = c.t, c.m, c.s
        if gamma > 0.0:
            sig_T = ctx.state.get("edm_sigma_T")
            if sig_T is None:
                mT, sT = ms_at(ctx.sde, ctx.sde.T)
                sig_T = ctx.state["edm_sigma_T"] = sT / mT
            sig_hat = min(sig * (1.0 + gamma), sig_T)
            if sig_hat > sig:
                t = min(t_of_sigma_near(ctx.sde, sig_hat, c.t), ctx.sde.T)
                m, s = ms_at(ctx.sde, t)
                xt = xt + (math.sqrt(max((s / m) ** 2 - sig * sig, 0.0)) * self.s_noise) * ctx.noise(x)
        x1 = c.m1 * heun_sigma(ctx, xt, t, m, s, c.t_next, c.m1, c.s1)
        return x1, x1
