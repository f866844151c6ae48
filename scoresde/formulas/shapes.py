"""Which registry entries a claim can be: shapes that rule candidates out before any comparison.

A step whose mean uses the data x_0 and no model output (s_θ, ε_θ) is the forward process's posterior
q(x_{t−1} | x_t, x_0) (Ho et al. 2020, Eq. 6-7; DDIM's q_σ, Eq. 7) or its mean: it is compared with the
registry's posteriors, never with a sampler's reverse step, whose mean has the model output where the
posterior has x_0 (comparing with one would name a "missing score" that no posterior has).

Such a posterior whose noise variance is written as an entry's free parameter itself (DDIM's σ_t², Eq. 7) is that
entry's formula (a family with a free σ_t), not one whose variance is fixed (β̃_t); so is one whose mean has σ_t in it.

A step whose mean holds a model output (s_θ, ε_θ) is never a forward transition q(x_k | x_{k−1}) (Ho et al. 2020,
Eq. 2; Song et al. 2021, Eq. 8: x_i = x_{i−1} + √(σ_i² − σ_{i−1}²) z), which has none: it is compared with the
samplers (a Langevin step x_{k−1} → x_k with the score, Song & Ermon 2019, Alg. 1), not with the noising chain.
"""
from __future__ import annotations

import sympy as sp

from typing import List

from . import canon as C

__all__ = ["narrow_candidates"]


def _model_free_posterior(mean) -> bool:
    return C.x0 in mean and C.s not in mean and C.e not in mean


def _in_mean(sym, mean) -> bool:
    """The free parameter is written in the mean (DDIM's √(1 − ᾱ_{t−1} − σ_t²)): the claim is of that family, whatever
    its variance says."""
    return any(sym in getattr(c, "free_symbols", ()) for c in mean.values())


def narrow_candidates(cl, cands: List) -> List:
    """The candidates of the claim's shape where some exist (else all of them)."""
    if cl.kind == "step" and _model_free_posterior(cl.mean):
        same = [e for e in cands if e.kind == "step" and _model_free_posterior(e.mean)]
        if same:
            cands = same
            # (only among posteriors: Ho et al.'s sampling std σ_t is written σ_t too, and their reverse step is not DDIM's)
            if cl.var is not None:
                free = [e for e in cands if e.free and (cl.var == e.free[0] ** 2 or _in_mean(e.free[0], cl.mean))]
                cands = free or cands
    if cl.kind == "step" and (C.s in cl.mean or C.e in cl.mean):
        model = [e for e in cands if not (e.kind == "step" and e.lhs == "x_cur" and C.s not in e.mean and C.e not in e.mean
                                          and C.x0 not in e.mean)]
        cands = model or cands
    if cl.kind == "step" and C.e in cl.mean:
        # DDIM's σ_t written in the update's mean (√(1 − ᾱ_{t−1} − σ_t²) ε_θ, Eq. 12): a member of that family
        cands = [e for e in cands if e.free and _in_mean(e.free[0], cl.mean)] or cands
    if cl.kind == "sde" and not _has_constant_base(cl):
        # the tutorial's SDE is written with a constant base σ^t (ve_written.py): a claim without one is not of it
        cands = [e for e in cands if not e.name.endswith(".tutorial")] or cands
    return cands


def _has_constant_base(cl) -> bool:
    """The claim writes the constant σ of Song's tutorial (σ^t, read as σ_const by ve_written.py)."""
    const = sp.Symbol("σ", positive=True)
    return any(isinstance(v, sp.Basic) and const in v.free_symbols for v in (cl.drift, cl.diff2))
