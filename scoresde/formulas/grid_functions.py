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


#: the continuous function's definition in the same cell, ``ᾱ(t) = body``
_DEF = re.compile(r"(?:^|(?<=\\quad)|(?<=,))(\s*)" + _ABAR + r"\s*(?:\\left)?\s*\(\s*([a-z])\s*(?:\\right)?\s*\)\s*=(?!=)"
                  r"(?P<body>(?:(?!\\q?quad).)+)", re.S)


def grid_calls(s: str) -> str:
    """``ᾱ(k/T)`` → ``ᾱ_{k}`` (module docstring); where the cell also defines ``ᾱ(u) = body``, that definition is the
    chain's ``ᾱ_u = body(u/T)`` (the same identity ᾱ_k = ᾱ(k/T)); everything else as written."""
    if "alpha" not in s or "(" not in s:
        return s
    steps = set(re.findall(r"/\s*([TN])|\{\s*([TN])\s*\}", "".join(m.group(0) for m in _CALL.finditer(s))))
    out = _CALL.sub(lambda m: r"\bar\alpha_{" + re.sub(r"\s+", "", m.group("k1") or m.group("k2") or m.group("k3"))
                    + "}", s)
    if out == s or len(steps) != 1:
        return out

    def chain(m: "re.Match[str]") -> str:  # the bound letters renamed to the registry's step t and count T
        u = m.group(2)
        body = re.sub(r"(?<![A-Za-z\\])" + u + r"(?![A-Za-z])", "(t/T)", m.group("body"))
        return m.group(1) + r"\bar\alpha_{t} =" + body

    return _DEF.sub(chain, out)
