"""A step size under any letter: the symbol that scales both the score step and the noise of a Langevin-type update.

Langevin dynamics is written with whatever letter an author picks for its step: ε (Welling & Teh 2011, Eq. 4;
Song et al. 2021, Alg. 4), α_i (Song & Ermon 2019, Alg. 1), δ (Weng 2021, "What are diffusion models?", Sec. on
score-based models), c (Luo 2022, Eq. 143), η, τ, h. A symbol that no reading defines, that multiplies the score
term and sits inside the noise term's coefficient, and enters no other term, plays that role whatever its letter:
it is read as the Langevin step size ε (a positive constant), said in the reading's notes. A symbol outside these
two terms (or in only one of them) is left alone, so a stray factor elsewhere stays a stray symbol.
"""
from __future__ import annotations

import sympy as sp

from . import canon as C
from .atoms import Parsed
from .edm_reading import resolve_edm

__all__ = ["step_size_symbols"]


def _plain_letter(at) -> bool:
    """A bare scalar letter (δ, c, η, τ, h, optionally indexed): no decoration, arguments, θ or prime."""
    if at.args is not None or at.deco or at.sup or "θ" in at.sub:
        return False
    return len(at.base) == 1 and at.base.isalpha()


def step_size_symbols(rhs: sp.Expr, p: Parsed, r: "C.Reading") -> sp.Expr:
    """``rhs`` with every undefined symbol that scales exactly the score and the noise terms replaced by C.lstep
    (also in ``p``'s sides, so that the diagnoses that re-read the raw coefficients see the same step size)."""
    terms = sp.Add.make_args(sp.expand(rhs))

    def kind(term: sp.Expr) -> str:
        names = [p.atoms[q] for q in term.free_symbols if q in p.atoms]
        if any(C.is_score(at) or C.is_model_eps(at) for at in names):
            return "score"
        if any(C.is_noise_atom(at) for at in names):
            return "noise"
        return "other"

    kinds = [kind(q) for q in terms]
    if "score" not in kinds or "noise" not in kinds:
        return rhs
    rep = {}
    for q in rhs.free_symbols:
        at = p.atoms.get(q)
        if at is None or not _plain_letter(at) or C.is_noise_atom(at) or C.is_state(at):
            continue
        if C.resolve(at, r.copy()) is not None or resolve_edm(at, r.copy()) is not None:
            continue
        where = {k for term, k in zip(terms, kinds) if term.has(q)}
        if where == {"score", "noise"}:
            rep[q] = C.lstep
            r.note(f"{at.name} read as the Langevin step size (it scales both the score step and the noise)")
    if not rep:
        return rhs
    p.sides[:] = [side.xreplace(rep) for side in p.sides]
    return rhs.xreplace(rep)
