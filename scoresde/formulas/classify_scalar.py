"""Read an equation that defines a scalar (β̃, a schedule β(t), ᾱ, σ(t), log p_T, …) as a scalar claim, keyed by
the quantity it defines (a hook of :func:`scoresde.formulas.classify.read_claim`)."""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import Parsed
from .claim import Claim, NotUnderstood, _family, _index_of, _notations, _resolve_expr
from .divergence import divergence_symbol
from .edm_reading import is_denoiser
from .entry import Entry
from .cell_notation import ddim_alpha, vdm_sigma
from .chain_readings import vdm_alpha
from .relation_reader import read_relation
from .classify_shapes import _abar_at_same_index, _coordinate_sum, _score_divergence, _zero_mean_gaussian


_SCALAR_KEYS = {
    "beta_tilde", "beta", "beta(t)", "abar", "abar(t)", "sigma(t)", "s(t)", "sigma_eta", "logp_T", "logp_0", "eps_snr", "alpha_anneal",
    "alpha",
}


def _scalar_key(p: Parsed, lhs: sp.Expr, rhs: sp.Expr) -> Tuple[str, str]:
    """The quantity an equation defines, and the reading mode."""
    rsyms = {p.atoms[s_].base for s_ in rhs.free_symbols if s_ in p.atoms}
    has_t = any(p.atoms[s_].base == "t" and not p.atoms[s_].sub for s_ in rhs.free_symbols if s_ in p.atoms)
    if isinstance(lhs, sp.log) and isinstance(lhs.args[0], sp.Symbol) and lhs.args[0] in p.atoms:
        at = p.atoms[lhs.args[0]]
        if at.base == "p" and at.sub in ("T",) or at.base == "π" and not at.sub:  # π: Song et al. 2021's prior
            return "logp_T", "function"
        if at.base == "p" and not at.sub and at.args is None and _zero_mean_gaussian(p, rhs):
            # log p = −(d/2) log(2πv) − ‖z‖²/(2v), a density named by no time: the zero-mean Gaussian is the prior's
            # (Song et al. 2021, App. D.2; sde_lib's prior_logp(z) computes `logp` so), judged as log p_T
            return "logp_T", "function"
        if at.base == "p" and at.sub in ("0", ""):
            return "logp_0", "function"
        if at.base == "p" and at.sub == "θ" and at.sup in ("", "ODE") and at.args and re.fullmatch(r"x(?:\(0\)|_0)", at.args[0]):
            # the model's density of the data, p_θ^ODE(x(0)) (Song, Durkan, Murray & Ermon 2021, Eq. 8; Song et al. 2021, Eq. 39)
            return "logp_0", "function"
    if not isinstance(lhs, sp.Symbol) or lhs not in p.atoms:
        raise NotUnderstood("the left side is not a single named quantity")
    at = p.atoms[lhs]
    if at.sup == "-1":  # σ⁻¹(σ), an inverse schedule: only the literal reading knows it
        raise NotUnderstood(f"no registry entry defines {at.name} in the domain reading")
    if at.base == "β" and at.deco == "tilde":
        return "beta_tilde", "discrete"
    if at.base == "β" and at.deco == "":
        return ("beta(t)" if has_t or at.args else "beta"), ("function" if has_t or at.args else "discrete")
    if at.base == "α" and at.deco == "bar":
        if rhs.has(sp.Product):
            return "abar", "discrete"
        return ("abar(t)", "function") if has_t or rhs.has(sp.cos) else ("abar", "discrete")
    if at.base == "α" and at.deco == "" and at.sub and not at.args and rsyms == {"β"}:
        return "alpha", "discrete"  # Ho et al.'s α_t := 1 − β_t
    if at.base == "α" and "σ" in rsyms and any(p.atoms[s_].sub == "L" for s_ in rhs.free_symbols if s_ in p.atoms):
        return "alpha_anneal", "discrete"
    if at.base == "σ" and at.sub == "q" and not at.deco:
        return "beta_tilde", "discrete"  # σ_q(t): the std of q(x_{t−1} | x_t, x_0) (Luo 2022, Eq. 85), √β̃_t
    if at.base == "σ":
        if "η" in rsyms or (at.args and "η" in at.args):
            return "sigma_eta", "discrete"
        if at.sub and not has_t and rsyms & {"β", "α"} and not at.args and not _abar_at_same_index(p, at, rhs):
            return "sigma_ho", "discrete"
        return "sigma(t)", "function"
    if at.base == "s" and at.args == ("t",):
        return "s(t)", "function"
    if at.base == "s" and at.sub == "t" and not at.args and not at.deco and rsyms and rsyms <= {"α", "β", "σ", "γ", "λ"}:
        return "s(t)", "function"  # s_t = √ᾱ_t beside σ_t: EDM's scale s(t) written as σ_t is (Karras et al. 2022, Eq. 4)
    if at.base == "ε" and (not at.sub or C.C_IDX_ANY.match(at.sub)) and at.args is None and "norm" in rsyms:
        return "eps_snr", "discrete"
    if at.base in ("ε", "s", "score", "v", "x", "X") or (at.base == "x" and at.deco == "hat") or is_denoiser(at):
        return "relation", "relation"
    raise NotUnderstood(f"no registry entry defines {at.name}")


