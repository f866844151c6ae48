"""Likelihood by the instantaneous change of variables, read from the forms papers write:

* ``d log p(z(t))/dt = −tr(∂f/∂z(t))`` (Chen et al. 2018, Thm. 1), with ``∂`` or ``d``, ``\\operatorname{tr}``,
  ``\\mathrm{Tr}`` or the divergence ``∇·f`` (Song et al. 2021, Eq. 39 and App. D.2);
* the Skilling–Hutchinson estimator ``∇·f(x) = E_{p(ε)}[εᵀ ∇f(x) ε]`` for probes with E[ε εᵀ] = I
  (Hutchinson 1989; Grathwohl et al. 2019; Song et al. 2021, App. D.2).

The divergence and the Hutchinson expectation of one drift f become placeholder symbols; the rest is read as
usual, so ``−tr(J)`` vs ``tr(J)`` or ``½ E[εᵀJε]`` are compared as the coefficients they are.
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .objective_reader import ObjectiveError, Piece, norm_name, read_piece
from .objective_text import clean, group_at, matching, split_top
from .verdict import Verdict

__all__ = ["judge_likelihood"]

_D = r"(?:\\partial|d)"
_DLOGP = re.compile(r"^\s*\\frac\s*\{\s*" + _D + r"\s*\\log\s*(?P<dens>.+?)\s*\}\s*\{\s*" + _D + r"\s*t\s*\}\s*$")
_TRACE = re.compile(r"\\(?:operatorname|mathrm|text)\s*\{\s*(?:tr|Tr|trace)\s*\}|\\(?:tr|Tr|trace)(?![a-zA-Z])")
_JAC = re.compile(r"^\s*\\frac\s*\{\s*" + _D + r"\s*(?P<f>.+?)\s*\}\s*\{\s*" + _D + r"\s*(?P<x>.+?)\s*\}\s*$")
_EXPECT = re.compile(r"\\mathbb\s*\{?\s*E\s*\}?")
#: div f written as an operator (Song et al. 2021, App. D.2 write \operatorname{div}): the same as ∇·f
_DIV = re.compile(r"\\(?:operatorname|mathrm|text)\s*\{\s*div\s*\}\s*")
SOURCE_CHEN = "Chen et al. 2018 (Neural ODEs), Thm. 1; Song et al. 2021, Eq. 39"
SOURCE_HUTCH = "Hutchinson 1989; Grathwohl et al. 2019 (FFJORD); Song et al. 2021, App. D.2"


def _fname(text: str) -> str:
    return norm_name(text).replace("(x(k),k)", "(x,k)")


def _divergences(s: str, pc: Piece) -> Optional[str]:
    """Replace tr(∂f/∂x), ∇·f and E[εᵀ J ε] by placeholders ``\\Omega_{phN}`` (None: an unreadable piece)."""
    out, i = [], 0
    while i < len(s):
        m = _TRACE.match(s, i)
        if m:
            j = m.end()
            while j < len(s) and s[j] == " ":
                j += 1
            if j >= len(s) or s[j] != "(":
                return None
            k = matching(s, j)
            jac = _JAC.match(s[j + 1:k]) if k is not None else None
            if jac is None or not re.match(r"^(?:x|z)", norm_name(jac.group("x"))):
                return None
            out.append(_holder(pc, "div[" + _fname(jac.group("f")) + "]"))
            i = k + 1
            continue
        m = re.compile(r"\\nabla\s*·\s*").match(s, i)
        if m:
            g = re.compile(r"(?:\\tilde\s*\{?\s*[fvh]\s*\}?|[fvh])(?:\s*_\s*(?:\{[^{}]*\}|\\[a-zA-Z]+|[a-zA-Z]))?\s*").match(s, m.end())
            if g is None:
                return None
            end = g.end()
            if end < len(s) and s[end] == "(":
                k = matching(s, end)
                if k is None:
                    return None
                end = k + 1
            out.append(_holder(pc, "div[" + _fname(s[g.start():end]) + "]"))
            i = end
            continue
        m = _EXPECT.match(s, i)
        if m:
            got = _hutchinson(s, m.end(), pc)
            if got is None:
                return None
            txt, i = got
            out.append(txt)
            continue
        out.append(s[i])
        i += 1
    return "".join(out)


def _hutchinson(s: str, i: int, pc: Piece):
    sub = ""
    j = i
    while j < len(s) and s[j] == " ":
        j += 1
    if j < len(s) and s[j] == "_":
        g = group_at(s, j + 1)
        if g is None:
            return None
        sub, j = s[g[0]:g[1]].strip("{}"), g[1]
    while j < len(s) and s[j] == " ":
        j += 1
    if j >= len(s) or s[j] != "[":
        return None
    k = matching(s, j)
    if k is None:
        return None
    if r"\sim" in sub and not re.search(r"N\s*\}?\s*\(\s*0\s*,\s*I\s*\)|Rademacher", sub):
        return None  # probes whose covariance is not the identity: E[εᵀJε] is not tr J
    m = re.fullmatch(r"\s*(?P<v>\\(?:var)?epsilon|v|z|ε)\s*\^\s*\{?\s*⊤\s*\}?\s*(?P<J>.+?)\s*(?P=v)\s*", s[j + 1:k])
    if m is None:
        return None
    jt = m.group("J").strip()
    if jt.startswith("(") and matching(jt, 0) == len(jt) - 1:
        jt = jt[1:-1].strip()
    if jt.startswith(r"\nabla"):
        f = re.sub(r"^\\nabla\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z]))?", "", jt)
    else:
        jac = _JAC.match(jt)
        if jac is None:
            return None
        f = jac.group("f")
    return _holder(pc, "hutch[" + _fname(f) + "]"), k + 1


def _drift(name: str) -> str:
    """The drift a div[…]/hutch[…] symbol is of, without its arguments (∇·f(x) and ∂f/∂x are of one f)."""
    return re.sub(r"\(.*\)\]$", "]", name.split("[", 1)[1])


#: a density with a time subscript (p_0, p_T, p_t, p_{0t}): the marginals of a diffusion (Song et al. 2021, Sec. 2)
_MARGINAL = re.compile(r"\\log\s*p\s*_")


def _sde_drift_slip(div_name: str, density: str) -> bool:
    """Whether the field whose divergence is taken is the forward SDE's drift f(x, t) in a diffusion's likelihood.

    In Song et al. 2021's notation (Eq. 5, the registry's vocabulary) f(x, t) is the drift of dx = f dt + g dw, whose
    marginals p_t change by the diffusion too (the Fokker–Planck equation); the change of variables of Eq. 39 holds for
    the probability-flow ODE's drift f̃ = f − ½g²∇log p_t (Eq. 13). A plain f applied to the state x, in a formula whose
    densities are the time-indexed marginals p_0, p_T, is therefore that slip. Chen et al. 2018 (Thm. 1, Eq. 4) write
    the ODE's own field f with z and an unindexed p(z(t)): left as written."""
    return _drift(div_name) == "f]" and div_name.startswith("div[f(x") and bool(_MARGINAL.search(density))


