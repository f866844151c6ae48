"""An entry's own sympy forms, possibly perturbed, judged against the entry (the registry's perturbation tests)."""
from __future__ import annotations

from typing import Dict, Optional

import sympy as sp

from . import canon as C
from .claim import Claim
from .compare import compare_relation, compare_scalar, compare_sde, compare_step
from .entry import Entry

__all__ = ["check_entry_forms"]


def check_entry_forms(entry: Entry, forms: Optional[Dict[str, sp.Expr]] = None) -> str:
    """Verdict of an entry's own sympy forms (optionally perturbed) against the unperturbed entry.

    Used by the perturbation tests: ``forms`` replaces pieces of the entry (see Entry.forms) and the
    result must no longer be ``exact``.
    """
    claim_entry = entry.with_forms(forms or {})
    r = C.Reading(entry.mode if entry.mode in ("discrete", "continuous", "function") else "discrete",
                  entry.family if entry.family != "generic" else "vp")
    if entry.kind == "sde":
        cl = Claim("sde", r, drift=claim_entry.drift, diff2=claim_entry.diff2, noise=entry.noise)
        return compare_sde(cl, entry).verdict
    if entry.kind in ("step", "langevin"):
        var = claim_entry.var[0] if claim_entry.var else None
        cl = Claim("step", r, lhs=entry.lhs, mean=dict(claim_entry.mean), var=var)
        if entry.free:
            cl.var = entry.var[0].xreplace({entry.free[0]: sp.Rational(1, 7)}) if forms is None or "var" not in forms else var
            if forms is not None and "var" not in forms:
                cl.mean = {k: val.xreplace({entry.free[0]: sp.Rational(1, 7)}) for k, val in cl.mean.items()}
            elif forms is None:
                cl.mean = {k: val.xreplace({entry.free[0]: sp.Rational(1, 7)}) for k, val in cl.mean.items()}
        return compare_step(cl, entry).verdict
    if entry.kind == "scalar":
        cl = Claim("scalar", r, lhs=entry.lhs, rhs=claim_entry.rhs)
        return compare_scalar(cl, entry).verdict
    lhs_sym = {"s": C.s, "e": C.e, "x0": C.x0, "v": C.v}[entry.lhs]
    cl = Claim("relation", r, lhs=entry.lhs, rhs=claim_entry.rhs, equation=lhs_sym - claim_entry.rhs)
    return compare_relation(cl, entry).verdict
