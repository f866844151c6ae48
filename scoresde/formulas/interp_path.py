"""General interpolation paths z_t = a_t x_0 + b_t ε and what is defined from them (Esser et al. 2024 (SD3), Sec. 2,
Eq. 2-3; Albergo & Vanden-Eijnden 2023, Def. 2.1; Liu et al. 2023 (rectified flow); Chen 2023, Eq. 1 and Sec. 3.1):

* a path written with explicit coefficients in t (rectified flow (1 − t) x_0 + t ε, the cosine path
  cos(πt/2) x_0 + sin(πt/2) ε) is ``exact`` when it is a named one, ``consistent`` when it is another interpolant
  from the data at t = 0 to pure noise at t = 1 (a_0 = 1, b_0 = 0, a_1 = 0, b_1 > 0), ``inconsistent`` otherwise
  (the wrong coefficient named: mean.x0 for a_t, variance for b_t);
* Chen's path √γ(t) x_0 + √(1 − γ(t)) ε (γ the cumulative schedule, 1 at t = 0, 0 at t = 1), with an input scaling
  b of the data (b √γ(t) x_0), and the generic a_t x_0 + b_t ε are the notation's definitions (``exact``);
* beside such a path (or, with no path in the cell, under SD3's default a_t x_0 + b_t ε when the formula uses a_t and
  b_t), each other formula is checked against its own path: SNR(t) = a_t²/b_t², the log-SNR λ_t = log(a_t²/b_t²)
  (and its derivative λ_t'), the conditional velocity u_t(z | ε) = dz_t/dt = a_t' x_0 + b_t' ε written in z and ε,
  and the conditional flow-matching objective E‖v_θ(z, t) − u‖² whose target must be that velocity.
Equality is decided at random points with concrete test functions for a_t, b_t, γ(t); a wrong formula is
``inconsistent`` with the offending term named.
"""
from __future__ import annotations

import math
import re
from typing import Dict, List, Optional, Tuple

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_interpolation_cell"]

SOURCE = "Esser et al. 2024 (SD3), Sec. 2, Eq. 2-3; Albergo & Vanden-Eijnden 2023, Def. 2.1"
T = sp.Symbol("t", real=True)
X0, E, Z, NET, BS = sp.symbols("x0· ε· z· net· b·", real=True)
FA, FB, FG = sp.Function("a·"), sp.Function("b·"), sp.Function("γ·")


class _Decline(Exception):
    pass


def _lhs_rhs(eq: str) -> Optional[Tuple[str, str]]:
    m = re.match(r"^(?P<l>[^=]+?)\s*(?::=|=)(?!=)\s*(?P<r>.+)$", eq.strip(), re.S)
    if not m or "=" in m.group("r"):
        return None
    return m.group("l").strip(), m.group("r").strip()


_STATE = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*(?:z|x)\s*\}|z|x)"
_PATH_LHS = re.compile(r"^" + _STATE + r"(?:\s*_\s*\{?\s*t\s*\}?)?$")
_SNR_LHS = re.compile(r"^(?:\\mathrm\s*\{\s*SNR\s*\}|\\text\s*\{\s*SNR\s*\}|SNR)\s*(?:\(\s*t\s*\)|_\s*\{?\s*t\s*\}?)$")
_LOGSNR_LHS = re.compile(r"^\\lambda\s*(?:\(\s*t\s*\)|_\s*\{?\s*t\s*\}?)$")
_VEL_LHS = re.compile(r"^(?:u|v)\s*_\s*\{?\s*t\s*\}?\s*(?:\((?P<arg>[^()]*)\))?$")


def _kind(lhs: str) -> Optional[str]:
    if _PATH_LHS.match(lhs):
        return "path"
    if _SNR_LHS.match(lhs):
        return "snr"
    if _LOGSNR_LHS.match(lhs):
        return "logsnr"
    m = _VEL_LHS.match(lhs)
    if m and (m.group("arg") is None or "|" in m.group("arg") or r"\mid" in m.group("arg")):
        return "velocity"
    if re.match(r"^\\mathcal\s*\{\s*L\s*\}", lhs):
        return "objective"
    return None


