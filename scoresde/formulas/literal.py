"""Literal reading: a formula compared with a registry entry's own LaTeX, symbol by symbol.

The domain reading (:mod:`scoresde.formulas.classify`) knows what ᾱ_t, β(t), s_θ mean and can judge
formulas written in other notations; it has to be taught each new quantity. The literal reading needs
nothing new: a registry entry whose left side is written like the claim's (``c_{\\text{skip}}(\\sigma)``,
``\\lambda_t``, ``h_i``, ``\\mathrm{SNR}(t)``; fonts, braces and the index letter t/i/n/k do not matter) is
parsed by the same reader, every symbol becomes a plain symbol named as written (index letters unified),
and the two right sides are compared at random points (12 points, 30 digits, independent values per
symbol). Equal everywhere -> ``exact`` (algebraic rewriting is fine); different -> ``inconsistent`` with
the term ``rhs``. It is the fallback for quantities the domain reading does not define.
"""
from __future__ import annotations

import random
import re
import zlib
from typing import Dict, List, Optional, Tuple

import sympy as sp
from sympy.core.function import AppliedUndef

from .admissible import judge_alternative
from .atoms import DDT, Atom, Parsed
from .parse import parse
from .sequences import valid_same_kind

__all__ = ["lhs_key", "literal_verdict", "split_lhs"]

_FONTS = re.compile(r"\\(?:mathrm|text|textrm|mathbf|boldsymbol|bm|operatorname|mathit|mathsf|rm|mathcal|mathbb)(?![a-zA-Z])")
_SPACES = re.compile(r"\\(?:left|right|big|Big|bigl|bigr|quad|qquad)(?![a-zA-Z])|\\[,;!: ]|\s+")


