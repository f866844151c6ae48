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

from .objective_pieces import ObjectiveError, Piece, norm_name, read_piece
from .objective_text import clean, matching, read_structure, split_top

__all__ = ["Objective", "read_objective", "ObjectiveError", "looks_like_objective", "norm_name", "Piece"]


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
    bare = re.sub(r"(?:,\s*(?:\\q?quad\s*)?\\[a-zA-Z]+\s*(?:_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?\s*(?:\^\s*\{?\s*2\s*\}?)?\s*(?:\(\s*[a-z]\s*\))?\s*=[^=,]+)+\s*$", "", text)
    if re.search(r"(?:\\\||\\Vert|\\lVert|\|\|)[^=]*(?:\\\||\\Vert|\\rVert|\|\|)\s*(?:_\s*\{?2\}?\s*)?\^\s*\{?2", text) and (
            "=" not in re.sub(r"_\s*\{[^{}]*\}", "", bare) or re.match(r"\s*(?:\\mathcal\s*\{[LJ]\}|L|J|\\ell)(?![a-zA-Z])", text)):
        return True
    lhs = split_top(text, ("=",))[0]
    if "=" in text and weighted_lhs(clean(lhs))[1] is not None:
        return True  # σ²ℓ(θ; σ) = …: a weighted loss on the left
    return bool(re.match(r"\s*(?:\\mathcal\s*\{[LJ]\}|\\ell|L|J)\s*(?:\^\s*\{?\s*\\(?:text|mathrm)\s*\{[a-z]+\}\s*\}?\s*)?(?:_\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\\(?:text|mathrm|rm|operatorname)\s*\{[^{}]*\}|\\?[a-zA-Z0-9]+))?\s*"
                         r"(?:\(.*?\))?\s*(?:=|:=|\\triangleq|\\coloneqq|\\equiv)", text))


# ------------------------------------------------------------------------------------------- objectives
_THETA_STAR = re.compile(r"^\s*\\?(?:theta|θ|phi|φ|psi|ψ)\s*\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?\s*$")
_SUPWORD = r"(?P<sup>\^\s*(?:\{\s*\\(?:text|mathrm|rm|operatorname)\s*\{[a-zA-Z]{2,}\}\s*\}|\\(?:text|mathrm|rm|operatorname)\s*\{[a-zA-Z]{2,}\}|\{[a-zA-Z]{2,}\}))?"
#: a loss's name on the left: L, J, 𝓛, 𝒥, ℓ with a subscript (and a word as superscript, either order: Weng 2021 writes
#: L_t^{simple}, the loss L_simple evaluated at step t), and its arguments
_LOSS_LHS = re.compile(r"^\s*(?P<head>\\mathcal\s*\{[LJ]\}|\\ell|L|J)\s*" + _SUPWORD.replace("sup>", "sup0>") +
                       r"\s*(?P<sub>_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\(?:text|mathrm|rm|operatorname)\s*\{[^{}]*\}|\\?[a-zA-Z0-9]+))?\s*"
                       + _SUPWORD + r"\s*(?:\((?P<args>.*)\))?\s*$")


_LOSS_HEAD = re.compile(r"\\ell(?![a-zA-Z])|\\mathcal\s*\{[LJ]\}|(?<![A-Za-z\\])[LJ](?![a-zA-Z])")


def weighted_lhs(lhs: str):
    """``σ²ℓ(θ; σ)``, ``\frac{1}{2}L_t``: a positive weight (schedule symbols and numbers only) times a loss's name on
    the left, as (weight text, name match); ("", None) when the left side is not one. The claim is then that the loss
    is the right side divided by the weight (Song & Ermon 2019, Sec. 4.2 weight ℓ(θ; σ) by σ² this way)."""
    for m in _LOSS_HEAD.finditer(lhs):
        prefix = lhs[:m.start()].strip()
        got = _LOSS_LHS.match(lhs[m.start():])
        if not prefix or got is None or not re.fullmatch(r"(?:\\(?:sigma|lambda|beta|alpha|gamma|frac|bar|tilde)|[0-9{}^_ .()]|[a-z])+", prefix):
            continue
        try:
            pc = Piece()
            read_piece(prefix, pc)
        except ObjectiveError:
            continue
        if all(r_ == "param" for r_ in pc.roles.values()):
            return prefix, got
    return "", None


def _loss_name(m: "re.Match[str]") -> str:
    """The normalised name of a loss on the left: a word superscript is the name (L_t^simple -> L_simple)."""
    sup = m.group("sup") or m.group("sup0")
    if sup:
        return norm_name(m.group("head") + "_" + re.sub(r"^\^\s*", "", sup))
    return norm_name(m.group("head") + (m.group("sub") or ""))