def _slip_verdict(text: str, claim: str, target: str, src: str) -> Verdict:
    v = Verdict(text, "inconsistent", "f(x, t) is the SDE's drift (Song et al. 2021, Eq. 5); the change of variables "
                f"holds for the probability-flow ODE's drift f̃ = f − ½g²∇log p_t (Eq. 13) ({src})", claim=claim,
                target=target, terms=["rhs"])
    v.reading, v.reading_verdict = "f read as the probability-flow drift f̃", "exact"
    return v


def _holder(pc: Piece, name: str) -> str:
    key = f"ph{len(pc.holders)}"
    pc.holders[key] = pc.sym(name, "target")
    return r" \Omega_{" + key + "} "


def judge_likelihood(text: str) -> Optional[Verdict]:
    """The verdict of a change-of-variables or Hutchinson formula, or None when it is neither."""
    if not re.search(r"\\(?:operatorname|mathrm|text)\s*\{\s*(?:tr|Tr|div)|\\nabla\s*\\cdot|\\tr(?![a-z])", text):
        return None
    s = _DIV.sub(r"\\nabla· ", clean(text))
    sides = split_top(s, ("=",))
    if len(sides) != 2:
        return None
    pc = Piece()
    m = _DLOGP.match(sides[0])
    try:
        if m is not None:
            rhs_t = _divergences(sides[1], pc)
            if rhs_t is None:
                return None
            rhs = read_piece(rhs_t, pc)
            divs = [q for q in rhs.free_symbols if q.name.startswith("div[")]
            if len(divs) != 1 or rhs.free_symbols - set(divs):
                return None
            k = sp.simplify(rhs / divs[0])
            claim = "instantaneous change of variables d log p/dt"
            if k == -1 and _sde_drift_slip(divs[0].name, sides[0]):
                return _slip_verdict(text, claim, "likelihood.instantaneous", SOURCE_CHEN)
            if k == -1:
                return Verdict(text, "exact", f"d log p(x(t))/dt = −∇·f = −tr(∂f/∂x) ({SOURCE_CHEN})", claim=claim,
                               target="likelihood.instantaneous")
            return Verdict(text, "inconsistent", f"expected −tr(∂f/∂x), found {sp.sstr(k)}·tr(∂f/∂x) ({SOURCE_CHEN})",
                           claim=claim, target="likelihood.instantaneous", terms=["rhs"])
        got = _integrated(text, sides, pc)
        if got is not None:
            return got
        lt, rt = _divergences(sides[0], pc), _divergences(sides[1], pc)
        if lt is None or rt is None:
            return None
        lhs, rhs = read_piece(lt, pc), read_piece(rt, pc)
    except ObjectiveError:
        return None
    if not (isinstance(lhs, sp.Symbol) and lhs.name.startswith("div[")):
        return None
    hut = [q for q in rhs.free_symbols if q.name.startswith(("hutch[", "div["))]
    if len(hut) != 1 or rhs.free_symbols - set(hut) or _drift(hut[0].name) != _drift(lhs.name):
        return None
    k = sp.simplify(rhs / hut[0])
    claim = "the divergence as a Hutchinson expectation" if hut[0].name.startswith("hutch[") else "the divergence as a trace"
    if k == 1:
        return Verdict(text, "exact", f"∇·f = tr(∂f/∂x) = E[εᵀ(∂f/∂x)ε] for probes with E[εεᵀ] = I ({SOURCE_HUTCH})", claim=claim,
                       target="likelihood.hutchinson")
    return Verdict(text, "inconsistent", f"expected E[εᵀ(∂f/∂x)ε], found {sp.sstr(k)}·E[εᵀ(∂f/∂x)ε] ({SOURCE_HUTCH})", claim=claim,
                   target="likelihood.hutchinson", terms=["rhs"])


