"""Read a training objective (a loss written as an expectation) into sympy, symbol by symbol as written.

``L_simple(θ) := E_{t, x_0, ε}[‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²]`` (Ho et al. 2020, Eq. 14) becomes

* its claim: a value (``L = …``), a minimiser (``θ* = arg min_θ …``), the gradient of one (``∇_θ …``,
  Ho et al. 2020, Alg. 1) or a bare expression (no ``=``);
* its integrand ``weight · (A − B)²``, every written symbol a plain sympy symbol named as written (fonts
  dropped, the index letters t/i/n/k unified), with a role: ``var`` (states, data, noises), ``model``
  (a network's output: ε_θ(·), s_θ(·), μ_θ(·), x̂_θ(·), D(·; σ), F_θ(·; ·); its arguments are kept),
  ``target`` (∇ log p(·|·), a score written as such), ``loss`` (a named loss inside another one:
  ℓ(θ; σ_i), L_simple) or ``param`` (weights and schedules, positive);
* a sampled variable ``v ∼ N(m, C)`` in an expectation's subscript is replaced by ``m + √C ξ_v``, so that
  the distribution is part of what is compared (Karras et al. 2022, Eq. 2: n ∼ N(0, σ² I));
* sums Σ_{i=1}^N as factors (a symbol named by its range), ``X_0 + X_1 + … + X_T`` as Σ_{k=0}^{T} X_k, the
  integrals and a ``+ C`` around it.

Comparison with the registry's objectives, read by this same reader from their LaTeX, is in
:mod:`scoresde.formulas.objective_judge`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import sympy as sp

from .atoms import GREEK, ParseError
from .objective_text import NORM, _take_sub_sup, clean, matching, read_structure, split_top
from .parse import parse

__all__ = ["Objective", "read_objective", "ObjectiveError", "looks_like_objective", "norm_name", "Piece"]


class ObjectiveError(ValueError):
    """The text looks like an objective but a piece of it cannot be read (the message says which)."""


_HEAD = re.compile(
    r"(?P<head>\\(?:hat|tilde|bar|widehat|widetilde)\s*\{\s*(?:\\[a-zA-Z]+|[a-zA-Z])\s*\}|\\(?:hat|tilde|bar)\s*(?:\\[a-zA-Z]+|[a-zA-Z])"
    r"|\\(?:text|mathrm|operatorname|mathcal|mathscr)\s*\{[^{}]*\}|\\[a-zA-Z]+|[a-zA-Z])"
    r"(?P<p1>'*)(?P<sub>\s*_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z0-9]))?(?P<p2>'*)(?P<sup>\^\s*(?:\{\s*[a-zA-Z]\s*\}|[a-zA-Z]))?\s*\(")
_NOT_HEADS = {"log", "exp", "sqrt", "frac", "sin", "cos", "tan", "tanh", "sinh", "cosh", "ln", "sum", "int", "prod",
              "min", "max", "left", "right", "nabla", "partial", "operatorname{tr}", "mathrm{tr}", "text{tr}", "det"}
_NABLA_LOG = re.compile(r"\\nabla\s*(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z]))?\s*\\log\s*")
_MAXMIN = re.compile(r"\\(max|min)\s*\(")
_VAR_BASES = {"x", "X", "z", "y", "n", "ξ", "u"}
_LOSS_HEADS = ("L", "ℓ", "𝓛", "J", "𝒥")


def norm_name(text: str) -> str:
    """A written name without fonts, braces and spaces, Greek letters as characters, index letters t/i/n/k -> k."""
    s = re.sub(r"\\(?:mathrm|text|operatorname|textrm|mathit)\s*\{([^{}]*)\}", r"\1", text)
    s = s.replace(r"\mathcal{L}", "𝓛").replace(r"\mathcal{J}", "𝒥").replace(r"\ell", "ℓ").replace(r"\infty", "∞")
    s = re.sub(r"\\(hat|tilde|bar|widehat|widetilde)\s*\{?\s*(\\[a-zA-Z]+|[a-zA-Z])\s*\}?",
               lambda m: _greek(m.group(2)) + {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303",
                                              "widetilde": "\u0303", "bar": "\u0304"}[m.group(1)], s)
    s = re.sub(r"\\([a-zA-Z]+)", lambda m: GREEK.get(m.group(1), m.group(1)), s)
    s = s.replace("{", "").replace("}", "").replace(" ", "").replace("\\", "")
    s = s.replace("α\u0304", "ᾱ")
    m = re.search(r"[_(\[]", s)
    if m is None:
        return s
    return s[:m.start()] + re.sub(r"(?<![A-Za-z])[tink](?![A-Za-z])", "k", s[m.start():])


def _greek(tok: str) -> str:
    return GREEK.get(tok[1:], tok[1:]) if tok.startswith("\\") else tok


@dataclass
class Piece:
    """Symbols met while reading: role of each, the network calls with their arguments."""

    roles: Dict[str, str] = field(default_factory=dict)  # symbol name -> var / model / target / loss / param
    models: Dict[str, List[List[sp.Expr]]] = field(default_factory=dict)  # model name -> argument lists
    holders: Dict[str, sp.Symbol] = field(default_factory=dict)  # placeholder atom name -> symbol

    def sym(self, name: str, role: str) -> sp.Symbol:
        role = self.roles.setdefault(name, role)
        return sp.Symbol(name, positive=True) if role == "param" else sp.Symbol(name, real=True)


@dataclass
class Objective:
    role: str  # value / minimiser / gradient / bare
    name: str  # the loss named on the left ('' for a bare expression or a minimiser)
    integrand: sp.Expr
    piece: Piece
    has_norm: bool
    integrals: List[Tuple[str, str, str]] = field(default_factory=list)
    plus_const: bool = False
    text: str = ""
    #: continuous uniform draws in the expectation's subscript, t ∼ U(0, 1): (lower, upper, variable, width)
    uniforms: List[Tuple[str, str, str, sp.Expr]] = field(default_factory=list)
    #: a weight's value stated beside the objective, ``σ_t² = β_t`` (Ho et al. 2020, Sec. 3.2): symbol -> value
    assume: Dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    #: side conditions on the sampling written beside it (p_t ∝ √E[L_t²], Σ p_t = 1), normalised text
    conditions: List[str] = field(default_factory=list)
    #: the factors of weight · ‖inner‖² (None without a norm) and the expectations' subscripts as written
    weight: Optional[sp.Expr] = None
    inner: Optional[sp.Expr] = None
    expectations: List[str] = field(default_factory=list)

    @property
    def models(self) -> Dict[str, List[List[sp.Expr]]]:
        return self.piece.models


def looks_like_objective(text: str) -> bool:
    """Cheap test on the raw text: an expectation, arg min, a squared norm, or a loss named on the left."""
    if re.search(r"\\arg\s*\\?min|\\argmin|\\operatorname\*?\{arg|\\min\s*_\s*\{?\s*\\(?:theta|phi)", text):
        return True
    bare = re.sub(r"(?:,\s*(?:\\q?quad\s*)?\\[a-zA-Z]+\s*_\s*(?:\{[^{}]*\}|[a-zA-Z0-9])\s*(?:\^\s*\{?\s*2\s*\}?)?\s*=[^=,]+)+\s*$", "", text)
    if re.search(r"(?:\\\||\\Vert|\\lVert|\|\|)[^=]*(?:\\\||\\Vert|\\rVert|\|\|)\s*(?:_\s*\{?2\}?\s*)?\^\s*\{?2", text) and (
            "=" not in bare or re.match(r"\s*(?:\\mathcal\s*\{[LJ]\}|L|J|\\ell)(?![a-zA-Z])", text)):
        return True
    return bool(re.match(r"\s*(?:\\mathcal\s*\{[LJ]\}|\\ell|L|J)\s*(?:\^\s*\{?\s*\\(?:text|mathrm)\s*\{[a-z]+\}\s*\}?\s*)?(?:_\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\(?:text|mathrm|rm|operatorname)\s*\{[^{}]*\}|\\?[a-zA-Z0-9]+))?\s*"
                         r"(?:\(.*?\))?\s*(?:=|:=|\\triangleq|\\coloneqq|\\equiv)", text))


# ------------------------------------------------------------------------------------------- pieces
def _scale_not_call(text: str) -> str:
    """``w(Ω₁ − Ω₂)``, ``w\\left(…\\right)``: a one-letter weight before parentheses that hold network outputs
    (placeholders) is a product, not a function call -- nothing applies a function to a network's output in
    these formulas (Ho & Salimans 2022, Eq. 6: ε̃ = (1 + w)ε_θ(z, c) − wε_θ(z), written ε_θ(z, c) + w(ε_θ(z, c) − ε_θ(z)))."""
    out, pos = [], 0
    for m in re.finditer(r"(?<![\\A-Za-z_^{])([ws]|\\(?:gamma|omega|eta))\s*\(", text):
        depth, j = 0, m.end() - 1
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        if "\\Omega_{ph" in text[m.end():j]:
            out.append(text[pos:m.end() - 1] + r"\cdot ")
            pos = m.end() - 1
    return "".join(out) + text[pos:]


def read_piece(text: str, pc: Piece) -> sp.Expr:
    """A cleaned LaTeX expression -> sympy, with network calls, scores and named functions as placeholders."""
    text = text.strip()
    if not text:
        return sp.Integer(1)
    text = _holders(text, pc)
    text = re.sub(r"\\ldots", " ", text)
    text = _scale_not_call(text)
    try:
        p = parse(text)
    except ParseError as err:
        raise ObjectiveError(f"cannot read {text!r}: {err}") from None
    if len(p.sides) != 1:
        raise ObjectiveError(f"cannot read {text!r} as one expression")
    sub = {}
    for s_, at in p.atoms.items():
        if at.base == "Ω" and at.sub.startswith("ph"):
            sub[s_] = pc.holders[at.sub]
            continue
        if at.base in ("I",) and not at.sub and at.args is None:
            sub[s_] = sp.Integer(1)
            continue
        name = norm_name(at.name)
        eps_noise = at.base == "ε" and "θ" not in at.sub and at.deco == "" and at.args is None
        role = "var" if (at.base in _VAR_BASES and at.args is None or at.base in _VAR_BASES and at.args is not None
                         and at.base in ("x", "z")) or eps_noise else "param"
        if at.base in ("L", "ℓ") and role == "param":
            role = "loss"
        sub[s_] = pc.sym(name, role)
    return p.sides[0].xreplace(sub)


def _holders(text: str, pc: Piece) -> str:
    """Replace ∇log p(·), network calls and named functions f(·; ·) by placeholder symbols Ω_{phN}."""
    out, i = [], 0
    while i < len(text):
        if text.startswith(r"\sum", i) and not text[i + 4:i + 5].isalpha():
            sub, sup, j = _take_sub_sup(text, i + 4)
            out.append(_new_holder(pc, pc.sym(f"Σ[{norm_name('_' + sub)[1:]};{norm_name('_' + sup)[1:]}]", "param")))
            i = j
            continue
        m = _MAXMIN.match(text, i) if text[i] == "\\" else None
        if m:  # max(a, b) / min(a, b) of weights (Salimans & Ho 2022, Sec. 4: max(SNR, 1))
            j = matching(text, m.end() - 1)
            parts = split_top(text[m.end():j], (",",)) if j is not None else []
            if len(parts) >= 2:
                fn = sp.Max if m.group(1) == "max" else sp.Min
                out.append(_new_holder(pc, fn(*[read_piece(a_, pc) for a_ in parts])))
                i = j + 1
                continue
        m = _NABLA_LOG.match(text, i)
        if m:
            h = _HEAD.match(text, m.end())
            if h:
                j = matching(text, h.end() - 1)
                if j is None:
                    raise ObjectiveError("unbalanced parentheses")
                name = "∇log" + norm_name(text[h.start():j + 1])
                out.append(_new_holder(pc, pc.sym(name, "target")))
                i = j + 1
                continue
        h = _HEAD.match(text, i) if (i == 0 or text[i] == "\\" or not (text[i - 1].isalpha() or text[i - 1] == "\\")) else None
        if h:
            head = h.group("head")
            bare = head.lstrip("\\")
            j = matching(text, h.end() - 1)
            if j is None:
                raise ObjectiveError("unbalanced parentheses")
            args = text[h.end():j]
            sub = h.group("sub") or ""
            primes = h.group("p1") + h.group("p2")
            sub += h.group("sup") or ""  # p^i(c | z): the implicit classifier (Ho & Salimans 2022, Sec. 3.2)
            model = bool(re.search(r"\\theta|θ|\\phi|φ", sub)) and bare not in ("p", "q", "ell") and "log" not in head
            kl = "KL" in sub or bare == "KL" or "KL" in head
            model = (model or bare in ("D", "F")) and not kl
            special = model or primes or "|" in args or ";" in args or head.startswith(("\\text", "\\mathrm", "\\operatorname", "\\mathcal", "\\mathscr")) \
                or bare in ("ell", "lambda", "gamma", "omega") or kl or (bare == "c" and sub) or (head.startswith(("\\tilde", "\\hat", "\\widetilde")) and "," in args)
            if bare in _NOT_HEADS or head.startswith("\\mathbb"):
                special = False
            if special:
                name = norm_name(head + sub) + ("′" * len(primes))
                if model:  # D_θ and D, F_θ: one network; ε_θ keeps its θ (ε alone is noise)
                    name = re.sub(r"_[θφ]$", "", name) if bare in ("D", "F") else name
                if model:
                    parts = split_top(args, (",", ";"))
                    pc.models.setdefault(name, []).append([read_piece(a, pc) for a in parts])
                    cond = [norm_name(a) for a in parts[1:] if re.fullmatch(r"[yc]", norm_name(a))]
                    sym = pc.sym("M[" + name + ("|" + cond[0] if cond else "") + "]", "model")
                elif kl:
                    sym = pc.sym("KL(" + norm_name(args) + ")", "loss")
                else:
                    # named losses and densities p(·|·) (in −log p_θ(x_0 | x_1)) are what an objective is made of
                    role = "loss" if norm_name(head) in _LOSS_HEADS or (bare in ("p", "q") and "|" in args) else "param"
                    sym = pc.sym(name + norm_name("(" + args + ")"), role)
                out.append(_new_holder(pc, sym))
                i = j + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _new_holder(pc: Piece, sym: sp.Symbol) -> str:
    key = f"ph{len(pc.holders)}"
    pc.holders[key] = sym
    return r" \Omega_{" + key + "} "


# ------------------------------------------------------------------------------------------- objectives
_THETA_STAR = re.compile(r"^\s*\\?(?:theta|θ|phi|φ|psi|ψ)\s*\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?\s*$")
_SUPWORD = r"(?P<sup>\^\s*(?:\{\s*\\(?:text|mathrm|rm|operatorname)\s*\{[a-zA-Z]{2,}\}\s*\}|\\(?:text|mathrm|rm|operatorname)\s*\{[a-zA-Z]{2,}\}|\{[a-zA-Z]{2,}\}))?"
#: a loss's name on the left: L, J, 𝓛, 𝒥, ℓ with a subscript (and a word as superscript, either order: Weng 2021 writes
#: L_t^{simple}, the loss L_simple evaluated at step t), and its arguments
_LOSS_LHS = re.compile(r"^\s*(?P<head>\\mathcal\s*\{[LJ]\}|\\ell|L|J)\s*" + _SUPWORD.replace("sup>", "sup0>") +
                       r"\s*(?P<sub>_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\(?:text|mathrm|rm|operatorname)\s*\{[^{}]*\}|\\?[a-zA-Z0-9]+))?\s*"
                       + _SUPWORD + r"\s*(?:\((?P<args>.*)\))?\s*$")


def _loss_name(m: "re.Match[str]") -> str:
    """The normalised name of a loss on the left: a word superscript is the name (L_t^simple -> L_simple)."""
    sup = m.group("sup") or m.group("sup0")
    if sup:
        return norm_name(m.group("head") + "_" + re.sub(r"^\^\s*", "", sup))
    return norm_name(m.group("head") + (m.group("sub") or ""))


_UNIFORM = re.compile(r"^\s*(?P<v>[a-zA-Z])\s*\\sim\s*(?:\\mathcal\s*\{\s*U\s*\}|U|\\operatorname\s*\{\s*U\s*\})\s*"
                      r"\(\s*(?P<lo>[^,()]+?)\s*,\s*(?P<hi>[^,()]+?)\s*\)\s*$")


def _uniforms(expectations: List[str], pc: Piece) -> List[Tuple[str, str, str, sp.Expr]]:
    """``t ∼ U(a, b)`` (round brackets: the continuous uniform law) -> (a, b, t, b − a): E_t[·] = ∫_a^b · dt / (b − a)."""
    out = []
    for sub in expectations:
        for item in split_top(sub, (",",)):
            m = _UNIFORM.match(item)
            if m:
                width = read_piece(m.group("hi"), pc) - read_piece(m.group("lo"), pc)
                out.append((norm_name(m.group("lo")), norm_name(m.group("hi")), m.group("v"), width))
    return out


def _sampling(expectations: List[str], pc: Piece) -> Dict[sp.Symbol, sp.Expr]:
    """v ∼ N(m, C) in an expectation's subscript -> {v: m + √C ξ_v}."""
    out: Dict[sp.Symbol, sp.Expr] = {}
    for sub in expectations:
        for item in split_top(sub, (",",)):
            if r"\sim" not in item:
                continue
            var, dist = item.split(r"\sim", 1)
            m = re.match(r"\s*(?:\\mathcal\s*\{\s*N\s*\}|N)\s*\(", dist)
            if not m:
                continue
            j = matching(dist, m.end() - 1)
            if j is None:
                raise ObjectiveError(f"cannot read the distribution {dist.strip()!r}")
            args = split_top(dist[m.end():j], (",", ";"))
            if len(args) == 3:
                args = args[1:]
            if len(args) != 2:
                raise ObjectiveError(f"N(mean, covariance) expected in {dist.strip()!r}")
            v = read_piece(var, pc)
            if not isinstance(v, sp.Symbol):
                raise ObjectiveError(f"cannot tell which variable is sampled in {item.strip()!r}")
            mean, cov = read_piece(args[0], pc), read_piece(args[1], pc)
            xi = pc.sym(f"ξ[{v.name}]", "var")
            out[v] = mean + sp.sqrt(cov) * xi
    return out


