"""The registry: named, cited formulas in sympy, each tied to the SDE objects of the core.

Every entry carries its source (paper + equation), a sympy form in the canonical symbols of
:mod:`scoresde.formulas.canon`, a LaTeX rendering (parsed and checked against the entry by the
tests, so the parser and the registry agree) and a ``tie``: a numeric check of the sympy form
against the package's implementation (``VPSDE.marginal_prob``, ``sde.chain(N)``,
``scoresde.params.convert``, ...). ``scoresde verify --builtin`` runs every tie, so registry and
implementation cannot drift apart.

Kinds:
* ``sde``      dx = drift dt + g dw (or dw̄ / no noise): ``drift``, ``diff2`` (= g²), ``noise``;
* ``step``     lhs = sum_j c_j basis_j + noise, basis among x_cur (x_k), x_prev (x_{k-1}), x0, s, f(x,t):
               ``mean`` {basis: coeff}, ``var`` (noise variance, list of admissible choices or None);
* ``scalar``   lhs-quantity = ``rhs``;
* ``relation`` a linear identity among x, x0, eps, score, v: ``lhs`` symbol = ``rhs``;
* ``langevin`` any x + c s + sqrt(2c) z (the Langevin rule var = 2 x score coefficient).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from .entry import Entry
from .families import all_entries

__all__ = ["Entry", "REGISTRY", "get", "entries", "run_ties"]

_E: List[Entry] = all_entries()
REGISTRY: Dict[str, Entry] = {e_.name: e_ for e_ in _E}


def get(name: str) -> Entry:
    if name not in REGISTRY:
        raise ValueError(f"unknown registry target {name!r}; valid: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def entries(kind: Optional[str] = None) -> List[Entry]:
    return [e_ for e_ in _E if kind is None or e_.kind == kind]


def run_ties(names: Optional[Sequence[str]] = None) -> List[Tuple[str, bool, str]]:
    """Evaluate every entry's tie to the package; returns (name, ok, detail)."""
    out = []
    for e_ in _E:
        if names is not None and e_.name not in names:
            continue
        if e_.tie is None:
            out.append((e_.name, True, "continuous-time step: checked through its consistency with the reverse SDE entry"))
            continue
        ok, detail = e_.tie(e_)
        out.append((e_.name, ok, detail))
    return out
