"""Linear multistep combinations of model outputs: PNDM/PLMS's Adams–Bashforth noise estimate (Liu et al. 2022,
Eq. 12: e'_t = (55 e_t − 59 e_{t−δ} + 37 e_{t−2δ} − 9 e_{t−3δ})/24, and the lower orders used for the first steps).

A formula ``e'_t = Σ_j c_j e_{t−jδ}`` (the left side the same letter as the right side's terms, at the current index,
marked by a prime, hat, tilde or bar; the right side a combination of that letter at the current and the K − 1
previous indices, with numbers as coefficients) is judged against the K-step Adams–Bashforth coefficients

    b_j = (−1)^j / (j! (K − 1 − j)!) ∫₀¹ ∏_{m ≠ j} (u + m) du,   j = 0 … K − 1

(Hairer, Nørsett & Wanner 1993, Sec. III.1, Eq. 1.5): 1; 3/2, −1/2; 23/12, −16/12, 5/12; 55/24, −59/24, 37/24, −9/24.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, Optional, Tuple

import sympy as sp

from .atoms import ParseError
from .verdict import Verdict

__all__ = ["adams_bashforth", "judge_multistep"]

SOURCE = "Liu et al. 2022 (PNDM), Eq. 12; Hairer, Nørsett & Wanner 1993, Sec. III.1"


@lru_cache(maxsize=8)
def adams_bashforth(k: int) -> Tuple[sp.Rational, ...]:
    """The k-step Adams–Bashforth weights of f_n, f_{n−1}, …, f_{n−k+1}."""
    u = sp.Symbol("u")
    out = []
    for j in range(k):
        poly = sp.Integer(1)
        for m in range(k):
            if m != j:
                poly *= (u + m)
        out.append(sp.Rational((-1) ** j, sp.factorial(j) * sp.factorial(k - 1 - j)) * sp.integrate(poly, (u, 0, 1)))
    return tuple(out)


_PRIME = re.compile(r"\^\s*(?:\{\s*\\prime\s*\}|\\prime(?![A-Za-z]))")
_OFFSET = re.compile(r"^(?P<i>[a-zA-Z])(?:\s*-\s*(?P<k>\d*)\s*(?P<unit>δ|Δt|h|Δ|\\delta|)\s*)?$")


def _offset(sub: str, index: str) -> Optional[Tuple[int, str]]:
    m = _OFFSET.match(sub.replace(" ", ""))
    if not m or m.group("i") != index:
        return None
    if m.group("k") is None and not m.group("unit"):
        return 0, ""
    k = int(m.group("k")) if m.group("k") else 1
    unit = m.group("unit") or ""
    return k, unit


_HIST = re.compile(r"\b(?P<n>[A-Za-z_][\w.]*)\s*\[\s*-\s*(?P<k>\d)\s*\]")
_CODE = re.compile(r"^\s*(?P<lhs>[A-Za-z_]\w*)\s*=(?!=)\s*(?P<rhs>[^=]+)$")


def _from_code(eq: str) -> str:
    """``e = (3 * ets[-1] - ets[-2]) / 2``: a combination of one history list read from its end (diffusers' PNDM
    keeps the model outputs in ``ets``, newest last) as e'_t = (3 e_t − e_{t−1})/2; anything else unchanged."""
    m = _CODE.match(eq)
    if not m or "\\" in eq:
        return eq
    names = {q.group("n") for q in _HIST.finditer(m.group("rhs"))}
    if len(names) != 1 or re.search(r"[A-Za-z_]", _HIST.sub("", m.group("rhs"))):
        return eq

    def sub(q: re.Match) -> str:
        k = int(q.group("k")) - 1
        return " e_{t} " if k == 0 else f" e_{{t-{k}}} "

    return "e_t' = " + _HIST.sub(sub, m.group("rhs")).replace("*", " ")


def judge_multistep(eq: str) -> Optional[Verdict]:
    """A verdict for an Adams–Bashforth combination of model outputs, or None when ``eq`` is not one."""
    if "[-" in eq:
        eq = _from_code(eq)
    if "'" not in eq and r"\prime" not in eq and not re.search(r"\\(?:tilde|hat|bar)", eq):
        return None
    from .parse import parse

    text = _PRIME.sub("'", eq)
    try:
        p = parse(text)
    except (ParseError, ValueError, TypeError):
        return None
    if len(p.sides) != 2 or p.relation != "=":
        return None
    lhs, rhs = p.sides
    if not (isinstance(lhs, sp.Symbol) and lhs in p.atoms):
        return None
    la = p.atoms[lhs]
    if not ("′" in la.sup or "'" in la.sub or la.deco in ("tilde", "hat", "bar")) or not re.fullmatch(r"[a-zA-Z]", la.sub.strip("'")):
        return None
    if la.base not in ("e", "ε", "ϵ", "d", "D", "f", "v", "s"):
        return None  # a combination of model outputs (noise, derivative, velocity, score), not of states
    index = la.sub.strip("'")
    coef: Dict[int, sp.Expr] = {}
    units = set()
    ex = sp.expand(rhs)
    linear = sp.Integer(0)
    for s_ in ex.free_symbols:
        at = p.atoms.get(s_)
        if at is None or at.base != la.base or at.sup or (at.deco != "" and at.deco == la.deco):
            return None
        if at.args:  # the model output at the current step, ε_θ(x_t, t)
            got = _offset(at.args[-1], index) if len(at.args) >= 2 else None
        else:
            got = _offset(at.sub, index)
        if got is None:
            return None
        k, unit = got
        if unit:
            units.add(unit)
        c = ex.coeff(s_)
        if not c.is_number or k in coef:
            return None
        coef[k] = c
        linear += c * s_
    if len(units) > 1 or len(coef) < 2 or sp.expand(ex - linear) != 0:
        return None
    order = max(coef) + 1
    if sorted(coef) != list(range(order)) or order > 6:
        return None
    want = adams_bashforth(order)
    got = [sp.nsimplify(coef[j]) for j in range(order)]
    title = f"Adams–Bashforth combination of order {order} (PNDM/PLMS)"
    shown = ", ".join(sp.sstr(w) for w in want)
    if all(sp.simplify(g - w) == 0 for g, w in zip(got, want)):
        return Verdict(eq, "exact", f"identical to the {order}-step Adams–Bashforth weights {shown} ({SOURCE})",
                       claim=title, target="plms_adams_bashforth")
    bad = [j for j in range(order) if sp.simplify(got[j] - want[j]) != 0]
    where = "; ".join(f"weight of the output {j} steps back: expected {sp.sstr(want[j])}, found {sp.sstr(got[j])}"
                      for j in bad)
    total = sum(got)
    why = "" if total == 1 else f" (the weights sum to {sp.sstr(total)}, not 1: not even a consistent extrapolation)"
    return Verdict(eq, "inconsistent", f"{where}{why} ({SOURCE})", claim=title, target="plms_adams_bashforth",
                   terms=["rhs"])
