"""Read a parsed formula as a claim: an SDE, a step (update / kernel / posterior), a scalar or a relation."""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import DT, DW, DWBAR, DX, NORMAL, Atom, Parsed
from .claim import (Claim, Declaration, NotUnderstood, _atom_from_text, _family, _index_of, _notations, _resolve_expr,
                    _split_sde, data_prediction_aside, data_prediction_score,
                    integral_up_to_state_time)
from .applied import differential_lhs
from .denoise_step import denoising_update
from .divergence import divergence_symbol
from .em_updates import time_subscript_coefficients
from .classify_more import read_logp_ode, read_prior, read_sde_part, solve_for_unknown
from .edm_reading import edm_read_as, is_denoiser, is_parameter_setting, sigma_as_time, unscaled_at_scaled
from .entry import Entry
from .cell_notation import ddim_alpha, su_mu_bar, vdm_sigma
from .chain_readings import beta_end_points, density_is_normal, markov_factorisation, noise_only_sample, vdm_alpha
from .mean_basis import is_posterior_arguments, posterior_mean_atom
from .relation_reader import read_relation
from .moments import read_moment
from .side_order import integral_as_derivative, named_side_first
from .step_size import step_size_symbols
from .classify_shapes import (_abar_at_same_index, _bare_beta_step, _coordinate_sum, _learned_covariance_only,
                              _score_divergence, _zero_mean_gaussian)

def _cancel_common_terms(p: Parsed) -> Parsed:
    """A term added to both ends of an equation cancels (∇log p_θ + ∇log p_φ(y|x) = −ε_θ/√(1−ᾱ) + ∇log p_φ(y|x),
    Dhariwal & Nichol 2021, Sec. 4.2, is the ε-to-score identity); both remainders must be non-zero."""
    if p.relation != "=":
        return p
    lhs, rhs = p.sides[0], p.sides[-1]
    left, right = list(sp.Add.make_args(lhs)), list(sp.Add.make_args(rhs))
    common = [q for q in left if q in right and not q.has(DX, DT, DW, DWBAR)]
    if not common or len(common) == len(left) or len(common) == len(right):
        return p
    for q in common:
        left.remove(q)
        right.remove(q)
    return Parsed(p.text, [sp.Add(*left), sp.Add(*right)], p.atoms, p.relation, list(p.issues))


