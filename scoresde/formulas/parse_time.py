"""Time arguments as step indices: x(t + Δt) = … x(t) … z(t) read as x_{t+Δt} = … x_t … z_t (a step of the parser)."""
from __future__ import annotations

import re
from typing import Dict, List

import sympy as sp

from .atoms import DDT, DT, DW, DWBAR, DX, Atom

_STEP_ARG = re.compile(r"^t\s*[+-]\s*(?:Δt|h|Δ|1)$")
_TIME_ARG = re.compile(r"^t(?:\s*[+-]\s*(?:Δt|h|Δ|1))?$")


def _time_args_as_index(sides: List[sp.Expr], atoms: Dict[sp.Symbol, Atom]) -> List[sp.Expr]:
    """x(t + Δt) = … x(t) … z(t) (Song et al. 2021, App. B): where a state's time argument is a step ahead or back,
    the formula is a discrete step and the time arguments of the states and noises are their step indices
    (x(t + Δt) is x_{t+Δt}, x(t) is x_t), as if written with subscripts; a noise z(t) is z_t in any formula that is
    not a differential equation."""
    def is_step_var(a: Atom) -> bool:
        return a.base in ("x", "X", "z") and not a.sub and a.sup == "" and a.args is not None and len(a.args) == 1
    stepping = any(is_step_var(a) and _STEP_ARG.match(a.args[0]) for a in atoms.values())
    if not stepping and any(s_.has(DX, DT, DW, DWBAR, DDT) for s_ in sides):
        return sides
    rep = {}
    for sym, a in list(atoms.items()):
        # a noise z(t) outside a differential equation is the sample z_t even without a step (x(t) = x(0) + σ(t) z(t))
        if is_step_var(a) and _TIME_ARG.match(a.args[0]) and (stepping or a.base == "z"):
            na = Atom(a.base, a.deco, a.args[0].replace(" ", ""), a.sup, None, a.font)
            ns = sp.Symbol(na.name, real=True)
            atoms[ns] = na
            rep[sym] = ns
    return [s_.xreplace(rep) for s_ in sides]
