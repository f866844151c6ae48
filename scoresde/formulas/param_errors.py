"""Identities between the squared errors of a network's parameterisations: ‖v − v̂‖² = (1 + α²/σ²)‖x − x̂‖².

With the Gaussian perturbation z_t = α_t x + σ_t ε, the network's predictions of the data x̂, the noise ε̂, the velocity
v̂ = α_t ε̂ − σ_t x̂ and the score s_θ are one output in four parameterisations, so their errors are proportional:

    x − x̂ = −(σ_t/α_t)(ε − ε̂),   v − v̂ = ((α_t² + σ_t²)/α_t)(ε − ε̂),   s_θ − ∇log q(z_t | x) = (ε − ε̂)/σ_t

(Salimans & Ho 2022, Sec. 4 and App. D; Kingma et al. 2023 (Understanding diffusion objectives), Sec. 2 and App. D;
Vincent 2011 for the score: ∇log q(z_t | x) = −ε/σ_t). Papers state a loss in one parameterisation as a weighted loss
in another -- ‖ε − ε̂‖² = (α²/σ²)‖x − x̂‖², E‖s_θ − ∇log q‖² = E‖ε − ε_θ‖²/σ², the 'SNR+1' and 'truncated SNR'
weightings, ½(SNR(t−1) − SNR(t))‖x̂ − x‖² for the VLB term (Kingma et al. 2021, Eq. 13; Luo 2022, Eq. 108).

Rule: an equation (or chain) each of whose sides is a sum, a ``\\max`` or a ``\\min`` (Min-SNR-γ, Hang et al. 2023, Eq. 6)
of weights times squared norms of such
errors (optionally under one 𝔼 on every side) is judged by writing every error as its multiple of ε − ε̂: the sides
must have the same weight on ‖ε − ε̂‖² at random admissible values of the schedule. The schedule symbols are read in
the notation their letters fix: ᾱ_t, β_t, σ_q (DDPM: α_t = √ᾱ_t in the kernel), α_t with σ_t (any two coefficients
first, then VDM's variance-preserving ones), σ alone (VE:
z = x + σε), λ = log(α²/σ²) with σ_λ, α_λ, and SNR(t) = α_t²/σ_t² (variance preserving). Equal -> ``exact``; different
with every symbol known -> ``inconsistent`` (the side that differs is named ``rhs``); a symbol outside this
vocabulary that makes the sides differ -> not judged (it may be the definition of a weight).
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import Atom, ParseError, Parsed
from .verdict import Verdict

__all__ = ["judge_error_identity", "error_sides_identity", "settle_chain_parts"]

SOURCE = ("Salimans & Ho 2022, Sec. 4; Kingma et al. 2023 (Understanding diffusion objectives), Sec. 2; "
          "Vincent 2011 (the DSM target −ε/σ)")
_E2 = sp.Symbol("‖ε−ε̂‖²", positive=True)
_MAX = re.compile(r"\\(max|min)\s*(?:\\left\s*)?\(")
_EXPECT = re.compile(r"\\mathbb\s*\{?\s*E\s*\}?\s*(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|[a-zA-Z0-9]))?")


def matching_paren(s: str, i: int) -> Optional[int]:
    """Index of the ')' closing the '(' at ``s[i]`` (round brackets only), or None."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


def _split_commas(s: str) -> List[str]:
    out, depth, start = [], 0, 0
    for j, ch in enumerate(s):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0 and s[j - 1:j] != "\\":  # (not the thin space \,)
            out.append(s[start:j])
            start = j + 1
    out.append(s[start:])
    return out


def _kind(at: Atom) -> Optional[Tuple[str, bool]]:
    """(parameterisation, is the prediction) of one operand of an error, or None."""
    pred = "θ" in at.sub or at.deco == "hat" or "φ" in at.sub
    if at.base == "ε":
        return ("eps", pred or at.args is not None)
    if at.base in ("x", "X") and at.deco in ("", "hat") and at.sup == "":
        if pred:
            return ("x", True)
        if at.sub in ("", "0", "data") and (at.args is None or at.args == ("0",)):
            return ("x", False)
        return None  # x_t: the noisy input, not the data
    if at.base == "D" and (at.args or "θ" in at.sub):
        return ("x", True)  # EDM's denoiser D_θ(x; σ) predicts the data (Karras et al. 2022, Eq. 2)
    if at.base == "v" and at.deco in ("", "hat"):
        return ("v", pred or at.args is not None) if at.sub in ("", "t", "θ", "λ") or pred else None
    if at.base == "s" and "θ" in at.sub:
        return ("score", True)
    if at.base == "score" and at.args and "|" in at.args:
        given = at.args[at.args.index("|") + 1:]
        if len(given) == 1 and re.fullmatch(r"x(?:_0|\(0\))?|y", given[0].replace(" ", "")):
            return ("score", False)  # ∇log q(x_t | x_0) = −ε/σ_t: the DSM target
    return None


