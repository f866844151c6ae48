"""Discrete β schedules written with their end values, in either index convention (Ho et al. 2020, Sec. 4: linear
β_1 … β_T; Rombach et al. 2022 (LDM), ``make_beta_schedule('linear')`` = linspace(√β_start, √β_end, T)², which
diffusers calls ``scaled_linear``; diffusers' ``linear`` = linspace(β_start, β_end, T), 0-indexed t = 0 … T − 1):

* the end values are named β_start/β_end (also \\text/\\mathrm), β_0/β_{T−1} (a 0-indexed chain) or β_1/β_T
  (1-indexed); the index runs over T values, from 0 or 1 as the names say (start/end: either);
* a claim β_t = F(t) is ``exact`` when F is linear in t (linear schedule) or the square of a linear function
  (scaled-linear) and takes the two end values at the first and last index; ``consistent`` when it is such a
  schedule in another index convention (its ends one step off: a valid schedule, not the named one, as the
  registry's linear β_t says of t/T); ``inconsistent`` otherwise (term ``rhs``);
* in a 0-indexed chain, ᾱ_t = ∏_{s=0}^{t} (1 − β_s) (diffusers: alphas_cumprod = cumprod(1 − betas)) is ``exact``;
  a product from s = 0 that stops at t − 1 is ᾱ_{t−1}: ``inconsistent``.
"""
from __future__ import annotations

import re
from typing import Dict, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_schedule_vocab"]

SRC_LIN = "Ho et al. 2020, Sec. 4; diffusers' DDPMScheduler beta_schedule='linear'"
SRC_SQ = "Rombach et al. 2022 (LDM), make_beta_schedule('linear'): linspace(√β_start, √β_end, T)²; diffusers' 'scaled_linear'"
_START = ("start", "begin", "first", "0", "1")


def _idx_ok(sub: str) -> bool:
    return bool(re.fullmatch(r"[a-z]", sub)) and sub not in ("d", "e")


def _product(eq: str, p, lhs, rhs) -> Optional[Verdict]:
    at = p.atoms.get(lhs)
    if not (isinstance(rhs, sp.Product) and at is not None and at.base == "α" and at.deco == "bar" and _idx_ok(at.sub)):
        return None
    var, lo, hi = rhs.limits[0]
    body = rhs.function
    if lo != 0:
        return None
    bases = {(p.atoms[s_].base, p.atoms[s_].deco, p.atoms[s_].sub) for s_ in body.free_symbols if s_ in p.atoms}
    syms = [s_ for s_ in body.free_symbols if s_ in p.atoms]
    if len(syms) != 1 or bases not in ({("β", "", "@")}, {("α", "", "@")}):
        return None
    one = syms[0]
    if sp.simplify(body - (1 - one)) != 0 and not (bases == {("α", "", "@")} and body == one):
        return None
    idx = [s_ for s_ in getattr(hi, "free_symbols", ()) if s_ in p.atoms and p.atoms[s_].base == at.sub and not p.atoms[s_].sub]
    if len(idx) != 1:
        return None
    shift = sp.simplify(hi - idx[0])
    title = "ᾱ_t of a 0-indexed chain (t = 0 … T − 1)"
    src = "diffusers: alphas_cumprod = cumprod(1 − betas), t = 0 … T − 1; Ho et al. 2020, Sec. 2 in 1-indexed form"
    if shift == 0:
        return Verdict(eq, "exact", f"identical to ᾱ_t = ∏_{{s=0}}^{{t}} (1 − β_s), the product in a 0-indexed chain ({src})",
                       claim=title, target="schedule_zero_indexed_abar")
    if shift.is_Integer:
        return Verdict(eq, "inconsistent", f"a product from s = 0 up to t{int(shift):+d} is ᾱ_{{t{int(shift):+d}}} of the "
                       f"0-indexed chain, not ᾱ_t = ∏_{{s=0}}^{{t}} (1 − β_s) ({src})", claim=title,
                       target="schedule_zero_indexed_abar", terms=["rhs"])
    return None


