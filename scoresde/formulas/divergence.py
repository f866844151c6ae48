"""The divergence in the instantaneous change of variables (Chen et al. 2018, Thm. 1; Song et al. 2021, Eq. 39,
App. D.2): ∇·f̃ with f̃(x, t) = f(x, t) − ½ g(t)² s_θ(x, t), the probability-flow drift (Song et al. 2021, Eq. 13).

A claim may write f̃ by name or write the drift out inside ∇·[…]. :func:`divergence_symbol` gives the canonical
∇·f̃ only when what is inside is f̃ (by name, or written out and equal to f − ½ g² s_θ); a written-out drift that
differs gets its own symbol, so the claim is not judged identical to the entry by accident.
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from . import canon as C

__all__ = ["divergence_symbol"]

_F, _G, _S = sp.Symbol("F"), sp.Symbol("G"), sp.Symbol("S")
#: written pieces of the drift -> placeholders (the argument text as the parser renders it)
_PIECES = [
    (re.compile(r"(?:s_θ|s_\{?θ\*?\}?|score(?:_t)?)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)"), "S"),
    (re.compile(r"f\s*\([^()]*(?:\([^()]*\)[^()]*)*\)"), "F"),
    (re.compile(r"g\s*\(\s*t\s*\)"), "G"),
]


def divergence_symbol(arg: str) -> Optional[sp.Expr]:
    """The canonical meaning of ∇·(arg): ``C.DIV`` when arg is f̃ (named or written out), a distinct symbol for
    another written-out field, None when the argument cannot be read."""
    a = arg.strip()
    if a.startswith("f̃") or a.startswith("tilde") or re.match(r"^f_?\{?θ?\}?\s*\(", a) is None and "f̃" in a:
        return C.DIV
    text = a
    for rx, name in _PIECES:
        text = rx.sub(name, text)
    if re.search(r"[^FGS0-9\s+\-*/().^]", text.replace("**", "^")):
        return None
    try:
        expr = sp.sympify(text.replace("^", "**"), locals={"F": _F, "G": _G, "S": _S})
    except (sp.SympifyError, SyntaxError, TypeError):
        return None
    if not expr.free_symbols <= {_F, _G, _S}:
        return None
    if sp.simplify(expr - (_F - _G**2 * _S / 2)) == 0:
        return C.DIV
    return sp.Symbol(f"∇·({sp.sstr(expr.subs({_F: sp.Symbol('f'), _G: sp.Symbol('g'), _S: sp.Symbol('s_θ')}))})", real=True)