def _factor(kind: str, A: sp.Expr, B: sp.Expr) -> sp.Expr:
    """The error of one parameterisation as a multiple of ε − ε̂ (module docstring; signs drop out of the square)."""
    return {"eps": sp.Integer(1), "x": B / A, "v": (A**2 + B**2) / A, "score": 1 / B}[kind]


def _norm_factor(arg: str, p: Parsed) -> Optional[str]:
    """The parameterisation whose error ``arg`` (the parser's text of a norm's argument) is, or None."""
    names = {at.name: at for at in p.atoms.values()}
    depth, cut = 0, None
    for j, ch in enumerate(arg):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "+-" and depth == 0 and j > 0 and arg[j - 1] == " ":
            if cut is not None:
                return None
            cut = j
    if cut is None:
        return None
    a_txt, b_txt = arg[:cut].strip().lstrip("-").strip(), arg[cut + 1:].strip()
    ka = _kind(names[a_txt]) if a_txt in names else None
    kb = _kind(names[b_txt]) if b_txt in names else None
    if ka is None or kb is None or ka[0] != kb[0] or ka[1] == kb[1]:
        return None
    return ka[0]


def _notation(p: Parsed) -> str:
    ats = list(p.atoms.values())
    if any(a.base == "α" and a.deco == "bar" or a.base == "β" or a.base == "σ" and a.sub == "q" for a in ats):
        return "ddpm"
    if any(a.base == "α" for a in ats):
        return "vdm"
    if any(a.base == "σ" for a in ats) and not any(a.base in ("λ", "SNR") for a in ats):
        return "ve"
    return "vp"


def _schedule(at: Atom, r: C.Reading, A: sp.Expr, B: sp.Expr, free: bool = False) -> Optional[sp.Expr]:
    """The canonical value of one weight symbol, or None (a symbol outside the vocabulary); ``free``: α_t, σ_t of the
    current step are the kernel's two coefficients with no relation between them."""
    if free:
        if at.deco or at.args is not None or at.sub not in ("", "λ", r.index) or at.base not in ("α", "σ", "λ", "SNR", "e"):
            return None
        return {"α": A, "σ": B, "λ": sp.log(A**2 / B**2), "SNR": A**2 / B**2, "e": sp.E}[at.base]
    if at.base in ("α", "σ") and at.sub == "λ" and not at.deco and at.args is None:
        return A if at.base == "α" else B  # z_λ = α_λ x + σ_λ ε (Kingma et al. 2023, Sec. 2)
    if at.base in ("α", "σ") and not at.sub and not at.deco and at.args is None and r.notation in ("vdm", "ve", "vp"):
        return A if at.base == "α" else B
    if at.base == "λ" and not at.deco and at.args is None and (not at.sub or at.sub == r.index):
        return sp.log(A**2 / B**2)  # the log-SNR λ = log(α²/σ²) (Kingma et al. 2021, Eq. 3; 2023, Sec. 2)
    if at.base == "SNR" and r.family == "vp":
        idx = at.args[0] if at.args and len(at.args) == 1 else at.sub
        ab = C.resolve(Atom("α", "bar", idx or r.index), r)
        return None if ab is None else ab / (1 - ab)  # SNR(t) = α_t²/σ_t² = ᾱ_t/(1 − ᾱ_t) (Kingma et al. 2021, Eq. 2)
    if r.family == "ve" and at.base == "σ" and not at.deco and at.args in (None, ("t",)):
        return B
    if at.base == "e" and not at.sub and at.args is None:
        return sp.E
    try:
        val = C.resolve(at, r)
    except Exception:  # noqa: BLE001 -- a symbol canon cannot place is outside the vocabulary
        return None
    if val is None or not isinstance(val, sp.Expr) or val.has(C.x, C.x0, C.x_cur, C.x_prev, C.e, C.s, C.v, C.sig):
        return None
    return val


