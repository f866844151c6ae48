"""Time-step sequences that are valid but not the named one: ``consistent``, never ``exact`` or ``inconsistent``.

A registry entry that is a sequence over an index i = 0 … N − 1 (EDM's ρ time steps σ_i, Eq. 5; Table 1's VP and VE
t_i) defines its own kind: where it starts (i = 0), which way it runs, and the range it stays in (its two end
values). A written sequence that differs from the entry (ρ and 1/ρ swapped, i/N for i/(N − 1), a geometric sequence
in place of the ρ one) but starts at the same value, runs strictly the same way and stays within the same range at
every i, for several admissible parameter sets, is another valid discretisation of the same noise levels: it is
``consistent`` with the entry (Karras et al. 2022, Sec. 3: any monotone sequence from σ_max to σ_min is a valid
time-step schedule; Eq. 5 is one choice). One that starts elsewhere (σ_min and σ_max swapped), runs the other way,
leaves the range or is not real stays ``inconsistent``.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional

import mpmath
import sympy as sp

__all__ = ["valid_same_kind"]

_INDEX = ("i", "k", "n", "j")
_COUNTS = ("N",)
#: admissible parameter sets (names as the literal reading writes them): EDM's defaults and two others
_SETS = ({"ρ": 7.0, "N": 18, "min": 0.002, "max": 80.0}, {"ρ": 3.0, "N": 11, "min": 0.05, "max": 5.0},
         {"ρ": 0.5, "N": 7, "min": 0.3, "max": 1.7})


def _value(name: str, ps: Dict[str, float], k: int) -> Optional[float]:
    if name == "ρ":
        return ps["ρ"]
    if "min" in name:
        return ps["min"]
    if "max" in name:
        return ps["max"]
    if name.startswith("ε") or name.startswith("epsilon"):
        return 1e-3 * (1 + k)  # a small positive end time (EDM's ε_s)
    return None


def _seq(expr: sp.Expr, idx: sp.Symbol, cnt: sp.Symbol, subs: Dict[sp.Symbol, float], n: int) -> Optional[List[float]]:
    """The sequence at i = 0 … n − 1 in 40-digit arithmetic (ρ-steps cancel σ_max^ρ against itself at i = N − 1)."""
    f = sp.lambdify((idx, cnt), expr.xreplace({k: sp.Float(v, 40) for k, v in subs.items()}), modules="mpmath")
    out = []
    with mpmath.workdps(40):
        for i in range(n):
            try:
                val = complex(f(mpmath.mpf(i), mpmath.mpf(n)))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return None
            if abs(val.imag) > 1e-12 * max(1.0, abs(val.real)) or not math.isfinite(val.real):
                return None
            out.append(val.real)
    return out


def valid_same_kind(claim: sp.Expr, entry: sp.Expr) -> Optional[str]:
    """Why the claimed sequence is a valid sequence of the entry's kind (a sentence), or None when it is not (or the
    entry is not a sequence over i = 0 … N − 1). Both expressions use the literal reading's symbol names."""
    syms = {s_.name: s_ for s_ in claim.free_symbols | entry.free_symbols}
    idx = next((syms[n] for n in _INDEX if n in syms and syms[n] in entry.free_symbols), None)
    cnt = next((syms[n] for n in _COUNTS if n in syms and syms[n] in entry.free_symbols), None)
    if idx is None or cnt is None:
        return None
    for k, ps in enumerate(_SETS):
        subs = {}
        for name, s_ in syms.items():
            if s_ in (idx, cnt):
                continue
            val = _value(name, ps, k)
            if val is None:
                return None  # a parameter of unknown meaning: no admissible values to try
            subs[s_] = val
        n = int(ps["N"])
        ref, got = _seq(entry, idx, cnt, subs, n), _seq(claim, idx, cnt, subs, n)
        if ref is None or got is None or ref[0] == ref[-1]:
            return None
        lo, hi = min(ref[0], ref[-1]), max(ref[0], ref[-1])
        tol = 1e-9 * max(1.0, abs(hi))
        down = ref[-1] < ref[0]
        if abs(got[0] - ref[0]) > tol:
            return None
        if any((b >= a) if down else (b <= a) for a, b in zip(got, got[1:])):
            return None
        if any(v < lo - tol or v > hi + tol for v in got):
            return None
    return ("a valid sequence of the same kind (it starts at the same value, runs strictly "
            f"{'down' if down else 'up'} and stays within the same end values for several parameter sets) but not the named one")

