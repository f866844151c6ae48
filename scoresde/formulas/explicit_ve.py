"""A variance-exploding SDE or kernel written with an explicit function of t and nothing else (no σ(t), β(t), no
schedule parameters): it defines its own noise schedule.

Any diffusion dx = g(t) dw with g > 0 is the VE SDE of σ(t)² = σ(0)² + ∫₀ᵗ g(s)² ds (Song et al. 2021, Eq. 9 read
backwards; their blog's example dx = e^t dw), and its transition kernel is p_0t(x(t) | x(0)) = N(x(0), ∫₀ᵗ g² ds · I)
(Song et al. 2021, Eq. 29 / App. B: the variance solves dV/dt = g², V(0) = 0; Särkkä & Solin 2019, Eq. 6.2). So:

* ``dx = g(t) dw`` with g written in t alone is ``consistent`` (a valid VE SDE, not the registry's of a stated σ(t)),
  except a constant c ≠ 1 times EDM's g² = 2t (σ(t) = t, Karras et al. 2022, Eq. 1 / Song et al. 2023, Sec. 2): that is
  a named SDE with a factor slipped in (as logsnr_schedule.py reads a log-SNR c times a named one), left inconsistent;
* a kernel N(x(0), v(t) I) with v in t alone is ``consistent`` when v(0) = 0 and v increases (the VE kernel of σ² = σ(0)²
  + v), ``inconsistent`` (variance) otherwise;
* an SDE and a kernel of that kind in one formula (``dx = e^t dw ⇒ p_0t = …``): the kernel must be the SDE's,
  v(t) = ∫₀ᵗ g² ds (:func:`pair_explicit`): ``exact`` when it is, ``inconsistent`` (variance) when not.
"""
from __future__ import annotations

import math
from typing import List, Optional

import sympy as sp

from . import canon as C

__all__ = ["explicit_ve_sde", "explicit_ve_kernel", "pair_explicit"]

_SDE_MARK = "its own noise schedule, σ(t)² − σ(0)² = ∫₀ᵗ g(s)² ds = "
_KER_MARK = "its own noise schedule, σ(t)² − σ(0)² = v(t) = "
_TS = [0.05 * k for k in range(1, 21)]


def _only_t(q: sp.Expr) -> bool:
    return q.has(C.t) and q.free_symbols <= {C.t} and not q.atoms(sp.Derivative) and all(
        isinstance(f_, (sp.exp, sp.log, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh)) for f_ in q.atoms(sp.Function))


def _values(q: sp.Expr) -> Optional[List[float]]:
    out = []
    for tv in _TS:
        try:
            val = complex(sp.N(q.xreplace({C.t: sp.Float(tv)}), 20))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return None
        if abs(val.imag) > 1e-12 or not math.isfinite(val.real):
            return None
        out.append(val.real)
    return out


def explicit_ve_sde(g2: sp.Expr) -> Optional[str]:
    """The detail of a VE SDE whose g(t)² is an explicit positive function of t alone, or None."""
    if not _only_t(g2):
        return None
    vals = _values(g2)
    if vals is None or min(vals) <= 0:
        return None
    ratio = sp.simplify(g2 / (2 * C.t))
    if ratio.is_number and ratio != 1:
        return None  # a constant times EDM's g² = 2t (σ(t) = t): a factor slipped in, left to the usual verdict
    s_ = sp.Symbol("s", positive=True)
    try:
        var = sp.simplify(sp.integrate(g2.xreplace({C.t: s_}), (s_, 0, C.t)))
    except Exception:  # noqa: BLE001 -- an integral sympy cannot do: not read here
        return None
    if var.has(sp.Integral):
        return None
    return (f"a valid VE SDE dx = g(t) dw with {_SDE_MARK}{sp.sstr(var)} (Song et al. 2021, Eq. 9): g(t)² = {sp.sstr(g2)} "
            "is written without σ(t), so it is not the registry's VE SDE of a stated σ(t)")


def explicit_ve_kernel(v: sp.Expr) -> Optional[str]:
    """The detail of a VE kernel N(x(0), v(t) I) with v an explicit function of t alone that starts at 0 and increases;
    None otherwise (a v that does not is left to the usual verdict, inconsistent)."""
    if not _only_t(v):
        return None
    vals = _values(v)
    if vals is None or min(vals) <= 0 or not all(b > a for a, b in zip(vals, vals[1:])):
        return None
    try:
        at0 = sp.limit(v, C.t, 0, "+")
    except Exception:  # noqa: BLE001
        return None
    if at0 != 0:
        return None
    return (f"a valid VE kernel with {_KER_MARK}{sp.sstr(v)}: v(0) = 0 and v increases (Song et al. 2021, Eq. 29), "
            "written without σ(t)")


def _read(detail: str, mark: str) -> Optional[sp.Expr]:
    if mark not in detail:
        return None
    text = detail.split(mark, 1)[1].split(" (Song", 1)[0].split(": v(0)", 1)[0]
    try:
        return sp.sympify(text, locals={"t": C.t, "s": sp.Symbol("s", positive=True)})
    except (sp.SympifyError, SyntaxError, TypeError):
        return None


def pair_explicit(vs) -> None:
    """An explicit VE SDE and an explicit kernel among one formula's verdicts: the kernel must be the SDE's (in place)."""
    sdes = [(v, _read(v.detail, _SDE_MARK)) for v in vs if v.verdict == "consistent" and _SDE_MARK in v.detail]
    kers = [v for v in vs if _KER_MARK in v.detail or v.verdict == "inconsistent" and v.terms == ["variance"]]
    if len(sdes) != 1 or sdes[0][1] is None or not kers:
        return
    sde_v, var = sdes[0]
    for k in kers:
        got = _read(k.detail, _KER_MARK) if _KER_MARK in k.detail else None
        if got is None:
            continue
        if sp.simplify(got - var) == 0:
            k.verdict, k.terms = "exact", []
            k.detail = f"the transition kernel of the formula's own SDE: v(t) = ∫₀ᵗ g(s)² ds = {sp.sstr(var)} (Song et al. 2021, Eq. 29)"
            sde_v.verdict, sde_v.terms = "exact", []
            sde_v.detail += "; the formula's kernel is its own"
        else:
            sde_v.terms = []  # the SDE is valid; the kernel is what is wrong
            k.verdict, k.terms = "inconsistent", ["variance"]
            k.detail = (f"the kernel's variance is {sp.sstr(got)}, but the formula's own SDE dx = g(t) dw gives "
                        f"∫₀ᵗ g(s)² ds = {sp.sstr(var)} (Song et al. 2021, Eq. 29: dV/dt = g², V(0) = 0)")
