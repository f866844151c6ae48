"""What a claim fixes that an SDE entry leaves free: EDM's Langevin rate β(t) read off the noise term, and a VE
diffusion written with a constant base σ^t that defines its own noise schedule."""
from __future__ import annotations

import functools
import random
from typing import Callable, List, Optional, Tuple

import sympy as sp

from . import canon as C
from .claim import Claim
from .entry import Entry
from .evaluate import is_zero

__all__ = ["langevin_rate_from_noise", "own_ve_schedule"]


def langevin_rate_from_noise(cl: Claim, e: Entry, disp: Callable[[sp.Expr], str]) -> Tuple[Entry, List[str]]:
    """EDM's Eq. 6 leaves the Langevin rate β(t) free: a claim that does not name it fixes it through its noise term,
    2β(t)σ(t)² = g(t)² (Karras et al. 2022, Eq. 6; β = σ̇/σ recovers Song et al.'s reverse SDE, Sec. 4): the entry
    with that β, so that the drift is judged against it."""
    rate = C.BETA(C.t)
    if e.direction != "langevin" or not e.diff2.has(rate) or cl.drift.has(rate) or cl.diff2.has(rate) or cl.diff2 == 0:
        return e, []
    sol = _rate(e.diff2, cl.diff2, rate)
    if len(sol) != 1:
        return e, []
    e2 = e.with_forms({"drift": e.drift.xreplace({rate: sol[0]}), "diff2": cl.diff2})
    return e2, [f"β(t) = {disp(sol[0])} read off the noise term (2β(t)σ(t)² = g(t)²)"]


@functools.lru_cache(maxsize=1024)
def _rate(entry_g2: sp.Expr, claim_g2: sp.Expr, rate: sp.Expr) -> tuple:
    """The solution β of entry_g2(β) = claim_g2, where entry_g2 is linear in β (2β(t)σ(t)², Eq. 6); () otherwise."""
    slope = sp.diff(entry_g2, rate)
    if slope == 0 or slope.has(rate):
        return ()
    return (sp.cancel((claim_g2 - entry_g2.xreplace({rate: 0})) / slope),)


def own_ve_schedule(g2: sp.Expr, e: Entry) -> Optional[str]:
    """A VE diffusion g(t)² written without any noise schedule (σ(t), β(t)) defines its own: any g > 0 gives the VE SDE
    dx = g(t) dw with σ(t)² = σ(0)² + ∫₀ᵗ g(s)² ds (Song et al. 2021, Eq. 9 read backwards). Consistent (a valid VE SDE,
    not the registry's g² = d[σ²]/dt of a stated σ(t)) when g² is a positive function of t; None otherwise."""
    if e.lhs != "diffusion|g2" or e.family != "ve" or not g2.has(C.t) or g2.has(C.SIGMA, C.BETA, C.G) \
            or sp.Symbol("σ", positive=True) not in g2.free_symbols:  # only the constant base of classify_more.constant_base
        return None
    if any(f_.func not in (sp.exp, sp.log) for f_ in g2.atoms(sp.Function)) or g2.free_symbols - {C.t} - {
            q for q in g2.free_symbols if q.is_positive}:
        return None
    if is_zero(g2)[0] is not False:  # g = 0 is no SDE
        return None
    from .evaluate import _bad_value
    if _bad_value(g2) is not None or _negative(g2):
        return None
    s_ = sp.Symbol("s", positive=True)
    var = sp.integrate(g2.subs(C.t, s_), (s_, 0, C.t), conds="none")
    return (f"a valid VE SDE dx = g(t) dw with its own noise schedule σ(t)² = σ(0)² + ∫₀ᵗ g(s)² ds = σ(0)² + {sp.sstr(sp.simplify(var))}"
            f" (Song et al. 2021, Eq. 9): g² = {sp.sstr(g2)} is written without σ(t), so it is not the {e.title} of a stated σ(t)")


def _negative(ex: sp.Expr) -> bool:
    """Whether ``ex`` is ≤ 0 (or not a number) somewhere in t ∈ [0, 1] with its constants in [0.5, 30]."""
    rng = random.Random(7)
    for _ in range(6):
        sub = {q: rng.uniform(0.5, 30.0) for q in ex.free_symbols if q != C.t}
        sub[C.t] = rng.uniform(0.0, 1.0)
        try:
            if complex(ex.xreplace(sub).evalf()).real <= 0:
                return True
        except (TypeError, ValueError):
            return True
    return False
