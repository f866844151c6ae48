"""The evidence lower bound of a diffusion model, judged by its structure.

Ho et al. 2020, Eq. 3 (after Sohl-Dickstein et al. 2015, Eq. 10): 𝔼[−log p_θ(x_0)] ≤ 𝔼_q[−log p_θ(x_{0:T}) /
q(x_{1:T} | x_0)], equivalently log p_θ(x_0) ≥ 𝔼_q[log p_θ(x_{0:T}) / q(x_{1:T} | x_0)] (Jensen's inequality with the
posterior q as the proposal; Luo 2022, Eq. 34). The bound holds exactly when, written as log p(observed) ≥ 𝔼[log J − log Q]:
the joint J is the model's density (the left side's letter) over the observed and the latent states, Q is a density
of the latent states given the observed ones, and the inequality points this way (a ≤ on the log-likelihood, or the
ratio inverted, is not a bound). The states are compared at a concrete chain length, as in :mod:`.chain_joint`.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

import sympy as sp

from .chain_joint import _density, _states
from .verdict import Verdict

__all__ = ["judge_elbo"]

_SOURCE = "Ho et al. 2020, Eq. 3; Sohl-Dickstein et al. 2015, Eq. 10 (Jensen's inequality)"
_CLAIM = "the evidence lower bound (ELBO)"
_REL = re.compile(r"\\(geq|ge|leq|le)(?![A-Za-z])|(≥|≤)")


def _logs(expr: sp.Expr, p) -> Optional[List[Tuple[sp.Expr, object]]]:
    """(coefficient, density atom) of each log term of ``expr``; None if anything else is left."""
    out, rest = [], sp.expand(sp.expand_log(expr, force=True))
    for term in sp.Add.make_args(rest):
        logs = [f for f in term.atoms(sp.log)]
        if len(logs) != 1 or not isinstance(logs[0].args[0], sp.Symbol):
            return None
        coeff = sp.simplify(term / logs[0])
        if coeff.free_symbols:
            return None
        out.append((coeff, p.atoms.get(logs[0].args[0])))
    return out


def judge_elbo(eq: str) -> Optional[Verdict]:
    """The verdict on a variational bound of log p(x_0) written with densities; None if ``eq`` is not one."""
    # "… =: L" (Ho et al. 2020, Eq. 3 names the bound L): the name is not a side of the inequality
    eq = re.sub(r"\s*(?:=:|\\eqqcolon|=)\s*(?:\\mathcal\s*\{\s*L\s*\}|L)(?:_\s*\{?\s*\w+\s*\}?)?\s*[.,]?\s*$", "", eq)
    rels = list(_REL.finditer(eq))
    if len(rels) != 1 or r"\log" not in eq:
        return None
    m = rels[0]
    ge = (m.group(1) or m.group(2)) in ("geq", "ge", "≥")
    from .equation import two_sided

    p = two_sided(eq[:m.start()] + " = " + eq[m.end():])
    if p is None:
        return None
    one = {q: 1 for q, a_ in p.atoms.items() if a_.base == "E"}  # 𝔼, 𝔼_q: the expectation (the same on both sides)
    left, right = _logs(p.sides[0].xreplace(one), p), _logs(p.sides[1].xreplace(one), p)
    if not left or not right or len(left) != 1 or len(right) != 2:
        return None
    c_l, marg = left[0]
    dm = _density(marg)
    (c1, a1), (c2, a2) = right
    d1, d2 = _density(a1), _density(a2)
    if dm is None or d1 is None or d2 is None or dm[2] or c_l == 0:
        return None
    joint, post, c_j, c_q = (d1, d2, c1, c2) if d1[0] == dm[0] else (d2, d1, c2, c1)
    if joint[0] != dm[0] or joint[2]:
        return None  # not a model's joint beside its marginal: another construct
    obs, lat_j = _states(dm[1], None), _states(joint[1], None)
    lat_q, given = _states(post[1], None), _states(post[2], None)
    if None in (obs, lat_j, lat_q, given):
        return None
    if sp.simplify(c_l) < 0:  # −log p ≤ −…: the same bound with both sides negated
        ge, c_j, c_q = not ge, -c_j, -c_q
        c_l = -c_l
    c_j, c_q = sp.simplify(c_j / c_l), sp.simplify(c_q / c_l)
    why = []
    if (c_j, c_q) != (1, -1):
        why.append("the ratio is inverted: the bound is 𝔼[log p(joint)/q(latent | observed)]" if (c_j, c_q) == (-1, 1)
                   else f"log of the joint and of q enter with weights {c_j} and {c_q}, not 1 and −1")
    if not ge:
        why.append("the inequality points the wrong way: log p(x_0) is bounded from below (−log p(x_0) from above)")
    if set(lat_j) != set(obs) | set(lat_q) or set(obs) & set(lat_q):
        why.append("the joint is not over the observed and the latent states the posterior draws")
    if set(given) != set(obs):
        why.append("the posterior q is not conditioned on the observed state")
    if why:
        return Verdict(eq, "inconsistent", f"not the evidence lower bound: {'; '.join(why)} ({_SOURCE})", claim=_CLAIM,
                       terms=["rhs"])
    return Verdict(eq, "exact", f"the evidence lower bound by Jensen's inequality, log p(x_0) ≥ 𝔼_q[log p(joint) − log "
                               f"q(latent | observed)] ({_SOURCE})", claim=_CLAIM)
