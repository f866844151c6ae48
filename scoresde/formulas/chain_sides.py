"""A chained equation ``A = B = C`` states every equality, not only the outer one.

The readers judge a chain by its first and last sides (the named quantity and its final form); a slip in a middle
side -- a derivation step such as ∇log q(x_t | x_0) = −(x_t − √ᾱ_t x_0)/(1 − ᾱ_t) = −ε/√(1 − ᾱ_t), whose middle
is the one written wrong -- would pass unseen. So once the whole chain is judged ``exact`` or ``consistent``, each
middle side is judged again against the first side, ``A = B``; one that is ``inconsistent`` makes the chain
inconsistent, naming that side. A middle side the readers cannot place (an integral being evaluated, a Leibniz
derivative written out) changes nothing.
"""
from __future__ import annotations

import re
from typing import Callable, List

from .tokens import split_top_level
from .verdict import Verdict

__all__ = ["chain_sides", "check_middle_sides"]

#: "=" that is a relation of its own ("\leq", ":=", "==", "!=", "<=", ">=") is not a chain link
_NOT_EQ = re.compile(r"[<>!:=]$")


def chain_sides(eq: str) -> List[str]:
    """The sides of ``A = B = C`` (split at top-level "="), or [eq] when it is not a chain of plain equalities."""
    if eq.count("=") < 2 or re.search(r"\\(?:begin|\\|quad|qquad|text)|[,;]|:=|=:|\\coloneqq|\\sim|\\approx|\\le|\\ge|<|>", eq):
        return [eq]
    sides = split_top_level(eq, lambda s, i: s[i] == "=" and not _NOT_EQ.search(s[:i]) and s[i + 1:i + 2] != "=")
    return [s_.strip() for s_ in sides] if len(sides) >= 3 and all(s_.strip() for s_ in sides) else [eq]


def check_middle_sides(eq: str, whole: Verdict, judge: Callable[[str], Verdict]) -> Verdict:
    """``whole`` unless a middle side of the chain ``eq`` is judged inconsistent against the first side."""
    if whole.verdict not in ("exact", "consistent"):
        return whole
    sides = chain_sides(eq)
    for k, mid in enumerate(sides[1:-1], start=2):
        try:
            v = judge(f"{sides[0]} = {mid}")
        except Exception:  # noqa: BLE001 -- a middle side no reader places changes nothing
            continue
        if v.verdict == "inconsistent" and v.reading is None:
            return Verdict(eq, "inconsistent", f"side {k} of the chain ({mid.strip()[:80]}) differs from the first: "
                           f"{v.detail}; the outer sides: {whole.verdict} ({whole.detail})", claim=whole.claim,
                           target=whole.target, terms=list(v.terms) or ["rhs"], notes=list(whole.notes))
    return whole
