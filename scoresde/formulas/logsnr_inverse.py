"""A schedule written through its log-SNR λ the other way round: the time t(λ), the density p(λ) = −dt/dλ, and the
shifted log-SNR of a resolution, each judged against the named schedules of :mod:`logsnr_schedule`.

* ``t(λ) = f(λ)`` (Kingma & Gao 2023, Sec. 2 and App. D: the cosine schedule's t = (2/π) arctan(e^{−λ/2})) is the
  inverse of a schedule's log-SNR λ(t): ``exact`` when λ(f(λ)) = λ for a named schedule; DPM-Solver writes the same
  inverse t_λ(·) of its half log-SNR λ = log(α_t/σ_t) (Lu et al. 2022a, Sec. 3.1 and App. D.1): with that subscript the
  half convention is exact, without it ``consistent`` (a valid inverse in the other convention). A t(λ) that is not
  strictly decreasing, or leaves (0, 1), is ``inconsistent`` (λ decreases strictly in t, Kingma et al. 2021, Sec. 3.4);
  any other decreasing map onto (0, 1) is a valid schedule, ``consistent``.
* ``p(λ) = g(λ)``, with or without the middle side ``−dt/dλ``, is the density of λ that a uniform t induces (Kingma &
  Gao 2023, Sec. 4, Eq. 14: p(λ) = −dt/dλ): ``exact`` when it is −dt/dλ of a named schedule (cosine: sech(λ/2)/(2π));
  ``inconsistent`` when it is negative or does not integrate to 1 over λ; else ``consistent`` (a density, not a named
  schedule's).
* ``log SNR_{shift r}(t) = f(t)`` (Hoogeboom et al. 2023, Sec. 3.1, Eq. 5: log SNR_shift 64/d(t) = log SNR(t) +
  2 log(64/d)) is judged as ``log SNR(t) = f(t) − 2 log r``: a constant shift of another size is ``inconsistent``.
* ``SNR = f`` with no time, written in the bare mean μ (or α) and standard deviation σ of a Gaussian: the definition
  of the signal-to-noise ratio, μ²/σ² (Kingma et al. 2021, Eq. 2: SNR(t) = α_t²/σ_t²; Luo 2022, Eq. 109).
"""
from __future__ import annotations

import math
import re
from typing import Callable, List, Optional

import sympy as sp

from .logsnr_schedule import _NAMED, _PARAMS, judge_logsnr_schedule
from .verdict import Verdict

__all__ = ["judge_logsnr_relatives"]

_LAM = [-6.0 + 0.75 * k for k in range(17)]
_T_LHS = re.compile(r"^\s*t\s*(?P<sub>_\s*(?:\{\s*\\lambda\s*\}|\\lambda(?![a-zA-Z])))?\s*(?:(?:\\left)?\s*\(\s*\\lambda\s*(?:\\right)?\s*\))?\s*$")
_P_LHS = re.compile(r"^\s*p\s*(?:\\left)?\s*\(\s*\\lambda\s*(?:\\right)?\s*\)\s*$")
_DT_DLAM = re.compile(r"^\s*-\s*\\frac\s*\{\s*d\s*t\s*\}\s*\{\s*d\s*\\lambda\s*\}\s*$")
_SNR_BARE = re.compile(r"^\s*\\?(?:mathrm|text|operatorname)?\s*\{?\s*SNR\s*\}?\s*$")
_SHIFT_LHS = re.compile(r"^\s*\\log\s*\\?(?:mathrm|text|operatorname)?\s*\{?\s*SNR\s*\}?\s*_\s*\{(?P<sub>.*shift.*)\}\s*(?:\\left)?\s*\(\s*t\s*(?:\\right)?\s*\)\s*$")