def read_claim(p: Parsed, target: Optional[Entry], hints: Dict[str, str]) -> List[Claim]:
    """Read a parsed formula as a Claim (one per plausible notation reading)."""
    beta_end_points(p)
    p = noise_only_sample(p, C.is_state, C.is_noise_atom) or p  # x_T = σ_max z: x_T ∼ N(0, σ_max² I)
    if p.relation == "~" and density_is_normal(p):
        # q(x_t | x_0) ∼ N(x_t; μ, Σ) (Luo 2022, Eq. 70): "∼" between a density and a Gaussian means "is"
        p = Parsed(p.text, p.sides, p.atoms, "=", list(p.issues))
    if p.relation == "~":
        lhs, rhs = p.sides[0], p.sides[-1]
        if isinstance(lhs, sp.Symbol) and lhs in p.atoms and C.is_noise_atom(p.atoms[lhs]):
            raise Declaration()
        if not rhs.has(NORMAL):
            rat = p.atoms.get(rhs) if isinstance(rhs, sp.Symbol) else None
            if rat is not None and (rat.base in ("p", "q", "π") or "data" in rat.sub):
                raise Declaration()  # x_0 ~ q_0(x_0), x(0) ~ p_data: where a variable is drawn from, nothing to check
            raise NotUnderstood("'~' needs a Gaussian N(mean, cov) on the right")
        nrm = [q for q in rhs.atoms(sp.Function) if q.func == NORMAL][0]
        prior = read_prior(p, lhs, nrm)
        if prior:
            return prior
        z = sp.Symbol("z_N", real=True)  # the fresh noise of x ~ N(mean, cov): x = mean + √cov z
        p.atoms[z] = Atom("z", sub="N")
        cov = nrm.args[2].xreplace({s_: 1 for s_ in nrm.args[2].free_symbols if s_ in p.atoms and p.atoms[s_].base == "I"})
        return _read_step(p, lhs, nrm.args[1] + sp.sqrt(cov) * z, target, hints, normal=True)
    if len(p.sides) < 2:
        raise NotUnderstood("not an equation (nothing to check)")
    if markov_factorisation(p):
        # q(x_{1:T} | x_0) = ∏_t q(x_t | x_{t−1}), p_θ(x_{0:T}) = p(x_T) ∏_t p_θ(x_{t−1} | x_t) (Ho et al. 2020, Eq. 1-2):
        # the definition of a chain's joint density by its steps, nothing to check
        raise Declaration()
    p = _cancel_common_terms(p)
    p = sigma_as_time(p)  # dx/dσ = F(x, σ) is dx/dt = σ̇(t) F(x, σ(t)) (EDM)
    p = integral_as_derivative(p) or p  # ∫_0^t β(s) ds = G(t): β(t) = G′(t) with G(0) = 0 (side_order.py)
    p = named_side_first(p) or p  # expression = μ̃_t(…), λ² = β̃ = …: the named side first (side_order.py)
    solved = solve_for_unknown(p)
    if solved is not None:
        p = solved
    denoised = denoising_update(p)  # x ← x + σ² s_θ(x, σ): Tweedie's denoising step, read as D(x; σ) = …
    if denoised is not None:
        p = denoised
    moment = (read_moment(p, p.sides[0], p.sides[-1]) or read_sde_part(p, p.sides[0], p.sides[-1])
              or read_logp_ode(p, p.sides[0], p.sides[-1]))
    if moment:
        return moment
    syms = set().union(*[s_.free_symbols for s_ in p.sides])
    lhs, rhs = p.sides[0], p.sides[-1]
    if (len(p.sides) == 2 and isinstance(lhs, sp.Symbol) and lhs in p.atoms and not rhs.free_symbols
            and re.fullmatch(r"\d+|[NTLKM]", p.atoms[lhs].sub or "") and p.atoms[lhs].args is None):
        # a value at one end of a sequence (σ_N = 0, ᾱ_0 = 1, β_T = 0.02): a convention of the paper, nothing to check
        raise Declaration()
    if len(p.sides) == 2 and is_parameter_setting(p, lhs, rhs):  # β_d = 19.9, σ_max = 80: a choice, nothing to check
        raise Declaration()
    if syms & {DX, DT, DW, DWBAR} or any(isinstance(q, sp.Function) and q.func.__name__ == "d" for s_ in p.sides for q in s_.atoms(sp.Function)):
        return _read_sde(p, hints)
    if any(s_.has(NORMAL) for s_ in p.sides):
        nrm = [q for s_ in p.sides for q in s_.atoms(sp.Function) if q.func == NORMAL][0]
        if nrm not in p.sides:  # log N(x; 0, I) = …, N(…)·c: an expression of a density, not "distributed as"
            raise NotUnderstood("a Gaussian density inside an expression (only p(·) = N(·) reads as a kernel or prior)")
        prior = read_prior(p, lhs, nrm)
        if prior:
            return prior
        y, mean, cov = nrm.args
        model = [p.atoms[q].name for q in (mean.free_symbols | cov.free_symbols)
                 if q in p.atoms and p.atoms[q].base in ("μ", "Σ") and "θ" in p.atoms[q].sub]
        if model and _learned_covariance_only(p, mean, cov):
            # p_θ(x_{t−1} | x_t) = N(x_{t−1}; μ written out, Σ_θ(x_t, t)): the mean is the model's, checked as μ_θ (Ho et al.
            # 2020, Eq. 11); the covariance is learned (Nichol & Dhariwal 2021, Sec. 3.1), free, and said so
            mu = sp.Symbol("μ_θ(x_t, t)", real=True)
            p.atoms[mu] = Atom("μ", sub="θ", args=("x_t", "t"))
            hints = dict(hints, learned_cov="the covariance Σ_θ is learned (Nichol & Dhariwal 2021, Sec. 3.1): only the "
                         "mean is checked, as μ_θ")
            return _read_step(p, mu, mean, target, hints)
        if model:
            raise NotUnderstood(f"a definition of the model's reverse kernel ({', '.join(sorted(model))} are what the network "
                                "outputs): nothing to check until they are written out")
        if y == sp.Symbol("_"):
            # q(x_t | x_0) = N(mean, cov): the variable is the first argument of the density
            dens = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
            if dens is None or not dens.args:
                raise NotUnderstood("N(mean, cov) without the variable it is the density of")
            y = sp.Symbol(dens.args[0], real=True)
            p.atoms[y] = _atom_from_text(dens.args[0])
        z = sp.Symbol("z_N", real=True)
        p.atoms[z] = Atom("z", sub="N")
        cov = cov.xreplace({s_: 1 for s_ in cov.free_symbols if s_ in p.atoms and p.atoms[s_].base == "I"})
        return _read_step(p, y, mean + sp.sqrt(cov) * z, target, hints, normal=True)
    su_mu_bar(p, lhs, hints)  # Su's μ̄(x_t) is his estimate of x̂_0 (cell_notation.py)
    if isinstance(lhs, sp.Symbol) and posterior_mean_atom(p.atoms.get(lhs)) is not None:  # m_t(x_0, x_t): μ̃_t (mean_basis.py)
        p.atoms[lhs] = posterior_mean_atom(p.atoms[lhs])
    lat = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if lat is not None and (C.is_state(lat) and not (lat.sub == "0" or lat.deco == "hat") or lat.base == "μ"):
        if lat.base != "μ" and not any(C.is_state(a) or a.base == "μ" for s_, a in p.atoms.items() if s_ in rhs.free_symbols):
            raise NotUnderstood("an equation for x without any state on the right")
        return _read_step(p, lhs, rhs, target, hints)
    return _read_scalar(p, lhs, rhs, target, hints)


