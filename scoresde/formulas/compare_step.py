"""A step claim (update, kernel, posterior, Langevin corrector) against a registry entry: each mean coefficient and the
noise variance, exact or to leading order in the step (moved out of compare.py)."""
from __future__ import annotations

from typing import List

import sympy as sp

from . import canon as C
from .bounds import past_soft_deadline
from .claim import Claim
from .diagnose import _diagnose, _diagnose_noise, _raw_disp
from .entry import Entry
from .evaluate import is_zero
from .langevin_terms import langevin_wrong_terms
from .mean_basis import _claim_in_score, _to_claim_basis, entry_mean_in_claim_basis
from .registry import REGISTRY
from .explicit_ve import explicit_ve_kernel
from .compare_match import Match, _bname, _disp, _klabel, term_of_basis


def _step_h_subs(fam: str):
    """beta_k = beta(t) Δt; sigma_{k-1}² = sigma_k² − (dσ²/dt) Δt (the discrete twin to first order)."""
    bh = sp.Symbol("β", positive=True)
    q = sp.Symbol("q", positive=True)
    if fam == "vp":
        return {C.b: bh * C.h, C.bp: bh * C.h, C.bn: bh * C.h, C.BETA(C.t): bh}, "β_k = β(t)Δt"
    return {C.Sp: sp.sqrt(C.S**2 - q * C.h)}, "σ_{k−1}² = σ_k² − (dσ²/dt)Δt"


def _nested_radical(e: sp.Expr) -> bool:
    """Whether a fractional power has another fractional power inside its base (√(1 − a − η√b))."""
    roots = [p_ for p_ in e.atoms(sp.Pow) if p_.exp.is_Rational and not p_.exp.is_Integer]
    return any(q_ is not p_ and p_.base.has(q_) for p_ in roots for q_ in roots)


def _leading(d: sp.Expr, fam: str):
    """(exponent of Δt of the leading term, the leading term) of a difference."""
    subs, _ = _step_h_subs(fam)
    dd = C.tie(d).xreplace(subs)
    dd = dd.xreplace({C.G(C.t): sp.sqrt(sp.Symbol("β", positive=True))}) if fam == "vp" else dd
    if fam == "ve" and dd.has(C.SIGMA):  # dσ²/dt = q at the step's time, σ(t) = σ_k
        q = sp.Symbol("q", positive=True)
        dd = dd.subs(sp.Derivative(C.SIGMA(C.t), C.t), q / (2 * C.SIGMA(C.t))).xreplace({C.SIGMA(C.t): C.S})
    if (past_soft_deadline() or _nested_radical(dd)) and sp.count_ops(dd) > 40:
        return None, None  # sympy's series of a large difference with nested radicals takes seconds: undecided
    try:
        ser = sp.series(dd, C.h, 0, 4).removeO()
    except Exception:  # pragma: no cover
        return None, None
    ser = sp.expand(ser)
    if ser == 0:
        return 4, sp.Integer(0)
    terms = sp.Add.make_args(ser)
    best = None
    for term in terms:
        c, ex = term.as_coeff_exponent(C.h)
        if best is None or ex < best[0]:
            best = (ex, term)
    lead = sum((tm for tm in terms if tm.as_coeff_exponent(C.h)[1] == best[0]), sp.Integer(0))
    return best[0], sp.simplify(lead)


def _noise_free_entries(fam: str) -> bool:
    """Whether the registry has a deterministic step (noise variance 0) for this family: then a step written
    without noise is one of those, and is not read as the mean of a stochastic step."""
    return any(q.kind == "step" and q.var is not None and all(v_ == 0 for v_ in q.var) and not q.free
               and q.family in (fam, "generic") and q.direction == "reverse" for q in REGISTRY.values())


