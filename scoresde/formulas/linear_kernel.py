"""Su's ᾱ_t, β̄_t for a general linear SDE: the kernel's mean coefficient and std, and their relations to f_t, g_t.

For dx = f_t x dt + g_t dw the perturbation kernel is p(x_t | x_0) = N(x_t; ᾱ_t x_0, β̄_t² I) with (Su 2022,
生成扩散模型漫谈（五）; Särkkä & Solin 2019, Eq. 5.50-5.51; Song et al. 2021, App. B)

    ᾱ_t = exp(∫_0^t f_s ds),   β̄_t² = ᾱ_t² ∫_0^t g_s²/ᾱ_s² ds,

equivalently dᾱ_t/dt = f_t ᾱ_t, dβ̄_t²/dt = 2 f_t β̄_t² + g_t², f_t = d log ᾱ_t/dt, g_t² = ᾱ_t² d(β̄_t²/ᾱ_t²)/dt.
Rule: an equation of a cell in Su's notation that relates only ᾱ, β̄, f and g (at t or at the integration variable s)
is checked as an identity of these definitions for any f and g: both sides are evaluated with random polynomial f, g at
several times (the integrals by Gauss–Legendre quadrature); equal -> ``exact``, else ``inconsistent`` (term ``rhs``).
"""
from __future__ import annotations

import random
from typing import Optional

import numpy as np
import sympy as sp

from .atoms import ParseError
from .verdict import Verdict

__all__ = ["judge_linear_kernel"]

_DDT = "ddt"


_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def _number(e_: sp.Expr) -> complex:
    """A closed expression whose only unevaluated parts are integrals over finite ranges of smooth integrands: each
    integral by 48-point Gauss–Legendre quadrature (exact to rounding for these smooth integrands on [0, 1.3])."""
    def quad(q: sp.Integral) -> sp.Expr:
        (var, lo, hi), = q.limits
        fn = sp.lambdify(var, q.function, "numpy")
        lo_f, hi_f = float(lo), float(hi)
        xs = (hi_f - lo_f) / 2 * _GL_X + (hi_f + lo_f) / 2
        return sp.Float(float((hi_f - lo_f) / 2 * np.sum(_GL_W * np.broadcast_to(fn(xs), xs.shape))))
    e_ = e_.replace(lambda q: isinstance(q, sp.Integral), quad)
    return complex(e_.evalf(20))


def judge_linear_kernel(eq: str, hints) -> Optional[Verdict]:
    """The verdict of one such relation (module docstring), or None when the equation is not one."""
    if (hints or {}).get("notation") != "su":
        return None
    from .parse import parse

    try:
        p = parse(eq)
    except (ParseError, ValueError, TypeError):
        return None
    if len(p.sides) < 2 or p.relation != "=":
        return None
    bases = {(a_.base, a_.deco) for s_, a_ in p.atoms.items() if any(s_ in side.free_symbols for side in p.sides)
             and not (a_.base in ("t", "s") and not a_.sub and a_.args is None)}
    if not bases & {("f", ""), ("g", "")} or not bases & {("α", "bar"), ("β", "bar")} or \
            not bases <= {("f", ""), ("g", ""), ("α", "bar"), ("β", "bar")}:
        return None
    tt, ss = sp.Symbol("t", positive=True), sp.Symbol("s", positive=True)

    def unify(e_):
        e_ = e_.replace(lambda q: isinstance(q, sp.Symbol) and q.name in ("t", "s") and q not in (tt, ss),
                        lambda q: tt if q.name == "t" else ss)
        return e_

    sides = [unify(side) for side in p.sides]
    rng = random.Random(7)
    worst = 0.0
    for _ in range(2):
        a, b = sp.Rational(rng.randint(-9, 9), 10), sp.Rational(rng.randint(-9, 9), 10)
        c, d = sp.Rational(rng.randint(3, 12), 10), sp.Rational(rng.randint(-5, 5), 10)
        fl = sp.Lambda(sp.Symbol("y"), a + b * sp.Symbol("y"))
        gl = sp.Lambda(sp.Symbol("y"), c + d * sp.Symbol("y"))
        sub = {}
        for side in sides:
            for sym in side.free_symbols:
                at = p.atoms.get(sym)
                if at is None or (at.base in ("t", "s") and not at.sub and at.args is None):
                    continue
                label = at.sub if at.args is None else (at.args[0].strip() if len(at.args) == 1 and not at.sub else "")
                if label not in ("t", "s") or at.sup:
                    return None
                when = tt if label == "t" else ss
                u = sp.Symbol("u_", real=True)
                m = lambda x: sp.exp(sp.integrate(fl(u), (u, 0, x)))  # noqa: E731
                if at.base == "α":
                    sub[sym] = m(when)
                elif at.base == "β":
                    sub[sym] = sp.sqrt(m(when) ** 2 * sp.Integral(gl(u) ** 2 / m(u) ** 2, (u, 0, when)))
                elif at.base == "f":
                    sub[sym] = fl(when)
                else:
                    sub[sym] = gl(when)
        ev = []
        for side in sides:
            e_ = side.xreplace(sub)
            e_ = e_.replace(lambda q: isinstance(q, sp.Function) and q.func.__name__ == _DDT,
                            lambda q: sp.diff(q.args[0], tt))
            ev.append(e_)
        for t0 in (sp.Rational(3, 10), sp.Rational(7, 10), sp.Rational(13, 10)):
            try:
                nums = [_number(e_.subs(tt, t0)) for e_ in ev]
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                return None
            for r0 in nums[1:]:  # a chain a = b = c: every side against the first
                worst = max(worst, abs(nums[0] - r0) / (1 + abs(nums[0]) + abs(r0)))
    claim = "a relation of Su's ᾱ_t, β̄_t (the kernel N(ᾱ_t x_0, β̄_t² I) of dx = f_t x dt + g_t dw)"
    if worst < 1e-12:
        return Verdict(eq, "exact", "an identity of the linear SDE's kernel: ᾱ_t = e^{∫f}, β̄_t² = ᾱ_t² ∫ g²/ᾱ² "
                       "(checked with random f, g at several times)", claim=claim)
    return Verdict(eq, "inconsistent", "not an identity of the linear SDE's kernel ᾱ_t = e^{∫f}, β̄_t² = ᾱ_t² ∫ g²/ᾱ² "
                   f"(the sides differ, relative {worst:.2g}, with random f, g)", claim=claim, terms=["rhs"])
