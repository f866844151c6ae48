"""Functions applied to arguments: a definition substituted where the function is used.

General reading rules (issue 13):

* **A function of the registry applied to expressions** on the left side, ``μ̃_t(x_t, (x_t − √(1−ᾱ_t) ε)/√ᾱ_t) = …``
  (Ho et al. 2020, Eq. 10): the registry entry that defines the function with the same written name and the
  same number of parameters (``μ̃_t(x_t, x_0) = …``, Eq. 7) gives its right side; the claim's arguments are
  substituted for the parameters, and the claim is the identity "definition at those arguments = right side",
  judged in canonical symbols (exact, or inconsistent naming the coefficients that differ).
* **The same function on a right side or in a chain** (``μ_θ = μ̃_t(x_t, x̂_0(ε_θ)) = …``, Eq. 11): written out
  with the entry's definition (:func:`expand_registry_calls`).
* ``d(x)`` on an SDE's left side is dx; ``d(F x)`` with a stray F is the stray-symbol reading (:func:`differential_lhs`).

Functions defined in the same cell are substituted by :mod:`scoresde.formulas.celldefs`.
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

import sympy as sp

from . import canon as C
from .atoms import Parsed
from .literal import lhs_key, split_lhs
from .tokens import split_top_level
from .verdict import Verdict

__all__ = ["applied_verdict", "call_parts", "close_paren", "split_args", "expand_registry_calls", "differential_lhs"]

_LR = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])")


def close_paren(text: str, i: int) -> int:
    """Index of the ')' matching the '(' at ``text[i]`` (brackets of all kinds counted), or -1."""
    depth = 0
    for j in range(i, len(text)):
        ch = text[j]
        if ch == "\\" and j + 1 < len(text) and text[j + 1] in "{}":
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return j if ch == ")" else -1
    return -1


def split_args(text: str) -> List[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return out


def call_parts(text: str) -> Optional[Tuple[str, List[str], str]]:
    """``name(arg1, …) rest`` -> (name, [arg texts], rest); None when the text does not start with a call."""
    t = _LR.sub("", text).strip()
    i = t.find("(")
    if i <= 0:
        return None
    j = close_paren(t, i)
    if j < 0:
        return None
    return t[:i].strip(), split_args(t[i + 1:j]), t[j + 1:].strip()


# ------------------------------------------------------------------------------ registry functions at expressions
def _simple(arg: str) -> bool:
    """An argument that is just a name (x_t, t, x_0), not an expression."""
    from .parse import parse

    try:
        q = parse(arg)
    except Exception:
        return False
    side = q.sides[0] if q.sides else None
    return isinstance(side, sp.Symbol) and side in q.atoms


def applied_verdict(eq: str, p: Parsed, entry, hints) -> Optional[Verdict]:
    """The verdict of ``F(arg, …) = R`` where F is a registry function written with parameters and some argument
    is an expression (see the module docstring); None when the formula is not of that shape."""
    if len(p.sides) != 2 or p.relation not in ("=", None):
        return None
    lhs = p.sides[0]
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if at is None or not at.args:
        return None
    parts = split_lhs(eq)
    call = call_parts(parts[0]) if parts else None
    if call is None or call[2] or re.search(r"\||\\mid|;", parts[0]) or all(_simple(a_) for a_ in call[1]):
        return None  # (densities p(x | y), q(x; σ) and functions at their own parameters are read elsewhere)
    from .verdict import RANK

    found = []
    for e, params, body in _defining_entries(call[0], len(call[1]), entry):
        v = _judge(eq, parts[1], call[1], e, params, body, hints)
        if v is not None:
            found.append(v)
    # several entries define a function of that name (σ(t) of VE and of EDM): the best reading wins
    return min(found, key=lambda v: RANK[v.verdict]) if found else None


def _defining_entries(name: str, nargs: int, entry=None):
    """(entry, parameter texts, right-side LaTeX) of the registry entries that define ``name(p_1, …, p_n)`` with
    named parameters."""
    from .registry import REGISTRY

    key = lhs_key(name)
    out = []
    for e in ([entry] if entry is not None else list(REGISTRY.values())):
        ep = split_lhs(e.latex)
        ecall = call_parts(ep[0]) if ep else None
        if ecall is None or ecall[2] or lhs_key(ecall[0]) != key or len(ecall[1]) != nargs:
            continue
        if all(_simple(q) for q in ecall[1]):
            out.append((e, ecall[1], ep[1]))
    return out


def _split_sides(eq: str) -> List[str]:
    """The sides of a (chained) equation, split at top-level '=' (not ≤, ≥, :=, ==)."""
    return split_top_level(eq, lambda s, i: s[i] == "=" and (i + 1 >= len(s) or s[i + 1] != "=")
                           and (i == 0 or s[i - 1] not in "<>:!="))


def _param_regex(param: str) -> str:
    """A regex for a parameter as written in a registry entry (x_t, x_0, t, \\sigma), standing alone."""
    q = param.strip()
    m = re.fullmatch(r"(\\?[A-Za-z]+)_\{?([A-Za-z0-9]+)\}?", q)
    if m:
        base, sub = re.escape(m.group(1)), re.escape(m.group(2))
        return rf"(?<![A-Za-z\\]){base}_(?:{sub}(?![A-Za-z0-9])|\{{{sub}\}})"
    return rf"(?<![A-Za-z\\]){re.escape(q)}(?![A-Za-z])"


def _body_at(body: str, params: Sequence[str], args: Sequence[str]) -> Optional[str]:
    """The entry's right side with the parameters replaced by the arguments (all at once), or None."""
    pats = [(_param_regex(q), a_) for q, a_ in zip(params, args) if q.replace(" ", "") != a_.replace(" ", "")]
    if not pats:
        return body
    rx = re.compile("|".join(f"({p_})" for p_, _ in pats))
    return rx.sub(lambda m: "\\left(" + pats[m.lastindex - 1][1] + "\\right)", body)


