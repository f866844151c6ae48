"""A claim against a registry entry: exact, consistent (order and leading error term) or inconsistent. Here the
candidate entries, SDEs, scalars and relations; steps in :mod:`.compare_step`, the Match record in :mod:`.compare_match`."""
from __future__ import annotations

from typing import List, Optional

import sympy as sp

from . import canon as C
from .admissible import judge_alternative
from .claim import Claim
from .diagnose import _diagnose_raw, _diagnose_scalar, _raw_disp
from .entry import Entry
from .evaluate import is_zero
from .registry import REGISTRY
from .specialise import SCHEDULES, claim_with
from .sde_free import langevin_rate_from_noise, own_ve_schedule
from .explicit_ve import explicit_ve_sde
from .mean_basis import _claim_in_score  # noqa: F401  (numeric.py imports it from here)
from .compare_match import _BASIS_NAMES, _TERM_OF_BASIS, Match, _bname, _disp, _klabel, term_of_basis  # noqa: F401
from .compare_step import (_compare_langevin, _lead_disp, _leading, _nested_radical, _noise_free_entries,  # noqa: F401
                           _step_h_subs, compare_step)


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
