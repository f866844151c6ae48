"""The predicted data x̂_0 defined in one row of a cell and used by the update of the next (DDIM, Song, Meng & Ermon
2021, Eq. 12 written as "x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t; x_{t−1} = √ᾱ_{t−1} x̂_0 + …"; Ho et al. 2020, Eq. 15).

The update alone has no state on its right (x̂_0 is not one), so it cannot be read; with the row's definition
written in, it is the update the cell states. The definition row itself is still judged on its own.
"""
from __future__ import annotations

import re
from typing import List, Optional

from .param_errors import matching_paren as _match

__all__ = ["with_x0_defined", "with_x0_predicted", "x0_terms", "with_x0_read"]

_X0 = r"\\hat\s*\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*\}?\s*_\s*(?:\{\s*0\s*\}|0)(?:\s*\^\s*\{?\s*\(?\s*t\s*\)?\s*\}?)?"
_DEF = re.compile(r"^\s*" + _X0 + r"\s*(?::=|=)(?!=)\s*(?P<body>[^=]+)$")
_USE = re.compile(_X0 + r"(?!\s*(?:\(|_|=))")


def with_x0_defined(eq: str, eqs: List[str]) -> Optional[str]:
    """``eq`` with x̂_0 replaced by the one definition of it among the cell's other equations, or None."""
    if "=" not in eq or _DEF.match(eq):
        return None
    bodies = [m.group("body").strip() for e in eqs if e != eq and (m := _DEF.match(e))]
    lhs, _, rhs = eq.partition("=")
    if len(bodies) != 1 or not _USE.search(rhs):
        return None
    return lhs + "= " + _USE.sub(lambda _m: r"\left(" + bodies[0] + r"\right)", rhs)


#: the network's noise prediction at the current state, ε_θ(x_t, t), ε̂_θ(x_t), \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)
_EPS = re.compile(r"(?:\\hat\s*\{?\s*)?(?:\\(?:boldsymbol|mathbf|bm)\s*\{?\s*)?\\epsilon\s*\}?\s*\}?\s*_\s*\{?\s*\\theta\s*\}?"
                  r"\s*(?:\\left\s*)?\(")
_STATE = re.compile(r"^\s*(?P<x>(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*_\s*(?P<t>\{\s*[a-z]\s*\}|[a-z]))\s*(?:,|$)")
PREDICTED_NOTE = ("x̂_0 read as DDIM's \"predicted x_0\" from the noise prediction of the same update, (x_t − √(1 − ᾱ_t) "
                  "ε_θ(x_t, t))/√ᾱ_t (Song, Meng & Ermon 2021, Eq. 12; Ho et al. 2020, Eq. 15)")


def with_x0_predicted(eq: str) -> Optional[str]:
    """``eq`` with x̂_0 replaced by the data that the update's own noise prediction ε_θ(x_t, t) predicts (DDIM Eq. 12's
    "predicted x_0"), where the cell does not define it; only in DDPM's ᾱ notation and with one ε_θ at one state."""
    if "=" not in eq or _DEF.match(eq) or r"\bar" not in eq:
        return None
    lhs, _, rhs = eq.partition("=")
    if not _USE.search(rhs):
        return None
    calls = set()
    for m in _EPS.finditer(rhs):
        j = m.end() - 1
        k = _match(rhs, j)
        if k is not None:
            calls.add((rhs[m.start():k + 1], rhs[j + 1:k]))
    if len({re.sub(r"\s|\\[,;!]|\\left|\\right", "", c[0]).replace(r"\hat{", "").replace(r"\hat", "").replace("}", "")
            for c in calls}) != 1:
        return None
    call, args = sorted(calls)[0]
    st = _STATE.match(args.replace(r"\right", ""))
    if st is None:
        return None
    x, t = st.group("x"), st.group("t").strip("{} ")
    pred = r"\frac{%s - \sqrt{1 - \bar{\alpha}_{%s}}\,%s}{\sqrt{\bar{\alpha}_{%s}}}" % (x, t, call, t)
    return lhs + "= " + _USE.sub(lambda _m: r"\left(" + pred + r"\right)", rhs)


