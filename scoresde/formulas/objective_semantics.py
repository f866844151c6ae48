"""Judge a regression objective by what it means, whatever its notation: ``weight · ‖A − B‖²`` with one network.

Every denoising / score-matching objective of the family (Vincent 2011; Song & Ermon 2019, Eq. 2 and 5; Ho et al.
2020, Eq. 14; Song et al. 2021, Eq. 7; Song, Durkan et al. 2021, Sec. 3; Karras et al. 2022, Eq. 2) regresses a
network on the quantity it predicts, at a noisy sample x_t = a x_0 + b ξ of the kernel (ξ ∼ N(0, I)):

* a noise predictor ε_θ on ξ, a score model s_θ on the kernel's score −ξ/b (or on the marginal score ∇log p_t(x)
  at the same x: explicit score matching / the Fisher divergence, Hyvärinen 2005), a denoiser D / x̂_θ on x_0, a
  mean model μ_θ on the posterior mean μ̃_t (μ_q), a v-model on v = a ξ − b x_0 (Salimans & Ho 2022, Sec. 4).

So the claim is read as: the residual inside the norm must vanish when the network is replaced by its ideal
value (checked at random values of every data, noise and schedule symbol). A named noisy state (x_t, x̃, x(t))
is the kernel's sample with the notation's std b (σ_t, σ(t), σ; √(1 − ᾱ_t) in DDPM notation). Then

* the residual does not vanish -> ``inconsistent`` (term ``rhs``): a wrong target, sign, or scaling of the
  kernel's score (z/σ² for z/σ);
* it vanishes and the weight is positive -> ``exact`` when the weight on the score residual is one of the
  family's weightings up to a constant factor (the name of an unregistered loss fixes no normalisation):
  1 (unweighted), the kernel variance b² (λ = σ², Ho's L_simple, NCSN), the likelihood weighting g(t)² (Song,
  Durkan et al. 2021), a weighting written as λ, or the network's own unweighted loss (‖ε − ε_θ‖², ‖D − y‖²);
  ``consistent`` for any other positive weight (a valid objective with another weighting, e.g. g for g²).
"""
from __future__ import annotations

import random
import re
from contextvars import ContextVar
from typing import Dict, List, Optional, Tuple

import sympy as sp

from .objective_reader import Objective

__all__ = ["judge_semantics", "ddim_alpha_as_abar", "stated_notation"]

#: the notation the claim states (``notation:`` of a claims file), set by the verifier while it judges an objective
stated_notation: ContextVar = ContextVar("stated_notation", default=None)

_NOISE = re.compile(r"(?:ε|ϵ|ξ|z|n)(?:_[0-9k])?|ξ\[.*\]|ξ")
_STATE = re.compile(r"(?:x|z|y)(?:_k|_[1-9]|\(k\)|̃|_λ|_σ.*)|x̃.*|x'|x′|x\^′")
_DATA = re.compile(r"(?:x|y)(?:_0|\(0\))?|x_0")
_P = "[θφψ]"  # the parameters' letter
_KINDS = (("eps", re.compile(rf"M\[(?:ε|ϵ)[\u0302\u0303]?_{_P}\]")), ("score", re.compile(rf"M\[s_{_P}\]")),
          ("data", re.compile(rf"M\[(?:D|D_{_P}|x[\u0302\u0303]?_{_P}|x[\u0302\u0303])\]")), ("mean", re.compile(rf"M\[μ_{_P}\]")),
          ("v", re.compile(rf"M\[v[\u0302\u0303]?_{_P}\]")))


def _model(ob: Objective) -> Optional[Tuple[str, sp.Symbol, List[sp.Expr]]]:
    found = []
    for s_ in ob.integrand.free_symbols:
        if ob.piece.roles.get(s_.name) != "model":
            continue
        for kind, rx in _KINDS:
            if rx.fullmatch(s_.name):
                found.append((kind, s_))
    if len(found) != 1:
        return None
    kind, sym = found[0]
    calls = ob.models.get(sym.name[2:-1], [])
    if kind == "mean" and not calls:
        return kind, sym, []  # μ_θ written without arguments: only its target matters
    if len(calls) != 1 or not calls[0]:
        return None
    return kind, sym, calls[0]


