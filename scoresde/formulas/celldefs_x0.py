"""The predicted data x̂_0 defined in one row of a cell and used by the update of the next (DDIM, Song, Meng & Ermon
2021, Eq. 12 written as "x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t; x_{t−1} = √ᾱ_{t−1} x̂_0 + …"; Ho et al. 2020, Eq. 15).

The update alone has no state on its right (x̂_0 is not one), so it cannot be read; with the row's definition
written in, it is the update the cell states. The definition row itself is still judged on its own.
"""
from __future__ import annotations

import re
from typing import List, Optional

__all__ = ["with_x0_defined"]

_X0 = r"\\hat\s*\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*\}?\s*_\s*(?:\{\s*0\s*\}|0)(?:\s*\^\s*\{?\s*\(?\s*t\s*\)?\s*\}?)?"
_DEF = re.compile(r"^\s*" + _X0 + r"\s*(?::=|=)(?!=)\s*(?P<body>[^=]+)$")
_USE = re.compile(_X0 + r"(?!\s*(?:\(|_|=))")


def with_x0_defined(eq: str, eqs: List[str]) -> Optional[str]:
    """``eq`` with x̂_0 replaced by the one definition of it among the cell's other equations, or None."""
    if "=" not in eq or _DEF.match(eq):
        return None
    bodies = [m.group("body").strip() for e in eqs if e != eq and (m := _DEF.match(e))]
    lhs, _, rhs = eq.partition("=")
    if len(bodies) != 1 or not _USE.search(rhs):
        return None
    return lhs + "= " + _USE.sub(lambda _m: r"\left(" + bodies[0] + r"\right)", rhs)
