"""The letter t used as a value where a noise level stands: EDM's and consistency models' σ(t) = t.

Karras et al. 2022 (EDM), Sec. 3 and Table 1, choose σ(t) = t, s(t) = 1, and then write the noise level as the time
itself: the kernel x_t = x + t z, the denoiser D(x; t), the ODE dx/dt = −t ∇ log p(x; t). Song et al. 2023
(consistency models), Sec. 2 and Eq. 2-3, write the same (x_t = x + t z, dx_t/dt = −t ∇ log p_t(x_t)). A formula in
which the bare letter t is a coefficient, and which reads as nothing else, is read with σ(t) = t: the value t
becomes σ(t), the continuous noise level of the VE/EDM family. The reading is stated in the verdict's notes, and it
is kept only when it gives exact or consistent (a wrong formula stays judged as written).
"""
from __future__ import annotations

from typing import Optional

import sympy as sp

from .atoms import Atom, Parsed

__all__ = ["NOTE", "noise_level_time"]

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
