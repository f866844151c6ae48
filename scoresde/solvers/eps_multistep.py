"""The skeleton shared by the noise-prediction multistep integrators ``deis`` and ``lms``.

Both advance x_{i+1} = (m_{i+1}/m_i) x_i + m_{i+1} sum_j C_j eps_hat_{i-j} (an exponential integrator of
the PF-ODE, Zhang & Chen 2023, Eq. 11; Karras et al. 2022, Eq. 4 in x/m) and differ only in the
weights C_j (:meth:`EpsMultistep.weights`). Warm-up, shared here: ``"unic"`` corrects the low-order
first steps with UniC at no extra NFE (Zhao et al. 2023, Eq. 7), ``"rk"`` takes the first p - 2
intervals with singlestep DPM-Solver-3 (Lu et al. 2022a, Alg. 2; 2 extra NFE each), ``"lower"`` is the
plain lower-order start; ``"auto"`` is ``"rk"`` for p >= 4, else ``"unic"``.
"""
from __future__ import annotations

import math
from typing import ClassVar, List, Optional

from torch import Tensor

from .._util import check_int
from .base import Step, StepContext
from .dpm_solver_single import DPMSolver3
from .multistep import Eval, combine, evaluate, history, rk_start_nfe
from .unipc import warmup_correct

WARMUPS = ("auto", "unic", "rk", "lower")


class EpsMultistep(Step):
    needs_positive_m = True
    nfe_per_step = 1
    deterministic_ode = True
    multistep = True
    #: the default and the largest order p of the subclass
    default_order: ClassVar[int] = 3
    max_order: ClassVar[int] = 4

    def __init__(self, order: Optional[int] = None, warmup: str = "auto"):
        self.p = check_int("order", self.default_order if order is None else order, 1)
        if self.p > self.max_order:
            raise ValueError(f"order must be between 1 and {self.max_order}, got {self.p}")
        self.order = float(self.p)
        if warmup not in WARMUPS:
            raise ValueError(f"warmup must be 'auto', 'unic', 'rk' or 'lower', got {warmup!r}")
        self.warmup = self._auto() if warmup == "auto" else warmup

    def _auto(self) -> str:
        return "rk" if self.p >= 4 else "unic"

    def config(self) -> dict:
        cfg = {} if self.p == self.default_order else {"order": self.p}
        return cfg if self.warmup == self._auto() else {**cfg, "warmup": self.warmup}

    def nfe(self, grid) -> int:
        return len(grid) - 1 + (rk_start_nfe(grid, self.p) if self.warmup == "rk" else 0)

    def weights(self, ctx: StepContext, pts: List[Eval]) -> List[float]:
        """C_j for the evaluations ``pts`` (oldest first) on the interval ctx.t -> ctx.t_next."""
        raise NotImplementedError

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        e = evaluate(ctx, x, keep=self.p)
        if self.warmup == "unic":
            x = warmup_correct(ctx, x, e, self.p)
        elif self.warmup == "rk" and ctx.step_index < self.p - 2 and c.s1 > 0.0:
            h = (math.log(c.m1) - math.log(c.s1)) - e.lam
            x_new = DPMSolver3()._update(ctx, x, e.eps, e.lam, h)
            return x_new, x_new
        pts = history(ctx)[-self.p:]
        ctx.state["warmup_prev"] = (x, len(pts))
        x_new = (c.m1 / c.m) * x + c.m1 * combine(self.weights(ctx, pts), [q.eps for q in pts])
        return x_new, x_new


__all__ = ["EpsMultistep", "WARMUPS"]
