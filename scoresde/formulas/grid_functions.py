"""A continuous schedule function evaluated on the grid of the chain: ``ᾱ(i/T)`` is the chain's ``ᾱ_i``.

Nichol & Dhariwal 2021 (Sec. 3.2, Eq. 17) define the cosine ᾱ as a function of the continuous time t/T, and the code
that builds a chain from any such function (guided-diffusion's ``betas_for_alpha_bar(T, alpha_bar)``, its copies in
diffusers' ``betas_for_alpha_bar`` and improved-diffusion) evaluates it on the grid: β_i = 1 − ᾱ(i/T)/ᾱ((i − 1)/T),
i = 1 … T. So ``\\bar\\alpha(k/T)``, ``\\bar\\alpha\\left(\\frac{k}{T}\\right)`` with k an index expression (i, t, n, j
or one of them ± an integer) over the number of steps (T or N) is ᾱ_k, the chain's ᾱ at step k, and the formula is
judged as the chain's (a definition ``ᾱ(t) = …`` of the continuous function beside it is judged on its own).
"""
from __future__ import annotations

import re

__all__ = ["grid_calls"]

_ABAR = r"\\(?:bar|overline)\s*(?:\{\s*\\alpha\s*\}|\\alpha)"
_IDX = r"(?P<k>[itnjk](?:\s*[-+]\s*\d+)?)"
_ARG = (r"(?:\(\s*" + _IDX.replace("?P<k>", "?P<k1>") + r"\s*\)|" + _IDX.replace("?P<k>", "?P<k2>") + r")\s*/\s*[TN]"
        r"|\\frac\s*\{\s*" + _IDX.replace("?P<k>", "?P<k3>") + r"\s*\}\s*\{\s*[TN]\s*\}")
_CALL = re.compile(_ABAR + r"\s*(?:\\left|\\big|\\Big)?\s*\(\s*(?:" + _ARG + r")\s*(?:\\right|\\big|\\Big)?\s*\)")


def grid_calls(s: str) -> str:
    """``ᾱ(k/T)`` → ``ᾱ_{k}`` (module docstring); everything else as written."""
    if "alpha" not in s or "(" not in s:
        return s
    return _CALL.sub(lambda m: r"\bar\alpha_{" + re.sub(r"\s+", "", m.group("k1") or m.group("k2") or m.group("k3"))
                     + "}", s)
