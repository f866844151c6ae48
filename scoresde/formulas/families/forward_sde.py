"""Forward SDEs: the general Itô SDE, VP, sub-VP, VE (Song et al. 2021, Eq. 5, 9, 11, 12)."""
from __future__ import annotations

from typing import List

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_forward_general, tie_sde
from ._common import B_int, SONG, beta, collector, g2, sigma, t, x

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_add(name="sde.forward", title="forward SDE (Itô)", source=f"{SONG}, Eq. 5", kind="sde", family="generic",
     latex=r"dx = f(x,t)\,dt + g(t)\,dw", relation="LinearSDE.sde(x, t) = (f(t) x, g(t)) with f = d log m/dt, g² = ds²/dt − 2 f s²",
     direction="forward", mode="continuous", drift=C.FX, diff2=g2, noise="dw", tie=tie_forward_general)
_add(name="vp.sde", title="VP SDE", source=f"{SONG}, Eq. 11", kind="sde", family="vp",
     latex=r"dx = -\frac{1}{2}\beta(t) x\,dt + \sqrt{\beta(t)}\,dw", relation="VPSDE.sde", direction="forward",
     mode="continuous", drift=-beta / 2 * x, diff2=beta, noise="dw", tie=tie_sde)
_add(name="subvp.sde", title="sub-VP SDE", source=f"{SONG}, Eq. 12", kind="sde", family="subvp",
     latex=r"dx = -\frac{1}{2}\beta(t) x\,dt + \sqrt{\beta(t)(1 - e^{-2\int_0^t \beta(s) ds})}\,dw", relation="subVPSDE.sde",
     direction="forward", mode="continuous", drift=-beta / 2 * x, diff2=beta * (1 - sp.exp(-2 * B_int)), noise="dw", tie=tie_sde)
_add(name="ve.sde", title="VE SDE", source=f"{SONG}, Eq. 9", kind="sde", family="ve",
     latex=r"dx = \sqrt{\frac{d[\sigma(t)^2]}{dt}}\,dw", relation="VESDE.sde (g² = dσ²/dt)", direction="forward",
     mode="continuous", drift=sp.Integer(0), diff2=sp.Derivative(sigma**2, t).doit(), noise="dw", tie=tie_sde)
