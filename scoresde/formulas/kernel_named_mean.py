"""A Gaussian kernel whose mean is a named function of its conditioning variables, defined beside it.

``q(z_s | z_t, x) = N(μ̃_{s|t}(z_t, x), σ̃²_{s|t} I), \\quad μ̃_{s|t} = A z_t + B x`` (Ho & Salimans 2022, Sec. 2; Ho et al.
2020, Eq. 6-7 write q(x_{t−1} | x_t, x_0) = N(x_{t−1}; μ̃_t(x_t, x_0), β̃_t I) with μ̃_t defined by Eq. 7): the call
μ̃(args) in the kernel is the mean the cell defines — its body, written in the same variables the call names — so
the kernel is judged with the body in place and the definition is not judged on its own. Only a mean symbol (μ, m,
with decorations and fonts) called with arguments in exactly one kernel of the cell, and defined once by an equation
whose left side is that symbol without arguments, is substituted.
"""
from __future__ import annotations

import re
from typing import List, Tuple

from .applied import close_paren

__all__ = ["inline_kernel_mean"]

_KERNEL = re.compile(r"^\s*[pq]\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*(?:\\left)?\s*\(.*=\s*\\mathcal\s*\{?\s*N\b", re.S)
_NAME = (r"(?:\\(?:tilde|bar|hat)\s*\{?\s*)?(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?\\?(?:mu|m)(?![A-Za-z])\s*\}?\s*\}?"
         r"\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9])")
_DEF = re.compile(r"^\s*(?P<name>" + _NAME + r")\s*(?::=|=)(?!=)\s*(?P<body>.+)$", re.S)


def _squash(s: str) -> str:
    return re.sub(r"\s+|\\(?:mathbf|boldsymbol|bm)|[{}]", "", s)


def inline_kernel_mean(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """(equations with the kernel's named mean written out, notes); the cell as it is where the rule does not apply."""
    if len(eqs) < 2:
        return eqs, []
    kernels = [k for k, e in enumerate(eqs) if _KERNEL.match(e)]
    defs = [(k, m) for k, e in enumerate(eqs) if (m := _DEF.match(e)) and k not in kernels]
    if len(kernels) != 1 or not defs:
        return eqs, []
    kk = kernels[0]
    out, notes, used = list(eqs), [], set()
    for k, m in defs:
        key = _squash(m.group("name"))
        lhs, _, rhs = out[kk].partition("=")
        for cm in re.finditer(_NAME + r"\s*(?:\\left)?\s*\(", rhs):
            if _squash(re.sub(r"(?:\\left)?\s*\($", "", cm.group(0))) != key:
                continue
            j = close_paren(rhs, cm.end() - 1)
            if j < 0:
                break
            rhs = rhs[:cm.start()] + r"\left(" + m.group("body").strip() + r"\right)" + rhs[j + 1:]
            out[kk] = lhs + "=" + rhs
            used.add(k)
            notes.append(f"{m.group('name').strip()} is defined in the same formula and was substituted into the kernel")
            break
    return [e for k, e in enumerate(out) if k not in used], notes