def compare_step(cl: Claim, e: Entry, quick: bool = False) -> Match:
    notes: List[str] = []
    fam = e.family if e.family != "generic" else cl.reading.family
    if e.kind == "langevin":
        return _compare_langevin(cl, e)
    cmean = _claim_in_score(cl)
    emean = dict(e.mean)
    if e.lhs in ("mu_theta", "mu_tilde") and cl.reading.mode == "discrete":
        emean = entry_mean_in_claim_basis(emean, cmean, fam)  # μ in x_0, ε or the score (Ho Eq. 7, 10, 11)
    if cl.reading.mode == "discrete" and e.mode == "discrete-continuous":
        # compare a beta_k-claim with a beta(t)Δt entry through beta_k = beta(t)Δt (first order)
        pass
    # variance and free parameters
    evar_opts = e.var
    free_sub = {}
    if e.free and any(e.free[0] in getattr(c_, "free_symbols", ()) for c_ in cmean.values()):
        # named by the claim (DDIM's Eq. 7 mean): its variance must be σ_k², and a step without it lacks its noise
        if cl.var is None and e.var is not None and any(v_ != 0 for v_ in e.var) and e.lhs in ("x_prev", "x_cur", "x"):
            return Match(e, "inconsistent", "the noise term σ_k z is missing (σ_k is written in the mean)", mismatches=5,
                         terms=["variance"])
        notes.append("σ_k as written in the mean")
    elif e.free and cl.var is not None:
        free_sub = {e.free[0]: sp.sqrt(cl.var)}
        notes.append(f"σ_k read off the noise term: σ_k² = {_disp(cl.var, cl)}")
    elif e.free and cl.var is None and e.var is not None:
        free_sub = {e.free[0]: sp.Integer(0)}
        notes.append("no noise: σ_k = 0 (deterministic)")
    if e.free:
        emean = {k: val.xreplace(free_sub) for k, val in emean.items()}
        evar_opts = [val.xreplace(free_sub) for val in e.var]
    if cl.var is None and e.var is not None and e.lhs in ("x_prev", "x_cur", "x") and not e.free and any(v_ != 0 for v_ in e.var):
        if e.direction == "reverse" and not _noise_free_entries(fam):
            notes.append("no noise term: compared as a mean")
        else:
            return Match(e, "inconsistent", "the noise term is missing", mismatches=5, terms=["variance"])
    keys = sorted(set(cmean) | set(emean), key=str)  # deterministic order (not hash order)
    mism = []
    exact_all = True
    hows = set()
    for k in keys:
        ct = emean.get(k, sp.Integer(0))
        cc = cmean.get(k, sp.Integer(0))
        z, how = is_zero(cc - ct)
        hows.add(how)
        if not z:
            exact_all = False
            mism.append((k, cc, ct))
    var_match = None
    var_mism = None
    if cl.var is not None and evar_opts is not None and not e.free and cl.var.has(C.sig) and e.var_names:
        if is_zero(cl.var - C.sig**2)[0]:
            notes.append("σ_t is the sampling std of Ho et al. 2020 (Sec. 3.2): σ_t² = β_t or β̃_t")
            evar_opts = [C.sig**2]
    if cl.var is not None and evar_opts is not None:
        for i, opt in enumerate(evar_opts):
            z, how = is_zero(cl.var - opt)
            if z:
                var_match = i
                hows.add(how)
                break
        if var_match is None:
            exact_all = False
            var_mism = (cl.var, evar_opts)
        elif var_match > 0 and e.var_names:
            notes.append(C.show(f"noise variance {e.var_names[var_match]} (one of the admissible choices: {', '.join(e.var_names)})", _klabel(cl)))
    elif cl.var is not None and evar_opts is None:
        exact_all = False
        var_mism = (cl.var, [sp.Integer(0)])
    if var_mism is not None and not mism and any(v_.has(C.SIGMA(0)) for v_ in e.var or ()) and (own_v := explicit_ve_kernel(cl.var)):
        return Match(e, "consistent", own_v, notes=notes, terms=["variance"], mismatches=1)  # N(x(0), v(t) I) (explicit_ve)
    if exact_all:
        how = next((h_ for h_ in sorted(hows) if h_ not in ("symbolic",)), "symbolic")
        how_s = "" if how == "symbolic" else f" ({how})"
        return Match(e, "exact", f"identical to {e.title}{how_s}", notes=notes, how=how)
    terms = list(dict.fromkeys([term_of_basis(k, cl) for k, _, _ in mism] + (["variance"] if var_mism is not None else [])))
    if quick:
        return Match(e, "inconsistent", "", mismatches=len(mism) + (var_mism is not None), notes=notes, terms=terms)
    # consistency: every difference O(Δt²)
    fams = fam if fam in ("vp", "ve") else cl.reading.family
    # consistency is a property of discretisations (steps of a chain or sampler), not of identities
    # such as the posterior mean or the marginal, which are exact or wrong
    if fams in ("vp", "ve") and cl.reading.mode == "discrete" and e.direction in ("reverse", "forward") and e.lhs != "mu_theta":
        orders, leads = [], []
        for k, cc, ct in mism:
            ex, lead = _leading(cc - ct, fams)
            orders.append(ex)
            leads.append((f"coefficient of {_bname(k, cl)}", ex, lead, cc, ct))
        if var_mism is not None:
            best = None
            for opt in var_mism[1]:
                ex, lead = _leading(var_mism[0] - opt, fams)
                if ex is not None and (best is None or ex > best[0]):
                    best = (ex, lead, opt)
            if best is not None:
                orders.append(best[0])
                leads.append(("noise variance", best[0], best[1], var_mism[0], best[2]))
        if orders and all(o_ is not None for o_ in orders) and min(orders) >= 2:
            p = int(min(orders)) - 1
            _, hdesc = _step_h_subs(fams)
            parts = [f"{lab}: {_disp(cc, cl)} vs {_disp(ct, cl)}, differ by {_lead_disp(lead, fams, cl)}"
                     for lab, ex, lead, cc, ct in leads if ex == min(orders)]
            return Match(e, "consistent", f"agrees with {e.title} to O(Δt^{p + 1}) per step ({hdesc}); leading error: "
                         + "; ".join(parts), order=p, notes=notes, mismatches=len(leads), terms=terms)
        if orders and len(orders) > 1 and any(o_ is not None and o_ >= 2 for o_ in orders):
            # a discretisation with some pieces right to first order: only the others are wrong
            first = [lab for lab, ex, *_ in leads if ex is not None and ex >= 2]
            mism = [m_ for m_ in mism if f"coefficient of {_bname(m_[0], cl)}" not in first]
            if "noise variance" in first:
                var_mism = None
            terms = list(dict.fromkeys([term_of_basis(k, cl) for k, _, _ in mism] + (["variance"] if var_mism is not None else [])))
            notes.append("agrees to first order in Δt: " + ", ".join(first))
    # inconsistent: name the terms
    problems = []
    for k, cc, ct in mism:
        found = _raw_disp(cl.raw_mean[k], cl) if k in cl.raw_mean else _disp(cc, cl)
        msg = f"coefficient of {_bname(k, cl)}: expected {_disp(_to_claim_basis({k: ct}, cl).get(k, ct), cl)}, found {found}"
        if cl.uses_eps and k == C.s:
            ce = cl.mean.get(C.e, sp.Integer(0))
            et = _to_claim_basis({C.s: ct}, cl)[C.e]
            found = _raw_disp(cl.raw_mean[C.e], cl) if C.e in cl.raw_mean else _disp(ce, cl)
            msg = f"coefficient of ε_θ: expected {_disp(et, cl)}, found {found}"
            diag = _diagnose(cl, C.e, et)
        else:
            diag = _diagnose(cl, k, ct)
        if diag:
            msg += f" ({diag})"
        problems.append(msg)
    if var_mism is not None:
        opts = " or ".join(_disp(o_, cl) for o_ in var_mism[1])
        msg = f"noise variance: expected {opts}, found {_disp(var_mism[0], cl)}"
        diag = _diagnose_noise(cl, var_mism[1])
        if diag:
            msg += f" ({diag})"
        problems.append(msg)
    # the shared-prefactor case: P (x - Q eps): diagnose Q = coef_eps / coef_x
    if cl.uses_eps and len([m_ for m_ in mism if m_[0] in (C.x_cur, C.s)]) == 2 and C.s in emean and C.x_cur in emean:
        et = _to_claim_basis({C.s: emean[C.s]}, cl)[C.e] / emean[C.x_cur]
        ratio_diag = _diagnose(cl, "ratio", et)
        if ratio_diag:
            problems.append(f"inside the bracket ({ratio_diag})")
    return Match(e, "inconsistent", "; ".join(problems), mismatches=len(problems), notes=notes, terms=terms)