def _flatten_max(text: str) -> str:
    """max(A, B) written as (A) + (B): the same symbols, for reading which notation they are in."""
    m = _MAX.search(text)
    k = matching_paren(text, m.end() - 1) if m else None
    if m is None or k is None:
        return text
    args = _split_commas(text[m.end():k].replace(r"\right", ""))
    return _flatten_max(text[:m.start()] + "(" + " + ".join(f"({a})" for a in args) + ")" + text[k + 1:])


def _parse_side(text: str) -> Parsed:
    from .normalize import normalize_latex
    from .parse import parse

    return parse(normalize_latex(f"y_{{hold}} = {text}"))


def _reading(sides: List[str]) -> Optional[C.Reading]:
    """The notation all the sides are read in, fixed by the letters of the whole equation (module docstring)."""
    from .claim import _index_of

    atoms: Dict[sp.Symbol, Atom] = {}
    for s_ in sides:
        try:
            p = _parse_side(_flatten_max(s_))
        except (ParseError, ValueError, TypeError):
            return None
        atoms.update(p.atoms)
    p = Parsed("", [], atoms, "=", [])
    notation = _notation(p)
    letter, koff = _index_of(p)
    return C.Reading("discrete", "ve" if notation == "ve" else "vp", "vdm" if notation == "vp" else notation, letter, koff)


def _side_value(text: str, r: C.Reading, depth: int = 0, free: bool = False) -> Optional[Tuple[sp.Expr, bool, bool]]:
    """(the weight on ‖ε − ε̂‖², every symbol known?, a norm was seen) of one side's LaTeX, or None."""
    if depth > 3:
        return None
    holders: Dict[str, sp.Expr] = {}
    known = True
    seen = False
    out, i = [], 0
    while True:
        m = _MAX.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        k = matching_paren(text, m.end() - 1)
        if k is None:
            return None
        parts = []
        for arg in _split_commas(text[m.end():k].replace(r"\right", "")):
            got = _side_value(arg, r, depth + 1, free)
            if got is None:
                return None
            parts.append(got[0])
            known &= got[1]
            seen |= got[2]
        key = f"m{len(holders)}"
        holders[key] = (sp.Max if m.group(1) == "max" else sp.Min)(*parts)
        out.append(text[i:m.start()] + r" \Omega_{" + key + "} ")
        i = k + 1
    body = "".join(out)
    try:
        p = _parse_side(body)
    except (ParseError, ValueError, TypeError):
        return None
    if len(p.sides) != 2 or p.relation != "=":
        return None
    expr = p.sides[1]
    if free:
        A, B = sp.Symbol("α", positive=True), sp.Symbol("σ", positive=True)
    elif r.family == "ve":
        A, B = sp.Integer(1), sp.Symbol("σ", positive=True)
    else:
        A, B = sp.sqrt(C.a), sp.sqrt(1 - C.a)
    sub: Dict[sp.Symbol, sp.Expr] = {}
    for s_ in expr.free_symbols:
        at = p.atoms.get(s_)
        if at is None:
            return None
        if at.base == "Ω" and at.sub in holders:
            sub[s_] = holders[at.sub]
        elif at.base == "norm":
            kind = _norm_factor(at.args[0] if at.args else "", p)
            if kind is None:
                return None
            sub[s_] = sp.sqrt(_E2) * _factor(kind, A, B)
            seen = True
        elif at.font == "mathbb" and at.base == "E" and at.args is None:
            sub[s_] = sp.Integer(1)  # 𝔼 over the same data, time and noise on every side (checked by the caller)
        else:
            val = _schedule(at, r, A, B, free)
            if val is None and free:
                return None
            if val is None:
                if at.args is not None or at.base in ("x", "ε", "v", "s", "score", "D", "z"):
                    return None
                val, known = sp.Symbol(f"w[{at.name}]", positive=True), False
            sub[s_] = val
    return expr.xreplace(sub), known, seen


def _homogeneous(val: sp.Expr) -> bool:
    """The side is (weight)·‖ε − ε̂‖²: doubling the squared error doubles it (so it has no other term)."""
    from .evaluate import is_zero

    return val.has(_E2) and is_zero(val.subs(_E2, 2) - 2 * val.subs(_E2, 1))[0] is True


