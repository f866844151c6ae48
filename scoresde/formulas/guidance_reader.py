"""Guidance relations read in one ground vocabulary: the unconditional score s = ∇log p_t(x), the classifier's
gradient g = ∇log p_t(y | x), the guidance weight w (or scale s) and the kernel std σ.

Every written quantity is expressed in (s, g):

* ∇log p(x | y) (a state given a label) = s + g (Bayes' rule; Song et al. 2021, Eq. 14 and App. I); the joint
  ∇_x log p(x, y) is the same (p(y) does not depend on x; Weng 2021 writes q(x_t, y));
* ∇log p̃(z | c), the guided density p(z | c) p(c | z)^w = s + (1 + w) g (Ho & Salimans 2022, Sec. 3.2);
* ∇log p(y | x) (a label given a state) = g;
* ε_θ(z) = −σ s and ε_θ(z, c) = −σ (s + g) (ε = −σ ∇log p; Ho & Salimans 2022, Sec. 3.1), σ = σ_λ = σ_t;
* the guided prediction ε̃_θ(z, c) = −σ (s + (1 + w) g) (Ho & Salimans 2022, Eq. 6 and Sec. 3.1: classifier-free
  guidance with weight w is classifier guidance of p(z | c) with the implicit classifier p(c | z) at the same w);
* ∇log(p(x) p(y | x)^s) = ∇log p(x) + s ∇log p(y | x) (the logarithm of a product; Dhariwal & Nichol 2021, Sec. 4.3);
* Dhariwal & Nichol 2021, Alg. 1: x_{t−1} ∼ N(μ + s Σ g, Σ), with μ, Σ the model's mean and covariance.

Both sides are then compared at random points: equal -> ``exact``, else ``inconsistent`` (term ``rhs``; for
Alg. 1 ``mean.other`` / ``variance``). A formula with a symbol outside this vocabulary is left to the usual reader.
"""
from __future__ import annotations

import random
import re
from typing import Dict, Optional, Tuple

import sympy as sp

from .objective_reader import ObjectiveError, Piece, read_piece
from .objective_text import clean, matching, split_top
from .paper_notation import grad_log_z
from .guided_mean import judge_guided_mean
from .guidance_weight import KAPPA, code_names, guided_lhs, guided_score_name, judge_kappa, tagged_predictions
from .verdict import Verdict

__all__ = ["judge_guidance"]

S, GY, W = sp.symbols("s_u g_y w", real=True)
SIG = sp.Symbol("σ", positive=True)
_STATE = re.compile(r"^(x|z)")
_NABLA_LOG_PROD = re.compile(r"\\nabla\s*(_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z]))?\s*\\log\s*\(")
_FACTOR = re.compile(r"\s*(?P<d>(?:\\tilde\s*\{?\s*p\s*\}?|p|q)(?:\s*_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z0-9]))?\s*\()")


def _density(name: str) -> Optional[Tuple[bool, str, str]]:
    """(tilde, variable, condition) of a score symbol's name ``∇logp_k(a|b)``."""
    # any density letter: a classifier is written p_φ(y | x), f_φ(y | x) (Weng 2021), q(y | x)
    m = re.match(r"∇log(p̃|[a-zA-Z])([^(]*)\((.*)\)$", name)
    if not m or m.group(2) not in ("", "_k", "_θ", "_φ", "_λ", "_ψ", "^i"):  # p^i: the implicit classifier (Ho & Salimans)
        return None  # p_γ(x | y), p_w(…): a guided density whose exponent the name alone does not give
    args = m.group(3)
    var, _, cond = args.partition("|")
    return m.group(1) == "p̃", var, cond


