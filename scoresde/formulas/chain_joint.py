"""A chain's joint density written as a product of its steps, judged by the chain rule of probability.

``q(x_{1:T} | x_0) = ∏_{t=1}^T q(x_t | x_{t−1})`` (Ho et al. 2020, Eq. 2), ``p_θ(x_{0:T}) = p(x_T) ∏_{t=1}^T
p_θ(x_{t−1} | x_t)`` (Eq. 1), DDIM's ``q_σ(x_{1:T} | x_0) = q_σ(x_T | x_0) ∏_{t=2}^T q_σ(x_{t−1} | x_t, x_0)`` (Song,
Meng & Ermon 2021, Eq. 6) and Sohl-Dickstein et al. 2015's ``q(x^{(0⋯T)}) = q(x^{(0)}) ∏ q(x^{(t)} | x^{(t−1)})``
(Eq. 3) are all the chain rule p(a, b, …) = p(a) p(b | a) ⋯ with a Markov property: such a product is the joint
exactly when every state of the left side's range is drawn by one factor, once, conditioned only on the left side's
given states and on states drawn before it (the factors, in some order, form a directed acyclic graph). A
factor drawing a state twice, a state never drawn (the prior p(x_T) left out), a given state drawn again, or a
factor conditioned on a state outside the range is not a factorisation of that joint. The product is expanded
at a concrete chain length (T = 6) and the cover and the order are checked there.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

import sympy as sp

from .atoms import Parsed
from .verdict import Verdict

__all__ = ["judge_chain_joint"]

_T = 6  # the chain length at which the product is expanded
_SOURCE = "the chain rule of probability with a Markov chain (Ho et al. 2020, Eq. 1-2; Song et al. 2021 (DDIM), Eq. 6)"
_RANGE = re.compile(r"^([A-Za-z])(?:_\{?|\^\(?)(\w+)\s*(?::|c?dots|ldots|\.\.\.?)\s*(\w+)\)?\}?$")
_ONE = re.compile(r"^([A-Za-z])(?:_\{?|\^\(?)([^{}()]+?)\)?\}?$")


def _index(s: str, t: Optional[sp.Symbol]) -> Optional[sp.Expr]:
    s = s.strip().replace(" ", "")
    if not re.fullmatch(r"[0-9tTiNn+\-]+", s):
        return None
    try:
        e = sp.sympify(s, locals={"t": t or sp.Symbol("t"), "T": sp.Integer(_T), "N": sp.Integer(_T),
                                  "i": t or sp.Symbol("i"), "n": t or sp.Symbol("n")})
    except (sp.SympifyError, SyntaxError, TypeError):
        return None
    return e


def _density(atom) -> Optional[Tuple[str, List[str], List[str]]]:
    """(letter, variables drawn, variables given) of ``q_σ(x_t | x_{t−1}, x_0)``; None if it is not a density."""
    if atom is None or atom.base not in ("p", "q") or not atom.args:
        return None
    args = list(atom.args)
    bar = args.index("|") if "|" in args else len(args)
    return atom.base, args[:bar], args[bar + 1:]


def _states(names: Sequence[str], t) -> Optional[List[Tuple[str, int]]]:
    out: List[Tuple[str, int]] = []
    for n in names:
        m = _RANGE.match(n.replace(" ", ""))
        if m:
            lo, hi = _index(m.group(2), t), _index(m.group(3), t)
            if lo is None or hi is None or not (lo.is_Integer and hi.is_Integer):
                return None
            out += [(m.group(1), k) for k in range(int(lo), int(hi) + 1)]
            continue
        m = _ONE.match(n.replace(" ", ""))
        k = _index(m.group(2), t) if m else None
        if k is None or not k.is_Integer:
            return None
        out.append((m.group(1), int(k)))
    return out


def _factors(expr: sp.Expr, p: Parsed):
    """The density factors of the right side, each with its product's index range (None outside a product)."""
    out = []
    for f in sp.Mul.make_args(expr):
        if isinstance(f, sp.Product):
            body, (var, lo, hi) = f.args[0], f.args[1]
            at_t = {q: _T for q in (lo.free_symbols | hi.free_symbols) if q.name in ("T", "N")}
            lo, hi = lo.subs(at_t), hi.subs(at_t)
            for q in sp.Mul.make_args(body):
                out.append((p.atoms.get(q) if isinstance(q, sp.Symbol) else None, (lo, hi)))
        else:
            out.append((p.atoms.get(f) if isinstance(f, sp.Symbol) else None, None))
    return out