def _vals(syms, rng: random.Random, roles: Dict[str, str]) -> Dict[sp.Symbol, float]:
    return {s_: (rng.uniform(0.2, 0.9) if roles.get(s_.name, "param") == "param" else rng.uniform(-2.0, 2.0)) for s_ in syms}


def _zero(expr: sp.Expr, roles: Dict[str, str], n: int = 5) -> Optional[bool]:
    rng = random.Random(4242)
    for _ in range(n):
        p = _vals(expr.free_symbols, rng, roles)
        try:
            v = complex(sp.N(expr.xreplace(p), 20))
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        if v != v:
            return None
        if abs(v) > 1e-9:
            return False
    return True


def _std(ob: Objective, syms) -> Optional[sp.Expr]:
    """The notation's kernel std for a named state: σ_t, σ(t), σ (any σ symbol), else √(1 − ᾱ_t) (DDPM notation)."""
    sig = [s_ for s_ in syms if re.fullmatch(r"σ(?:_k|\(k\)|_[a-z](?:\(k\))?)?", s_.name)]
    if len(sig) == 1:
        return sig[0]
    abar = [s_ for s_ in syms if re.fullmatch(r"ᾱ(?:_k|\(k\))", s_.name)]
    if len(abar) == 1:
        return sp.sqrt(1 - abar[0])
    return None


def _level(target: sp.Symbol, syms) -> Optional[sp.Expr]:
    """The noise level of a perturbed density's score ∇log p_σ(x) / ∇log q_{σ_i}(x): its σ subscript (Song & Ermon
    2019, Sec. 4.2: q_σ(x̃) = ∫ q_σ(x̃ | x) p_data(x) dx with q_σ(x̃ | x) = N(x̃; x, σ² I)), when the objective uses it."""
    m = re.fullmatch(r"∇log[pq]_(σ(?:_[a-z])?)\(.*\)", target.name)
    if m is None:
        return None
    found = [s_ for s_ in syms if s_.name == m.group(1)]
    return found[0] if found else None


def _mean_coeff(syms) -> Optional[sp.Expr]:
    """The notation's kernel mean coefficient for a named state: α_t, α(t) (Kingma et al. 2021), else √ᾱ_t."""
    al = [s_ for s_ in syms if re.fullmatch(r"α(?:_k|\(k\))", s_.name)]
    if len(al) == 1:
        return al[0]
    abar = [s_ for s_ in syms if re.fullmatch(r"ᾱ(?:_k|\(k\))", s_.name)]
    return sp.sqrt(abar[0]) if len(abar) == 1 else None


def judge_semantics(ob: Objective, out: Optional[dict] = None) -> Optional[Tuple[str, str]]:
    """(verdict, detail) of an objective read by its meaning, or None when it is not of this family; ``out`` gets
    the weight on the score residual (key ``w_score``) and the kernel std (``b``) when they are known."""
    got = _judge(ob)
    if got is not None and out is not None and len(got) > 2:
        out.update(got[2])
    return got[:2] if got is not None else None


