"""Shared pieces of the multistep and exponential-integrator steps.

Notation (any linear SDE, x_t = m(t) x_0 + s(t) z): lambda = log(m/s) (half log-SNR), sigma = s/m
(EDM noise level, Karras et al. 2022, Eq. 4), x~ = x/m. With the data prediction
x0_hat = (x + s^2 score)/m and the noise prediction eps_hat = -s score, the probability-flow ODE has
the exact variation-of-constants forms (Lu et al. 2022a, Eq. 3.4; Lu et al. 2022b, Eq. 9;
Karras et al. 2022, Eq. 4 with s(t) = 1):

    x_t = (s_t/s_u) x_u + s_t int_{lambda_u}^{lambda_t} e^lambda x0_hat dlambda          (data prediction)
    x~_t = x~_u + int_{sigma_u}^{sigma_t} eps_hat dsigma                                    (noise prediction)

Every evaluation of a history-keeping step goes through :func:`evaluate`, which records an
:class:`Eval` in ``ctx.state["ms_hist"]`` (the newest last). A corrector that has already evaluated
the score at the interval start (UniC) leaves its :class:`Eval` in ``ctx.state["ms_pending"]``;
:func:`evaluate` then reuses it instead of calling the score again (Zhao et al. 2023, Sec. 3.2:
"UniC uses the model evaluation of the next step", so UniPC costs one NFE per step).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from .base import StepContext

HIST = "ms_hist"
PENDING = "ms_pending"
#: evaluations kept by default; a step needing more passes ``keep`` to :func:`evaluate` (LMS-p keeps p,
#: UniPC-p keeps p + 1: its corrector uses the p points of the previous interval plus the new one)
MAX_HIST = 4


@dataclass
class Eval:
    """One score evaluation at (x, t): m, s at t, lambda = log(m/s), sigma = s/m, x0_hat, eps_hat."""

    t: float
    m: float
    s: float
    x0: Tensor
    eps: Tensor

    @property
    def lam(self) -> float:
        return math.log(self.m / self.s)

    @property
    def sigma(self) -> float:
        return self.s / self.m


def ms_at(sde, t: float) -> tuple[float, float]:
    """(m(t), s(t)) as floats, computed in float64."""
    tt = torch.tensor(t, dtype=torch.float64)
    return float(torch.exp(sde.log_mean_coeff(tt))), float(torch.sqrt(sde.marginal_var(tt)))


def t_of_sigma(sde, sigma) -> Tensor:
    """Times with noise level s/m = sigma (float64 bisection, ``LinearSDE.t_from_noise_level``)."""
    return sde.t_from_noise_level(torch.as_tensor(sigma, dtype=torch.float64))


def t_of_sigma_near(sde, sigma: float, t0: float) -> float:
    """t with noise level sigma(t) = sigma by safeguarded Newton from t0 (a nearby time), using
    d sigma/dt = g^2/(2 m s) (from d(s^2/m^2)/dt = g^2/m^2); falls back to bisection
    (``t_of_sigma``) if it leaves [0, T] or does not converge in 30 iterations."""
    t = float(t0)
    for _ in range(30):
        tt = torch.tensor(t, dtype=torch.float64)
        m = float(torch.exp(sde.log_mean_coeff(tt)))
        s = float(torch.sqrt(sde.marginal_var(tt)))
        g2 = float(sde.diffusion_sq(tt))
        if s <= 0.0 or g2 <= 0.0:
            break
        dt = (s / m - sigma) / (g2 / (2.0 * m * s))
        t -= dt
        if not (0.0 <= t <= sde.T):
            break
        if abs(dt) <= 1e-13 * max(sde.T, 1.0):
            return t
    return float(t_of_sigma(sde, sigma))


def eval_at(ctx: StepContext, x: Tensor, t: float, m: float, s: float) -> Eval:
    """Evaluate the score once at (x, t) and return both predictions (no history)."""
    sc = ctx.score(x, t)
    return Eval(t, m, s, (x + (s * s) * sc) / m, (-s) * sc)


def evaluate(ctx: StepContext, x: Tensor, keep: int = MAX_HIST) -> Eval:
    """The evaluation at the interval start (x, ctx.t), reusing a corrector's pending one; recorded in the
    history, which keeps the newest ``keep`` evaluations (at least MAX_HIST)."""
    c = ctx.coeffs
    pend = ctx.state.pop(PENDING, None)
    e = pend if (pend is not None and pend.t == c.t) else eval_at(ctx, x, c.t, c.m, c.s)
    hist = ctx.state.setdefault(HIST, [])
    hist.append(e)
    del hist[:-max(keep, MAX_HIST)]
    return e


def history(ctx: StepContext) -> list:
    return ctx.state.get(HIST, [])


LOWER_ORDER_FINAL = (True, False, "always")


def check_lower_order_final(value) -> object:
    if value not in LOWER_ORDER_FINAL or isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"lower_order_final must be True, False or 'always', got {value!r}")
    return value


def step_order(ctx: StepContext, order: int, available: int, lower_order_final) -> int:
    """The order used on this interval: warm-up (at most the points available), and with
    ``lower_order_final`` on runs of fewer than 15 steps (``"always"``: on every run, as diffusers'
    UniPC) the last step is first order and the one before at most second (as Lu et al.'s reference
    code and diffusers do); an interval ending at t = 0 (s = 0, lambda = inf) is always first order.
    ``"always"`` trades the global order (a first-order last step has local error O(h^2)) for
    stability where the last log-SNR step is much longer than the previous ones (uniform-t grids)."""
    p = min(order, available)
    if ctx.coeffs.s1 == 0.0:
        return 1
    if lower_order_final == "always" or (lower_order_final and ctx.n_steps < 15):
        left = ctx.n_steps - ctx.step_index
        p = min(p, left)
    return max(p, 1)


def rk_start_nfe(grid, p: int) -> int:
    """Extra evaluations of the singlestep start (:func:`rk_start`) on ``grid`` for a method of order p:
    two for each of the first p - 2 intervals that do not end at t = 0."""
    ts = [float(t) for t in grid]
    return 2 * sum(1 for k in range(min(max(p - 2, 0), len(ts) - 1)) if ts[k + 1] > 0.0)


def phi(k: int, z: float) -> float:
    """phi_k(z) = int_0^1 e^{(1-u) z} u^{k-1}/(k-1)! du (phi_0 = e^z): series for |z| < 1, recurrence
    phi_k = (phi_{k-1} - 1/(k-1)!)/z otherwise (Hochbruck & Ostermann 2010, Eq. 2.10)."""
    if k == 0:
        return math.exp(z)
    if abs(z) < 1.0:
        term, tot, j = 1.0 / math.factorial(k), 0.0, 0
        while True:
            tot += term
            j += 1
            term *= z / (j + k)
            if abs(term) < 1e-18 * abs(tot):
                return tot
    p = math.exp(z)
    for j in range(1, k + 1):
        p = (p - 1.0 / math.factorial(j - 1)) / z
    return p


def combine(coefs: Sequence[float], tensors: Sequence[Tensor]) -> Tensor:
    out = coefs[0] * tensors[0]
    for c, v in zip(coefs[1:], tensors[1:]):
        out = out + c * v
    return out


def lagrange_integrals(nodes: Sequence[float], a: float, b: float) -> list[float]:
    """int_a^b l_j(u) du for the Lagrange basis l_j of ``nodes`` (exact polynomial integration):
    the weights solve the moment equations sum_j w_j v_j^k = int v^k dv, k < n, in the shifted,
    scaled variable v = (u - nodes[0])/(b - a) (a small Vandermonde system, well conditioned there)."""
    scale = b - a
    v = np.array([(u - nodes[0]) / scale for u in nodes], dtype=np.float64)
    lo, hi = (a - nodes[0]) / scale, (b - nodes[0]) / scale
    n = len(v)
    k = np.arange(n)
    V = v[None, :] ** k[:, None]
    mom = (hi ** (k + 1) - lo ** (k + 1)) / (k + 1)
    return (np.linalg.solve(V, mom) * scale).tolist()


def gauss_legendre(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


def dpmpp_data_update(x: Tensor, s_ratio: float, m1: float, h: float, hist: Sequence[Eval], p: int,
                      eta: float = 0.0, coef: str = "exact") -> Tensor:
    """The noise-free part of DPM-Solver++(pM) / SDE-DPM-Solver++(pM), p = 1, 2, 3, in data prediction.

    With h = lambda_{i} - lambda_{i-1}, h^ = (1 + eta) h, r_k = h_{i-k}/h and the newest data
    predictions D_0 (at the interval start), D_{-1}, D_{-2}:
        x' = (s'/s) e^{-eta h} x + m' (1 - e^{-h^}) D_0 + m' phi2 d1 - m' phi3 d2,
        phi2 = (e^{-h^} - 1)/h^ + 1 = h^ phi_2(-h^),   phi3 = phi2/h^ - 1/2 = h^ phi_3(-h^) (up to sign),
    p = 2 ("midpoint" form, Lu et al. 2022b, Alg. 2 and its SDE variant, Sec. 5 and App. B):
        d1 = (1 - e^{-h^})/(2 r_1) (D_0 - D_{-1}) replaces phi2 d1, no d2;
    p = 3 (Lu et al. 2022b, App. A "DPM-Solver++(3M)"; the SDE variant as k-diffusion's dpmpp_3m_sde):
        d1_0 = (D_0 - D_{-1})/r_1, d1_1 = (D_{-1} - D_{-2})/r_2,
        d1 = d1_0 + r_1/(r_1 + r_2) (d1_0 - d1_1),  d2 = (d1_0 - d1_1)/(r_1 + r_2).
    d1 = h D'(lambda) + O(h^3) and d2 = h^2 D''/2 + O(h^3) (Taylor), and the exact integral of the
    quadratic term is m' h^3 phi_3(-h^) D'' = m' (2 h^ phi_3(-h^)) d2: ``coef="exact"`` uses that
    weight. The reference code (Lu et al.'s dpm_solver, diffusers, k-diffusion) uses
    phi2/h^ - 1/2 = h^ phi_3(-h^), half of it (``coef="reference"``): its local error is then
    O(h^3) and the method second order; measured in tests/test_orders.py (2.0 against 3.0).
    eta = 0 is the probability-flow ODE solver; the caller adds s' sqrt(1 - e^{-2 eta h}) z.
    """
    hh = (1.0 + eta) * h
    em = -math.expm1(-hh)  # 1 - e^{-h^}
    d0 = hist[-1].x0
    out = (s_ratio * math.exp(-eta * h)) * x + (m1 * em) * d0
    if p == 2:
        r = (hist[-1].lam - hist[-2].lam) / h
        out = out + (m1 * em * 0.5 / r) * (d0 - hist[-2].x0)
    elif p >= 3:
        r1 = (hist[-1].lam - hist[-2].lam) / h
        r2 = (hist[-2].lam - hist[-3].lam) / h
        d10 = (d0 - hist[-2].x0) / r1
        d11 = (hist[-2].x0 - hist[-3].x0) / r2
        phi2 = hh * phi(2, -hh)          # (e^{-h^} - 1)/h^ + 1
        phi3 = -hh * phi(3, -hh) * (2.0 if coef == "exact" else 1.0)  # sign: -phi3 > 0
        d1 = d10 + (r1 / (r1 + r2)) * (d10 - d11)
        d2 = (d10 - d11) / (r1 + r2)
        out = out + (m1 * phi2) * d1 - (m1 * phi3) * d2
    return out


__all__ = ["Eval", "evaluate", "eval_at", "history", "step_order", "phi", "combine", "lagrange_integrals",
           "gauss_legendre", "dpmpp_data_update", "ms_at", "t_of_sigma", "t_of_sigma_near", "rk_start_nfe", "check_lower_order_final", "HIST", "PENDING"]
