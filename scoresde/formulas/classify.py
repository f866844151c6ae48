"""Read a parsed formula as a claim: an SDE, a step (update / kernel / posterior), a scalar or a relation."""
from __future__ import annotations

import re
from typing import Dict, List, Optional

import sympy as sp

from . import canon as C
from .atoms import DT, DW, DWBAR, DX, NORMAL, Atom, Parsed
from .claim import (Claim, Declaration, NotUnderstood, _atom_from_text, _family, _resolve_expr, _split_sde,
                    data_prediction_aside, data_prediction_score)
from .applied import differential_lhs
from .denoise_step import denoising_update
from .classify_more import read_logp_ode, read_prior, read_sde_part, solve_for_unknown
from .edm_reading import edm_read_as, is_parameter_setting, sigma_as_time, unscaled_at_scaled
from .entry import Entry
from .cell_notation import su_mu_bar
from .chain_readings import beta_end_points, density_is_normal, markov_factorisation, noise_only_sample
from .mean_basis import posterior_mean_atom
from .moments import read_moment
from .side_order import integral_as_derivative, named_side_first
from .classify_shapes import _learned_covariance_only
from .classify_scalar import _read_scalar
from .classify_step import _read_step

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

