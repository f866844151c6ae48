"""The log-density of a written Gaussian: log N(v; m, c I) = −(d/2) log(2πc) − ‖v − m‖²/(2c).

Papers and tutorials write the prior's log-density with the Gaussian itself on the left (Song's score_sde Colab,
``prior_likelihood(z, sigma)``: log N(z; 0, σ²I) = −(N/2) log(2πσ²) − ‖z‖²/(2σ²); sde_lib's ``prior_logp``; Bishop &
Bishop 2024, Eq. 2.49 in d dimensions). The left side states the density completely, so the formula is an identity that
follows from the density alone, whatever the symbols: the right side must be the log of the isotropic Gaussian
N(v; m, c I) in d dimensions, d being the one dimension symbol written (N, D, d, n; none: d = 1).

Rule: both sides evaluated at random values, the vector v − m read through its squared norm (‖v − m‖², (v − m)ᵀ(v − m)
and (v − m)² are the same scalar); equal -> ``exact``, else ``inconsistent`` (term ``rhs``). A right side with a symbol
the Gaussian does not name (other than the dimension), a determinant or a sum over components is not judged here.
"""
from __future__ import annotations

import random
import re
from typing import Optional

import sympy as sp

from .atoms import ParseError
from .param_errors import matching_paren as _match
from .verdict import Verdict

__all__ = ["judge_gauss_logpdf"]

SOURCE = "the log-density of N(v; m, cI) in d dimensions (score_sde's prior_logp; Bishop & Bishop 2024, Eq. 2.49)"
_LOGN = re.compile(r"^\s*(?:\\left\s*)?\\(?:log|ln)\s*(?:\\left\s*)?(?:\\mathcal\s*\{\s*N\s*\}|\\mathcal\s+N|N)\s*(?:\\left\s*)?\(")
_NORM = re.compile(r"\\left\s*\\\||\\right\s*\\\||\\left\s*\\lVert|\\right\s*\\rVert|\\lVert|\\rVert|\\\||‖|\|\|")
_DIMS = ("N", "D", "d", "n")


def _strip(s: str) -> str:
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{([^{}]*)\}", r" \1 ", s)  # (spaced: \tau\mathbf{I} is τ I)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*(\\[a-zA-Z]+)", r" \1 ", s)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s+([a-zA-Z])", r" \1 ", s)
    return re.sub(r"\\[,;:!](?![a-zA-Z])|\\q?quad(?![a-zA-Z])", " ", s)


def _norms_as_parens(s: str) -> Optional[str]:
    """‖e‖, ‖e‖_2 -> (e): the squared norm of a vector, read through one scalar component (module docstring)."""
    marks = list(_NORM.finditer(s))
    if len(marks) % 2:
        return None
    out, last = [], 0
    for k, m in enumerate(marks):
        out.append(s[last:m.start()])
        out.append("(" if k % 2 == 0 else ")")
        last = m.end()
        if k % 2:
            sub = re.match(r"\s*_\s*(?:\{\s*2\s*\}|2)", s[last:])
            if sub:
                last += sub.end()
    out.append(s[last:])
    s = "".join(out)
    # (v − m)ᵀ(v − m): a transpose of a vector in a quadratic form is the squared norm
    return re.sub(r"\^\s*(?:\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{T\}|\\mathrm\s*\{T\})\s*\}|T(?![a-zA-Z])|\\top|\\intercal)", "", s)