def judge_schedule_vocab(eq: str) -> Optional[Verdict]:
    """A verdict for a β schedule written with its end values, or ᾱ_t as a product from s = 0; None otherwise."""
    from .equation import two_sided

    p = two_sided(eq)
    if p is None:
        return None
    lhs, rhs = p.sides
    if not isinstance(lhs, sp.Symbol) or lhs not in p.atoms:
        return None
    if r"\prod" in eq:
        return _product(eq, p, lhs, rhs)
    at = p.atoms[lhs]
    if not (at.base == "β" and at.deco == "" and not at.args and not at.sup and _idx_ok(at.sub)):
        return None
    idx = cnt = None
    ends: Dict[str, sp.Symbol] = {}
    for s_ in rhs.free_symbols:
        a = p.atoms.get(s_)
        if a is None or a.deco or a.args or a.sup:
            return None
        if a.base == at.sub and not a.sub:
            idx = s_
        elif re.fullmatch(r"[A-Z]", a.base) and not a.sub:
            if cnt is not None:
                return None
            cnt = s_
        elif a.base == "β":
            ends[a.sub] = s_
        else:
            return None
    if idx is None or cnt is None or len(ends) != 2:
        return None
    c = p.atoms[cnt].base
    first = [k for k in ends if k in _START]
    last = [k for k in ends if k in ("end", "last", f"{c}-1", c)]
    if len(first) != 1 or len(last) != 1:
        return None
    f, l_ = first[0], last[0]
    los = {"0": [0], "1": [1]}.get(f, [0, 1])
    if l_ == f"{c}-1":
        los = [x for x in los if x == 0]
    elif l_ == c:
        los = [x for x in los if x == 1]
    if not los:
        return None
    b0, b1 = ends[f], ends[l_]
    n = sp.Symbol("N·", positive=True, integer=True)
    b0p, b1p = sp.Symbol("b0·", positive=True), sp.Symbol("b1·", positive=True)
    F = rhs.xreplace({cnt: n, b0: b0p, b1: b1p})
    k = sp.Symbol("k·", real=True)
    F = F.xreplace({idx: k})
    lin = sp.simplify(sp.diff(F, k, 2)) == 0
    base = F.base if isinstance(F, sp.Pow) and F.exp == 2 else None
    sq = base is not None and sp.simplify(sp.diff(base, k, 2)) == 0
    if not (lin or sq):
        return None
    want = (lambda v: v) if lin else (lambda v: sp.sqrt(v))
    g = F if lin else base
    kind = "linear β schedule" if lin else "scaled-linear β schedule (√β linear in the index)"
    src = SRC_LIN if lin else SRC_SQ
    for lo in los:
        if sp.simplify(g.subs(k, lo) - want(b0p)) == 0 and sp.simplify(g.subs(k, lo + n - 1) - want(b1p)) == 0:
            conv = f"t = {lo} … {c}{'' if lo else '-1'}"
            return Verdict(eq, "exact", f"identical to the {kind} from β_start to β_end over {conv} ({src})",
                           claim=kind, target="schedule_endpoints")
    for lo in (0, 1):
        for hi in (n - 1, n, n - 2):
            if sp.simplify(g.subs(k, lo) - want(b0p)) == 0 and sp.simplify(g.subs(k, lo + hi) - want(b1p)) == 0:
                return Verdict(eq, "consistent", f"a valid {kind}, but in another index convention (its end values at "
                               f"t = {lo} and {sp.sstr((lo + hi).subs(n, sp.Symbol(c)))}, not over {c} values from "
                               f"{los[0]}) ({src})", claim=kind, target="schedule_endpoints", terms=["rhs"])
    lo = los[0]
    return Verdict(eq, "inconsistent", f"the {kind} does not take its end values: at t = {lo} expected "
                   f"{sp.sstr(want(b0p)).replace('b0·', 'β_start')}, found {sp.sstr(sp.simplify(g.subs(k, lo))).replace('b0·', 'β_start').replace('b1·', 'β_end').replace('N·', c)} "
                   f"({src})", claim=kind, target="schedule_endpoints", terms=["rhs"])
