"""Parameterisation identities (x̂₀, ε, the score, v in terms of each other), read in DDPM or VDM notation.

Ho et al. 2020, Eq. 4 and 11 (x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε); Song et al. 2021, App. B (the score −ε/√(1 − ᾱ)); Kingma
et al. 2021 and Lu et al. 2022 (α_t = √ᾱ_t, σ_t); Salimans & Ho 2022 (v); Karras et al. 2022, Eq. 2-3 (D(x; σ) = x̂₀).
Moved out of :mod:`scoresde.formulas.classify` (one job per module).
"""
from __future__ import annotations

from typing import List

from . import canon as C
from .atoms import Parsed
from .chain_readings import integral_abar
from .claim import Claim, NotUnderstood, _index_of, _resolve_expr
from .edm_reading import relation_subs

__all__ = ["read_relation"]


def read_relation(p: Parsed, lhs, rhs, hints) -> List[Claim]:
    letter, koff = _index_of(p)
    rhs = integral_abar(rhs, p)  # e^{−∫_0^t β(s) ds} = ᾱ_t
    syms = rhs.free_symbols | lhs.free_symbols
    bases = {(p.atoms[s_].base, p.atoms[s_].deco) for s_ in syms if s_ in p.atoms}
    given = (hints or {}).get("notation")
    r = C.Reading("discrete", "vp", given if given in ("su", "ddim") else "ddpm", letter, koff)  # Su's ᾱ, β̄; DDIM's α = ᾱ
    sub = {}
    vdm = ("α", "") in bases and ("α", "bar") not in bases and not any(b_ == "β" for b_, _ in bases) and given != "ddim"
    for s_ in syms:
        at = p.atoms.get(s_)
        if at is None:
            continue
        if C.is_state(at) and at.sub not in ("0",) and not (at.args and at.args[0] == "0"):
            sub[s_] = C.x
        elif at.base in ("x", "X") and (at.sub == "0" or at.deco == "hat" or at.sub == "θ"):
            sub[s_] = C.x0
        elif at.base == "ε" or (at.base == "z" and False):
            sub[s_] = C.e
        elif C.is_score(at):
            sub[s_] = C.s
        elif at.base == "v":
            sub[s_] = C.v
        elif at.base == "α" and at.deco == "" and vdm:
            sub[s_] = C.m_sym
        elif at.base == "σ" and not at.args:
            sub[s_] = C.sg_sym
        elif at.base == "σ" and at.args:
            sub[s_] = C.sg_sym
            r.note(f"{at.name} read as the kernel std σ_t")
    edm = relation_subs(p, syms)  # EDM's denoiser D(x; σ) = x̂₀ (Karras et al. 2022, Eq. 3)
    if edm:
        sub.update(edm)
        r.note("D(x; σ) read as the denoiser x̂₀ = E[x₀ | x] of x = x₀ + σ n (Karras et al. 2022, Eq. 2–3)")
    lhs_c = lhs.xreplace(sub)
    # EDM's x is the noisy state: the substituted symbols are canonical already (a bare x is C.x itself), resolve the others
    rest = Parsed(p.text, p.sides, {k: a_ for k, a_ in p.atoms.items() if k not in sub}, p.relation, list(p.issues)) if edm else p
    rhs_c = _resolve_expr(rhs.xreplace(sub), rest, r)
    if lhs_c not in (C.x0, C.e, C.s, C.v, C.x):
        raise NotUnderstood("the left side is not x̂₀, ε, the score or v")
    cl = Claim("relation", r, lhs=lhs_c.name, rhs=rhs_c, equation=lhs_c - rhs_c, parsed=p)
    cl.read_as = "parameterisation identity (" + {"x_0": "x̂₀", "ε_θ": "ε", "s_θ": "score", "v": "v", "x": "x_t"}[lhs_c.name] + ")"
    if vdm:
        cl.read_as += ", VDM notation (α_t = √ᾱ_t, σ_t = √(1−ᾱ_t))"
    return [cl]
