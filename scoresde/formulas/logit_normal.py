"""The logit-normal density of the training times (Esser et al. 2024 (SD3), Sec. 3.1, Eq. 19):

    π_ln(t; m, s) = 1/(s √(2π)) · 1/(t(1 − t)) · exp(−(logit(t) − m)²/(2 s²)),   logit(t) = log(t/(1 − t)),

the density of t = sigmoid(u) for u ~ N(m, s²): the Gaussian density of u times the Jacobian du/dt = 1/(t(1 − t)).
A claim π(t; m, s) = F(t, m, s) (``logit`` written out or defined beside it) is ``exact`` when F equals this at
random points, ``inconsistent`` (term rhs) otherwise, with the missing Jacobian said when that is the difference.
"""
from __future__ import annotations

import math
import random
import re
from typing import List, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_logit_normal"]

SRC = "Esser et al. 2024 (SD3), Sec. 3.1, Eq. 19"
_LOGIT = re.compile(r"\\(?:mathrm|operatorname|text)\s*\{\s*logit\s*\}|(?<![A-Za-z\\])logit")
_LHS = re.compile(r"^\\pi\s*(?:_\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\w))?\s*\(\s*t\s*[;,]\s*m\s*,\s*s\s*\)$")
_T, _M, _S = sp.symbols("t· m· s·", real=True)


def _ref(t: float, m: float, s: float) -> float:
    return math.exp(-(math.log(t / (1 - t)) - m) ** 2 / (2 * s * s)) / (s * math.sqrt(2 * math.pi) * t * (1 - t))


def _function(text: str):
    from .parse import parse

    text = _LOGIT.sub("", re.sub(r"(\\(?:mathrm|operatorname|text)\s*\{\s*logit\s*\}|(?<![A-Za-z\\])logit)\s*\(\s*t\s*\)",
                                   r"\\log\\frac{t}{1-t}", text))
    p = parse(text)
    if len(p.sides) != 1:
        return None
    rep = {}
    for s_ in p.sides[0].free_symbols:
        a = p.atoms.get(s_)
        if a is None or a.sub or a.args or a.deco or a.base not in ("t", "m", "s"):
            return None
        rep[s_] = {"t": _T, "m": _M, "s": _S}[a.base]
    return sp.lambdify((_T, _M, _S), p.sides[0].xreplace(rep), "math")


def judge_logit_normal(eqs: List[str]) -> Optional[List[Verdict]]:
    """Verdicts for a cell stating the logit-normal density (and perhaps defining logit beside it), or None."""
    from .atoms import ParseError

    main = None
    logit_ok = True
    for eq in eqs:
        m = re.match(r"^(?P<l>[^=]+?)\s*(?::=|=)(?!=)\s*(?P<r>.+)$", eq.strip(), re.S)
        if not m:
            return None
        lhs, rhs = m.group("l").strip(), m.group("r").strip()
        if re.fullmatch(r"(?:" + _LOGIT.pattern + r")\s*\(\s*t\s*\)", lhs):
            try:
                f = _function(rhs)
            except (ParseError, ValueError, TypeError):
                return None
            logit_ok = f is not None and all(abs(f(t, 0, 1) - math.log(t / (1 - t))) < 1e-9 for t in (0.2, 0.5, 0.7))
        elif _LHS.match(lhs) and main is None:
            main = (eq, rhs)
        else:
            return None
    if main is None:
        return None
    try:
        f = _function(main[1])
    except (ParseError, ValueError, TypeError):
        return None
    if f is None:
        return None
    rng = random.Random(7)
    same = jac = True
    try:
        for _ in range(5):
            t, mm, s = rng.uniform(0.05, 0.95), rng.uniform(-1, 1), rng.uniform(0.5, 2)
            got, want = f(t, mm, s), _ref(t, mm, s)
            same = same and abs(got - want) <= 1e-9 * (1 + abs(want))
            jac = jac and abs(got - want * t * (1 - t)) <= 1e-9 * (1 + abs(want))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    title = "logit-normal density π_ln(t; m, s)"
    out = []
    if same:
        out.append(Verdict(main[0], "exact", f"identical to the {title} ({SRC})", claim=title, target="logit_normal"))
    else:
        why = ("the Jacobian 1/(t(1 − t)) of u = logit(t) is missing: that is the Gaussian density of logit(t), not a "
               "density in t") if jac else "differs from the density of t = sigmoid(u), u ~ N(m, s²)"
        out.append(Verdict(main[0], "inconsistent", f"{why} ({SRC})", claim=title, target="logit_normal", terms=["rhs"]))
    if not logit_ok:
        out.append(Verdict(eqs[-1], "inconsistent", "logit(t) is log(t/(1 − t))", claim="logit", target="logit_normal",
                           terms=["rhs"]))
    return out
