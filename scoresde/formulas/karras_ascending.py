"""Karras et al.'s ρ-spaced noise levels in the ascending order of consistency training (Song et al. 2023 (CM),
Sec. 5 and App. C: t_i = (ε^{1/ρ} + (i − 1)/(N − 1)(T^{1/ρ} − ε^{1/ρ}))^ρ; Song & Dhariwal 2023 (iCT), Sec. 3-4:
σ_i with the curriculum's count N(k) at training stage k):

    σ_i = (σ_min^{1/ρ} + (i − 1)/(N − 1) (σ_max^{1/ρ} − σ_min^{1/ρ}))^ρ,   i = 1 … N,

the same N levels as EDM's Eq. 5 (descending from σ_max at i = 0) listed from the other end. A claim σ_i = F(i) with
σ_min, σ_max, ρ and a count N (or N(k)) is ``exact`` when F^{1/ρ} is linear in i, the outer power is ρ, and the two
ends of the index range (0 … N − 1 or 1 … N) give σ_min and σ_max; ``inconsistent`` (term rhs) otherwise. The
descending form without N(k) is left to the EDM family (Karras et al. 2022, Eq. 5).
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_karras_ascending"]

SRC = "Song et al. 2023 (CM), App. C; Song & Dhariwal 2023 (iCT), Sec. 3; Karras et al. 2022 (EDM), Eq. 5"


def judge_karras_ascending(eq: str) -> Optional[Verdict]:
    from .equation import two_sided

    # the count of the curriculum N(k) (iCT, Eq. 5) is the count N of the levels at stage k
    text, curriculum = re.subn(r"(?<![A-Za-z\\])([A-Z])\s*\(\s*[a-z]\s*\)", r"\1", eq)
    p = two_sided(text)
    if p is None:
        return None
    lhs, rhs = p.sides
    la = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if la is None or la.base != "σ" or la.deco or la.args or not re.fullmatch(r"[a-z]", la.sub):
        return None
    lo_s = hi_s = rho = idx = cnt = None
    for s_ in rhs.free_symbols:
        a = p.atoms.get(s_)
        if a is None or a.deco or a.sup:
            return None
        if a.base == "σ" and a.sub == "min" and not a.args:
            lo_s = s_
        elif a.base == "σ" and a.sub == "max" and not a.args:
            hi_s = s_
        elif a.base == "ρ" and not a.sub and not a.args:
            rho = s_
        elif a.base == la.sub and not a.sub and not a.args:
            idx = s_
        elif re.fullmatch(r"[A-Z]", a.base) and not a.sub and a.args is None and cnt is None:
            cnt = s_
        else:
            return None
    if None in (lo_s, hi_s, rho, idx, cnt):
        return None
    k = sp.Symbol("k·", real=True)
    n = sp.Symbol("N·", positive=True)
    F = rhs.xreplace({idx: k, cnt: n})
    smin, smax, r = (sp.Symbol(q, positive=True) for q in ("smin·", "smax·", "rho·"))
    F = F.xreplace({lo_s: smin, hi_s: smax, rho: r})
    title = "Karras ρ-spaced noise levels σ_i" + (" with the curriculum's N(k)" if curriculum else "")
    if not (isinstance(F, sp.Pow) and sp.simplify(F.exp - r) == 0):
        if not curriculum and not _ascending_guess(F, k, smin, smax, r):
            return None
        return Verdict(eq, "inconsistent", f"the outer power is {sp.sstr(F.exp.subs(r, sp.Symbol('ρ'))) if isinstance(F, sp.Pow) else '1'}, "
                       f"not ρ: the levels are not ρ-spaced between σ_min and σ_max ({SRC})", claim=title,
                       target="karras_ascending", terms=["rhs"])
    g = F.base
    if sp.simplify(sp.diff(g, k, 2)) != 0:
        return None
    a_, b_ = smin ** (1 / r), smax ** (1 / r)
    for lo in (1, 0):
        v0, v1 = sp.simplify(g.subs(k, lo)), sp.simplify(g.subs(k, lo + n - 1))
        if sp.simplify(v0 - a_) == 0 and sp.simplify(v1 - b_) == 0:
            return Verdict(eq, "exact", f"identical to {title}, ascending from σ_min at i = {lo} to σ_max at i = "
                           f"{'N' if lo else 'N − 1'} ({SRC})", claim=title, target="karras_ascending")
        if sp.simplify(v0 - b_) == 0 and sp.simplify(v1 - a_) == 0:
            if not curriculum:
                return None  # EDM's own descending form: the EDM family judges it
            return Verdict(eq, "exact", f"identical to {title}, descending from σ_max at i = {lo} ({SRC})", claim=title,
                           target="karras_ascending")
    if not curriculum and not _ascending_guess(F, k, smin, smax, r):
        return None
    return Verdict(eq, "inconsistent", f"the levels do not run from σ_min to σ_max over the N indices ({SRC})",
                   claim=title, target="karras_ascending", terms=["rhs"])


def _ascending_guess(F: sp.Expr, k, smin, smax, r) -> bool:
    """Whether the claim starts from σ_min^{1/ρ} at index 0 or 1 (the ascending form)."""
    g = F.base if isinstance(F, sp.Pow) else F
    return any(sp.simplify(g.subs(k, lo) - smin ** (1 / r)) == 0 for lo in (0, 1))
