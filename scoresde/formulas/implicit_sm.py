"""Hyvärinen's implicit score matching objective, read in its vector and its component forms:

    J(θ) = E_{p(x)}[ tr(∇_x ψ(x; θ)) + ½ ‖ψ(x; θ)‖² ] (+ const)
         = ∫ p_x(ξ) Σ_i [ ∂_i ψ_i(ξ; θ) + ½ ψ_i(ξ; θ)² ] dξ (+ const)

(Hyvärinen 2005, Thm. 1, Eq. 3-4; Song & Ermon 2019, Eq. 1, second form). Σ_i ∂_i ψ_i = tr(∇ψ) = ∇·ψ and
Σ_i ψ_i² = ‖ψ‖², and ∫ p(ξ) (…) dξ is the expectation under p. The divergence and the squared norm of the one model
become placeholder symbols, so only their ratio is judged: ½ (an overall positive factor changes no minimiser).
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

import sympy as sp

from .objective_reader import ObjectiveError, Piece, read_piece
from .objective_text import NORM, clean, group_at, matching, split_top
from .verdict import Verdict

__all__ = ["judge_implicit_sm"]

SOURCE = "Hyvärinen 2005, Thm. 1 (Eq. 3-4); Song & Ermon 2019, Eq. 1"
_NAME = r"(?P<f>\\[a-zA-Z]+|[a-zA-Z])\s*(?:_\s*(?P<sub>\{[^{}]*\}|\\?[a-zA-Z0-9]+))?"
_CONST = re.compile(r"\s*\+\s*(?:\\(?:text|mathrm|rm)\s*\{\s*const\.?\s*\}|const|C)\s*\.?\s*$")
_EXPECT = re.compile(r"^\s*\\mathbb\s*\{?\s*E\s*\}?\s*")
_INT = re.compile(r"^\s*\\int\s*(?:_\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+))?\s*(?:\^\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+))?\s*"
                  r"p\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z]))?\s*\(\s*(?P<v>\\?[a-zA-Z]+)\s*\)\s*(?P<body>.*?)\s*d\s*(?P=v)\s*$")
_SUM = re.compile(r"^\s*\\sum\s*_\s*\{\s*(?P<i>[a-z])\s*=\s*1\s*\}\s*(?:\^\s*(?:\{[^{}]*\}|[a-zA-Z]))?\s*(?=\[)")
_TRACE = re.compile(r"\\(?:operatorname|mathrm|text)\s*\{\s*(?:tr|Tr|trace)\s*\}\s*(?=\()|\\tr(?![a-zA-Z])\s*(?=\()")


def _call(s: str, i: int) -> Optional[Tuple[str, int]]:
    """The model called at s[i] (its name without the component index) and the end of the call, or None."""
    m = re.compile(_NAME).match(s, i)
    if m is None:
        return None
    sub = (m.group("sub") or "").strip("{} ")
    name = m.group("f") + ("" if len(sub) == 1 and sub.islower() and sub not in "θφψ" else "_" + sub)  # ψ_i: component i
    j = m.end()
    while j < len(s) and s[j] == " ":
        j += 1
    if j < len(s) and s[j] == "(":
        k = matching(s, j)
        if k is None:
            return None
        j = k + 1
    return name, j


def _holders(body: str, component: Optional[str], pc: Piece) -> Optional[str]:
    out, i, models = [], 0, set()
    div_at = re.compile(r"\\partial\s*_\s*\{?\s*" + component + r"\s*\}?\s*" if component else
                        r"\\nabla\s*(?:_\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+))?\s*·\s*")
    while i < len(body):
        m = div_at.match(body, i)
        if m is None and not component:
            t = _TRACE.match(body, i)
            if t is not None:
                k = matching(body, t.end())
                inner = re.match(r"^\s*\\nabla\s*(?:_\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+))?\s*(.*?)\s*$", body[t.end() + 1:k] if k else "")
                got = _call(inner.group(1), 0) if inner else None
                if got is None or got[1] != len(inner.group(1)):
                    return None
                models.add(got[0])
                out.append(_holder(pc, "div"))
                i = k + 1
                continue
        if m is not None:
            got = _call(body, m.end())
            if got is None:
                return None
            models.add(got[0])
            out.append(_holder(pc, "div"))
            i = got[1]
            continue
        if not component and body[i] == NORM:
            k = body.find(NORM, i + 1)
            got = _call(body[i + 1:k].strip(), 0) if k > 0 else None
            sq = re.compile(r"\s*(?:_\s*\{?\s*2\s*\}?\s*)?\^\s*\{?\s*2\s*\}?").match(body, k + 1) if got else None
            if got is None or got[1] != len(body[i + 1:k].strip()) or sq is None:
                return None
            models.add(got[0])
            out.append(_holder(pc, "sq"))
            i = sq.end()
            continue
        if component and (got := _call(body, i)) is not None and body[i] in "\\ψs":
            sq = re.compile(r"\s*\^\s*\{?\s*2\s*\}?").match(body, got[1])
            if sq is not None and got[0] not in (r"\frac",):
                models.add(got[0])
                out.append(_holder(pc, "sq"))
                i = sq.end()
                continue
        out.append(body[i])
        i += 1
    return "".join(out) if len(models) == 1 else None


def _holder(pc: Piece, name: str) -> str:
    key = f"ph{len(pc.holders)}"
    pc.holders[key] = pc.sym(name, "target")
    return r" \Omega_{" + key + "} "


def _bracket(s: str) -> Optional[str]:
    s = s.strip()
    if s.startswith("[") and matching(s, 0) == len(s) - 1:
        return s[1:-1]
    return None


def judge_implicit_sm(text: str) -> Optional[Verdict]:
    """The verdict of an implicit score matching objective, or None when the text is not one."""
    if not re.search(r"\\partial\s*_|\\(?:operatorname|mathrm|text)\s*\{\s*(?:tr|Tr|trace)|\\tr(?![a-zA-Z])|\\nabla\s*(?:_\S+\s*)?\\cdot", text):
        return None
    # ∇_x·ψ: the divergence, whatever the subscript (clean reads a \\cdot after a subscript as a product)
    sides = split_top(clean(re.sub(r"\\nabla\s*_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?[a-zA-Z]+)\s*\\cdot", r"\\nabla\\cdot", text)), ("=",))
    if len(sides) not in (1, 2):
        return None
    rhs = _CONST.sub("", sides[-1])
    m = _EXPECT.match(rhs)
    if m is not None:
        j = m.end()
        if rhs[j:j + 1] == "_":
            g = group_at(rhs, j + 1)
            j = g[1] if g else len(rhs)
        body = rhs[j:].strip()
    else:
        mi = _INT.match(rhs)
        body = mi.group("body") if mi else None
    if body is None:
        return None
    ms = _SUM.match(body)
    component = ms.group("i") if ms else None
    inner = _bracket(body[ms.end():] if ms else body)
    if inner is None:
        return None
    pc = Piece()
    held = _holders(inner, component, pc)
    if held is None:
        return None
    try:
        expr = sp.expand(read_piece(held, pc))
    except ObjectiveError:
        return None
    hold = {q.name: q for q in expr.free_symbols if q.name in ("div", "sq")}
    if set(hold) != {"div", "sq"}:
        return None
    kd, ks = expr.coeff(hold["div"]), expr.coeff(hold["sq"])
    if sp.expand(expr - kd * hold["div"] - ks * hold["sq"]) != 0 or kd.free_symbols or ks.free_symbols or not kd > 0:
        return None
    claim = "implicit score matching (Hyvärinen 2005)"
    ratio = sp.nsimplify(ks / kd)
    if ratio == sp.Rational(1, 2):
        return Verdict(text, "exact", f"E[tr(∇ψ) + ½‖ψ‖²] up to a positive factor ({SOURCE})", claim=claim)
    return Verdict(text, "inconsistent", f"the squared norm against the divergence: expected ½, found {ratio} ({SOURCE})",
                   claim=claim, terms=["rhs"])