def _call_side(side: str) -> Optional[Tuple[str, str]]:
    """(the side with a registry function at expressions written out, note) when the whole side is such a call
    and exactly one entry defines the function; else None."""
    call = call_parts(side)
    if call is None or call[2] or re.search(r"\||\\mid|;", side) or all(_simple(a_) for a_ in call[1]):
        return None
    defs = _defining_entries(call[0], len(call[1]))
    if len(defs) != 1:
        return None
    e, params, body = defs[0]
    body, params = _reindexed(call[0], body, params)
    out = _body_at(body, params, call[1])
    if out is None:
        return None
    return "\\left(" + out + "\\right)", f"{call[0].strip()}(…) written out with its definition, {e.title} ({e.source})"


def _reindexed(name: str, body: str, params: List[str]) -> Tuple[str, List[str]]:
    """The definition in the call's own index letter: μ̃_n(x_n, x_0) (Bao et al. 2022, Thm. 1 index the steps by n) is
    the entry's μ̃_t(x_t, x_0) with t renamed n, so that the written-out call and the rest of the formula share it."""
    m = re.search(r"_\s*\{?\s*([iknj])\s*\}?\s*$", name)
    if m is None:
        return body, params
    k = m.group(1)
    ren = lambda q: re.sub(r"(_\s*\{?\s*)t(?![a-zA-Z])", lambda m_: m_.group(1) + k, q)  # noqa: E731
    return ren(body), [ren(q) for q in params]


