"""Notations of the papers' own equations, rewritten before the formula is read (normalize.py calls these):

* a range in parentheses after a separator, ``\\quad (i = 1, …, L)``: where the formula holds, dropped;
* the letter indexing DDIM's family of forward processes, ``q_λ`` with ``λ_n`` (Bao et al. 2022), is its σ_n;
* Prince 2023's ``\\mathrm{Norm}_v[m, C]`` is ``\\mathcal{N}(v; m, C)``;
* ``∇_x \\log[(1/Z) X]`` is ``∇_x \\log X`` (a normalising constant; Dhariwal & Nichol 2021, Sec. 4.2);
* EDM's ``c_skip``, ``c_out``, ``c_in``, ``c_noise`` without their argument are functions of σ (Karras et al. 2022, Eq. 7).
"""
from __future__ import annotations

import re

__all__ = ["paper_notation", "paren_range", "grad_log_z", "prince_normal"]

#: a range in parentheses after a separator (``\\quad (i = 1, …, L)``, ``\\qquad (1 \\le i \\le N)``, ``, (t \\in [0, T])``):
#: where the formula holds (Song & Ermon 2019, Alg. 1; Karras et al. 2022, Eq. 5), not a factor of it
_PAREN_RANGE_BODY = re.compile(r"^\s*(?:\\text\s*\{\s*(?:for|for all)\s*\}\s*)?(?:[a-zA-Z](?:_\{?\w+\}?)?\s*(?:=\s*[^=]*\\dots[^=]*|\\in\s.*|\\in(?![a-zA-Z]).*)"
                               r"|[^=]*(?:<|>|\\leq?|\\geq?|\\leqslant|\\geqslant)(?![a-zA-Z])[^=]*)\s*$")
_RANGE_SEP = re.compile(r"(?:\\q?quad|\\[,;: ]|,|~)\s*$")

#: EDM's preconditioning written without its argument (c_skip, c_{\\mathrm{out}}): a function of the noise level,
#: c(σ) (Karras et al. 2022, Eq. 7 and Table 1)
_PRECOND = re.compile(r"(c\s*_\s*(?:\{\s*\\(?:mathrm|text|textrm|rm|operatorname|mathit)\s*\{\s*(?:skip|out|in|noise)\s*\}\s*\}"
                      r"|\{\s*(?:skip|out|in|noise)\s*\}"
                      r"|\\(?:mathrm|text|textrm|operatorname)\s*\{\s*(?:skip|out|in|noise)\s*\}))(?!\s*(?:\\left\s*|\\[bB]igg?l?\s*)?\()")
#: ∇_x log[(1/Z) X]: a normalising constant Z (no x in it) inside a log adds −log Z, whose gradient vanishes
#: (Dhariwal & Nichol 2021, Sec. 4.2: s ∇log p(y|x) = ∇log[p(y|x)^s / Z]): the gradient of log X
_GRAD_LOG_Z = re.compile(r"(\\nabla\s*(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?[a-zA-Z]+))?\s*\\log\s*(?:\\left\s*|\\[bB]igg?l?\s*)?[\[(]\s*)"
                         r"(?:\\[tdc]?frac\s*\{\s*1\s*\}\s*\{\s*Z\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]|\\[a-zA-Z]+))?\s*\}|Z\s*\^\s*\{\s*-\s*1\s*\})"
                         r"(?:\s|\\[,;: ]|\\cdot)*")


def grad_log_z(s: str) -> str:
    """``_GRAD_LOG_Z``: the constant and the brackets around what is left go (∇_x log X)."""
    m = _GRAD_LOG_Z.search(s)
    if m is None:
        return s
    opened = m.group(1).rstrip()
    close = {"[": "]", "(": ")"}[opened[-1]]
    depth, j = 1, m.end()
    while j < len(s) and depth:
        depth += {opened[-1]: 1, close: -1}.get(s[j], 0)
        j += 1
    if depth:
        return s
    inner = re.sub(r"\\right\s*$|\\[bB]igg?r?\s*$", "", s[m.end():j - 1].rstrip())
    head = re.sub(r"(?:\\left|\\[bB]igg?l?)?\s*[\[(]\s*$", "", opened)
    return s[:m.start()] + head + " " + inner + s[j:]


_FAMILY = re.compile(r"^\s*q\s*_\s*(?:\{\s*\\(?P<a>[a-zA-Z]+)\s*\}|\\(?P<b>[a-zA-Z]+))\s*(?:\\left\s*|\\[bB]ig\s*)?\(")


def _family_parameter(s: str) -> str:
    """``q_λ(x_{n−1} | x_n, x_0) = N(…, λ_n² I)``: the letter that indexes a family of forward processes is its free
    per-step parameter, DDIM's σ_n (Song et al. 2021a, Eq. 7 write q_σ; Bao et al. 2022, Analytic-DPM, Eq. 2 write
    q_λ with λ_n): read as σ where the formula has no σ of its own."""
    m = _FAMILY.match(s)
    name = m and (m.group("a") or m.group("b"))
    if not name or name in ("sigma", "theta", "phi", "psi") or r"\sigma" in s or not re.search(r"\\" + name + r"\s*_", s[m.end():]):
        return s
    return re.sub(r"\\" + name + r"(?![a-zA-Z])", r"\\sigma", s)


_NORM_DIST = re.compile(r"\\(?:mathrm|operatorname|text|textrm)\s*\{\s*Norm\s*\}\s*_\s*")


def prince_normal(s: str) -> str:
    """``\\mathrm{Norm}_{v}[m, C]``, Prince 2023's normal distribution in v (Understanding Deep Learning, Sec. 5.3 and
    ch. 18), is ``\\mathcal{N}(v; m, C)``."""
    for _ in range(8):
        m = _NORM_DIST.search(s)
        if m is None:
            return s
        g = re.compile(r"\s*(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\[a-zA-Z]+|[a-zA-Z])").match(s, m.end())
        if g is None:
            return s
        var = g.group(1)
        var = var[1:-1] if var.startswith("{") else var
        j = g.end()
        mo = re.compile(r"\s*(?:\\left\s*|\\[bB]igg?l?\s*)?\[").match(s, j)
        if mo is None:
            return s
        depth, k = 1, mo.end()
        while k < len(s) and depth:
            depth += {"[": 1, "]": -1}.get(s[k], 0)
            k += 1
        if depth:
            return s
        inner = re.sub(r"\\right\s*$|\\[bB]igg?r?\s*$", "", s[mo.end():k - 1].rstrip())
        s = s[:m.start()] + r"\mathcal{N}\left(" + var + "; " + inner + r"\right)" + s[k:]
    return s


def paren_range(s: str) -> str:
    """Drop a trailing range in parentheses (``_PAREN_RANGE_BODY``) that a separator sets apart from the formula."""
    t = re.sub(r"[\s.,;]+$", "", s)
    t = re.sub(r"\\right\s*\)$", ")", t)
    if not t.endswith(")"):
        return s
    depth = 0
    for j in range(len(t) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(t[j], 0)
        if depth == 0:
            break
    else:
        return s
    head = re.sub(r"\\left\s*$", "", t[:j])
    if not _PAREN_RANGE_BODY.match(t[j + 1:-1]) or not _RANGE_SEP.search(head):
        return s
    return head


def paper_notation(s: str) -> str:
    """The rewrites of the module docstring (after the range), in order."""
    s = _family_parameter(s)
    s = prince_normal(s)
    s = grad_log_z(s)
    if r"\sigma" in s:
        s = _PRECOND.sub(r"\1(\\sigma)", s)
    return s