def x0_terms(eq: str, terms: List[str], judge) -> List[str]:
    """The pieces of a verdict on the update rewritten with the predicted x̂_0, named in the written basis (x̂_0, ε_θ):
    x_t enters that rewriting only through x̂_0, so a wrong coefficient of x_t is a wrong coefficient of x̂_0. Where the
    ε_θ coefficient is reported too, it may only carry x̂_0's error: the update is read once more with ε_θ written as
    the noise (x_t − √ᾱ_t x_0)/√(1 − ᾱ_t) that x_0 = x̂_0 implies (DDIM's q_σ(x_{t−1} | x_t, x_0), Eq. 7), where x_t
    enters only through ε_θ: its x_t coefficient is wrong exactly when the written ε_θ coefficient is. ``judge`` is the
    verifier's judge of one equation."""
    rest = _USE.sub(" ", eq.partition("=")[2])
    for m in list(_EPS.finditer(rest))[::-1]:  # the network's arguments are not a term of the update
        k = _match(rest, m.end() - 1)
        if k is not None:
            rest = rest[:m.start()] + " " + rest[k + 1:]
    if "mean.x" not in terms or re.search(r"(?<![a-zA-Z\\])x\s*\}?\s*_", rest):
        return list(terms)  # x_t written on the right beside x̂_0: its coefficient is its own
    out = ["mean.x0" if t_ == "mean.x" else t_ for t_ in terms]
    if "mean.x" in terms and "mean.eps" in terms:
        noise = _as_noise(eq)
        if noise is not None:
            nv = judge(noise)
            if nv.verdict in ("exact", "consistent", "inconsistent") and "mean.x" not in (nv.terms or []):
                out = [t_ for t_ in out if t_ != "mean.eps"]
    return list(dict.fromkeys(out))


def _as_noise(eq: str) -> Optional[str]:
    """``eq`` with x̂_0 as the data x_0 and its ε_θ(x_t, t) as the noise that x_0 implies (x_0_terms), or None."""
    if re.search(r"(?<![a-zA-Z\\])x\s*_\s*\{?\s*0", re.sub(_X0, "", eq)):
        return None  # the data is written beside x̂_0: not this rewriting
    pred = with_x0_predicted(eq)
    if pred is None:
        return None
    lhs, _, rhs = eq.partition("=")
    calls = [m for m in _EPS.finditer(rhs)]
    j = calls[0].end() - 1
    k = _match(rhs, j)
    st = _STATE.match(rhs[j + 1:k].replace(r"\right", "")) if k is not None else None
    if st is None:
        return None
    x, t = st.group("x"), st.group("t").strip("{} ")
    noise = r"\left(\frac{%s - \sqrt{\bar{\alpha}_{%s}}\,x_0}{\sqrt{1 - \bar{\alpha}_{%s}}}\right)" % (x, t, t)
    call = rhs[calls[0].start():k + 1]
    return lhs + "= " + _USE.sub("x_0", rhs.replace(call, noise))


def with_x0_read(eq: str, eqs: List[str], v, judge):
    """The verdict ``v`` of an update with x̂_0 on its right, judged again with x̂_0 as the cell defines it (another row)
    or, with no definition, as DDIM's predicted x_0 of the update's own ε_θ; a wrong update's pieces named in the
    written basis (x0_terms). ``judge`` is the verifier's judge of one equation."""
    if v.verdict == "unparsed" and "without any state" in v.detail:
        x0_eq = with_x0_defined(eq, eqs)
        if x0_eq is not None:
            v = judge(x0_eq)
            v.notes.append("x̂_0 as the cell defines it, substituted into this update")
        elif (x0_eq := with_x0_predicted(eq)) is not None:
            v = judge(x0_eq)
            v.latex, v.notes = eq, [PREDICTED_NOTE] + list(v.notes)
    if v.verdict == "inconsistent" and "mean.x" in (v.terms or []) and with_x0_predicted(eq):
        v.terms = x0_terms(eq, v.terms, judge)
    return v
