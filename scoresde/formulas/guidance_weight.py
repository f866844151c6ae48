"""Guided predictions with their guidance weight left open: ``ε̃ = (1 + w)ε_θ(z, c) − wε_θ(z)`` (Ho & Salimans 2022,
Eq. 6), ``ε̄_θ(x_t, t) = ε_θ(x_t, t) − √(1 − ᾱ_t) w ∇log f_φ(y | x_t)`` (Dhariwal & Nichol 2021, Sec. 4.2, as Weng 2021
writes it), ``∇log p(x_t | y) = ∇log p(x_t) + γ∇log p(y | x_t)`` (Luo 2022, Eq. 167) and their code forms
(``eps_uncond + scale * (eps_cond - eps_uncond)``).

Every guided quantity is, in the ground vocabulary of :mod:`scoresde.formulas.guidance_reader` (s = ∇log p_t(x),
g = ∇log p_t(y | x), σ the kernel's std), the score of p(x) p(y | x)^κ or its noise prediction −σ(s + κg)
(Dhariwal & Nichol 2021, Sec. 4.3: guidance by the scale κ is the score of the tempered classifier; Ho & Salimans
2022, Sec. 3.2: classifier-free guidance with weight w is κ = 1 + w with the implicit classifier). A paper's own
symbol for the weight (w, s, γ, ω, η) says nothing about which κ it means, so the rule is: the right side must be
of the form −σ(s + κg) (or s + κg) with κ

* free of the states and of the schedule (σ_t, ᾱ_t: a weight that changes with t is not a guidance scale), and
* positive and increasing in the weight symbols (κ > 0 for every positive weight; a larger weight guides more).

Then the relation is ``exact`` (and the κ it implies is reported), except where the left side is Ho & Salimans's
own ε̃ with their w, which their paper defines with κ = 1 + w: another valid κ there (κ = w, the guidance scale of GLIDE,
LDM and diffusers) is ``consistent``, another convention. Any other right side (a coefficient of s other than the left's, κ < 0, κ depending on t, a flipped
overall sign) is ``inconsistent`` (term ``rhs``).
"""
from __future__ import annotations

import random
import re
from typing import Dict, List, Optional

import sympy as sp

__all__ = ["KAPPA", "code_names", "judge_kappa", "guided_lhs"]

KAPPA = sp.Symbol("κ", real=True)

#: code identifiers (diffusers, k-diffusion, the papers' pseudocode): noise predictions by their tag
_CODE_PRED = r"(?:eps|epsilon|noise_pred|noise_prediction|pred_noise|e_t)"
_CODE_TAGS = {
    "cond": "c", "conditional": "c", "c": "c", "text": "c", "y": "c", "cls": "c",
    "uncond": "u", "unconditional": "u", "u": "u", "null": "u", "empty": "u",
    "tilde": "g", "guided": "g", "cfg": "g", "guidance": "g", "hat": "g", "bar": "g", "w": "g",
}


def code_names(text: str) -> Optional[str]:
    """A one-line code form (no LaTeX command; ``*`` products) with noise predictions named by tag -> the same relation
    in LaTeX: ``eps_cond`` -> ε_θ(z, c), ``eps_uncond`` -> ε_θ(z), ``eps_tilde`` / ``noise_pred`` (on the left) -> ε̃_θ(z, c).
    None when the text is not such a code line."""
    if "\\" in text or "=" not in text or not re.search(r"\b" + _CODE_PRED + r"\w*", text):
        return None
    lhs, _, rhs = text.partition("=")
    out = []
    # an untagged prediction on the right beside its ``_uncond`` is the conditional one (CompVis' p_sample_ddim:
    # ``e_t_uncond, e_t = model(…).chunk(2)``, then ``e_t = e_t_uncond + scale * (e_t - e_t_uncond)``)
    bare_cond = bool(re.search(r"\b" + _CODE_PRED + r"_uncond\b", rhs))
    for side, left in ((lhs, True), (rhs, False)):
        def rep(m: "re.Match[str]") -> str:
            tag = (m.group(1) or "").strip("_").lower()
            kind = _CODE_TAGS.get(tag, ("g" if left else "c" if bare_cond else None) if not tag else None)
            if kind is None:
                raise KeyError(tag)
            return {"c": r" \epsilon_\theta(z, c) ", "u": r" \epsilon_\theta(z) ",
                    "g": r" \tilde{\epsilon}_\theta(z, c) "}[kind]
        try:
            out.append(re.sub(r"\b" + _CODE_PRED + r"((?:_[A-Za-z]+)?)\b", rep, side))
        except KeyError:
            return None
    res = (out[0] + "=" + out[1]).replace("*", r" \cdot ")
    # diffusers' guidance_scale, CompVis' unconditional_guidance_scale, k-diffusion's cond_scale: κ = s
    res = re.sub(r"\b(?:unconditional_)?guidance_scale\b|\bcfg_scale\b|\bcond_scale\b|\bscale\b", " s ", res)
    return None if re.search(r"[A-Za-z]{2,}", re.sub(r"\\[a-zA-Z]+", "", res)) else res


_TAG = r"_\s*\{\s*(?:\\(?:text|mathrm|rm|textrm)\s*\{\s*)?(pos|neg|cfg|cond|uncond|c|u|guided)\s*\}?\s*\}"
#: the roles of a tagged prediction: the positive prompt is the condition, the negative (or empty) prompt takes the place
#: of the unconditional prediction, cfg/guided is the combination (Ho & Salimans 2022, Eq. 6; negative prompts as in
#: Lin et al. 2024, Eq. 15-16 and diffusers' negative_prompt, which replaces the empty prompt's prediction)
_TAG_KIND = {"pos": "c", "cond": "c", "c": "c", "neg": "u", "uncond": "u", "u": "u", "cfg": "g", "guided": "g"}


