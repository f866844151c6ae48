"""SDEs with a matrix-valued, state-dependent diffusion G(x, t): forward (Song et al. 2021, Eq. 15), reverse
(Eq. 16) and probability flow (Eq. 17). G Gᵀ reads as G², ∇·[G Gᵀ] is one symbol (canon.GX, canon.DIVGG).

The package's SDEs have G(x, t) = g(t) I, for which ∇·[G Gᵀ] = 0 and the three forms reduce to Eq. 5, 6 and 13;
the ties check that reduction symbolically and then run the reduced form's own tie against the package.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_forward_general, tie_sde
from ._common import SONG, collector, g2, s

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

GG = C.GX ** 2


def _fokker_planck_ok(entry: Entry) -> bool:
    """In one dimension with any f(x), G(x), p(x): the probability-flow drift f̃ carries p as the forward SDE does,
    f̃ p = f p − ½ ∂ₓ(G² p) (Fokker–Planck), and the reverse drift is 2 f̃ − f (Song et al. 2021, App. A and D.1)."""
    y = sp.Symbol("y", real=True)
    f_, g_, p_ = sp.Function("F")(y), sp.Function("Gf")(y), sp.Function("P", positive=True)(y)
    sub = {C.FX: f_, C.GX: g_, C.DIVGG: sp.diff(g_**2, y), s: sp.diff(sp.log(p_), y)}
    drift, diff2 = entry.drift.xreplace(sub), entry.diff2.xreplace(sub)
    pf = f_ - sp.diff(g_**2 * p_, y) / (2 * p_)
    want = {"forward": (f_, g_**2), "reverse": (2 * pf - f_, g_**2), "pf": (pf, sp.Integer(0))}[entry.direction]
    return sp.simplify(drift - want[0]) == 0 and sp.simplify(diff2 - want[1]) == 0


def _tie_state_independent(entry: Entry) -> Tuple[bool, str]:
    """In 1-D with a state-dependent G, the Fokker–Planck identity (:func:`_fokker_planck_ok`); with G(x, t) = g(t) I
    (∇·[G Gᵀ] = 0, G Gᵀ = g²), the reduced entry against LinearSDE / ReverseSDE."""
    if not _fokker_planck_ok(entry):
        return False, "the drift does not satisfy the Fokker–Planck identity f̃ p = f p − ½ ∂ₓ(G² p) in one dimension"
    red = entry.with_forms({"drift": entry.drift.xreplace({C.DIVGG: 0, C.GX: C.G(C.t)}),
                            "diff2": entry.diff2.xreplace({C.GX: C.G(C.t)})})
    want = {"forward": (C.FX, g2), "reverse": (C.FX - g2 * s, g2), "pf": (C.FX - g2 * s / 2, sp.Integer(0))}[entry.direction]
    if sp.expand(red.drift - want[0]) != 0 or sp.expand(red.diff2 - want[1]) != 0:
        return False, "with G = g(t) I it does not reduce to Song et al. Eq. 5/6/13"
    ok, detail = (tie_forward_general if entry.direction == "forward" else tie_sde)(red)
    return ok, "Fokker–Planck identity with a state-dependent G in 1-D; G(x, t) = g(t) I reduces it to Eq. 5/6/13; " + detail


_add(name="sde.forward_G", title="forward SDE with diffusion matrix G(x, t)", source=f"{SONG}, App. A, Eq. 15", kind="sde",
     family="generic", latex=r"dx = f(x,t)\,dt + G(x,t)\,dw", relation="LinearSDE.sde with G(x, t) = g(t) I",
     direction="forward", mode="continuous", drift=C.FX, diff2=GG, noise="dw", tie=_tie_state_independent)
_add(name="reverse.sde_G", title="reverse-time SDE with diffusion matrix G(x, t)", source=f"{SONG}, App. A, Eq. 16", kind="sde",
     family="generic",
     latex=r"dx = \{f(x,t) - \nabla\cdot[G(x,t)G(x,t)^\top] - G(x,t)G(x,t)^\top\nabla_x\log p_t(x)\}\,dt + G(x,t)\,d\bar{w}",
     relation="LinearSDE.reverse(score_fn).sde with G(x, t) = g(t) I", direction="reverse", mode="continuous",
     drift=C.FX - C.DIVGG - GG * s, diff2=GG, noise="dwbar", tie=_tie_state_independent)
_add(name="pf.ode_G", title="probability-flow ODE with diffusion matrix G(x, t)", source=f"{SONG}, App. D.1, Eq. 17", kind="sde",
     family="generic",
     latex=r"dx = \{f(x,t) - \frac{1}{2}\nabla\cdot[G(x,t)G(x,t)^\top] - \frac{1}{2}G(x,t)G(x,t)^\top\nabla_x\log p_t(x)\}\,dt",
     relation="LinearSDE.reverse(score_fn, probability_flow=True).sde with G(x, t) = g(t) I", direction="pf", mode="continuous",
     drift=C.FX - C.DIVGG / 2 - GG * s / 2, diff2=sp.Integer(0), noise=None, tie=_tie_state_independent)