def error_sides_identity(sides: List[str]) -> Optional[Tuple[bool, int, str]]:
    """(whether every side equals the first, the first side that differs (0: none), how), or None when the sides are not
    all weighted squared errors of parameterisations (module docstring)."""
    from .evaluate import is_zero

    with_e = [bool(_EXPECT.search(s_)) for s_ in sides]
    if any(with_e) and not all(with_e):
        return None
    sides = [_EXPECT.sub(" ", s_).replace(r"\left[", "(").replace(r"\right]", ")") for s_ in sides]
    r = _reading(sides)
    if r is None:
        return None
    if r.notation == "vdm":  # α_t, σ_t with no relation first (flow matching's α_t = 1 − t, σ_t = t), then VP
        free = [_side_value(s_, r, free=True) for s_ in sides]
        if all(got is not None and got[2] and _homogeneous(got[0]) for got in free):
            fv = [got[0].subs(_E2, 1) for got in free]
            if all(is_zero(sp.expand(v_ - fv[0]))[0] is True for v_ in fv[1:]):
                return True, 0, "for any α_t, σ_t"
    vals = []
    known = True
    for s_ in sides:
        got = _side_value(s_, r)
        if got is None or not got[2] or not _homogeneous(got[0]):
            return None
        vals.append(got[0].subs(_E2, 1))
        known &= got[1]
    for k, val in enumerate(vals[1:], start=1):
        zero, how = is_zero(sp.expand(val - vals[0]))
        if zero is None:
            return None
        if zero is False:
            return (False, k, how) if known else None
    return True, 0, how if len(vals) > 1 else "symbolic"


def judge_error_identity(eq: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for an identity between weighted squared errors (module docstring), or None."""
    from .objective_text import split_top

    if r"\|" not in eq and r"\lVert" not in eq and "‖" not in eq:
        return None
    sides = [s_ for s_ in split_top(eq, ("=",))]
    if len(sides) < 2 or any(not s_.strip() for s_ in sides) or re.search(r"\\(?:leq?|geq?|approx|propto|sim)(?![a-zA-Z])|:=|<|>", eq):
        return None
    try:
        got = error_sides_identity(sides)
    except (ParseError, ValueError, TypeError, ZeroDivisionError, RecursionError):
        return None
    if got is None:
        return None
    ok, k, how = got
    claim = "an identity between the squared errors of a network's parameterisations"
    if ok:
        return Verdict(eq, "exact", f"every squared error written as its multiple of ‖ε − ε̂‖²: the sides agree ({how}) "
                       f"({SOURCE})", claim=claim)
    return Verdict(eq, "inconsistent", f"side {k + 1} ({sides[k].strip()[:80]}) puts another weight on the squared error "
                   f"than side 1 once every error is written as its multiple of ε − ε̂ ({SOURCE})", claim=claim,
                   terms=["rhs"])


def settle_chain_parts(sides: List[str], parts: List[Verdict]) -> List[Verdict]:
    """The verdicts of the links L = A, L = B, … of a chained objective, with an unread link settled by the sides' own
    identity: where A = B holds as an identity between squared errors and L = B is judged, L = A has that verdict;
    where A = B fails, the chain is inconsistent at that side. ``parts`` is returned unchanged otherwise."""
    if len(sides) != len(parts) or not any(p_.verdict == "unparsed" for p_ in parts):
        return parts
    judged = [k for k, p_ in enumerate(parts) if p_.verdict in ("exact", "consistent", "inconsistent")]
    if not judged:
        return parts
    try:
        got = error_sides_identity([sides[judged[0]]] + [s_ for k, s_ in enumerate(sides) if k != judged[0]])
    except (ParseError, ValueError, TypeError, ZeroDivisionError, RecursionError):
        return parts
    if got is None:
        return parts
    ok, k, how = got
    base = parts[judged[0]]
    out = []
    for j, p_ in enumerate(parts):
        if p_.verdict != "unparsed" or not ok and base.verdict == "inconsistent":
            out.append(p_)  # (a link unequal to a wrong one may be right: it stays unread)
        elif ok:
            out.append(Verdict(p_.latex, base.verdict, f"equal to part {judged[0] + 1} as an identity between the squared "
                               f"errors of the parameterisations ({how}; {SOURCE}), which is {base.verdict}",
                               claim=base.claim, target=base.target, terms=list(base.terms or [])))
        else:
            out.append(Verdict(p_.latex, "inconsistent", f"not equal to part {judged[0] + 1} once every squared error is "
                               f"written as its multiple of ‖ε − ε̂‖² ({SOURCE})", claim=base.claim, target=base.target,
                               terms=["rhs"]))
    return out
