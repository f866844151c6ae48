"""Numerical-library functions written as operators in LaTeX, as their definitions.

Papers and notes that follow their code write the numerically stable functions by name (Kingma et al. 2021, App.
(VDM's σ²_{t|s} = −expm1(softplus(γ(s)) − softplus(γ(t)))); ``\\operatorname{expm1}`` etc.). Each is its definition:
expm1(u) = e^u − 1, log1p(u) = log(1 + u), softplus(u) = log(1 + e^u) (the C99 / NumPy / PyTorch definitions),
sech(u) = 1/cosh(u), csch(u) = 1/sinh(u), coth(u) = cosh(u)/sinh(u),
so that the formula is judged as the mathematics it computes.
"""
from __future__ import annotations

import re

from .mt_text import matching_paren

__all__ = ["expand_named_functions"]

_NAME = re.compile(r"\\(?:operatorname|mathrm|text|textrm|mathit)\s*\{\s*(expm1|log1p|softplus|sech|csch|coth)\s*\}\s*(?P<pow>\^\s*(?:\{[^{}]*\}|\d)\s*)?"
                   r"(?:\\left|\\bigl|\\Bigl|\\biggl|\\big|\\Big|\\bigg)?\s*(?=\()")
_FORM = {"expm1": r"\left(e^{%s} - 1\right)", "log1p": r"\log\left(1 + %s\right)", "softplus": r"\log\left(1 + e^{%s}\right)",
         # the reciprocal hyperbolic functions (Kingma & Gao 2023, Sec. 4: the cosine schedule's p(λ) = sech(λ/2)/(2π))
         "sech": r"\frac{1}{\cosh\left(%s\right)}", "csch": r"\frac{1}{\sinh\left(%s\right)}",
         "coth": r"\frac{\cosh\left(%s\right)}{\sinh\left(%s\right)}"}
_SIZE = re.compile(r"\\(?:right|bigr|Bigr|biggr|big|Big|bigg)\s*$")


def expand_named_functions(text: str) -> str:
    """Every ``\\operatorname{expm1}(u)``, ``log1p``, ``softplus`` replaced by its definition (innermost first)."""
    for _ in range(50):
        ms = list(_NAME.finditer(text))
        if not ms:
            return text
        m = ms[-1]  # the last opening is never inside an earlier one's argument
        j = matching_paren(text, m.end())
        if j is None:
            return text
        arg = _SIZE.sub("", text[m.end() + 1:j]).strip()
        form = _FORM[m.group(1)]
        value = form % ((arg,) * form.count("%s"))
        if m.group("pow"):  # sech^2(u): the power of the function's value
            value = r"\left(" + value + r"\right)" + m.group("pow").strip()
        text = text[:m.start()] + value + text[j + 1:]
    return text
