"""Chen's γ(t) noise schedules (Chen 2023, "On the importance of noise scheduling for diffusion models", Alg. 1):
γ(t) is the cumulative signal fraction of x_t = √γ(t) x_0 + √(1 − γ(t)) ε, 1 at t = 0 and 0 at t = 1. The cosine
family with start s, end e and temperature τ is

    γ(t) = [cos(((t(e − s) + s)π/2))^{2τ} − cos(eπ/2)^{2τ}] / [cos(sπ/2)^{2τ} − cos(eπ/2)^{2τ}]

(``cosine_schedule(t, start=0, end=1, tau=1)``; without s, e, τ their defaults 0, 1, 1). A claim γ(t) = F(t; s, e, τ)
is ``exact`` when it equals this at random parameters, ``consistent`` when it is another schedule going from 1 at
t = 0 to 0 at t = 1, ``inconsistent`` otherwise (term rhs). The letter e here is the end parameter, not Euler's
number (the formula has no exponential).
"""
from __future__ import annotations

import math
import random
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_chen_gamma"]

SRC = "Chen 2023 (On the importance of noise scheduling), Alg. 1 cosine_schedule(t, start, end, tau)"
_t, _s, _e, _tau = sp.symbols("t· s· e· τ·", real=True)


def _ref(t, s, e, tau):
    c = lambda u: math.cos(u * math.pi / 2) ** (2 * tau)  # noqa: E731
    return (c(t * (e - s) + s) - c(e)) / (c(s) - c(e))


def judge_chen_gamma(eq: str) -> Optional[Verdict]:
    """A verdict for γ(t) written as Chen's cosine schedule (or a variant of it); None otherwise."""
    from .equation import two_sided

    p = two_sided(eq)
    if p is None:
        return None
    lhs, rhs = p.sides
    la = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if la is None or la.base != "γ" or la.args != ("t",) or la.sub or la.deco:
        return None
    if not rhs.has(sp.cos) or rhs.has(sp.exp, sp.log):
        return None
    rep = {}
    for s_ in rhs.free_symbols:
        a = p.atoms.get(s_)
        if a is None or a.sub or a.args or a.deco or a.base not in ("t", "s", "τ"):
            return None
        rep[s_] = {"t": _t, "s": _s, "τ": _tau}[a.base]
    F = rhs.xreplace(rep).subs(sp.E, _e)
    if _t not in F.free_symbols:
        return None
    f = sp.lambdify((_t, _s, _e, _tau), F, "math")
    rng = random.Random(13)
    same = True
    ends_ok = True
    try:
        for _ in range(6):
            s = rng.uniform(0.0, 0.3) if _s in F.free_symbols else 0.0
            e = rng.uniform(0.7, 1.0) if _e in F.free_symbols else 1.0
            tau = rng.uniform(0.5, 2.0) if _tau in F.free_symbols else 1.0
            t = rng.uniform(0.05, 0.95)
            got, want = complex(f(t, s, e, tau)), _ref(t, s, e, tau)
            if abs(got - want) > 1e-9 * (1 + abs(want)):
                same = False
            if abs(complex(f(0.0, s, e, tau)) - 1) > 1e-9 or abs(complex(f(1.0, s, e, tau))) > 1e-9:
                ends_ok = False
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    title = "Chen's cosine schedule γ(t) (start s, end e, temperature τ)"
    if same:
        return Verdict(eq, "exact", f"identical to {title} ({SRC})", claim=title, target="chen_gamma_cosine")
    if ends_ok:
        return Verdict(eq, "consistent", f"a schedule from γ(0) = 1 to γ(1) = 0, but not {title} ({SRC})", claim=title,
                       target="chen_gamma_cosine", terms=["rhs"])
    return Verdict(eq, "inconsistent", f"differs from {title}, and does not go from γ(0) = 1 to γ(1) = 0 ({SRC})",
                   claim=title, target="chen_gamma_cosine", terms=["rhs"])