def _ground(sym: sp.Symbol, roles: Dict[str, str], lhs: bool, kappa: bool = False) -> Optional[sp.Expr]:
    name = sym.name
    role = roles.get(name, "param")
    if kappa and lhs:  # the guided quantity with its weight left open (guidance_weight)
        if guided_lhs(name, role) or (role == "param" and re.fullmatch(r"ε̂(\(x_k\))?", name)):
            return -SIG * (S + KAPPA * GY)
        if guided_score_name(name, role):  # score(x, c, λ): Bishop & Bishop 2024's guided score (guidance_weight)
            return S + KAPPA * GY
        # a guided density on the left, any subscript (p_γ(x | y), p̃_w(x | c): Dhariwal & Nichol 2021, Sec. 4.3)
        m = re.fullmatch(r"∇log(?:p̃|p)(?:_[^(]*)?\(([^|]*)\|([^|]*)\)", name) if role == "target" else None
        if m and _STATE.match(m.group(1)) and not _STATE.match(m.group(2)):
            return S + KAPPA * GY
        if role == "model" and re.fullmatch(r"M\[s[\u0303\u0304\u0302]_θ(\|[yc])?\]", name):
            return S + KAPPA * GY  # a guided score model s̃_θ
    if role == "target":
        d = _density(name)
        if d is None:
            return None
        tilde, var, cond = d
        joint = [v_.strip() for v_ in var.split(",")]
        if len(joint) == 2 and not cond and _STATE.match(joint[0]) and re.fullmatch(r"[yc]", joint[1]):
            return S + GY  # the joint p(x, y) = p(x | y) p(y): its gradient in x is that of p(x | y) (p(y) has no x)
        if _STATE.match(var) and not cond:
            return S
        if _STATE.match(var) and cond and not _STATE.match(cond):
            return S + (1 + W) * GY if tilde else S + GY
        if not _STATE.match(var) and cond and _STATE.match(cond):
            return GY
        return None
    if role == "model" and re.fullmatch(r"M\[s_θ(\|[yc])?\]", name):
        return S + GY if "|" in name else S  # score models: s_θ(x, y) = ∇log p_t(x | y), s_θ(x) = ∇log p_t(x)
    if role == "model":
        m = re.fullmatch(r"M\[(ε|ε̃|ε̂)_θ(\|[yc])?\]", name)
        if not m:
            return None
        if m.group(1) == "ε̃":
            return -SIG * (S + (1 + W) * GY) if m.group(2) else None
        if m.group(1) == "ε̂":
            return None
        return -SIG * (S + GY) if m.group(2) else -SIG * S
    if role == "param" and lhs and re.fullmatch(r"ε̂(\(x_k\))?", name):
        # Dhariwal & Nichol 2021, Sec. 4.2: ε̂(x_t) is the prediction for p(x_t) p_φ(y | x_t)^s (s = 1 unless written)
        return -SIG * (S + (W if roles.get("#weight") not in (None, "w!") else 1) * GY)
    m = re.fullmatch(r"ε\^\*\((?:[xz]_?[kλ]?)(,(?:y|c))?\)", name) if role == "param" else None
    if m:  # Ho & Salimans 2022, Sec. 3.1: ε*(z) = −σ_λ∇log p(z), the ideal noise prediction, conditional with c
        return -SIG * (S + GY) if m.group(1) else -SIG * S
    if role == "param":
        if name == roles.get("#weight"):
            return W
        if re.fullmatch(r"σ(_[kλ])?", name):
            return SIG
        if re.fullmatch(r"ᾱ(_k|\(k\))", name):  # the VP kernel's std is √(1 − ᾱ_t) (Dhariwal & Nichol 2021, Sec. 4.2)
            return 1 - SIG**2
        return sym
    return None


_NABLA_LOG_BARE = re.compile(r"\\nabla\s*(_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z]))?\s*\\log\s*(?=\\frac\s*\{\s*1\s*\}|Z"
                             r"|(?:p|q)(?:\s*_\s*(?:\{[^{}]*\}|\\[a-zA-Z]+|[a-zA-Z0-9]))?\s*\([^()]*\)\s*\^)")
