"""Forward Markov chains of DDPM and SMLD (Ho et al. 2020, Eq. 2; Song et al. 2021, Eq. 8, 10)."""
from __future__ import annotations

from typing import List

import sympy as sp

from ..entry import Entry
from ..ties import tie_chain
from ._common import HO, SONG, b, collector, S, Sp, xp

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_add(name="ddpm.forward_step", title="DDPM forward chain", source=f"{HO}, Eq. 2; {SONG}, Eq. 10", kind="step", family="vp",
     latex=r"x_i = \sqrt{1 - \beta_i} x_{i-1} + \sqrt{\beta_i} z_{i-1}", relation="VPSDE.chain(N).a, .b (a_i² = 1 − β_i, b_i² = β_i)",
     direction="forward", lhs="x_cur", mean={xp: sp.sqrt(1 - b)}, var=[b], tie=tie_chain)
_add(name="smld.forward_step", title="SMLD forward chain", source=f"{SONG}, Eq. 8", kind="step", family="ve",
     latex=r"x_i = x_{i-1} + \sqrt{\sigma_i^2 - \sigma_{i-1}^2} z_{i-1}", relation="VESDE.chain(N).a, .b (b_i² = σ_i² − σ_{i−1}²)",
     direction="forward", lhs="x_cur", mean={xp: sp.Integer(1)}, var=[S**2 - Sp**2], tie=tie_chain)
