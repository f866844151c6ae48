"""Which term of a wrong Langevin step is the wrong one.

Langevin dynamics leaves p invariant only when the noise variance is twice the score step (x + c s + √(2c) z).
When that fails, either term may be the one changed; the verifier names the noise (the score step sets the
step size) unless the step is written in a step size whose published form fixes both terms: Song & Ermon's
annealed step size α_i (2019, Alg. 1: x̃_t = x̃_{t−1} + (α_i/2) s_θ(x̃_{t−1}, σ_i) + √α_i z_t). Then the term
that differs from that published form is named (both, where both differ).
"""
from __future__ import annotations

from typing import List

import sympy as sp

from .evaluate import is_zero

__all__ = ["langevin_wrong_terms"]


def _annealed_step(expr: sp.Expr):
    """The annealed step size α_i (a constant α subscripted by the noise level's index) in ``expr``, if one."""
    found = [q for q in expr.free_symbols if q.name.startswith("α_") and len(q.name) == 3 and q.name[2].isalpha()]
    return found[0] if len(found) == 1 else None


def langevin_wrong_terms(cs: sp.Expr, var) -> List[str]:
    """The terms to name when the noise variance ``var`` is not twice the score coefficient ``cs``."""
    a = _annealed_step(cs + (var or 0))
    if a is None or var is None:
        return ["variance"]
    terms = []
    if is_zero(cs - a / 2)[0] is False:
        terms.append("mean.score")
    if is_zero(var - a)[0] is False:
        terms.append("variance")
    return terms or ["variance"]
