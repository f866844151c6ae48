"""Admissible schedules: is a claimed schedule a *valid* schedule of the same kind, though not the named one?

Issue 13, "consistent but different": a claimed noise schedule that differs from the registry entry it names
(the cosine ᾱ without its square, β_min and β_max swapped, Ho's linear β with t/T for (t − 1)/(T − 1), a
geometric σ_i with i/N) is still a usable schedule when it has the properties every schedule of its kind needs.
Such a claim is judged ``consistent`` ("a valid ᾱ schedule, but not <named>: …"), never ``exact``; one that
breaks a property is ``inconsistent`` (negative, outside its range, not monotone where it must be, the signal
not destroyed) or ``ill-defined`` (not a finite real number at an admissible point).

The properties are checked numerically on the schedule's whole domain (t ∈ [0, T] on a fine grid, or every
index 1 … N) at the *published* values of its constants (β̄_min = 0.1, β̄_max = 20 of Song et al. 2021, App. C;
β_1 = 10⁻⁴, β_T = 0.02, T = 1000 of Ho et al. 2020, Sec. 4; s = 0.008 of Nichol & Dhariwal 2021, Sec. 3.2;
σ_min = 0.01, σ_max = 50 of Song et al. 2021, App. C; σ_1 = 1, σ_L = 0.01, L = 10 of Song & Ermon 2019,
Sec. 5). Excursions smaller than :data:`TOL` (relative to the schedule's scale) are tolerated and said: a
schedule is a table of float32 numbers, and implementations clip (Nichol & Dhariwal clip β_t at 0.999).

Only a *schedule choice* is tested this way: an entry that declares a :class:`Spec` (``Entry.admissible``),
and a claim written in the entry's own constants with no other schedule quantity in it (a claim with β(s) or
ᾱ in it relates two schedules, as ᾱ(t) = e^{−∫β} does, and stays exact-or-wrong), that shares a parameter or
a function (cos, exp) with the named entry (so that it is recognisably a variant of it).

API for family files: ``Spec(kind, values, domain=…)`` on an entry; :func:`admissibility` (an expression
and a Spec -> :class:`Admissibility`); :func:`judge_alternative` (the hook used by the comparisons). This module is
the hook and the import point; the kinds, Spec and the numeric check are in :mod:`.admissible_check`.
"""
from __future__ import annotations

import random
from typing import Optional, Tuple

import numpy as np
import sympy as sp

from .admissible_check import (END_MAX, ENDS_ABS, ENDS_RATIO, KINDS, START_TOL, TOL, Admissibility, Kind, Spec,  # noqa: F401
                               _at, _grid, _norm, _refine, _values, admissibility, last_value, spec_values)

__all__ = ["Kind", "KINDS", "Spec", "Admissibility", "admissibility", "judge_alternative", "TOL"]


# ----------------------------------------------------------------------------------------------- the comparison hook
_FUNCS = (sp.cos, sp.sin, sp.exp, sp.log, sp.tan)
_OTHER = (sp.Integral, sp.Derivative, sp.Sum, sp.Product)


def _features(expr: sp.Expr, spec: Spec) -> set:
    names = {_norm(s_.name) for s_ in expr.free_symbols} - set(spec.var) - {spec.count}
    funcs = {f_.__name__ for f_ in _FUNCS if expr.has(f_)}
    return names | funcs


def _eligible(claim: sp.Expr, entry_rhs: sp.Expr, spec: Spec) -> bool:
    if not isinstance(claim, sp.Expr) or claim.has(*_OTHER):
        return False
    if any(isinstance(f_, sp.core.function.AppliedUndef) for f_ in claim.atoms(sp.Function)):
        return False  # a schedule function (β(s), σ(t)) inside: a relation between schedules, not a choice
    for sy in claim.free_symbols:
        nm = _norm(sy.name)
        if nm not in spec.var and nm != spec.count and spec.value_of(nm) is None:
            return False
    fe = _features(entry_rhs, spec)
    return not fe or bool(fe & _features(claim, spec))


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    syms = sorted(a.free_symbols | b.free_symbols, key=lambda s_: s_.name)
    rng = random.Random(7)
    for _ in range(4):
        pt = {s_: sp.Float(rng.uniform(0.2, 0.9), 30) for s_ in syms}
        try:
            va, vb = complex(sp.N(a.xreplace(pt), 30)), complex(sp.N(b.xreplace(pt), 30))
        except (TypeError, ValueError):
            return False
        if not (abs(va - vb) <= 1e-20 * max(1.0, abs(va))):
            return False
    return True


