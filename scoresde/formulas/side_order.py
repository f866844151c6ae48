"""Which side of an equation names the quantity (a hook of :func:`scoresde.formulas.classify.read_claim`).

Equality is symmetric, and papers write definitions both ways:

* ``expression = μ̃_t(x_t, x_0)`` (the named quantity on the right, as Ho et al. 2020, Eq. 7 may be rearranged; Bishop &
  Bishop 2024 write results ``… = m_t``) is read as ``μ̃_t(x_t, x_0) = expression`` when the left side is not a
  single named quantity (an expression of two or more; ``σ_t² = β_t`` stays as written) and the right side is;
* in a chain ``a = b = c`` whose first side is not a single named quantity (``λ_n² = β̃_n = …``, Bao et al. 2022,
  Eq. 7 and Thm. 1 name the reverse variance λ_n² and give its DDPM value β̃_n), the first link names a new symbol
  (a notation, nothing the registry can check) and the chain is judged from its first named side on.

Equations with differentials or derivatives (SDEs, ODEs) are left as written: their left side is the derivative.
"""
from __future__ import annotations

from typing import Optional

import sympy as sp

from .atoms import DDT, DT, DW, DWBAR, DX, NORMAL, Parsed

__all__ = ["named_side_first"]


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
