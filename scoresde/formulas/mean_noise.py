"""A mean written with the letter z for the noise: ``μ̃_t = 1/√α_t (x_t − β_t/√(1 − ᾱ_t) z_t)``.

A mean (μ̃_t, μ_θ, μ) holds no fresh noise: a noise symbol in it is the noise that made x_t, x_t = √ᾱ_t x_0 +
√(1 − ᾱ_t) ε (Ho et al. 2020, Eq. 4 and 10). Notes that call that noise z_t (Chinese notes, Zhihu and CSDN write
x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) z_t; Song et al. 2021 write z for the noise of every kernel) are read with z_t as ε.
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["KERNEL_MEAN_NOTE", "MEAN_NOISE_NOTE", "mu_t_as_kernel_mean", "noise_in_mean_as_eps"]

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


KERNEL_MEAN_NOTE = ("μ(t) of the data x(0) read as the kernel's mean 𝔼[x(t) | x(0)] (Song et al. 2021, Eq. 29; "
                    "score_sde's marginal_prob returns it as mean)")
_MU_T = re.compile(r"^\s*(?:\\(?:boldsymbol|mathbf|bm)\s*\{?\s*)?\\mu\s*\}?\s*(?:\(\s*t\s*\)|_\s*\{?\s*t\s*\}?(?!\s*\())\s*(?::=|=)(?!=)")
_DATA = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|(?<![A-Za-z\\])x)\s*(?:\(\s*0\s*\)|_\s*\{?\s*0\s*\}?)")
_OTHER_STATE = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|(?<![A-Za-z\\])x)\s*(?:\(\s*t\s*\)|_\s*\{?\s*(?:t|i|k)\b)")


def mu_t_as_kernel_mean(eq: str) -> Optional[str]:
    """``μ(t) = m(t) x(0)``: a mean of the data alone is the perturbation kernel's, 𝔼[x(t) | x(0)] = …; None otherwise."""
    m = _MU_T.match(eq)
    if m is None:
        return None
    rhs = eq[m.end():]
    if not _DATA.search(rhs) or _OTHER_STATE.search(rhs) or re.search(r"\\(?:epsilon|nabla)|s_\s*\\theta", rhs):
        return None
    return r"\mathbb{E}[x(t) \mid x(0)] = " + rhs
