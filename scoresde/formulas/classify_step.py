"""Read a step claim (mean and noise variance) from an update x_{k−1} = f(x_k, …) + std·z; a kernel x ∼ N(m, Σ) or
a posterior mean reaches it rewritten as one (a hook of :func:`scoresde.formulas.classify.read_claim`)."""
from __future__ import annotations

from typing import Dict, List, Optional

import sympy as sp

from . import canon as C
from .atoms import Atom, Parsed
from .claim import Claim, NotUnderstood, _family, _index_of, _notations, _resolve_expr, integral_up_to_state_time
from .em_updates import time_subscript_coefficients
from .entry import Entry
from .mean_basis import is_posterior_arguments
from .step_size import step_size_symbols
from .classify_shapes import _bare_beta_step


def _nonlinear_in(ex: sp.Expr, n: sp.Symbol) -> bool:
    if not ex.has(n):
        return False
    c = ex.coeff(n)
    return sp.expand(ex - c * n).has(n) or c.has(n)


def _tidy(var: sp.Expr) -> sp.Expr:
    """The noise variance, simplified unless it holds an integral (ᾱ(t) = e^{−∫β}: simplify costs a second there, and
    the comparisons are numeric anyway)."""
    return var if var.has(sp.Integral) else sp.simplify(var)


def _complete_langevin(p: Parsed, rhs: sp.Expr) -> bool:
    """Whether an in-place update's right side holds a model output (score or ε_θ) and one fresh noise."""
    ats = [p.atoms[q] for q in rhs.free_symbols if q in p.atoms]
    model = any(C.is_score(a) or C.is_model_eps(a) for a in ats)
    if any(a.base == "f" and a.args is not None for a in ats):
        return False  # the SDE's drift f(x, t) makes it a predictor (Euler–Maruyama) step, not a Langevin corrector
    return model and sum(1 for a in ats if C.is_noise_atom(a) and a.base != "ε") == 1


