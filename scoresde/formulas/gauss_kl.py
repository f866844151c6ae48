"""The KL divergence between two Gaussians in closed form, D_KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) = ….

    D_KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) = ½[log(|Σ₂|/|Σ₁|) − d + tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀΣ₂⁻¹(μ₂ − μ₁)]

(the standard closed form; Ho et al. 2020, Sec. 3.2 and Luo 2022 reduce the VLB's KL terms with it), and in one
dimension log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½.

Rule: an equation whose left side is the KL divergence between two written Gaussians is judged by evaluating both sides
for isotropic covariances Σ_k = v_k I in d dimensions (|Σ| = v^d, tr(c I) = d c, the quadratic form ‖Δμ‖²/v, ᵀ on a
mean difference dropped as the product is scalar): a covariance written as a scalar (σ², β̃_t) is its own variance and
d = 1 unless d, a trace or a determinant is written. Equal at random values -> ``exact``; different -> ``inconsistent``
(term ``rhs``). A formula with symbols the two Gaussians do not name is not judged.
"""
from __future__ import annotations

import random
import re
from typing import List, Optional, Tuple

import sympy as sp

from .atoms import ParseError
from .param_errors import matching_paren as _match
from .verdict import Verdict

__all__ = ["judge_gauss_kl"]

SOURCE = "the closed-form KL divergence between Gaussians, as Ho et al. 2020, Sec. 3.2 and Luo 2022 use it for the VLB terms"
_KL = re.compile(r"^\s*(?:D\s*_\s*\{?\s*(?:\\mathrm|\\text|\\operatorname)?\s*\{?\s*KL\s*\}?\s*\}?|\\mathrm\s*\{\s*KL\s*\}|KL)\s*"
                 r"(?:\\left\s*)?\(")
_N = re.compile(r"\\mathcal\s*\{\s*N\s*\}\s*(?:\\left\s*)?\(|\\mathcal\s+N\s*(?:\\left\s*)?\(|(?<![A-Za-z\\])N\s*\(")
_SEP = re.compile(r"\\parallel|\\\||‖|∥|\|\|")
_TR = re.compile(r"\\(?:operatorname|mathrm|text)\s*\{\s*(?:tr|Tr|trace)\s*\}\s*(?:\\left\s*)?\(|\\(?:tr|Tr)\s*(?:\\left\s*)?\(")
_DET = re.compile(r"\\det\s*(?:\\left\s*)?\(")




def _gaussians(lhs: str) -> Optional[List[Tuple[str, str]]]:
    """The (mean, covariance) texts of the two Gaussians of ``D_KL(N(·) ‖ N(·))``."""
    m = _KL.match(lhs)
    if m is None:
        return None
    k = _match(lhs, m.end() - 1)
    if k is None or lhs[k + 1:].strip():
        return None
    inner = lhs[m.end():k].replace(r"\right", "")
    out = []
    for part in _SEP.split(inner):
        mn = _N.match(part.strip())
        if mn is None:
            return None
        body = part.strip()
        j = _match(body, mn.end() - 1)
        if j is None or body[j + 1:].strip():
            return None
        args = body[mn.end():j].replace(r"\right", "")
        if ";" in args:
            args = args.split(";", 1)[1]
        ms = [a.strip() for a in re.split(r",(?![^(){}]*[)}])", args)]
        if len(ms) != 2 or not all(ms):
            return None
        out.append((ms[0], ms[1]))
    return out if len(out) == 2 else None


def _scalarise(rhs: str) -> str:
    """Traces, determinants and transposes of isotropic covariances written as scalars (module docstring)."""
    for rx, wrap in ((_TR, ("d\\cdot(", ")")), (_DET, ("(", ")^{d}"))):
        while True:
            m = rx.search(rhs)
            if m is None:
                break
            k = _match(rhs, m.end() - 1)
            if k is None:
                return rhs
            rhs = rhs[:m.start()] + wrap[0] + rhs[m.end():k] + wrap[1] + rhs[k + 1:]
    rhs = re.sub(r"\\det\s*(\\[a-zA-Z]+(?:\s*_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?|[A-Za-z](?:\s*_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?)",
                 r"(\1)^{d}", rhs)
    rhs = re.sub(r"(?<![\\a-zA-Z])\|\s*((?:\\Sigma|\\sigma|\\beta|\\tilde)[^|]*?)\s*\|", r"(\1)^{d}", rhs)
    # Σ⁻¹(μ₂ − μ₁), Σ(…): a product with a mean difference, never a call
    rhs = re.sub(r"((?:\\Sigma|\\sigma|\\beta)\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?\s*(?:\^\s*(?:\{[^{}]*\}|-?1))?)\s*(?=\()", r"\1\\cdot", rhs)
    rhs = re.sub(r"\^\s*(?:\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{T\}|\\mathrm\s*\{T\})\s*\}|T(?![a-zA-Z])|\\top|\\intercal)", "", rhs)
    return rhs


