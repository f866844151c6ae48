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

from .base import StepContext
from .eps_multistep import EpsMultistep
from .multistep import lagrange_integrals


class LMS(EpsMultistep):
    name = "lms"
    summary = "PF-ODE, linear multistep (Adams-Bashforth) in sigma"
    default_order = 4
    max_order = 6

    def __init__(self, order: int = 4, warmup: str = "auto"):
        super().__init__(order, warmup)

    def weights(self, ctx: StepContext, pts) -> list:
        c = ctx.coeffs
        return lagrange_integrals([q.sigma for q in pts], pts[-1].sigma, c.s1 / c.m1)