#: a normalising constant 1/Z, Z^{-1} or Z (no state in it): ∇_x log Z = 0 (Dhariwal & Nichol 2021, Sec. 4.1)
_NORMALISER = re.compile(r"\s*(?:\\frac\s*\{\s*1\s*\}\s*\{\s*Z\s*\}|Z\s*\^\s*\{\s*-\s*1\s*\}|Z(?![a-zA-Z_(]))")


def _bare_log_product(text: str) -> Optional[str]:
    """``\\nabla_v \\log \\frac{1}{Z} A^k`` or ``\\nabla_v \\log A^k`` (no brackets: the product runs to the end of the side) -> ``(\\nabla_v \\log (A^k))``,
    the normalising constant dropped; the text unchanged when there is no such form, None if it is not a product."""
    m = _NABLA_LOG_BARE.search(text)
    if not m:
        return text
    i, dens = m.end(), []
    while True:
        n = _NORMALISER.match(text, i)
        if n:
            i = n.end()
            continue
        f = _FACTOR.match(text, i)
        if not f:
            break
        k = matching(text, f.end() - 1)
        if k is None:
            return None
        pw = re.match(r"\s*\^\s*(\{[^{}]*\}|[a-zA-Z0-9]|\\[a-zA-Z]+)", text[k + 1:])
        end = k + 1 + (pw.end() if pw else 0)
        dens.append(text[f.start("d"):end])
        i = end
    rest = text[i:]
    if not dens or not re.match(r"\s*(?:$|=|\+|-|,)", rest):
        return None
    return text[:m.start()] + f"\\nabla{m.group(1) or ''}\\log(" + " ".join(dens) + ")" + rest


def _expand_log_product(text: str) -> Optional[str]:
    """``\\nabla_v \\log(A B^k)`` -> ``\\nabla_v\\log A + k\\nabla_v\\log B`` (None if it is not a product of densities)."""
    text = _bare_log_product(text)
    if text is None:
        return None
    m = _NABLA_LOG_PROD.search(text)
    if not m:
        return text
    j = matching(text, m.end() - 1)
    if j is None:
        return None
    inner, i, terms = text[m.end():j], 0, []
    while i < len(inner.rstrip()):
        f = _FACTOR.match(inner, i)
        if not f:
            return None
        k = matching(inner, f.end() - 1)
        if k is None:
            return None
        dens, i = inner[f.start("d"):k + 1], k + 1
        pw = re.match(r"\s*\^\s*(\{[^{}]*\}|[a-zA-Z0-9]|\\[a-zA-Z]+)", inner[i:])
        power = "1"
        if pw:
            power, i = pw.group(1), i + pw.end()
        terms.append(f"{power}\\nabla{m.group(1) or ''}\\log {dens}")
    if not terms:
        return None
    return text[:m.start()] + "(" + " + ".join(terms) + ")" + text[j + 1:]


def _points(syms) -> list:
    rng = random.Random(7)
    return [{s_: sp.Float(rng.uniform(0.2, 0.9) if s_.is_positive else rng.uniform(-2, 2), 30) for s_ in syms} for _ in range(5)]


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    syms = a.free_symbols | b.free_symbols
    for p in _points(syms):
        va, vb = complex(sp.N(a.xreplace(p))), complex(sp.N(b.xreplace(p)))
        if abs(va - vb) > 1e-10 * (1 + abs(va) + abs(vb)):
            return False
    return True


def _ground_expr(expr: sp.Expr, pc: Piece, lhs: bool = False, kappa: bool = False) -> Optional[sp.Expr]:
    sub = {}
    for s_ in expr.free_symbols:
        g = _ground(s_, pc.roles, lhs, kappa)
        if g is None:
            return None
        sub[s_] = g
    return expr.xreplace(sub)


