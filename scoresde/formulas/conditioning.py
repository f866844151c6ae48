"""A density's conditioning against what its mean uses: q(x_t | x_{t−1}) = N(x_t; √ᾱ_t x_0, …) is wrong as written.

The left side of ``q(x_t | x_{t−1}) = N(…)`` (Ho et al. 2020, Eq. 2), ``q(x_t | x_0) = N(…)`` (Eq. 4) or
``q(x_{t−1} | x_t, x_0) = N(…)`` (Eq. 6; DDIM's q_σ, Eq. 7) says which states the density may depend on. A mean
that uses a state the density is not conditioned on (the marginal's √ᾱ_t x_0 under q(x_t | x_{t−1}), the
transition's √(1 − β_t) x_{t−1} under q(x_t | x_0)) is a right formula with the wrong label, a classic slip:
``inconsistent``, naming that state's term. Only indexed states (x_t, x_{t−1}, x_0) are compared; other forms
(x(t) | x(0), x̃ | x) are left as read.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import Parsed

__all__ = ["misconditioned"]

_STATES = (C.x_prev, C.x_cur, C.x0)
_NAMES = {C.x_prev: "x_{k−1}", C.x_cur: "x_k", C.x0: "x_0"}


def misconditioned(p: Parsed, cl) -> Optional[Tuple[str, str]]:
    """(reason, term) when the mean of a Gaussian density uses a state the density is not conditioned on."""
    from .claim import _atom_from_text
    from .compare import term_of_basis

    if cl is None or cl.kind != "step" or not p.sides:
        return None
    lhs = p.sides[0]
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if at is None or at.base not in ("q", "p") or not at.args or "|" not in at.args:
        return None
    given_txt = [a_ for a_ in at.args[at.args.index("|") + 1:] if a_.strip()]
    if not given_txt or not all(re.fullmatch(r"[xX]_[A-Za-z0-9+\-]+", g.replace(" ", "")) for g in given_txt):
        return None
    given = set()
    for g in given_txt:
        try:
            val = C.resolve(_atom_from_text(g), cl.reading.copy())
        except Exception:
            return None
        if val not in _STATES:
            return None
        given.add(val)
    used = [k for k in _STATES if k in cl.mean]
    extra = [k for k in used if k not in given]
    if not extra:
        return None
    names = ", ".join(p.atoms[cl.raw_basis[k]].name if cl.raw_basis.get(k) in p.atoms else _NAMES[k] for k in extra)
    left = ", ".join(a_ for a_ in at.args[:at.args.index("|")])
    dens = f"{at.base}{'_' + at.sub if at.sub else ''}({left} | {', '.join(given_txt)})"
    return (f"the density {dens} is conditioned on {', '.join(given_txt)}, but its mean uses {names} "
            "(a right formula under the wrong label, or a wrong mean)"), term_of_basis(extra[0], cl)
