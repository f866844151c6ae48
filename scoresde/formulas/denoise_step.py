"""A noise-free in-place update x ← x + c·s_θ(x, σ) at one noise level σ: the denoising step.

Score-based samplers end with one step that removes the last noise without adding any: x ← x + σ² s_θ(x, σ)
(Song & Ermon 2020 (NCSNv2), Sec. 4 / App., "denoising" at σ_L; Jolicoeur-Martineau et al. 2021, Sec. 3). It is
Tweedie's formula x̂_0 = E[x_0 | x] = x + σ² ∇ log p_σ(x) (Efron 2011; Karras et al. 2022, Eq. 3 writes it as the
denoiser D(x; σ)). An update with that shape -- the plain state on both sides, one score term at a noise level
given as the score's second argument, no noise -- is read as D(x; σ) = x + c·s_θ(x, σ) and judged as such, with σ
the score's own noise level (whatever it is subscripted: σ_L, σ_min, σ_i).
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from . import canon as C
from .atoms import Atom, Parsed

__all__ = ["denoising_update"]


def _bare(name: str) -> str:
    return re.sub(r"[{}\s\\]", "", name)


def denoising_update(p: Parsed) -> Optional[Parsed]:
    """``p`` rewritten as D(x; σ) = x + c s_θ(x, σ), or None when it is not a denoising update."""
    if len(p.sides) != 2 or p.relation != "=":
        return None
    lhs, rhs = p.sides
    lat = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if lat is None or not C.is_state(lat) or lat.sub or lat.args is not None or lat.deco:
        return None
    rest = sp.expand(rhs - lhs)
    terms = sp.Add.make_args(rest)
    if len(terms) != 1 or lhs in rest.free_symbols:
        return None
    ats = {q: p.atoms[q] for q in rest.free_symbols if q in p.atoms}
    scores = [q for q, a in ats.items() if C.is_score(a)]
    if len(scores) != 1 or any(C.is_noise_atom(a) for a in ats.values()):
        return None
    sa = ats[scores[0]]
    if not sa.args or len(sa.args) != 2 or sa.args[0].replace(" ", "") not in (lat.name, "x"):
        return None
    levels = [q for q, a in ats.items() if a.base == "σ" and _bare(a.name) == _bare(sa.args[1])]
    if len(levels) != 1 or set(ats) - {scores[0], levels[0]}:
        return None
    sig = sp.Symbol("σ", positive=True)
    score = sp.Symbol(f"s_θ({lat.name}, σ)", real=True)
    den = sp.Symbol(f"D({lat.name}, σ)", real=True)
    atoms = dict(p.atoms)
    atoms[sig] = Atom("σ")
    atoms[score] = Atom(sa.base, sa.deco, sa.sub, sa.sup, (lat.name, "σ"), sa.font)
    atoms[den] = Atom("D", args=(lat.name, "σ"))
    new_rhs = (lhs + rest.xreplace({scores[0]: score, levels[0]: sig}))
    return Parsed(p.text, [den, new_rhs], atoms, "=", list(p.issues))