_UNIFORM = re.compile(r"^\s*(?P<v>[a-zA-Z])\s*\\(?:sim|in)\s*(?:\\mathcal\s*\{\s*U\s*\}|U|\\operatorname\s*\{\s*U\s*\})\s*"
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
    main, defs, stated, conditions, vdefs, wdefs = parts[0], {}, [], [], [], []
    for extra in parts[1:]:
        m = re.fullmatch(r"\s*(\\[a-zA-Z]+|[a-zA-Z])\s*=\s*([0-9.eE+-]+)\s*", extra)
        if m:
            defs[norm_name(m.group(1))] = sp.nsimplify(m.group(2))
        elif _WEIGHT_DEF.fullmatch(extra) and len(split_top(main, ("=",))) <= 2:
            wdefs.append(extra)
        elif _STATED.fullmatch(extra) and len(split_top(main, ("=",))) <= 2:
            stated.append(extra)
        elif re.search(r"\\propto|\\sum[^=]*=\s*1\s*$", extra) and len(split_top(main, ("=",))) <= 2:
            conditions.append(_condition(extra))
        elif re.fullmatch(r"\s*v\s*=[^=]+", extra) and re.search(r"(?<![A-Za-z\\])v(?![A-Za-z_(])", main):
            # the regression target defined beside the loss: v = α_t ε − σ_t x (Salimans & Ho 2022, Sec. 4)
            vdefs.append(extra.split("=", 1)[1])
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
    pc = Piece(estimates=True)
    role, name, scale_t = "bare", "", ""
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
                scale_t, m = weighted_lhs(lhs)
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
    for vd in vdefs[:1]:
        samp[pc.sym("v", "var")] = read_piece(vd, pc).xreplace(samp)
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
    parts = _weights_defined(parts, wdefs, pc)
    if scale_t:  # w · L = rhs: L is rhs / w
        scale = read_piece(scale_t, pc)
        parts = sp.Tuple(parts[0] / scale, parts[1] / scale, parts[2])
    if defs:
        dsub = {s_: defs[s_.name] for s_ in parts.free_symbols if s_.name in defs}
        parts = parts.xreplace(dsub)
    integrand = parts[0]
    if inner is not None:
        weight, inner = parts[1], parts[2]
    return Objective(role, name, integrand, pc, st.norm is not None, st.integrals, st.plus_const, text,
                     _uniforms(st.expectations, pc), _assumptions(stated, integrand), sorted(conditions), weight, inner,
                     list(st.expectations))


def _condition(extra: str) -> str:
    """A side condition on the sampling (``p_t ∝ √E[L_t²]``, ``Σ p_t = 1``: Nichol & Dhariwal 2021, Eq. 18) as a
    normalised string: compared with the reference's as written, never guessed."""
    s = re.sub(r"\\q?quad|\\mathbb\s*\{?\s*E\s*\}?", lambda m: "E" if "E" in m.group(0) else " ", extra)
    s = re.sub(r"\\left|\\right|\\big|\\Big", "", s)
    s = re.sub(r"\\sum\s*_\s*(?:\{\s*[a-z]\s*\}|[a-z])(?!\s*=)", r"\\sum ", s)  # Σ_t p_t = Σ p_t
    return norm_name(s).replace("[", "(").replace("]", ")")


#: ``λ(i) = σ_i²``, ``λ_t = g(t)²`` after the objective: the definition of its weighting function
_WEIGHT_DEF = re.compile(r"\s*(?:\\q?quad\s*)?\\lambda\s*(?:_\s*(?:\{\s*[a-z]\s*\}|[a-z])|\(\s*[a-z]\s*\))\s*=[^=]+")


def _weights_defined(parts: sp.Expr, wdefs: List[str], pc: Piece) -> sp.Expr:
    """The weighting λ defined beside the objective (Song 2021's blog: Σ_i λ(i) E[…], λ(i) = σ_i²) put in: the
    objective is the one with that weighting. A definition of a λ the objective does not use is an error."""
    for extra in wdefs:
        lhs_t, rhs_t = extra.replace("\\quad", " ").split("=", 1)
        lhs, rhs = read_piece(lhs_t, pc), read_piece(rhs_t, pc)
        if not isinstance(lhs, sp.Symbol) or lhs not in parts.free_symbols:
            raise ObjectiveError(f"{extra.strip()!r} defines a weighting the objective does not use")
        parts = parts.xreplace({lhs: rhs})
    return parts


#: ``σ_t^2 = β_t`` after the objective: a weight's stated value (a Greek letter with an index, maybe squared)
_STATED = re.compile(r"\s*(?:\\q?quad\s*)?\\[a-zA-Z]+\s*_\s*(?:\{[^{}]*\}|[a-zA-Z0-9])\s*(?:\^\s*\{?\s*2\s*\}?)?\s*=[^=]+")


def _assumptions(stated: List[str], integrand: sp.Expr = sp.Integer(0)) -> Dict[sp.Symbol, sp.Expr]:
    """``σ_t^2 = β_t`` -> {σ_k: √β_k}: a weight symbol's value, applied to the claim and to the reference alike (in
    DDPM notation, α_t as 1 − β_t when the objective it stands beside is written so)."""
    out: Dict[sp.Symbol, sp.Expr] = {}
    for extra in stated:
        lhs_t, rhs_t = extra.replace("\\quad", " ").split("=", 1)
        pc = Piece()
        lhs, rhs = read_piece(lhs_t, pc), read_piece(rhs_t, pc)
        rhs = _ddpm_alpha(sp.Tuple(rhs, integrand), pc)[0]
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
    if subs[-1].isdigit() and not subs[0].isdigit():  # L_T + L_{T−1} + … + L_0 (Weng 2021): the same sum, counted down
        subs = subs[::-1]
    if all(q.isdigit() for q in subs[:2]) and int(subs[1]) != int(subs[0]) + 1:
        raise ObjectiveError("a sequence with \\ldots whose first two indices are not consecutive")
    total = pc.sym(f"Σ[{norm_name('_k=' + subs[0])[1:]};{norm_name('_' + subs[-1])[1:]}]", "param")
    return total * read_piece(head + "_{t}", pc)
