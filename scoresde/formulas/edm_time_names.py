"""Other names for EDM's quantities: the churn's primed level t_i', Eq. 5 written with t_max, t_min, Eq. 7's denoiser.

* Karras et al. 2022 (EDM), Alg. 2 lines 5-6 write the raised noise level and the state there with hats, t̂_i = t_i +
  γ_i t_i and x̂_i = x_i + √(t̂_i² − t_i²) ε_i; notes and tutorials write the same pair primed (t_i', x_i': "the
  temporarily increased noise level"). A cell that primes its indexed time t_i (t_i', t'_i, t_i^′) is read with the
  primed t and x as t̂_i and x̂_i. Only a primed *time* triggers it (a primed state alone is a predictor, Song et al.
  2021 Alg. 2-3, and d'_i is Alg. 1's second slope: neither is touched).
* With σ(t) = t (Table 1, "ours") the time steps t_i of Eq. 5 run from t_0 = σ_max to t_{N−1} = σ_min; a formula for t_i
  that writes its end points as t_max, t_min (NVlabs/edm generate.py: sigma_max, sigma_min are the end times) is read
  with t_max = σ_max, t_min = σ_min.
* Eq. 7 defines the preconditioned network D_θ(x; σ) = c_skip(σ) x + c_out(σ) F_θ(c_in(σ) x; c_noise(σ)); the same
  definition written for D(x; σ), D_θ(x, σ) or with a bare F is read as Eq. 7's D_θ(x; σ) and F_θ.
"""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["edm_time_names"]

_P = r"(?:'|\^\s*\{?\s*\\prime\s*\}?)"
_SUB = r"_\s*(?P<sub>\{\s*i\s*(?:[+-]\s*\d+\s*)?\}|i(?![A-Za-z]))"
_SUP = r"(?P<sup>\^\s*(?:\{[^{}]*\}|\d))?"
_LETTER = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*(?P<bold>[tx])\s*\}|(?<![A-Za-z\\])(?P<plain>[tx]))"
#: t'_i, t'^2_i (prime, power, index) and t_i', t_i'^2 (index, prime, power); the same for x
_PRIMED_FIRST = re.compile(_LETTER + r"\s*" + _P + r"\s*" + _SUP + r"\s*" + _SUB)
_PRIMED_AFTER = re.compile(_LETTER + r"\s*" + _SUB + r"\s*" + _P + r"\s*" + _SUP)
_T_PRIMED = re.compile(r"(?<![A-Za-z\\])t\s*(?:" + _P + r"\s*(?:\^\s*(?:\{[^{}]*\}|\d))?\s*_|_\s*(?:\{\s*i\s*\}|i)\s*" + _P + ")")
_T_I_LHS = re.compile(r"^\s*t\s*_\s*(?:\{\s*i\s*(?:<\s*N\s*)?\}|i)\s*=")
_T_END = re.compile(r"(?<![A-Za-z\\])t\s*_\s*\{\s*\\(max|min)\s*\}|(?<![A-Za-z\\])t\s*_\s*\\(max|min)(?![A-Za-z])")


def _hat(m: re.Match) -> str:
    return r" \hat{" + (m.group("bold") or m.group("plain")) + "}_" + m.group("sub") + (m.group("sup") or "")


_EQ7_LHS = re.compile(r"^\s*D\s*(?:_\s*(?:\\theta|\{\s*\\theta\s*\}))?\s*(?:\\left\s*)?\(\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*[;,]\s*"
                      r"(?:\\,\s*)?\\sigma\s*(?:\\right\s*)?\)\s*=(?!=)")
_BARE_F = re.compile(r"(?<![A-Za-z\\])F\s*(?=(?:\\(?:left|big|Big|bigl)\s*)?\()")


def _eq7(text: str) -> Tuple[str, List[str]]:
    m = _EQ7_LHS.match(text)
    if not m or "skip" not in text or not re.search(r"(?<![A-Za-z\\])F", text):
        return text, []
    rhs = _BARE_F.sub(lambda _m: r"F_\theta", text[m.end():])
    out = r"D_\theta(x; \sigma) =" + rhs
    return (out, ["read as Eq. 7's D_θ(x; σ) and F_θ (Karras et al. 2022)"]) if out != text else (text, [])


def edm_time_names(text: str) -> Tuple[str, List[str]]:
    """(text with EDM's primed churn names, t_max/t_min and Eq. 7's names read, notes)."""
    text, notes = _eq7(text)
    if _T_PRIMED.search(text):
        text = _PRIMED_FIRST.sub(_hat, text)
        text = _PRIMED_AFTER.sub(_hat, text)
        notes.append("the primed t_i', x_i' read as EDM's churned t̂_i, x̂_i (Karras et al. 2022, Alg. 2 lines 5-6)")
    if _T_I_LHS.match(text) and _T_END.search(text) and "\\sigma" not in text:
        text = _T_END.sub(lambda m: r"\sigma_{\%s}" % (m.group(1) or m.group(2)), text)
        notes.append("t_max, t_min read as σ_max, σ_min (Karras et al. 2022, Eq. 5 with σ(t) = t)")
    return text, notes
