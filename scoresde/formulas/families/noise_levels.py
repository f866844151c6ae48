"""Discrete noise levels written as sequences: the SMLD geometric σ_i (Song et al. 2021, App. C; i = 1 … N,
increasing) and Song & Ermon 2019's σ_1 > … > σ_L (Sec. 4.1, decreasing). Both are read literally (i, N, L are
index symbols) and tied to the noise levels of ``scoresde.grids.geometric`` on VESDE(marginal='smld')."""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from .. import canon as C
from ..admissible import Spec, spec_values
from ..entry import Entry
from ._common import collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

I_ = sp.Symbol("i", positive=True, integer=True)
N_ = sp.Symbol("N", positive=True, integer=True)
L_ = sp.Symbol("L", positive=True, integer=True)
S1 = sp.Symbol("σ_1", positive=True)
SL = sp.Symbol("σ_L", positive=True)


def tie_geometric_levels(entry: Entry) -> Tuple[bool, str]:
    """σ_i against the noise levels lv_0 > … > lv_{n} of grids.geometric(VESDE(marginal='smld'), n) for n = 9, 24:
    Song et al.'s σ_i (i = 1 … N, increasing) is lv_{N−i}; Song & Ermon's σ_i (decreasing) is lv_{i−1}."""
    from ...grids import geometric
    from ..ties import _ev, _ve

    sde = _ve(marginal="smld")
    worst = 0.0
    for n in (9, 24):
        lv = sde.noise_level(geometric(sde, n)).tolist()
        count = n + 1
        for i in range(1, count + 1):
            if entry.name == "smld.sigma_i":
                ref = lv[count - i]
                val = _ev(entry.rhs, {I_: i, N_: count, C.sigma_min: lv[-1], C.sigma_max: lv[0]})
            elif entry.name == "sigma_i.decreasing":
                ref = lv[i - 1]
                val = _ev(entry.rhs, {I_: i, N_: count, C.sigma_min: lv[-1], C.sigma_max: lv[0]})
            else:
                ref = lv[i - 1]
                val = _ev(entry.rhs, {I_: i, L_: count, S1: lv[0], SL: lv[-1]})
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-9, f"noise levels of grids.geometric(VESDE(marginal='smld'), n = 9, 24): max relative deviation {worst:.1e}"


_add(name="smld.sigma_i", title="geometric noise levels σ_i of the SMLD chain", source="Song et al. 2021, App. C (σ_i, i = 1 … N)",
     kind="scalar", family="generic",
     latex=r"\sigma_i = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{\frac{i-1}{N-1}}",
     relation="noise levels of scoresde.grids.geometric(VESDE), increasing", lhs="sigma_i", mode="discrete",
     rhs=C.sigma_min * (C.sigma_max / C.sigma_min) ** ((I_ - 1) / (N_ - 1)), tie=tie_geometric_levels,
     admissible=Spec("sigma_up", spec_values([("σ_min", 0.01), ("σ_max", 50.0), ("N", 1000)]), var=("i", "k", "n"),
                     count="N", domain="integer", source="Song et al. 2021, App. C: σ_min = 0.01, σ_max = 50, N = 1000"))
_add(name="ncsn.sigma_i", title="geometric noise levels σ_1 > … > σ_L of NCSN", source="Song & Ermon 2019, Sec. 4.1",
     kind="scalar", family="generic", latex=r"\sigma_i = \sigma_1\left(\frac{\sigma_L}{\sigma_1}\right)^{\frac{i-1}{L-1}}",
     relation="noise levels of scoresde.grids.geometric(VESDE), decreasing", lhs="sigma_i", mode="discrete",
     rhs=S1 * (SL / S1) ** ((I_ - 1) / (L_ - 1)), tie=tie_geometric_levels,
     admissible=Spec("sigma_down", spec_values([("σ_1", 1.0), ("σ_L", 0.01), ("L", 10)]), var=("i", "k", "n"), count="L",
                     domain="integer", source="Song & Ermon 2019, Sec. 5: σ_1 = 1, σ_L = 0.01, L = 10"))
_add(name="sigma_i.decreasing", title="geometric noise levels σ_max = σ_1 > … > σ_N = σ_min, in sampling order",
     source="Song & Ermon 2019, Sec. 4.1 (σ_1 > … > σ_L geometric) with σ_1 = σ_max, σ_L = σ_min; k-diffusion's "
            "get_sigmas_exponential", kind="scalar", family="generic",
     latex=r"\sigma_i = \sigma_{\max}\left(\frac{\sigma_{\min}}{\sigma_{\max}}\right)^{\frac{i-1}{N-1}}",
     relation="noise levels of scoresde.grids.geometric(VESDE), decreasing", lhs="sigma_i", mode="discrete",
     rhs=C.sigma_max * (C.sigma_min / C.sigma_max) ** ((I_ - 1) / (N_ - 1)), tie=tie_geometric_levels,
     admissible=Spec("sigma_down", spec_values([("σ_min", 0.01), ("σ_max", 50.0), ("N", 1000)]), var=("i", "k", "n"),
                     count="N", domain="integer", source="Song et al. 2021, App. C: σ_min = 0.01, σ_max = 50, N = 1000"))

__all__ = ["ENTRIES", "tie_geometric_levels"]