def judge_chain_joint(eq: str, p: Parsed) -> Optional[Verdict]:
    """The verdict on a joint density written as a product of steps; None if ``p`` is not one."""
    if len(p.sides) != 2 or not p.sides[1].has(sp.Product):
        return None
    lhs = _density(p.atoms.get(p.sides[0]) if isinstance(p.sides[0], sp.Symbol) else None)
    if lhs is None:
        return None
    drawn_l, given_l = _states(lhs[1], None), _states(lhs[2], None)
    if not drawn_l or given_l is None:
        return None
    want, given = set(drawn_l), set(given_l)
    drawn: List[Tuple[str, int]] = []
    needs: Dict[Tuple[str, int], set] = {}
    for atom, rng in _factors(p.sides[1], p):
        d = _density(atom)
        if d is None:
            return None  # a factor that is not a density (a constant, a weight): not this construct
        if d[0] != lhs[0]:
            shown = f"{d[0]}({', '.join(d[1])}" + (f" | {', '.join(d[2])})" if d[2] else ")")
            return _wrong(eq, f"the factor {shown} is a density of {d[0]}, the left side one of {lhs[0]}")
        steps = [None] if rng is None else []
        if rng is not None:
            lo, hi = rng
            if not (lo.is_Integer and hi.is_Integer):
                return None
            steps = list(range(int(lo), int(hi) + 1))
        for k in steps:
            tk = None if k is None else sp.Integer(k)
            a, b = _states(d[1], tk), _states(d[2], tk)
            if a is None or b is None:
                return None
            for s_ in a:
                drawn.append(s_)
                needs[s_] = needs.get(s_, set()) | set(b)
    name = lambda s_: f"{s_[0]}_{s_[1]}"  # noqa: E731
    twice = sorted({s_ for s_ in drawn if drawn.count(s_) > 1})
    if twice:
        return _wrong(eq, f"{', '.join(map(name, twice))} is drawn by more than one factor (at T = {_T})")
    again = sorted(set(drawn) & given)
    if again:
        return _wrong(eq, f"the given state {', '.join(map(name, again))} is drawn again by a factor (at T = {_T})")
    missing, extra = sorted(want - set(drawn)), sorted(set(drawn) - want)
    if missing:
        return _wrong(eq, f"no factor draws {', '.join(map(name, missing))} (at T = {_T}): the product is not the joint "
                          f"density of the left side")
    if extra:
        return _wrong(eq, f"a factor draws {', '.join(map(name, extra))}, which is outside the left side's range (at T = {_T})")
    outside = sorted({c for s_ in drawn for c in needs[s_]} - want - given)
    if outside:
        return _wrong(eq, f"a factor is conditioned on {', '.join(map(name, outside))}, which is neither drawn nor given "
                          f"(at T = {_T})")
    done, todo = set(given), set(drawn)
    while todo:  # the factors in some order: each conditioned only on states drawn before it
        ready = {s_ for s_ in todo if needs[s_] <= done}
        if not ready:
            return _wrong(eq, "the factors condition on each other in a cycle: no order draws each state after the ones "
                              "it is conditioned on")
        done |= ready
        todo -= ready
    return Verdict(eq, "exact", f"a factorisation of the joint density by the chain rule: every state is drawn once, "
                                f"conditioned on states drawn before it (checked at T = {_T}; {_SOURCE})",
                   claim="a chain's joint density as the product of its steps")


def _wrong(eq: str, why: str) -> Verdict:
    return Verdict(eq, "inconsistent", f"not the chain rule: {why} ({_SOURCE})",
                   claim="a chain's joint density as the product of its steps", terms=["rhs"])
