"""Shorthands shared by the family files: canonical symbols, citations, and the ENTRIES collector."""
from __future__ import annotations

from typing import Callable, List

import sympy as sp

from .. import canon as C
from ..entry import Entry

b, a, ap, S, Sp, x, x0, s, e, v = C.b, C.a, C.ap, C.S, C.Sp, C.x, C.x0, C.s, C.e, C.v
xc, xp = C.x_cur, C.x_prev
beta, sigma, t, T = C.BETA(C.t), C.SIGMA(C.t), C.t, C.T
B_int = sp.Integral(C.BETA(C.U), (C.U, 0, C.t))
g2 = C.G(C.t) ** 2
SONG = "Song et al. 2021 (Score-Based Generative Modeling through SDEs)"
HO = "Ho et al. 2020 (DDPM)"

h = C.h


def collector(entries: List[Entry]) -> Callable[..., Entry]:
    """``_add = collector(ENTRIES)``: ``_add(**fields)`` builds an Entry and appends it to the family's list."""

    def _add(**kw) -> Entry:
        e_ = Entry(**kw)
        entries.append(e_)
        return e_

    return _add
