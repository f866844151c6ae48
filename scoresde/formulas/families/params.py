"""Parameterisations: score ↔ ε ↔ x̂₀ ↔ v (Ho et al. 2020; Efron 2011; Salimans & Ho 2022)."""
from __future__ import annotations

from typing import List


from .. import canon as C
from ..entry import Entry
from ..ties_more import tie_relation
from ._common import HO, SONG, collector, e, s, v, x, x0

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

m, sg = C.m_sym, C.sg_sym
for name, lhs, rhs, latex, src in [
    ("param.score_eps", "s", -e / sg, r"\nabla_x \log p_t(x) = -\frac{\epsilon_\theta(x, t)}{\sigma_t}", f"{SONG}, Eq. 7 (DSM target); {HO}, Eq. 11-12"),
    ("param.x0_eps", "x0", (x - sg * e) / m, r"\hat{x}_0 = \frac{x_t - \sigma_t \epsilon_\theta(x_t, t)}{\alpha_t}", f"{HO}, Eq. 4 solved for x_0 (Eq. 15)"),
    ("param.tweedie", "x0", (x + sg**2 * s) / m, r"\hat{x}_0 = \frac{x_t + \sigma_t^2 \nabla_x \log p_t(x_t)}{\alpha_t}", "Efron 2011 (Tweedie's formula), Eq. 2.8"),
    ("param.v", "v", m * e - sg * x0, r"v = \alpha_t \epsilon - \sigma_t x_0", "Salimans & Ho 2022, Sec. 4 (VP: α² + σ² = 1)"),
    ("param.eps_from_v", "e", (m * v + sg * x) / (m**2 + sg**2), r"\epsilon = \alpha_t v + \sigma_t x_t", "Salimans & Ho 2022, App. D (VP)"),
    ("param.x0_from_v", "x0", (m * x - sg * v) / (m**2 + sg**2), r"x_0 = \alpha_t x_t - \sigma_t v", "Salimans & Ho 2022, Sec. 4 (VP)"),
]:
    _add(name=name, title={"s": "score from ε", "x0": "x̂₀", "v": "v-prediction", "e": "ε from v"}[lhs] + f" ({name.split('.')[1]})",
         source=src, kind="relation", family="generic", latex=latex,
         relation="scoresde.params.convert with (m, s) = (mean_coeff, marginal_std)", lhs=lhs, rhs=rhs, mode="relation",
         tie=tie_relation)
