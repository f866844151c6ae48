"""Schedule kinds (ᾱ, β, σ), the properties every schedule of a kind has, and the numeric check of one schedule
against them at the published constants (:func:`admissibility`; the comparison hook is :mod:`.admissible`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import sympy as sp


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


def spec_values(pairs: Sequence[Tuple[str, float]]) -> Tuple[Tuple[str, float], ...]:
    """Normalised (name, value) pairs for a Spec."""
    return tuple((_norm(n), float(v)) for n, v in pairs)


def last_value(claim: sp.Expr, spec: Spec) -> Optional[float]:
    """The claimed schedule's value at the end of its domain (t = T, i = N) at the published constants, or None."""
    grid, vals, _ = _values(claim, spec)
    if grid is None or not np.isfinite(vals[-1]):
        return None
    return float(vals[-1].real)
