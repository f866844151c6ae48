"""Registry entries specialised to what a claim writes out: a named schedule substituted for β(t) or σ(t), and
published parameter values substituted for the entry's parameters.

A claim may write the reverse SDE with the geometric σ(t) spelled out, or the cosine schedule with s = 0.008
as a number. The entry keeps β(t), σ(t), s, ρ, … symbolic; :func:`variants` yields copies of the entry with

* a schedule of Song et al. 2021 (App. C, T = 1) substituted where the claim has that schedule's parameters
  (β_min, β_max or σ_min, σ_max) but not the function itself (:data:`SCHEDULES`);
* published parameter values (:data:`PUBLISHED`) substituted for parameters the claim does not write
  (it wrote numbers instead).

A specialised entry that matches the claim exactly makes the claim ``exact``, said with what was substituted.
Only published values are tried: a claim whose numbers fit the formula only with other values is not called
exact (a wrong coefficient written as a number could otherwise be absorbed into a parameter).
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import sympy as sp

from . import canon as C
from .entry import Entry

__all__ = ["SCHEDULES", "PUBLISHED", "variants", "specialised", "claim_pieces", "claim_with", "first_exact"]

_RHO = sp.Symbol("ρ", positive=True)
_SDATA = sp.Symbol("σ_data", positive=True)

#: (function, its closed form, the parameters that stand for it, description)
SCHEDULES: List[Tuple[sp.FunctionClass, sp.Lambda, frozenset, str]] = [
    (C.SIGMA, sp.Lambda(C.U, C.sigma_min * (C.sigma_max / C.sigma_min) ** C.U), frozenset({C.sigma_min, C.sigma_max}),
     "the geometric σ(t) = σ_min(σ_max/σ_min)^t written out (Song et al. 2021, App. C, T = 1)"),
    (C.BETA, sp.Lambda(C.U, C.beta_min + C.U * (C.beta_max - C.beta_min)), frozenset({C.beta_min, C.beta_max}),
     "the linear β(t) = β_min + t(β_max − β_min) written out (Song et al. 2021, App. C, T = 1)"),
]

#: published parameter values: symbol -> [(value, where it is published)]
PUBLISHED: Dict[sp.Symbol, List[Tuple[sp.Expr, str]]] = {
    C.s_off: [(sp.Rational(8, 1000), "s = 0.008 (Nichol & Dhariwal 2021, Sec. 3.2)")],
    C.beta_min: [(sp.Rational(1, 10), "β_min = 0.1 (Song et al. 2021, App. C)")],
    C.beta_max: [(sp.Integer(20), "β_max = 20 (Song et al. 2021, App. C)")],
    C.sigma_min: [(sp.Rational(1, 100), "σ_min = 0.01 (Song et al. 2021, App. C)"),
                  (sp.Rational(2, 1000), "σ_min = 0.002 (Karras et al. 2022, Table 1)")],
    C.sigma_max: [(sp.Integer(50), "σ_max = 50 (Song et al. 2021, App. C, CIFAR-10)"),
                  (sp.Integer(80), "σ_max = 80 (Karras et al. 2022, Table 1)"),
                  (sp.Integer(90), "σ_max = 90 (Song & Ermon 2020, CelebA)"),
                  (sp.Integer(348), "σ_max = 348 (Song et al. 2021, App. C, LSUN)"),
                  (sp.Integer(378), "σ_max = 378 (Song & Ermon 2020, CelebA-HQ)")],
    _RHO: [(sp.Integer(7), "ρ = 7 (Karras et al. 2022, Eq. 5)")],
    _SDATA: [(sp.Rational(1, 2), "σ_data = 0.5 (Karras et al. 2022, Table 1)")],
    C.T: [(sp.Integer(1), "T = 1 (Song et al. 2021)")],
}

#: at most this many specialised entries are tried per (claim, entry)
MAX_VARIANTS = 12


def _pieces(e: Entry) -> List[sp.Expr]:
    return [q for q in e.forms().values() if isinstance(q, sp.Basic)]


def _substitute(q, fn_subs: Dict[sp.FunctionClass, sp.Lambda], sym_subs: Optional[Dict[sp.Symbol, sp.Expr]] = None):
    """``q`` with functions replaced by their closed forms, then symbols by values (non-sympy values pass through)."""
    if not isinstance(q, sp.Basic):
        return q
    for fn, lam in fn_subs.items():
        if q.has(fn):
            q = q.replace(fn, lam).doit()
    return q.xreplace(sym_subs) if sym_subs else q


def specialised(e: Entry, fn_subs: Dict[sp.FunctionClass, sp.Lambda], sym_subs: Dict[sp.Symbol, sp.Expr]) -> Entry:
    """A copy of ``e`` with functions replaced by closed forms and symbols by values (every sympy piece)."""

    def sub(q):
        return _substitute(q, fn_subs, sym_subs)

    new = copy.copy(e)
    new.drift, new.diff2, new.rhs = sub(e.drift), sub(e.diff2), sub(e.rhs)
    new.mean = {k: sub(val) for k, val in e.mean.items()}
    new.var = [sub(val) for val in e.var] if e.var else e.var
    return new


def _claim_symbols(pieces: Sequence[sp.Expr]) -> Tuple[set, bool]:
    syms: set = set()
    numbers = False
    for q in pieces:
        if isinstance(q, sp.Basic):
            syms |= q.free_symbols
            syms |= {f.func for f in q.atoms(sp.Function)}
            numbers = numbers or any(not n.is_Integer or abs(n) > 4 for n in q.atoms(sp.Number))
    return syms, numbers


def variants(claim_pieces: Sequence[sp.Expr], e: Entry) -> Iterator[Tuple[Entry, str]]:
    """Specialisations of ``e`` suggested by what the claim writes (see the module docstring)."""
    csyms, numbers = _claim_symbols(claim_pieces)
    epieces = _pieces(e)
    efuncs = {f.func for q in epieces for f in q.atoms(sp.Function)}
    fn_subs: Dict[sp.FunctionClass, sp.Lambda] = {}
    both: Dict[sp.FunctionClass, sp.Lambda] = {}
    said: List[str] = []
    for fn, lam, params, what in SCHEDULES:
        # the claim writes the schedule out: its parameters (or numbers for them) and not the function itself
        if fn in efuncs and fn not in csyms and (params & csyms or numbers):
            fn_subs[fn] = lam
            said.append(what)
        elif fn in efuncs and fn in csyms and params <= csyms:
            # the function and the schedule's parameters side by side (g(t) = σ(t)√(2 log(σ_max/σ_min))): the claim
            # holds for that schedule only -- compared with the schedule substituted on both sides
            both[fn] = lam
    base = specialised(e, fn_subs, {}) if fn_subs else e
    if fn_subs:
        yield base, "; ".join(said)
    if both:
        yield _Both(specialised(base, both, {}), both), "; ".join(
            said + [w.replace("written out", "(the claim holds for this schedule only)") for f_, _, _, w in SCHEDULES if f_ in both])
    if not numbers:
        return
    esyms = set().union(*[q.free_symbols for q in _pieces(base)]) if _pieces(base) else set()
    missing = [p for p in PUBLISHED if p in esyms and p not in csyms]
    if not missing:
        return
    choices = [PUBLISHED[p] for p in missing]
    for n, combo in enumerate(itertools.product(*choices)):
        if n >= MAX_VARIANTS:
            return
        subs = {p: val for p, (val, _) in zip(missing, combo)}
        yield specialised(base, {}, subs), "; ".join(said + [w for _, w in combo])


class _Both(Entry):
    """A specialised entry whose schedule must be substituted into the claim too (``claim_subs``)."""

    def __init__(self, e: Entry, claim_subs: Dict[sp.FunctionClass, sp.Lambda]):
        self.__dict__.update(copy.copy(e).__dict__)
        self.claim_subs = claim_subs


def first_exact(claim_pieces: Sequence[sp.Expr], e: Entry, compare) -> Optional[Tuple[object, str]]:
    """The first specialisation of ``e`` that ``compare(entry)`` finds exact: (match, what was substituted)."""
    for e2, how in variants(claim_pieces, e):
        m = compare(e2)
        if m.verdict == "exact":
            return m, how
    return None


def claim_pieces(cl) -> List[sp.Expr]:
    """The sympy pieces of a claim (an SDE's drift and g², a step's mean coefficients and variance, a right side)."""
    if cl.kind == "sde":
        return [cl.drift, cl.diff2]
    if cl.kind == "step":
        return list(cl.mean.values()) + ([cl.var] if cl.var is not None else [])
    if cl.kind == "scalar":
        return [cl.rhs]
    return [cl.equation]


def claim_with(cl, fn_subs):
    """The claim with functions replaced by closed forms (a schedule substituted on both sides)."""
    if not fn_subs:
        return cl

    def sub(q):
        return _substitute(q, fn_subs)

    kw = {k: sub(getattr(cl, k)) for k in ("drift", "diff2", "rhs", "var", "equation") if getattr(cl, k, None) is not None}
    if cl.mean:
        kw["mean"] = {k: sub(val) for k, val in cl.mean.items()}
    return dataclasses.replace(cl, **kw)
