"""The offending pieces of a formula, named in the verdict's terms vocabulary (drift, diffusion, mean.x, variance,
rhs, …), and the pieces whose values are bad (not real, not finite, a negative g²)."""
from __future__ import annotations

from typing import List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import Parsed
from .claim import Claim
from .compare import _disp
from .diagnose import _canon_coef, _raw_disp
from .evaluate import _bad_value

__all__ = ["_raw_terms", "_whole_term", "_stray_terms", "_bad_pieces"]


def _raw_terms(p: Parsed, names: List[str]) -> List[str]:
    """Offending pieces named from the raw formula alone (no claim could be read)."""
    from .atoms import DT, DW, DWBAR
    syms = {s_ for s_, a_ in p.atoms.items() if a_.name in names or a_.base in names}
    if not p.sides or not any(s_.has(DT) for s_ in p.sides):
        return ["rhs"]
    ex = sp.expand(p.sides[-1])
    out = []
    if ex.coeff(DT).free_symbols & syms:
        out.append("drift")
    if (ex.coeff(DW).free_symbols | ex.coeff(DWBAR).free_symbols) & syms:
        out.append("diffusion")
    return out or ["drift"]


def _whole_term(cl: Claim) -> str:
    return {"sde": "drift", "step": "mean.other"}.get(cl.kind, "rhs")


def _stray_terms(p: Parsed, names: List[str], cl: Claim) -> List[str]:
    """Where the stray symbols sit: drift / diffusion of an SDE, a mean coefficient or the variance of a step, else rhs."""
    syms = {s_ for s_, a_ in p.atoms.items() if a_.base in names or a_.name in names}
    out: List[str] = []
    if cl.kind == "sde":
        from .atoms import DT, DW, DWBAR
        ex = sp.expand(p.sides[-1])
        if ex.coeff(DT).free_symbols & syms or any(s_.free_symbols & syms for s_ in p.sides[:-1]):
            out.append("drift")
        if (ex.coeff(DW).free_symbols | ex.coeff(DWBAR).free_symbols) & syms:
            out.append("diffusion")
    elif cl.kind == "step":
        from .compare import term_of_basis
        for k, raw in cl.raw_mean.items():
            if isinstance(raw, sp.Basic) and raw.free_symbols & syms:
                out.append(term_of_basis(k, cl))
        if cl.raw_noise is not None and cl.raw_noise.free_symbols & syms:
            out.append("variance")
    return out or [_whole_term(cl)]


def _bad_pieces(cl: Claim) -> Optional[Tuple[str, str]]:
    from .compare import term_of_basis

    pieces, names = [], []
    if cl.kind == "step":
        pieces = list(cl.mean.values()) + ([cl.var] if cl.var is not None else [])
        names = [term_of_basis(k, cl) for k in cl.mean] + (["variance"] if cl.var is not None else [])
    elif cl.kind == "scalar":
        pieces, names = [cl.rhs], ["rhs"]
    elif cl.kind == "sde":
        pieces, names = [cl.drift.coeff(C.s), cl.diff2], ["drift", "diffusion"]
    for pc, name in zip(pieces, names):
        if pc is None or not isinstance(pc, sp.Basic):
            continue
        if cl.kind == "step" and pc is cl.var and cl.raw_noise is not None:
            why = _bad_value(cl.var)
            if why and "not real" not in why:
                return "the noise variance: " + why, "variance"
            raw_c = _canon_coef(cl.raw_noise, cl, {})
            if raw_c is not None:
                why = _bad_value(raw_c)
                if why:
                    return f"the noise coefficient {_raw_disp(cl.raw_noise, cl)}: {why}", "variance"
            continue
        why = _bad_value(pc)
        if why is None and cl.kind == "sde" and name == "diffusion":
            why = _negative_square(pc)
        if why:
            return f"{_disp(pc, cl)}: {why}", name
    return None


def _negative_square(g2: sp.Expr, n: int = 6) -> Optional[str]:
    """g² of an SDE negative at every admissible point: its diffusion g = √(g²) is not a real number (a sign slip
    in sub-VP's 1 − e^{−2∫β})."""
    import random

    from .evaluate import _concrete, _num, _point

    g2 = C.tie(g2)
    if not g2.free_symbols and not g2.has(sp.Function):
        return None
    rng = random.Random(7)
    conc = _concrete(g2)
    for _ in range(n):
        val = _num(conc, _point(rng))
        if not (val.real < 0 and abs(val.imag) <= 1e-20 * max(1.0, abs(val.real))):
            return None
    return "it is negative at admissible points, so the diffusion √(g²) is not real"
