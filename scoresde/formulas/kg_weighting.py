"""EDM's training objective as a weighting of the ε-loss over the log-SNR λ (Kingma & Gao 2023, Sec. 4 and App. D.2).

Kingma & Gao write every objective as ½ E_{λ∼p(λ)}[w̃(λ) ‖ε − ε̂‖²], i.e. the weighting w(λ) = p(λ) w̃(λ) of the
ε-loss. For EDM (Karras et al. 2022, Table 1 and Sec. 5): ln σ ∼ N(P_mean, P_std²) with P_mean = −1.2, P_std = 1.2,
and λ = −2 ln σ (α = 1), so λ ∼ p_F(λ) = N(λ; 2.4, 2.4²); the loss weight λ(σ) = (σ² + σ_data²)/(σ σ_data)² on
‖D − x‖² = σ² ‖ε̂ − ε‖² is σ² λ(σ) = (e^{−λ} + σ_data²)/σ_data² on the ε-loss (σ_data = 0.5). So

    w(λ) = p_F(λ) (e^{−λ} + 0.5²)/0.5²,   p_F(λ) = N(λ; 2.4, 2.4²).

A cell ``w(λ) = p_F(λ)·F(λ), p_F(λ) = N(λ; m, s²)`` (or with the Gaussian written in place) is judged: with EDM's
λ distribution, F must be (e^{−λ} + σ_data²)/σ_data² (``exact``, else ``inconsistent``, term ``rhs``); with F of that
form, the distribution must be EDM's.
"""
from __future__ import annotations

import math
import re
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_kg_weighting", "inline_lambda_density"]

_W_LHS = re.compile(r"^\s*w\s*(?:\\left)?\s*\(\s*\\lambda\s*(?:\\right)?\s*\)\s*$")
_P_NAME = r"p(?:\s*_\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\?[A-Za-z]+))?"
_P_DEF = re.compile(r"(?:\\q?quad|,|;|\s)*(?P<name>" + _P_NAME + r")\s*(?:\\left)?\s*\(\s*\\lambda\s*(?:\\right)?\s*\)\s*=\s*"
                    r"(?P<normal>\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left)?\s*\(\s*\\lambda\s*;[^()]*?(?:\\right)?\s*\))\s*[.,;]?\s*$")
_NORMAL = re.compile(r"\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left)?\s*\(\s*\\lambda\s*;(?P<m>[^,]*),(?P<v>[^()]*?)(?:\\right)?\s*\)")
_EDM_M, _EDM_S, _SD = 2.4, 2.4, 0.5
_SOURCE = "Kingma & Gao 2023, App. D.2 (EDM: Karras et al. 2022, Table 1, P_mean = −1.2, P_std = 1.2, σ_data = 0.5)"


def inline_lambda_density(cell: str) -> str:
    """``w(λ) = p_F(λ) F, \\quad p_F(λ) = N(λ; m, s²)`` -> ``w(λ) = N(λ; m, s²) F``: the density the cell defines last,
    written in place (the cell's one claim is the weighting)."""
    if not re.match(r"^\s*w\s*(?:\\left)?\s*\(\s*\\lambda", cell):
        return cell
    m = _P_DEF.search(cell)
    if m is None:
        return cell
    head = cell[:m.start()]
    use = re.compile(re.escape(m.group("name")) + r"\s*(?:\\left)?\s*\(\s*\\lambda\s*(?:\\right)?\s*\)")
    if len(use.findall(head)) != 1:
        return cell
    return use.sub(lambda _: m.group("normal"), head)


def _num(text: str) -> Optional[float]:
    from .atoms import ParseError
    from .parse import parse

    try:
        q = parse(text).sides[0]
        return float(q) if not q.free_symbols else None
    except (ParseError, ValueError, TypeError, IndexError, RecursionError):
        return None


def judge_kg_weighting(text: str) -> Optional[Verdict]:
    """The verdict of ``w(λ) = N(λ; m, s²)·F(λ)`` (see the module docstring), or None."""
    if text.count("=") != 1:
        return None
    lhs, rhs = text.split("=")
    if not _W_LHS.match(lhs):
        return None
    rhs = re.sub(r"\\[,;:! ]", " ", rhs)  # TeX spacing (its comma is no argument separator)
    mn = _NORMAL.search(rhs)
    if mn is None:
        return None
    mean, var = _num(mn.group("m")), _num(mn.group("v"))
    if mean is None or var is None or var <= 0:
        return None
    rest = rhs[:mn.start()] + " 1 " + rhs[mn.end():]
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(rest)
    except (ParseError, ValueError, RecursionError):
        return None
    if len(p.sides) != 1:
        return None
    expr, lam, subs = p.sides[0], None, {}
    for s_ in expr.free_symbols:
        at = p.atoms.get(s_)
        if at is None or at.args is not None or at.deco:
            return None
        if at.base == "λ" and not at.sub:
            lam = s_
        elif at.base == "σ" and at.sub in ("data", "d"):
            subs[s_] = sp.Float(_SD)
        else:
            return None
    if lam is None:
        return None
    f = sp.lambdify(lam, expr.xreplace(subs), modules=["mpmath"])
    grid = [-6.0 + 0.75 * k for k in range(17)]
    try:
        got = [complex(f(x)).real for x in grid]
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, NameError):
        return None
    want = [(math.exp(-x) + _SD**2) / _SD**2 for x in grid]
    f_ok = all(abs(a - b) <= 1e-9 * (1 + abs(b)) for a, b in zip(got, want))
    dist_ok = abs(mean - _EDM_M) < 1e-9 and abs(var - _EDM_S**2) < 1e-9
    claim = "EDM's objective as a weighting of the ε-loss over λ, w(λ) = p_F(λ)(e^{−λ} + σ_data²)/σ_data²"
    if f_ok and dist_ok:
        return Verdict(text, "exact", f"EDM's weighting w(λ) ({_SOURCE})", claim=claim)
    if dist_ok:
        return Verdict(text, "inconsistent", "with EDM's λ distribution N(λ; 2.4, 2.4²), the ε-loss weight must be EDM's "
                       "σ²λ(σ) = (e^{−λ} + σ_data²)/σ_data² (σ² = e^{−λ}, σ_data = 0.5); the written factor differs "
                       f"(at λ = 0: {got[8]:.4g}, expected {want[8]:.4g}; at λ = 3: {got[12]:.4g}, expected {want[12]:.4g}) ({_SOURCE})",
                       claim=claim, terms=["rhs"])
    if f_ok:
        return Verdict(text, "inconsistent", f"EDM's ε-loss weight (e^{{−λ}} + σ_data²)/σ_data², but λ ∼ N({mean:g}, {var:g}) is "
                       f"not EDM's N(2.4, 2.4²) (λ = −2 ln σ, ln σ ∼ N(−1.2, 1.2²)) ({_SOURCE})", claim=claim, terms=["rhs"])
    return None
