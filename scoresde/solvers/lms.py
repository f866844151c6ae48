"""Linear multistep in the noise level (Karras et al. 2022, Sec. 3 / k-diffusion ``sample_lms``):
the variable-step Adams-Bashforth method for dx~/dsigma = eps_hat(x~, sigma), x~ = x/m, sigma = s/m
(Karras et al. 2022, Eq. 4 with s(t) = 1 in their x~ coordinates).

    x~_{i+1} = x~_i + sum_{j=0}^{p-1} c_j eps_hat_{i-j},   c_j = int_{sigma_i}^{sigma_{i+1}} l_j(sigma) dsigma,
so x_{i+1} = (m_{i+1}/m_i) x_i + m_{i+1} sum_j c_j eps_hat_{i-j}, with l_j the Lagrange basis on the last
p noise levels, integrated exactly (k-diffusion integrates them with scipy quad). This is also
Zhang & Chen's (2023) rho-AB-DEIS (Eq. 17 with the polynomial in rho = sigma). Order p (default 4).
Warm-up (step k has only k + 1 points): one step of local error O(h^{k+2}) < O(h^{p+1}) caps the
global order, so ``warmup="rk"`` (the default for p >= 4) takes the first p - 2 intervals with the
singlestep DPM-Solver-3 (local error O(h^4), two extra NFE each: 4 for LMS-4), ``"unic"`` (default
for p <= 3) corrects the warm-up steps with UniC at no extra NFE (enough for p = 3), ``"lower"``
is k-diffusion's plain lower-order start (global order min(p, 2) asymptotically). No lower-order final step: the polynomial is smooth in
sigma down to sigma = 0, so an interval ending at t = 0 (sigma = 0) is an ordinary step.
"""
from __future__ import annotations

import math

from torch import Tensor

from .._util import check_int
from .base import Step, StepContext
from .dpm_solver_single import DPMSolver3
from .multistep import combine, evaluate, history, lagrange_integrals, rk_start_nfe
from .unipc import warmup_correct


class LMS(Step):
    needs_positive_m = True
    name = "lms"
    nfe_per_step = 1
    deterministic_ode = True
    multistep = True
    summary = "PF-ODE, linear multistep (Adams-Bashforth) in sigma"

    def __init__(self, order: int = 4, warmup: str = "auto"):
        self.p = check_int("order", order, 1)
        if self.p > 6:
            raise ValueError(f"order must be between 1 and 6, got {self.p}")
        self.order = float(self.p)
        if warmup not in ("auto", "unic", "rk", "lower"):
            raise ValueError(f"warmup must be 'auto', 'unic', 'rk' or 'lower', got {warmup!r}")
        self.warmup = ("rk" if self.p >= 4 else "unic") if warmup == "auto" else warmup

    def config(self) -> dict:
        cfg = {} if self.p == 4 else {"order": self.p}
        auto = "rk" if self.p >= 4 else "unic"
        return cfg if self.warmup == auto else {**cfg, "warmup": self.warmup}

    def nfe(self, grid) -> int:
        return len(grid) - 1 + (rk_start_nfe(grid, self.p) if self.warmup == "rk" else 0)

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        e = evaluate(ctx, x)
        if self.warmup == "unic":
            x = warmup_correct(ctx, x, e, self.p)
        elif self.warmup == "rk" and ctx.step_index < self.p - 2 and c.s1 > 0.0:
            x_new = DPMSolver3()._update(ctx, x, e.eps, e.lam, math.log(c.m1 / c.s1) - e.lam)
            return x_new, x_new
        pts = history(ctx)[-self.p:]
        ctx.state["warmup_prev"] = (x, len(pts))
        sig1 = c.s1 / c.m1
        coefs = lagrange_integrals([e.sigma for e in reversed(pts)], pts[-1].sigma, sig1)
        x_new = (c.m1 / c.m) * x + c.m1 * combine(coefs, [e.eps for e in reversed(pts)])
        return x_new, x_new
