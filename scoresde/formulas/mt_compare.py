"""Comparison primitives of the multi-time engine: basis coefficients of a residual and their zero test (random
admissible points, 40 digits: :func:`scoresde.formulas.evaluate.is_zero`), the quantity a claim defines, the
references that define the same quantity (templates instantiated on the claim's time points, auxiliaries written
out), and the substitutions a reference brings (its time placement, the defaults of the parameters a claim omits).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import sympy as sp

from .atoms import ParseError
from .evaluate import is_zero
from .mt_read import read_ref
from .mt_refs import REFS, MTRef
from .mt_vocab import Unknown, Vocab

__all__ = ["coefficients", "nonzero"]


def _vecs(e: sp.Expr, v: Vocab) -> List[sp.Symbol]:
    return sorted((s_ for s_ in e.free_symbols if s_ in v.vecs), key=lambda s_: s_.name)


def coefficients(res: sp.Expr, v: Vocab) -> Dict[Optional[sp.Symbol], sp.Expr]:
    """The residual's coefficient of each basis vector (it is linear in them), None: the scalar part."""
    vs = _vecs(res, v)
    out: Dict[Optional[sp.Symbol], sp.Expr] = {vec: sp.diff(res, vec) for vec in vs}
    out[None] = res.xreplace({vec: 0 for vec in vs})
    return out


def nonzero(res: sp.Expr, v: Vocab) -> Tuple[Optional[bool], List[Optional[sp.Symbol]], str]:
    """(all zero?, the vectors whose coefficient is not zero, how)."""
    bad, how, undecided = [], "symbolic", False
    for vec, c in coefficients(res, v).items():
        z, how_ = is_zero(c)
        if z is None:
            undecided = True
        elif not z:
            bad.append(vec)
        elif how_ != "symbolic":
            how = how_
    if bad:
        return False, bad, how
    return (None if undecided else True), [], how


def _target(sides: List[sp.Expr], v: Vocab) -> Optional[sp.Symbol]:
    """The one quantity the claim defines: a state/auxiliary vector or a free scalar on the left only."""
    left, right = sides[0].free_symbols, set().union(*(s_.free_symbols for s_ in sides[1:]))
    vec = [s_ for s_ in left - right if s_ in v.vecs and v.vecs[s_][0] in ("state", "aux")]
    if len(vec) == 1:
        return vec[0]
    if vec:
        return None
    sc = [s_ for s_ in left - right if s_.name.startswith(("r_", "γ_", "t[", "σ_", "S_"))]
    return sc[0] if len(sc) == 1 else None


def _points(e: sp.Expr, v: Vocab) -> frozenset:
    """The model evaluations and solver auxiliaries an expression uses."""
    return frozenset(v.vecs[s_] for s_ in _vecs(e, v) if v.vecs[s_][0] in ("eps", "D", "aux"))


def _candidates(q: sp.Symbol, sides, v: Vocab) -> List[Tuple[MTRef, sp.Expr, Dict]]:
    out = []
    for ref in REFS:
        labels = None
        if ref.template:
            labels = _template_labels(q, sides, v)
            if labels is None:
                continue
        try:
            rq, rhs, _ = _cached(ref, labels)
        except (Unknown, ParseError, ValueError):
            continue
        if rq == q:
            out.append((ref, rhs, labels or {}))
            inl = _inline(ref, rhs)
            if inl is not None:  # the same line with its auxiliaries (D_i, D_2i) written out
                out.append((ref, inl, labels or {}))
    return out


def _inline(ref: MTRef, rhs: sp.Expr) -> Optional[sp.Expr]:
    sub = {}
    for other in REFS:
        if other.group == ref.group and other.kind == "aux" and other is not ref:
            oq, orhs, _ = _cached(other, None)
            if oq in rhs.free_symbols:
                sub[oq] = orhs
    return rhs.xreplace(sub) if sub else None


_CACHE: Dict[Tuple, Tuple] = {}


def _cached(ref: MTRef, labels):
    k = (ref.name, ref.latex, tuple(sorted((labels or {}).items())))
    if k not in _CACHE:
        _CACHE[k] = read_ref(ref, labels)
    return _CACHE[k]


def _template_labels(q, sides, v: Vocab) -> Optional[Dict[str, str]]:
    kind, key = v.vecs.get(q, ("", ""))
    if kind != "state" or not key.startswith("x@"):
        return None
    P = key[2:]
    pts = {k.split("|")[1] for kind, k in _points(sides[1], v) if kind != "aux"} | {v.vecs[s_][1][2:] for s_ in _vecs(sides[1], v)
                                                             if v.vecs[s_][0] == "state"}
    pts.discard(P)
    if len(pts) != 1:
        return None
    return {"PP": P, "CC": pts.pop()}


def _subs_ref(ref: MTRef, labels, v: Vocab, claim_syms) -> Dict[sp.Symbol, sp.Expr]:
    """The reference's time placement (λ of intermediate points) and the defaults of parameters the claim leaves out."""
    sub: Dict[sp.Symbol, sp.Expr] = {}
    for k, val in ref.params.items():
        name = k.replace("CC", labels["CC"]) if labels else k
        sym = sp.Symbol(name, positive=True) if not name.startswith("σ_") else sp.Symbol(name, positive=True, real=True)
        if sym not in claim_syms:
            sub[sym] = sp.nsimplify(val, [sp.sqrt(2)], rational=True) if val else sp.Integer(0)
    h = v.lam("t_i") - v.lam("t_i-1")
    for lab, spec in ref.lams.items():
        base, _, rest = spec.partition(" ")
        sign = -1 if rest.startswith("-") else 1
        coef = rest.lstrip("+- ").split("*")[0]
        sub[v.lam(lab)] = v.lam(base) + sign * sp.Symbol(coef, positive=True) * h
    params = {k_: val for k_, val in sub.items() if not k_.name.startswith("λ[")}
    return {k_: val.xreplace(params) for k_, val in sub.items()}
