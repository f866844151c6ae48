"""A claim against a registry entry: exact, consistent (order and leading error term) or inconsistent."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import sympy as sp

from . import canon as C
from .admissible import judge_alternative
from .bounds import past_soft_deadline
from .claim import Claim
from .diagnose import _diagnose, _diagnose_noise, _diagnose_raw, _diagnose_scalar, _raw_disp
from .entry import Entry
from .evaluate import is_zero
from .langevin_terms import langevin_wrong_terms
from .mean_basis import _claim_in_score, _to_claim_basis, entry_mean_in_claim_basis
from .registry import REGISTRY
from .specialise import SCHEDULES, claim_with
from .sde_free import langevin_rate_from_noise, own_ve_schedule
from .explicit_ve import explicit_ve_kernel, explicit_ve_sde

# ============================================================================ comparisons
@dataclass
class Match:
    entry: Entry
    verdict: str
    detail: str
    order: Optional[int] = None
    how: str = ""
    mismatches: int = 0
    notes: List[str] = field(default_factory=list)
    terms: List[str] = field(default_factory=list)  # offending pieces (verdict.Verdict.terms vocabulary)
    charity: List[tuple] = field(default_factory=list)  # readings that differ from what is written


_TERM_OF_BASIS = {C.x_cur: "mean.x", C.x_prev: "mean.x", C.x: "mean.x", C.x0: "mean.x0", C.s: "mean.score", C.e: "mean.eps"}


def term_of_basis(k, cl: Claim) -> str:
    """The vocabulary name of a mean coefficient's basis (the score is named mean.eps when the claim uses ε_θ)."""
    if k == C.s and cl.uses_eps:
        return "mean.eps"
    if k == C.FX:
        return "drift"  # f(x, t) in a discretised SDE step: the drift a user points at
    return _TERM_OF_BASIS.get(k, "mean.other")


def _candidates(cl: Claim) -> List[Entry]:
    out = []
    for e in REGISTRY.values():
        if cl.kind == "sde" and e.kind == "sde":
            if e.drift.has(C.SY) == cl.drift.has(C.SY):  # guided SDEs (classifier gradient) only for guided claims
                out.append(e)
        elif cl.kind == "step" and e.kind in ("step", "langevin"):
            if e.kind == "langevin" and (C.s not in cl.mean or cl.var is None):
                continue
            if e.lhs != cl.lhs and e.kind != "langevin":
                continue
            # the sub-VP SDE shares β(t) and ᾱ(t) with the VP SDE: a VP-looking kernel may be the sub-VP one
            if e.family not in (cl.reading.family, "generic") and not (cl.reading.family == "generic") and not (
                    e.family == "subvp" and cl.reading.family == "vp" and e.direction == "kernel"):
                continue
            out.append(e)
        elif cl.kind == "scalar" and e.kind == "scalar" and e.lhs == cl.lhs:
            out.append(e)
        elif cl.kind == "relation" and e.kind == "relation":
            out.append(e)
    return out


def _disp(expr, cl: Claim, simplify: bool = False) -> str:
    if isinstance(expr, sp.Basic):
        if simplify:
            expr = C.tie(expr)
            if sp.count_ops(expr) < 40:
                expr = sp.simplify(expr)
    txt = C.show(expr, _klabel(cl))
    if cl.reading.mode == "discrete" and cl.reading.family == "vp" and cl.parsed is not None and any(
            a_.base == "α" and a_.deco == "" for a_ in cl.parsed.atoms.values()) and cl.reading.notation == "ddpm":
        k = _klabel(cl)
        txt = txt.replace(f"1 - β_{k}", f"α_{k}")
    if cl.reading.mode == "discrete" and cl.reading.family == "vp":
        k = _klabel(cl)
        txt = txt.replace(f"sqrt(1 - β_{k})", f"√α_{k}").replace(f"(1 - β_{k})", f"α_{k}")
    return txt.replace("sqrt(", "√(")