def _read_scalar(p: Parsed, lhs, rhs, target: Optional[Entry], hints) -> List[Claim]:
    if (isinstance(lhs, sp.Pow) and isinstance(lhs.base, sp.Symbol) and lhs.base in p.atoms and lhs.exp.is_Integer
            and lhs.exp > 1 and p.atoms[lhs.base].base in ("σ", "α", "β", "g", "s")):
        # σ_t² = v: a positive quantity given by its square (variances, g²): σ_t = v^(1/2)
        lhs, rhs = lhs.base, rhs ** (1 / lhs.exp)
    lat = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if lat is not None and lat.base == "p" and lat.sub == "T" and lat.args and "|" not in lat.args and rhs.has(sp.exp):
        # p_T(x) = (2π)^{−D/2} exp(−‖x‖²/2): the prior's density, judged as its log-density
        lhs, rhs = sp.log(lhs), sp.expand_log(sp.log(rhs), force=True)
    lhs, rhs, alpha_note = vdm_alpha(p, lhs, rhs)
    if not alpha_note:
        lhs, rhs, alpha_note = vdm_sigma(p, lhs, rhs, hints)  # σ_t = f(t) in VDM's notation (cell_notation.py)
    if not alpha_note:
        lhs, rhs, alpha_note = ddim_alpha(p, lhs, rhs, hints)  # α_t = ∏(1 − β) in DDIM's notation (cell_notation.py)
    key, mode = _scalar_key(p, lhs, rhs)
    if key == "beta_tilde" and p.atoms[lhs].base == "σ":
        rhs = rhs ** 2  # the std σ_q against the variance β̃
    letter, koff = _index_of(p)
    if key == "logp_T" and rhs.has(sp.Sum):
        rhs = rhs.replace(lambda q: isinstance(q, sp.Sum), lambda q: _coordinate_sum(q, p))
    if key == "relation":
        return read_relation(p, lhs, rhs, hints)
    syms = rhs.free_symbols | (lhs.free_symbols if isinstance(lhs, sp.Basic) else set())
    fam = _family(p, syms)
    if key == "alpha_anneal":
        fam = "ve"
    claims = []
    errors = []
    for notation in _notations(p, syms, hints):
        r = C.Reading(mode, fam, notation, letter, koff)
        rr = rhs
        # norms: ||x||^2, ||z||, ||s||
        sub = {}
        for s_ in rhs.free_symbols:
            at = p.atoms.get(s_)
            if at is not None and at.base == "norm":
                arg = at.args[0] if at.args else ""
                if key == "logp_T":
                    sub[s_] = sp.sqrt(C.NORM_X2)
                elif "s" in arg or "score" in arg or "∇" in arg or "g" == arg.strip():
                    sub[s_] = C.NORM_S
                elif "z" in arg or "ε" in arg:
                    sub[s_] = C.NORM_Z
                else:
                    sub[s_] = sp.sqrt(C.NORM_X2)
            elif at is not None and key == "logp_T" and at.base in ("N", "D", "n") and not at.sub and at.args is None:
                sub[s_] = C.dim  # the dimension in a log-density (Song et al. 2021's code writes N)
            elif at is not None and at.base == "div":
                dv = divergence_symbol(at.args[0] if at.args else "f̃")
                if dv is None:
                    raise NotUnderstood(f"cannot read the field inside the divergence ∇·({at.args[0] if at.args else ''})")
                sub[s_] = _score_divergence(dv, key, r.family)
            elif at is not None and at.base == "p" and key == "logp_0":
                sub[s_] = C.LOGPT if at.sub == "T" else C.LOGP0
            elif at is not None and at.base == "π" and at.args and key == "logp_0":
                sub[s_] = C.LOGPT  # π(x(T)): the prior, p_T ≈ π (Song et al. 2021, Sec. 3.1; Song, Durkan et al. 2021, Eq. 8)
            elif at is not None and at.base == "ε" and key == "alpha_anneal":
                sub[s_] = C.lstep
            elif at is not None and at.base == "σ" and at.sub == "L":
                sub[s_] = sp.Symbol("σ_L", positive=True)
            elif at is not None and at.base == "α" and key == "eps_snr" and fam != "vp":
                r.family = "vp"
        rr = rhs.xreplace(sub)
        if key == "logp_0":
            rr = rr.xreplace({s_: 1 for s_ in rr.free_symbols if s_ in p.atoms and p.atoms[s_].base == "log"})
        if key == "eps_snr" and not any(p.atoms[s_].base == "α" for s_ in rhs.free_symbols if s_ in p.atoms):
            fam = r.family = "ve"
        try:
            rhs_c = _resolve_expr(rr, p, r)
        except NotUnderstood as err:
            errors.append(err)
            continue
        if key == "logp_0":
            rhs_c = rhs_c.xreplace({sp.log(C.LOGPT): C.LOGPT})
        if rhs_c.has(C.FT) or rhs_c.has(C.G):
            raise NotUnderstood("it uses f(t) (or g), defined elsewhere; give the formula with f written out")
        cl = Claim("scalar", r, lhs=key, rhs=rhs_c, parsed=p)
        cl.read_as = {"beta_tilde": "posterior variance β̃", "beta": "β_k from ᾱ", "beta(t)": "β schedule β(t)", "abar": "ᾱ_k",
                      "abar(t)": "ᾱ schedule ᾱ(t)", "sigma(t)": "noise level σ(t)", "s(t)": "EDM scale s(t)",
                      "sigma_eta": "DDIM σ_t(η)", "sigma_ho": "reverse-step std σ_t", "logp_T": "prior log-density", "logp_0": "likelihood (change of variables)",
                      "eps_snr": "Langevin step size (SNR rule)", "alpha_anneal": "annealed Langevin step size", "alpha": "α_k from β_k"}[key]
        if notation != "ddpm":
            cl.read_as += f", {notation.upper()} notation"
        if alpha_note:
            cl.read_as += ", α_t read as √ᾱ_t (VDM/DPM-Solver notation)"
            r.note(alpha_note)
        claims.append(cl)
    if not claims:
        raise errors[0]
    return claims