def read_objective(text: str) -> Objective:
    """Read one objective (the whole cell: ``… , λ = 0.001`` definitions of its constants included)."""
    s = clean(text)
    parts = split_top(s, (",",))
    main, defs, stated, conditions = parts[0], {}, [], []
    for extra in parts[1:]:
        m = re.fullmatch(r"\s*(\\[a-zA-Z]+|[a-zA-Z])\s*=\s*([0-9.eE+-]+)\s*", extra)
        if m:
            defs[norm_name(m.group(1))] = sp.nsimplify(m.group(2))
        elif _STATED.fullmatch(extra) and len(split_top(main, ("=",))) <= 2:
            stated.append(extra)
        elif re.search(r"\\propto|\\sum[^=]*=\s*1\s*$", extra) and len(split_top(main, ("=",))) <= 2:
            conditions.append(_condition(extra))
        else:
            main += "," + extra
    depth = 0
    for ch in main:
        depth += (ch in "([{") - (ch in ")]}")
        if depth < 0:
            break
    if depth != 0:
        raise ObjectiveError("unbalanced brackets")
    sides = split_top(main, ("=",))
    if len(sides) > 2:
        raise ObjectiveError("a chained equation: give one objective per formula")
    pc = Piece()
    role, name = "bare", ""
    rhs = sides[-1]
    if len(sides) == 2:
        lhs = sides[0].strip()
        if _THETA_STAR.match(lhs):
            role = "minimiser"
        else:
            lhs_c = re.sub(r"\s*-\s*C\s*$", "", lhs)
            if lhs_c != lhs:  # L_{t−1} − C = … (Ho et al. 2020, Eq. 10): the same claim as L_{t−1} = … + C
                lhs, rhs = lhs_c, rhs + " + C"
            m = _LOSS_LHS.match(lhs)
            if not m:
                raise ObjectiveError(f"the left side {lhs!r} is not a loss's name or θ*")
            role, name = "value", _loss_name(m)
    try:
        st = read_structure(rhs)
    except ValueError as err:
        raise ObjectiveError(str(err)) from None
    if role == "minimiser" and st.argmin is None:
        raise ObjectiveError("θ* = … without arg min")
    if role == "bare" and st.gradient is not None:
        role = "gradient"
    if role == "bare" and st.argmin is not None:
        role = "minimiser"
    samp = _sampling(st.expectations, pc)
    weight = inner = None
    if st.norm is not None:
        inner = read_piece(st.norm, pc)
        weight = read_piece(st.weight, pc)
        integrand = weight * inner**2
    else:
        integrand = _sequence(st.body, pc, st)
    # the same substitutions on the integrand and on its two factors (kept for objective_semantics)
    parts = sp.Tuple(integrand, weight if weight is not None else sp.Integer(1), inner if inner is not None else sp.Integer(0))
    parts = parts.xreplace(samp)
    for mname, calls in pc.models.items():
        pc.models[mname] = [[a.xreplace(samp) for a in call] for call in calls]
    parts = _standard_noise(parts, pc)
    parts = _ddpm_alpha(parts, pc)
    if defs:
        dsub = {s_: defs[s_.name] for s_ in parts.free_symbols if s_.name in defs}
        parts = parts.xreplace(dsub)
    integrand = parts[0]
    if inner is not None:
        weight, inner = parts[1], parts[2]
    return Objective(role, name, integrand, pc, st.norm is not None, st.integrals, st.plus_const, text,
                     _uniforms(st.expectations, pc), _assumptions(stated), sorted(conditions), weight, inner,
                     list(st.expectations))


