"""The result of comparing a claim with a registry entry (:class:`Match`) and the names and display of its pieces
(coefficient bases, step index)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import sympy as sp

from . import canon as C
from .claim import Claim
from .entry import Entry


@dataclass
class Match:
    entry: Entry
    verdict: str
    detail: str
    order: Optional[int] = None
    how: str = ""
    mismatches: int = 0
    notes: List[str] = field(default_factory=list)
    terms: List[str] = field(default_factory=list)  # offending pieces (verdict.Verdict.terms vocabulary)
    charity: List[tuple] = field(default_factory=list)  # readings that differ from what is written


_TERM_OF_BASIS = {C.x_cur: "mean.x", C.x_prev: "mean.x", C.x: "mean.x", C.x0: "mean.x0", C.s: "mean.score", C.e: "mean.eps"}


def term_of_basis(k, cl: Claim) -> str:
    """The vocabulary name of a mean coefficient's basis (the score is named mean.eps when the claim uses ε_θ)."""
    if k == C.s and cl.uses_eps:
        return "mean.eps"
    if k == C.FX:
        return "drift"  # f(x, t) in a discretised SDE step: the drift a user points at
    return _TERM_OF_BASIS.get(k, "mean.other")


def _disp(expr, cl: Claim, simplify: bool = False) -> str:
    if isinstance(expr, sp.Basic):
        if simplify:
            expr = C.tie(expr)
            if sp.count_ops(expr) < 40:
                expr = sp.simplify(expr)
    txt = C.show(expr, _klabel(cl))
    if cl.reading.mode == "discrete" and cl.reading.family == "vp" and cl.parsed is not None and any(
            a_.base == "α" and a_.deco == "" for a_ in cl.parsed.atoms.values()) and cl.reading.notation == "ddpm":
        k = _klabel(cl)
        txt = txt.replace(f"1 - β_{k}", f"α_{k}")
    if cl.reading.mode == "discrete" and cl.reading.family == "vp":
        k = _klabel(cl)
        txt = txt.replace(f"sqrt(1 - β_{k})", f"√α_{k}").replace(f"(1 - β_{k})", f"α_{k}")
    return txt.replace("sqrt(", "√(")


def _klabel(cl: Claim) -> str:
    r = cl.reading
    if r.mode != "discrete":
        return "t"
    return r.index + (f"+{r.k_offset}" if r.k_offset > 0 else "")


_BASIS_NAMES = {C.x_cur: "x_k", C.x_prev: "x_{k-1}", C.x0: "x_0", C.s: "the score s_θ", C.e: "ε_θ", C.FX: "f(x,t)", C.x: "x",
                sp.Integer(1): "the constant term"}


def _bname(bsym, cl: Claim) -> str:
    return C.show(sp.Symbol(_BASIS_NAMES.get(bsym, str(bsym))), _klabel(cl)) if bsym in _BASIS_NAMES else str(bsym)
