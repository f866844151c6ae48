"""A differential equation whose state is written with a decoration: dx̂ = …, dx̃/dt = ….

Papers that compare several processes mark the learned one with an accent on the state letter: Song, Durkan, Murray &
Ermon 2021 (Maximum likelihood training of score-based diffusion models) write the learned reverse SDE as
dx̂ = [f(x̂, t) − g(t)² s_θ(x̂, t)] dt + g(t) dw̄ (Eq. 4) and its probability-flow ODE as
dx̃/dt = f(x̃, t) − ½ g(t)² s_θ(x̃, t) (Eq. 6); Lu et al. 2022 and Huang et al. 2021 follow them. The accent names which
process is meant, not another quantity: the equation is the registry's SDE/ODE in its state.

Rule: when the left side is the differential d(·) of a decorated state (hat, tilde, check, breve; any font) and that
decorated letter is the only form of the state in the equation (no plain x, no data x_0 or prediction x̂_0 beside it),
the decoration is dropped and the equation judged as written in x. Anything else is left as it was.
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["undecorated_state", "unprimed_state"]

_FONT = r"(?:\\(?:mathbf|boldsymbol|bm|mathit|mathrm|vec)\s*\{\s*([a-zA-Z])\s*\}|\\(?:mathbf|boldsymbol|bm)\s+([a-zA-Z])|([a-zA-Z]))"
#: \hat{\mathbf{x}}, \tilde x, \hat{x}, \widetilde{\boldsymbol x}: the accent and the letter
_DECO = re.compile(r"\\(hat|tilde|widehat|widetilde|check|breve)\s*(?:\{\s*" + _FONT + r"\s*\}|" + _FONT + r")")
#: the differential in front of a state: d, \mathrm{d}, \operatorname{d}, \text{d}
_D = r"(?:\\(?:mathrm|operatorname|text)\s*\{\s*d\s*\}|(?<![a-zA-Z\\])d)\s*"


def _letter(m: re.Match) -> str:
    return next(g for g in m.groups()[1:] if g)


def undecorated_state(eq: str) -> Optional[str]:
    """``eq`` with its decorated state written plain (module docstring), or None when the rule does not apply."""
    found = list(_DECO.finditer(eq))
    if not found:
        return None
    letters = {_letter(m) for m in found}
    if len(letters) != 1 or letters.pop() not in ("x", "X"):
        return None
    if len({m.group(1).replace("wide", "") for m in found}) != 1:
        return None  # x̂ and x̃ in one equation: two processes, not one state
    letter = _letter(found[0])
    first = found[0]
    if not re.search(_D + r"(?:\\left)?\(?\s*$", eq[:first.start()]):
        return None  # the left side is not the differential of the decorated state
    for m in found:
        tail = eq[m.end():m.end() + 12]
        if re.match(r"\s*_\s*\{?\s*0", tail):
            return None  # x̂_0: the prediction of the data, not the state
    out = _DECO.sub(lambda m: " " + _letter(m), eq)
    # the plain letter must not have been there already (x̂ beside x: two different quantities)
    rest = _DECO.sub("", eq)
    if re.search(r"(?<![a-zA-Z\\])" + letter + r"(?![a-zA-Z])", re.sub(r"\\[a-zA-Z]+", " ", rest)):
        return None
    return out


_PRIMED_LHS = re.compile(r"^(\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*[xz]\s*\}|[xz]))\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)"
                         r"(\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))\s*(?==|\\leftarrow|:=)")


def unprimed_state(eq: str) -> Optional[str]:
    """``x'_{i−1} = …`` with no other equation beside it: the prime marks the intermediate result of one step before
    a correction applied after it (Chung et al. 2023 (DPS), Alg. 1 line 6: x'_{i−1} is the ancestral step, line 7 adds
    the measurement gradient), so the update is that step's: read as x_{i−1} = …; None where the left side is not so."""
    m = _PRIMED_LHS.match(eq)
    return None if m is None else m.group(1) + m.group(2) + " " + eq[m.end():]
