"""Expressions evaluated at random admissible points: equality to zero and bad values (division by
zero, not real, not finite), with concrete schedules standing in for beta(t), sigma(t), g(t), f(t)."""
from __future__ import annotations

import functools
import random
import zlib
from typing import Dict, Optional, Tuple

import sympy as sp
from sympy.core.function import AppliedUndef

from . import canon as C

# ============================================================================ numeric equality
_CONCRETE = {
    # concrete admissible functions used to evaluate expressions numerically
    C.BETA: sp.Lambda(C.U, sp.Rational(1, 10) + sp.Rational(199, 10) * C.U),
    C.SIGMA: sp.Lambda(C.U, sp.Rational(1, 100) * 5000 ** C.U),
    C.G: sp.Lambda(C.U, 1 + C.U**2),
    C.FT: sp.Lambda(C.U, -sp.Rational(1, 2) - C.U),
}


def _concrete(expr: sp.Expr, alt: bool = False) -> sp.Expr:
    ints = expr.atoms(sp.Integral)
    if ints:  # ∫₀ᵗ β(u) du recurs in every comparison of a formula: each integral is worked out once
        expr = expr.xreplace({q: _concrete_integral(q, alt) for q in ints})
    return _concrete_plain(expr, alt)


@functools.lru_cache(maxsize=512)
def _concrete_integral(q: sp.Integral, alt: bool) -> sp.Expr:
    return _concrete_plain(q, alt)


def _concrete_plain(expr: sp.Expr, alt: bool = False) -> sp.Expr:
    out = expr
    for fn, lam in _CONCRETE.items():
        if out.has(fn):
            if alt:  # a second choice, so that agreement is not an accident of one schedule
                lam = sp.Lambda(C.U, lam.expr.subs(C.U, C.U / 2 + sp.Rational(1, 3)) * sp.Rational(3, 2))
            out = out.replace(fn, lam)
    return out.doit()


def _point(rng: random.Random) -> Dict[sp.Symbol, sp.Expr]:
    bb = rng.uniform(0.02, 0.4)
    app = rng.uniform(0.15, 0.95)
    SS = rng.uniform(0.5, 3.0)
    pt = {C.b: bb, C.ap: app, C.a: app * (1 - bb), C.bp: rng.uniform(0.02, 0.4), C.bn: rng.uniform(0.02, 0.4),
          C.S: SS, C.Sp: SS * rng.uniform(0.05, 0.95), C.Sn: SS * rng.uniform(1.1, 2.0), C.t: rng.uniform(0.1, 0.9),
          C.T: rng.uniform(1.5, 3.0), C.h: rng.uniform(0.001, 0.03), C.beta_min: rng.uniform(0.05, 0.5), C.beta_max: rng.uniform(5, 25),
          C.beta_d: rng.uniform(5, 20), C.sigma_min: rng.uniform(0.005, 0.05), C.sigma_max: rng.uniform(10, 80),
          C.s_off: rng.uniform(0.001, 0.05), C.dim: rng.randint(1, 6), C.snr: rng.uniform(0.05, 0.3),
          C.lstep: rng.uniform(1e-4, 1e-2), C.m_sym: rng.uniform(0.1, 0.99), C.sg_sym: rng.uniform(0.1, 2.0),
          C.eta: rng.uniform(0.0, 1.0), C.sig: rng.uniform(0.0, 0.3), C.NORM_X2: rng.uniform(0.1, 9.0),
          C.NORM_Z: rng.uniform(0.5, 3), C.NORM_S: rng.uniform(0.5, 3)}
    return {k: sp.Float(val, 40) for k, val in pt.items()}


def _free_value(sy: sp.Symbol, seed: str) -> sp.Float:
    """A random admissible value for a symbol without a canonical value (x, x0, i, N, rho, sigma_data, w, ...),
    drawn afresh at each point (independent per symbol name) and respecting its assumptions."""
    rng = random.Random(zlib.crc32(f"{sy.name}|{seed}".encode()))
    if sy.is_integer:
        val = rng.randint(0 if sy.is_nonnegative and not sy.is_positive else 2, 9)
    else:
        val = rng.uniform(0.2, 3.0)
    if sy.is_negative or sy.is_nonpositive:
        val = -val
    return sp.Float(val, 40)


