"""Reverse-time SDEs and probability-flow ODEs, generic and per family (Anderson 1982; Song et al. 2021, Eq. 6, 13)."""
from __future__ import annotations

from typing import List

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_sde
from ._common import B_int, SONG, beta, collector, g2, s, sigma, t, x

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_FAM_FG = {
    "generic": (C.FX, g2, "f(x,t)", "g(t)"),
    "vp": (-beta / 2 * x, beta, r"-\frac{1}{2}\beta(t)x", r"\sqrt{\beta(t)}"),
    "subvp": (-beta / 2 * x, beta * (1 - sp.exp(-2 * B_int)), r"-\frac{1}{2}\beta(t)x", r"\sqrt{\beta(t)(1-e^{-2\int_0^t\beta(s)ds})}"),
    "ve": (sp.Integer(0), sp.Derivative(sigma**2, t).doit(), "", r"\sqrt{\frac{d[\sigma(t)^2]}{dt}}"),
}
for fam, (f_, g2_, fl, gl) in _FAM_FG.items():
    pre = "" if fam == "generic" else fam + "."
    g2l = "g(t)^2" if fam == "generic" else gl[len(r"\sqrt{"):-1] if gl.startswith(r"\sqrt{") else gl
    g2l = {"vp": r"\beta(t)", "subvp": r"\beta(t)(1-e^{-2\int_0^t\beta(s)ds})", "ve": r"\frac{d[\sigma(t)^2]}{dt}"}.get(fam, g2l)
    lead = (fl + " - ") if fl else "-"
    _add(name=f"{pre}reverse_sde" if pre else "reverse.sde", title=f"reverse-time SDE{'' if fam == 'generic' else ' (' + fam + ')'}",
         source=f"Anderson 1982; {SONG}, Eq. 6", kind="sde", family=fam,
         latex=rf"dx = [{lead}{g2l} \nabla_x \log p_t(x)]\,dt + {gl}\,d\bar{{w}}",
         relation="LinearSDE.reverse(score_fn).sde", direction="reverse", mode="continuous",
         drift=f_ - g2_ * s, diff2=g2_, noise="dwbar", tie=tie_sde)
    _add(name=f"{pre}pf_ode" if pre else "pf.ode", title=f"probability-flow ODE{'' if fam == 'generic' else ' (' + fam + ')'}",
         source=f"{SONG}, Eq. 13", kind="sde", family=fam,
         latex=rf"dx = [{lead}\frac{{1}}{{2}}{g2l} \nabla_x \log p_t(x)]\,dt",
         relation="LinearSDE.reverse(score_fn, probability_flow=True).sde", direction="pf", mode="continuous",
         drift=f_ - g2_ * s / 2, diff2=sp.Integer(0), noise=None, tie=tie_sde)