def _read_step(p: Parsed, lhs: sp.Expr, rhs: sp.Expr, target: Optional[Entry], hints, normal: bool = False) -> List[Claim]:
    lat = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if lat is None:
        raise NotUnderstood("the left side is not a single state or mean")
    letter, koff = _index_of(p)
    plain_x = [q for q in rhs.free_symbols if q in p.atoms and C.is_state(p.atoms[q]) and not p.atoms[q].sub
               and p.atoms[q].args is None and p.atoms[q].deco == ""]
    if lat.deco == "tilde" and C.is_state(lat) and not lat.sub and plain_x:
        # SMLD's perturbed data x~ = x + sigma z (Song & Ermon 2019, Sec. 4.1): x is the data x_0
        l_at, d_at = Atom("x", sub=letter), Atom("x", sub="0")
        ls, ds = sp.Symbol(l_at.name, real=True), sp.Symbol(d_at.name, real=True)
        p.atoms[ls], p.atoms[ds] = l_at, d_at
        rhs = rhs.xreplace({q: ds for q in plain_x})
        lhs, lat = ls, l_at
    if C.is_state(lat) and lat.sub and lhs in rhs.free_symbols and _complete_langevin(p, rhs):
        # x_i ← x_i + ε_i s_θ(x_i, i) + √(2ε_i) z (Song et al. 2021, Alg. 4-5, the corrector): the model and fresh noise
        # make it a whole step at the fixed noise level i, the iteration x_i^m = f(x_i^{m−1}) over an inner index
        inner, orig = next(c for c in "mjn" if c != letter), lat.name
        new_l, new_r = Atom(lat.base, lat.deco, inner), Atom(lat.base, lat.deco, f"{inner}-1")
        sl, sr = sp.Symbol(new_l.name, real=True), sp.Symbol(new_r.name, real=True)
        p.atoms[sl], p.atoms[sr] = new_l, new_r
        rhs = rhs.xreplace({lhs: sr})
        lhs, lat = sl, new_l
        letter, koff = inner, 0
        hints = dict(hints, inplace=f"the in-place update {orig} ← f({orig}) read as the inner iteration "
                     f"x^{inner} = f(x^{inner}−1) at a fixed noise level")
    if C.is_state(lat) and (lat.sub or lat.args is not None) and lhs in rhs.free_symbols:
        # x_i ← x_i + …: an in-place update of an indexed state continues another line of its algorithm (Song et al.
        # 2021, Alg. 2-3 add the noise to x_i' after the predictor's mean); alone it is not a step of any chain
        raise NotUnderstood(f"{lat.name} on both sides: an in-place update that continues another line of its algorithm")
    if C.is_state(lat) and not lat.sub and lat.args is None and lhs in rhs.free_symbols and any(
            p.atoms[q].sub and p.atoms[q].base in ("α", "β", "σ") or p.atoms[q].base in ("Δt", "Δ")
            for q in rhs.free_symbols if q in p.atoms) or _bare_beta_step(p, lhs, rhs):
        # indexed schedules or a time step Δt: a step of a sampler
        # an in-place update in code, x = f(x): read as x_{t-1} = f(x_t)
        new_l, new_r = Atom(lat.base, sub=f"{letter}-1"), Atom(lat.base, sub=letter)
        sl, sr = sp.Symbol(new_l.name, real=True), sp.Symbol(new_r.name, real=True)
        p.atoms[sl], p.atoms[sr] = new_l, new_r
        rhs = rhs.xreplace({lhs: sr})
        lhs, lat = sl, new_l
        hints = dict(hints, inplace=f"the in-place update x = f(x) read as x_{{{letter}-1}} = f(x_{letter})")
    syms = rhs.free_symbols | {lhs}
    fam = _family(p, syms)
    # N in a step is the number of steps, a constant (Song et al. 2021, App. B: β̄_i = Nβ_i)
    rhs = rhs.xreplace({q: C.n_steps for q in rhs.free_symbols if q in p.atoms and p.atoms[q].base == "N"
                        and not (p.atoms[q].sub or p.atoms[q].deco or p.atoms[q].args is not None)})
    mode = "discrete"
    if lat.args is not None and lat.args[:1] == ("t",) or (C.is_state(lat) and not lat.sub and lat.args is None) \
            or integral_up_to_state_time(p, lat, (rhs,)):
        mode = "continuous"
    if target is not None and target.mode == "continuous":
        mode = "continuous"
    time_subscript_coefficients(p, syms)  # Su's f_t(x_t), g_t beside Δt, MIT's h u_t(X_t) σ_t: f(x, t), g(t) (em_updates.py)
    if any(p.atoms[s_].base == "Δt" or p.atoms[s_].base == "Δ" for s_ in syms if s_ in p.atoms):
        mode = "discrete"
    claims = []
    for notation in _notations(p, syms, hints):
        r = C.Reading(mode, fam, notation, letter, koff)
        if lat.base == "μ":
            # μ̃_t(x_t, x_0), or any μ of (x_t, x_0) (Luo 2022, Eq. 84 μ_q): the posterior's mean; else the model's
            lhs_key = "mu_tilde" if lat.deco == "tilde" or is_posterior_arguments(lat.args) else "mu_theta"
        else:
            lhs_c = C.resolve(lat, r)
            lhs_key = {C.x_prev: "x_prev", C.x_cur: "x_cur", C.x: "x"}.get(lhs_c)
            if lhs_key is None:
                raise NotUnderstood(f"cannot tell which step {lat.name} is")
        rhs = step_size_symbols(rhs, p, r)  # δ, c, τ scaling the score and the noise: the step size
        rhs_c = _resolve_expr(rhs, p, r)
        noises = [n for n in rhs_c.free_symbols if n.name.startswith("z[")]
        ex = sp.expand(rhs_c)
        # a noise symbol that enters nonlinearly is a step size (Langevin's epsilon)
        for n in list(noises):
            if _nonlinear_in(ex, n):
                rhs_c = rhs_c.xreplace({n: C.lstep})
                ex = sp.expand(rhs_c)
                noises.remove(n)
                r.note(f"{n.name[2:-1]} read as the Langevin step size")
        # eps without theta next to another fresh noise: read as the noise prediction
        noises = [n for n in rhs_c.free_symbols if n.name.startswith("z[")]
        if lhs_key in ("mu_tilde", "mu_theta") and len(noises) == 1 and "ε" in noises[0].name:
            # a mean has no fresh noise: its ε is the noise of x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε (Ho et al. 2020, Eq. 10;
            # Luo 2022, Eq. 124), or the model's prediction of it (Eq. 11)
            rhs_c = rhs_c.xreplace({noises[0]: C.e})
            r.note(f"{noises[0].name[2:-1]} in a mean read as the noise of x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε (Ho et al. 2020, Eq. 10)")
            noises = []
        if len(noises) > 1:
            epsn = [n for n in noises if "ε" in n.name]
            if len(epsn) == 1 and len(noises) == 2:
                rhs_c = rhs_c.xreplace({epsn[0]: C.e})
                r.note(f"{epsn[0].name[2:-1]} read as the noise prediction ε_θ (the other noise is the fresh one)")
                noises = [n for n in noises if n != epsn[0]]
        ex = sp.expand(rhs_c)
        basis = [C.x_cur, C.x_prev, C.x0, C.s, C.e, C.FX, C.x, C.FD, C.FDp, C.SY]  # SY: a guided step's ∇log p_t(y|x)
        mean: Dict[sp.Symbol, sp.Expr] = {}
        for bsym in basis:
            c = ex.coeff(bsym)
            if c != 0:
                if c.has(*basis) or c.has(*noises):
                    raise NotUnderstood("a term that is not linear in the state, the model output and the noise")
                mean[bsym] = c
        var = sp.Integer(0)
        for n in noises:
            c = ex.coeff(n)
            if c.has(*noises):
                raise NotUnderstood("products of noises")
            var += c**2
        rest = sp.expand(ex - sum(c * bs for bs, c in mean.items()) - sum(ex.coeff(n) * n for n in noises))
        if rest != 0:
            mean[sp.Integer(1)] = rest
        cl = Claim("step", r, lhs=lhs_key, mean=mean, var=_tidy(var) if noises else None, parsed=p)
        cl.uses_eps = C.e in mean
        # raw coefficients (for "uses X where Y is needed")
        raw = sp.expand(rhs)
        for s_, at in p.atoms.items():
            if s_ in rhs.free_symbols:
                cval = C.resolve(at, r.copy())
                if cval in (C.x_cur, C.x_prev, C.x0, C.s, C.e, C.x, C.FX):
                    cl.raw_basis[cval] = s_
                    cl.raw_mean[cval] = raw.coeff(s_)
                elif C.is_noise_atom(at):
                    cl.raw_noise = raw.coeff(s_) if cl.raw_noise is None else None
        src = {"x_prev": "x_k → x_{k−1} (reverse step)", "x_cur": "x_{k−1} → x_k (forward step)", "x": "x(0) → x(t) (kernel)",
               "mu_theta": "reverse mean μ_θ", "mu_tilde": "posterior mean μ̃"}[lhs_key]
        if lhs_key == "x_cur" and C.x0 in mean and C.x_prev not in mean:
            src = "x_0 → x_k (marginal q(x_k | x_0))"
        if lhs_key == "x_cur" and C.s in mean:
            src = "x_{k−1} → x_k with the score (Langevin step)"
        elif lhs_key == "x_cur" and C.e in mean and C.x_prev in mean:
            # x_{t_i} from x_{t_{i−1}} with ε_θ (Lu et al. 2022, Alg. 1; Karras et al. 2022, Alg. 1): the index counts
            # sampling steps from t_0 = T down, so this is a sampler's step between two times, not a forward step
            raise NotUnderstood(f"{lat.name} from the step before it with the model's ε_θ: a sampler whose index counts "
                                "down from t_0 = T, not a forward step")
        cl.read_as = src + {"vp": ", DDPM/VP (β, ᾱ)", "ve": ", SMLD/VE (σ_k)", "generic": ""}[fam]
        for key in ("inplace", "learned_cov"):
            if hints.get(key):
                r.note(hints[key])
        if notation != "ddpm":
            cl.read_as += f", {notation.upper()} notation (α_t = " + ("ᾱ_t" if notation == "ddim" else "√ᾱ_t") + ")"
        claims.append(cl)
    return claims
