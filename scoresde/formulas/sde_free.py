"""Free functions of an SDE entry that a claim fixes through its own terms (compare_sde's first step)."""
from __future__ import annotations

from typing import Callable, List, Tuple

import sympy as sp

from . import canon as C
from .claim import Claim
from .entry import Entry

__all__ = ["langevin_rate_from_noise"]


def langevin_rate_from_noise(cl: Claim, e: Entry, disp: Callable[[sp.Expr], str]) -> Tuple[Entry, List[str]]:
    """EDM's Eq. 6 leaves the Langevin rate β(t) free: a claim that does not name it fixes it through its noise term,
    2β(t)σ(t)² = g(t)² (Karras et al. 2022, Eq. 6; β = σ̇/σ recovers Song et al.'s reverse SDE, Sec. 4): the entry
    with that β, so that the drift is judged against it."""
    rate = C.BETA(C.t)
    if e.direction != "langevin" or not e.diff2.has(rate) or cl.drift.has(rate) or cl.diff2.has(rate) or cl.diff2 == 0:
        return e, []
    try:
        sol = sp.solve(sp.Eq(e.diff2, cl.diff2), rate)
    except Exception:  # pragma: no cover - solve on exotic input
        return e, []
    if len(sol) != 1:
        return e, []
    e2 = e.with_forms({"drift": e.drift.xreplace({rate: sol[0]}), "diff2": cl.diff2})
    return e2, [f"β(t) = {disp(sol[0])} read off the noise term (2β(t)σ(t)² = g(t)²)"]