def judge_guidance(text: str) -> Optional[Verdict]:
    """The verdict of a guidance relation, or None when it is not one (or uses symbols outside the vocabulary)."""
    written = text
    text = code_names(text) or tagged_predictions(text) or text  # eps_cond, eps_uncond; x_{pos}, x_{neg}, x_{cfg}
    text = re.sub(r",\s*\\(?:varnothing|emptyset)\s*(?=\))", "", text)  # ε_θ(z, ∅): the null condition, unconditional
    guided_s = r"|\\(?:tilde|bar|hat)\s*\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?s\s*\}?\s*\}?\s*_"  # s̃_θ: a guided score model
    if not re.search(r"\\nabla|\\tilde\s*\{?\s*\\(?:boldsymbol\{)?\\?epsilon|\\epsilon" + guided_s, text) or r"\mathbb" in text:
        return None
    bold = r"\\?(?:(?:mathbf|bm|boldsymbol|vb)\s*\{?\s*\\?)?"  # \mathbf{x}, \bm{x}, \boldsymbol x
    if not re.search(rf"\|\s*{bold}[xzXZ]|\\mid\s*{bold}[xzXZ]|\\tilde|\\bar|, *{bold}[cy]\}}?\)|(?:\||\\mid)\s*{bold}[cy]\}}?\s*\)", text):
        return None
    if re.search(r"(?:\\mathrm\{d\}|(?<![a-zA-Z\\])d)\s*(?:t\b|\\bar|w\b)", text):
        return None  # an SDE: read by the usual reader (guided reverse SDEs are registry entries)
    s = _expand_log_product(clean(grad_log_z(text)))  # ∇log[(1/Z) X] = ∇log X (normalize.py)
    if s is None:
        return None
    # pseudocode "x ← sample from N(…)" (Dhariwal & Nichol 2021, Alg. 1 is written in words) is x ∼ N(…)
    s = re.sub(r"(?:\\leftarrow|\\gets|=)\s*\\(?:text|mathrm)\s*\{\s*sample(?:d)?\s*(?:from)?\s*\}\s*", r"\\sim ", s)
    if r"\sim" in s:
        return _judge_step(written, s)
    pc = Piece()
    s, defs = _definitions(s, pc.roles)
    # ≈ in a chain puts the networks in place of the true scores (ε_θ ≈ −σ∇log p, f_φ ≈ the classifier): the
    # relation the networks are trained to satisfy, compared like "="
    s = re.sub(r"\\approx(?![a-zA-Z])|≈", "=", s)
    sides = split_top(s, ("=",))
    if len(sides) < 2 or defs is None:
        return None
    try:
        lhs, rhss = read_piece(sides[0], pc), [read_piece(r_, pc).xreplace(defs) for r_ in sides[1:]]
    except ObjectiveError:
        return None
    if len(rhss) == 1 and not defs:  # the classifier-guided mean μ + sΣg (guided_mean.py)
        gm = judge_guided_mean(written, lhs, rhss[0], pc.roles)
        if gm is not None:
            return gm
    lroles = [pc.roles.get(s_.name) for s_ in lhs.free_symbols]
    hat = isinstance(lhs, sp.Symbol) and re.fullmatch(r"ε̂(\(x_k\))?", lhs.name) is not None
    if not (hat or any(r_ in ("target", "model") for r_ in lroles)
            or any(guided_lhs(s_.name, "param") or guided_score_name(s_.name, "param") for s_ in lhs.free_symbols)) \
            or "var" in lroles:
        return None  # the left side must be a score or a network's prediction
    allsyms = lhs.free_symbols.union(*[r_.free_symbols for r_ in rhss])
    weights = sorted({s_.name for s_ in allsyms if pc.roles.get(s_.name) == "param"
                      and not re.fullmatch(r"σ(_[kλ])?|ᾱ(_k|\(k\))|t", s_.name) and not guided_lhs(s_.name, "param")
                      and not guided_score_name(s_.name, "param")})
    weights = [w_ for w_ in weights if not re.fullmatch(r"ε̂(\(x_k\))?|ε\^\*\(.*\)", w_)]
    if len(weights) > 1 and "w" not in weights:
        return None  # which symbol is the guidance weight?
    pc.roles["#weight"] = "w" if "w" in weights else (weights[0] if weights else "w!")
    claim = "guidance relation in (s, g) = (∇log p_t(x), ∇log p_t(y|x))"
    verdicts = [_judge_pair(written, lhs, rhs, pc, weights, hat, claim) for rhs in rhss]
    if any(v is None for v in verdicts):
        return None
    if len(verdicts) == 1:
        return verdicts[0]
    worst = max(verdicts, key=lambda v: {"exact": 0, "consistent": 1, "inconsistent": 2}[v.verdict])
    detail = " | ".join(f"part {k + 2}: {v.verdict}: {v.detail}" for k, v in enumerate(verdicts))
    return Verdict(written, worst.verdict, f"a chained equation, each side compared with the first: {detail}", claim=claim,
                   target=worst.target, terms=list(worst.terms or []))


