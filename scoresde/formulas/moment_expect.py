"""The moment ODEs of a general (nonlinear) SDE dx = f(x, t) dt + G(x, t) dw, written with expectations:

    de/dt = 𝔼[f(x, t)],
    dΣ/dt = 𝔼[f(x, t)(x − e)ᵀ] + 𝔼[(x − e) f(x, t)ᵀ] + 𝔼[G(x, t) G(x, t)ᵀ]

(Särkkä & Solin 2019, Eq. 5.50-5.51; Song et al. 2021, App. B, Eq. 33-34, there with G = g(t) I so that the last
term is g(t)² I). Each 𝔼[·] of one of these four integrands becomes a placeholder; the claim's right side must be
the same combination of them. An expectation of anything else is not read (None: the caller says `unparsed`).
"""
from __future__ import annotations

import re
from typing import Dict, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_expectation_moments"]

SOURCE = "Särkkä & Solin 2019, Eq. 5.50-5.51; Song et al. 2021, App. B, Eq. 33-34"
_EF, _EFX, _EXF, _EGG, _G2 = sp.symbols("EF EFX EXF EGG G2")
_INTEGRANDS: Dict[str, sp.Symbol] = {"f(x,t)": _EF, "f(x,t)(x-e)ᵀ": _EFX, "(x-e)f(x,t)ᵀ": _EXF, "G(x,t)G(x,t)ᵀ": _EGG,
                                     # the transposes dropped (normalize_latex drops ᵀ): the order still tells them apart
                                     "f(x,t)(x-e)": _EFX, "(x-e)f(x,t)": _EXF, "G(x,t)G(x,t)": _EGG}
_OPEN = re.compile(r"\\mathbb\s*\{\s*E\s*\}\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z]))?\s*(?:\\(?:left|big|Big|bigg|Bigg)\s*)?\[")


def _canon(s: str) -> str:
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm|mathrm)\s*\{\s*([^{}]*?)\s*\}", r"\1", s)
    s = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])|\\[,;:! ]|\s", "", s)
    s = re.sub(r"\^\{?(?:\\top|\\intercal|T|\\mathsf\{T\})\}?", "ᵀ", s)
    s = re.sub(r"\\mu|(?<![A-Za-z\\])m(?![A-Za-z])", "e", s)
    return s.replace("x(t)", "x")


def _close(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        depth += {"[": 1, "]": -1}.get(s[j], 0)
        if depth == 0:
            return j
    return -1


def _rhs(text: str) -> Optional[sp.Expr]:
    out, pos = [], 0
    for m in _OPEN.finditer(text):
        if m.start() < pos:
            return None
        j = _close(text, m.end() - 1)
        if j < 0:
            return None
        sym = _INTEGRANDS.get(_canon(text[m.end():j]))
        if sym is None:
            return None
        out.append(text[pos:m.start()] + f" {sym.name} ")
        pos = j + 1
    rest = _canon("".join(out) + text[pos:])
    rest = re.sub(r"g\(t\)\^\{?2\}?|g\^\{?2\}?\(t\)", " G2 ", rest)
    rest = re.sub(r"(?<![A-Za-z])I(?![A-Za-z])", " 1 ", rest)
    rest = re.sub(r"(?<=[0-9)])(?=[A-Za-z(])", "*", rest)
    if re.search(r"[^A-Za-z0-9+\-*/(). ]", rest) or re.search(r"[a-zA-Z]", re.sub(r"\b(?:EF|EFX|EXF|EGG|G2)\b", "", rest)):
        return None
    rest = re.sub(r"(?<=[0-9A-Za-z)])\s+(?=[0-9A-Za-z(])", "*", rest.strip())
    try:
        return sp.sympify(rest, locals={q.name: q for q in (_EF, _EFX, _EXF, _EGG, _G2)})
    except (sp.SympifyError, SyntaxError, TypeError):
        return None


def judge_expectation_moments(text: str) -> Optional[Verdict]:
    """The verdict of a moment ODE written with 𝔼[·] (module docstring), or None when it is not one."""
    sides = text.split("=")
    if len(sides) != 2 or not _OPEN.search(sides[1]):
        return None
    lhs = _canon(sides[0])
    m = re.fullmatch(r"\\frac\{d(e|m|\\mu|\\Sigma|P)\(t\)\}\{dt\}|\\dot\{?(e|m|\\mu|\\Sigma|P)\}?\(t\)", lhs)
    if m is None:
        return None
    which = "cov" if (m.group(1) or m.group(2)) in (r"\Sigma", "P") else "mean"
    rhs = _rhs(sides[1])
    if rhs is None:
        return None
    if which == "mean":
        want, claim = _EF, "mean ODE of a general SDE, de/dt = 𝔼[f(x, t)]"
        ok = sp.expand(rhs - want) == 0
    else:
        want, claim = _EFX + _EXF + _EGG, "covariance ODE of a general SDE, dΣ/dt = 𝔼[f(x − e)ᵀ] + 𝔼[(x − e)fᵀ] + 𝔼[GGᵀ]"
        # G(x, t) = g(t) I (Song et al. 2021, Eq. 34): 𝔼[GGᵀ] = g(t)² I
        ok = sp.expand(rhs - want) == 0 or sp.expand(rhs - want.xreplace({_EGG: _G2})) == 0
    if ok:
        return Verdict(text, "exact", f"identical to the {claim} ({SOURCE})", claim=claim)
    return Verdict(text, "inconsistent", f"differs from the {claim} ({SOURCE}): expected {want}, found {rhs} "
                   "(EF = 𝔼[f], EFX = 𝔼[f(x − e)ᵀ], EXF = 𝔼[(x − e)fᵀ], EGG = 𝔼[GGᵀ], G2 = g(t)²)", claim=claim, terms=["rhs"])