def judge_logsnr_relatives(text: str) -> Optional[Verdict]:
    """The verdict of ``t(λ) = …``, ``p(λ) = [−dt/dλ =] …`` or ``log SNR_{shift r}(t) = …``, or None."""
    sides = [q for q in text.split("=")]
    if len(sides) < 2:
        return None
    lhs, rhs = sides[0], sides[-1]
    if len(sides) == 2 and lhs.lstrip().startswith("u"):
        from .edm_iddpm import judge_iddpm_sigmas  # EDM's iDDPM noise levels u_j (another schedule statement)

        return judge_iddpm_sigmas(text)
    if len(sides) == 2 and lhs.lstrip().startswith("w"):
        from .kg_weighting import judge_kg_weighting  # w(λ) = p_F(λ)·(e^{−λ} + σ_data²)/σ_data² (EDM in λ)

        return judge_kg_weighting(text)
    if len(sides) == 2 and "sigma" in lhs and "*" in lhs:
        from .adpm import judge_adpm_variance  # Analytic-DPM's σ_n^{*2} (a variance schedule of its own)

        return judge_adpm_variance(text)
    if _SNR_BARE.match(lhs) and len(sides) == 2:
        return _snr_definition(text, rhs)
    m = _SHIFT_LHS.match(lhs)
    if m and len(sides) == 2:
        return _shifted(text, m.group("sub"), rhs)
    m = _T_LHS.match(lhs)
    if m and len(sides) == 2:
        f = _function_of_lambda(rhs)
        return None if f is None else _inverse(text, f, bool(m.group("sub")))
    if _P_LHS.match(lhs) and (len(sides) == 2 or len(sides) == 3 and _DT_DLAM.match(sides[1])):
        if _DT_DLAM.match(rhs):
            return None  # p(λ) = −dt/dλ: the definition itself
        f = _function_of_lambda(rhs)
        return None if f is None else _density(text, f)
    return None


def _function_of_lambda(rhs: str) -> Optional[Callable[[float], complex]]:
    """f(λ) as a numeric function when the right side is written in λ and the schedules' usual parameters alone."""
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(rhs)
    except (ParseError, ValueError, RecursionError):
        return None
    if len(p.sides) != 1:
        return None
    expr, lam, values = p.sides[0], None, {}
    for s_ in expr.free_symbols:
        at = p.atoms.get(s_)
        if at is None or at.deco or at.args is not None:
            return None
        if at.base == "λ" and not at.sub:
            lam = s_
        elif (at.base, at.sub) in _PARAMS:
            values[s_] = sp.Float(_PARAMS[(at.base, at.sub)])
        else:
            return None
    if lam is None:
        return None
    expr = expr.xreplace(values)
    fn = sp.lambdify(lam, expr, modules=["mpmath"])

    def f(x: float) -> complex:
        return complex(fn(x))
    return f


def _sample(f: Callable[[float], complex], xs: List[float]) -> Optional[List[float]]:
    out = []
    for x in xs:
        try:
            v = f(x)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None
        if abs(v.imag) > 1e-12 or not math.isfinite(v.real):
            return None
        out.append(v.real)
    return out


_CLAIM_T = "a schedule as the time t(λ) of its log-SNR λ (Kingma & Gao 2023, Sec. 2)"
_CLAIM_P = "the density p(λ) = −dt/dλ of the log-SNR under uniform t (Kingma & Gao 2023, Sec. 4)"