def _path_funcs(path: Tuple[sp.Expr, sp.Expr]):
    a, b = path
    lam = sp.log(a ** 2 / b ** 2)
    return lam


def _expr(text: str, path: Optional[Tuple[sp.Expr, sp.Expr]], state_letter: str = "z") -> sp.Expr:
    """The sympy expression of ``text`` in the path's vocabulary (raises _Decline on anything else)."""
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(text)
    except (ParseError, ValueError, TypeError, RecursionError) as err:
        raise _Decline(str(err))
    if len(p.sides) != 1:
        raise _Decline("not one expression")
    rep: Dict[sp.Symbol, sp.Expr] = {}
    for s_ in p.sides[0].free_symbols:
        at = p.atoms.get(s_)
        if at is None:
            raise _Decline(str(s_))
        prime = "′" in at.sup or at.sub.endswith("'") or at.deco == "dot"
        sub = at.sub.rstrip("'")
        sup = at.sup.replace("′", "")
        if sup:
            raise _Decline("a superscript")
        if at.base == "t" and not sub and not at.args and not at.deco:
            rep[s_] = T
        elif at.base == "ε" and not at.args and sub in ("", "0", "1") and not at.deco:
            rep[s_] = E
        elif at.base in ("ε", "v", "u", "x") and at.args and re.search(r"θ|Θ|φ", sub):
            rep[s_] = NET
        elif at.base == "x" and not at.args and not at.deco and (sub == "0" or (sub == "" and state_letter == "z")):
            rep[s_] = X0
        elif at.base in ("z", "x") and not at.args and not at.deco and sub in ("t", "") and at.base == state_letter:
            rep[s_] = Z
        elif at.base in ("a", "b") and sub == "t" and not at.args and at.deco in ("", "dot"):
            f = (FA if at.base == "a" else FB)(T)
            rep[s_] = sp.diff(f, T) if prime else f
        elif at.base == "b" and not sub and not at.args and not at.deco:
            rep[s_] = BS
        elif at.base == "γ" and not sub and (at.args in (None, ("t",))) and not at.deco and not prime:
            rep[s_] = FG(T)
        elif at.base == "λ" and sub == "t" and not at.args and not at.deco and path is not None:
            lam = _path_funcs(path)
            rep[s_] = sp.diff(lam, T) if prime else lam
        else:
            raise _Decline(str(s_))
    return p.sides[0].xreplace(rep)


_TEST = {FA(T): sp.cos(sp.Rational(9, 10) * T + sp.Rational(3, 10)) * sp.Rational(11, 10),
         FB(T): sp.Rational(1, 5) + sp.Rational(7, 10) * T ** 2, FG(T): 1 / (1 + sp.exp(2 * T - sp.Rational(2, 5)))}


def _num(ex: sp.Expr, tv: float, vals=(0.37, -1.21, 0.83, 0.59)) -> complex:
    ex = sp.sympify(ex).subs(_TEST).doit()
    return complex(sp.N(ex.subs({T: tv, X0: vals[0], E: vals[1], Z: vals[2], BS: vals[3]})))


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    for tv in (0.13, 0.41, 0.77):
        try:
            u, w = _num(a, tv), _num(b, tv)
        except (TypeError, ValueError, ZeroDivisionError):
            return False
        if not (math.isfinite(abs(u)) and math.isfinite(abs(w))) or abs(u - w) > 1e-9 * (1 + abs(w)):
            return False
    return True


def _coeffs(ex: sp.Expr) -> Tuple[sp.Expr, sp.Expr]:
    ex = sp.expand(ex)
    a, b = ex.coeff(X0), ex.coeff(E)
    if sp.simplify(ex - a * X0 - b * E) != 0 or a.has(X0, E, Z, NET) or b.has(X0, E, Z, NET):
        raise _Decline("not a combination of x_0 and ε")
    return a, b


