"""Shape predicates and small rewrites the classifier uses to choose a reading (moved out of classify.py): a learned
covariance beside a written mean, a bare β in an in-place step, a zero-mean Gaussian log-density, σ written with ᾱ
alone, a log-density summed over coordinates, ∇·s_θ in the change of variables."""
from __future__ import annotations

import sympy as sp

from . import canon as C
from .atoms import Atom, Parsed
from .claim import NotUnderstood

__all__ = ["_abar_at_same_index", "_bare_beta_step", "_coordinate_sum", "_learned_covariance_only", "_score_divergence",
           "_zero_mean_gaussian"]


def _learned_covariance_only(p: Parsed, mean: sp.Expr, cov: sp.Expr) -> bool:
    """N(·; μ, Σ_θ) with μ written out: the only model quantity is the learned covariance Σ_θ."""
    def model(expr):
        return [p.atoms[q] for q in expr.free_symbols if q in p.atoms and p.atoms[q].base in ("μ", "Σ") and "θ" in p.atoms[q].sub]
    return not model(mean) and bool(model(cov)) and all(a.base == "Σ" for a in model(cov)) and bool(mean.free_symbols)


def _bare_beta_step(p: Parsed, lhs, rhs: sp.Expr) -> bool:
    """x = (2 − √(1 − β)) x + β s + √β z: an in-place update with a fresh noise whose bare β sits in √(1 − β) is a
    discrete step, β its β_i ∈ (0, 1) (Song et al. 2021, Eq. 47; their code reads beta = discrete_betas[timestep])."""
    bare = [q for q in rhs.free_symbols if q in p.atoms and p.atoms[q].base == "β" and not p.atoms[q].sub
            and p.atoms[q].args is None and not p.atoms[q].deco]
    noise = any(C.is_noise_atom(p.atoms[q]) for q in rhs.free_symbols if q in p.atoms)
    return len(bare) == 1 and noise and any(pw.base.has(bare[0]) and abs(pw.exp) == sp.Rational(1, 2) and pw.base != bare[0]
                                            for pw in rhs.atoms(sp.Pow))


def _zero_mean_gaussian(p: Parsed, rhs: sp.Expr) -> bool:
    """A right side with a squared norm and only constants beside it (no density, divergence, integral or model)."""
    bases = {p.atoms[s_].base for s_ in rhs.free_symbols if s_ in p.atoms}
    return "norm" in bases and not bases & {"p", "q", "div", "s", "ε", "score", "t"} and not rhs.has(sp.Integral)


def _abar_at_same_index(p: Parsed, at: Atom, rhs: sp.Expr) -> bool:
    """σ_t written with ᾱ_t alone (same index, no β, no step offset): a noise level of the time t, ᾱ_t being
    ᾱ(t) (Kingma et al. 2021, Eq. 1: σ_t² = 1 − ᾱ_t; Karras et al. 2022, Table 1 and Song et al. 2021a (DDIM), Eq. 14:
    σ = √((1 − ᾱ)/ᾱ)), not Ho et al.'s sampling std, which they write with β_t (Sec. 3.2)."""
    ats = [p.atoms[s_] for s_ in rhs.free_symbols if s_ in p.atoms]
    return bool(ats) and all(a.base == "α" and a.deco == "bar" and a.sub == at.sub and a.args is None for a in ats)


def _coordinate_sum(q: sp.Sum, p: Parsed) -> sp.Expr:
    """Σ_{i=1}^{D} (a x_i² + b) = a‖x‖² + D b: a log-density written coordinate by coordinate (Song et al. 2021,
    App. D.2's prior); anything else over the coordinates is not read."""
    body, (_, lo, hi) = q.function, q.limits[0]
    hat = p.atoms.get(hi) if isinstance(hi, sp.Symbol) else None
    if lo != 1 or hat is None or hat.base not in ("D", "d", "N", "n") or hat.sub or hat.args is not None:
        raise NotUnderstood("a sum whose limits are not i = 1 .. the dimension D")
    comps = [s_ for s_ in body.free_symbols if s_ in p.atoms and p.atoms[s_].sub == "@" and p.atoms[s_].base in ("x", "z")]
    if len(comps) > 1:
        raise NotUnderstood("a sum over the coordinates of several vectors")
    out = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(body)):
        if not comps or not term.has(comps[0]):
            out += hi * term
            continue
        c = sp.simplify(term / comps[0] ** 2)
        if c.has(comps[0]):
            raise NotUnderstood("a sum over the coordinates that is not of x_i²")
        out += c * C.NORM_X2
    return out


def _score_divergence(dv: sp.Expr, key: str, fam: str) -> sp.Expr:
    """∇·s_θ inside the change of variables, through the probability-flow drift f̃ = f − ½g²s_θ (Song et al. 2021,
    Eq. 13) of a linear SDE, f = f(t)x: ∇·s_θ = 2(f(t)·D − ∇·f̃)/g². VE (f = 0, g² = d[σ²]/dt) and VP (f = −½β,
    g² = β) only; another divergence is left as it is (its own symbol, never equal to ∇·f̃ by accident)."""
    if key != "logp_0" or not isinstance(dv, sp.Symbol) or dv.name != "∇·(s_θ)":
        return dv
    if fam == "ve":
        return -2 * C.DIV / sp.diff(C.SIGMA(C.t) ** 2, C.t)
    if fam == "vp":
        return -C.dim - 2 * C.DIV / C.BETA(C.t)
    return dv
