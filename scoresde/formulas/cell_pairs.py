"""An SDE and its perturbation kernel written in one formula must describe the same process.

Song et al. 2021, Eq. 29 / App. B: the perturbation kernel p_0t(x(t) | x(0)) of a linear SDE follows from its
drift and diffusion (mean and variance ODEs, Särkkä & Solin 2019, Eq. 5.50-5.51); so a formula that states the
forward SDE of one family (VP, sub-VP, VE) and, beside it, the kernel of another family states a kernel that its own
SDE does not have (e.g. the sub-VP SDE beside the VP kernel [1 − e^{−∫β}] instead of [1 − e^{−∫β}]²). Each part
alone is a registry formula; together the kernel is inconsistent with the SDE, and the pieces in which the two
kernels differ are named.
"""
from __future__ import annotations

from typing import List

import sympy as sp

from .compare import _TERM_OF_BASIS
from .registry import REGISTRY
from .verdict import Verdict

__all__ = ["kernel_of_its_sde"]

_SUBVP_IN_VP_SYMBOLS = "a valid kernel, but of the sub-VP SDE"
_NAMES = {"vp": "VP", "subvp": "sub-VP", "ve": "VE"}

#: the forward SDE entries of the three families and their perturbation kernels (Song et al. 2021, Eq. 29, 33)
_KERNELS = {"vp": ("vp.kernel", "vp.kernel.linear"), "subvp": ("subvp.kernel",), "ve": ("ve.kernel", "ve.kernel_smld")}


def _family_of(name: str, kind: str) -> str:
    e = REGISTRY.get(name or "")
    if e is None or e.family not in _KERNELS:
        return ""
    if kind == "sde" and e.kind == "sde" and e.direction == "forward":
        return e.family
    if kind == "kernel" and any(name in ks for ks in _KERNELS.values()):
        return e.family
    return ""


def kernel_of_its_sde(vs: List[Verdict]) -> None:
    """Mark a kernel verdict inconsistent (in place) where the same formula's exact forward SDE is of another family."""
    sdes = {_family_of(v.target, "sde") for v in vs if v.verdict == "exact"} - {""}
    if len(sdes) != 1:
        return
    fam = next(iter(sdes))
    own = REGISTRY[_KERNELS[fam][0]]
    # (dispatch.py's verdict on the sub-VP kernel written in VP symbols starts with _SUBVP_IN_VP_SYMBOLS)
    for v in vs:
        kfam = _family_of(v.target, "kernel")
        if kfam == fam == "subvp" and v.verdict == "consistent" and v.detail.startswith(_SUBVP_IN_VP_SYMBOLS):
            # the sub-VP kernel in VP symbols (dispatch._compare: "consistent") is exact beside the sub-VP SDE that
            # says which process its β, ᾱ belong to
            v.verdict, v.terms = "exact", []
            v.detail = f"identical to {own.title}: the formula's own SDE is the sub-VP SDE"
            continue
        std = REGISTRY.get(v.target or "")
        if std is not None and v.target.endswith(".kernel_std") and std.family != fam and v.verdict == "exact" \
                and f"{fam}.kernel_std" in REGISTRY:
            # σ(t), the kernel's std, beside a forward SDE: it must be the std of that SDE's kernel
            v.verdict, v.terms = "inconsistent", ["rhs"]
            v.detail = (f"this is the {std.title}, but the formula's own SDE is the {_NAMES[fam]} SDE, whose kernel has the "
                        f"{REGISTRY[f'{fam}.kernel_std'].title} (Song et al. 2021, Eq. 29)")
            continue
        if not kfam or kfam == fam or v.verdict not in ("exact", "consistent"):
            continue
        other = REGISTRY[v.target]
        terms = [_TERM_OF_BASIS.get(k, "mean.other") for k in set(own.mean) | set(other.mean)
                 if sp.simplify(own.mean.get(k, 0) - other.mean.get(k, 0)) != 0]
        if sp.simplify(own.var[0] - other.var[0]) != 0:
            terms.append("variance")
        v.verdict, v.terms = "inconsistent", list(dict.fromkeys(terms)) or ["variance"]
        v.detail = (f"this is the {other.title}, but the formula's own SDE is the {_NAMES[fam]} SDE, whose kernel is the {own.title} (Song et al. 2021, Eq. 29 and App. B: the kernel follows from "
                    f"the SDE). Read alone: {v.detail}")


_PAIR_DEF = {"α": "alpha", "σ": "sigma"}


def _pair_side(eq: str, base: str):
    """The right side of ``α_t = A(t)`` / ``σ_t = B(t)`` as a function of t alone, or None."""
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(eq)
    except (ParseError, RecursionError, ValueError, TypeError):
        return None
    if len(p.sides) != 2 or not isinstance(p.sides[0], sp.Symbol):
        return None
    at = p.atoms.get(p.sides[0])
    if at is None or at.base != base or at.deco or at.sup or not (at.sub == "t" or (not at.sub and at.args == ("t",))):
        return None
    rhs = p.sides[1]
    ts = [q for q in rhs.free_symbols if (a_ := p.atoms.get(q)) is not None and a_.base == "t" and not a_.sub
          and not a_.deco and a_.args is None]
    if len(ts) != 1 or rhs.free_symbols - set(ts):
        return None
    return sp.Lambda(ts[0], rhs)


def vdm_pair_variance(eqs: List[str], vs: List[Verdict], hints) -> None:
    """α_t = A(t) beside σ_t = B(t) in VDM's notation (α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t): Kingma et al. 2021, Eq. 1-2;
    Salimans & Ho 2022, Sec. 4 write α_t = cos(πt/2), σ_t = sin(πt/2)): the two define one ᾱ_t only when
    A² + B² = 1. Each alone may be a valid schedule; a pair that breaks the identity makes σ_t inconsistent with the
    α_t beside it (checked at t = 0.1 … 0.9)."""
    if (hints or {}).get("notation") != "vdm" or len(eqs) != len(vs) or len(eqs) < 2:
        return
    alpha = [(k, f) for k, eq in enumerate(eqs) if (f := _pair_side(eq, "α")) is not None]
    sigma = [(k, f) for k, eq in enumerate(eqs) if (f := _pair_side(eq, "σ")) is not None]
    if len(alpha) != 1 or len(sigma) != 1:
        return
    (_, a_f), (ks, s_f) = alpha[0], sigma[0]
    if vs[ks].verdict not in ("exact", "consistent"):
        return
    try:
        gaps = [complex(sp.N(a_f(sp.Rational(k, 10)) ** 2 + s_f(sp.Rational(k, 10)) ** 2 - 1, 15)) for k in range(1, 10)]
    except (TypeError, ValueError, ArithmeticError):
        return
    worst = max(abs(g) for g in gaps)
    if worst > 1e-9:
        v = vs[ks]
        v.verdict, v.terms = "inconsistent", ["rhs"]
        v.detail = (f"σ_t and the α_t beside it break α_t² + σ_t² = 1 (VDM's variance-preserving pair, Kingma et al. "
                    f"2021, Eq. 1-2), off by up to {worst:.3g} on t in (0, 1); alone: {v.detail}")
