"""An objective followed by the definition of the sample it evaluates the network at.

``L = E[‖ε − ε_θ(x_t, t)‖²], \\quad x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` (Ho et al. 2020, Eq. 14 with Eq. 4 beside it;
score_sde's losses.py writes perturbed_data = mean + std · z beside the loss): the objective is the one with the
definition written in, the form the objective reader judges (ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t), Ho et al. 2020, Alg. 1).
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

__all__ = ["inline_sample_definition"]

_STATE = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*(?P<b>[xz])\s*\}|(?P<p>[xz]))\s*_\s*(?P<sub>\{[^{}]*\}|[A-Za-z0-9])"
_TAIL = re.compile(r"(?:,|;|\\text\s*\{\s*(?:where|with)\s*\})?\s*(?:\\q?quad|\\[,;]|\s)+\s*(?:\\text\s*\{\s*(?:where|with)\s*\}\s*)?"
                   + _STATE + r"\s*(?::=|=)(?!=)\s*(?P<body>[^=]+?)\s*[.,;]?\s*$", re.S)


def inline_sample_definition(text: str) -> Optional[Tuple[str, str]]:
    """(the objective with the trailing definition of its sample substituted, a note), or None."""
    if r"\mathbb" not in text and r"\|" not in text:
        return None
    m = _TAIL.search(text)
    if m is None or not re.search(r"\\(?:epsilon|varepsilon|sigma|alpha|bar|sqrt)|[a-z]", m.group("body")):
        return None
    head = text[:m.start()]
    letter, sub = m.group("b") or m.group("p"), m.group("sub").strip("{} ")
    use = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*" + letter + r"\s*\}|(?<![A-Za-z\\])" + letter
                     + r")\s*_\s*(?:\{\s*" + re.escape(sub) + r"\s*\}" + (("|" + re.escape(sub)) if len(sub) == 1 else "")
                     + r")(?![A-Za-z0-9])")
    if "=" not in head or not use.search(head.split("=", 1)[1]):
        return None
    body = m.group("body").strip()
    lhs, rhs = head.split("=", 1)
    return lhs + "=" + use.sub(lambda _m: r"\left(" + body + r"\right)", rhs), (
        f"the sample {letter}_{sub} defined after the objective was written into it")