def _inverse(text: str, f, dpm_subscript: bool) -> Optional[Verdict]:
    ts = _sample(f, _LAM)
    if ts is None:
        return Verdict(text, "ill-defined", "t(λ) is not a real number on λ ∈ [−6, 6]", claim=_CLAIM_T, terms=["rhs"])
    if not all(b < a for a, b in zip(ts, ts[1:])) or not all(t > 0 for t in ts):
        how = "is not strictly decreasing in λ" if not all(b < a for a, b in zip(ts, ts[1:])) else "is not positive"
        return Verdict(text, "inconsistent", f"t(λ) {how}, but the time of a log-SNR λ decreasing strictly in t "
                       "must be (Kingma et al. 2021, Sec. 3.4)", claim=_CLAIM_T, terms=["rhs"])
    for name, ref in _NAMED:
        try:
            back = [ref(t, {}) for t in ts]
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if _close(back, _LAM):
            if dpm_subscript:
                return Verdict(text, "consistent", f"the inverse of the full log-SNR λ = log(α²/σ²) of {name}; DPM-Solver's "
                               "t_λ(·) inverts the half log-SNR log(α_t/σ_t) (Lu et al. 2022a, Sec. 3.1)", claim=_CLAIM_T, terms=["rhs"])
            return Verdict(text, "exact", f"the inverse t(λ) of the log-SNR of {name}", claim=_CLAIM_T)
        if _close(back, [2 * x for x in _LAM]):
            if dpm_subscript:
                return Verdict(text, "exact", f"DPM-Solver's inverse t_λ(λ) of the half log-SNR λ = log(α_t/σ_t) of {name} "
                               "(Lu et al. 2022a, Sec. 3.1)", claim=_CLAIM_T)
            return Verdict(text, "consistent", f"the inverse of DPM-Solver's half log-SNR log(α_t/σ_t) of {name}, not of "
                           "Kingma & Gao's full λ = log(α_t²/σ_t²)", claim=_CLAIM_T, terms=["rhs"])
        want = [_t_of_lambda(ref, lam) for lam in _LAM]
        if all(w_ is not None for w_ in want):
            ratio = want[0] / ts[0]
            if abs(ratio - 1) > 1e-6 and _close([ratio * t for t in ts], want):
                return Verdict(text, "inconsistent", f"t(λ) is {1 / ratio:.4g} times the inverse of the log-SNR of {name}: "
                               "a factor slipped in", claim=_CLAIM_T, terms=["rhs"])
    if not all(0 < t < 1 for t in ts):
        return Verdict(text, "inconsistent", "t(λ) leaves (0, 1), and it is not the inverse of a named schedule's log-SNR "
                       "(EDM's σ(t) = t, whose time runs on (0, ∞), is)", claim=_CLAIM_T, terms=["rhs"])
    return Verdict(text, "consistent", "a valid schedule (t(λ) decreasing onto (0, 1)), but not the inverse of a named "
                   "schedule's log-SNR", claim=_CLAIM_T, terms=["rhs"])


def _t_of_lambda(ref, lam: float) -> Optional[float]:
    """The t ∈ (0, 1) with ref(t) = λ, by bisection (ref decreases in t), or None."""
    lo, hi = 1e-9, 1 - 1e-9
    try:
        if not ref(hi, {}) < lam < ref(lo, {}):
            return None
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if ref(mid, {}) > lam:
                lo = mid
            else:
                hi = mid
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return 0.5 * (lo + hi)


def _density(text: str, f) -> Optional[Verdict]:
    ps = _sample(f, _LAM)
    if ps is None:
        return Verdict(text, "ill-defined", "p(λ) is not a real number on λ ∈ [−6, 6]", claim=_CLAIM_P, terms=["rhs"])
    for name, ref in _NAMED:
        want = []
        for lam in _LAM:
            t = _t_of_lambda(ref, lam)
            if t is None:
                break
            d = 1e-6
            try:
                slope = (ref(min(t + d, 1 - 1e-12), {}) - ref(max(t - d, 1e-12), {})) / (2 * d)
            except (ValueError, ZeroDivisionError, OverflowError):
                break
            want.append(-1.0 / slope)
        if len(want) == len(_LAM) and all(abs(a - b) <= 1e-5 * (abs(b) + 1e-3) for a, b in zip(ps, want)):
            return Verdict(text, "exact", f"−dt/dλ of {name}", claim=_CLAIM_P)
    grid = [-80.0 + 0.02 * k for k in range(8001)]
    vals = _sample(f, grid)
    if vals is None or min(vals) < 0:
        return Verdict(text, "inconsistent", "p(λ) is negative (or not real) somewhere, but a density is not (−dt/dλ > 0: λ "
                       "decreases in t)", claim=_CLAIM_P, terms=["rhs"])
    mass = sum(0.5 * (a + b) * 0.02 for a, b in zip(vals, vals[1:]))
    if abs(mass - 1) > 1e-3:
        return Verdict(text, "inconsistent", f"p(λ) integrates to {mass:.4g} over λ, not 1 (∫p(λ)dλ = ∫₀¹dt = 1)",
                       claim=_CLAIM_P, terms=["rhs"])
    return Verdict(text, "consistent", "a density over λ (a valid schedule), but not −dt/dλ of a named schedule",
                   claim=_CLAIM_P, terms=["rhs"])


