"""Perturbation kernels: continuous (Song et al. 2021, Eq. 29) and discrete (Ho et al. 2020, Eq. 4; SMLD)."""
from __future__ import annotations

from typing import List

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_chain, tie_kernel_continuous
from ._common import B_int, HO, SONG, a, collector, S, sigma, x0

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_add(name="vp.kernel", title="VP perturbation kernel", source=f"{SONG}, Eq. 29", kind="step", family="vp",
     latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0) e^{-\frac{1}{2}\int_0^t \beta(s) ds}, (1 - e^{-\int_0^t \beta(s) ds}) I)",
     relation="VPSDE.marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.exp(-B_int / 2)}, var=[1 - sp.exp(-B_int)], tie=tie_kernel_continuous)
_add(name="subvp.kernel", title="sub-VP perturbation kernel", source=f"{SONG}, Eq. 29", kind="step", family="subvp",
     latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0) e^{-\frac{1}{2}\int_0^t \beta(s) ds}, (1 - e^{-\int_0^t \beta(s) ds})^2 I)",
     relation="subVPSDE.marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.exp(-B_int / 2)}, var=[(1 - sp.exp(-B_int)) ** 2], tie=tie_kernel_continuous)
_add(name="ve.kernel", title="VE perturbation kernel", source=f"{SONG}, Eq. 29 (VE: N(x(0), [σ²(t) − σ²(0)] I))", kind="step",
     family="ve", latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0), (\sigma(t)^2 - \sigma(0)^2) I)",
     relation="VESDE(marginal='exact').marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.Integer(1)}, var=[sigma**2 - C.SIGMA(0) ** 2], tie=tie_kernel_continuous)
_add(name="ddpm.kernel", title="DDPM marginal q(x_t | x_0)", source=f"{HO}, Eq. 4", kind="step", family="vp",
     latex=r"x_t = \sqrt{\bar{\alpha}_t} x_0 + \sqrt{1 - \bar{\alpha}_t}\epsilon", relation="VPSDE.chain(N).m, .s (m_i² = ᾱ_i)",
     direction="kernel", lhs="x_cur", mean={x0: sp.sqrt(a)}, var=[1 - a], tie=tie_chain)
_add(name="smld.kernel", title="SMLD perturbation q_σ(x̃ | x)", source="Song & Ermon 2019, Sec. 4.1; " + SONG + ", Eq. 8", kind="step",
     family="ve", latex=r"x_i = x_0 + \sigma_i z", relation="VESDE.chain(N).s (s_i = σ_i)", direction="kernel", lhs="x_cur",
     mean={x0: sp.Integer(1)}, var=[S**2], tie=tie_chain)