def split_lhs(text: str) -> Optional[Tuple[str, str]]:
    """(left side, right side) at the first top-level '=' (None without one)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "=" and depth == 0:
            return text[:i], text[i + 1:]
    return None


def lhs_key(lhs: str) -> str:
    """A written left side without fonts, spacing and braces, with the index letters t/i/n/k unified."""
    s = _FONTS.sub("", lhs)
    s = _SPACES.sub("", s)
    s = s.replace("{", "").replace("}", "")
    s = re.sub(r"_([a-z])(?:<|\\lt|\\le|\\leq)[A-Za-z0-9+-]+", r"_\1", s)  # σ_{i<N} is σ_i (a range, not a name)
    s = re.sub(r"\\(?:tilde|bar|hat)([a-zA-Z\\])", r"~\1", s)
    s = re.sub(r"_\(?([tink])(?![a-zA-Z])", "_k", s)
    return s


def _uni(sub: str) -> str:
    return re.sub(r"(?<![a-zA-Z])[tink](?![a-zA-Z])", "k", sub)


def _name(at: Atom) -> str:
    name = Atom(at.base, at.deco, _uni(at.sub), at.sup, tuple(_uni(a) for a in at.args) if at.args is not None else None).name
    return name.replace("{", "").replace("}", "").replace(" ", "")


def _literal(p: Parsed, expr: sp.Expr) -> sp.Expr:
    sub = {s_: sp.Symbol(_name(p.atoms[s_])) for s_ in expr.free_symbols if s_ in p.atoms}
    # a time derivative (σ̇(t), ṡ(t)) is one more symbol, named as written
    return expr.xreplace(sub).replace(lambda q: isinstance(q, sp.Function) and q.func == DDT,
                                      lambda q: sp.Symbol("d" + sp.sstr(q.args[0]) + "/dt"))


def _values(names: List[str], k: int) -> Dict[str, float]:
    out = {}
    for n in names:
        rng = random.Random(zlib.crc32(n.encode()) * 1000 + k)
        out[n] = rng.uniform(0.15, 0.9)
    return out


def _pair_at(a: sp.Expr, b: sp.Expr, syms, k: int) -> Optional[Tuple[complex, complex]]:
    """``a`` and ``b`` at the k-th random point of :func:`_values` (30 digits), or None where they cannot be evaluated."""
    vals = _values([s_.name for s_ in syms], k)
    point = {s_: sp.Float(vals[s_.name], 30) for s_ in syms}
    try:
        return complex(sp.N(a.xreplace(point), 30)), complex(sp.N(b.xreplace(point), 30))
    except (TypeError, ValueError):
        return None


def _same(a: sp.Expr, b: sp.Expr, n: int = 12) -> Optional[bool]:
    if sp.expand(a - b) == 0:
        return True
    if a.has(sp.Product, sp.Sum) or b.has(sp.Product, sp.Sum):
        return None  # ∏_{s=1}^{t-1} α_s at numeric limits is slow to evaluate and the domain reader judges it
    syms = sorted(a.free_symbols | b.free_symbols, key=lambda s_: s_.name)
    bad = 0
    for k in range(n):
        pair = _pair_at(a, b, syms, k)
        if pair is None:
            bad += 1
            continue
        va, vb = pair
        if va != va or vb != vb:
            bad += 1
            continue
        if abs(va - vb) > 1e-18 * max(1.0, abs(va), abs(vb)):
            return False
    return None if bad == n else True


_NOT_CONTINUOUS = {"i", "j", "k", "n", "m", "N", "M", "K", "L", "T", "ρ"}


def _not_real(a: sp.Expr, b: sp.Expr, n: int = 12) -> bool:
    """``a`` takes a non-real value at points where the entry's ``b`` is real (a square root of a quantity that goes
    negative on the domain, e.g. √(σ² − σ_data²) for σ < σ_data): the formula as written is not defined there."""
    if a.has(sp.Integral, sp.Sum, sp.Product) or a.atoms(AppliedUndef) or not any(
            isinstance(q, sp.Pow) and not q.exp.is_integer for q in a.atoms(sp.Pow)):
        return False  # no root that could go negative, or a schedule function / integral (judged by the domain reader)
    syms = sorted(a.free_symbols | b.free_symbols, key=lambda s_: s_.name)
    if any(s_.is_integer or s_.name in _NOT_CONTINUOUS for s_ in syms):
        return False  # an index, a count or EDM's ρ: the random values below are not its domain
    for k in range(n):
        pair = _pair_at(a, b, syms, k)
        if pair is None:
            continue
        va, vb = pair
        if abs(va.imag) > 1e-20 * max(1.0, abs(va.real)) and abs(vb.imag) <= 1e-20 * max(1.0, abs(vb.real)):
            return True
    return False


def literal_verdict(text: str, registry) -> Optional[Tuple[str, str, object]]:
    """(verdict, detail, entry) against the registry entry whose written left side matches, or None."""
    parts = split_lhs(text)
    if parts is None:
        return None
    key = lhs_key(parts[0])
    if not key:
        return None
    cands = []
    for e in registry.values():
        ep = split_lhs(_entry_text(e))
        if ep is not None and lhs_key(ep[0]) == key:
            cands.append(e)
    logged = False
    if not cands and re.match(r"\\(?:log|ln)(?![a-zA-Z])", key):
        # log σ_i = …: a positive quantity given by its logarithm (Song & Ermon 2019, Sec. 4.1: σ_i geometric, i.e.
        # log σ_i evenly spaced) is the quantity exp(…)
        key = re.sub(r"^\\(?:log|ln)", "", key)
        key = key[1:-1] if re.fullmatch(r"\((?:[^()]|\([^()]*\))*\)", key) else key
        cands = [e for e in registry.values() if (ep := split_lhs(_entry_text(e))) is not None and lhs_key(ep[0]) == key]
        logged = True
    if not cands:
        return None
    try:
        pc = parse(text)
    except Exception:
        return None
    if len(pc.sides) < 2:
        return None
    rc = _literal(pc, pc.sides[-1])
    if logged:
        rc = sp.exp(rc)
    best = None
    for e in cands:
        try:
            pe = parse(_entry_text(e))
        except Exception:
            continue
        re_ = _literal(pe, pe.sides[-1])
        extra = sorted(rc.free_symbols - re_.free_symbols, key=lambda s_: s_.name)
        if extra:
            # a symbol the entry does not use: judged only when swapping it for an entry symbol of the same
            # letter repairs the formula (α for ᾱ, σ_{k-1} for σ_k); otherwise another notation -> not judged here
            fix = _repair(rc, re_, extra)
            if fix and best is None:
                best = ("inconsistent", f"differs from {e.title} ({e.source}): it uses {fix[0]} where {fix[1]} is needed", e)
            continue
        same = _same(rc, re_)
        if same:
            return "exact", f"identical to {e.title} (read literally: the same symbols as {e.source} writes them, " \
                            "equal at 12 random points)", e
        if same is False:
            shift = _index_shift(rc, re_)
            if shift:
                # the same sequence counted from another index: a valid alternative, but not the formula as published
                if best is None or best[0] != "consistent":
                    best = ("consistent", f"the sequence of {e.title} ({e.source}) with another index convention ({shift}): "
                            f"expected {_show(re_)}, found {_show(rc)}", e)
                continue
        if same is False and (best is None or best[0] != "consistent"):
            why = valid_same_kind(rc, re_)  # another valid time-step sequence (EDM's ρ steps with ρ ↔ 1/ρ): consistent
            if why:
                best = ("consistent", f"{why}: {e.title} ({e.source}) expected {_show(re_)}, found {_show(rc)}", e)
                continue
        if same is False and (best is None or best[0] != "consistent"):
            alt = judge_alternative(rc, e, f"expected {_show(re_)}, found {_show(rc)}", entry_rhs=re_)
            if best is None:
                best = ("inconsistent", f"differs from {e.title} ({e.source}): expected {_show(re_)}, found {_show(rc)}", e)
                if alt is None and _not_real(rc, re_):  # not a real number on part of the domain: ill-defined there
                    best = ("ill-defined", f"{_show(rc)} is not real on part of the domain (a square root of a negative "
                            f"quantity). Also: differs from {e.title} ({e.source}): expected {_show(re_)}", e)
                if alt is not None:  # another valid schedule of the same kind (admissible.py)
                    best = (alt[0], alt[1], e)
            elif alt is not None and alt[0] == "consistent":  # a valid variant of a later candidate beats a mismatch
                best = (alt[0], alt[1], e)
    return best


_COUNTS = ("N", "T", "L", "M", "K")


def _index_shift(rc: sp.Expr, re_: sp.Expr) -> Optional[str]:
    """A shift of the running index (k → k ± 1) and/or of the count (N → N ± 1) that turns the entry into the claim."""
    syms = {s_.name: s_ for s_ in rc.free_symbols | re_.free_symbols}
    k = syms.get("k") or syms.get("i")
    counts = [syms[n] for n in _COUNTS if n in syms]
    if k is None:
        return None
    for dk in (0, 1, -1):
        for cnt in counts or [None]:
            for dn in ((0, 1, -1) if cnt is not None else (0,)):
                if dk == 0 and dn == 0:
                    continue
                sub = {k: k + dk}
                if cnt is not None and dn:
                    sub[cnt] = cnt + dn
                if _same(rc, re_.xreplace(sub)):
                    parts = ([f"{k.name} → {k.name} {'+' if dk > 0 else '−'} 1"] if dk else []) + (
                        [f"{cnt.name} → {cnt.name} {'+' if dn > 0 else '−'} 1"] if dn else [])
                    return ", ".join(parts)
    return None


def _base(name: str) -> str:
    return re.split(r"[_^(]", name, maxsplit=1)[0].rstrip("\u0304\u0303\u0302").replace("ᾱ", "α")


def _repair(rc: sp.Expr, re_: sp.Expr, extra) -> Optional[Tuple[str, str]]:
    for x in extra:
        for y in sorted(re_.free_symbols - rc.free_symbols, key=lambda s_: s_.name) or sorted(re_.free_symbols, key=lambda s_: s_.name):
            # the same letter, both with or both without a subscript (α_k for ᾱ_k, σ_k for σ_{k-1}; not x for x_0,
            # which is a change of notation rather than a slip)
            if _base(x.name) == _base(y.name) and ("_" in x.name) == ("_" in y.name) and _same(rc.xreplace({x: y}), re_):
                return x.name, y.name
    return None


_TEXTS: Dict[str, str] = {}


def _entry_text(e) -> str:
    from .normalize import normalize_latex

    if e.latex not in _TEXTS:
        _TEXTS[e.latex] = normalize_latex(e.latex)
    return _TEXTS[e.latex]


def _show(expr: sp.Expr) -> str:
    return sp.sstr(expr, order="none").replace("**", "^").replace("*", "·").replace("sqrt(", "√(")
