"""A VP noise rate β(t) written through the kernel variance σ_t² that the same formula defines beside it.

The VP SDE dx = −½β(t) x dt + √β(t) dw has the perturbation kernel N(√(1 − σ_t²) x_0, σ_t² I), whose variance
solves dσ_t²/dt = β(t)(1 − σ_t²) (Song et al. 2021, Eq. 33 with Σ = σ²I; Särkkä & Solin 2019, Eq. 5.51). So a
schedule given by its variance determines its rate: β(t) = (dσ_t²/dt)/(1 − σ_t²) = −d/dt log(1 − σ_t²). Papers that
design the schedule through σ_t² write the pair (LSGM's geometric VP SDE, Vahdat et al. 2021, Sec. 3.3/App.:
β(t) = log(σ²_max/σ²_min) σ_t²/(1 − σ_t²) with σ_t² = σ²_min(σ²_max/σ²_min)^t; any σ_t² of another design). Such a
cell is one statement, checked by that ODE: exact when β equals (dσ_t²/dt)/(1 − σ_t²) identically, else inconsistent
in its right side. Only the pair β(t)/β_t = B(σ_t, t) beside σ_t² = V(t) (or σ_t = S(t), σ(t)) is read here.
"""
from __future__ import annotations

import random
from typing import List, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["beta_with_variance"]

_SOURCE = "Song et al. 2021, Eq. 33 (VP: dΣ/dt = β(t)(I − Σ)); Vahdat et al. 2021 (LSGM), geometric VP SDE"


def _is_t(atom) -> bool:
    return atom is not None and (atom.sub == "t" and atom.args is None or not atom.sub and atom.args == ("t",))


def _lhs(p, base: str):
    """(symbol, power) when the left side is base_t / base(t) (or its square), else None."""
    lhs = p.sides[0]
    power = 1
    if isinstance(lhs, sp.Pow) and lhs.exp == 2 and isinstance(lhs.base, sp.Symbol):
        lhs, power = lhs.base, 2
    if not isinstance(lhs, sp.Symbol):
        return None
    at = p.atoms.get(lhs)
    if at is None or at.base != base or at.deco or at.sup or not _is_t(at):
        return None
    return lhs, power


def _zero(expr: sp.Expr, syms) -> Optional[bool]:
    """expr ≡ 0 at random points (t in (0.05, 0.95), constants in (0.01, 0.9) with σ_max > σ_min), or None."""
    rng = random.Random(13)
    syms = sorted(syms, key=lambda s_: s_.name)
    for _ in range(6):
        vals = {s_: sp.Float(rng.uniform(0.05, 0.95) if s_.name == "t" else rng.uniform(0.01, 0.3), 30) for s_ in syms}
        for s_ in syms:
            if "max" in s_.name:
                vals[s_] = sp.Float(rng.uniform(1.5, 9.0), 30)
        try:
            val = complex(sp.N(expr.xreplace(vals), 30))
        except (TypeError, ValueError, ArithmeticError):
            return None
        if abs(val) > 1e-12:
            return False
    return True


def beta_with_variance(eqs: List[str]) -> Optional[Verdict]:
    """The verdict of a two-equation cell β(t) = B(σ_t, t), σ_t² = V(t) (module docstring), or None."""
    if len(eqs) != 2 or "beta" not in "".join(eqs) or "sigma" not in "".join(eqs):
        return None
    from .atoms import ParseError
    from .parse import parse

    try:
        ps = [parse(e) for e in eqs]
    except (ParseError, RecursionError, ValueError, TypeError):
        return None
    if any(len(p.sides) != 2 for p in ps):
        return None
    for kb in (0, 1):
        pb, pv = ps[kb], ps[1 - kb]
        b, v = _lhs(pb, "β"), _lhs(pv, "σ")
        if b is None or v is None or b[1] != 1:
            continue
        sig, power = v
        var = pv.sides[1] ** (2 // power)
        names = {s_.name: s_ for s_ in var.free_symbols}
        if sig.name in names or "t" not in names:
            return None
        body = pb.sides[1]
        sig_b = [s_ for s_ in body.free_symbols if s_.name == sig.name]
        if not sig_b:
            return None
        body = body.xreplace({sig_b[0]: sp.sqrt(var)})
        body = body.xreplace({s_: names[s_.name] for s_ in body.free_symbols if s_.name in names})
        if {s_.name for s_ in body.free_symbols} - set(names):
            return None  # something else than the variance's own symbols: not this pair
        t = names["t"]
        want = sp.diff(var, t) / (1 - var)
        z = _zero(body - want, var.free_symbols | body.free_symbols)
        if z is None:
            return None
        text = ", \\quad ".join(eqs)
        if z:
            return Verdict(text, "exact", "β(t) and the kernel variance σ_t² beside it satisfy the VP SDE's variance "
                           f"ODE dσ_t²/dt = β(t)(1 − σ_t²), i.e. β = (dσ_t²/dt)/(1 − σ_t²) ({_SOURCE})",
                           claim="VP rate β(t) of a variance schedule σ_t²", target="vp.variance_ode")
        return Verdict(text, "inconsistent", f"β(t) is not the rate of the σ_t² beside it: the VP SDE needs "
                       f"β = (dσ_t²/dt)/(1 − σ_t²) = {sp.simplify(want)} ({_SOURCE})",
                       claim="VP rate β(t) of a variance schedule σ_t²", target="vp.variance_ode", terms=["rhs"])
    return None