def _condition(extra: str) -> str:
    """A side condition on the sampling (``p_t ∝ √E[L_t²]``, ``Σ p_t = 1``: Nichol & Dhariwal 2021, Eq. 18) as a
    normalised string: compared with the reference's as written, never guessed."""
    s = re.sub(r"\\q?quad|\\mathbb\s*\{?\s*E\s*\}?", lambda m: "E" if "E" in m.group(0) else " ", extra)
    s = re.sub(r"\\left|\\right|\\big|\\Big", "", s)
    s = re.sub(r"\\sum\s*_\s*(?:\{\s*[a-z]\s*\}|[a-z])(?!\s*=)", r"\\sum ", s)  # Σ_t p_t = Σ p_t
    return norm_name(s).replace("[", "(").replace("]", ")")


#: ``σ_t^2 = β_t`` after the objective: a weight's stated value (a Greek letter with an index, maybe squared)
_STATED = re.compile(r"\s*(?:\\q?quad\s*)?\\[a-zA-Z]+\s*_\s*(?:\{[^{}]*\}|[a-zA-Z0-9])\s*(?:\^\s*\{?\s*2\s*\}?)?\s*=[^=]+")


def _assumptions(stated: List[str]) -> Dict[sp.Symbol, sp.Expr]:
    """``σ_t^2 = β_t`` -> {σ_k: √β_k}: a weight symbol's value, applied to the claim and to the reference alike."""
    out: Dict[sp.Symbol, sp.Expr] = {}
    for extra in stated:
        lhs_t, rhs_t = extra.replace("\\quad", " ").split("=", 1)
        pc = Piece()
        lhs, rhs = read_piece(lhs_t, pc), read_piece(rhs_t, pc)
        if any(r_ != "param" for r_ in pc.roles.values()):
            raise ObjectiveError(f"cannot read {extra.strip()!r} as a weight's value")
        if isinstance(lhs, sp.Pow) and lhs.exp == 2 and isinstance(lhs.base, sp.Symbol):
            out[lhs.base] = sp.sqrt(rhs)
        elif isinstance(lhs, sp.Symbol):
            out[lhs] = rhs
        else:
            raise ObjectiveError(f"cannot read {extra.strip()!r} as a weight's value")
    return out


