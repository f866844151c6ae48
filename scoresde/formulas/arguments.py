"""Where the model is evaluated: the arguments of ε_θ(·, ·) and s_θ(·, ·) in a step.

A reverse step x_{k−1} = … uses the model at the current state and noise level: ε_θ(x_k, k), s_θ(x_k, σ_k)
(Ho et al. 2020, Alg. 2; Song & Ermon 2019, Alg. 1; Song et al. 2021, Eq. 47, with x_i = …(x_{i+1}) read at
the current index i + 1). A step that is otherwise right but evaluates the model at another state (x_{k−1}, x_0)
or another time (k − 1, σ_{k−1}) is a different update: ``inconsistent``, naming the model term. Arguments
the reader cannot place (an expression, another notation) are left as read before (the score at the current
point), and so are one-argument forms s_θ(x_k).
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from . import canon as C
from .atoms import Parsed

__all__ = ["misplaced_model_argument"]


def _unbrace(txt: str) -> str:
    return txt.replace("{", "").replace("}", "").replace(" ", "")


def _state_index(arg: str) -> Optional[str]:
    """The subscript of a state argument x_k / x_{k-1} / X_0 (braces already stripped by the reader), else None."""
    m = re.fullmatch(r"(?:\\mathbf|\\boldsymbol|\\bm)?[xX]_\(?([A-Za-z0-9+\-]+)\)?", _unbrace(arg))
    return m.group(1) if m else None


def _time_index(arg: str, r: C.Reading) -> Optional[int]:
    """The offset of a time / noise-level argument (t, t-1, i+1, σ_i, σ_{i-1}) from the current index, else None."""
    a = _unbrace(arg)
    m = re.fullmatch(r"(?:σ|\\sigma)_\(?([A-Za-z](?:[+-]\d+)?)\)?", a)
    if m:
        a = m.group(1)
    if not re.fullmatch(r"[A-Za-z](?:[+-]\d+)?", a):
        return None
    return C.index_offset(a, r)


def misplaced_model_argument(p: Parsed, cl) -> Optional[Tuple[str, str]]:
    """(reason, term) when a step evaluates ε_θ / s_θ at another state or time than the current one, else None."""
    if cl is None or cl.kind != "step" or cl.reading.mode != "discrete" or cl.lhs not in ("x_prev", "mu_theta"):
        return None
    r = cl.reading
    for at in p.atoms.values():
        if not at.args or not (C.is_model_eps(at) or C.is_score(at)):
            continue
        term = "mean.eps" if C.is_model_eps(at) else "mean.score"
        first = at.args[0]
        sub = _state_index(first)
        if sub is not None:
            off = C.index_offset(sub, r)
            if off is None and C.norm_index(sub) in ("0",):
                return f"{at.name} evaluates the model at the data x_0, where the step needs the current state", term
            if off not in (None, 0):
                return (f"{at.name} evaluates the model at x_{{{sub}}}, where the step needs the current state "
                        f"(index offset {off:+d})"), term
        if len(at.args) >= 2:
            off = _time_index(at.args[1], r)
            if off not in (None, 0):
                return (f"{at.name} evaluates the model at time/noise level {at.args[1]}, where the step needs the current "
                        f"one (index offset {off:+d})"), term
    return None