def _differs_in(claim: sp.Expr, entry_rhs: sp.Expr, spec: Spec) -> str:
    """A one-change description of how the claim differs from the entry (two constants swapped, a sign flipped,
    the running index or the count shifted, a constant dropped), or ''."""
    by = {_norm(s_.name): s_ for s_ in entry_rhs.free_symbols | claim.free_symbols}
    if spec.count in by and by[spec.count] not in claim.free_symbols and spec.domain == "continuous":
        entry_rhs = entry_rhs.xreplace({by.pop(spec.count): 1})  # a claim without T is written on [0, 1]
    params = sorted(n for n in by if n not in spec.var and n != spec.count)
    for i, p in enumerate(params):
        for q in params[i + 1:]:
            if _same(claim, entry_rhs.xreplace({by[p]: by[q], by[q]: by[p]})):
                return f"{p} and {q} are swapped"
    for p in params:
        if _same(claim, entry_rhs.xreplace({by[p]: -by[p]})):
            return f"the sign of {p} is flipped"
        if by[p] not in claim.free_symbols and _same(claim, entry_rhs.xreplace({by[p]: 0})):
            return f"{p} is dropped ({p} = 0)"
    var = next((by[n] for n in spec.var if n in by), None)
    cnt = by.get(spec.count)
    if var is not None:
        for dv in (1, -1, 0):
            for dn in ((1, -1, 0) if cnt is not None else (0,)):
                if dv == 0 and dn == 0:
                    continue
                sub = {var: var + dv}
                if dn:
                    sub[cnt] = cnt + dn
                if _same(claim, entry_rhs.xreplace(sub)):
                    parts = ([f"{var.name} → {var.name} {'+' if dv > 0 else '−'} 1"] if dv else []) + (
                        [f"{cnt.name} → {cnt.name} {'+' if dn > 0 else '−'} 1"] if dn else [])
                    return "another index convention (" + ", ".join(parts) + ")"
    return ""


def _endpoints_differ(claim: sp.Expr, entry_rhs: sp.Expr, spec: Spec) -> str:
    """'' when the claim starts and ends where the entry does (in either order: a decreasing β between the same
    bounds is a variant), else a description. Values agree within a factor ENDS_RATIO, or within ENDS_ABS of the
    entry's range where the entry's value is close to 0 (ᾱ_T)."""
    _, cv, _ = _values(claim, spec)
    _, ev, _ = _values(entry_rhs, spec)
    if cv is None or ev is None:
        return ""
    c, e = (float(cv.real[0]), float(cv.real[-1])), (float(ev.real[0]), float(ev.real[-1]))
    rng = max(abs(e[1] - e[0]), 1e-300)

    def close(a: float, b: float) -> bool:
        if abs(b) <= ENDS_ABS * rng:
            return abs(a - b) <= ENDS_ABS * rng
        return b != 0 and 1 / ENDS_RATIO <= a / b <= ENDS_RATIO

    if (close(c[0], e[0]) and close(c[1], e[1])) or (close(c[0], e[1]) and close(c[1], e[0])):
        return ""
    return f"it runs from {c[0]:.4g} to {c[1]:.4g} where the named schedule runs from {e[0]:.4g} to {e[1]:.4g}"


