"""Which side of an equation names the quantity (a hook of :func:`scoresde.formulas.classify.read_claim`).

Equality is symmetric, and papers write definitions both ways:

* ``expression = μ̃_t(x_t, x_0)`` (the named quantity on the right, as Ho et al. 2020, Eq. 7 may be rearranged; Bishop &
  Bishop 2024 write results ``… = m_t``) is read as ``μ̃_t(x_t, x_0) = expression`` when the left side is not a
  single named quantity (an expression of two or more; ``σ_t² = β_t`` stays as written) and the right side is;
* in a chain ``a = b = c`` whose first side is not a single named quantity (``λ_n² = β̃_n = …``, Bao et al. 2022,
  Eq. 7 and Thm. 1 name the reverse variance λ_n² and give its DDPM value β̃_n), the first link names a new symbol
  (a notation, nothing the registry can check) and the chain is judged from its first named side on.

Equations with differentials or derivatives (SDEs, ODEs) are left as written: their left side is the derivative.

An integral of a named function from a fixed start, ``∫_a^t f(s) ds = G(t)``, holds exactly when ``f(t) = G′(t)`` and
``G(a) = 0`` (the fundamental theorem of calculus): it is read as ``f(t) = G′(t)`` (Song et al. 2021, App. B write
the VP kernel through ∫_0^t β(s) ds = β̄_min t + ½ t² (β̄_max − β̄_min)), and left unread when G(a) ≠ 0.
"""
from __future__ import annotations

from typing import Optional

import sympy as sp

from .atoms import DDT, DT, DW, DWBAR, DX, NORMAL, Atom, Parsed

__all__ = ["integral_as_derivative", "named_side_first"]


def _named(side: sp.Expr, p: Parsed) -> bool:
    return isinstance(side, sp.Symbol) and side in p.atoms and p.atoms[side].base not in ("jac", "div", "norm", "∫")


def _calculus(p: Parsed) -> bool:
    return any(s_.has(DX, DT, DW, DWBAR, DDT, NORMAL, sp.Derivative, sp.Integral)
               or any(isinstance(q, sp.Function) and q.func.__name__ == "d" for q in s_.atoms(sp.Function))
               for s_ in p.sides)


def named_side_first(p: Parsed) -> Optional[Parsed]:
    """The equation with its named side first (module docstring), or None when nothing moves."""
    if p.relation != "=" or len(p.sides) < 2 or _named(p.sides[0], p) or _calculus(p):
        return None
    if isinstance(p.sides[0], sp.log):  # log p_T(x) = …: a log-density is a named quantity of its own
        return None
    if len(p.sides) == 2:
        named = [q for q in p.sides[0].free_symbols if q in p.atoms]
        if not _named(p.sides[1], p) or len(named) < 2:
            return None  # σ_t² = β_t: a power of one named quantity is that quantity's own equation
        return Parsed(p.text, [p.sides[1], p.sides[0]], p.atoms, p.relation, list(p.issues))
    for k in range(1, len(p.sides) - 1):
        if _named(p.sides[k], p):
            return Parsed(p.text, list(p.sides[k:]), p.atoms, p.relation, list(p.issues))
    return None


def integral_as_derivative(p: Parsed) -> Optional[Parsed]:
    """``∫_a^t f(s) ds = G(t)`` as ``f(t) = G′(t)`` when G(a) = 0 (module docstring), else None."""
    if p.relation != "=" or len(p.sides) != 2 or not isinstance(p.sides[0], sp.Integral):
        return None
    integ, rhs = p.sides
    if len(integ.limits) != 1 or len(integ.limits[0]) != 3:
        return None
    var, lo, hi = integ.limits[0]
    body = integ.function
    at = p.atoms.get(body) if isinstance(body, sp.Symbol) else None
    hat = p.atoms.get(hi) if isinstance(hi, sp.Symbol) else None
    if at is None or hat is None or at.args is None or len(at.args) != 1 or at.args[0] != str(var) or var in rhs.free_symbols:
        return None
    if sp.simplify(rhs.xreplace({hi: lo})) != 0:
        return None
    f_at = Atom(at.base, at.deco, at.sub, at.sup, (hat.name,), at.font)
    f_sym = sp.Symbol(f_at.name, real=True)
    p.atoms[f_sym] = f_at
    return Parsed(p.text, [f_sym, sp.expand(sp.diff(rhs, hi))], p.atoms, p.relation, list(p.issues))