def _judge(ob: Objective):
    if ob.inner is None or ob.weight is None:
        return None
    got = _model(ob)
    if got is None:
        return None
    kind, msym, call = got
    roles = ob.piece.roles
    a = None
    inp = call[0] if call else sp.Integer(0)
    allsyms = ob.integrand.free_symbols | inp.free_symbols
    vars_ = {s_ for s_ in allsyms if roles.get(s_.name) == "var"}
    targets = {s_ for s_ in ob.inner.free_symbols if roles.get(s_.name) == "target"}
    if any(roles.get(s_.name) in ("loss", "model") for s_ in ob.inner.free_symbols - {msym}):
        return None
    if kind == "mean":
        # a mean predictor regressed on the posterior mean μ̃_t(x_t, x_0) / μ_q (Ho et al. 2020, Eq. 8; Luo 2022, Eq. 92)
        post = [s_ for s_ in ob.inner.free_symbols if s_ != msym and s_.name.startswith("μ")]
        if len(post) != 1:
            return None
        return _finish(ob, kind, msym, post[0], ob.inner.xreplace({msym: post[0]}), None, None,
                       f"the mean model against the posterior mean {post[0].name}")
    xi = sp.Symbol("ξ∘", real=True)
    x0 = sp.Symbol("x∘", real=True)
    sub: Dict[sp.Symbol, sp.Expr] = {}
    marginal = [t_ for t_ in targets if "|" not in t_.name]
    if isinstance(inp, sp.Symbol) and roles.get(inp.name) == "var":  # (z_t of VDM is a state, not a noise)
        # a named state: the kernel's sample with the notation's std (or the point of a marginal score)
        if marginal:
            if kind != "score" or len(targets) != 1:
                return None
            ideal, b = marginal[0], _level(marginal[0], allsyms)
            resid = ob.inner.xreplace({msym: ideal})
            how = "explicit score matching: the model against the marginal score at the same point (Fisher divergence)"
        else:
            b = _std(ob, allsyms)
            noise = [s_ for s_ in vars_ - {inp} if _NOISE.fullmatch(s_.name)]
            if b is None and kind == "score" and len(targets) == 1 and not noise:
                # no std in the notation, the kernel's score written as such: the model regresses on it (Eq. 7)
                (tgt,) = targets
                resid = ob.inner.xreplace({msym: tgt})
                return _finish(ob, kind, msym, tgt, resid, None, None, "the model against the kernel's score "
                               f"{tgt.name} at the same sample (denoising score matching)")
            if b is None or len(noise) > 1:
                return None
            if noise:
                sub[noise[0]] = xi
            if kind == "v":  # v = α_t ξ − σ_t x_0 needs the notation's mean coefficient too
                a = _mean_coeff(allsyms)
                if a is None:
                    return None
            ideal = {"eps": xi, "score": -xi / b, "data": x0, "v": (a if a is not None else 0) * xi - b * x0}[kind]
            for t_ in targets:
                sub[t_] = -xi / b  # the kernel's score ∇log p_0t(x_t | x_0) = −ξ/b
            for d_ in vars_ - {inp} - set(sub):
                if _DATA.fullmatch(d_.name):
                    sub[d_] = x0
            resid = ob.inner.xreplace(sub).xreplace({msym: ideal})
            how = f"the network's input read as the kernel's sample with std {_show(b)}"
    else:
        if targets:
            return None
        noise = [s_ for s_ in inp.free_symbols if roles.get(s_.name) == "var" and _NOISE.fullmatch(s_.name)]
        data = [s_ for s_ in inp.free_symbols if roles.get(s_.name) == "var" and s_ not in noise]
        if len(noise) != 1 or len(data) != 1:
            return None
        lin = sp.expand(inp)
        b, a = lin.coeff(noise[0]), lin.coeff(data[0])
        if sp.expand(lin - a * data[0] - b * noise[0]) != 0 or b.free_symbols & vars_ or a.free_symbols & vars_:
            return None
        bad = _kernel_mismatch(a, b, roles)
        if bad:
            return "inconsistent", (f"the network's input {_show(inp)} is not a sample of a Gaussian kernel in this notation: "
                                    f"{bad}")
        ideal = {"eps": noise[0], "score": -noise[0] / b, "data": data[0], "v": a * noise[0] - b * data[0]}[kind]
        resid = ob.inner.xreplace({msym: ideal})
        how = f"the network's input {_show(inp)}: the kernel's sample with mean coefficient {_show(a)} and std {_show(b)}"
    return _finish(ob, kind, msym, ideal, resid, a, b, how)


_DDIM_ALPHA = re.compile(r"(?<!\\bar)(?<!\\bar\{)(?<!\\bar )(?<!\\overline\{)(?<!\\hat)(?<!\\hat\{)(?<!\\tilde)(?<!\\tilde\{)\\alpha(?![a-zA-Z])")


def ddim_alpha_as_abar(text: str) -> str:
    """An objective in DDIM's notation (Song et al. 2021a, Eq. 5: α_t there is ᾱ_t of Ho et al.), written in ᾱ."""
    return _DDIM_ALPHA.sub(r"\\bar{\\alpha}", text)


def _per_step_alpha(a: sp.Expr) -> bool:
    """a = √α_k with a bare α: DDPM's per-step α_k = 1 − β_k (Ho et al. 2020, Sec. 2), not the kernel's √ᾱ_k (Eq. 4)."""
    sq = sp.simplify(a**2)
    return isinstance(sq, sp.Symbol) and sq.name.startswith("α") and not _abar(a)


def _abar(a: sp.Expr) -> bool:
    sq = sp.simplify(a**2)
    return isinstance(sq, sp.Symbol) and sq.name.startswith(("ᾱ", "α̅"))