def judge_gauss_kl(eq: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for the closed-form KL between two Gaussians (module docstring), or None."""
    from .normalize import normalize_latex
    from .objective_text import split_top
    from .parse import parse

    if "KL" not in eq or "N" not in eq:
        return None
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{([^{}]*)\}", r"\1", eq)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*(\\[a-zA-Z]+)", r"\1", s)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s+([a-zA-Z])", r"\1", s)
    s = re.sub(r"\\[,;:!](?![a-zA-Z])|\\q?quad(?![a-zA-Z])", " ", s)
    sides = split_top(s, ("=",))
    if len(sides) != 2:
        return None
    gs = _gaussians(sides[0])
    if gs is None:
        return None
    rhs = _scalarise(sides[1])
    try:
        p_r = parse(normalize_latex("y_{hold} = " + rhs))
        p_g = [parse(normalize_latex(f"y_{{hold}} = {m_} + {v_}")) for m_, v_ in gs]
        mus = [parse(normalize_latex(f"y_{{hold}} = {m_}")).sides[1] for m_, _ in gs]
        vs = [parse(normalize_latex(f"y_{{hold}} = {v_}")).sides[1] for _, v_ in gs]
    except (ParseError, ValueError, TypeError):
        return None
    if len(p_r.sides) != 2:
        return None
    known = {q.name for p_ in p_g for q in p_.sides[1].free_symbols}
    d = sp.Symbol("d")
    names = {q.name for q in p_r.sides[1].free_symbols} - {"d"}
    if not names or not names <= known:
        return None
    d_written = "d" in {q.name for q in p_r.sides[1].free_symbols} or re.search(r"\\(?:det|tr|operatorname|mathrm\s*\{\s*tr)", sides[1])
    rng = random.Random(7)
    differs = 0
    for _ in range(4):
        vals = {}
        for q in set().union(*[p_.sides[1].free_symbols for p_ in p_g], p_r.sides[1].free_symbols):
            vals[q.name] = rng.uniform(0.3, 2.0) if q.name != "d" else rng.choice([2, 3, 5])
        dv = vals.get("d", 3) if d_written else 1
        sub = lambda e_: e_.xreplace({q: vals[q.name] if q.name != "d" else dv for q in e_.free_symbols})  # noqa: E731
        m1, m2 = (sp.N(sub(m_), 30) for m_ in mus)
        v1, v2 = (sp.N(sub(v_), 30) for v_ in vs)
        if not all(x_.is_real for x_ in (m1, m2, v1, v2)) or v1 <= 0 or v2 <= 0:
            return None
        ref = (dv * sp.log(v2 / v1) - dv + dv * v1 / v2 + (m2 - m1) ** 2 / v2) / 2
        got = sp.N(sub(p_r.sides[1]).xreplace({d: dv}), 30)
        if not got.is_real:
            return None
        if abs(got - ref) > 1e-12 * (1 + abs(ref)):
            differs += 1
    claim = "the KL divergence between two Gaussians"
    if differs == 0:
        return Verdict(eq, "exact", f"equal to ½[log(|Σ₂|/|Σ₁|) − d + tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀΣ₂⁻¹(μ₂ − μ₁)] for isotropic "
                       f"covariances at random values ({SOURCE})", claim=claim)
    return Verdict(eq, "inconsistent", f"differs from ½[log(|Σ₂|/|Σ₁|) − d + tr(Σ₂⁻¹Σ₁) + (μ₂ − μ₁)ᵀΣ₂⁻¹(μ₂ − μ₁)] for "
                   f"isotropic covariances ({SOURCE})", claim=claim, terms=["rhs"])
