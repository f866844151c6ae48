"""A bare σ raised to a power in t (σ^t, σ^{2t}) is a constant base, not the noise level σ(t).

The noise level σ(t) is never raised to a power of time; a σ that is (Song 2021's tutorial: ``dx = σ^t dw`` with
``sigma = 25``, kernel variance (σ^{2t} − 1)/(2 log σ)) is a constant, and so is every other bare σ of the same
formula (its ``\\log\\sigma``). It is written σ_const for the reader (canon reads it as the positive constant σ,
as classify_more.constant_base does; the tutorial's SDE and kernel are the registry family ``ve_tutorial``), and the
reading is said in the notes.
"""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["constant_sigma"]

_POW_T = re.compile(r"\\sigma\s*\^\s*(?:\{[^{}\\]*t[^{}\\]*\}|t(?![a-zA-Z]))")
_SIGMA_FN = re.compile(r"\\sigma\s*(?:_|\(|\\left\s*\(|\\big\s*\(|\^\s*\{?\s*2\s*\}?\s*\()")
_BARE = re.compile(r"\\sigma(?![a-zA-Z])")
CONST = "const"  # the subscript the constant σ is written with (canon reads σ_const as the positive constant σ)


def constant_sigma(text: str) -> Tuple[str, List[str]]:
    """(text with every bare σ as the constant σ_const, notes) where σ is raised to a power in t; else unchanged."""
    if not _POW_T.search(text) or _SIGMA_FN.search(text):
        return text, []
    out = _BARE.sub(r"\\sigma_{" + CONST + "}", text)
    return out, ["σ is raised to a power of t, so it is a constant base (as in Song 2021's tutorial, dx = σ^t dw), "
                 "not the noise level σ(t)"]
