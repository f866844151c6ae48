"""The classifier-guided mean of an ancestral step, written as an equation (Dhariwal & Nichol 2021, Alg. 1).

Alg. 1 samples x_{t−1} ∼ N(μ + sΣ∇_{x_t} log p_φ(y | x_t), Σ) with μ = μ_θ(x_t), Σ = Σ_θ(x_t) the model's mean and
covariance; guided-diffusion's ``condition_mean`` computes that mean as ``new_mean = mean + variance * gradient``
(scale s = 1 there, carried by cond_fn). A formula naming the guided mean on its left (μ_new, μ̃, μ̂, μ_guided, a
decorated μ̃_θ: any μ but the model's own μ_θ) equal to an expression in μ_θ, Σ_θ and the classifier's gradient g is
judged against μ_θ + sΣ_θ g, with s the one scale symbol written (1 when none is): ``exact`` when equal at random
points, else ``inconsistent`` (term ``rhs``: the relation's right side, tests/corpus/README.md).
"""
from __future__ import annotations

import random
import re
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_guided_mean"]

_SRC = "Dhariwal & Nichol 2021 (Diffusion Models Beat GANs), Alg. 1 (guided-diffusion's condition_mean)"
_G = sp.Symbol("g", real=True)
_MU, _SIG = sp.Symbol("μ", real=True), sp.Symbol("Σ", positive=True)


def _guided_lhs(e: sp.Expr, roles) -> bool:
    if not isinstance(e, sp.Symbol):
        return False
    name, role = e.name, roles.get(e.name)
    if role == "param":  # μ_new, μ̃, μ̂, μ_guided, μ_y: a mean with a label or decoration, not the bare μ (nor μ_θ)
        return re.fullmatch(r"μ[\u0303\u0302](_.+)?|μ_(?!θ$).+", name) is not None
    if role == "model":  # μ̃_θ, μ̂_θ: a decorated model mean (the guided one), never μ_θ itself
        return re.fullmatch(r"M\[μ[\u0303\u0302]_θ\]", name) is not None
    return False


def _ground(e: sp.Expr, roles) -> Optional[sp.Expr]:
    sub, scales = {}, []
    for s_ in e.free_symbols:
        role = roles.get(s_.name)
        if role == "model" and s_.name == "M[μ_θ]" or role == "param" and s_.name in ("μ", "μ_θ"):
            sub[s_] = _MU  # Alg. 1: μ, Σ ← μ_θ(x_t), Σ_θ(x_t)
        elif role == "model" and s_.name == "M[Σ_θ]" or role == "param" and s_.name in ("Σ", "Σ_θ"):
            sub[s_] = _SIG
        elif role == "target" and re.fullmatch(r"∇log[pf](_[φψθ])?\(y\|x(_k)?(,k)?\)", s_.name):
            sub[s_] = _G  # the classifier p_φ(y | x_t) (f_φ: Weng 2021), possibly time-conditioned
        elif role == "param" and re.fullmatch(r"[a-zA-Zγωλκ]", s_.name):
            scales.append(s_)  # the guidance scale (s in Alg. 1)
        else:
            return None
    if len(scales) > 1:
        return None
    return e.xreplace(sub), scales


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    rng = random.Random(11)
    syms = sorted(a.free_symbols | b.free_symbols, key=str)
    for _ in range(5):
        p = {s_: sp.Float(rng.uniform(0.2, 0.9), 30) for s_ in syms}
        va, vb = complex(sp.N(a.xreplace(p))), complex(sp.N(b.xreplace(p)))
        if abs(va - vb) > 1e-10 * (1 + abs(va) + abs(vb)):
            return False
    return True


def judge_guided_mean(text: str, lhs: sp.Expr, rhs: sp.Expr, roles) -> Optional[Verdict]:
    """The verdict of ``guided mean = expression in μ_θ, Σ_θ, ∇log p_φ(y|x_t)`` (module docstring), or None."""
    if not _guided_lhs(lhs, roles):
        return None
    got = _ground(rhs, roles)
    if got is None:
        return None
    gr, scales = got
    if not gr.has(_G) or not gr.has(_MU):
        return None
    s = scales[0] if scales else sp.Integer(1)
    want = _MU + s * _SIG * _G
    claim = "classifier-guided mean μ + sΣ∇log p_φ(y|x_t) (μ, Σ: the model's mean and covariance)"
    show = lambda e: sp.sstr(e).replace("**", "^").replace("*", "·")  # noqa: E731
    if _equal(gr, want):
        return Verdict(text, "exact", f"the classifier-guided mean of {_SRC}: {show(want)} with g = ∇log p_φ(y|x_t)",
                       claim=claim)
    return Verdict(text, "inconsistent", f"expected {show(want)}, found {show(gr)} (g = ∇log p_φ(y|x_t); {_SRC})",
                   claim=claim, terms=["rhs"])