def _atoms_as_symbols(expr: sp.Expr) -> sp.Expr:
    """Undefined functions left after the concrete schedules (D(x, sigma), lambda(t_i), their derivatives)
    become symbols, each distinct application its own symbol, so that they get values too."""
    apps = [a for a in expr.atoms(sp.Derivative)] + [a for a in expr.atoms(AppliedUndef)]
    if not apps:
        return expr
    rep = {}
    for a in apps:  # derivatives first, so that f(t) inside Derivative(f(t), t) is not replaced on its own
        if a not in rep:
            rep[a] = sp.Symbol(f"__app_{sp.srepr(a)}", positive=True)
    return expr.xreplace(rep)


def _num(expr: sp.Expr, pt) -> complex:
    """``expr`` at the point ``pt``; symbols ``pt`` does not assign get random admissible values that depend on
    the point (never one fixed value: two different symbols must not look equal). nan if not a number."""
    expr = _atoms_as_symbols(expr)
    syms = expr.free_symbols
    sub = {k: val for k, val in pt.items() if k in syms}
    rest = syms - set(sub)
    if rest:
        seed = repr(float(pt[C.t])) + repr(float(pt[C.S]))
        for sy in rest:
            sub[sy] = _free_value(sy, seed)
    try:
        val = sp.N(expr.xreplace(sub), 40)
    except Exception:  # pragma: no cover - exotic input that sympy cannot evaluate
        return complex("nan")
    if not val.is_number:
        return complex("nan")
    try:
        return complex(val)
    except (TypeError, ValueError, OverflowError):
        return complex("nan")


def _finite(val: complex) -> bool:
    return val == val and abs(val) != float("inf")


@functools.lru_cache(maxsize=16)
def _points(seed: int, n: int) -> Tuple[Dict[sp.Symbol, sp.Expr], ...]:
    """The first ``n`` admissible points of the stream seeded ``seed`` (the same for every expression)."""
    rng = random.Random(seed)
    return tuple(_point(rng) for _ in range(n))


def is_zero(expr: sp.Expr, n: int = 8) -> Tuple[Optional[bool], str]:
    """(True/False/None, how): zero symbolically, or at ``n`` random admissible points.

    Every free symbol gets random values (see :func:`_num`); a point where the expression is not a finite
    number decides nothing, and without enough finite points the answer is None ("cannot decide"), never True.
    Deterministic, so memoised: one formula's readings compare the same differences many times.
    """
    return _is_zero(C.tie(sp.sympify(expr)), n)


@functools.lru_cache(maxsize=4096)
def _is_zero(expr: sp.Expr, n: int) -> Tuple[Optional[bool], str]:
    if expr == 0:
        return True, "symbolic"
    try:
        conc = [_concrete(expr), _concrete(expr, alt=True)]
    except Exception:  # pragma: no cover - doit can fail on exotic input
        return None, "could not evaluate"
    finite = 0
    for pt in _points(1234, n):
        for ce in conc:
            val = _num(ce, pt)
            if not _finite(val):
                continue
            finite += 1
            if abs(val) > 1e-25:  # a clear difference
                return False, "numeric"
    if finite < n:  # fewer than half of the 2n evaluations were finite numbers: cannot decide
        try:
            if sp.count_ops(expr) < 60 and (sp.expand(expr) == 0 or sp.simplify(expr) == 0):
                return True, "symbolic"
        except Exception:  # pragma: no cover
            pass
        return None, "cannot decide: not a finite number at enough admissible points"
    try:
        if sp.count_ops(expr) < 60 and (sp.expand(expr) == 0 or sp.simplify(expr) == 0):
            return True, "symbolic"
    except Exception:  # pragma: no cover
        pass
    return True, f"numerically, at {n} random admissible points (40 digits)"


def _bad_value(expr: sp.Expr, n: int = 6) -> Optional[str]:
    """A reason if ``expr`` is not real and finite at admissible points (None if fine)."""
    expr = C.tie(expr)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return "it contains a division by zero"
    conc = _concrete(expr)
    for pt in _points(99, n):
        val = _num(conc, pt)
        if val != val or abs(val) == float("inf"):
            return "it is not finite at admissible points"
        if abs(val.imag) > 1e-20 * max(1.0, abs(val.real)):
            return "it is not real at admissible points (a square root of a negative quantity)"
    return None