def _klabel(cl: Claim) -> str:
    r = cl.reading
    if r.mode != "discrete":
        return "t"
    return r.index + (f"+{r.k_offset}" if r.k_offset > 0 else "")


_BASIS_NAMES = {C.x_cur: "x_k", C.x_prev: "x_{k-1}", C.x0: "x_0", C.s: "the score s_θ", C.e: "ε_θ", C.FX: "f(x,t)", C.x: "x",
                sp.Integer(1): "the constant term"}


def _bname(bsym, cl: Claim) -> str:
    return C.show(sp.Symbol(_BASIS_NAMES.get(bsym, str(bsym))), _klabel(cl)) if bsym in _BASIS_NAMES else str(bsym)


def _written_out_schedule(cl: Claim, e: Entry) -> Claim:
    """β(t) or σ(t) next to its schedule's own parameters (Song et al.'s sub-VP Eq. 12 keeps β(t) beside ∫β written
    out; App. C writes g = σ(t)√(2 log(σ_max/σ_min))): against an entry with that schedule written out, the function
    is the schedule (:data:`scoresde.formulas.specialise.SCHEDULES`)."""
    pieces = (cl.drift, cl.diff2)
    subs = {fn: lam for fn, lam, params, _ in SCHEDULES
            if any(q.has(fn) for q in pieces) and any(q.free_symbols & params for q in pieces)
            and not (e.drift.has(fn) or e.diff2.has(fn))}
    return claim_with(cl, subs)


def compare_sde(cl: Claim, e: Entry) -> Match:
    cl = _written_out_schedule(cl, e)
    e, notes = langevin_rate_from_noise(cl, e, lambda q: _disp(q, cl))
    fixed = len(notes)  # an entry whose free β(t) the claim's noise fixed ranks after one matched as it stands
    if e.direction == "forward" and cl.drift.has(C.s) and not e.drift.has(C.s):  # (the marginal-preserving family has one)
        return Match(e, "inconsistent", "a forward SDE has no score term", mismatches=9, terms=["drift"])
    if e.direction == "forward" and cl.noise == "dwbar":
        return Match(e, "inconsistent", "dw̄ marks a reverse-time SDE, but this is the forward SDE (no score term)", mismatches=3,
                     terms=["noise"])
    charity = []
    if e.direction != "forward" and cl.noise == "dw" and e.noise == "dwbar":
        notes.append("dw read as the reverse-time Brownian increment dw̄ (t runs from T to 0)")
        charity.append(("dw is read as dw̄ (as written, dw is the forward-time Brownian increment; the reverse SDE needs dw̄)", "noise"))
    if (cl.noise is None) != (e.noise is None):
        kind = "no noise term" if cl.noise is None else "a noise term"
        return Match(e, "inconsistent", f"{kind}: the {e.title} {'has' if e.noise else 'has none'}", mismatches=5, terms=["noise"])
    drift_t = e.drift
    if e.family == "generic" and not cl.drift.has(C.FX) and cl.drift.has(C.FT(C.t)):
        drift_t = drift_t.xreplace({C.FX: C.FT(C.t) * C.x})
    d = sp.expand(cl.drift - drift_t)
    z, how = is_zero(d)
    sign = 1
    if not z and e.direction == "reverse" and cl.noise == "dw":
        # only a plain dw marks the forward-time convention tau = T - t; with dw-bar (Song et al.) or
        # without noise the drift must be f - g^2 s (resp. f - g^2 s / 2) as written
        z2, how2 = is_zero(sp.expand(cl.drift + drift_t))
        if z2:
            z, how, sign = True, how2, -1
            notes.append("written in forward time τ = T − t (dτ = −dt), where the drift changes sign")
            charity = []
    g_ok, ghow = is_zero(sp.expand(cl.diff2 - e.diff2))
    if z and g_ok:
        how_s = "" if how == "symbolic" and ghow == "symbolic" else f" ({how if how != 'symbolic' else ghow})"
        return Match(e, "exact", f"identical to {e.title}{how_s}", notes=notes, how=how, charity=charity, mismatches=fixed)
    if z and e.direction == "forward" and e.family == "ve" and (own_g := explicit_ve_sde(cl.diff2)) is not None:
        return Match(e, "consistent", own_g, notes=notes, terms=["diffusion"], mismatches=fixed + 1)  # dx = e^t dw (explicit_ve)
    problems = []
    terms = (["drift"] if not z else []) + (["diffusion"] if not g_ok else [])
    if not z:
        for label, bsym in (("coefficient of x in the drift", C.x), ("coefficient of the score in the drift", C.s),
                            ("f(x, t) in the drift", C.FX)):
            ct = sp.expand(drift_t).coeff(bsym)
            cc = sp.expand(cl.drift).coeff(bsym)
            if is_zero(cc - ct)[0] is False:
                problems.append(f"{label}: expected {_disp(ct, cl)}, found {_disp(cc, cl)}")
        if not problems:
            problems.append(f"drift: expected {_disp(drift_t, cl)}, found {_disp(cl.drift, cl)}")
    if not g_ok:
        problems.append(f"diffusion g²: expected {_disp(e.diff2, cl)}, found {_disp(cl.diff2, cl)}")
    # a claim written with G(x, t) is nearer the entries written with it (and the other way round)
    vocab = {C.GX, C.DIVGG}
    own = lambda q: vocab & (q.drift.free_symbols | q.diff2.free_symbols)  # noqa: E731
    return Match(e, "inconsistent", "; ".join(problems), mismatches=len(problems) + len(own(cl) ^ own(e)) + fixed, notes=notes,
                 terms=terms)


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


