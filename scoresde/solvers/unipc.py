"""UniPC (Zhao et al. 2023, "UniPC: a unified predictor-corrector framework"), data prediction.

With h = lambda_t - lambda_{s0} (lambda = log(m/s)), the points s0 (interval start) and older s_k,
r_k = (lambda_{s_k} - lambda_{s0})/h, D_k = (x0_hat(s_k) - x0_hat(s0))/r_k, and B(h) = h ("bh1") or
e^h - 1 ("bh2") evaluated at -h as in the data-prediction form (Zhao et al. 2023, Sec. 3.3 and
App. C):

* UniP-p (predictor, Alg. 2 / Eq. 6):
      x_t = (s_t/s_{s0}) x_{s0} - m_t (e^{-h} - 1) x0_hat(s0) - m_t B(h) sum_{k<p} rho^p_k D_k,
  rho^p solving R_{p-1}(h) rho = g_{p-1}(h)/B(h) with R_{ik} = r_k^{i-1} and
  g_i = (-h) phi_{i+1}(-h) i! (Eq. 8, Thm. 3.1); for a single point rho = 1/2, as the reference code
  does (the only place B(h) matters: a solved system cancels it). Order p (UniP-1 is DDIM).
* UniC-p (corrector, Eq. 7): the same update from x_{s0} with one more point, the new evaluation
  at the predicted x_t (D_t = x0_hat(x_t, t) - x0_hat(s0), r = 1), rho^c solving the full p x p
  system. It raises the order by one (Thm. 3.2). UniPC does not evaluate at the corrected x_t:
  the evaluation at the predicted x_t is reused by the next step (Sec. 3.2), so UniPC-p costs one
  NFE per step and has order p + 1.

Declared orders: p + 1 with the corrector for p = 1, 2; 3 for p = 3 and 4 (the first warm-up step,
UniP-1 + UniC-1 with local error O(h^3), caps the global order; p + 1 after the warm-up, and the
warm-up step sits at high noise where its error is damped, so measured slopes are higher on
practical step counts), p without it. p = 4 is the paper's Alg. 2 with one more point (diffusers'
``solver_order=4``); it keeps p + 1 evaluations (the corrector uses the previous interval's p points
and the new one). ``UniPC`` (predictor ``unipc``) runs UniC-p then UniP-p on each interval from the second on; the
last interval's prediction is not corrected (that would take one more evaluation), as in the paper
and diffusers. Warm-up: step k uses p = min(p, k + 1). Final interval: on runs of fewer than 15
steps with ``lower_order_final`` the last two steps drop to order 1 and 2; an interval ending at
t = 0 is x = m(0) x0_hat. ``UniC`` (corrector ``unic``) is the corrector alone, following any
deterministic predictor (the sampler refuses a stochastic one, whose noise it would overwrite):
with ``order=None`` it uses as many past points as the predictor's step recorded (1 without a
history). NFE: one per interval (at the predicted x_t); a history-keeping predictor (dpmpp_3m,
unipc, deis, lms, sde_dpmpp_*) reuses that evaluation and spends none, so predictor + unic costs
one NFE per step; any other predictor evaluates again (two per step).
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor

from .._util import check_int
from .base import Step, StepContext
from .multistep import check_lower_order_final, PENDING, Eval, combine, eval_at, evaluate, history, phi, step_order

VARIANTS = ("bh1", "bh2")
#: the largest predictor order p of ``UniPC``
MAX_ORDER = 4


def _rhos(rks: list[float], h: float, variant: str, n: int) -> list[float]:
    """Solve R_n rho = g_n / B(h) (Zhao et al. 2023, Eq. 8) for the first n of ``rks``."""
    hh = -h
    B = hh if variant == "bh1" else math.expm1(hh)
    R = [[rk ** i for rk in rks[:n]] for i in range(n)]
    g = [hh * phi(i + 2, hh) * math.factorial(i + 1) / B for i in range(n)]
    sol = torch.linalg.solve(torch.tensor(R, dtype=torch.float64), torch.tensor(g, dtype=torch.float64))
    return sol.tolist()


def uni_update(x_s: Tensor, pts: list[Eval], new: Optional[Eval], m_t: float, s_t: float, lam_t: float,
               variant: str) -> Tensor:
    """UniP (new is None; ``pts`` newest last, len = p) or UniC (``new`` at t; len(pts) = p)."""
    s0 = pts[-1]
    h = lam_t - s0.lam
    hh = -h
    B = hh if variant == "bh1" else math.expm1(hh)
    rks, ds = [], []
    for e in reversed(pts[:-1]):
        rk = (e.lam - s0.lam) / h
        rks.append(rk)
        ds.append((e.x0 - s0.x0) / rk)
    if new is not None:
        rks.append(1.0)
        ds.append(new.x0 - s0.x0)
    base = (s_t / s0.s) * x_s - (m_t * math.expm1(hh)) * s0.x0
    if not ds:
        return base
    # one point (UniP-2, UniC-1): rho = 1/2, as Zhao et al.'s reference code (and diffusers) take it. It is
    # consistent: B(h)/2 = -h/2 + O(h^2) = (-h) phi_2(-h) + O(h^2), and D_1 = O(h), so the local error keeps
    # its order; here B(h) (the ``variant``) matters. Solving Eq. 8 instead would cancel B(h) exactly.
    rho = [0.5] if len(rks) == 1 else _rhos(rks, h, variant, len(rks))
    return base - (m_t * B) * combine(rho, ds)


def _check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return variant


class UniPC(Step):
    needs_positive_m = True
    name = "unipc"
    nfe_per_step = 1
    deterministic_ode = True
    multistep = True
    summary = "PF-ODE, UniPC (UniP-p + UniC-p), order p + 1"

    def __init__(self, order: int = 2, variant: str = "bh2", corrector: bool = True, lower_order_final: bool = True):
        self.p = check_int("order", order, 1)
        if self.p > MAX_ORDER:
            raise ValueError(f"order must be 1, 2, 3 or 4, got {self.p}")
        self.variant = _check_variant(variant)
        self.corrector = bool(corrector)
        self.lower_order_final = check_lower_order_final(lower_order_final)
        # UniC raises UniP-p to p + 1 (Thm. 3.2); for p >= 3 the first step (UniP-1 + UniC-1, local
        # error O(h^3)) caps the global order at 3 (measured 3.6-3.9 on 32-640 log-SNR steps: pre-asymptotic)
        self.order = float(min(self.p + 1, 3) if self.corrector else self.p)

    def config(self) -> dict:
        cfg: dict = {"order": self.p}
        if self.variant != "bh2":
            cfg["variant"] = self.variant
        if not self.corrector:
            cfg["corrector"] = False
        if self.lower_order_final is not True:
            cfg["lower_order_final"] = self.lower_order_final
        return cfg

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        prev = ctx.state.get("unipc_prev")  # (x_{s0}, order used on the previous interval)
        e = evaluate(ctx, x, keep=self.p + 1)
        hist = history(ctx)
        if self.corrector and prev is not None:
            x_s, p_prev = prev
            x = uni_update(x_s, hist[-1 - p_prev:-1], e, c.m, c.s, e.lam, self.variant)
        if c.s1 == 0.0:
            x_new = c.m1 * e.x0
            return x_new, x_new
        p = step_order(ctx, self.p, len(hist), self.lower_order_final)
        ctx.state["unipc_prev"] = (x, p)
        x_new = uni_update(x, hist[-p:], None, c.m1, c.s1, math.log(c.m1 / c.s1), self.variant)
        return x_new, x_new


class UniC(Step):
    needs_positive_m = True
    name = "unic"
    kind = "corrector"
    order = None
    nfe_per_step = 1
    summary = "UniC corrector (raises a deterministic predictor's order by one)"

    def __init__(self, order: Optional[int] = None, variant: str = "bh2"):
        self.p = None if order is None else check_int("order", order, 1)
        if self.p is not None and self.p > 3:
            raise ValueError(f"order must be None, 1, 2 or 3, got {self.p}")
        self.variant = _check_variant(variant)

    def config(self) -> dict:
        cfg: dict = {} if self.p is None else {"order": self.p}
        if self.variant != "bh2":
            cfg["variant"] = self.variant
        return cfg

    def check_predictor(self, predictor: Step) -> None:
        if predictor.stochastic or not predictor.deterministic_ode:
            raise ValueError(f"corrector 'unic' follows deterministic PF-ODE predictors only; got {predictor!r}, "
                             "whose noise it would overwrite")

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        st = ctx.state.setdefault("unic", {"pts": [], "x_s": None})
        new = eval_at(ctx, x, c.t, c.m, c.s)
        ctx.state[PENDING] = new  # the predictor's evaluation at the interval start, if it keeps a history
        pts = st["pts"]
        if st["x_s"] is not None:
            # p: as many past points as the predictor's own history holds (its current order), or fixed
            p = self.p if self.p is not None else max(1, min(3, len(ctx.state.get("ms_hist", [])), len(pts)))
            p = min(p, len(pts))
            x = uni_update(st["x_s"], pts[-p:], new, c.m, c.s, new.lam, self.variant)
        pts.append(new)
        del pts[:-3]
        st["x_s"] = x
        return x, x


def warmup_correct(ctx: StepContext, x: Tensor, e: Eval, p_full: int) -> Tensor:
    """UniC on the warm-up steps of a multistep predictor of order ``p_full``, at no extra NFE.

    A multistep method's first steps have too few points: step k has order k + 1, and one step of
    local error O(h^{k+2}) < O(h^{p+1}) lowers the global order to k + 1. If the previous step used
    q < p_full - 1 points, UniC-q (Zhao et al. 2023, Eq. 7) recomputes it from its start x_s with the
    evaluation just made at its end (which the predictor reuses), raising its local error to
    O(h^{q+2}) (Thm. 3.2). Call at the interval start after :func:`evaluate`; the caller records
    (x_s, q) in ``ctx.state["warmup_prev"]`` after choosing this step's order.
    """
    prev = ctx.state.pop("warmup_prev", None)
    if prev is None:
        return x
    x_s, q = prev
    if q >= p_full - 1:
        return x
    hist = history(ctx)
    c = ctx.coeffs
    return uni_update(x_s, hist[-1 - q:-1], e, c.m, c.s, e.lam, "bh2")
