"""A mean written with the letter z for the noise: ``μ̃_t = 1/√α_t (x_t − β_t/√(1 − ᾱ_t) z_t)``.

A mean (μ̃_t, μ_θ, μ) holds no fresh noise: a noise symbol in it is the noise that made x_t, x_t = √ᾱ_t x_0 +
√(1 − ᾱ_t) ε (Ho et al. 2020, Eq. 4 and 10). Notes that call that noise z_t (Chinese notes, Zhihu and CSDN write
x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) z_t; Song et al. 2021 write z for the noise of every kernel) are read with z_t as ε.
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["MEAN_NOISE_NOTE", "noise_in_mean_as_eps"]

MEAN_NOISE_NOTE = ("z in a mean read as the noise ε of x_t (a mean holds no fresh noise; Ho et al. 2020, Eq. 10, "
                   "written with z by notes that name the noise z)")
_MEAN_LHS = re.compile(r"^\s*(?:\\(?:tilde|hat|bar)\s*\{?\s*)?(?:\\(?:boldsymbol|mathbf|bm)\s*\{?\s*)?\\mu(?![A-Za-z])")
_Z = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*z\s*\}|(?<![A-Za-z\\])z)(\s*_\s*(?:\{\s*t\s*\}|t(?![A-Za-z0-9])))?(?![A-Za-z(])")


def noise_in_mean_as_eps(eq: str) -> Optional[str]:
    """``eq`` with the noise z of a mean written ε, or None where the left side is not a mean or no z is used."""
    if not _MEAN_LHS.match(eq) or "=" not in eq or re.search(r"\\(?:var)?epsilon", eq):
        return None
    lhs, rhs = eq.split("=", 1)
    new = _Z.sub(r"\\epsilon", rhs)
    return None if new == rhs else lhs + "=" + new
