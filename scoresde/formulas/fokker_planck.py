"""The Fokker–Planck equation of an SDE with a scalar diffusion, read as papers write it:

    ∂p_t(x)/∂t = −∇_x·[f(x, t) p_t(x)] + ½ g(t)² Δ_x p_t(x)

(Song et al. 2021, App. D.1, Eq. 44 with G(x, t) = g(t) I; Øksendal 2003, Sec. 8.3; Särkkä & Solin 2019, Eq. 5.11).
The marginal density of dx = f dt + g dw changes by the divergence of its drift flux and by the diffusion's Laplacian.
The two operators are found in the text (``\\nabla\\cdot[f p]`` or ``\\nabla\\cdot(p f)``, ``\\Delta p``, ``\\nabla^2 p``,
``\\nabla\\cdot\\nabla p``) and become placeholder symbols; the rest is read as usual, so a missing ½, g for g² or a
flipped sign is the coefficient it is.
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .objective_reader import ObjectiveError, Piece, read_piece
from .objective_text import clean, matching, split_top
from .verdict import Verdict

__all__ = ["judge_fokker_planck"]

SOURCE = "Song et al. 2021, App. D.1, Eq. 44 with G = g(t) I (Øksendal 2003, Sec. 8.3)"
_SUB = r"(?:_\s*(?:\{[^{}]*\}|[a-zA-Z]))?"
_DENS = r"p\s*" + _SUB + r"\s*\(\s*(?P<x>[a-z])\s*(?:,\s*t\s*)?\)"
_LHS = [re.compile(r"^\s*\\frac\s*\{\s*\\partial\s*" + _DENS + r"\s*\}\s*\{\s*\\partial\s*t\s*\}\s*$"),
        re.compile(r"^\s*\\frac\s*\{\s*\\partial\s*\}\s*\{\s*\\partial\s*t\s*\}\s*" + _DENS + r"\s*$"),
        re.compile(r"^\s*\\partial\s*_\s*\{?\s*t\s*\}?\s*" + _DENS + r"\s*$")]
_NABLA = re.compile(r"\\nabla\s*" + _SUB + r"\s*(?:\\cdot\s*|·\s*)?")
_LAPLACE = re.compile(r"(?:\\Delta\s*" + _SUB + r"|\\nabla\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z])\s*)?\^\s*\{?\s*2\s*\}?\s*" + _SUB
                      + r"|\\nabla\s*" + _SUB + r"\s*(?:\\cdot\s*|·\s*)?\\nabla\s*" + _SUB + r")\s*(?=p)")
_F = r"f\s*(?:\(\s*[a-z]\s*(?:,\s*t\s*)?\))?"
_P = r"p\s*" + _SUB + r"\s*(?:\(\s*[a-z]\s*(?:,\s*t\s*)?\))?"
_FLUX = re.compile(r"^\s*(?:" + _F + r"\s*" + _P + r"|" + _P + r"\s*" + _F + r")\s*$")


def _density_at(s: str, i: int) -> Optional[int]:
    m = re.compile(_P).match(s, i)
    return m.end() if m else None


def _operators(rhs: str, pc: Piece) -> Optional[str]:
    """The right side with ∇·[f p] and Δp replaced by placeholders (None: an operator on something else)."""
    out, i = [], 0
    while i < len(rhs):
        m = _LAPLACE.match(rhs, i)
        if m:
            end = _density_at(rhs, m.end())
            if end is None:
                return None
            out.append(_holder(pc, "lap"))
            i = end
            continue
        m = _NABLA.match(rhs, i)
        if m:
            j = m.end()
            if j >= len(rhs) or rhs[j] not in "([":
                return None  # a gradient, or the divergence of something unbracketed: not this equation's form
            k = matching(rhs, j)
            if k is None or not _FLUX.match(rhs[j + 1:k]):
                return None
            out.append(_holder(pc, "div"))
            i = k + 1
            continue
        out.append(rhs[i])
        i += 1
    return "".join(out)


def _holder(pc: Piece, name: str) -> str:
    key = f"ph{len(pc.holders)}"
    pc.holders[key] = pc.sym(name, "target")
    return r" \Omega_{" + key + "} "


def judge_fokker_planck(text: str) -> Optional[Verdict]:
    """The verdict of a Fokker–Planck equation with a scalar diffusion g(t), or None when the text is not one."""
    if r"\partial" not in text or not re.search(r"\\Delta|\\nabla", text):
        return None
    sides = split_top(clean(text), ("=",))
    if len(sides) != 2 or not any(rx.match(sides[0]) for rx in _LHS):
        return None
    pc = Piece()
    body = _operators(sides[1], pc)
    if body is None:
        return None
    try:
        rhs = sp.expand(read_piece(body, pc))
    except ObjectiveError:
        return None
    hold = {q.name: q for q in rhs.free_symbols if q.name in ("div", "lap")}
    if set(hold) != {"div", "lap"}:
        return None
    kd, kl = rhs.coeff(hold["div"]), rhs.coeff(hold["lap"])
    if sp.expand(rhs - kd * hold["div"] - kl * hold["lap"]) != 0 or kd.free_symbols or len(kl.free_symbols) != 1:
        return None
    (g,) = kl.free_symbols
    if not g.name.startswith("g"):
        return None
    claim = "Fokker–Planck equation of dx = f dt + g dw"
    bad = []
    if kd != -1:
        bad.append(f"the drift flux: expected −∇·[f p], found {sp.sstr(kd)}·∇·[f p]")
    if sp.simplify(kl - g**2 / 2) != 0:
        bad.append(f"the diffusion: expected ½ g(t)²·Δp, found {sp.sstr(kl).replace(g.name, 'g(t)').replace('**', '^')}·Δp")
    if not bad:
        return Verdict(text, "exact", f"∂p_t/∂t = −∇·[f p_t] + ½ g² Δp_t ({SOURCE})", claim=claim)
    return Verdict(text, "inconsistent", "; ".join(bad) + f" ({SOURCE})", claim=claim, terms=["rhs"])