def _read_sde(p: Parsed, hints) -> List[Claim]:
    lhs, rhs = p.sides[0], p.sides[-1]
    for mid in p.sides[1:-1]:
        if isinstance(mid, sp.Symbol) and mid in p.atoms and p.atoms[mid].args:
            continue  # dx/dt = h_θ(x_t, t) := …: a name given to the right side (Lu et al. 2022a, Eq. 2.5), not judged
        if not (mid == DX or (isinstance(mid, sp.Function) and mid.func.__name__ == "d")):
            raise NotUnderstood("a chained equation whose middle part is not a differential")
    lhs = differential_lhs(lhs, p)  # d(x) is dx; d(F x) with a stray F: Meaningless (applied.py)
    drift, diff, noise = _split_sde(lhs, rhs)
    drift, diff = unscaled_at_scaled(p, drift), unscaled_at_scaled(p, diff)  # EDM Eq. 4: p(x; σ) is not p(x/s(t); σ)
    syms = drift.free_symbols | diff.free_symbols
    fam = _family(p, syms)
    # a notation the claim states (DPM-Solver / VDM: σ_t = √(1 − ᾱ_t), the marginal std) reads σ_t and α_t the same way
    # in the formula as in the ε → score conversion below
    notation = hints.get("notation") if hints.get("notation") in ("vdm", "ddim") else "ddpm"
    r = C.Reading("continuous", fam, notation, "t", 0, noise_in_drift=True)
    out = []
    drift_c = data_prediction_score(_resolve_expr(data_prediction_aside(drift, p), p, r), fam, notation)
    diff_c = _resolve_expr(diff, p, r)
    if drift_c.has(C.e):
        # eps-parameterised score: s = -eps / sqrt(1 - abar(t)) (Ho et al. 2020, Eq. 11; Song et al. 2021, Eq. 7)
        # in σ(t) alone (VE, EDM's D = x − σ ε_θ; not VDM's σ_t = √(1 − ᾱ_t)): s = −ε/σ(t) (Song et al. 2021, App. C; Karras et al. 2022, Table 1 VP/VE c_out)
        std = C.SIGMA(C.t) if fam == "ve" and notation == "ddpm" else sp.sqrt(1 - C.abar_c())
        drift_c = drift_c.xreplace({C.e: -std * C.s})
    cl = Claim("sde", r, drift=sp.expand(drift_c), diff2=sp.expand(diff_c**2), noise=noise, parsed=p)
    cl.read_as = f"{'reverse-time ' if (noise == 'dwbar' or drift_c.has(C.s)) else 'forward '}{'ODE' if noise is None else 'SDE'}"
    cl.read_as += {"vp": ", VP/DDPM (β)", "ve": ", VE/SMLD (σ)", "generic": ", general (f, g)"}[fam]
    cl.read_as = edm_read_as(cl.read_as, cl.drift, cl.diff2, noise)
    out.append(cl)
    return out


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
