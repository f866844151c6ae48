"""A noise schedule stated as its log-SNR, ``λ(t) = f(t)``, judged by what f does on t ∈ (0, 1).

Kingma et al. 2021 (VDM, Sec. 3.4 and Eq. 3) show that a Gaussian diffusion is fixed by its signal-to-noise ratio
SNR(t) = α_t²/σ_t², which must decrease strictly in t; Kingma & Gao 2023 (Sec. 2 and Table 1) write every
schedule as its log-SNR λ = log SNR = f_λ(t), e.g. the cosine schedule λ = −2 log tan(πt/2), and Hoogeboom et al.
2023 (simple diffusion, Sec. 3.1) shift it, λ + 2 log(64/d). So a right side in t alone is:

* ``exact`` when it is the log-SNR of a named schedule (cosine without offset, Nichol & Dhariwal's cosine with its
  offset s, the linear-β VP SDE, the geometric-σ VE SDE, EDM's σ(t) = t, a log-SNR linear in t between λ_max and
  λ_min) in the convention of the left side;
* ``consistent`` when a λ_t is the whole log-SNR of a named schedule (λ_t is DPM-Solver's half log-SNR
  log(α_t/σ_t): Lu et al. 2022a, Sec. 3.1; λ(t), λ and log SNR(t) are the whole of it), a named schedule shifted
  by a constant, or any other strictly decreasing function (a valid schedule, not a named one);
* ``inconsistent`` (term ``rhs``) when it increases or is not monotone, or is a named schedule's log-SNR times
  a factor (a dropped 2); ``ill-defined`` where it is not real.

VDM's γ(t) = −log SNR(t) (Eq. 3) must increase instead; SNR(t) itself is compared through its logarithm.
"""
from __future__ import annotations

import math
import re
from typing import Callable, Dict, List, Optional, Tuple

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_logsnr_schedule", "logsnr_lhs"]

_T = [0.03 + 0.94 * k / 16 for k in range(17)]
#: hyper-parameters a schedule may be written with, at the papers' usual values
_PARAMS: Dict[Tuple[str, str], float] = {
    ("s", ""): 0.008, ("β", "min"): 0.1, ("β", "max"): 20.0, ("β", "0"): 0.1, ("β", "1"): 20.0,
    ("σ", "min"): 0.002, ("σ", "max"): 80.0, ("λ", "min"): -20.0, ("λ", "max"): 20.0,
    ("γ", "min"): -13.3, ("γ", "max"): 5.0, ("d", ""): 256.0, ("T", ""): 1.0}
_LOG = math.log


def _cos_offset(t: float, p: Dict[str, float]) -> float:
    s = p.get("s", 0.008)
    f = math.cos((t + s) / (1 + s) * math.pi / 2) ** 2 / math.cos(s / (1 + s) * math.pi / 2) ** 2
    return _LOG(f / (1 - f))


def _vp_linear(t: float, p: Dict[str, float]) -> float:
    b0, b1 = p.get("βmin", 0.1), p.get("βmax", 20.0)
    return -_LOG(math.expm1(b0 * t + 0.5 * (b1 - b0) * t * t))


def _ve_geometric(t: float, p: Dict[str, float]) -> float:
    s0, s1 = p.get("σmin", 0.002), p.get("σmax", 80.0)
    return -2 * _LOG(s0 * (s1 / s0) ** t)


def _linear(t: float, p: Dict[str, float]) -> float:
    lo, hi = p.get("λmin", -20.0), p.get("λmax", 20.0)
    return hi - (hi - lo) * t


#: the named schedules' log-SNR log(α_t²/σ_t²) as a function of t ∈ (0, 1), each with its source
_NAMED: List[Tuple[str, Callable[[float, Dict[str, float]], float]]] = [
    ("the cosine schedule (α_t = cos(πt/2), σ_t = sin(πt/2); Kingma & Gao 2023, Sec. 2: λ = −2 log tan(πt/2))",
     lambda t, p: -2 * _LOG(math.tan(math.pi * t / 2))),
    ("Nichol & Dhariwal's cosine schedule with its offset s (Eq. 17)", _cos_offset),
    ("the VP SDE with linear β(t) (Song et al. 2021, App. B, Eq. 33)", _vp_linear),
    ("the VE SDE with geometric σ(t) (Song et al. 2021, App. C; α = 1)", _ve_geometric),
    ("EDM's σ(t) = t (Karras et al. 2022, Table 1; α = 1)", lambda t, p: -2 * _LOG(t)),
    ("the schedule linear in log-SNR, λ_max at t = 0 to λ_min at t = 1 (Kingma et al. 2021, Sec. 3.4: linear γ(t))", _linear),
]

_LHS = [  # (pattern of the left side, what it is, factor from the full log-SNR, sign: +1 decreasing / -1 increasing)
    (r"\\log\s*\\?(?:mathrm|text|operatorname)?\s*\{?\s*SNR\s*\}?\s*(?:\(\s*t\s*\))?", "log SNR(t)", 1.0, 1),
    (r"\\?(?:mathrm|text|operatorname)?\s*\{?\s*SNR\s*\}?\s*\(\s*t\s*\)", "SNR(t)", None, 1),
    (r"(?:f_\{?\\lambda\}?\s*\(\s*t\s*\)|\\lambda\s*\(\s*t\s*\)|\\lambda)", "λ(t)", 1.0, 1),
    (r"\\lambda_\{?t\}?", "λ_t", 0.5, 1),
    (r"\\gamma\s*\(\s*t\s*\)|\\gamma_\{?t\}?", "γ(t)", -1.0, -1),
]