def judge_gauss_logpdf(eq: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for log N(v; m, cI) = … (module docstring), or None when it is not that form."""
    from .normalize import normalize_latex
    from .objective_text import split_top
    from .parse import parse

    if "log" not in eq or "N" not in eq:
        return None
    s = _strip(eq)
    sides = split_top(s, ("=",))
    if len(sides) != 2:
        return None
    m = _LOGN.match(sides[0])
    if m is None:
        return None
    k = _match(sides[0], m.end() - 1)
    if k is None or sides[0][k + 1:].replace(r"\right", "").strip().strip(")").strip():
        return None
    args = sides[0][m.end():k].replace(r"\right", "")
    var, sep, rest = args.partition(";")
    for bar in (r"\mid", "|"):  # N(x | μ, Σ) (Bishop & Bishop's conditioning bar)
        if not sep:
            var, sep, rest = args.partition(bar)
    if not sep:
        return None
    parts = [a.strip() for a in re.split(r",(?![^(){}]*[)}])", rest)]
    if len(parts) != 2 or not all(parts) or not var.strip():
        return None
    if re.search(r"\\det|\\sum|\\prod|\\operatorname|\\mathrm\s*\{\s*(?:tr|det)", sides[1]):
        return None
    rhs = _norms_as_parens(sides[1])
    if rhs is None:
        return None
    try:
        v, mean, cov = (sp.sympify(parse(normalize_latex(f"y_{{hold}} = {t_}")).sides[1])
                        for t_ in (var.strip(), parts[0], parts[1]))
        p_r = parse(normalize_latex("y_{hold} = " + rhs))
    except (ParseError, ValueError, TypeError, IndexError, AttributeError):
        return None
    if len(p_r.sides) != 2:
        return None
    got = p_r.sides[1]
    cov = sp.sympify(cov.xreplace({q: sp.Integer(1) for q in cov.free_symbols if re.fullmatch(r"I(_.*)?", q.name)}))  # cI: c
    known = {q.name: q for e_ in (v, mean, cov) for q in e_.free_symbols}
    extra = {q.name for q in got.free_symbols} - set(known)
    dims = extra & set(_DIMS)
    if extra - dims or len(dims) > 1 or not known or got.has(sp.Function) and any(
            f.func.__name__ not in ("log", "exp", "sqrt", "Abs") for f in got.atoms(sp.Function)):
        return None
    dname = next(iter(dims)) if dims else None
    rng = random.Random(13)
    differs = 0
    for _ in range(4):
        vals = {name: rng.uniform(0.3, 2.0) for name in known}
        dv = rng.choice([2, 3, 5]) if dname else 1
        sub = lambda e_: e_.xreplace({q: (dv if q.name == dname else vals[q.name]) for q in e_.free_symbols})  # noqa: E731
        vv, mv, cv = (sp.N(sub(e_), 30) for e_ in (v, mean, cov))
        if not all(x_.is_real for x_ in (vv, mv, cv)) or cv <= 0:
            return None
        ref = -sp.Rational(dv, 2) * sp.log(2 * sp.pi * cv) - (vv - mv) ** 2 / (2 * cv)
        gv = sp.N(sub(got), 30)
        if not gv.is_real:
            return None
        if abs(gv - ref) > 1e-12 * (1 + abs(ref)):
            differs += 1
    claim = "the log-density of a Gaussian written on the left"
    want = f"−({dname or 1}/2) log(2πc) − ‖v − m‖²/(2c)"
    if differs == 0 and dname is None and _NORM.search(sides[1]):
        # a norm says the variable is a vector, yet no dimension is written: right in one dimension only
        return Verdict(eq, "consistent", f"equal to {want} in one dimension; a vector in d dimensions has −(d/2) log(2πc) "
                       f"({SOURCE})", claim=claim)
    if differs == 0:
        return Verdict(eq, "exact", f"equal to {want} for N(v; m, cI) at random values ({SOURCE})", claim=claim)
    return Verdict(eq, "inconsistent", f"differs from {want} for N(v; m, cI) ({SOURCE})", claim=claim, terms=["rhs"])


_STATE_T = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*[a-z]\s*\}|[a-z])"
#: the density at the end of the process: p_T(z), π(z), or p of the state at T (p(x_T), p(x(T)))
_PRIOR_LHS = re.compile(r"^\s*\\log\s*(?:(?:p\s*_\s*(?:\{\s*T\s*\}|T)|\\pi)\s*(?:\\left\s*)?\(\s*(?P<v>" + _STATE_T
                        + r"(?:\s*_\s*(?:\{\s*T\s*\}|T))?|" + _STATE_T + r"\s*\(\s*T\s*\))|p\s*(?:\\left\s*)?\(\s*(?P<w>"
                        + _STATE_T + r"\s*_\s*(?:\{\s*T\s*\}|T)|" + _STATE_T + r"\s*\(\s*T\s*\)))\s*(?:\\right\s*)?\)\s*=")
_STD = re.compile(r"^σ(_\{?(?:T|\\max|max)\}?)?$")


def prior_with_std(v: Verdict) -> Verdict:
    """A prior log-density log p_T(z) = −(d/2) log(2πσ²) − ‖z‖²/(2σ²) written with the prior's std as a bare σ (Song's
    score_sde Colab, ``prior_likelihood(z, sigma)`` with sigma = σ(T); sde_lib's VESDE.prior_logp with σ_max): judged
    against the VP prior (σ = 1) the registry's reading calls it wrong; it is the log-density of N(z; 0, σ²I), checked as
    such (judge_gauss_logpdf). Only for an ``inconsistent`` verdict on a registry prior and a σ with no time index."""
    if v.verdict != "inconsistent" or not ((v.target or "").startswith("prior.") or v.target == "likelihood.change_of_variables"):
        return v
    m = _PRIOR_LHS.match(v.latex)
    if m is None:
        return v
    rhs = v.latex[m.end():]
    if re.search(r"\\int|\\nabla|\\operatorname|\\mathrm\s*\{\s*(?:tr|div)", rhs):
        return v  # an integral of a divergence: the change of variables, as the registry reads it
    stds = {re.sub(r"\s", "", s_) for s_ in
            re.findall(r"\\sigma(?:\s*_\s*(?:\{\s*(?:T|\\max)\s*\}|T|\\max))?(?![a-zA-Z_])", rhs)}
    if len(stds) > 1 or not stds and (v.target or "").startswith("prior."):
        return v  # (σ-free: the VP prior, as the registry judged it)
    cov = "{%s}^2 I" % next(iter(stds)) if stds else "I"
    got = judge_gauss_logpdf(r"\log\mathcal{N}(%s; 0, %s) = %s" % (m.group("v") or m.group("w"), cov, rhs))
    if got is not None and got.verdict == "inconsistent" and v.target == "likelihood.change_of_variables":
        # a density at T written as a Gaussian's: a prior, wrong as that Gaussian (not a change of variables)
        return Verdict(v.latex, "inconsistent", f"as the prior's log-density: {got.detail}", claim="prior log-density",
                       target="prior.ve.logp" if stds else "prior.vp.logp", terms=["rhs"], notes=list(v.notes))
    if got is None or got.verdict != "exact":
        return v
    return Verdict(v.latex, "exact", f"the prior log-density log N(z; 0, σ²I) with σ the prior's std: {got.detail}",
                   claim="prior log-density N(0, σ² I)", target="prior.ve.logp" if stds else "prior.vp.logp",
                   notes=list(v.notes) + [f"σ read as the prior's standard deviation σ(T) (Song's score_sde Colab, "
                                          f"prior_likelihood(z, sigma); the VP prior has σ = 1): {v.detail}"])
