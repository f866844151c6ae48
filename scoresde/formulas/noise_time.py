"""The letter t used as a value where a noise level stands: EDM's and consistency models' σ(t) = t.

Karras et al. 2022 (EDM), Sec. 3 and Table 1, choose σ(t) = t, s(t) = 1, and then write the noise level as the time
itself: the kernel x_t = x + t z, the denoiser D(x; t), the ODE dx/dt = −t ∇ log p(x; t). Song et al. 2023
(consistency models), Sec. 2 and Eq. 2-3, write the same (x_t = x + t z, dx_t/dt = −t ∇ log p_t(x_t)). A formula in
which the bare letter t is a coefficient, and which reads as nothing else, is read with σ(t) = t: the value t
becomes σ(t), the continuous noise level of the VE/EDM family. The reading is stated in the verdict's notes, and it
is kept only when it gives exact or consistent (a wrong formula stays judged as written).

Likewise a formula that writes the states with subscripts (x_t, x_0) and the letter t as a value (a kernel with the
geometric σ(t) = σ_min (σ_max/σ_min)^t or the linear β(t) written out) is in continuous time: x_t is x(t).
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .atoms import Atom, Parsed

__all__ = ["NOTE", "CONTINUOUS_NOTE", "noise_level_time", "continuous_states"]

NOTE = ("the letter t is read as the noise level, σ(t) = t (Karras et al. 2022, Sec. 3 and Table 1; Song et al. 2023, "
        "Sec. 2)")


def noise_level_time(p: Parsed) -> Optional[Parsed]:
    """``p`` with the bare value t replaced by σ(t), or None when t is not a value of the formula or σ is already
    written (then t is not a noise level in disguise)."""
    ts = [q for q, a_ in p.atoms.items() if a_.base == "t" and not a_.sub and not a_.deco and not a_.sup and a_.args is None]
    if len(ts) != 1 or any(a_.base == "σ" for a_ in p.atoms.values()):
        return None
    t = ts[0]
    if not any(t in s_.free_symbols for s_ in p.sides):
        return None
    at = Atom("σ", args=("t",))
    sym = sp.Symbol(at.name, real=True)
    atoms = {q: a_ for q, a_ in p.atoms.items() if q != t}
    atoms[sym] = at
    return Parsed(p.text, [s_.xreplace({t: sym}) for s_ in p.sides], atoms, p.relation, list(p.issues))


_STATE_AT = re.compile(r"(?P<x>\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|\\(?:mathbf|boldsymbol|bm)\s*x(?![A-Za-z])|(?<![\\A-Za-z])x)"
                       r"\s*_\s*(?:\{\s*(?P<a>[0tsT])\s*\}|(?P<b>[0tsT]))(?![A-Za-z0-9])")
_DISCRETE = re.compile(r"_\s*\{\s*[a-zA-Z]\s*[-+]\s*1\s*\}|\\bar\s*\{?\s*\\alpha|\\alpha_|\\beta_\s*\{?\s*[tsi]|\\sum|\\prod")

CONTINUOUS_NOTE = ("x_t read as x(t): the letter t is a value of the formula, so its time is continuous (Song et al. "
                   "2021, Eq. 29 and App. C write the kernels of the SDEs at time t)")


def continuous_states(eq: str) -> Optional[str]:
    """``x_t = … t …`` with the states written x(t), x(0), x(s), x(T), or None when the formula writes no such state or
    has a discrete chain's marks (an index t − 1, ᾱ_t, β_t, a sum or product over steps)."""
    if _DISCRETE.search(eq) or not _STATE_AT.search(eq):
        return None
    return _STATE_AT.sub(lambda m: m.group("x") + "(" + (m.group("a") or m.group("b")) + ")", eq)
