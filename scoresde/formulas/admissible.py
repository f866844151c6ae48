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
and a Spec -> :class:`Admissibility`); :func:`judge_alternative` (the hook used by the comparisons).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import sympy as sp

__all__ = ["Kind", "KINDS", "Spec", "Admissibility", "admissibility", "judge_alternative", "TOL"]

#: tolerated excursion outside the range / against the monotone direction, relative to the schedule's scale
TOL = 1e-3
#: ᾱ at the first point must be within this of 1 (the data is not yet noised)
START_TOL = 1e-2
#: a variant starts and ends where the named schedule does: within this factor, or within ENDS_ABS of the range
ENDS_RATIO = 1.25
ENDS_ABS = 0.01
#: ᾱ at the last point must not exceed this (the signal is destroyed: x_T is close to the prior)
END_MAX = 0.05


@dataclass(frozen=True)
class Kind:
    """The properties every schedule of one kind has."""

    key: str
    title: str  # "ᾱ schedule"
    symbol: str  # "ᾱ"
    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False
    high_open: bool = False
    monotone: int = 0  # +1 increasing, -1 decreasing, 0 either
    start: Optional[float] = None  # value at the first point (within START_TOL)
    signal_end: bool = False  # ᾱ itself: its last value <= END_MAX
    destroys: bool = False  # a β: the ᾱ it produces ends <= END_MAX

    def describe(self) -> str:
        parts = []
        if self.low is not None and self.high is not None:
            parts.append(f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}")
        elif self.low is not None:
            parts.append(f"{'>' if self.low_open else '≥'} {self.low:g}")
        if self.monotone:
            parts.append("increasing" if self.monotone > 0 else "decreasing")
        if self.start is not None:
            parts.append(f"{self.symbol} = {self.start:g} at the start")
        if self.signal_end or self.destroys:
            parts.append(f"ᾱ ≤ {END_MAX} at the end")
        return ", ".join(parts)


KINDS: Dict[str, Kind] = {k.key: k for k in (
    Kind("abar", "ᾱ schedule", "ᾱ", 0.0, 1.0, monotone=-1, start=1.0, signal_end=True),
    Kind("beta_step", "β_t schedule", "β", 0.0, 1.0, high_open=True, destroys=True),
    Kind("beta_rate", "β(t) schedule", "β", 0.0, None, destroys=True),
    Kind("sigma_up", "noise-level schedule (increasing σ)", "σ", 0.0, None, monotone=+1),
    Kind("sigma_down", "noise-level sequence (decreasing σ)", "σ", 0.0, None, low_open=True, monotone=-1),
    Kind("time_down", "time-step sequence (decreasing)", "t", 0.0, None, monotone=-1),
)}


@dataclass(frozen=True)
class Spec:
    """How to test a claimed variant of one registry entry: the kind, the running variable, the count
    (T, N, L), the domain and the published values of the constants (symbol name -> value)."""

    kind: str
    values: Tuple[Tuple[str, float], ...]
    var: Tuple[str, ...] = ("t",)  # names the running variable may have (the literal reading writes k)
    count: str = "T"
    domain: str = "continuous"  # "continuous": [0, count]; "integer": first … count
    first: int = 1
    stop: int = 0  # the integer grid is first … count + stop (EDM's σ_{i<N}: first = 0, stop = −1)
    source: str = ""
    #: where the claim cannot be evaluated at these constants (a (t − 1)/(T − 1) at the continuous T = 1): the
    #: same schedule on its discrete grid (Song et al.'s N = 1000 steps), tried instead
    retry: Optional["Spec"] = None

    def value_of(self, name: str) -> Optional[float]:
        return dict(self.values).get(_norm(name))


@dataclass
class Admissibility:
    status: str  # "valid", "invalid", "ill-defined", "unknown"
    reason: str
    notes: List[str] = field(default_factory=list)


def _norm(name: str) -> str:
    return name.replace("{", "").replace("}", "").replace(" ", "").replace("\\", "")