_NAMED = [("rectified flow z_t = (1 − t) x_0 + t ε (Liu et al. 2023; Esser et al. 2024, Sec. 3.1)", 1 - T, T),
          ("the cosine path z_t = cos(πt/2) x_0 + sin(πt/2) ε (Esser et al. 2024, Sec. 3.1; Nichol & Dhariwal's "
           "cosine schedule without its offset)", sp.cos(sp.pi * T / 2), sp.sin(sp.pi * T / 2))]


def _explicit_path(eq: str, a: sp.Expr, b: sp.Expr) -> Optional[Verdict]:
    f = sp.lambdify(T, a), sp.lambdify(T, b)
    try:
        a0, a1, b0, b1 = (round(float(g(v)), 12) + 0.0 for g, v in ((f[0], 0.0), (f[0], 1.0), (f[1], 0.0), (f[1], 1.0)))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if abs(a1) > 1e-12:
        return None  # not an interpolation to pure noise at t = 1: other readings (a VE kernel x_0 + t ε) apply
    for title, na, nb in _NAMED:
        if _same(a, na) and _same(b, nb):
            return Verdict(eq, "exact", f"identical to {title}", claim="interpolation path", target="interp_path")
    bad = (["mean.x0"] if abs(a0 - 1) > 1e-12 else []) + (["variance"] if abs(b0) > 1e-12 or b1 <= 1e-12 else [])
    if not bad:
        return Verdict(eq, "consistent", "a valid interpolation path from the data at t = 0 (a_0 = 1, b_0 = 0) to pure "
                       f"noise at t = 1 (a_1 = 0, b_1 > 0), but not a named one ({SOURCE})",
                       claim="interpolation path", target="interp_path")
    return Verdict(eq, "inconsistent", f"not an interpolation path from the data to noise: a_0 = {a0:.4g}, b_0 = {b0:.4g}, "
                   f"a_1 = {a1:.4g}, b_1 = {b1:.4g} (expected 1, 0, 0, > 0; {SOURCE})",
                   claim="interpolation path", target="interp_path", terms=bad)


def _symbolic_path(eq: str, a: sp.Expr, b: sp.Expr) -> Optional[Verdict]:
    if a == FA(T) and b == FB(T):
        return Verdict(eq, "exact", f"the general path z_t = a_t x_0 + b_t ε ({SOURCE})", claim="interpolation path",
                       target="interp_path")
    if not a.has(FG(T)) and not b.has(FG(T)):
        return None
    if a.has(FA(T), FB(T)) or b.has(FA(T), FB(T)):
        return None
    wa = sp.sqrt(FG(T)) * (BS if a.has(BS) else 1)
    bad = ([] if _same(a, wa) else ["mean.x0"]) + ([] if _same(b, sp.sqrt(1 - FG(T))) else ["variance"])
    src = "Chen 2023 (On the importance of noise scheduling), Eq. 1 and Sec. 3.1 (input scaling b)"
    if not bad:
        return Verdict(eq, "exact", f"identical to the path x_t = √γ(t) {'b ' if a.has(BS) else ''}x_0 + √(1 − γ(t)) ε "
                       f"({src})", claim="interpolation path (γ(t))", target="interp_path")
    return Verdict(eq, "inconsistent", f"differs from the path x_t = √γ(t) x_0 + √(1 − γ(t)) ε ({src})",
                   claim="interpolation path (γ(t))", target="interp_path", terms=bad)


def _other(eq: str, kind: str, rhs: str, path: Tuple[sp.Expr, sp.Expr], letter: str) -> Verdict:
    a, b = path
    if kind == "objective":
        return _objective(eq, rhs, path, letter)
    got = _expr(rhs, path, letter)
    if kind == "snr":
        want, what = a ** 2 / b ** 2, "SNR(t) = a_t²/b_t² of the path"
    elif kind == "logsnr":
        want, what = sp.log(a ** 2 / b ** 2), "the log-SNR λ_t = log(a_t²/b_t²) of the path"
    else:
        got = got.xreplace({Z: a * X0 + b * E})
        want, what = sp.diff(a, T) * X0 + sp.diff(b, T) * E, "the conditional velocity u_t(z | ε) = dz_t/dt of the path"
        if got.has(NET):
            raise _Decline("a network output")
    if _same(got, want):
        return Verdict(eq, "exact", f"identical to {what} ({SOURCE})", claim=what, target="interp_path")
    return Verdict(eq, "inconsistent", f"differs from {what} ({SOURCE})", claim=what, target="interp_path",
                   terms=["rhs"])