def _ddpm_alpha(integrand: sp.Expr, pc: Piece) -> sp.Expr:
    """DDPM notation: α_t next to β_t or ᾱ_t is 1 − β_t (Ho et al. 2020, Sec. 2)."""
    names = {s_.name for s_ in integrand.free_symbols}
    for calls in pc.models.values():
        for call in calls:
            for a_ in call:
                names |= {s_.name for s_ in a_.free_symbols}
    sub = {}
    for n in names:
        m = re.fullmatch(r"α_(.+)", n)
        if m and (f"β_{m.group(1)}" in names or f"ᾱ_{m.group(1)}" in names):
            sub[sp.Symbol(n, positive=True)] = 1 - pc.sym(f"β_{m.group(1)}", "param")
    if not sub:
        return integrand
    for mname, calls in pc.models.items():
        pc.models[mname] = [[a_.xreplace(sub) for a_ in call] for call in calls]
    return integrand.xreplace(sub)


def _standard_noise(integrand: sp.Expr, pc: Piece) -> sp.Expr:
    """One standard normal noise is called ξ whatever its written name (ε, or ξ_v for v ∼ N(m, C)): Ho et al.'s ε
    and Karras et al.'s n = σ ξ are the same random variable."""
    syms = set(integrand.free_symbols)
    for calls in pc.models.values():
        for call in calls:
            for a_ in call:
                syms |= a_.free_symbols
    # ε, ε_t (Weng 2021), ε_0 (Luo 2022): the noise whatever its index, when it is the only one
    noises = [s_ for s_ in syms if re.fullmatch(r"ε(_[0-9k])?", s_.name) or s_.name.startswith("ξ[")]
    if len(noises) != 1:
        return integrand
    xi = pc.sym("ξ", "var")
    sub = {noises[0]: xi}
    for mname, calls in pc.models.items():
        pc.models[mname] = [[a_.xreplace(sub) for a_ in call] for call in calls]
    return integrand.xreplace(sub)