def compare_scalar(cl: Claim, e: Entry) -> Match:
    d = cl.rhs - e.rhs
    z, how = is_zero(d)
    if z:
        return Match(e, "exact", f"identical to {e.title}" + ("" if how == "symbolic" else f" ({how})"), how=how)
    if e.rhs.has(C.T) and not cl.rhs.has(C.T):
        z1, _ = is_zero(cl.rhs - e.rhs.subs(C.T, 1))
        if z1:
            return Match(e, "exact", f"identical to {e.title} with T = 1")
    if e.rhs.has(C.beta_d) and not cl.rhs.has(C.beta_d) and cl.rhs.has(C.beta_max):
        # EDM's β_d is Song et al.'s β_max − β_min (Karras et al. 2022, Table 1: β(t) = β_min + β_d t)
        if is_zero(cl.rhs - e.rhs.subs(C.beta_d, C.beta_max - C.beta_min))[0]:
            return Match(e, "exact", f"identical to {e.title} with β_d = β_max − β_min")
    # the cosine schedule without its offset s is still a (different) cosine schedule
    if e.rhs.has(C.s_off) and not cl.rhs.has(C.s_off):
        z0, _ = is_zero(cl.rhs - e.rhs.subs(C.s_off, 0))
        if z0:
            return Match(e, "consistent", f"a valid schedule, but not {e.title}: it is the cosine schedule without its offset s "
                         "(s = 0; Nichol & Dhariwal use s = 0.008 so that β near t = 0 is not too small)", terms=["rhs"], mismatches=1)
    own = own_ve_schedule(cl.rhs, e)
    if own is not None:
        return Match(e, "consistent", own, terms=["diffusion"], mismatches=1)
    diag = _diagnose_scalar(cl, e) if cl.parsed is not None else ""
    if not diag and cl.parsed is not None and e.rhs.has(C.s_off) and not cl.rhs.has(C.s_off):
        diag = _diagnose_raw(cl.parsed.sides[-1], e.rhs.subs(C.s_off, 0), cl)
        diag = (diag + " and the offset s is missing") if diag else "the offset s is missing"
    msg = f"expected {_disp(e.rhs, cl)}, found {_raw_disp(cl.parsed.sides[-1], cl) if cl.parsed is not None else _disp(cl.rhs, cl)}"
    if diag:
        msg += f" ({diag})"
    shape = sum(cl.rhs.has(f_) != e.rhs.has(f_) for f_ in (sp.cos, sp.exp, sp.Integral, sp.log))
    mism = 1 + len(cl.rhs.free_symbols ^ e.rhs.free_symbols) + shape
    term = e.lhs.split("|")[0] if e.lhs.split("|")[0] in ("drift", "diffusion") else "rhs"  # pieces of an SDE (sde_parts)
    if cl.var is not None and e.lhs == "logp_T":  # a prior written as N(mean, cov): name the piece that differs
        term = _prior_piece(cl, e) or term
    # "consistent but different": another valid schedule (admissible.py); not for a formula that did not read cleanly
    alt = judge_alternative(cl.rhs, e, msg) if cl.parsed is None or not cl.parsed.issues else None
    if alt is not None:
        return Match(e, alt[0], alt[1], mismatches=mism, terms=[term])
    return Match(e, "inconsistent", msg, mismatches=mism, terms=[term])


