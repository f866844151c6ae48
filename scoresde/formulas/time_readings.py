"""Two ways of writing time that the first reading may miss, each tried as a second reading (second_readings.py).

* VDM's and DPM-Solver's schedule symbols as functions of time: Kingma et al. 2021 (Sec. 3, Eq. 1-3) write α_t, σ_t,
  γ(t) and SNR(t); Lu et al. 2022a (Sec. 2.1, 3.1) write α_t, σ_t, λ_t; blogs and theses mix the two (α(t), λ(t),
  γ_t). The symbol of one continuous time is one quantity however its time is written: λ(t) is λ_t, α(s) is α_s, and
  VDM's γ_t is its function γ(t).
  Tried only where the formula as written is not read at all (σ(t) is also VE's noise level, which the first reading
  knows).
* an update whose step is Δt (x_{t±Δt}) is a discretisation of a continuous-time SDE (Song et al. 2021, Eq. 45 and
  App. E: the Euler–Maruyama predictor), so its schedule symbols are the SDE's functions of time: β_t is β(t), g_t is
  g(t), f_t is f(t). Tried where the first reading (DDPM's discrete β_t) does not give exact or consistent.
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["FUNCTION_NOTE", "STEP_NOTE", "time_as_subscript", "continuous_schedule"]

FUNCTION_NOTE = ("a schedule symbol written as a function of time read as its subscripted form (λ(t) = λ_t, α(s) = α_s: "
                 "Kingma et al. 2021, Sec. 3; Lu et al. 2022a, Sec. 3.1)")
STEP_NOTE = ("an update with step Δt discretises the continuous-time SDE, so β_t is β(t) (Song et al. 2021, Eq. 45 and "
             "App. E)")

_FUNC = re.compile(r"\\(?P<g>alpha|sigma|lambda)\s*(?:\\left)?\s*\(\s*(?P<t>[tsu])\s*(?:\\right)?\s*\)")
_DELTA_STEP = re.compile(r"_\s*\{\s*t\s*[-+]\s*\\Delta\s*t\s*\}")
_SUB_T = re.compile(r"\\(?P<g>beta)\s*_\s*(?:\{\s*t\s*\}|t)(?![A-Za-z0-9])|(?<![\\A-Za-z])(?P<l>[gf])\s*_\s*(?:\{\s*t\s*\}|t)(?![A-Za-z0-9(])")


_GAMMA_SUB = re.compile(r"\\gamma\s*_\s*(?:\{\s*(?P<a>[tsu])\s*\}|(?P<b>[tsu]))(?![A-Za-z0-9])")


def time_as_subscript(eq: str) -> Optional[str]:
    """``eq`` with α(t), σ(t), λ(t) (also at s, u) written α_t, σ_t, λ_t and γ_t written γ(t); None when there is none."""
    if not _FUNC.search(eq) and not _GAMMA_SUB.search(eq):
        return None
    out = _FUNC.sub(lambda m: "\\" + m.group("g") + "_{" + m.group("t") + "}", eq)
    return _GAMMA_SUB.sub(lambda m: "\\gamma(" + (m.group("a") or m.group("b")) + ")", out)


def continuous_schedule(eq: str) -> Optional[str]:
    """``eq`` (an update with step Δt) with β_t, g_t, f_t written β(t), g(t), f(t); None when the rule does not apply."""
    if not _DELTA_STEP.search(eq) or not _SUB_T.search(eq):
        return None
    return _SUB_T.sub(lambda m: ("\\" + m.group("g") if m.group("g") else m.group("l")) + "(t)", eq)