def _shifted(text: str, sub: str, rhs: str) -> Optional[Verdict]:
    ratio = re.sub(r"\\(?:text|mathrm|textrm|operatorname)\s*\{\s*shift\s*\}|shift|\\[ ,;:!]|\\q?quad", " ", sub)
    ratio = ratio.replace("\\text{", "{").strip()
    if not ratio or ratio in ("{}", "{ }"):
        return None
    unshifted = re.compile(r"\\log\s*\\?(?:mathrm|text|operatorname)?\s*\{?\s*SNR\s*\}?\s*(?:\\left)?\s*\(\s*t\s*(?:\\right)?\s*\)")
    if unshifted.search(rhs):  # the definition itself: log SNR(t) + 2 log r
        return _shift_definition(text, unshifted.sub(r" L_{snr} ", rhs), ratio)
    base = judge_logsnr_schedule(rf"\log\mathrm{{SNR}}(t) = ({rhs}) - 2\log\left({ratio}\right)")
    if base is None:
        return None
    claim = "a shifted log-SNR schedule, log SNR_shift(t) = log SNR(t) + 2 log r (Hoogeboom et al. 2023, Sec. 3.1)"
    if base.verdict == "exact":
        return Verdict(text, "exact", f"{base.detail}, shifted by 2 log({ratio.strip('{} ')})", claim=claim)
    if "shifted by a constant" in base.detail:
        return Verdict(text, "inconsistent", f"the shift is not 2 log({ratio.strip('{} ')}): without it, {base.detail}",
                       claim=claim, terms=["rhs"])
    return Verdict(text, base.verdict, f"without the shift 2 log({ratio.strip('{} ')}): {base.detail}", claim=claim,
                   terms=list(base.terms))


def _snr_definition(text: str, rhs: str) -> Optional[Verdict]:
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(rhs)
    except (ParseError, ValueError, RecursionError):
        return None
    if len(p.sides) != 1:
        return None
    mean = std = None
    for s_ in p.sides[0].free_symbols:
        at = p.atoms.get(s_)
        if at is None or at.sub or at.deco or at.sup or at.args is not None:
            return None
        if at.base in ("μ", "α") and mean is None:
            mean = s_
        elif at.base == "σ":
            std = s_
        else:
            return None
    if mean is None or std is None:
        return None
    claim = "the signal-to-noise ratio of a Gaussian N(μ, σ²), SNR = μ²/σ² (Kingma et al. 2021, Eq. 2)"
    m_, s_ = sp.Symbol("m", positive=True), sp.Symbol("s", positive=True)
    diff = sp.simplify(p.sides[0].xreplace({mean: m_, std: s_}) - m_ ** 2 / s_ ** 2)
    if diff == 0:
        return Verdict(text, "exact", "the definition of the signal-to-noise ratio: the squared mean over the variance", claim=claim)
    return Verdict(text, "inconsistent", f"the signal-to-noise ratio is the squared mean over the variance, μ²/σ²; found "
                   f"{sp.sstr(p.sides[0])}", claim=claim, terms=["rhs"])


def _shift_definition(text: str, rhs: str, ratio: str) -> Optional[Verdict]:
    from .atoms import ParseError
    from .parse import parse

    try:
        got, shift = parse(rhs).sides[0], parse(rf"2\log\left({ratio}\right)").sides[0]
    except (ParseError, ValueError, RecursionError, IndexError):
        return None
    lsym = [q for q in got.free_symbols if q.name.startswith("L")]
    if len(lsym) != 1:
        return None
    claim = "the shifted log-SNR, log SNR_shift(t) = log SNR(t) + 2 log r (Hoogeboom et al. 2023, Sec. 3.1)"
    if sp.simplify(sp.expand_log(got - lsym[0] - shift, force=True)) == 0:
        return Verdict(text, "exact", "the definition of the shifted schedule: log SNR(t) + 2 log r", claim=claim)
    return Verdict(text, "inconsistent", f"the shift must be 2 log({ratio.strip('{} ')}) added to log SNR(t)", claim=claim,
                   terms=["rhs"])


def _close(a: List[float], b: List[float]) -> bool:
    return all(abs(x - y) <= 1e-7 * (1 + abs(y)) for x, y in zip(a, b))