def _sequence(body: str, pc: Piece, st) -> sp.Expr:
    """``X_{a} + X_{a+1} + … + X_{b}`` -> Σ_{k=a}^{b} X_k (recorded as a sum); anything else read as it is."""
    terms = split_top(body, ("+",))
    if not any(r"\ldots" in t_ for t_ in terms):
        return read_piece(body, pc)
    terms = [t_.strip() for t_ in terms if t_.strip() != r"\ldots"]
    heads, subs = set(), []
    for t_ in terms:
        m = re.fullmatch(r"(\\?[a-zA-Z]+)\s*_\s*(\{[^{}]*\}|[a-zA-Z0-9])", t_)
        if not m:
            raise ObjectiveError(f"cannot read the sequence term {t_!r} around \\ldots")
        heads.add(m.group(1))
        subs.append(m.group(2).strip("{}").replace(" ", ""))
    if len(heads) != 1 or len(subs) < 2:
        raise ObjectiveError("a sequence with \\ldots whose terms are not one quantity with different indices")
    head = heads.pop()
    if all(q.isdigit() for q in subs[:2]) and int(subs[1]) != int(subs[0]) + 1:
        raise ObjectiveError("a sequence with \\ldots whose first two indices are not consecutive")
    total = pc.sym(f"Σ[{norm_name('_k=' + subs[0])[1:]};{norm_name('_' + subs[-1])[1:]}]", "param")
    return total * read_piece(head + "_{t}", pc)