def logsnr_lhs(text: str) -> Optional[Tuple[str, Optional[float], int, str]]:
    """(label, factor, monotone sign, right side) when ``text`` is ``<log-SNR name> = <right side>``, else None."""
    if text.count("=") != 1:
        return None
    lhs, rhs = text.split("=")
    lhs = lhs.strip().rstrip(":").strip()
    for pat, label, factor, sign in _LHS:
        if re.fullmatch(pat, lhs):
            return label, factor, sign, rhs
    return None


def _bind(expr: sp.Expr, atoms) -> Optional[Tuple[sp.Symbol, Dict[sp.Symbol, float], Dict[str, float]]]:
    """The time symbol and the hyper-parameters' values, or None when another symbol appears."""
    t_sym, values, named = None, {}, {}
    for s_ in expr.free_symbols:
        at = atoms.get(s_)
        if at is None or at.deco or at.args is not None:
            return None
        if at.base == "t" and not at.sub:
            t_sym = s_
        elif (at.base, at.sub) in _PARAMS:
            values[s_] = _PARAMS[(at.base, at.sub)]
            named[at.base + at.sub] = values[s_]
        else:
            return None
    return (t_sym, values, named) if t_sym is not None else None


def _values(expr: sp.Expr, t_sym: sp.Symbol, values: Dict[sp.Symbol, float]) -> Optional[List[complex]]:
    e = expr.xreplace({k: sp.Float(v) for k, v in values.items()})
    out = []
    for t in _T:
        try:
            out.append(complex(sp.N(e.xreplace({t_sym: sp.Float(t)}), 20)))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None
    return out


def judge_logsnr_schedule(text: str) -> Optional[Verdict]:
    """The verdict of ``λ(t) = f(t)`` (or log SNR(t), SNR(t), λ_t, γ(t)) with f in t alone, or None."""
    head = logsnr_lhs(text)
    if head is None:
        from .logsnr_inverse import judge_logsnr_relatives  # t(λ), p(λ) = −dt/dλ, log SNR_shift(t)

        return judge_logsnr_relatives(text)
    label, factor, sign, rhs_text = head
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(rhs_text)
    except (ParseError, ValueError, RecursionError):
        return None
    if len(p.sides) != 1:
        return None
    bound = _bind(p.sides[0], p.atoms)
    if bound is None:
        return None
    t_sym, values, named = bound
    vals = _values(p.sides[0], t_sym, values)
    if vals is None:
        return None
    claim = f"a noise schedule as its log-SNR, {label} = f(t) (Kingma et al. 2021, Sec. 3.4)"
    bad = [t for t, v in zip(_T, vals) if abs(v.imag) > 1e-12 or not math.isfinite(v.real) or (factor is None and v.real <= 0)]
    if bad:
        return Verdict(text, "ill-defined", f"{label} is not a real {'positive ' if factor is None else ''}number at "
                       f"t = {bad[0]:.3g}", claim=claim, terms=["rhs"])
    full = [(_LOG(v.real) if factor is None else v.real / factor) for v in vals]  # the log-SNR log(α²/σ²) it states
    steps = [b - a for a, b in zip(full, full[1:])]
    if not all(d < 0 for d in steps):
        how = ("is not monotone" if not all(d > 0 for d in steps) else "decreases" if sign < 0 else "increases")
        return Verdict(text, "inconsistent", f"{label} {how} in t, but a schedule's {label} must "
                       f"{'increase' if sign < 0 else 'decrease'} strictly (SNR(t) decreasing: Kingma et al. 2021, "
                       "Sec. 3.4)", claim=claim, terms=["rhs"])
    for name, ref in _NAMED:
        try:
            want = [ref(t, named) for t in _T]
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if _close(full, want):
            return Verdict(text, "exact", f"the log-SNR of {name}", claim=claim)
        if label == "λ_t" and _close(full, [2 * w for w in want]):
            # λ_t is DPM-Solver's half log-SNR (Lu et al. 2022a, Sec. 3.1), but Kingma & Gao's λ is the whole of it
            return Verdict(text, "consistent", f"twice DPM-Solver's λ_t of {name}: the full log-SNR log(α_t²/σ_t²) of "
                           "Kingma & Gao 2023 (Sec. 2), not the half log-SNR λ_t = log(α_t/σ_t)", claim=claim, terms=["rhs"])
        ratio = full[0] / want[0] if want[0] else 0.0
        if ratio > 0 and abs(ratio - 1) > 1e-6 and _close(full, [ratio * w for w in want]):
            return Verdict(text, "inconsistent", f"{label} is {ratio:.4g} times the log-SNR of {name}: a factor "
                           "slipped in (λ = log(α_t²/σ_t²), Kingma & Gao 2023, Sec. 2)", claim=claim, terms=["rhs"])
        shift = [a - b for a, b in zip(full, want)]
        if max(shift) - min(shift) < 1e-9 * (1 + abs(shift[0])):
            return Verdict(text, "consistent", f"{name} shifted by a constant {shift[0]:.4g} in log-SNR (a valid "
                           "schedule: Hoogeboom et al. 2023, Sec. 3.1, shift by 2 log(64/d))", claim=claim, terms=["rhs"])
    return Verdict(text, "consistent", f"a valid schedule ({label} strictly {'de' if sign > 0 else 'in'}creasing in t), "
                   "but not the log-SNR of a named one", claim=claim, terms=["rhs"])


def _close(a: List[float], b: List[float]) -> bool:
    return all(abs(x - y) <= 1e-9 * (1 + abs(y)) for x, y in zip(a, b))