def _definitions(s: str, roles: Dict[str, str]):
    """``…, s = 1 + w`` after the relation (Ho & Salimans 2022 write the scale beside Eq. 6): (relation, {symbol: value}),
    the definitions then substituted into the right sides; ({}, None) if a trailing part is not a definition."""
    parts = split_top(s, (",",))
    if len(parts) == 1:
        return s, {}
    defs = {}
    for extra in parts[1:]:
        if re.fullmatch(r"\s*(\\[a-zA-Z]+|[a-zA-Z])\s*", extra):
            continue  # "…, s 为引导系数": a symbol the cell's words name (normalize.cjk_prose leaves the symbol)
        m = re.fullmatch(r"\s*(\\[a-zA-Z]+|[a-zA-Z])\s*=\s*([^=]+)", extra)
        if not m:
            return s, None
        pc = Piece()
        try:
            val = read_piece(m.group(2), pc)
        except ObjectiveError:
            return s, None
        if any(r_ != "param" for r_ in pc.roles.values()):
            return s, None
        roles.update(pc.roles)
        sym = read_piece(m.group(1), Piece())
        defs[sp.Symbol(sym.name, positive=True)] = val
        defs[sp.Symbol(sym.name, real=True)] = val
    return parts[0], defs


def _judge_pair(text: str, lhs: sp.Expr, rhs: sp.Expr, pc: Piece, weights, hat: bool, claim: str) -> Optional[Verdict]:
    """One equality left = right: the fixed reading first, then the guidance weight left open (guidance_weight)."""
    gl, gr = _ground_expr(lhs, pc, True), _ground_expr(rhs, pc)
    fixed = None
    if gl is not None and gr is not None and (gl.has(GY) or gr.has(GY)):
        target = "guidance.classifier_eps" if hat else "guidance.classifier_free" if gl.has(SIG) else (
            "guidance.classifier_free_score" if gl.has(W) else "guidance.classifier")
        if _equal(gl, gr):
            return Verdict(text, "exact", f"both sides are {_show(gl)} with s = ∇log p_t(x), g = ∇log p_t(y|x)", claim=claim, target=target)
        fixed = Verdict(text, "inconsistent", f"expected {_show(gl)}, found {_show(gr)} (s = ∇log p_t(x), g = ∇log p_t(y|x))",
                        claim=claim, target=target, terms=["rhs"])
    if fixed is not None and not isinstance(lhs, sp.Symbol):
        return fixed  # an identity between expressions (Luo 2022, Eq. 163 rearranged): the weights are as written
    gk = _ground_expr(lhs, pc, True, kappa=True)
    if gk is None or gr is None or not gk.has(KAPPA) or not gr.has(GY) or (fixed is None and gl is not None and not weights and not gk.has(SIG)):
        return fixed
    wsyms = [s_ for s_ in gr.free_symbols if s_.name in weights or s_ == W]
    got = judge_kappa(gk, gr, S, GY, wsyms, [SIG])
    if got is None:
        return fixed
    target = "guidance.classifier_free" if gk.has(SIG) else "guidance.classifier_free_score"
    if not got["ok"]:
        return Verdict(text, "inconsistent", f"read as a guided {'prediction' if gk.has(SIG) else 'score'} "
                       f"{_show(gk.subs(KAPPA, sp.Symbol('κ')))}: {got['why']}", claim=claim, target=target, terms=["rhs"])
    kap = got["kappa"]
    ho = isinstance(lhs, sp.Symbol) and re.fullmatch(r"M\[ε̃_θ\|[yc]\]", lhs.name) and "w" in weights
    if ho and kap is not None and sp.simplify(kap - (1 + W)) != 0:
        # a valid guidance whose scale is written w in the sense of GLIDE, LDM and diffusers (ε_∅ + w(ε_c − ε_∅), w = 1
        # unguided): another convention than Ho & Salimans's, so consistent but not exact
        return Verdict(text, "consistent", f"{got['why']}: a valid classifier-free guidance with the guidance scale w of "
                       "GLIDE, LDM and diffusers (w = 1 unguided); Ho & Salimans's ε̃ with their w is guided by κ = 1 + w "
                       "(Eq. 6 and Sec. 3.2)", claim=claim, target=target, terms=["rhs"])
    return Verdict(text, "exact", f"the guided {'prediction −σ(s + κg)' if gk.has(SIG) else 'score s + κg'} with {got['why']} "
                   "(Dhariwal & Nichol 2021, Sec. 4.3; Ho & Salimans 2022, Eq. 6)", claim=claim, target=target)


