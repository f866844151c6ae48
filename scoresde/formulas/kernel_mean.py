"""``𝔼[x(t) | x(0)] = m(t) x(0)``: the mean of a perturbation kernel stated alone.

Song et al. 2021, Eq. 29 and App. B (Särkkä & Solin 2019, Eq. 5.50): the conditional mean of x(t) given x(0) is the
mean of the kernel p_0t(x(t) | x(0)) -- e^{−½∫β} x(0) for VP and sub-VP, x(0) for VE. The statement says nothing
about the variance, so it is judged as the kernel of each family with that family's own variance beside the claimed
mean: exact where one family's kernel is then exact; otherwise its mean coefficients against the VP kernel (the one
its symbols β name) are reported, never the variance it did not state.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

__all__ = ["judge_kernel_mean"]

_X = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|\\(?:mathbf|boldsymbol|bm)\s*x|x)"
_LHS = re.compile(r"^\s*\\mathbb\s*\{\s*E\s*\}\s*(?:\\left|\\big|\\Big|\\bigl|\\Bigl)?\s*\[\s*" + _X
                  + r"\s*(?:\(\s*t\s*\)|_\s*\{?\s*t\s*\}?)\s*(?:\\(?:middle|big|Big))?\s*(?:\||\\mid)\s*" + _X
                  + r"\s*(?:\(\s*0\s*\)|_\s*\{?\s*0\s*\}?)\s*(?:\\right|\\big|\\Big|\\bigr|\\Bigr)?\s*\]\s*=(?!=)(?P<rhs>.+)$", re.S)
#: each family's kernel standard deviation (Song et al. 2021, Eq. 29 (VP), App. B (sub-VP), Eq. 30 (VE))
_STD = (("VP", r"\sqrt{1 - e^{-\int_0^t \beta(u)\,du}}"), ("sub-VP", r"\left(1 - e^{-\int_0^t \beta(u)\,du}\right)"),
        ("VE", r"\sqrt{\sigma(t)^2 - \sigma(0)^2}"))


def judge_kernel_mean(eq: str, judge: Callable[[str], object]) -> Optional[object]:
    """The verdict on ``𝔼[x(t) | x(0)] = M`` (``judge`` judges one formula), or None when ``eq`` is not one."""
    m = _LHS.match(eq)
    if m is None:
        return None
    rhs = m.group("rhs").strip()
    first = None
    for fam, std in _STD:
        v = judge(r"x(t) = \left(" + rhs + r"\right) + " + std + r"\, z")
        if v.verdict == "exact":
            v.detail = f"the mean of the {fam} kernel p_0t(x(t) | x(0)) (Song et al. 2021, Eq. 29 and App. B): {v.detail}"
            v.latex = eq
            return v
        first = first or v
    if first is not None and first.verdict == "inconsistent" and first.terms and all(q.startswith("mean.") for q in first.terms):
        first.detail = f"as the mean of the VP kernel p_0t(x(t) | x(0)) (Song et al. 2021, Eq. 29): {first.detail}"
        first.latex = eq
        return first
    return None
