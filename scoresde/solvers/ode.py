"""Probability-flow ODE steps (Song et al. 2021, Eq. 13):  dx/dt = f(t) x - g(t)^2 score(x, t) / 2.

* ``ODEEuler``: explicit Euler, order 1.
* ``Heun``: explicit trapezoidal rule (Heun's method), order 2, two evaluations per step
  (Karras et al. 2022, Algorithm 1 without churn, here in t). On a final interval ending at
  t = 0 (the data) the score is not evaluated at 0 and the step falls back to Euler, as in
  Karras et al.'s line 8 (sigma_{i+1} = 0).
"""
from __future__ import annotations

from torch import Tensor

from .base import Step, StepContext


def pf_drift(ctx: StepContext, x: Tensor, t: float) -> Tensor:
    """f(t) x - g(t)^2 score(x, t) / 2 at a time of this interval (t or t_next)."""
    c = ctx.coeffs
    f, g2 = (c.f, c.g2) if t == c.t else (c.f1, c.g21)
    return f * x - 0.5 * g2 * ctx.score(x, t)


class ODEEuler(Step):
    name = "ode_euler"
    order = 1.0
    nfe_per_step = 1
    deterministic_ode = True
    summary = "PF-ODE, explicit Euler"

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        # x + dt (f x - g^2/2 score), written as one scaled copy and one fused add
        c = ctx.coeffs
        dt = c.t_next - c.t
        x = x.mul(1.0 + dt * c.f).add_(ctx.score(x), alpha=-0.5 * dt * c.g2)
        return x, x


class Heun(Step):
    name = "heun"
    order = 2.0
    nfe_per_step = 2
    deterministic_ode = True
    summary = "PF-ODE, Heun (explicit trapezoid)"

    def nfe(self, grid) -> int:
        # a final interval to t = 0 is an Euler step (one evaluation)
        return 2 * (len(grid) - 1) - (1 if float(grid[-1]) == 0.0 else 0)

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        # d1 = f x - g^2/2 s1, x_e = x + dt d1, d2 = f1 x_e - g1^2/2 s2, x' = x + dt (d1 + d2)/2,
        # expanded into fused scaled adds (same value, fewer tensor operations).
        c = ctx.coeffs
        dt = c.t_next - c.t
        s1 = ctx.score(x)
        x_e = x.mul(1.0 + dt * c.f).add_(s1, alpha=-0.5 * dt * c.g2)
        if c.t_next == 0.0:
            return x_e, x_e
        s2 = ctx.score(x_e, c.t_next)
        h = 0.5 * dt
        x = x.mul(1.0 + h * c.f).add_(s1, alpha=-0.5 * h * c.g2).add_(x_e, alpha=h * c.f1).add_(s2, alpha=-0.5 * h * c.g21)
        return x, x
