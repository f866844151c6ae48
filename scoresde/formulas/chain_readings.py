"""Readings of how people write discrete chains and their schedules, each a notation of a cited paper.

* ``q(x_t | x_0) ∼ N(x_t; μ, Σ)``: "∼" between a density and a Gaussian means "is" (Luo 2022, Eq. 70);
* ``q(x_{1:T} | x_0) = ∏ q(x_t | x_{t−1})``: a joint density defined by its steps (Ho et al. 2020, Eq. 1-2);
* ``α_t = f(t)``: VDM/DPM-Solver's signal scale √ᾱ(t) (Kingma et al. 2021, Eq. 1; Lu et al. 2022, Sec. 2.1);
* ``β_0``, ``β_1`` together: the linear VP schedule's end points β_min, β_max (Lu et al. 2022, App. D).
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .atoms import NORMAL, Atom, Parsed

__all__ = ["beta_end_points", "density_is_normal", "markov_factorisation", "integral_abar", "noise_only_sample", "vdm_alpha"]


def beta_end_points(p: Parsed) -> None:
    """β_0 and β_1 together, with no step count T and no β_t, β_T beside them: the linear VP schedule's values at
    t = 0 and t = 1, β_min and β_max (Lu et al. 2022, App. D: β(t) = β_0 + t(β_1 − β_0); Kingma et al. 2021)
    -- DDPM's β_1 … β_T count steps from 1 and never write β_0."""
    betas = {q: a_ for q, a_ in p.atoms.items() if a_.base == "β" and not a_.deco and a_.args is None}
    subs = {a_.sub for a_ in betas.values()}
    if not {"0", "1"} <= subs or subs - {"0", "1"} or any(a_.base == "T" for a_ in p.atoms.values()):
        return
    for q, a_ in betas.items():
        p.atoms[q] = Atom("β", "", "min" if a_.sub == "0" else "max")


def density_is_normal(p: Parsed) -> bool:
    """Whether ``p`` is a conditional density p(a | b) or q(a | b) "∼" a Gaussian, i.e. the density itself."""
    lhs, rhs = p.sides[0], p.sides[-1]
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    return (at is not None and at.base in ("p", "q") and at.args is not None and "|" in at.args
            and isinstance(rhs, sp.Function) and rhs.func == NORMAL)


def markov_factorisation(p: Parsed) -> bool:
    """A joint density over a range of states x_{a:b} written as a product over steps."""
    lhs, rhs = p.sides[0], p.sides[-1]
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    return (len(p.sides) == 2 and at is not None and at.base in ("p", "q") and bool(at.args)
            and bool(re.match(r"^[a-zA-Z]_\{?\w+:\w+", at.args[0].replace(" ", ""))) and rhs.has(sp.Product))


def vdm_alpha(p: Parsed, lhs, rhs):
    """α_t = f(t) given as a function of time alone (no β, no ᾱ beside it): in continuous time Ho's α_t = 1 − β_t
    has no meaning, and α_t is VDM/DPM-Solver's signal scale √ᾱ(t) (Kingma et al. 2021, Eq. 1; Lu et al. 2022,
    Sec. 2.1): read as ᾱ_t = f(t)²."""
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if at is None or at.base != "α" or at.deco or at.sup or not (at.sub in ("t", "") and (at.sub or at.args == ("t",))):
        return lhs, rhs, ""
    rats = [p.atoms[q] for q in rhs.free_symbols if q in p.atoms]
    if "t" not in {a_.base for a_ in rats} or any(a_.base in ("α", "β", "σ") and (a_.args is not None or a_.deco or not re.fullmatch(
            r"min|max|d|0|1", a_.sub)) for a_ in rats):  # only the schedule's constants (β_min, β_max, β_0, β_1) beside t
        return lhs, rhs, ""
    bar = sp.Symbol(f"ᾱ_{at.sub or 't'}", positive=True)
    p.atoms[bar] = Atom("α", "bar", at.sub or "t")
    return bar, rhs ** 2, f"{at.name} = f(t) read as √ᾱ_t, the VDM/DPM-Solver signal scale (ᾱ_t = f(t)²)"


def noise_only_sample(p: Parsed, is_state, is_noise) -> Optional[Parsed]:
    """``x_T = σ_max z`` (or code's ``x = randn(*shape) * sigma_max``, Song et al. 2021's ``prior_sampling``): a state
    that is a constant times one fresh noise is drawn from N(0, c² I) -- in a chain only the prior is pure noise, so
    an unindexed x is the sampler's first state x_T. Returned as ``x_T ∼ N(0, c² I)``; None for anything else."""
    if len(p.sides) != 2:
        return None
    lhs, rhs = p.sides
    lat = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    noises = [q for q in rhs.free_symbols if q in p.atoms and is_noise(p.atoms[q])]
    if lat is None or not is_state(lat) or len(noises) != 1 or any(is_state(p.atoms[q]) for q in rhs.free_symbols if q in p.atoms):
        return None
    c = sp.simplify(rhs / noises[0])
    if c.has(noises[0]) or c == 0:
        return None
    atoms = dict(p.atoms)
    if not lat.sub and lat.args is None:
        lhs = sp.Symbol("x_T", real=True)
        atoms[lhs] = Atom(lat.base, lat.deco, "T")
    return Parsed(p.text, [lhs, NORMAL(sp.Symbol("_"), sp.Integer(0), c ** 2)], atoms, "~", list(p.issues))


def integral_abar(expr: sp.Expr, p: Parsed) -> sp.Expr:
    """∫_0^t β(s) ds inside an identity at one time is −log ᾱ_t (Song et al. 2021, App. B: ᾱ(t) = e^{−∫_0^t β(s) ds},
    the continuous limit of Ho et al.'s ∏(1 − β_i)): replaced so that e^{−∫β} reads as ᾱ_t and e^{½∫β} as 1/√ᾱ_t."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Integral):
        return expr
    bar = sp.Symbol("ᾱ_t", positive=True)

    def one(q: sp.Integral) -> sp.Expr:
        f = q.function
        at = p.atoms.get(f) if isinstance(f, sp.Symbol) else None
        if (at is None or at.base != "β" or at.deco or at.sub or not at.args or len(q.limits) != 1
                or len(q.limits[0]) != 3 or q.limits[0][1] != 0):
            return q
        var, _, hi = q.limits[0]
        up = p.atoms.get(hi) if isinstance(hi, sp.Symbol) else None
        if up is None or up.base != "t" or up.sub or str(var) != at.args[0].strip():
            return q
        p.atoms[bar] = Atom("α", "bar", "t")
        return -sp.log(bar)
    return expr.replace(lambda q: isinstance(q, sp.Integral), one)