def _grid(spec: Spec, count: float, has_count: bool) -> np.ndarray:
    if spec.domain == "integer":
        n = int(round(count)) + spec.stop
        return np.arange(spec.first, n + 1, dtype=float)
    end = count if has_count else 1.0  # a claim without T is written on [0, 1]
    return np.linspace(0.0, end, 2001)


def _values(expr: sp.Expr, spec: Spec) -> Tuple[Optional[np.ndarray], Optional[np.ndarray], str]:
    """(grid, values) of expr on the spec's domain, or (None, None, why)."""
    subs, var = {}, None
    count_sym = None
    for sy in expr.free_symbols:
        nm = _norm(sy.name)
        if nm in spec.var:
            var = sy
        elif nm == spec.count:
            count_sym = sy
        elif spec.value_of(nm) is not None:
            subs[sy] = sp.Float(spec.value_of(nm), 30)
        else:
            return None, None, f"{sy.name} has no published value"
    count = spec.value_of(spec.count) or 1.0
    grid = _grid(spec, count, count_sym is not None)
    if count_sym is not None:
        subs[count_sym] = sp.Float(count, 30)
    body = expr.xreplace(subs)
    if body.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None, None, "it is undefined at the published constants (a zero denominator)"
    if var is None:
        var = sp.Symbol("_t")
    try:
        fn = sp.lambdify(var, body, modules="numpy")
        with np.errstate(all="ignore"):
            vals = np.asarray(fn(grid), dtype=complex)
    except Exception as err:  # exotic functions: not decidable here
        return None, None, f"cannot evaluate it ({type(err).__name__})"
    vals = np.broadcast_to(vals, grid.shape).copy()
    _refine(var, body, grid, vals)
    return grid, vals, ""


def _refine(var: sp.Symbol, body: sp.Expr, grid: np.ndarray, vals: np.ndarray, limit: int = 64) -> None:
    """Re-evaluate in 40-digit arithmetic where double precision is least trustworthy: the ends of the domain and the
    points that came out zero or not finite (cancellation: EDM's (σ_max^ρ − …)^{1/ρ} at its last index)."""
    import mpmath

    scale = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
    bad = np.flatnonzero(~np.isfinite(vals) | (np.abs(vals) <= 1e-12 * max(scale, 1e-300)))
    idx = sorted(set(range(min(3, len(grid)))) | set(range(max(len(grid) - 3, 0), len(grid))) | set(bad[:limit].tolist()))
    try:
        fn = sp.lambdify(var, body, modules="mpmath")
    except Exception:  # pragma: no cover
        return
    with mpmath.workdps(40):
        for i in idx:
            try:
                val = complex(fn(mpmath.mpf(float(grid[i]))))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                val = complex(float("nan"))
            vals[i] = val


def _at(grid: np.ndarray, i: int, spec: Spec) -> str:
    v = grid[i]
    name = spec.var[0] if spec.domain == "continuous" else ("i" if "i" in spec.var else spec.var[0])
    return f"{name} = {v:g}"