def _kernel_mismatch(a: sp.Expr, b: sp.Expr, roles: Dict[str, str]) -> str:
    """'' when x_t = a x_0 + b ξ is a kernel of the family: VE (a = 1; Song et al. 2021, Eq. 29), VP (a² + b² = 1, any
    notation: √ᾱ_t and √(1 − ᾱ_t), e^{−½∫β}), sub-VP (b = 1 − a², Eq. 33), or the general (α_t, σ_t) notation of
    Kingma et al. 2021 / Karras et al. 2022 (two separately named schedule symbols, s(t) and s(t)σ(t) included)."""
    if _per_step_alpha(a) and _zero(a**2 + b**2 - 1, roles):
        return (f"mean coefficient {_show(a)}: α_k is DDPM's per-step α_k = 1 − β_k (Ho et al. 2020, Sec. 2), the kernel "
                "q(x_k | x_0) has √ᾱ_k (Eq. 4) (in DDIM's notation α is ᾱ: state notation: ddim)")
    if _zero(b - (1 - a**2), roles) and _abar(a):  # ᾱ is DDPM's chain (Ho et al. 2020, Eq. 4: VP); sub-VP is Song et al.'s SDE in e^{−∫β} (Eq. 33)
        return (f"std {_show(b)}: with ᾱ the kernel is DDPM's q(x_k | x_0) = N(√ᾱ_k x_0, (1 − ᾱ_k) I) "
                "(Ho et al. 2020, Eq. 4), std √(1 − ᾱ_k)")
    if _zero(a - 1, roles) or _zero(a**2 + b**2 - 1, roles) or _zero(b - (1 - a**2), roles):
        return _reversed_kernel(a, b) or _one_step_alpha(a, b)
    if isinstance(a, sp.Symbol) and (isinstance(b, sp.Symbol) or (isinstance(b, sp.Mul) and a in b.args)) and a not in (b,):
        return ""
    return (f"mean coefficient {_show(a)} and std {_show(b)} are those of no VE, VP or sub-VP kernel "
            "(a = 1, a² + b² = 1 or b = 1 − a²)")


def _reversed_kernel(a: sp.Expr, b: sp.Expr) -> str:
    """'' unless the kernel is written backwards: a VP kernel in one cumulative signal symbol (ᾱ_t, or α_t of DDIM / Bishop
    / Prince) is the identity at the clean end, where that symbol is 1 (Ho et al. 2020, Eq. 4: ᾱ_0 = 1 gives x_0 itself);
    a written a, b that give pure noise there (√(1 − α) x_0 + √α ξ) have the signal and noise coefficients swapped."""
    syms = (a.free_symbols | b.free_symbols)
    if len(syms) != 1:
        return ""
    (u,) = syms
    if not re.fullmatch(r"ᾱ?(?:α)?(?:_k|\(k\))", u.name) or not u.name.startswith(("α", "ᾱ")):
        return ""
    try:
        a1, b1 = sp.simplify(a.subs(u, 1)), sp.simplify(b.subs(u, 1))
    except (TypeError, ValueError):
        return ""
    if a1 == 0 and b1 != 0:
        return (f"at the clean end ({u.name} = 1) the sample {_show(a)} x_0 + {_show(b)} ξ is pure noise: the signal and "
                "noise coefficients are swapped")
    return ""


def _one_step_alpha(a: sp.Expr, b: sp.Expr) -> str:
    """'' unless the claim states DDPM's notation and the kernel is written in its bare α_t: there α_t = 1 − β_t is one
    step's coefficient (Ho et al. 2020, Sec. 2; Yang et al. 2023, Sec. 2.1), and the sample x_t of q(x_t | x_0) needs
    the cumulative ᾱ_t = ∏ α_s (Eq. 4); √α_t x_0 + √(1 − α_t) ε is the wrong noise level (DDIM's α, Song et al. 2021's
    α_i, mean ᾱ: a claim in their notation says so, or states none and is read by its form)."""
    if stated_notation.get() != "ddpm":
        return ""
    syms = a.free_symbols | b.free_symbols
    if len(syms) != 1 or not re.fullmatch(r"α(?:_k|\(k\))", next(iter(syms)).name):
        return ""
    (u,) = syms
    return (f"in DDPM notation (stated) {u.name} = 1 − β is one step's coefficient: the sample of q(x_t | x_0) is "
            f"√ᾱ x_0 + √(1 − ᾱ) ε (it uses {u.name} where ᾱ is needed)")


