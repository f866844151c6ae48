"""SDE-DPM-Solver++(2M) and (3M): multistep solvers of the reverse SDE in data-prediction form
(Lu et al. 2022b, Sec. 5 / App. B, "SDE-DPM-Solver++"; with a noise scale eta as k-diffusion's
``sample_dpmpp_2m_sde`` ("midpoint") and ``sample_dpmpp_3m_sde``, diffusers' ``algorithm_type=
"sde-dpmsolver++"`` for eta = 1).

With h = lambda' - lambda (lambda = log(m/s)) and h^ = (1 + eta) h, the first-order step is the exact
solution of the reverse SDE with the data prediction frozen at the interval start (Lu et al. 2022b,
Eq. 18 for eta = 1; Gonzalez et al. 2023, SEEDS-1):
    x' = (s'/s) e^{-eta h} x + m' (1 - e^{-h^}) D_0 + s' sqrt(1 - e^{-2 eta h}) z,
and the 2M / 3M corrections of :func:`~scoresde.solvers.multistep.dpmpp_data_update` extrapolate D.
3M uses the exact phi_3 weight on the second difference (k-diffusion's dpmpp_3m_sde uses the reference
code's half weight; see multistep.dpmpp_data_update) and no UniC warm-up correction (the corrector
would overwrite the noise). eta = 0 is exactly DPM-Solver++(2M) / (3M, ``warmup="lower"``) (``dpmpp_2m`` / ``dpmpp_3m``, tested to 1e-12); eta = 1
samples the reverse SDE. Warm-up uses the points available; the final interval follows the ODE
versions' rule (2M: the last step is first order, as ``dpmpp_2m``; 3M: first/second order on runs
of fewer than 15 steps); an interval ending at t = 0 is x = m(0) x0_hat with no noise.
Weak order measured on Gaussian data with exact moments (the multistep history carries earlier noise,
so the moments are propagated jointly over all draws, scoresde.moments; tests/test_orders.py, log-SNR
grids): 2 for both (1.99 / 2.07 on VP). Declared 2; no general weak-order theorem is claimed.
"""
from __future__ import annotations

import math

from torch import Tensor

from .._util import check_nonnegative
from .base import Step, StepContext
from .multistep import dpmpp_data_update, evaluate, history, step_order


class _SDEDPMSolverPP(Step):
    needs_positive_m = True
    order = 2.0
    nfe_per_step = 1
    multistep = True
    solver_order = 2

    def __init__(self, eta: float = 1.0):
        self.eta = check_nonnegative("eta", eta)

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.eta > 0

    @property
    def deterministic_ode(self) -> bool:  # type: ignore[override]
        return self.eta == 0

    def config(self) -> dict:
        return {"eta": self.eta}

    def _order_now(self, ctx: StepContext, available: int) -> int:
        if self.solver_order == 2:  # as dpmpp_2m: lower-order (first-order) last step
            return 1 if (ctx.is_last or available < 2) else 2
        return step_order(ctx, 3, available, True)

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        e = evaluate(ctx, x)
        if c.s1 == 0.0:
            x_new = c.m1 * e.x0
            return x_new, x_new
        hist = history(ctx)
        h = math.log(c.m1 / c.s1) - e.lam
        mean = dpmpp_data_update(x, c.s1 / c.s, c.m1, h, hist, self._order_now(ctx, len(hist)), self.eta)
        if self.eta == 0.0:
            return mean, mean
        return mean + (c.s1 * math.sqrt(-math.expm1(-2.0 * self.eta * h))) * ctx.noise(x), mean


class SDEDPMSolverPP2M(_SDEDPMSolverPP):
    name = "sde_dpmpp_2m"
    solver_order = 2
    summary = "reverse SDE, SDE-DPM-Solver++(2M), noise scale eta"


class SDEDPMSolverPP3M(_SDEDPMSolverPP):
    name = "sde_dpmpp_3m"
    solver_order = 3
    summary = "reverse SDE, SDE-DPM-Solver++(3M), noise scale eta"
