"""Reading a reverse/posterior mean μ written in any of its three equivalent forms.

The DDPM posterior mean μ̃_t(x_t, x_0) (Ho et al. 2020, Eq. 7) and the model's mean μ_θ(x_t, t) (Eq. 11) are the
same function of x_t and a clean-data estimate: μ_θ(x_t, t) = μ̃_t(x_t, x̂_0(x_t, t)). Papers write it

* in x_0 / x̂_θ (Ho Eq. 7; Luo 2022, Eqs. 84 and 95; Murphy 2023, PML2 Sec. 25.2),
* in the noise ε that produced x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (Ho Eq. 10-11; Luo Eq. 124),
* in the score, through Tweedie's formula x̂_0 = (x_t + (1 − ᾱ_t) ∇ log p_t(x_t)) / √ᾱ_t (Luo Eq. 133).

The registry keeps each mean in one of these forms; :func:`entry_mean_in_claim_basis` rewrites the entry's mean in
the form the claim is written in, so that the coefficients compared (and the terms named when they differ) are
the ones the author wrote. :func:`is_posterior_arguments` tells μ_q(x_t, x_0) (Luo's name for q's mean) from the
model's μ_θ(x_t, t) by its arguments.
"""
from __future__ import annotations

import re
from typing import Dict, Optional

import sympy as sp

from . import canon as C
from .claim import Claim

__all__ = ["_claim_in_score", "_to_claim_basis", "entry_mean_in_claim_basis", "is_posterior_arguments"]


def is_posterior_arguments(args: Optional[tuple]) -> bool:
    """Whether a mean's arguments are (x_k, x_0): the mean of the posterior q(x_{k−1} | x_k, x_0) (Luo 2022, Eq. 84
    μ_q(x_t, x_0); Ho et al. 2020, Eq. 7 μ̃_t(x_t, x_0)), whatever letter names the mean."""
    if args is None or len(args) != 2:
        return False
    cur, first = (re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} ]", "", a_) for a_ in args)
    return first in ("x_0", "x(0)") and cur.startswith("x") and cur not in ("x_0", "x(0)")


def entry_mean_in_claim_basis(emean: Dict[sp.Expr, sp.Expr], cmean: Dict[sp.Expr, sp.Expr],
                              family: str) -> Dict[sp.Expr, sp.Expr]:
    """The entry's VP mean rewritten in the claim's basis: x_0 (or x̂_θ) ↔ the score s through Tweedie's formula
    x_0 = (x_k + (1 − ᾱ_k) s)/√ᾱ_k (for the true x_0 of the posterior, s = −ε/√(1 − ᾱ_k) with ε the noise of
    x_k; for the model, x̂_θ and s_θ are two parameterisations of one prediction). Other bases stay as they are."""
    if family != "vp":
        return emean
    out = dict(emean)
    if C.x0 in out and C.x0 not in cmean and C.s in cmean:
        c0 = out.pop(C.x0)
        out[C.x_cur] = out.get(C.x_cur, sp.Integer(0)) + c0 / sp.sqrt(C.a)
        out[C.s] = out.get(C.s, sp.Integer(0)) + c0 * (1 - C.a) / sp.sqrt(C.a)
    elif C.s in out and C.s not in cmean and C.x0 in cmean:
        cs = out.pop(C.s)
        out[C.x0] = out.get(C.x0, sp.Integer(0)) + cs * sp.sqrt(C.a) / (1 - C.a)
        out[C.x_cur] = out.get(C.x_cur, sp.Integer(0)) - cs / (1 - C.a)
    return {k: v for k, v in out.items() if v != 0}


def _to_claim_basis(entry_mean: Dict[sp.Symbol, sp.Expr], cl: Claim) -> Dict[sp.Symbol, sp.Expr]:
    """The entry's mean in the claim's parameterisation (eps instead of the score if the claim uses eps)."""
    out = dict(entry_mean)
    if cl.uses_eps and C.s in out and C.s not in cl.mean:
        std = sp.sqrt(1 - C.a) if cl.reading.family == "vp" else C.S
        out[C.e] = -out.pop(C.s) / std
    return out


def _claim_in_score(cl: Claim) -> Dict[sp.Symbol, sp.Expr]:
    mean = dict(cl.mean)
    if C.e in mean:
        std = sp.sqrt(1 - C.a) if cl.reading.family == "vp" else (C.S if cl.reading.family == "ve" else None)
        if std is None:
            return mean
        mean[C.s] = mean.get(C.s, 0) - mean.pop(C.e) * std
    return mean


def posterior_mean_atom(at) -> Optional[object]:
    """m_t(x, z_t) (Bishop & Bishop 2024, Eq. 20.15: the mean of q(z_{t−1} | z_t, x), the data first), μ_q(x_0, x_t):
    a mean named m or μ whose two arguments are the data x_0 and a state x_k, in either order, is the posterior mean
    μ̃_k(x_k, x_0) (Ho et al. 2020, Eq. 7). Returns the μ̃ atom, or None when ``at`` is not such a mean."""
    from .atoms import Atom

    if at is None or at.base not in ("m", "μ") or at.deco or at.sup or at.args is None or len(at.args) != 2:
        return None
    if "θ" in (at.sub or ""):
        return None
    if is_posterior_arguments(at.args):
        return None if at.base == "μ" else Atom("μ", "tilde", at.sub, args=at.args)
    if is_posterior_arguments(at.args[::-1]):
        return Atom("μ", "tilde", at.sub, args=tuple(at.args[::-1]))
    return None
