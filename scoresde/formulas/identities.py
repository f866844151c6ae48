"""An equation between schedule symbols only, with no single quantity on its left: an identity of the notation.

Books and notes state how their symbols relate beside the formulas that use them: Su Jianlin's α_t² + β_t² = 1
(kexue.fm, 生成扩散模型漫谈（一）, 2022), Ho et al.'s α_t + β_t = 1 (2020, Sec. 2: α_t := 1 − β_t), VDM's α_t² + σ_t² = 1
(Kingma et al. 2021, Eq. 1-2, variance preserving). Such an equation names no quantity, so the registry has no entry for
it; it is judged as what it states: both sides resolved in the registry's canonical symbols (in the cell's notation,
given or inferred) must agree identically. Rule: an equation with no state, noise, score or model output whose sides
agree at random admissible points (:func:`scoresde.formulas.evaluate.is_zero`) is ``exact``; one that does not is left
``unparsed`` (it may be the definition of a notation the verifier does not know: never a false alarm).
"""
from __future__ import annotations

from typing import Dict, Optional

import sympy as sp

from . import canon as C
from .atoms import DDT, DT, DW, DWBAR, DX, NORMAL, ParseError
from .verdict import Verdict

__all__ = ["judge_identity"]


def judge_identity(eq: str, hints: Optional[Dict[str, str]] = None) -> Optional[Verdict]:
    """``exact`` when ``eq`` is an identity between schedule symbols in the cell's notation (module docstring), else None."""
    from .claim import _index_of
    from .parse import parse

    try:
        p = parse(eq)
    except ParseError:
        return None
    if len(p.sides) != 2 or p.relation != "=" or p.issues:
        return None
    lhs, rhs = p.sides
    # a symbol defined by the others is an identity only in a notation the claim states or the cell infers (Su's
    # β̄_t = √(1 − ᾱ_t²)); in the default notation a definition is judged against the registry's entries
    if (isinstance(lhs, sp.Symbol) and (hints or {}).get("notation") != "su") or any(
            s_.has(DX, DT, DW, DWBAR, NORMAL, DDT, sp.Integral, sp.Derivative) for s_ in p.sides):
        return None
    syms = lhs.free_symbols | rhs.free_symbols
    if not syms or not lhs.free_symbols:
        return None
    notation = (hints or {}).get("notation") or "ddpm"
    letter, koff = _index_of(p)
    r = C.Reading("discrete", "vp", notation, letter, koff)
    sub = {}
    for s_ in syms:
        at = p.atoms.get(s_)
        if at is None or at.args is not None or C.is_state(at) or C.is_noise_atom(at) or C.is_score(at) or "θ" in at.sub:
            return None
        val = C.resolve(at, r)
        if val is None or not isinstance(val, sp.Expr) or val.has(C.x, C.x0, C.x_cur, C.x_prev, C.e, C.s):
            return None
        sub[s_] = val
    from .evaluate import is_zero

    zero, how = is_zero(sp.expand(lhs.xreplace(sub) - rhs.xreplace(sub)))
    if zero is not True:
        return None
    return Verdict(eq, "exact", f"an identity of the notation ({notation.upper()}): both sides agree ({how})",
                   claim="identity between schedule symbols")
