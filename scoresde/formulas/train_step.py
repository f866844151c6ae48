"""A training step written as the network's input defined beside the loss it takes a gradient step on.

Ho et al. 2020 (Alg. 1) and Ho & Salimans 2022 (Alg. 1, classifier-free guidance) write training as two lines: the
noisy input ``z_λ = α_λ x + σ_λ ε`` (or ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε``) and "take gradient step on
∇_θ ‖ε_θ(z_λ, c) − ε‖²". The cell states one objective whose network input is the sample defined beside it:

* the definition is judged on its own (the forward marginal; a wrong coefficient is named there);
* where it is right, the loss is judged with the definition written into the network's input (the objective reader
  then sees Alg. 1's inline form); the prose "take (a) gradient (descent) step on" has no mathematics;
* the network's conditioning argument (c, y: the class or prompt that classifier-free guidance drops at random, Ho &
  Salimans 2022, Alg. 1) does not change the loss's form, so ε_θ(z, c) is read as ε_θ(z, t) at the input's time,
  and a λ index as that time (λ is a monotone reparametrisation of t, Ho & Salimans 2022, Sec. 2).
"""
from __future__ import annotations

import re
from typing import Callable, List, Optional

__all__ = ["judge_training_step"]

_SEP = re.compile(r"\s*,?\s*\\q?quad\s*")
_PROSE = re.compile(r"\\text\s*\{[^{}]*\}")
_STATE = (r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*(?P<b1>[xz])\s*\}|(?P<b2>[xz]))\s*_\s*(?:\{\s*(?P<s1>[^{}]+?)\s*\}"
          r"|(?P<s2>\\lambda|[a-z]))")
_DEF = re.compile(r"^\s*" + _STATE + r"\s*=\s*(?P<body>.+)$", re.S)
_COND = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*[cy]\s*\}|[cy])"


def _squash(s: str) -> str:
    return re.sub(r"\s+|\\(?:mathbf|boldsymbol|bm)|[{}]", "", s)


def _state_rx(base: str, sub: str) -> "re.Pattern[str]":
    sub_rx = re.escape(sub) if not sub.startswith("\\") else re.escape(sub) + r"(?![a-zA-Z])"
    return re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*" + base + r"\s*\}|(?<![A-Za-z\\])" + base + r")\s*_\s*(?:\{\s*"
                      + sub_rx + r"\s*\}|" + sub_rx + r")")


def _split(text: str) -> Optional[tuple]:
    parts = [p for p in _SEP.split(text.strip()) if p.strip()]
    if len(parts) != 2:
        return None
    m = _DEF.match(parts[0])
    if m is None or "\\|" not in parts[1] or not re.search(r"\\(?:epsilon|varepsilon)", m.group("body")):
        return None
    base, sub = m.group("b1") or m.group("b2"), (m.group("s1") or m.group("s2")).strip()
    obj = _PROSE.sub(" ", parts[1]).strip()
    state = _state_rx(base, sub)
    if not re.search(r"_\s*\\theta\s*(?:\\left)?\s*\(\s*" + state.pattern, obj):
        return None
    return parts[0], obj, base, m.group("body").strip(), sub


def judge_training_step(text: str, judge: Callable[[str], list]) -> Optional[List]:
    """The verdicts of a training-step cell (module docstring), or None when the cell is not one; ``judge`` is the
    verifier called on one formula."""
    if "\\|" not in text or "theta" not in text:
        return None
    got = _split(text)
    if got is None:
        return None
    definition, obj, base, body, sub = got
    first = judge(definition)
    if not first or any(v.verdict != "exact" for v in first):
        return first  # the input is wrong (or unread): that is the verdict of the step
    time = "t" if sub in ("\\lambda", "λ") else sub
    if time != sub:
        body = re.sub(r"_\s*(?:\{\s*\\lambda\s*\}|\\lambda(?![a-zA-Z]))", "_" + time, body)
        obj = re.sub(r"_\s*(?:\{\s*\\lambda\s*\}|\\lambda(?![a-zA-Z]))", "_" + time, obj)
    obj = _state_rx(base, time).sub(lambda _m: "(" + body + ")", obj)
    obj = re.sub(r",\s*" + _COND + r"\s*\)", ", " + time + ")", obj)  # ε_θ(z, c): the conditioning argument
    second = judge(obj)
    for v in second:
        v.notes.append("the network's input is the sample defined beside the loss; " + first[0].detail[:120])
    return second

