"""Diagnoses of a mismatch: the one-symbol repair ("uses X where Y is needed"), a sign, a missing square
or square root, a constant factor."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import Atom
from .claim import Claim, _resolve_expr
from .entry import Entry
from .bounds import past_soft_deadline
from .evaluate import is_zero

# ============================================================================ diagnoses
def _swaps(at: Atom) -> List[Tuple[Atom, str]]:
    """One-symbol repairs to try: alpha <-> abar, beta -> beta~, index shifts, sigma_k <-> sigma_{k-1}."""
    out = []
    if at.base == "α":
        out.append((Atom("α", "" if at.deco == "bar" else "bar", at.sub, at.sup, at.args, at.font), ""))
    if at.base == "β" and at.deco == "":
        out.append((Atom("β", "tilde", at.sub, at.sup, at.args, at.font), ""))
    if at.base in ("α", "β", "σ") and at.sub:
        m = C._IDX.match(C.norm_index(at.sub))
        if m:
            off = int(m.group(2).replace(" ", "")) if m.group(2) else 0
            for d in (-1, 1):
                o2 = off + d
                sub = m.group(1) + (f"{o2:+d}" if o2 else "")
                out.append((Atom(at.base, at.deco, sub, at.sup, at.args, at.font), ""))
    return out


def _occurrences(expr: sp.Expr, sym: sp.Symbol) -> int:
    if expr == sym:
        return 1
    return sum(_occurrences(a_, sym) for a_ in expr.args)


def _replace_nth(expr: sp.Expr, sym: sp.Symbol, new: sp.Expr, n: int):
    """Replace only the n-th occurrence of ``sym`` (preorder); returns (new expr, context, repaired context).

    The context is the nearest enclosing sum (like 1 − α_t) or, failing that, the nearest
    enclosing power, so that a message can say "√(1 − α_t) should be √(1 − ᾱ_t)".
    """
    counter = [0]
    found: List[sp.Expr] = []

    def walk(e_: sp.Expr, path: List[sp.Expr]) -> sp.Expr:
        if e_ == sym:
            counter[0] += 1
            if counter[0] == n + 1:
                found.extend(path)
                return new
            return e_
        if not e_.args:
            return e_
        args = [walk(a_, path + [e_]) for a_ in e_.args]
        return e_.func(*args) if args != list(e_.args) else e_

    out = walk(expr, [])
    ctx = None
    for anc in reversed(found):
        if isinstance(anc, sp.Add):
            ctx = anc
            break
    if ctx is None:
        ctx = next((anc for anc in reversed(found) if isinstance(anc, sp.Pow)), found[-1] if found else expr)
    return out, ctx, ctx.xreplace({sym: new})


def _canon_coef(coef: sp.Expr, cl: Claim, extra_atoms: Dict[sp.Symbol, Atom]) -> Optional[sp.Expr]:
    p = cl.parsed
    saved = dict(p.atoms)
    p.atoms.update(extra_atoms)
    try:
        return _resolve_expr(coef, p, cl.reading.copy(noises=dict(cl.reading.noises)))
    except Exception:
        return None
    finally:
        p.atoms.clear()
        p.atoms.update(saved)


def _raw_disp(expr: sp.Expr, cl: Claim) -> str:
    txt = sp.sstr(expr, order="none").replace("**", "^").replace("*", "·")
    return txt.replace("sqrt(", "√(")


def _diagnose_raw(raw: sp.Expr, want, cl: Claim, square: bool = False) -> str:
    """Try one-symbol repairs of the raw coefficient ``raw`` so that it equals ``want`` (or want² if square)."""
    if raw is None or past_soft_deadline():
        return ""
    p = cl.parsed
    for sym in sorted(raw.free_symbols, key=lambda q: q.name):
        at = p.atoms.get(sym)
        if at is None:
            continue
        for new_at, _ in _swaps(at):
            new_sym = sp.Symbol(new_at.name, real=True)
            n_occ = _occurrences(raw, sym)
            if past_soft_deadline():
                return ""
            for n in range(n_occ):
                cand, where, fixed = _replace_nth(raw, sym, new_sym, n)
                val = _canon_coef(cand, cl, {new_sym: new_at})
                if val is None:
                    continue
                ok = any(is_zero((val**2 if square else val) - w, n=3)[0] for w in (want if isinstance(want, list) else [want]))
                if ok:
                    return f"it uses {at.name} where {new_at.name} is needed: {_raw_disp(where, cl)} should be {_raw_disp(fixed, cl)}"
    # simple shape repairs
    val = _canon_coef(raw, cl, {})
    if val is None:
        return ""
    for w in (want if isinstance(want, list) else [want]):
        ww = w if not square else sp.sqrt(w)
        if is_zero(val + ww, n=3)[0] and not square:
            return "wrong sign"
        if is_zero(val**2 - ww, n=3)[0]:
            return "the square is missing"
        if is_zero(val - ww**2, n=3)[0] and val != 1:
            return "a square root is missing"
        ratio = _const_ratio(val, ww)
        if ratio is not None and ratio != 1:
            return f"off by a factor {ratio}"
    return ""


def _const_ratio(val: sp.Expr, want: sp.Expr):
    """val / want when it is the same number at random admissible points (a rational if it looks like one)."""
    import random

    from .evaluate import _concrete, _num, _point

    try:
        conc = _concrete(C.tie(val / want))
    except Exception:
        return None
    rng = random.Random(7)
    vals = [_num(conc, _point(rng)) for _ in range(3)]
    if any(v_ != v_ or abs(v_.imag) > 1e-20 for v_ in vals):
        return None
    r0 = vals[0].real
    if any(abs(v_.real - r0) > 1e-12 * max(1.0, abs(r0)) for v_ in vals[1:]):
        return None
    return sp.nsimplify(sp.Float(r0, 15), rational=True, tolerance=1e-10)


def _diagnose(cl: Claim, k, want) -> str:
    if k == "ratio":
        rx = cl.raw_mean.get(C.x_cur)
        re_ = cl.raw_mean.get(C.e)
        if rx is None or re_ is None:
            return ""
        return _diagnose_raw(sp.simplify(re_ / rx), want, cl)
    raw = cl.raw_mean.get(k)
    if raw is None:
        return ""
    return _diagnose_raw(raw, want, cl)


def _diagnose_noise(cl: Claim, opts) -> str:
    if cl.raw_noise is None:
        return ""
    return _diagnose_raw(cl.raw_noise, list(opts), cl, square=True)


def _diagnose_scalar(cl: Claim, e: Entry) -> str:
    p = cl.parsed
    raw = p.sides[-1]
    return _diagnose_raw(raw, e.rhs, cl)