def _reversed(claim: sp.Expr, entry_rhs: sp.Expr, spec: Spec) -> str:
    """'i → N + 1 − i' when the claim is the entry's sequence read backwards (integer domains only), else ''."""
    if spec.domain != "integer":
        return ""
    by = {_norm(s_.name): s_ for s_ in entry_rhs.free_symbols | claim.free_symbols}
    var = next((by[n] for n in spec.var if n in by), None)
    cnt = by.get(spec.count)
    if var is None or cnt is None:
        return ""
    last = cnt + spec.stop
    flipped = entry_rhs.xreplace({var: spec.first + last - var})
    if _same(claim, flipped):
        return f"{var.name} → {sp.sstr(spec.first + last - var)}"
    return ""


def _finite_somewhere(claim: sp.Expr, spec: Spec) -> bool:
    _, vals, _ = _values(claim, spec)
    return vals is not None and bool(np.isfinite(vals).any())


def judge_alternative(claim: sp.Expr, entry, mismatch: str, entry_rhs: Optional[sp.Expr] = None) -> Optional[Tuple[str, str]]:
    """For a claim that is not the entry's formula: (verdict, detail) when the entry is a schedule choice and the
    claim is a variant of it in its own constants (see the module docstring), else None (judge as before).
    ``entry_rhs``: the entry's right side in the claim's symbols, where they differ (the literal reading)."""
    spec = getattr(entry, "admissible", None)
    erhs = entry.rhs if entry_rhs is None else entry_rhs
    if spec is None or erhs is None or not _eligible(claim, erhs, spec):
        return None
    rev = _reversed(claim, erhs, spec)
    if rev:  # a sequence's direction is a convention (Song & Ermon count σ_1 > … > σ_L, Song et al. σ_1 < … < σ_N)
        return "consistent", (f"the same values as {entry.title} in reverse order ({rev}): a valid sequence, but not "
                              f"{entry.title} as indexed: {mismatch}")
    res = admissibility(claim, spec)
    if spec.retry is not None and (res.status == "unknown" or (res.status == "ill-defined" and not _finite_somewhere(claim, spec))):
        spec = spec.retry
        res = admissibility(claim, spec)
    if res.status == "unknown":
        return None
    kind = KINDS[spec.kind]
    how = _differs_in(claim, erhs, spec)
    diff = f"differs in: {how}; " if how else ""
    at = f"at the published constants ({spec.source})" if spec.source else "at the published constants"
    if res.status == "valid":
        ends = _endpoints_differ(claim, erhs, spec)
        if ends:
            return "inconsistent", (f"{mismatch}; {diff}it is a valid {kind.title} ({res.reason}), but {ends} ({at}), so it is "
                                    f"not a variant of {entry.title}")
        notes = (" [" + "; ".join(res.notes) + "]") if res.notes else ""
        return "consistent", (f"a valid {kind.title} ({res.reason}, checked on its whole domain {at}), but not {entry.title}: "
                              f"{diff}{mismatch}{notes}")
    if res.status == "ill-defined":
        return "ill-defined", f"{res.reason} {at}; and it is not {entry.title}: {diff}{mismatch}"
    return "inconsistent", f"{mismatch}; {diff}and it is not a valid {kind.title}: {res.reason} ({at})"


def abar_ends_at_zero(latex: str) -> Optional[bool]:
    """Whether the ᾱ written in ``latex`` (a cell's ᾱ_t = … read as the cosine schedule or a variant of it) is 0 at
    t = T, which makes β_T = 1 − ᾱ_T/ᾱ_{T−1} = 1 (None when it cannot be read)."""
    from .classify import read_claim
    from .parse import parse
    from .registry import REGISTRY

    spec = getattr(REGISTRY.get("schedule.cosine"), "admissible", None)
    try:
        claims = read_claim(parse(latex), None, {})
    except Exception:
        return None
    for cl in claims:
        if cl.kind == "scalar" and cl.rhs is not None and spec is not None:
            end = last_value(cl.rhs, spec)
            if end is not None:
                return abs(end) < 1e-9
    return None
