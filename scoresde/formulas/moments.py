"""Moments of a linear SDE's marginal, as claims: the mean and covariance ODEs and their solutions.

For dx = f(t) x dt + g(t) dw the marginal's mean e(t) and covariance Σ(t) solve (Särkkä & Solin 2019, Eq. 5.50-5.51;
Song et al. 2021, App. B, Eq. 33-34 for the VP and VE SDEs)

    de/dt = f(t) e,        dΣ/dt = 2 f(t) Σ + g(t)² I,

so e(t) = e(0) e^{∫f}, and Σ_VP(t) = I + e^{−∫β}(Σ_VP(0) − I), Σ_VE(t) = Σ_VE(0) + [σ²(t) − σ²(0)] I.

Reading rule: a mean is e, m or μ (no θ) of the time, a covariance Σ or P of the time (``\\mathbf{e}_{\\text{VP}}(t)``,
``\\boldsymbol\\Sigma(0)``, ``m(t)``, ``P(t)``); a subscript VP / VE / subVP names the SDE, else every SDE the formula's
symbols allow is tried (β: VP, sub-VP; σ: VE; neither: also the general linear SDE). The left side is d/dt of a moment
or a moment at t; the identity matrix I is 1 (everything here is isotropic).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import DDT, Atom, Parsed
from .claim import Claim, _resolve_expr

__all__ = ["MEAN", "MEAN0", "COV", "COV0", "read_moment", "KEYS"]

MEAN = sp.Symbol("e(t)", real=True)
MEAN0 = sp.Symbol("e(0)", real=True)
COV = sp.Symbol("Σ(t)", positive=True)
COV0 = sp.Symbol("Σ(0)", nonnegative=True)

#: claim keys: the quantity the left side is
KEYS = {"dmean/dt": "mean ODE de/dt", "dcov/dt": "covariance ODE dΣ/dt", "mean(t)": "mean e(t)", "cov(t)": "covariance Σ(t)"}
_FAM_TAG = {"vp": "vp", "ve": "ve", "subvp": "subvp", "sub-vp": "subvp"}


def _moment(at: Atom) -> Optional[Tuple[str, str, Optional[str]]]:
    """(mean|cov, t|0, family named by the subscript) of a moment symbol, or None."""
    if at.deco not in ("", "dot") or at.sup:
        return None
    if at.base in ("e", "m", "μ"):
        kind = "mean"
    elif at.base in ("Σ", "P"):
        kind = "cov"
    else:
        return None
    sub = at.sub.replace(" ", "")
    fam = _FAM_TAG.get(sub.lower())
    if sub and fam is None:
        if at.args is None and sub in ("t", "0"):  # m_t, Σ_0
            return kind, sub, None
        return None
    if at.args is None or len(at.args) != 1 or at.args[0].strip() not in ("t", "0"):
        return None
    return kind, at.args[0].strip(), fam


def read_moment(p: Parsed, lhs: sp.Expr, rhs: sp.Expr) -> Optional[List[Claim]]:
    """Claims (one per SDE the formula may be about) if the left side is a moment or its time derivative."""
    inner = lhs.args[0] if isinstance(lhs, sp.Function) and lhs.func == DDT else lhs
    lat = p.atoms.get(inner) if isinstance(inner, sp.Symbol) else None
    mom = _moment(lat) if lat is not None else None
    if mom is None or mom[1] != "t":
        return None
    dotted = lat.deco == "dot"  # \dot{Σ}(t): Newton's notation for d/dt
    if dotted and inner is not lhs or any(a_.deco == "dot" for s_, a_ in p.atoms.items() if s_ in rhs.free_symbols and _moment(a_)):
        return None
    key = ("d" + mom[0] + "/dt") if (inner is not lhs or dotted) else (mom[0] + "(t)")
    sub, fams = {}, set()
    for s_, at in p.atoms.items():
        if s_ not in rhs.free_symbols and s_ != inner:
            continue
        m_ = _moment(at)
        if m_ is not None:
            sub[s_] = {("mean", "t"): MEAN, ("mean", "0"): MEAN0, ("cov", "t"): COV, ("cov", "0"): COV0}[m_[:2]]
            if m_[2]:
                fams.add(m_[2])
        elif at.base == "I" and not at.sub and at.args is None:
            sub[s_] = sp.Integer(1)
    if len(fams) > 1:
        return None
    if key in ("mean(t)", "cov(t)") and {MEAN0, COV0}.isdisjoint(sub.values()):
        # m(t) = e^{−½∫β} is also the mean *coefficient* (the marginal mean is m(t) x(0)): a solution is read only
        # when it starts from the moment at 0
        return None
    bases = {p.atoms[s_].base for s_ in rhs.free_symbols if s_ in p.atoms and s_ not in sub}
    if fams:
        cands = sorted(fams)
    elif "β" in bases or "α" in bases:
        cands = ["vp", "subvp"]
    elif "σ" in bases:
        cands = ["ve"]
    else:
        cands = ["generic", "vp", "subvp", "ve"]
    out = []
    # the moment symbols are replaced by MEAN, COV, …; a parsed e(t) has MEAN's own name, so it leaves the vocabulary
    pr = Parsed(p.text, p.sides, {k: v for k, v in p.atoms.items() if k not in sub}, p.relation, list(p.issues))
    for fam in cands:
        r = C.Reading("function", fam, "ddpm", "t", 0)
        rhs_c = _resolve_expr(rhs.xreplace(sub), pr, r)
        cl = Claim("scalar", r, lhs=f"{key}|{fam}", rhs=sp.expand(rhs_c), parsed=p)
        cl.read_as = f"{KEYS[key]} of the marginal ({'general linear SDE' if fam == 'generic' else fam.upper() + ' SDE'})"
        out.append(cl)
    return out


def moment_key(key: str, fam: str) -> str:
    """The registry ``lhs`` of a moment entry (the claim key with the SDE it belongs to)."""
    return f"{key}|{fam}"