def _finish(ob: Objective, kind: str, msym: sp.Symbol, ideal: sp.Expr, resid: sp.Expr, a, b, how: str):
    roles = ob.piece.roles
    if resid.free_symbols & {s_ for s_ in resid.free_symbols if roles.get(s_.name) == "model"}:
        return None
    ok = _zero(resid, {**roles, "ξ∘": "var", "x∘": "var"})
    if ok is None:
        return None
    if not ok:
        return "inconsistent", (f"the residual does not vanish at the ideal network ({kind} = {_show(ideal)}; {how}): "
                                f"what is left is {_show(sp.simplify(resid))}")
    # the weight on the score residual: weight · (∂inner/∂model)² · (∂model/∂score)²
    c = sp.diff(ob.inner, msym)
    dm = {"score": 1}
    if b is not None:
        dm["eps"] = -b  # ε = −b s
        if a is not None:
            dm["data"] = b**2 / a  # x̂_0 = (x_t + b² s)/a (Tweedie)
    # a sum over the noise levels Σ_{i=1}^L is L times the expectation over a uniform level: a constant factor
    levels = {s_: sp.Integer(1) for s_ in ob.weight.free_symbols if s_.name.startswith("Σ[")}
    # and its count (1/L Σ_{i=1}^L: the mean over the levels, Song & Ermon 2019, Eq. 6) is a constant factor too
    counts = {s_.name.rstrip("]").split(";")[-1] for s_ in levels}
    levels.update({s_: sp.Integer(1) for s_ in ob.weight.free_symbols if s_.name in counts})
    w_model = sp.simplify(ob.weight.xreplace(levels) * c**2)
    w_score = sp.simplify(w_model * dm.get(kind, 1) ** 2)
    rng = random.Random(77)
    pts = [_vals(w_score.free_symbols | w_model.free_symbols, rng, roles) for _ in range(4)]
    try:
        wv = [complex(sp.N(w_score.xreplace(p))) for p in pts]
    except (TypeError, ValueError):
        return None
    if not all(abs(v.imag) < 1e-12 and v.real > 0 for v in wv):
        return None
    named = _named_weighting(w_model, w_score if kind in dm else None, b, pts)
    info = {"w_score": w_score if kind in dm else None, "b": b}
    if named:
        return "exact", f"a valid {_KIND_TEXT[kind]} objective ({how}) with {named}", info
    what = "weight on the score residual" if kind in dm else "weight"
    return "consistent", (f"a valid {_KIND_TEXT[kind]} objective ({how}) whose {what}, "
                          f"{_show(w_score)}, is positive but none of the family's weightings (1, σ², g², λ)"), info


_KIND_TEXT = {"eps": "noise-prediction", "score": "score-matching", "data": "denoiser", "mean": "mean-matching",
              "v": "v-prediction"}


def _const(expr: sp.Expr, pts) -> bool:
    try:
        vals = [complex(sp.N(expr.xreplace(p))) for p in pts]
    except (TypeError, ValueError):
        return False
    return all(abs(v - vals[0]) <= 1e-9 * (1 + abs(vals[0])) for v in vals) and vals[0].real > 0


def _named_weighting(w_model: sp.Expr, w_score: sp.Expr, b, pts) -> str:
    if _const(w_model, pts):
        return "the network's own unweighted loss (up to a constant factor)"
    if w_score is None:
        return ""
    syms = w_score.free_symbols
    cands = [(sp.Integer(1), "λ = 1")]
    if b is not None:
        cands.append((b**2, "λ = σ² (the kernel's variance)"))
    for s_ in syms:
        if re.fullmatch(r"g(?:\(k\)|_k)?", s_.name):
            cands.append((s_**2, "the likelihood weighting λ = g²"))
        if s_.name.startswith("λ"):
            cands += [(s_, f"the weighting {s_.name}"), (s_ * (b**2 if b is not None else 1), f"the weighting {s_.name} on the noise residual")]
    for ref, text in cands:
        if _const(w_score / ref, pts):
            return text
    return ""


def _show(e) -> str:
    return sp.sstr(e).replace("**", "^").replace("*", "·").replace("sqrt(", "√(").replace("ξ∘", "ξ").replace("x∘", "x_0")
