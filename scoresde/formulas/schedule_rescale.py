"""An update of a schedule by its own end values: √ᾱ_t ← (√ᾱ_t − √ᾱ_T) √ᾱ_1 / (√ᾱ_1 − √ᾱ_T).

Lin, Liu, Li & Yang 2024 (Common diffusion noise schedules and sample steps are flawed), Sec. 3.1 and Alg. 1, enforce
a zero terminal SNR by rescaling a schedule's √ᾱ_t: shift it so that its last value is 0, then scale it so that its
first value is the old one. Written as an assignment ``E ← F(E)`` (the left side appears on the right, so it is no
equation), the rescale is affine in the old value E and uses E's values at the first and the last step.

Rule: an assignment whose left side E is a schedule expression at the step index (√ᾱ_t, ᾱ_t, σ_t), whose right side
depends on the step only through E, affinely, and uses E at a first (1 or 0) and a last (T, N) step, is judged as that
rescale: the new last value must be 0 and the new first value the old one -> ``exact``; a map that zeroes the last
value but moves the first -> ``inconsistent`` (term ``rhs``), unless it moves it to 1 (a valid schedule that
starts at ᾱ = 1, ``consistent``); one that does not zero the last value is another
operation, not judged.
"""
from __future__ import annotations

from typing import Optional

import sympy as sp

from .atoms import Atom, ParseError
from .verdict import Verdict

__all__ = ["judge_rescale"]

SOURCE = "Lin, Liu, Li & Yang 2024 (Common diffusion noise schedules and sample steps are flawed), Sec. 3.1, Alg. 1"
_FIRST, _LAST = ("1", "0"), ("T", "N")


def _end(p, at: Atom, subs) -> Optional[sp.Symbol]:
    found = [s_ for s_, a in p.atoms.items() if (a.base, a.deco, a.sup, a.args) == (at.base, at.deco, at.sup, at.args)
             and a.sub in subs]
    return found[0] if len(found) == 1 else None


def judge_rescale(eq: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for the zero-terminal-SNR rescale of a schedule (module docstring), or None."""
    from .evaluate import is_zero
    from .parse import parse

    try:
        p = parse(eq)
    except (ParseError, ValueError, TypeError):
        return None
    if p.relation != "=" or len(p.sides) != 2:
        return None
    lhs, rhs = p.sides
    cur = [s_ for s_ in lhs.free_symbols if s_ in p.atoms]
    if len(cur) != 1 or p.atoms[cur[0]].base not in ("α", "σ", "β") or p.atoms[cur[0]].sub not in ("t", "i", "n", "k"):
        return None
    at = p.atoms[cur[0]]
    y = sp.Symbol("_y", positive=True)
    new = rhs.xreplace({lhs: y})
    if cur[0] in new.free_symbols or y not in new.free_symbols:
        return None
    first, last = _end(p, at, _FIRST), _end(p, at, _LAST)
    if first is None or last is None or not new.free_symbols <= {y, first, last}:
        return None
    if sp.simplify(sp.diff(new, y, 2)) != 0:
        return None  # not affine in the old value
    y1, yT = lhs.xreplace({cur[0]: first}), lhs.xreplace({cur[0]: last})
    zero_end, _ = is_zero(new.subs(y, yT))
    keep_first, _ = is_zero(new.subs(y, y1) - y1)
    claim = "a rescale of the schedule to zero terminal SNR"
    if zero_end is not True:
        return None
    if keep_first is True:
        return Verdict(eq, "exact", f"affine in the old value: the last value goes to 0 and the first keeps its value "
                       f"({SOURCE})", claim=claim)
    if keep_first is False and is_zero(new.subs(y, y1) - 1)[0] is True:
        return Verdict(eq, "consistent", f"the last value goes to 0 and the first to 1: a valid schedule with zero terminal "
                       f"SNR, but not Lin et al.'s rescale, which keeps the first value ({SOURCE})", claim=claim)
    if keep_first is False:
        return Verdict(eq, "inconsistent", f"the last value goes to 0, but the first becomes {sp.sstr(sp.simplify(new.subs(y, y1)))}"
                       f" instead of keeping its value {sp.sstr(y1)} ({SOURCE})", claim=claim, terms=["rhs"])
    return None
