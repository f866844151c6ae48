"""Compare two training objectives read by :mod:`.objective_reader` (network arguments, then the integrand at random
points): the verdict rule of :mod:`.objective_judge` for one claim against one registry objective."""
from __future__ import annotations

import random
from typing import Dict, Optional, Tuple

import sympy as sp

from .objective_adapt import _all_syms, _base, _noisy_state, _primed_state, _show, _stated_values, _struct, _swapped_kl
from .objective_adapt import _uniform_as_integral
from .objective_reader import Objective


def _point(roles: Dict[str, str], rng: random.Random) -> Dict[str, float]:
    return {n: (rng.uniform(0.1, 0.9) if r == "param" else rng.uniform(-2.0, 2.0)) for n, r in roles.items()}


def _ev(expr: sp.Expr, vals: Dict[str, float]) -> complex:
    sub = {s_: sp.Float(vals.get(s_.name, 0.5), 30) for s_ in expr.free_symbols}
    try:
        return complex(sp.N(expr.xreplace(sub), 30))
    except (TypeError, ValueError, ZeroDivisionError):
        return complex("nan")


def _close(a: complex, b: complex) -> bool:
    return abs(a - b) <= 1e-10 * (1 + abs(a) + abs(b))


def compare_objectives(cl: Objective, ref: Objective, n_points: int = 5) -> Optional[Tuple[str, str, int]]:
    """(verdict, detail, mismatch score) of a claim against one registry objective; None if not comparable."""
    if cl.has_norm != ref.has_norm or set(cl.models) != set(ref.models):
        return None
    cl, ref, note = _stated_values(cl, ref)
    if cl is None:
        return None
    cl, ref, more = _uniform_as_integral(cl, ref)
    note += more
    if not _struct(cl) <= _struct(ref):
        swapped = _swapped_kl(cl, ref)
        if swapped:
            return "inconsistent", f"the arguments of {swapped} are swapped (D_KL is not symmetric)", 1
        primed, more = _primed_state(cl, ref)
        if primed is not None:
            cl, note = primed, note + more
    if not _struct(cl) <= _struct(ref):
        cl, more = _noisy_state(cl, ref)
        if cl is None or not _struct(cl) <= _struct(ref):
            return None
        note += more
    rparams = {s_.name for s_ in _all_syms(ref) if ref.piece.roles.get(s_.name) == "param"}
    cparams = {s_.name for s_ in _all_syms(cl) if cl.piece.roles.get(s_.name) == "param"}
    limits = {s_.name for *_, w_ in cl.uniforms for s_ in w_.free_symbols}  # T of t ∼ U(0, T): an integration limit
    if cl.role != "minimiser" and any(_base(n) not in {_base(q) for q in rparams} for n in cparams - rparams - limits):
        return None  # a weight or schedule written with a letter the reference does not use: another notation
    roles = dict(ref.piece.roles)
    for k, r in cl.piece.roles.items():
        roles.setdefault(k, r)
    rng = random.Random(1234)
    pts = [_point(roles, rng) for _ in range(n_points)]
    params = {n for n, r in roles.items() if r == "param"}
    w_c = {s_.name for s_ in cl.integrand.free_symbols} & params
    w_r = {s_.name for s_ in ref.integrand.free_symbols} & params
    score = len(w_c ^ w_r) + sum(cl.integrand.has(f) != ref.integrand.has(f) for f in (sp.Max, sp.Min))
    if [(lo, hi) for lo, hi, _ in cl.integrals] != [(lo, hi) for lo, hi, _ in ref.integrals]:
        got = ", ".join(f"∫_{lo}^{hi}" for lo, hi, _ in cl.integrals) or "no integral"
        want = ", ".join(f"∫_{lo}^{hi}" for lo, hi, _ in ref.integrals) or "no integral"
        return "inconsistent", f"the time integral: expected {want}, found {got}", score + 5
    for mname, calls in cl.models.items():
        rcalls = ref.models[mname]
        if len(calls) != len(rcalls) or any(len(a) != len(b) and len(a) != 1 for a, b in zip(calls, rcalls)):
            return None
        if any(len(a) != len(b) for a, b in zip(calls, rcalls)):
            note += f" ({mname} written with its input only: its time/noise-level argument is implicit)"
        for call, rcall in zip(calls, rcalls):
            for pos, (a_, b_) in enumerate(zip(call, rcall)):
                if not all(_close(_ev(a_, p), _ev(b_, p)) for p in pts):
                    what = "input" if pos == 0 else f"argument {pos + 1}"
                    return ("inconsistent", f"the {what} of {mname}: expected {_show(b_)}, found {_show(a_)}", score + 3)
    vc = [_ev(cl.integrand, p) for p in pts]
    vr = [_ev(ref.integrand, p) for p in pts]
    if any(v != v for v in vc + vr):
        return ("unparsed", "the integrand has no finite value at random admissible points", 50)
    if all(_close(a, b) for a, b in zip(vc, vr)):
        if cl.conditions and cl.conditions != ref.conditions:
            return ("unparsed", f"the same integrand, but the side conditions ({'; '.join(cl.conditions)}) are not the "
                    f"reference's ({'; '.join(ref.conditions) or 'none'}): not judged", 4)
        if cl.plus_const != ref.plus_const:
            return "consistent", "the same integrand, up to an additive constant independent of θ", 0
        return "exact", "the same integrand (compared at random admissible values)" + note, 0
    want, got = _show(ref.integrand), _show(cl.integrand)
    ratios = [a / b if abs(b) > 1e-30 else complex("nan") for a, b in zip(vc, vr)]
    const = all(_close(r_, ratios[0]) for r_ in ratios) and abs(ratios[0].imag) < 1e-12
    k = sp.nsimplify(round(ratios[0].real, 10)) if const else None
    if not const and limits:  # a factor in T of t ∼ U(0, T) only (E_t is ∫_0^T dt / T): a constant of the problem
        rexpr = sp.simplify(cl.integrand / ref.integrand)
        if rexpr.free_symbols and {s_.name for s_ in rexpr.free_symbols} <= limits and all(_ev(rexpr, p).real > 0 for p in pts):
            const, k, ratios = True, rexpr, [complex(1)]
    if const and ratios[0].real > 0:
        if cl.role in ("bare", "gradient", "minimiser"):
            return ("consistent", f"{want} multiplied by the positive constant {k}: not the same objective, but the "
                    "same minimiser", 1)
        return "inconsistent", f"expected {want}, found {got} (a factor {k})", score + 1
    # a ratio that depends on the weights only: the same residual under another weighting
    weights_only = True
    for p in pts[:3]:
        q = dict(p)
        for n_ in roles:
            if roles[n_] != "param":
                q[n_] = rng.uniform(-2.0, 2.0)
        a0, b0 = _ev(cl.integrand, p), _ev(ref.integrand, p)
        a1, b1 = _ev(cl.integrand, q), _ev(ref.integrand, q)
        if abs(b0) < 1e-30 or abs(b1) < 1e-30 or not _close(a0 / b0, a1 / b1) or (a0 / b0).real <= 0:
            weights_only = False
            break
    if weights_only and cl.role == "minimiser":
        return ("consistent", f"the same residual under another positive weighting (expected {want}, found {got}): "
                "each noise level's minimiser is unchanged, so θ* is the same for a model that can fit every level", 2)
    if weights_only:
        return "inconsistent", f"the weight differs: expected {want}, found {got}", score + 1
    return "inconsistent", f"expected {want}, found {got}", score + 2