def admissibility(expr: sp.Expr, spec: Spec) -> Admissibility:
    """Whether ``expr`` (in the running variable and the spec's constants) is a valid schedule of ``spec.kind``."""
    kind = KINDS[spec.kind]
    grid, vals, why = _values(expr, spec)
    if grid is None:
        return Admissibility("unknown", why)
    fin = np.isfinite(vals.real) & np.isfinite(vals.imag)
    if not fin.all():
        i = int(np.argmin(fin))
        return Admissibility("ill-defined", f"{kind.symbol} is not a finite real number at {_at(grid, i, spec)}")
    scale_im = np.abs(vals.imag) > 1e-12 * np.maximum(1.0, np.abs(vals.real))
    if scale_im.any():
        i = int(np.argmax(scale_im))
        return Admissibility("ill-defined", f"{kind.symbol} is not real at {_at(grid, i, spec)}")
    v = vals.real
    notes: List[str] = []
    scale = (kind.high - kind.low) if kind.high is not None and kind.low is not None else max(float(np.max(np.abs(v))), 1e-300)
    tol = TOL * scale
    # the range
    for bound, is_low, open_ in ((kind.low, True, kind.low_open), (kind.high, False, kind.high_open)):
        if bound is None:
            continue
        over = (bound - v) if is_low else (v - bound)
        bad = over >= 0 if open_ else over > 0
        if not bad.any():
            continue
        i = int(np.argmax(over))
        word = "below" if is_low else "above"
        if over[i] > tol:
            return Admissibility("invalid", f"{kind.symbol} = {v[i]:.4g} at {_at(grid, i, spec)}, {word} {bound:g}")
        if open_ and (over == 0).any():
            j = int(np.argmax(over == 0))
            return Admissibility("invalid", f"{kind.symbol} = {bound:g} at {_at(grid, j, spec)} (it must stay "
                                 f"{'above' if is_low else 'below'} {bound:g})")
        notes.append(f"{kind.symbol} is {word} {bound:g} by at most {over[i]:.2g} (near {_at(grid, i, spec)}; "
                     f"tolerated: < {TOL:g} of its scale)")
    # monotone
    if kind.monotone:
        steps = np.diff(v) * kind.monotone
        if (steps < 0).any():
            i = int(np.argmin(steps))
            back = -float(steps[i])
            # accumulated against the direction: the largest rise of a decreasing sequence (drop of an increasing one)
            w = v * kind.monotone
            run = np.maximum.accumulate(w) - w
            worst = float(np.max(run))
            word = "increasing" if kind.monotone > 0 else "decreasing"
            if worst > tol:
                return Admissibility("invalid", f"{kind.symbol} is not {word}: it "
                                     f"{'falls' if kind.monotone > 0 else 'rises'} by {worst:.3g} (near {_at(grid, i + 1, spec)})")
            if back > 0:
                notes.append(f"{kind.symbol} is not strictly {word} (it {'falls' if kind.monotone > 0 else 'rises'} by at most "
                             f"{worst:.2g} near {_at(grid, i + 1, spec)}; tolerated: < {TOL:g} of its scale)")
    if kind.start is not None and abs(v[0] - kind.start) > START_TOL:
        return Admissibility("invalid", f"{kind.symbol} = {v[0]:.4g} at {_at(grid, 0, spec)}, not {kind.start:g}")
    if kind.signal_end and v[-1] > END_MAX:
        return Admissibility("invalid", f"{kind.symbol} = {v[-1]:.3g} at {_at(grid, len(v) - 1, spec)}: the signal is not "
                             f"destroyed (a schedule ends with ᾱ ≤ {END_MAX})")
    if kind.destroys:
        if spec.domain == "integer" and kind.high is not None:  # per-step β_t: ᾱ_N = ∏ (1 − β_t)
            end = float(np.prod(1.0 - v))
        elif spec.domain == "integer":  # a rate β̄_i at N points of [0, 1] (Song et al.: β_i = β̄_i / N)
            end = math.exp(-float(np.sum(v)) / len(v))
        else:
            end = math.exp(-float(np.sum((v[1:] + v[:-1]) * np.diff(grid)) / 2))
        if end > END_MAX:
            return Admissibility("invalid", f"the ᾱ it produces ends at {end:.3g}: the signal is not destroyed "
                                 f"(a schedule ends with ᾱ ≤ {END_MAX})")
    return Admissibility("valid", kind.describe(), notes)


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


def spec_values(pairs: Sequence[Tuple[str, float]]) -> Tuple[Tuple[str, float], ...]:
    """Normalised (name, value) pairs for a Spec."""
    return tuple((_norm(n), float(v)) for n, v in pairs)


def last_value(claim: sp.Expr, spec: Spec) -> Optional[float]:
    """The claimed schedule's value at the end of its domain (t = T, i = N) at the published constants, or None."""
    grid, vals, _ = _values(claim, spec)
    if grid is None or not np.isfinite(vals[-1]):
        return None
    return float(vals[-1].real)


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