def _lead_disp(lead, fam, cl: Claim) -> str:
    if lead is None:
        return "?"
    bh = sp.Symbol("β", positive=True)
    if fam == "vp":
        back = lead.xreplace({bh: C.b / C.h}).subs(C.h, 1)
        return _disp(back, cl) + " + …"
    q = sp.Symbol("q", positive=True)
    back = lead.subs(C.h, 1).xreplace({q: sp.Symbol("(σ_k^2 - σ_{k-1}^2)", positive=True)})
    return _disp(back, cl) + " + …"


def _compare_langevin(cl: Claim, e: Entry) -> Match:
    if C.FX in cl.mean:  # the SDE's drift f(x, t): a predictor step, which Langevin dynamics never has
        return Match(e, "inconsistent", "it holds the SDE's drift f(x, t), which a Langevin step has not", mismatches=9,
                     terms=["mean.other"])
    src = C.x_cur if C.x_cur in cl.mean else (C.x_prev if C.x_prev in cl.mean else C.x)
    cx = cl.mean.get(src, 0)
    cs = cl.mean.get(C.s, 0)
    probs, terms = [], []
    if is_zero(cx - 1)[0] is False:
        probs.append(f"coefficient of x: expected 1, found {_disp(cx, cl)}")
        terms.append("mean.x")
    if cl.var is None or is_zero(cl.var - 2 * cs)[0] is False:
        probs.append(f"noise variance must be twice the score coefficient ({_disp(2 * cs, cl)}), found {_disp(cl.var or 0, cl)}")
        terms += langevin_wrong_terms(cs, cl.var)  # the noise, or the term off Song & Ermon's Alg. 1 form
    cond = ""
    if C.SY in cl.mean:  # a conditional corrector: the score of p_t(x | y) = s + ∇log p_t(y | x) (Song et al. 2021, App. I)
        cond = " with the conditional score s + ∇log p_t(y|x) (Song et al. 2021, App. I)"
        if is_zero(cl.mean[C.SY] - cs)[0] is False:
            probs.append(f"coefficient of ∇log p_t(y|x): expected that of the score ({_disp(cs, cl)}), found {_disp(cl.mean[C.SY], cl)}")
            terms.append("mean.score")
    if set(cl.mean) - {src, C.s, C.SY}:
        probs.append("extra terms")
        terms.append("mean.other")
    if probs:
        return Match(e, "inconsistent", "; ".join(probs) + " (Langevin dynamics leaves p invariant only when the noise variance is twice the score step)",
                     mismatches=len(probs) + 1, terms=terms)
    return Match(e, "exact", f"a {e.title}: x + c s + √(2c) z with c = {_disp(cs, cl)}{cond}")
