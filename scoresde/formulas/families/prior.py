"""Prior log-densities and the instantaneous change of variables (Song et al. 2021, Sec. 4.3, App. D.2)."""
from __future__ import annotations

from typing import List

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_prior
from ..ties_more import tie_change_of_variables
from ._common import SONG, collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_add(name="prior.vp.logp", title="prior log-density N(0, I)", source=f"{SONG}, Sec. 3.4 / App. D.2 (VP prior)", kind="scalar",
     family="vp", latex=r"\log p_T(x) = -\frac{d}{2}\log(2\pi) - \frac{\|x\|^2}{2}", relation="VPSDE.prior_logp", lhs="logp_T",
     mode="function", rhs=-C.dim / 2 * sp.log(2 * sp.pi) - C.NORM_X2 / 2, tie=tie_prior)
_add(name="prior.ve.logp", title="prior log-density N(0, σ_max² I)", source=f"{SONG}, Sec. 3.4 / App. D.2 (VE prior)", kind="scalar",
     family="ve", latex=r"\log p_T(x) = -\frac{d}{2}\log(2\pi\sigma_{\max}^2) - \frac{\|x\|^2}{2\sigma_{\max}^2}",
     relation="VESDE(marginal='smld').prior_logp", lhs="logp_T", mode="function",
     rhs=-C.dim / 2 * sp.log(2 * sp.pi * C.sigma_max**2) - C.NORM_X2 / (2 * C.sigma_max**2), tie=tie_prior)
_add(name="likelihood.change_of_variables", title="instantaneous change of variables",
     source=f"Chen et al. 2018 (Neural ODEs), Thm. 1; {SONG}, Sec. 4.3 and App. D.2", kind="scalar", family="generic",
     latex=r"\log p_0(x(0)) = \log p_T(x(T)) + \int_0^T \nabla\cdot\tilde{f}_\theta(x(t), t)\,dt",
     relation="PF-ODE of VPSDE on 1-D Gaussian data, integrated with solve_ivp", lhs="logp_0", mode="function",
     rhs=C.LOGPT + sp.Integral(C.DIV, (C.U, 0, C.T)), tie=tie_change_of_variables)
