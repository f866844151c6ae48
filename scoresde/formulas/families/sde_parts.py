"""The pieces of the SDEs as separate equations: the drift f(x, t) and diffusion g(t) of each forward SDE (Song et al.
2021, Sec. 3.4 names them as a pair, ``f(x, t) = −½β(t)x, g(t) = √β(t)``) and the probability-flow drift
f̃_θ(x, t) = f(x, t) − ½g(t)² s_θ(x, t) (Song et al. 2021, Eq. 13 and App. D.2). A written g(t) is judged through g(t)²
(the SDE's law only sees g², as in the SDE comparison). Each piece is its SDE's entry's own sympy form, and its tie is
that SDE's tie.
"""
from __future__ import annotations

from typing import List

from ..entry import Entry
from . import forward_sde, general_sde, reverse_sde
from ._common import collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

#: claim keys (Entry.lhs) of the pieces; the part before "|" names the offending term of a wrong piece
DRIFT, G2, PF_DRIFT = "drift|forward", "diffusion|g2", "drift|pf"

_F = {"vp": r"-\frac{1}{2}\beta(t)x", "subvp": r"-\frac{1}{2}\beta(t)x", "ve": "0"}
_G2 = {"vp": r"\beta(t)", "subvp": r"\beta(t)(1 - e^{-2\int_0^t\beta(s)ds})", "ve": r"\frac{d[\sigma(t)^2]}{dt}"}
_SCORE = r"\nabla_x\log p_t(x)"


def _pf_latex(fam: str) -> str:
    if fam == "G":  # Song et al. 2021, App. D.1, Eq. 17: a diffusion matrix G(x, t)
        return r"f(x, t) - \frac{1}{2}\nabla\cdot[G(x,t)G(x,t)^\top] - \frac{1}{2}G(x,t)G(x,t)^\top" + _SCORE
    if fam == "generic":
        return r"f(x, t) - \frac{1}{2}g(t)^2 s_\theta(x, t)"
    lead = "" if fam == "ve" else _F[fam] + " "
    return lead + r"- \frac{1}{2}" + _G2[fam] + _SCORE


def _parent_tie(parent: Entry):
    return lambda _entry: parent.tie(parent)


for _p in forward_sde.ENTRIES:
    if _p.family == "generic":  # f(x, t) = f(x, t): nothing to check
        continue
    _add(name=f"{_p.name}.drift", title=f"drift f(x, t) of the {_p.title}", source=_p.source, kind="scalar", family=_p.family,
         latex=f"f(x, t) = {_F[_p.family]}", relation=f"{_p.relation} (drift)", lhs=DRIFT, mode="continuous",
         rhs=_p.drift, tie=_parent_tie(_p))
    _add(name=f"{_p.name}.g2", title=f"diffusion g(t)² of the {_p.title}", source=_p.source, kind="scalar", family=_p.family,
         latex=f"g(t)^2 = {_G2[_p.family]}", relation=f"{_p.relation} (g²)", lhs=G2, mode="continuous",
         rhs=_p.diff2, tie=_parent_tie(_p))
for _p in reverse_sde.ENTRIES + general_sde.ENTRIES:
    if _p.direction != "pf" or _p.kind != "sde" or _p.mode != "continuous":
        continue
    _G = _p.drift.has(general_sde.GG)
    _add(name=f"{_p.name}.drift", title=f"drift f̃(x, t) of the {_p.title}", source=f"{_p.source}; App. D.2", kind="scalar",
         family=_p.family, latex=r"\tilde{f}_\theta(x, t) = " + _pf_latex("G" if _G else _p.family), relation=f"{_p.relation} (drift)",
         lhs=PF_DRIFT, mode="continuous", rhs=_p.drift, tie=_parent_tie(_p))