def tagged_predictions(text: str) -> Optional[str]:
    """``x_{cfg} = x_{neg} + w(x_{pos} − x_{neg})``: one letter with the tags of a guided prediction -> the relation in
    ε_θ(z, c), ε_θ(z), ε̃_θ(z, c) (guidance is linear, so it is the same for whichever output the letter is); None when the
    text does not tag one letter with a conditional, an unconditional and (on the left) a guided prediction."""
    found = list(re.finditer(r"(?<![A-Za-z\\])(\\[a-zA-Z]+|[a-zA-Z])\s*" + _TAG, text))
    if not found or len({m.group(1) for m in found}) != 1 or "=" not in text:
        return None
    lhs, _, rhs = text.partition("=")
    kinds = [(_TAG_KIND[m.group(2)], m.start() < len(lhs)) for m in found]
    if {k for k, left in kinds if left} != {"g"} or {k for k, left in kinds if not left} != {"c", "u"}:
        return None
    rep = {"c": r" \epsilon_\theta(z, c) ", "u": r" \epsilon_\theta(z) ", "g": r" \bar{\epsilon}_\theta(z, c) "}  # (no paper's w)
    return re.sub(r"(?<![A-Za-z\\])(\\[a-zA-Z]+|[a-zA-Z])\s*" + _TAG, lambda m: rep[_TAG_KIND[m.group(2)]], text)


def guided_lhs(name: str, role: str) -> bool:
    """A decorated noise prediction on the left side: ε̃_θ, ε̄_θ, ε̂_θ, ε̃_θ(z, c) of code, ε̃^*(z, c) (Ho & Salimans's ideal)."""
    if role == "model":
        return re.fullmatch(r"M\[ε[\u0303\u0304\u0302](\^\*)?_θ(\|[yc])?\]", name) is not None
    return re.fullmatch(r"ε[\u0303\u0304\u0302](\^\*)?\((?:[xz]_?[kλ]?),(?:y|c)\)", name) is not None


def guided_score_name(name: str, role: str) -> bool:
    """A score named by its arguments on the left, the state, the label and (optionally) the guidance scale:
    score(x, c, λ) (Bishop & Bishop 2024, Sec. 20.4.1-20.4.2 write the guided score so), s(x, y, w). With the scale
    among its arguments the name says nothing about how the scale enters: it is read as s + κg with κ open."""
    return role == "param" and re.fullmatch(r"(?:score|s)\((?:[xz]_?[kλ]?),(?:y|c)(?:,[^,()]+)?\)", name) is not None


def _coeff(expr: sp.Expr, sym: sp.Symbol) -> sp.Expr:
    return sp.expand(expr).coeff(sym)


def judge_kappa(lhs: sp.Expr, rhs: sp.Expr, s_: sp.Symbol, g_: sp.Symbol, weights: List[sp.Symbol],
                schedule: List[sp.Symbol]) -> Optional[Dict[str, object]]:
    """lhs (containing KAPPA) = rhs, both linear in (s, g): {'ok': bool, 'kappa': κ or None, 'why': text}."""
    diff = sp.expand(lhs - rhs)
    if diff.has(s_) is False and diff.has(g_) is False and diff == 0:
        return {"ok": True, "kappa": None, "why": "identical"}
    c_s, c_g = _coeff(diff, s_), _coeff(diff, g_)
    rest = sp.expand(diff - c_s * s_ - c_g * g_)
    if sp.simplify(c_s) != 0 or sp.simplify(rest) != 0:
        ls, rs = _coeff(lhs, s_), _coeff(rhs, s_)
        return {"ok": False, "kappa": None,
                "why": f"the coefficient of s = ∇log p_t(x): expected {_show(ls)}, found {_show(rs)}"}
    sol = sp.solve(sp.Eq(c_g, 0), KAPPA)
    if len(sol) != 1:
        return None
    kap = sp.simplify(sol[0])
    bad_syms = kap.free_symbols - set(weights)
    if bad_syms & set(schedule) or any(n.name.startswith(("σ", "ᾱ", "α", "β")) for n in bad_syms):
        return {"ok": False, "kappa": kap, "why": f"the guidance weight on g = ∇log p_t(y|x) would be {_show(kap)}, "
                "which changes with the schedule: a guidance scale is a constant"}
    if bad_syms:
        return None
    rng = random.Random(11)
    for _ in range(6):
        pt = {w_: rng.uniform(0.05, 6.0) for w_ in weights}
        val = float(kap.xreplace(pt)) if kap.free_symbols else float(kap)
        if not val > 0:
            return {"ok": False, "kappa": kap, "why": f"the guidance weight on g = ∇log p_t(y|x) would be {_show(kap)}, "
                    "negative for positive weights: it guides away from the class"}
        for w_ in weights:
            if kap.has(w_) and not float(sp.diff(kap, w_).xreplace(pt)) > 0:
                return {"ok": False, "kappa": kap, "why": f"the guidance weight {_show(kap)} decreases as {w_} grows"}
    return {"ok": True, "kappa": kap, "why": f"guidance weight κ = {_show(kap)} on g = ∇log p_t(y|x)"}


def _show(e: sp.Expr) -> str:
    return sp.sstr(sp.factor(e)).replace("**", "^").replace("*", "·").replace("s_u", "s").replace("g_y", "g")