def expand_registry_calls(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """Equations with a right side (or a middle side of a chain) that applies a registry function to expressions
    (μ_θ(x_t, t) = μ̃_t(x_t, (x_t − √(1−ᾱ_t) ε_θ)/√ᾱ_t) = …, Ho et al. 2020, Eq. 11): the call is written out with the
    entry's definition; a chain through such a call is judged as its links (each '=' in turn), the call kept on
    the left of the next link (judged by :func:`applied_verdict`)."""
    out, notes = [], []
    for eq in eqs:
        sides = _split_sides(eq)
        subs = {i: _call_side(sd) for i, sd in enumerate(sides) if i >= 1}
        subs = {i: v for i, v in subs.items() if v is not None}
        if len(sides) < 2 or not subs:
            out.append(eq)
            continue
        if len(sides) == 2 and not _is_name(sides[0]):
            # expr = μ̃_t(x_t, …) (Ho et al. 2020, Eq. 10 read right to left): the same equation with the call on the left
            out.append(sides[1].strip() + " = " + sides[0].strip())
            notes.append("the two sides read the other way round (the named call on the left)")
            continue
        notes += [v[1] for v in subs.values()]
        for i in range(len(sides) - 1):
            right = subs[i + 1][0] if (i + 1) in subs else sides[i + 1]
            out.append(sides[i].strip() + " = " + right.strip())
    return out, list(dict.fromkeys(notes))


def _is_name(side: str) -> bool:
    """Whether one side of an equation is a single named quantity (x_{t-1}, μ_θ(x_t, t)), not an expression."""
    from .normalize import normalize_latex
    from .parse import parse
    try:
        return isinstance(parse(normalize_latex(side)).sides[0], sp.Symbol)
    except Exception:
        return True


def _judge(eq: str, rhs_text: str, args: List[str], e, params: List[str], body: str, hints) -> Optional[Verdict]:
    from .claim import Meaningless, NotUnderstood, _family, _index_of, _notations, _resolve_expr
    from .evaluate import is_zero
    from .normalize import normalize_latex
    from .parse import parse

    body = _index_args(body, params, args)
    try:
        pb = parse(normalize_latex(body))
        pr = parse(rhs_text)
        pa = [parse(a_) for a_ in args]
        pp = [parse(normalize_latex(q)) for q in params]
    except Exception:
        return None
    sub, shown = {}, []
    atoms = dict(pb.atoms)
    for q, a_, qt, at in zip(pp, pa, params, args):
        ps, as_ = q.sides[0], a_.sides[0]
        atoms.update(a_.atoms)
        if ps != as_:
            sub[ps] = as_
            shown.append(f"{qt.strip()} = {at.strip()}")
    atoms.update(pr.atoms)
    left = pb.sides[0].xreplace(sub)
    right = pr.sides[0]
    whole = Parsed(eq, [left, right], atoms, "=", list(pr.issues))
    syms = left.free_symbols | right.free_symbols
    letter, koff = _index_of(whole)
    fam = _family(whole, syms)
    best: Optional[Verdict] = None
    for notation in _notations(whole, syms, hints):
        r = C.Reading("discrete", fam, notation, letter, koff)
        # the definition is written in its entry's notation (VDM's α_t = √ᾱ_t for vdm.* entries), the right side in the claim's
        r_def = C.Reading("discrete", fam, "vdm", letter, koff) if e.name.startswith("vdm.") else r
        try:
            lc, rc = _resolve_expr(left, whole, r_def), _resolve_expr(right, whole, r)
        except (Meaningless, NotUnderstood):
            continue
        d = sp.expand(lc - rc)
        z, how = is_zero(d)
        head = f"{e.title} ({e.source}) at the written arguments " + ", ".join(shown)
        if z:
            return Verdict(eq, "exact", f"identical to {head}" + ("" if how == "symbolic" else f" ({how})"),
                           claim=f"{e.title} evaluated at expressions", target=e.name)
        if z is None:
            continue
        terms, diffs = _terms(sp.expand(lc), sp.expand(rc))
        v = Verdict(eq, "inconsistent", f"differs from {head}: " + "; ".join(diffs),
                    claim=f"{e.title} evaluated at expressions", target=e.name, terms=terms)
        best = best or v
    return best


def _index_args(body: str, params: Sequence[str], args: Sequence[str]) -> str:
    """A time parameter that is also the definition's subscript (SNR(t) = α_t²/σ_t², Kingma et al. 2021, Eq. 2) at an
    index argument (SNR(t − 1)): the subscripts follow the argument, α_{t−1}²/σ_{t−1}² (the symbol t inside a
    subscript is part of a name, so substituting the symbol alone would leave them at t)."""
    for q, a_ in zip(params, args):
        q, a_ = q.strip(), a_.strip()
        if re.fullmatch(r"[a-z]", q) and re.fullmatch(r"[a-z](?:\s*[-+]\s*\d+)?", a_) and a_ != q:
            body = re.sub(r"_\s*(?:\{\s*" + q + r"\s*\}|" + q + r"(?![A-Za-z0-9]))", "_{" + a_ + "}", body)
    return body


_BASIS = ((C.x_cur, "mean.x"), (C.x_prev, "mean.x"), (C.x, "mean.x"), (C.x0, "mean.x0"), (C.s, "mean.score"), (C.e, "mean.eps"))


_LABEL = {C.x_cur: "x_t", C.x_prev: "x_{t-1}", C.x: "x", C.x0: "x_0", C.s: "the score", C.e: "ε_θ"}


def _terms(lc: sp.Expr, rc: sp.Expr) -> Tuple[List[str], List[str]]:
    """(term names, descriptions) of the basis coefficients that differ between the two sides."""
    from .evaluate import is_zero

    basis = list(_BASIS) + [(n, "mean.eps" if "ε" in n.name else "variance")
                            for n in sorted(lc.free_symbols | rc.free_symbols, key=lambda q: q.name) if n.name.startswith("z[")]
    names, diffs = [], []
    rest_l, rest_r = lc, rc
    for sym, name in basis:
        cl, cr = lc.coeff(sym), rc.coeff(sym)
        rest_l, rest_r = rest_l - cl * sym, rest_r - cr * sym
        if cl == cr or is_zero(cl - cr)[0] is not False:
            continue
        label = sym.name[2:-1] if sym.name.startswith("z[") else _LABEL.get(sym, C.show(sym, "t"))
        names.append(name)
        diffs.append(f"coefficient of {label}: the definition gives {C.show(cl, 't')}, the right side has {C.show(cr, 't')}")
    if not names or is_zero(sp.expand(rest_l - rest_r))[0] is False:
        names.append("mean.other")
        diffs.append("the remaining terms differ")
    return list(dict.fromkeys(names)), diffs


# ------------------------------------------------------------------------------------------- d(·) of the state
def differential_lhs(lhs: sp.Expr, p: Parsed) -> sp.Expr:
    """``d(x)`` (and ``d(x(t))``) on the left of an SDE is dx. ``d(F x)`` with F a symbol that means nothing here:
    raises Meaningless naming it, so that the verdict is ill-defined as written and judged again with F dropped
    (seed 002's stray F); any other d(·) is left as it is (the SDE reader then says what it cannot read)."""
    from .atoms import DX
    from .claim import Meaningless

    if not (isinstance(lhs, sp.Function) and lhs.func.__name__ == "d" and len(lhs.args) == 1):
        return lhs
    inner = lhs.args[0]
    factors = sp.Mul.make_args(inner)
    states = [f_ for f_ in factors if isinstance(f_, sp.Symbol) and f_ in p.atoms and C.is_state(p.atoms[f_])
              and not p.atoms[f_].sub and (p.atoms[f_].args is None or p.atoms[f_].args == ("t",))]
    if len(states) != 1:
        return lhs
    others = [f_ for f_ in factors if f_ is not states[0]]
    if not others:
        return DX
    r = C.Reading("continuous", "generic")
    meaningless = []
    for f_ in others:
        at = p.atoms.get(f_) if isinstance(f_, sp.Symbol) else None
        if at is None or C.resolve(at, r) is not None:
            return lhs  # a factor that means something (a constant, a schedule): not a stray symbol
        meaningless.append(at.name)
    raise Meaningless(sorted(meaningless))