_LOGP_AT = re.compile(r"^\s*\\log\s*(?:p|q)\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?\s*\(\s*(?:x|z)\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?\s*\((?P<t>[^()]*)\)\s*\)\s*$")
_INT = re.compile(r"\\int\s*_\s*(?P<lo>\{[^{}]*\}|[a-zA-Z0-9])\s*\^\s*(?P<hi>\{[^{}]*\}|[a-zA-Z0-9])")


def _integrated(text: str, sides, pc: Piece) -> Optional[Verdict]:
    """log p(x(a)) = log p(x(b)) + c ∫_lo^hi ∇·f dt: d log p/dt = −∇·f gives c = −1 for ∫_b^a and c = +1 for ∫_a^b
    (Chen et al. 2018, Eq. 4 / FFJORD Eq. 3; Song et al. 2021, Eq. 39 with a = 0, b = T)."""
    m = _LOGP_AT.match(sides[0])
    if m is None:
        return None
    a = norm_name(m.group("t"))
    rest = sides[1]
    j = rest.find(r"\int")
    if rest.find(r"\log") < 0 or j < 0:
        return None
    # the log-density term: up to the sign in front of the integral
    head = rest[:j].rstrip()
    sign = -1 if head.endswith("-") else 1
    head = head.rstrip("+- ")
    mb = _LOGP_AT.match(head)
    mi = _INT.match(rest, j)
    if mb is None or mi is None:
        return None
    b = norm_name(mb.group("t"))
    lo, hi = norm_name(mi.group("lo").strip("{}")), norm_name(mi.group("hi").strip("{}"))
    body = rest[mi.end():]
    mdt = re.search(r"(?:^|\s|(?<=[)\]}]))d\s*t\s*$", body)
    if mdt is None:
        return None
    body_t = _divergences(body[:mdt.start()], pc)
    if body_t is None:
        return None
    try:
        expr = read_piece(body_t, pc)
    except ObjectiveError:
        return None
    divs = [q for q in expr.free_symbols if q.name.startswith("div[")]
    if len(divs) != 1 or expr.free_symbols - set(divs):
        return None
    c = sp.simplify(sign * expr / divs[0])
    if (lo, hi) == (b, a):
        want = -1
    elif (lo, hi) == (a, b):
        want = 1
    else:
        return None
    claim = "log-likelihood by the integrated change of variables"
    src = "Chen et al. 2018 (Neural ODEs), Eq. 4; Song et al. 2021, Eq. 39"
    if c == want and _sde_drift_slip(divs[0].name, sides[0] + " " + head):
        return _slip_verdict(text, claim, "likelihood.change_of_variables", src)
    if c == want:
        return Verdict(text, "exact", f"log p(x({a})) = log p(x({b})) {'+' if want > 0 else '−'} ∫_{lo}^{hi} ∇·f dt ({src})",
                       claim=claim, target="likelihood.change_of_variables")
    return Verdict(text, "inconsistent", f"the integral of ∇·f: expected the factor {want}, found {sp.sstr(c)} ({src})",
                   claim=claim, target="likelihood.change_of_variables", terms=["rhs"])
