"""A consistency model's scalings go together: both must meet the boundary condition at the smallest noise level.

Song, Dhariwal, Chen & Sutskever 2023 (Consistency Models), Eq. 5 and App. C: f_θ(x, σ) = c_skip(σ) x + c_out(σ) F_θ(x, σ)
with f_θ(x, σ_min) = x, which holds for every network only if c_skip(σ_min) = 1 and c_out(σ_min) = 0 -- EDM's scalings
shifted by σ_min (t − ε in the paper's time). A cell that writes one scaling in that parameterisation (judged against a
``cm.*`` entry) states a consistency model; another scaling of the same cell that is EDM's unshifted one (Karras et al.
2022, Eq. 7: c_skip(σ_min) ≠ 1, c_out(σ_min) ≠ 0) breaks the boundary condition and is inconsistent in that cell,
however right it is for EDM alone.
"""
from __future__ import annotations

from typing import List

import sympy as sp

__all__ = ["cm_boundary_pair"]

_SOURCE = "Song et al. 2023 (Consistency Models), Eq. 5 and App. C: f_θ(x, σ_min) = x"


def _at_smallest(entry) -> sp.Expr:
    from .families._common import t
    from .families.consistency import EPS
    from .families.edm import SIG, SMIN

    rhs = entry.rhs
    if t in rhs.free_symbols:
        rhs = rhs.xreplace({t: EPS})
    return sp.simplify(rhs.xreplace({SIG: SMIN}).xreplace({EPS: SMIN}))


def cm_boundary_pair(vs: List) -> None:
    """Mark, in place, the scalings of a consistency-model cell that break f(x, σ_min) = x."""
    from .registry import REGISTRY

    if len(vs) < 2 or not any((v.target or "").startswith("cm.") and v.verdict in ("exact", "consistent") for v in vs):
        return
    for v in vs:
        entry = REGISTRY.get(v.target or "")
        if entry is None or v.verdict not in ("exact", "consistent") or (v.target or "").startswith("cm.") \
                or entry.lhs not in ("c_skip", "c_out"):
            continue
        want = 1 if entry.lhs == "c_skip" else 0
        got = _at_smallest(entry)
        if sp.simplify(got - want) == 0:
            continue
        v.verdict, v.terms = "inconsistent", ["rhs"]
        v.detail = (f"beside a consistency model's scaling (shifted by σ_min), {entry.lhs}(σ_min) must be {want} so that "
                    f"f(x, σ_min) = x ({_SOURCE}); this one is {entry.title} and gives {entry.lhs}(σ_min) = "
                    f"{sp.sstr(got)}: " + v.detail)
