"""The bound on the SDE model's negative log-likelihood of one data point, −log p_θ^SDE(x) ≤ L_SM^θ(x).

Song, Durkan, Murray & Ermon 2021 (Maximum likelihood training of score-based diffusion models), Sec. 4, bound the
model's likelihood at one point x through the score-matching objective in its implicit (Hyvärinen) form:

    −log p_θ^SDE(x) ≤ −E_{p_0T(x'|x)}[log π(x')]
                      + ½ ∫_0^T E_{p_0t(x'|x)}[2g(t)² ∇_{x'}·s_θ(x', t) + g(t)² ‖s_θ(x', t)‖² − 2∇_{x'}·f(x', t)] dt.

Rule: a formula ``−log p_θ^SDE(x) ≤ …`` whose right side is a prior term −E[log π(x')] (or log p_T) and one integral
over [0, T] of an expectation of divergences of s_θ and f and the squared norm of s_θ is read term by term (each piece
a placeholder, the g(t) powers and numbers as written) and compared with the bound above: the same coefficients ->
``exact``; any other coefficient, or the inequality reversed -> ``inconsistent`` (term ``rhs``). Anything else (another
form of the bound, such as its denoising form with ∇log p_0t) is left to the other readers.
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .atoms import ParseError
from .verdict import Verdict

__all__ = ["judge_sde_bound"]

SOURCE = "Song, Durkan, Murray & Ermon 2021, Sec. 4 (the bound L_SM^θ(x) on −log p_θ^SDE(x))"
_LEFT = re.compile(r"^\s*-\s*\\log\s*p\s*(?:_\s*\{?\s*\\theta\s*\}?\s*\^\s*\{\s*(?:\\(?:mathrm|text|rm)\s*)?\{?\s*SDE\s*\}?\s*\}"
                   r"|\^\s*\{\s*(?:\\(?:mathrm|text|rm)\s*)?\{?\s*SDE\s*\}?\s*\}\s*_\s*\{?\s*\\theta\s*\}?)\s*\(\s*x\s*\)\s*$")
_REL = re.compile(r"\\le(?:q|qslant)?(?![a-zA-Z])|≤|\\ge(?:q|qslant)?(?![a-zA-Z])|≥")
_SUB = r"(?:_\s*\{(?:[^{}]|\{[^{}]*\})*\})?"
_E = r"\\mathbb\s*\{\s*E\s*\}\s*" + _SUB + r"\s*"
_PRIOR = re.compile(_E + r"(?:\\left\s*)?\[\s*\\log\s*(?:\\pi|p\s*_\s*\{?\s*T\s*\}?)\s*\(\s*x'\s*\)\s*(?:\\right\s*)?\]")
_ARG = r"\(\s*x'\s*,\s*t\s*\)"
_PIECES = [
    (re.compile(r"\\nabla\s*(?:_\s*\{[^{}]*\})?\s*\\cdot\s*s\s*_\s*\{?\s*\\theta\s*\}?\s*" + _ARG), r" \\Omega_{ds} "),
    (re.compile(r"\\nabla\s*(?:_\s*\{[^{}]*\})?\s*\\cdot\s*f\s*" + _ARG), r" \\Omega_{df} "),
    (re.compile(r"(?:\\left)?\\\|\s*s\s*_\s*\{?\s*\\theta\s*\}?\s*" + _ARG + r"\s*(?:\\right)?\\\|\s*(?:_\s*\{?\s*2\s*\}?)?\s*\^\s*\{?\s*2\s*\}?"), r" \\Omega_{ns} "),
]


def _bracket(s: str, i: int) -> Optional[int]:
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "[":
            depth += 1
        elif s[j] == "]":
            depth -= 1
            if depth == 0:
                return j
    return None


def _read(text: str):
    from .parse import parse

    p = parse(f"y_{{hold}} = {text}")
    if len(p.sides) != 2:
        raise ValueError("not one expression")
    sub = {}
    for s_ in p.sides[1].free_symbols:
        at = p.atoms.get(s_)
        if at is None:
            raise ValueError("unknown symbol")
        if at.base == "Ω":
            sub[s_] = sp.Symbol(at.sub, real=True)
        elif at.base == "g" and at.args == ("t",) and not at.sub:
            sub[s_] = sp.Symbol("g", positive=True)
        else:
            raise ValueError(f"a symbol outside the bound: {at.name}")
    return p.sides[1].xreplace(sub)


def judge_sde_bound(text: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for the SDE likelihood bound (module docstring), or None when the text is not one."""
    from .normalize import normalize_latex

    if "SDE" not in text or not _REL.search(text):
        return None
    s = normalize_latex(text)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s+([a-zA-Z])", r"\1", s)
    m = _REL.search(s)
    left, right = s[:m.start()], s[m.end():]
    if _LEFT.match(left) is None:
        return None
    right = _PRIOR.sub(r" \\Omega_{lp} ", right)
    mi = re.search(r"\\int\s*_\s*\{?\s*0\s*\}?\s*\^\s*\{?\s*T\s*\}?\s*", right)
    if mi is None or "Omega_{lp}" not in right:
        return None
    me = re.compile(_E + r"(?:\\left\s*)?\[").match(right, mi.end())
    if me is None:
        return None
    k = _bracket(right, me.end() - 1)
    if k is None:
        return None
    inner = right[me.end():k]
    inner = re.sub(r"\\right\s*$", "", inner.rstrip())
    tail = re.match(r"\s*d\s*t\s*", right[k + 1:])
    if tail is None:
        return None
    outer = right[:mi.start()] + r" \Omega_{int} " + right[k + 1 + tail.end():]
    for rx, hold in _PIECES:
        inner = rx.sub(hold, inner)
    try:
        body, whole = _read(inner), _read(outer)
    except (ParseError, ValueError, TypeError):
        return None
    DS, DF, NS, LP, INT = (sp.Symbol(n_, real=True) for n_ in ("ds", "df", "ns", "lp", "int"))
    g = sp.Symbol("g", positive=True)
    if not body.free_symbols & {DS, DF, NS} or not whole.free_symbols <= {LP, INT}:
        return None
    got = sp.expand(whole.subs(INT, body))
    want = -LP + sp.Rational(1, 2) * (2 * g**2 * DS + g**2 * NS - 2 * DF)
    claim = "the bound on the SDE model's negative log-likelihood −log p_θ^SDE(x)"
    if m.group(0) in ("≥",) or m.group(0).startswith(r"\ge"):
        return Verdict(text, "inconsistent", f"the inequality is reversed: −log p_θ^SDE(x) is bounded above ({SOURCE})",
                       claim=claim, terms=["rhs"])
    if sp.expand(got - want) == 0:
        return Verdict(text, "exact", f"the prior term and ½∫E[2g²∇·s_θ + g²‖s_θ‖² − 2∇·f]dt as in {SOURCE}", claim=claim)
    diffs = []
    for sym, name in ((LP, "the prior term"), (DS, "∇·s_θ"), (NS, "‖s_θ‖²"), (DF, "∇·f")):
        if sp.simplify(got.coeff(sym) - want.coeff(sym)) != 0:
            diffs.append(f"{name}: expected {sp.sstr(want.coeff(sym))}, found {sp.sstr(got.coeff(sym))}")
    return Verdict(text, "inconsistent", f"the coefficient of {'; of '.join(diffs) or 'a term'} ({SOURCE})", claim=claim,
                   terms=["rhs"])
