"""A state of the VP process and the same state in the VE (EDM / k-diffusion) scaling, labelled x^{VP} and x^{VE}.

Karras et al. 2022 (Eq. 4 and Sec. 4, Table 1): the VP marginal x_t = s(t) x̂ with x̂ = x_0 + σ(t) n the VE-scaled
state, s(t) = √ᾱ_t and σ(t) = √((1 − ᾱ_t)/ᾱ_t), so s(t) = 1/√(1 + σ(t)²). diffusers' Euler-type schedulers take
σ_t = ((1 − ᾱ_t)/ᾱ_t)^{1/2} and feed the network x^{VE}/√(σ_t² + 1) (``scale_model_input``); the noisy sample they
keep is x^{VE} = x^{VP}/√ᾱ_t. A formula that relates the two labelled states by a factor is checked on that factor:
x^{VP}/x^{VE} must be √ᾱ_t = 1/√(1 + σ_t²) (σ_t in this σ–ᾱ relation; both written forms are read). Exact when it is,
else inconsistent (``rhs``).
"""
from __future__ import annotations

import re
from typing import List, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_ve_vp_states"]

_SRC = "Karras et al. 2022 (EDM), Eq. 4 and Table 1 (s(t) = √ᾱ_t = 1/√(1 + σ(t)²)); diffusers scale_model_input"
_LABEL = r"\^\s*\{\s*(?:\\(?:mathrm|text|textrm|operatorname|rm)\s*\{\s*)?(VP|VE)\s*\}?\s*\}"
_SUBT = r"(?:_\s*(?:\{\s*[a-z]\s*\}|[a-z](?![A-Za-z])))?"
_STATE = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|(?<![A-Za-z\\])x)\s*" + _SUBT + r"\s*" + _LABEL + r"\s*" + _SUBT)


def judge_ve_vp_states(eqs: List[str]) -> Optional[List[Verdict]]:
    """One verdict per equation relating x^{VP} and x^{VE} (module docstring), or None when the cell is not such."""
    counts = [len(_STATE.findall(e)) for e in eqs]
    if not eqs or not any(counts) or any(c_ not in (0, 2) for c_ in counts):
        return None
    from .atoms import ParseError
    from .parse import parse

    out: List[Verdict] = []
    for eq, c_ in zip(eqs, counts):
        if not c_:
            v = _sigma_definition(eq)
            if v is None:
                return None
            out.append(v)
            continue
        labels = [m.group(1) for m in _STATE.finditer(eq)]
        if sorted(labels) != ["VE", "VP"]:
            return None
        text = _STATE.sub(lambda m: "X_{" + m.group(1).lower() + "}", eq)
        try:
            p = parse(text)
        except (ParseError, RecursionError, ValueError, TypeError):
            return None
        if len(p.sides) != 2 or not isinstance(p.sides[0], sp.Symbol):
            return None
        syms = {s_.name: s_ for side in p.sides for s_ in side.free_symbols}
        vp, ve = syms.get("X_{vp}"), syms.get("X_{ve}")
        if vp is None or ve is None:
            return None
        lhs, rhs = p.sides
        coef = sp.simplify(rhs / (ve if lhs == vp else vp))
        if coef.free_symbols & {vp, ve}:
            return None
        ratio = coef if lhs == vp else 1 / coef  # x^{VP}/x^{VE}
        abar = sp.Symbol("ᾱ", positive=True)
        sub = {}
        for s_ in ratio.free_symbols:
            at = p.atoms.get(s_)
            if at is None or at.sub not in ("t", "") or at.args is not None:
                return None
            if at.base == "α" and at.deco == "bar":
                sub[s_] = abar
            elif at.base == "σ" and not at.deco:
                sub[s_] = sp.sqrt((1 - abar) / abar)
            else:
                return None
        gap = [complex(sp.N((ratio.xreplace(sub) - sp.sqrt(abar)).subs(abar, v_), 30)) for v_ in (0.03, 0.4, 0.97)]
        if max(abs(g) for g in gap) < 1e-12:
            out.append(Verdict(eq, "exact", f"x^VP = √ᾱ_t x^VE = x^VE/√(1 + σ_t²) with σ_t² = (1 − ᾱ_t)/ᾱ_t ({_SRC})",
                               claim="VP state from the VE-scaled state", target="edm.scaling_states"))
        else:
            out.append(Verdict(eq, "inconsistent", f"x^VP/x^VE must be √ᾱ_t = 1/√(1 + σ_t²) with σ_t² = (1 − ᾱ_t)/ᾱ_t, "
                               f"found {ratio} ({_SRC})", claim="VP state from the VE-scaled state",
                               target="edm.scaling_states", terms=["rhs"]))
    return out


def _sigma_definition(eq: str) -> Optional[Verdict]:
    """σ_t = √((1 − ᾱ_t)/ᾱ_t) (or its square) beside the states: the σ–ᾱ relation the factor is read in."""
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(eq)
    except (ParseError, RecursionError, ValueError, TypeError):
        return None
    if len(p.sides) != 2:
        return None
    lhs, power = p.sides[0], 1
    if isinstance(lhs, sp.Pow) and lhs.exp == 2:
        lhs, power = lhs.base, 2
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if at is None or at.base != "σ" or at.deco or at.sub not in ("t", ""):
        return None
    abar = sp.Symbol("ᾱ", positive=True)
    sub = {}
    for s_ in p.sides[1].free_symbols:
        a_ = p.atoms.get(s_)
        if a_ is None or a_.base != "α" or a_.deco != "bar":
            return None
        sub[s_] = abar
    val = p.sides[1].xreplace(sub) ** (2 // power)
    gap = max(abs(complex(sp.N((val - (1 - abar) / abar).subs(abar, v_), 30))) for v_ in (0.03, 0.4, 0.97))
    if gap < 1e-12:
        return Verdict(eq, "exact", f"σ_t² = (1 − ᾱ_t)/ᾱ_t, the VE-equivalent noise level of the VP chain ({_SRC})",
                       claim="σ_t of the VE scaling", target="edm.scaling_states")
    return Verdict(eq, "inconsistent", f"the VE-equivalent noise level is σ_t² = (1 − ᾱ_t)/ᾱ_t ({_SRC})",
                   claim="σ_t of the VE scaling", target="edm.scaling_states", terms=["rhs"])
