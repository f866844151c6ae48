"""An identity between the continuous VP SDE's schedule functions: g(t)²/σ(t)² = β(t)/(1 − e^{−∫β}) = d/dt log(e^{∫β} − 1).

Papers rewrite the weights of their objectives through the VP SDE's coefficients (Song, Durkan, Murray & Ermon 2021,
Sec. 5 and App. C: the importance weight g(t)²/σ(t)² of likelihood weighting; Kingma et al. 2021, App. for the
log-SNR). With β(t) in the equation the functions are those of the VP SDE dx = −½β(t)x dt + √β(t) dw (Song et al.
2021, Eq. 11): g(t) = √β(t), f(t) = −½β(t), and σ(t), the std of its kernel p_{0t}, has σ(t)² = 1 − e^{−∫_0^t β(s) ds}
(Song et al. 2021, Eq. 29); the sub-VP SDE has the same β with g(t)² = β(t)(1 − e^{−2∫β}) and σ(t)² =
(1 − e^{−∫β})² (Eq. 12, App. B); Karras et al. 2022 (Table 1, VP) write σ(t) for the noise level of the scaled process,
σ(t)² = e^{∫β} − 1 (the registry's VP σ(t)). An identity is judged under each of the three readings.

Rule: an equation (or chain) whose sides are built only of these functions, t, integrals of β and d/dt, with no single
named quantity on the left, is judged by comparing its sides for a generic β (:func:`scoresde.formulas.evaluate.is_zero`
evaluates β as concrete schedules): all equal under one of the readings -> ``exact``; a side that differs under every one -> ``inconsistent`` (term ``rhs``).
"""
from __future__ import annotations

from typing import Dict, Optional

import sympy as sp

from . import canon as C
from .atoms import DDT, DT, DW, DWBAR, DX, NORMAL, ParseError
from .verdict import Verdict

__all__ = ["judge_vp_identity"]

SOURCE = "Song et al. 2021, Eq. 11 and 29 (g = √β, σ(t)² = 1 − e^{−∫β}); Song, Durkan, Murray & Ermon 2021, Sec. 5"


def _time(arg: str, dummies: Dict[str, sp.Symbol]) -> Optional[sp.Expr]:
    a = arg.replace(" ", "")
    if a == "t":
        return C.t
    return dummies.get(a)


def judge_vp_identity(eq: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for an identity between the VP SDE's schedule functions (module docstring), or None."""
    from .evaluate import is_zero
    from .parse import parse

    try:
        p = parse(eq)
    except (ParseError, ValueError, TypeError):
        return None
    if p.relation != "=" or len(p.sides) < 2 or p.issues:
        return None
    if any(s_.has(DX, DT, DW, DWBAR, NORMAL) for s_ in p.sides):
        return None
    if not any(at.base == "β" and at.args for at in p.atoms.values()):
        return None
    if len(p.sides[0].free_symbols) == 1 and isinstance(p.sides[0], sp.Symbol):
        return None  # a named quantity on the left: a definition, read by the registry
    dummies: Dict[str, sp.Symbol] = {}
    for s_ in p.sides:
        for integ in s_.atoms(sp.Integral):
            for lim in integ.limits:
                dummies[lim[0].name] = sp.Symbol(f"_u_{lim[0].name}", positive=True)
    ib = sp.Integral(C.BETA(C.U), (C.U, 0, C.t))
    readings = [("VP", C.BETA(C.t), 1 - sp.exp(-ib)),  # Song et al. 2021, Eq. 11 and 29
                ("sub-VP", C.BETA(C.t) * (1 - sp.exp(-2 * ib)), (1 - sp.exp(-ib)) ** 2),  # Eq. 12 and App. B
                ("VP (EDM's σ)", C.BETA(C.t), sp.exp(ib) - 1)]  # Karras et al. 2022, Table 1: σ(t) = √(e^{∫β} − 1)
    claim = "an identity between the VP SDE's schedule functions"
    differs = None
    for name, g2, sig2 in readings:
        sides = _sides(p, dummies, g2, sig2)
        if sides is None:
            return None
        bad = None
        for k, side in enumerate(sides[1:], start=1):
            zero, how = is_zero(sides[0] - side)
            if zero is None:
                return None
            if zero is False:
                bad = k
                break
        if bad is None:
            return Verdict(eq, "exact", f"the sides agree for the {name} SDE's β(t) ({how}; {SOURCE})", claim=claim)
        differs = bad if differs is None else differs
    return Verdict(eq, "inconsistent", f"side {differs + 1} differs from side 1 for the VP SDE's β(t) (σ(t) read as its "
                   f"kernel's std or EDM's noise level; also for the sub-VP SDE) ({SOURCE})", claim=claim, terms=["rhs"])


def _sides(p, dummies: Dict[str, sp.Symbol], g2: sp.Expr, sig2: sp.Expr):
    """The sides with every function of the SDE written in β (None: a symbol outside this vocabulary)."""
    sub: Dict[sp.Symbol, sp.Expr] = {}
    for s_ in p.sides:
        for integ in s_.atoms(sp.Integral):
            for lim in integ.limits:
                sub[lim[0]] = dummies[lim[0].name]  # the bound variable itself (not among the free symbols)
    for s_ in set().union(*[q.free_symbols for q in p.sides]):
        at = p.atoms.get(s_)
        if at is None:
            return None
        if at.base == "t" and not at.sub and at.args is None:
            sub[s_] = C.t
        elif at.args is None and not at.sub and s_.name in dummies:
            sub[s_] = dummies[s_.name]
        elif at.base == "e" and not at.sub and at.args is None:
            sub[s_] = sp.E
        elif at.deco or at.sub or at.sup or not at.args or len(at.args) != 1:
            return None
        elif at.base == "β" and _time(at.args[0], dummies) is not None:
            sub[s_] = C.BETA(_time(at.args[0], dummies))
        elif at.base == "g" and at.args[0].strip() == "t":
            sub[s_] = sp.sqrt(g2)
        elif at.base == "f" and at.args[0].strip() == "t":
            sub[s_] = -C.BETA(C.t) / 2
        elif at.base == "σ" and at.args[0].strip() == "t":
            sub[s_] = sp.sqrt(sig2)
        else:
            return None
    sides = [q.xreplace(sub).replace(lambda e_: isinstance(e_, sp.Function) and e_.func == DDT,
                                     lambda e_: sp.Derivative(e_.args[0], C.t)) for q in p.sides]
    return [C.canon_integrals(q) for q in sides]
