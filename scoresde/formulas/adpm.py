"""Analytic-DPM's optimal reverse variance (Bao, Li, Zhu & Zhang 2022, Theorem 1, Eq. 7).

In the notation of the paper (steps n, α_n per step, ᾱ_n = ∏ α_i, β̄_n = 1 − ᾱ_n, λ_n² ∈ [0, β̃_n] the variance of
the DDIM-family reverse process, Eq. 4), the optimal variance is

    σ_n^{*2} = λ_n² + (√(β̄_n/α_n) − √(β̄_{n−1} − λ_n²))² (1 − β̄_n Γ_n),
    Γ_n = 𝔼_{q_n(x_n)} ‖∇_{x_n} log q_n(x_n)‖² / d.

The DDPM case (λ_n² = β̃_n) may be written with β̃_n. ``σ_n^{*2} = …`` written with the expectation (or with Γ_n) is judged at random admissible points (0 < α_n < 1,
0 < ᾱ_{n−1} < 1, ᾱ_n = α_n ᾱ_{n−1}, 0 ≤ λ_n² ≤ β̃_n = β̄_{n−1}β_n/β̄_n, 0 ≤ Γ_n ≤ 1/β̄_n): ``exact`` when it equals Eq. 7,
``ill-defined`` when a square root of it has a negative argument there (β̄_{n−1} − λ_n² ≥ β̄_{n−1} − β̃_n > 0 is what
keeps Eq. 7 real), else ``inconsistent`` (term ``variance``). The expectation is read as Γ_n by :func:`gamma_text`.
"""
from __future__ import annotations

import random
import re
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_adpm_variance"]

_LHS = re.compile(r"^\s*\\sigma\s*_\s*(?:\{\s*n\s*\}|n)\s*\^\s*\{\s*(?:\*|\\ast|\\star)\s*2\s*\}\s*$|"
                  r"^\s*\(\s*\\sigma\s*_\s*(?:\{\s*n\s*\}|n)\s*\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?\s*\)\s*\^\s*\{?\s*2\s*\}?\s*$")
_SOURCE = "Bao et al. 2022 (Analytic-DPM), Theorem 1, Eq. 7"


def _group_end(s: str, i: int) -> int:
    """Index after the braced group starting at s[i] == '{' (or -1)."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def gamma_text(s: str) -> str:
    """``\\mathbb{E}_{q_n(x_n)} \\frac{\\|∇ log q_n(x_n)\\|^2}{d}`` -> ``\\Gamma_n`` (one occurrence), else ``s``."""
    m = re.search(r"\\mathbb\s*\{\s*E\s*\}\s*_\s*(?=\{)", s)
    if m is None:
        return s
    j = _group_end(s, m.end())
    if j < 0:
        return s
    f = re.match(r"\s*\\frac\s*(?=\{)", s[j:])
    if f is None:
        return s
    a = j + f.end()
    b = _group_end(s, a)
    if b < 0 or not re.match(r"\s*\{", s[b:]):
        return s
    c0 = b + len(s[b:]) - len(s[b:].lstrip())
    c = _group_end(s, c0)
    num, den = s[a + 1:b - 1], s[c0 + 1:c - 1].strip()
    if c < 0 or den != "d" or "\\nabla" not in num or "\\log" not in num:
        return s
    return s[:m.start()] + r"\Gamma_n " + s[c:]


def judge_adpm_variance(text: str) -> Optional[Verdict]:
    """The verdict of ``σ_n^{*2} = …`` (see the module docstring), or None."""
    if text.count("=") != 1:
        return None
    lhs, rhs = text.split("=")
    if not _LHS.match(lhs):
        return None
    rhs = gamma_text(rhs)
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(rhs)
    except (ParseError, ValueError, RecursionError):
        return None
    if len(p.sides) != 1:
        return None
    names = {}
    for s_ in p.sides[0].free_symbols:
        at = p.atoms.get(s_)
        if at is None or at.args is not None or at.sup:
            return None
        key = (at.base, at.deco, at.sub.replace(" ", ""))
        if key not in (("α", "", "n"), ("α", "bar", "n"), ("α", "bar", "n-1"), ("λ", "", "n"), ("Γ", "", "n"), ("β", "", "n"), ("β", "tilde", "n")):
            return None
        names[s_] = key
    ddpm = ("λ", "", "n") not in names.values()  # the DDPM case λ_n² = β̃_n, written with β̃_n (Bao et al. 2022, Sec. 3)
    if ("Γ", "", "n") not in names.values() or ddpm and ("β", "tilde", "n") not in names.values():
        return None
    expr = p.sides[0]
    rng = random.Random(7)
    worst, bad = 0.0, None
    for _ in range(16):
        a = rng.uniform(0.5, 0.999)
        a1 = rng.uniform(0.05, 0.98)
        abar = a * a1
        bt = (1 - a1) * (1 - a) / (1 - abar)
        lam2 = bt if ddpm else rng.uniform(0.0, bt)
        gam = rng.uniform(0.0, 1.0 / (1 - abar))
        val = {("α", "", "n"): a, ("α", "bar", "n"): abar, ("α", "bar", "n-1"): a1, ("λ", "", "n"): lam2 ** 0.5,
               ("Γ", "", "n"): gam, ("β", "", "n"): 1 - a, ("β", "tilde", "n"): bt}
        subs = {s_: sp.Float(val[k], 30) for s_, k in names.items()}
        for rad in (q.args[0] for q in expr.atoms(sp.Pow) if q.exp == sp.Rational(1, 2)):
            r = float(rad.xreplace(subs))
            if r < -1e-12 and bad is None:
                bad = (sp.sstr(rad), r)
        if bad is not None:
            break
        got = complex(sp.N(expr.xreplace(subs), 20))
        want = lam2 + (((1 - abar) / a) ** 0.5 - (1 - a1 - lam2) ** 0.5) ** 2 * (1 - (1 - abar) * gam)
        worst = max(worst, abs(got - want) / (1 + abs(want)))
    claim = "Analytic-DPM's optimal reverse variance σ_n^{*2} (" + _SOURCE + ")"
    if bad is not None:
        return Verdict(text, "ill-defined", f"the square root of {bad[0]} has a negative argument ({bad[1]:.3g}) at admissible "
                       "values (0 ≤ λ_n² ≤ β̃_n < β̄_{n−1}); Eq. 7 has √(β̄_{n−1} − λ_n²)", claim=claim, terms=["variance"])
    if worst < 1e-9:
        return Verdict(text, "exact", f"identical to {_SOURCE} (Γ_n = 𝔼‖∇log q_n‖²/d; checked at 16 admissible points)", claim=claim)
    return Verdict(text, "inconsistent", f"differs from {_SOURCE}: σ_n^{{*2}} = λ_n² + (√(β̄_n/α_n) − √(β̄_{{n−1}} − λ_n²))²"
                   f"(1 − β̄_n Γ_n) (relative deviation {worst:.2g} at admissible points)", claim=claim, terms=["variance"])