def _judge_step(text: str, s: str) -> Optional[Verdict]:
    """x_{t−1} ∼ N(μ + sΣ∇log p_φ(y|x_t), Σ) (Dhariwal & Nichol 2021, Alg. 1)."""
    lhs, _, dist = s.partition(r"\sim")
    m = re.match(r"\s*(?:\\mathcal\s*\{\s*N\s*\}|N)\s*\(", dist)
    if not m:
        return None
    j = matching(dist, m.end() - 1)
    if j is None:
        return None
    args = split_top(dist[m.end():j], (",",))
    if len(args) != 2:
        return None
    pc = Piece()
    try:
        mean, cov = read_piece(args[0], pc), read_piece(args[1], pc)
    except ObjectiveError:
        return None
    gm = _ground_expr(mean, pc)
    if gm is None or not gm.has(GY):
        return None
    mu, sigma, scale = sp.Symbol("μ", positive=True), sp.Symbol("Σ", positive=True), sp.Symbol("s", positive=True)
    if not (gm.free_symbols | cov.free_symbols) <= {mu, sigma, scale, GY}:
        return None
    want_m, want_c = mu + scale * sigma * GY, sigma
    bad = [("mean.other", f"the mean: expected {_show(want_m)}, found {_show(gm)}")] if not _equal(gm, want_m) else []
    if not _equal(cov, want_c):
        bad.append(("variance", f"the covariance: expected Σ, found {_show(cov)}"))
    claim = "classifier-guided ancestral step (μ, Σ: the model's mean and covariance)"
    src = "Dhariwal & Nichol 2021 (Diffusion Models Beat GANs), Alg. 1"
    if not bad:
        return Verdict(text, "exact", f"the classifier-guided step of {src}: N(μ + sΣ∇log p_φ(y|x_t), Σ)", claim=claim)
    return Verdict(text, "inconsistent", "; ".join(b[1] for b in bad) + f" ({src})", claim=claim, terms=[b[0] for b in bad])


def _show(e: sp.Expr) -> str:
    return sp.sstr(sp.factor(e)).replace("**", "^").replace("*", "·").replace("s_u", "s").replace("g_y", "g")