def _prior_piece(cl: Claim, e: Entry) -> Optional[str]:
    """'variance' or 'mean.other' for a prior N(mean, cov) whose variance or mean differs from the entry's
    log-density −d/2 log(2πv) − ‖x‖²/(2v) (the entry's v is read from its ‖x‖² coefficient)."""
    coef = sp.expand(e.rhs).coeff(C.NORM_X2)
    if coef == 0 or coef.has(C.NORM_X2):
        return None
    if not is_zero(cl.var + 1 / (2 * coef))[0]:
        return "variance"
    return "mean.other" if any(v_ != 0 for v_ in cl.mean.values()) else None


def compare_relation(cl: Claim, e: Entry) -> Match:
    lhs_sym = {"s": C.s, "e": C.e, "x0": C.x0, "v": C.v}[e.lhs]
    eq = cl.equation
    vars_c = {q for q in eq.free_symbols if q in (C.x, C.x0, C.e, C.s, C.v)}
    vars_e = {q for q in (e.rhs.free_symbols | {lhs_sym}) if q in (C.x, C.x0, C.e, C.s, C.v)}
    if vars_c != vars_e:
        # not comparable: saying "inconsistent" here would say the same of right and wrong formulas alike
        return Match(e, "unparsed", f"it relates {', '.join(sorted(q.name for q in vars_c)) or 'other quantities'}, which no "
                     "registry relation relates (in the notation it was read in)", mismatches=10)
    sol = sp.solve(eq, lhs_sym)
    if len(sol) != 1:
        return Match(e, "unparsed", f"cannot solve it for {lhs_sym}", mismatches=10)
    rhs_c = sol[0]
    erhs = e.rhs
    # (m, sigma): DDPM-bar notation gives (sqrt(abar), sqrt(1-abar)); without alpha (VE), m = 1
    syms = eq.free_symbols
    if C.a in syms:
        erhs = erhs.xreplace({C.m_sym: sp.sqrt(C.a), C.sg_sym: sp.sqrt(1 - C.a)})
    elif C.m_sym not in syms:
        erhs = erhs.xreplace({C.m_sym: 1})
    if e.name in ("param.v", "param.eps_from_v", "param.x0_from_v") and C.m_sym in syms:
        erhs = erhs.xreplace({C.sg_sym: sp.sqrt(1 - C.m_sym**2)})
        rhs_c = rhs_c.xreplace({C.sg_sym: sp.sqrt(1 - C.m_sym**2)})
    z, how = is_zero(rhs_c - erhs)
    if z:
        return Match(e, "exact", f"identical to {e.title}" + ("" if how == "symbolic" else f" ({how})"), how=how)
    return Match(e, "inconsistent", f"solved for {lhs_sym}: expected {_disp(erhs, cl)}, found {_disp(rhs_c, cl)}", mismatches=1,
                 terms=["rhs"])