def _objective(eq: str, rhs: str, path, letter: str) -> Verdict:
    m = re.search(r"\\\|(?P<in>.+)\\\|", rhs)
    if not m:
        raise _Decline("no norm")
    inner = _expr(m.group("in"), path, letter).xreplace({Z: path[0] * X0 + path[1] * E})
    c = sp.expand(inner).coeff(NET)
    if c not in (1, -1):
        raise _Decline("not a regression of one network output")
    target = sp.expand(-(inner - c * NET) / c)
    a, b = path
    want = sp.diff(a, T) * X0 + sp.diff(b, T) * E
    what = "the conditional flow-matching objective, whose target is the velocity dz_t/dt of the path"
    if _same(target, want):
        return Verdict(eq, "exact", f"identical to {what} (Lipman et al. 2023, Eq. 9; {SOURCE})", claim=what,
                       target="interp_path")
    ta, tb = _coeffs(target)
    if _same(ta, a) and _same(tb, b) or _same(ta, 0) and _same(tb, 1) or _same(ta, 1) and _same(tb, 0):
        raise _Decline("a regression on the state, the noise or the data: other objectives")
    return Verdict(eq, "inconsistent", f"the regression target is not the velocity dz_t/dt = a_t' x_0 + b_t' ε of the "
                   f"path ({SOURCE})", claim=what, target="interp_path", terms=["rhs"])


def judge_interpolation_cell(eqs: List[str]) -> Optional[List[Verdict]]:
    """Verdicts for a cell built on an interpolation path (see the module's docstring), or None."""
    if not eqs or len(eqs) > 4:
        return None
    parts = []
    for eq in eqs:
        lr = _lhs_rhs(eq)
        if lr is None:
            return None
        kind = _kind(lr[0])
        if kind is None:
            return None
        parts.append((eq, kind, lr))
    try:
        paths = [(eq, lr) for eq, kind, lr in parts if kind == "path"]
        if len(paths) > 1:
            return None
        out: List[Verdict] = []
        if paths:
            eq, (lhs, rhs) = paths[0]
            letter = "z" if "z" in lhs else "x"
            ex = _expr(rhs, None, letter)
            if ex.has(Z, NET):
                return None
            a, b = _coeffs(ex)
            if a == 0 or b == 0:
                return None
            pv = _explicit_path(eq, a, b) if not a.has(FA(T), FB(T), FG(T), BS) and not b.has(FA(T), FB(T), FG(T), BS) \
                else _symbolic_path(eq, a, b)
            if pv is None:
                return None
            out.append(pv)
            path = (a, b)
        else:
            text = " ".join(eqs)
            if not (re.search(r"(?<![A-Za-z\\])a\s*_\s*\{?\s*t", text) and re.search(r"(?<![A-Za-z\\])b\s*_\s*\{?\s*t", text)):
                return None  # SD3's notation: a_t and b_t are the coefficients of z_t = a_t x_0 + b_t ε
            path, letter = (FA(T), FB(T)), "z"
        for eq, kind, (lhs, rhs) in parts:
            if kind != "path":
                out.append(_other(eq, kind, rhs, path, letter))
        if paths and len(out) > 1 and out[0].verdict == "exact":
            out = out[1:]  # the path is the definition the other formulas are checked against
        for v in out:
            v.notes.append("checked against the interpolation path it is defined from (interp_path.py)")
        return out
    except (_Decline, ArithmeticError, TypeError, ValueError, AttributeError):
        return None
