"""The registry: named, cited formulas in sympy, each tied to the SDE objects of the core.

Every entry carries its source (paper + equation), a sympy form in the canonical symbols of
:mod:`scoresde.formulas.canon`, a LaTeX rendering (parsed and checked against the entry by the
tests, so the parser and the registry agree) and a ``tie``: a numeric check of the sympy form
against the package's implementation (``VPSDE.marginal_prob``, ``sde.chain(N)``,
``scoresde.params.convert``, ...). ``scoresde verify --builtin`` runs every tie, so registry and
implementation cannot drift apart.

Kinds:
* ``sde``      dx = drift dt + g dw (or dw̄ / no noise): ``drift``, ``diff2`` (= g²), ``noise``;
* ``step``     lhs = sum_j c_j basis_j + noise, basis among x_cur (x_k), x_prev (x_{k-1}), x0, s, f(x,t):
               ``mean`` {basis: coeff}, ``var`` (noise variance, list of admissible choices or None);
* ``scalar``   lhs-quantity = ``rhs``;
* ``relation`` a linear identity among x, x0, eps, score, v: ``lhs`` symbol = ``rhs``;
* ``langevin`` any x + c s + sqrt(2c) z (the Langevin rule var = 2 x score coefficient).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import sympy as sp
import torch

from . import canon as C

__all__ = ["Entry", "REGISTRY", "get", "entries", "run_ties"]


@dataclass
class Entry:
    name: str
    title: str
    source: str
    kind: str  # "sde", "step", "scalar", "relation", "langevin"
    family: str  # "vp", "subvp", "ve", "generic"
    latex: str
    relation: str  # how the entry is tied to the SDE objects
    direction: str = ""  # sde: forward/reverse/pf; step: forward/reverse/kernel/posterior/mean
    mode: str = "discrete"  # reading mode for claims of this entry
    # sde
    drift: Optional[sp.Expr] = None
    diff2: Optional[sp.Expr] = None
    noise: Optional[str] = None  # "dw", "dwbar", None
    # step
    lhs: str = ""  # step: "x_prev", "x_cur", "x", "mu_theta", "mu_tilde"; scalar: quantity key; relation: symbol name
    mean: Dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    var: Optional[List[sp.Expr]] = None
    var_names: Optional[List[str]] = None
    free: Tuple[sp.Symbol, ...] = ()  # free parameters fixed by the claim (DDIM's sigma_t)
    # scalar / relation
    rhs: Optional[sp.Expr] = None
    tie: Optional[Callable[["Entry"], Tuple[bool, str]]] = None
    numeric: Optional[str] = None  # "vp" / "ve": the step can be run as a sampler
    exact_target: Optional[str] = None  # for a non-exact discretisation: the exact step of the same family

    def forms(self) -> Dict[str, sp.Expr]:
        """The sympy pieces that define the entry (what the perturbation tests perturb)."""
        out: Dict[str, sp.Expr] = {}
        if self.kind == "sde":
            out["drift"] = self.drift
            out["diff2"] = self.diff2
        elif self.kind in ("step", "langevin"):
            for k, val in self.mean.items():
                out["mean:" + k.name] = val
            if self.var:
                out["var"] = self.var[0]
        else:
            out["rhs"] = self.rhs
        return out

    def with_forms(self, forms: Dict[str, sp.Expr]) -> "Entry":
        """A copy with some sympy pieces replaced (used to perturb entries in tests)."""
        import copy

        new = copy.copy(self)
        new.mean = dict(self.mean)
        new.var = list(self.var) if self.var else self.var
        for k, val in forms.items():
            if k == "drift":
                new.drift = val
            elif k == "diff2":
                new.diff2 = val
            elif k == "rhs":
                new.rhs = val
            elif k == "var":
                new.var = [val]
            elif k.startswith("mean:"):
                key = next(s for s in self.mean if s.name == k[5:])
                new.mean[key] = val
        return new


# ============================================================================ numeric helpers
_f64 = torch.float64


def _vp(**kw):
    from ..sde import VPSDE

    return VPSDE(**kw)


def _ve(**kw):
    from ..sde import VESDE

    return VESDE(**kw)


def _subvp(**kw):
    from ..sde import subVPSDE

    return subVPSDE(**kw)


def _close(a, b, tol=1e-9) -> bool:
    a = torch.as_tensor(a, dtype=_f64)
    b = torch.as_tensor(b, dtype=_f64)
    return bool(torch.allclose(a, b, rtol=tol, atol=tol))


def _schedule_subs(expr: sp.Expr, sde) -> sp.Expr:
    """Replace beta(.), sigma(.), f(.), g(.) by the closed forms of ``sde`` (its T and parameters)."""
    from ..sde import VESDE, VPSDE, CosineVPSDE

    T = sde.T
    if isinstance(sde, CosineVPSDE):
        c = math.pi / (2 * (1 + sde.s))
        beta = sp.Lambda(C.U, 2 * c * sp.tan((C.U + sde.s) * c))
    elif isinstance(sde, VPSDE):
        beta = sp.Lambda(C.U, sde.beta_min + (sde.beta_max - sde.beta_min) * C.U / T)
    else:
        beta = None
    out = expr
    if beta is not None:
        out = out.replace(C.BETA, beta)
    if isinstance(sde, VESDE):
        sigma = sp.Lambda(C.U, sde.sigma_min * (sp.Float(sde.sigma_max) / sde.sigma_min) ** (C.U / T))
        out = out.replace(C.SIGMA, sigma)
    out = out.subs({C.T: T})
    return out


def _ev(expr: sp.Expr, subs: dict) -> float:
    val = sp.N(expr.subs(subs).doit(), 30)
    return float(val)


_TIMES = (0.05, 0.3, 0.71, 0.97)


def _points(sde) -> List[float]:
    return [tt * sde.T for tt in _TIMES]


# ============================================================================ ties
def tie_forward_general(entry: Entry) -> Tuple[bool, str]:
    """For every registered SDE: sde() returns (f(t) x, g(t)) with f = d log m/dt, g² = ds²/dt − 2 f s²."""
    from ..sde import SDES

    worst = 0.0
    for name, ctor in SDES.items():
        sde = ctor()
        x = torch.tensor([0.7, -1.3], dtype=_f64)
        for tt in _points(sde):
            t = torch.tensor(tt, dtype=_f64)
            drift, g = sde.sde(x, t)
            dh = 1e-6
            f_fd = float((sde.log_mean_coeff(t + dh) - sde.log_mean_coeff(t - dh)) / (2 * dh))
            s2 = lambda u: sde.marginal_var(torch.tensor(u, dtype=_f64))  # noqa: E731
            ds2 = float((s2(tt + dh) - s2(tt - dh)) / (2 * dh))
            g2_fd = ds2 - 2 * f_fd * float(s2(tt))
            fx = _ev(entry.drift.subs({C.FX: sp.Float(f_fd) * C.x}), {C.x: 1.0})
            worst = max(worst, abs(float(drift[0]) / 0.7 - fx) / (1 + abs(fx)))
            g2 = _ev(entry.diff2.subs({C.G(C.t): sp.sqrt(sp.Float(g2_fd))}), {})
            worst = max(worst, abs(float(g[0]) ** 2 - g2) / (1 + abs(g2)))
    return worst < 1e-5, f"max relative deviation {worst:.1e} over {len(SDES)} SDEs (finite differences of log m, s²)"


def _sde_of(family: str):
    return {"vp": _vp, "subvp": _subvp, "ve": _ve}[family]()


def tie_sde(entry: Entry) -> Tuple[bool, str]:
    """Drift and g² of the entry vs LinearSDE.sde / ReverseSDE.sde with an exact mixture score."""
    from ..analytic import GaussianMixture

    fams = ["vp", "subvp", "ve"] if entry.family == "generic" else [entry.family]
    mix = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
    worst = 0.0
    for fam in fams:
        sde = _sde_of(fam)
        drift_e = entry.drift
        diff2_e = entry.diff2
        if entry.family == "generic":
            drift_e = drift_e.subs({C.FX: C.FT(C.t) * C.x})
        xval = torch.tensor([[0.8]], dtype=_f64)
        for tt in _points(sde):
            t = torch.tensor([tt], dtype=_f64)
            score = float(mix.score(xval, sde, t))
            if entry.direction == "forward":
                d_pkg, g_pkg = sde.sde(xval, t)
            else:
                rev = sde.reverse(mix.score_fn(sde), probability_flow=entry.direction == "pf")
                d_pkg, g_pkg = rev.sde(xval, t)
            f_t = float(sde.drift_coeff(t))
            g2_t = float(sde.diffusion_sq(t))
            subs = {C.FT(C.t): f_t, C.G(C.t): math.sqrt(g2_t), C.x: 0.8, C.s: score, C.t: tt}
            de = _ev(_schedule_subs(drift_e, sde).subs({C.FT(C.t): f_t, C.G(C.t): math.sqrt(g2_t)}), subs)
            ge = _ev(_schedule_subs(diff2_e, sde).subs({C.G(C.t): math.sqrt(g2_t)}), subs)
            worst = max(worst, abs(float(d_pkg.flatten()[0]) - de) / (1 + abs(de)))
            worst = max(worst, abs(float(g_pkg.flatten()[0]) ** 2 - ge) / (1 + abs(ge)))
    what = "ReverseSDE.sde" if entry.direction != "forward" else "LinearSDE.sde"
    return worst < 1e-7, f"{what} of {', '.join(fams)} at {len(_TIMES)} times: max relative deviation {worst:.1e}"


def tie_kernel_continuous(entry: Entry) -> Tuple[bool, str]:
    """Mean coefficient and variance vs LinearSDE.marginal_prob."""
    sde = _sde_of(entry.family)
    worst = 0.0
    x0 = torch.tensor([1.0], dtype=_f64)
    for tt in _points(sde):
        mean, std = sde.marginal_prob(x0, torch.tensor(tt, dtype=_f64))
        m_e = _ev(_schedule_subs(entry.mean[C.x0], sde), {C.t: tt})
        v_e = _ev(_schedule_subs(entry.var[0], sde), {C.t: tt})
        worst = max(worst, abs(float(mean[0]) - m_e), abs(float(std[0]) ** 2 - v_e) / (1 + v_e))
    return worst < 1e-9, f"marginal_prob of {type(sde).__name__} at {len(_TIMES)} times: max deviation {worst:.1e}"


def _vp_chain(N=50):
    sde = _vp()
    return sde, sde.chain(N)


def _ve_chain(N=50):
    sde = _ve()
    return sde, sde.chain(N)


def _step_subs_vp(chain, i: int) -> dict:
    beta = float(chain.betas[i - 1])
    abar = float(chain.alphas_bar[i])
    abar_p = float(chain.alphas_bar[i - 1])
    return {C.b: beta, C.a: abar, C.ap: abar_p}


def _step_subs_ve(chain, i: int) -> dict:
    sig = chain.sigmas
    return {C.S: float(sig[i]), C.Sp: float(sig[i - 1])}


def tie_chain(entry: Entry) -> Tuple[bool, str]:
    """Forward step / kernel coefficients vs sde.chain(N) (a_i, b_i, m_i, s_i)."""
    vp = entry.family == "vp"
    sde, chain = _vp_chain() if vp else _ve_chain()
    worst = 0.0
    for i in (1, 2, 17, chain.N):
        sub = _step_subs_vp(chain, i) if vp else _step_subs_ve(chain, i)
        if entry.lhs == "x_cur" and C.x_prev in entry.mean:  # one step
            a_e = _ev(entry.mean[C.x_prev], sub)
            b2_e = _ev(entry.var[0], sub)
            worst = max(worst, abs(a_e - float(chain.a[i - 1])), abs(b2_e - float(chain.b[i - 1]) ** 2))
        else:  # kernel q(x_i | x_0)
            m_e = _ev(entry.mean[C.x0], sub)
            s2_e = _ev(entry.var[0], sub)
            worst = max(worst, abs(m_e - float(chain.m[i])), abs(s2_e - float(chain.s[i]) ** 2))
    if vp:  # the chain's abar really is the product of alphas
        worst = max(worst, float((torch.cumprod(chain.alphas, 0) - chain.alphas_bar[1:]).abs().max()))
    return worst < 1e-9, f"{type(sde).__name__}.chain(50): max deviation {worst:.1e}"


def _posterior_numeric(chain, i: int, x: float, x0: float, vp: bool):
    """q(x_{i-1} | x_i, x_0) by Gaussian conditioning of the chain (Bishop 2006, Eq. 2.116)."""
    m_prev, s_prev = float(chain.m[i - 1]), float(chain.s[i - 1])
    a_i, b_i = float(chain.a[i - 1]), float(chain.b[i - 1])
    prior_mean, prior_var = m_prev * x0, s_prev**2
    if prior_var == 0:
        return x0 * m_prev, 0.0
    prec = 1 / prior_var + a_i**2 / b_i**2
    var = 1 / prec
    mean = var * (prior_mean / prior_var + a_i * x / b_i**2)
    return mean, var


def tie_reverse_step(entry: Entry) -> Tuple[bool, str]:
    """Reverse-step coefficients vs the chain: reverse diffusion from sde.discretize (x − f + G² s + G z);
    ancestral / posterior / DDIM from Gaussian conditioning of sde.chain(N) with x̂₀ from params.tweedie."""
    from ..params import convert, tweedie

    vp = entry.family == "vp"
    sde, chain = _vp_chain() if vp else _ve_chain()
    worst = 0.0
    xv, sv = 0.37, -0.81
    for i in (2, 9, 30, chain.N):
        sub = _step_subs_vp(chain, i) if vp else _step_subs_ve(chain, i)
        ti = float(chain.times[i])
        xt = torch.tensor([xv], dtype=_f64)
        st = torch.tensor([sv], dtype=_f64)
        sub.update({C.x_cur: xv, C.s: sv})
        if entry.name.endswith("reverse_diffusion"):
            f, G = sde.discretize(xt, torch.tensor(ti, dtype=_f64), N=chain.N)
            ref_mean = float(xt - f + G**2 * st)
            ref_var = float(G) ** 2
        else:
            x0hat = float(tweedie(xt, st, torch.tensor(ti, dtype=_f64), sde))
            ref_mean, ref_var = _posterior_numeric(chain, i, xv, x0hat, vp)
            if entry.name == "ddim.step":
                eps = float(convert(st, "score", "eps", xt, torch.tensor(ti, dtype=_f64), sde))
                ap_ = float(chain.alphas_bar[i - 1])
                ref_mean = math.sqrt(ap_) * x0hat + math.sqrt(1 - ap_) * eps  # sigma = 0
                ref_var = 0.0
                sub[C.sig] = 0.0
            elif entry.var and entry.name in ("vp.ancestral", "ddpm.mu_theta"):
                ref_var = float(chain.betas[i - 1]) if entry.name == "vp.ancestral" else None
            if C.x0 in entry.mean:  # posterior with a given x0
                sub[C.x0] = x0hat
        mean = sum(_ev(c, sub) * float(sub[k]) for k, c in entry.mean.items())
        worst = max(worst, abs(mean - ref_mean))
        if entry.var and ref_var is not None:
            worst = max(worst, abs(_ev(entry.var[0], sub) - ref_var))
    how = "sde.discretize" if entry.name.endswith("reverse_diffusion") else "Gaussian conditioning of the chain + params.tweedie"
    return worst < 1e-9, f"{how} ({type(sde).__name__}.chain(50)): max deviation {worst:.1e}"


def tie_posterior_var(entry: Entry) -> Tuple[bool, str]:
    sde, chain = _vp_chain()
    worst = 0.0
    for i in (2, 9, 30, chain.N):
        _, var = _posterior_numeric(chain, i, 0.0, 0.0, True)
        sub = _step_subs_vp(chain, i)
        if entry.name == "ddim.sigma":
            sub[C.eta] = 1.0
            val = _ev(entry.rhs, sub) ** 2
        elif entry.name == "ddpm.sigma_lower":
            val = _ev(entry.rhs, sub) ** 2
        else:
            val = _ev(entry.rhs, sub)
        worst = max(worst, abs(val - var))
    extra = " (η = 1 gives σ² = β̃)" if entry.name == "ddim.sigma" else ""
    return worst < 1e-12, f"posterior variance of VPSDE.chain(50) by Gaussian conditioning{extra}: max deviation {worst:.1e}"


def tie_discrete_scalar(entry: Entry) -> Tuple[bool, str]:
    sde, chain = _vp_chain()
    worst = 0.0
    for i in (1, 2, 17, chain.N):
        sub = _step_subs_vp(chain, i)
        if entry.lhs == "beta":
            ref = float(chain.betas[i - 1])
        elif entry.lhs == "sigma_ho":
            ref = float(chain.b[i - 1])
        else:  # abar
            ref = float(chain.alphas_bar[i])
        worst = max(worst, abs(_ev(entry.rhs, sub) - ref))
    return worst < 1e-12, f"VPSDE.chain(50): max deviation {worst:.1e}"


def tie_schedule(entry: Entry) -> Tuple[bool, str]:
    from ..sde import VPSDE

    if entry.name == "schedule.linear":
        sde = VPSDE(beta_min=0.1, beta_max=20.0, T=1.0)
        sub = {C.beta_min: 0.1, C.beta_max: 20.0, C.T: 1.0}
        ref = lambda t: float(sde.beta(torch.tensor(t, dtype=_f64)))  # noqa: E731
    elif entry.name == "schedule.cosine":
        sde = VPSDE.cosine(s=0.008)
        sub = {C.s_off: 0.008, C.T: 1.0}
        ref = lambda t: float(torch.exp(2 * sde.log_mean_coeff(torch.tensor(t, dtype=_f64))))  # noqa: E731
    elif entry.name == "ve.schedule":
        sde = _ve(sigma_min=0.01, sigma_max=50.0)
        sub = {C.sigma_min: 0.01, C.sigma_max: 50.0, C.T: 1.0}
        ref = lambda t: float(sde.sigma(torch.tensor(t, dtype=_f64)))  # noqa: E731
    elif entry.name.startswith("edm.vp"):
        sde = VPSDE(beta_min=0.1, beta_max=20.0, T=1.0)
        sub = {C.beta_min: 0.1, C.beta_d: 19.9}
        fn = sde.noise_level if entry.name == "edm.vp.sigma" else sde.scale
        ref = lambda t: float(fn(torch.tensor(t, dtype=_f64)))  # noqa: E731
    elif entry.name.startswith("edm.ve"):
        sde = _ve(marginal="smld")
        # Karras et al.'s VE time is t = sigma^2: sigma(t) = sqrt(t), scale 1, against the package's
        # noise level sigma(tau) = s(tau)/m(tau) at Song time tau with t = marginal_var(tau).
        worst = 0.0
        for tau in _points(sde):
            tt = torch.tensor(tau, dtype=_f64)
            t_k = float(sde.marginal_var(tt))
            val = _ev(entry.rhs, {C.t: t_k})
            ref = float(sde.noise_level(tt)) if entry.name == "edm.ve.sigma" else float(sde.scale(tt))
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
        return worst < 1e-12, f"VESDE(marginal='smld').{'noise_level' if entry.name == 'edm.ve.sigma' else 'scale'} at t = σ²: max deviation {worst:.1e}"
    else:  # pragma: no cover
        raise KeyError(entry.name)
    worst = 0.0
    for tt in _points(sde):
        val = _ev(entry.rhs, {**sub, C.t: tt})
        worst = max(worst, abs(val - ref(tt)) / (1 + abs(ref(tt))))
    return worst < 1e-10, f"{type(sde).__name__} at {len(_TIMES)} times: max relative deviation {worst:.1e}"


def tie_ho_betas(entry: Entry) -> Tuple[bool, str]:
    from ..chain import MarkovChain

    ch = MarkovChain.ho2020()
    worst = 0.0
    for tt in (1, 2, 500, 1000):
        val = _ev(entry.rhs, {C.t: tt, C.T: 1000, sp.Symbol("β_1", positive=True): 1e-4, sp.Symbol("β_T", positive=True): 0.02})
        worst = max(worst, abs(val - float(ch.betas[tt - 1])))
    return worst < 1e-15, f"MarkovChain.ho2020().betas: max deviation {worst:.1e}"


def tie_abar_continuous(entry: Entry) -> Tuple[bool, str]:
    sde = _vp()
    worst = 0.0
    for tt in _points(sde):
        ref = float(torch.exp(2 * sde.log_mean_coeff(torch.tensor(tt, dtype=_f64))))
        worst = max(worst, abs(_ev(_schedule_subs(entry.rhs, sde), {C.t: tt}) - ref))
    return worst < 1e-12, f"exp(2 log_mean_coeff) of VPSDE at {len(_TIMES)} times: max deviation {worst:.1e}"


def tie_prior(entry: Entry) -> Tuple[bool, str]:
    sde = _vp() if entry.family == "vp" else _ve(marginal="smld")
    z = torch.tensor([[0.3, -1.2, 2.0]], dtype=_f64)
    ref = float(sde.prior_logp(z)[0])
    val = _ev(entry.rhs, {C.dim: 3, C.NORM_X2: float((z * z).sum()), C.sigma_max: sde.sigma_max if entry.family == "ve" else 1.0})
    return abs(val - ref) < 1e-10, f"{type(sde).__name__}.prior_logp: |Δ| = {abs(val - ref):.1e}"


def tie_relation(entry: Entry) -> Tuple[bool, str]:
    """Conversions vs scoresde.params.convert with VPSDE's (m, s) at several t (and VESDE for the score)."""
    from ..params import convert

    worst = 0.0
    kinds = {C.s: "score", C.e: "eps", C.x0: "x0", C.v: "v"}
    for sde in (_vp(), _ve()):
        if entry.name.startswith("param.v") or entry.name in ("param.eps_from_v", "param.x0_from_v"):
            if sde.variance_exploding:
                continue
        for tt in _points(sde):
            t = torch.tensor(tt, dtype=_f64)
            x = torch.tensor([0.9], dtype=_f64)
            eps = torch.tensor([-0.4], dtype=_f64)
            m = float(sde.mean_coeff(t))
            sd = float(sde.marginal_std(t))
            preds = {k: float(convert(eps, "eps", kind, x, t, sde)) for k, kind in kinds.items()}
            sub = {C.x: 0.9, C.m_sym: m, C.sg_sym: sd, **{k: val for k, val in preds.items()}}
            lhs_sym = entry.mean_lhs_symbol()
            val = _ev(entry.rhs, sub)
            worst = max(worst, abs(val - preds[lhs_sym]) / (1 + abs(preds[lhs_sym])))
    return worst < 1e-10, f"params.convert (VPSDE, VESDE) at {len(_TIMES)} times: max relative deviation {worst:.1e}"


def _mean_lhs_symbol(self: Entry) -> sp.Symbol:
    return {"s": C.s, "e": C.e, "x0": C.x0, "v": C.v}[self.lhs]


Entry.mean_lhs_symbol = _mean_lhs_symbol  # type: ignore[attr-defined]


def tie_langevin(entry: Entry) -> Tuple[bool, str]:
    """With the exact score of N(0, c²), x ← x + ε s + √(2ε) z has stationary variance c²/(1 − ε/(2c²)) → c²."""
    c2 = 1.7
    worst = 0.0
    for eps in (1e-3, 1e-4):
        A = _ev(entry.mean[C.x_cur], {C.lstep: eps}) - _ev(entry.mean[C.s], {C.lstep: eps}) / c2
        var = _ev(entry.var[0], {C.lstep: eps})
        stat = var / (1 - A * A)
        worst = max(worst, abs(stat - c2) / (c2 * eps))
    return worst < 1.0, f"stationary variance of the step with the exact Gaussian score: relative error / ε = {worst:.2f} (first order)"


def tie_snr(entry: Entry) -> Tuple[bool, str]:
    """The SNR rule makes ‖ε s‖ / ‖√(2ε) z‖ = √α r (Song et al. 2021, Alg. 5; α = a_i² of sde.chain(N) for VP)."""
    sde, chain = _vp_chain()
    g = torch.Generator().manual_seed(0)
    zz = torch.randn(16, generator=g, dtype=_f64)
    ss = 3.0 * torch.randn(16, generator=g, dtype=_f64)
    worst = 0.0
    for i in (1, 25, 50):
        alpha = float(chain.alphas[i - 1]) if entry.family == "vp" else 1.0
        sub = {C.snr: 0.16, C.NORM_Z: float(zz.norm()), C.NORM_S: float(ss.norm()), C.b: float(chain.betas[i - 1])}
        eps = _ev(entry.rhs, sub)
        ratio = float((eps * ss).norm() / (math.sqrt(2 * eps) * zz).norm())
        worst = max(worst, abs(ratio - math.sqrt(alpha) * 0.16))
    return worst < 1e-12, f"signal-to-noise ratio of the corrector step = √α·r: max deviation {worst:.1e}"


def tie_anneal(entry: Entry) -> Tuple[bool, str]:
    from ..chain import MarkovChain

    ch = MarkovChain.song_ermon2019()
    sig = ch.sigmas[1:]
    sL = float(sig.min())
    worst = 0.0
    for sv in sig.tolist():
        val = _ev(entry.rhs, {C.lstep: 2e-5, C.S: sv, sp.Symbol("σ_L", positive=True): sL})
        worst = max(worst, abs(val - 2e-5 * sv**2 / sL**2))
    return worst < 1e-15, f"step sizes on MarkovChain.song_ermon2019() noise levels: max deviation {worst:.1e}"


def tie_change_of_variables(entry: Entry) -> Tuple[bool, str]:
    """1-D Gaussian data under VPSDE: log p_0(x(0)) = log p_T(x(T)) + ∫₀ᵀ ∇·f̃ dt along the PF-ODE
    (integrated with scipy's solve_ivp) matches the exact log-density."""
    from scipy.integrate import solve_ivp

    sde = _vp()
    mu, c = 0.5, 0.7

    def ms(t):
        tt = torch.tensor(t, dtype=_f64)
        return float(sde.mean_coeff(tt)), float(sde.marginal_var(tt)), float(sde.drift_coeff(tt)), float(sde.diffusion_sq(tt))

    def rhs(t, y):
        m, s2, f, g2 = ms(t)
        var = m * m * c * c + s2
        score = -(y[0] - m * mu) / var
        return [f * y[0] - 0.5 * g2 * score, f + 0.5 * g2 / var]

    x_init = 0.9
    sol = solve_ivp(rhs, (0.0, sde.T), [x_init, 0.0], rtol=1e-11, atol=1e-12)
    xT, integral = sol.y[0, -1], sol.y[1, -1]
    m, s2, _, _ = ms(sde.T)
    varT = m * m * c * c + s2
    logpT = -0.5 * math.log(2 * math.pi * varT) - (xT - m * mu) ** 2 / (2 * varT)
    exact = -0.5 * math.log(2 * math.pi * c * c) - (x_init - mu) ** 2 / (2 * c * c)
    val = _ev(entry.rhs.subs(sp.Integral(C.DIV, (C.U, 0, C.T)), integral), {C.LOGPT: logpT})
    return abs(val - exact) < 1e-6, f"PF-ODE likelihood of a 1-D Gaussian under VPSDE (solve_ivp): |Δ| = {abs(val - exact):.1e}"


# ============================================================================ entries
b, a, ap, S, Sp, x, x0, s, e, v = C.b, C.a, C.ap, C.S, C.Sp, C.x, C.x0, C.s, C.e, C.v
xc, xp = C.x_cur, C.x_prev
beta, sigma, t, T = C.BETA(C.t), C.SIGMA(C.t), C.t, C.T
B_int = sp.Integral(C.BETA(C.U), (C.U, 0, C.t))
g2 = C.G(C.t) ** 2
SONG = "Song et al. 2021 (Score-Based Generative Modeling through SDEs)"
HO = "Ho et al. 2020 (DDPM)"

_E: List[Entry] = []


def _add(**kw) -> Entry:
    e_ = Entry(**kw)
    _E.append(e_)
    return e_


# ---- forward SDEs
_add(name="sde.forward", title="forward SDE (Itô)", source=f"{SONG}, Eq. 5", kind="sde", family="generic",
     latex=r"dx = f(x,t)\,dt + g(t)\,dw", relation="LinearSDE.sde(x, t) = (f(t) x, g(t)) with f = d log m/dt, g² = ds²/dt − 2 f s²",
     direction="forward", mode="continuous", drift=C.FX, diff2=g2, noise="dw", tie=tie_forward_general)
_add(name="vp.sde", title="VP SDE", source=f"{SONG}, Eq. 11", kind="sde", family="vp",
     latex=r"dx = -\frac{1}{2}\beta(t) x\,dt + \sqrt{\beta(t)}\,dw", relation="VPSDE.sde", direction="forward",
     mode="continuous", drift=-beta / 2 * x, diff2=beta, noise="dw", tie=tie_sde)
_add(name="subvp.sde", title="sub-VP SDE", source=f"{SONG}, Eq. 12", kind="sde", family="subvp",
     latex=r"dx = -\frac{1}{2}\beta(t) x\,dt + \sqrt{\beta(t)(1 - e^{-2\int_0^t \beta(s) ds})}\,dw", relation="subVPSDE.sde",
     direction="forward", mode="continuous", drift=-beta / 2 * x, diff2=beta * (1 - sp.exp(-2 * B_int)), noise="dw", tie=tie_sde)
_add(name="ve.sde", title="VE SDE", source=f"{SONG}, Eq. 9", kind="sde", family="ve",
     latex=r"dx = \sqrt{\frac{d[\sigma(t)^2]}{dt}}\,dw", relation="VESDE.sde (g² = dσ²/dt)", direction="forward",
     mode="continuous", drift=sp.Integer(0), diff2=sp.Derivative(sigma**2, t).doit(), noise="dw", tie=tie_sde)

# ---- reverse SDE and probability-flow ODE (generic and per family)
_FAM_FG = {
    "generic": (C.FX, g2, "f(x,t)", "g(t)"),
    "vp": (-beta / 2 * x, beta, r"-\frac{1}{2}\beta(t)x", r"\sqrt{\beta(t)}"),
    "subvp": (-beta / 2 * x, beta * (1 - sp.exp(-2 * B_int)), r"-\frac{1}{2}\beta(t)x", r"\sqrt{\beta(t)(1-e^{-2\int_0^t\beta(s)ds})}"),
    "ve": (sp.Integer(0), sp.Derivative(sigma**2, t).doit(), "", r"\sqrt{\frac{d[\sigma(t)^2]}{dt}}"),
}
for fam, (f_, g2_, fl, gl) in _FAM_FG.items():
    pre = "" if fam == "generic" else fam + "."
    g2l = "g(t)^2" if fam == "generic" else gl[len(r"\sqrt{"):-1] if gl.startswith(r"\sqrt{") else gl
    g2l = {"vp": r"\beta(t)", "subvp": r"\beta(t)(1-e^{-2\int_0^t\beta(s)ds})", "ve": r"\frac{d[\sigma(t)^2]}{dt}"}.get(fam, g2l)
    lead = (fl + " - ") if fl else "-"
    _add(name=f"{pre}reverse_sde" if pre else "reverse.sde", title=f"reverse-time SDE{'' if fam == 'generic' else ' (' + fam + ')'}",
         source=f"Anderson 1982; {SONG}, Eq. 6", kind="sde", family=fam,
         latex=rf"dx = [{lead}{g2l} \nabla_x \log p_t(x)]\,dt + {gl}\,d\bar{{w}}",
         relation="LinearSDE.reverse(score_fn).sde", direction="reverse", mode="continuous",
         drift=f_ - g2_ * s, diff2=g2_, noise="dwbar", tie=tie_sde)
    _add(name=f"{pre}pf_ode" if pre else "pf.ode", title=f"probability-flow ODE{'' if fam == 'generic' else ' (' + fam + ')'}",
         source=f"{SONG}, Eq. 13", kind="sde", family=fam,
         latex=rf"dx = [{lead}\frac{{1}}{{2}}{g2l} \nabla_x \log p_t(x)]\,dt",
         relation="LinearSDE.reverse(score_fn, probability_flow=True).sde", direction="pf", mode="continuous",
         drift=f_ - g2_ * s / 2, diff2=sp.Integer(0), noise=None, tie=tie_sde)

# ---- perturbation kernels
_add(name="vp.kernel", title="VP perturbation kernel", source=f"{SONG}, Eq. 29", kind="step", family="vp",
     latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0) e^{-\frac{1}{2}\int_0^t \beta(s) ds}, (1 - e^{-\int_0^t \beta(s) ds}) I)",
     relation="VPSDE.marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.exp(-B_int / 2)}, var=[1 - sp.exp(-B_int)], tie=tie_kernel_continuous)
_add(name="subvp.kernel", title="sub-VP perturbation kernel", source=f"{SONG}, Eq. 29", kind="step", family="subvp",
     latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0) e^{-\frac{1}{2}\int_0^t \beta(s) ds}, (1 - e^{-\int_0^t \beta(s) ds})^2 I)",
     relation="subVPSDE.marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.exp(-B_int / 2)}, var=[(1 - sp.exp(-B_int)) ** 2], tie=tie_kernel_continuous)
_add(name="ve.kernel", title="VE perturbation kernel", source=f"{SONG}, Eq. 29 (VE: N(x(0), [σ²(t) − σ²(0)] I))", kind="step",
     family="ve", latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0), (\sigma(t)^2 - \sigma(0)^2) I)",
     relation="VESDE(marginal='exact').marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.Integer(1)}, var=[sigma**2 - C.SIGMA(0) ** 2], tie=tie_kernel_continuous)
_add(name="ddpm.kernel", title="DDPM marginal q(x_t | x_0)", source=f"{HO}, Eq. 4", kind="step", family="vp",
     latex=r"x_t = \sqrt{\bar{\alpha}_t} x_0 + \sqrt{1 - \bar{\alpha}_t}\epsilon", relation="VPSDE.chain(N).m, .s (m_i² = ᾱ_i)",
     direction="kernel", lhs="x_cur", mean={x0: sp.sqrt(a)}, var=[1 - a], tie=tie_chain)
_add(name="smld.kernel", title="SMLD perturbation q_σ(x̃ | x)", source="Song & Ermon 2019, Sec. 4.1; " + SONG + ", Eq. 8", kind="step",
     family="ve", latex=r"x_i = x_0 + \sigma_i z", relation="VESDE.chain(N).s (s_i = σ_i)", direction="kernel", lhs="x_cur",
     mean={x0: sp.Integer(1)}, var=[S**2], tie=tie_chain)

# ---- forward chains
_add(name="ddpm.forward_step", title="DDPM forward chain", source=f"{HO}, Eq. 2; {SONG}, Eq. 10", kind="step", family="vp",
     latex=r"x_i = \sqrt{1 - \beta_i} x_{i-1} + \sqrt{\beta_i} z_{i-1}", relation="VPSDE.chain(N).a, .b (a_i² = 1 − β_i, b_i² = β_i)",
     direction="forward", lhs="x_cur", mean={xp: sp.sqrt(1 - b)}, var=[b], tie=tie_chain)
_add(name="smld.forward_step", title="SMLD forward chain", source=f"{SONG}, Eq. 8", kind="step", family="ve",
     latex=r"x_i = x_{i-1} + \sqrt{\sigma_i^2 - \sigma_{i-1}^2} z_{i-1}", relation="VESDE.chain(N).a, .b (b_i² = σ_i² − σ_{i−1}²)",
     direction="forward", lhs="x_cur", mean={xp: sp.Integer(1)}, var=[S**2 - Sp**2], tie=tie_chain)

# ---- reverse steps
_add(name="vp.reverse_diffusion", title="reverse-diffusion predictor (VP)", source=f"{SONG}, App. E (reverse diffusion, with Eq. 10)",
     kind="step", family="vp", latex=r"x_{i-1} = (2 - \sqrt{1 - \beta_i}) x_i + \beta_i s_\theta(x_i, i) + \sqrt{\beta_i} z_i",
     relation="x − f + G² s + G z with (f, G) = VPSDE.discretize", direction="reverse", lhs="x_prev",
     mean={xc: 2 - sp.sqrt(1 - b), s: b}, var=[b], tie=tie_reverse_step, numeric="vp", exact_target="vp.ancestral")
_add(name="ve.reverse_diffusion", title="reverse-diffusion predictor (VE)", source=f"{SONG}, App. E (reverse diffusion, with Eq. 8)",
     kind="step", family="ve",
     latex=r"x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2) s_\theta(x_i, \sigma_i) + \sqrt{\sigma_i^2 - \sigma_{i-1}^2} z_i",
     relation="x − f + G² s + G z with (f, G) = VESDE.discretize", direction="reverse", lhs="x_prev",
     mean={xc: sp.Integer(1), s: S**2 - Sp**2}, var=[S**2 - Sp**2], tie=tie_reverse_step, numeric="ve", exact_target="ve.ancestral")
_add(name="vp.ancestral", title="ancestral sampling step (DDPM)",
     source=f"{HO}, Eq. 11 and Alg. 2 (σ_t² = β_t or β̃_t), score form in {SONG}, App. F", kind="step", family="vp",
     latex=r"x_{i-1} = \frac{1}{\sqrt{1 - \beta_i}}(x_i + \beta_i s_\theta(x_i, i)) + \sqrt{\beta_i} z_i",
     relation="mean = posterior mean of VPSDE.chain(N) at x̂₀ = params.tweedie(x, s)", direction="reverse", lhs="x_prev",
     mean={xc: 1 / sp.sqrt(1 - b), s: b / sp.sqrt(1 - b)}, var=[b, C.beta_tilde()], var_names=["β_k", "β̃_k"],
     tie=tie_reverse_step, numeric="vp")
_add(name="ve.ancestral", title="ancestral sampling step (SMLD)", source=f"{SONG}, App. F (ancestral sampling for SMLD)",
     kind="step", family="ve",
     latex=r"x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2) s_\theta(x_i, \sigma_i) + \sqrt{\frac{\sigma_{i-1}^2(\sigma_i^2 - \sigma_{i-1}^2)}{\sigma_i^2}} z_i",
     relation="posterior q(x_{i−1} | x_i, x̂₀) of VESDE.chain(N) at x̂₀ = params.tweedie(x, s)", direction="reverse", lhs="x_prev",
     mean={xc: sp.Integer(1), s: S**2 - Sp**2}, var=[Sp**2 * (S**2 - Sp**2) / S**2], tie=tie_reverse_step, numeric="ve")
_add(name="ddpm.mu_theta", title="ε-parameterised reverse mean μ_θ", source=f"{HO}, Eq. 11", kind="step", family="vp",
     latex=r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{\beta_t}{\sqrt{1 - \bar{\alpha}_t}} \epsilon_\theta(x_t, t)\right)",
     relation="= posterior mean of VPSDE.chain(N) at x̂₀ = params.tweedie (ε = −√(1−ᾱ) s)", direction="mean", lhs="mu_theta",
     mean={xc: 1 / sp.sqrt(1 - b), s: b / sp.sqrt(1 - b)}, var=None, tie=tie_reverse_step)
_add(name="ddpm.posterior_mean", title="DDPM posterior mean μ̃_t", source=f"{HO}, Eq. 7", kind="step", family="vp",
     latex=r"\tilde{\mu}_t(x_t, x_0) = \frac{\sqrt{\bar{\alpha}_{t-1}}\beta_t}{1 - \bar{\alpha}_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar{\alpha}_{t-1})}{1 - \bar{\alpha}_t} x_t",
     relation="Gaussian conditioning of VPSDE.chain(N)", direction="mean", lhs="mu_tilde",
     mean={x0: sp.sqrt(ap) * b / (1 - a), xc: sp.sqrt(1 - b) * (1 - ap) / (1 - a)}, var=None, tie=tie_reverse_step)
_add(name="ddpm.posterior", title="DDPM posterior q(x_{t−1} | x_t, x_0)", source=f"{HO}, Eq. 6-7", kind="step", family="vp",
     latex=r"q(x_{t-1} | x_t, x_0) = \mathcal{N}(x_{t-1}; \frac{\sqrt{\bar{\alpha}_{t-1}}\beta_t}{1 - \bar{\alpha}_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar{\alpha}_{t-1})}{1 - \bar{\alpha}_t} x_t, \frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\beta_t I)",
     relation="Gaussian conditioning of VPSDE.chain(N)", direction="posterior", lhs="x_prev",
     mean={x0: sp.sqrt(ap) * b / (1 - a), xc: sp.sqrt(1 - b) * (1 - ap) / (1 - a)}, var=[C.beta_tilde()], tie=tie_reverse_step)
_add(name="ddpm.posterior_var", title="DDPM posterior variance β̃_t", source=f"{HO}, Eq. 7", kind="scalar", family="vp",
     latex=r"\tilde{\beta}_t = \frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\beta_t", relation="Gaussian conditioning of VPSDE.chain(N)",
     lhs="beta_tilde", rhs=C.beta_tilde(), tie=tie_posterior_var)
_add(name="ddim.step", title="DDIM update", source="Song, Meng & Ermon 2021 (DDIM), Eq. 12 (α_t there is ᾱ_t here)", kind="step",
     family="vp",
     latex=r"x_{t-1} = \sqrt{\bar{\alpha}_{t-1}}\left(\frac{x_t - \sqrt{1 - \bar{\alpha}_t}\epsilon_\theta(x_t, t)}{\sqrt{\bar{\alpha}_t}}\right) + \sqrt{1 - \bar{\alpha}_{t-1} - \sigma_t^2}\,\epsilon_\theta(x_t, t) + \sigma_t z_t",
     relation="σ_t = 0: √ᾱ_{t−1} x̂₀ + √(1−ᾱ_{t−1}) ε̂ with x̂₀, ε̂ from params.convert on VPSDE.chain(N)", direction="reverse",
     lhs="x_prev", mean={xc: sp.sqrt(ap) / sp.sqrt(a),
                         s: (sp.sqrt(ap) * sp.sqrt(1 - a) / sp.sqrt(a) - sp.sqrt(1 - ap - C.sig**2)) * sp.sqrt(1 - a)},
     var=[C.sig**2], free=(C.sig,), tie=tie_reverse_step, numeric="vp")
_add(name="ddpm.sigma_upper", title="reverse-step std σ_t² = β_t", source=f"{HO}, Sec. 3.2", kind="scalar", family="vp",
     latex=r"\sigma_t = \sqrt{\beta_t}", relation="VPSDE.chain(N).b (the forward step's std)", lhs="sigma_ho",
     rhs=sp.sqrt(b), tie=lambda e_: tie_discrete_scalar(e_))
_add(name="ddpm.sigma_lower", title="reverse-step std σ_t² = β̃_t", source=f"{HO}, Sec. 3.2", kind="scalar", family="vp",
     latex=r"\sigma_t = \sqrt{\frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\beta_t}", relation="posterior std of VPSDE.chain(N)",
     lhs="sigma_ho", rhs=sp.sqrt(C.beta_tilde()), tie=lambda e_: tie_posterior_var(e_))
_add(name="ddim.sigma", title="DDIM σ_t(η)", source="Song, Meng & Ermon 2021 (DDIM), Eq. 16", kind="scalar", family="vp",
     latex=r"\sigma_t = \eta\sqrt{\frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}}\sqrt{1 - \frac{\bar{\alpha}_t}{\bar{\alpha}_{t-1}}}",
     relation="η = 1: σ_t² = posterior variance of VPSDE.chain(N)", lhs="sigma_eta",
     rhs=C.eta * sp.sqrt((1 - ap) / (1 - a)) * sp.sqrt(1 - a / ap), tie=tie_posterior_var)
h = C.h
_add(name="vp.euler_maruyama", title="Euler–Maruyama step of the reverse VP SDE", source=f"{SONG}, Eq. 6 and 11 (Euler–Maruyama, Kloeden & Platen 1992, Eq. 9.1.1)",
     kind="step", family="vp", mode="discrete-continuous",
     latex=r"x_{i-1} = x_i + [\frac{1}{2}\beta(t_i) x_i + \beta(t_i) s_\theta(x_i, t_i)]\Delta t + \sqrt{\beta(t_i)\Delta t} z_i",
     relation="x − [f x − g² s] Δt + g √Δt z with (f, g²) = (VPSDE.drift_coeff, VPSDE.diffusion_sq)", direction="reverse",
     lhs="x_prev", mean={xc: 1 + beta * h / 2, s: beta * h}, var=[beta * h], tie=None)
_add(name="euler_maruyama", title="Euler–Maruyama step of the reverse SDE", source=f"{SONG}, Eq. 6 (Euler–Maruyama, Kloeden & Platen 1992, Eq. 9.1.1)",
     kind="step", family="generic", mode="discrete-continuous",
     latex=r"x_{i-1} = x_i - [f(x_i, t_i) - g(t_i)^2 s_\theta(x_i, t_i)]\Delta t + g(t_i)\sqrt{\Delta t} z_i",
     relation="ReverseSDE.sde drift and diffusion times Δt", direction="reverse",
     lhs="x_prev", mean={xc: sp.Integer(1), C.FX: -h, s: g2 * h}, var=[g2 * h], tie=None)
_add(name="langevin", title="Langevin corrector step", source=f"{SONG}, Alg. 4-5; Song & Ermon 2019, Eq. 4 (ε/2 convention)",
     kind="langevin", family="generic",
     latex=r"x_{t} = x_{t-1} + \epsilon\nabla_x \log p(x_{t-1}) + \sqrt{2\epsilon} z_t",
     relation="stationary variance with the exact Gaussian score → c² as ε → 0", direction="langevin", lhs="x_cur",
     mean={xc: sp.Integer(1), s: C.lstep}, var=[2 * C.lstep], tie=tie_langevin)
_add(name="vp.langevin_snr", title="Langevin step size from the SNR rule (VP)", source=f"{SONG}, Alg. 5 (α_i = 1 − β_i)",
     kind="scalar", family="vp", latex=r"\epsilon = 2\alpha_i (r \|z\|_2 / \|s_\theta\|_2)^2",
     relation="α_i = a_i² of VPSDE.chain(N); SNR of the step = √α r", lhs="eps_snr",
     rhs=2 * (1 - b) * (C.snr * C.NORM_Z / C.NORM_S) ** 2, tie=tie_snr)
_add(name="ve.langevin_snr", title="Langevin step size from the SNR rule (VE)", source=f"{SONG}, Alg. 4 (α = 1 for VE)",
     kind="scalar", family="ve", latex=r"\epsilon = 2 (r \|z\|_2 / \|s_\theta\|_2)^2",
     relation="SNR of the corrector step = r", lhs="eps_snr", rhs=2 * (C.snr * C.NORM_Z / C.NORM_S) ** 2, tie=tie_snr)
_add(name="smld.annealed_step", title="annealed Langevin step size", source="Song & Ermon 2019, Alg. 1", kind="scalar",
     family="ve", latex=r"\alpha_i = \epsilon \cdot \sigma_i^2 / \sigma_L^2", relation="MarkovChain.song_ermon2019() noise levels",
     lhs="alpha_anneal", rhs=C.lstep * S**2 / sp.Symbol("σ_L", positive=True) ** 2, tie=tie_anneal)

# ---- schedules
_add(name="schedule.linear", title="linear β schedule", source=f"{SONG}, App. C; {HO}, Sec. 4", kind="scalar", family="vp",
     latex=r"\beta(t) = \beta_{\min} + \frac{t}{T}(\beta_{\max} - \beta_{\min})", relation="VPSDE.beta", lhs="beta(t)",
     mode="function", rhs=C.beta_min + t / T * (C.beta_max - C.beta_min), tie=tie_schedule)
_add(name="ddpm.linear_betas", title="linear β_t of DDPM (β_1 … β_T)", source=f"{HO}, Sec. 4 (β_1 = 10⁻⁴ to β_T = 0.02)",
     kind="scalar", family="vp", latex=r"\beta_t = \beta_1 + \frac{t - 1}{T - 1}(\beta_T - \beta_1)", relation="MarkovChain.ho2020().betas",
     lhs="beta(t)", mode="function", rhs=sp.Symbol("β_1", positive=True) + (t - 1) / (T - 1) * (sp.Symbol("β_T", positive=True) - sp.Symbol("β_1", positive=True)),
     tie=lambda e_: tie_ho_betas(e_))
_add(name="ddpm.beta_from_abar", title="β_t from ᾱ", source=f"{HO}, Sec. 2 (ᾱ_t = ∏ α_s); Nichol & Dhariwal 2021, Sec. 3.2",
     kind="scalar", family="vp", latex=r"\beta_t = 1 - \frac{\bar{\alpha}_t}{\bar{\alpha}_{t-1}}", relation="VPSDE.chain(N).betas",
     lhs="beta", rhs=1 - a / ap, tie=tie_discrete_scalar)
_add(name="ddpm.abar", title="ᾱ_t as a product", source=f"{HO}, Sec. 2 (before Eq. 4)", kind="scalar", family="vp",
     latex=r"\bar{\alpha}_t = \prod_{s=1}^{t} \alpha_s", relation="VPSDE.chain(N).alphas_bar = cumprod(alphas)", lhs="abar",
     rhs=a, tie=tie_discrete_scalar)
_add(name="vp.abar_continuous", title="ᾱ(t) of the VP SDE", source=f"{SONG}, Eq. 29 (ᾱ(t) = m(t)²)", kind="scalar", family="vp",
     latex=r"\bar{\alpha}(t) = e^{-\int_0^t \beta(s) ds}", relation="exp(2 log_mean_coeff) of VPSDE", lhs="abar(t)", mode="function",
     rhs=sp.exp(-B_int), tie=lambda e_: tie_abar_continuous(e_))
_f = lambda tt: sp.cos((tt / T + C.s_off) / (1 + C.s_off) * sp.pi / 2) ** 2  # noqa: E731
_add(name="schedule.cosine", title="cosine schedule ᾱ_t = f(t)/f(0)", source="Nichol & Dhariwal 2021, Eq. 17", kind="scalar",
     family="vp", latex=r"\bar{\alpha}_t = \frac{\cos^2\left(\frac{t/T + s}{1 + s}\cdot\frac{\pi}{2}\right)}{\cos^2\left(\frac{s}{1 + s}\cdot\frac{\pi}{2}\right)}",
     relation="exp(2 log_mean_coeff) of VPSDE.cosine(s=0.008)", lhs="abar(t)", mode="function", rhs=_f(t) / _f(0), tie=tie_schedule)
_add(name="ve.schedule", title="VE noise schedule σ(t)", source=f"{SONG}, App. C (Eq. 9 with geometric σ)", kind="scalar", family="ve",
     latex=r"\sigma(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{t/T}", relation="VESDE.sigma", lhs="sigma(t)",
     mode="function", rhs=C.sigma_min * (C.sigma_max / C.sigma_min) ** (t / T), tie=tie_schedule)
_Bd = C.beta_d * t**2 / 2 + C.beta_min * t
_add(name="edm.vp.sigma", title="EDM noise level σ(t) of VP", source="Karras et al. 2022 (EDM), Table 1 (VP)", kind="scalar",
     family="vp", latex=r"\sigma(t) = \sqrt{e^{\frac{1}{2}\beta_d t^2 + \beta_{\min} t} - 1}", relation="VPSDE.noise_level = s/m",
     lhs="sigma(t)", mode="function", rhs=sp.sqrt(sp.exp(_Bd) - 1), tie=tie_schedule)
_add(name="edm.vp.scale", title="EDM scale s(t) of VP", source="Karras et al. 2022 (EDM), Table 1 (VP)", kind="scalar", family="vp",
     latex=r"s(t) = \frac{1}{\sqrt{e^{\frac{1}{2}\beta_d t^2 + \beta_{\min} t}}}", relation="VPSDE.scale = m", lhs="s(t)",
     mode="function", rhs=1 / sp.sqrt(sp.exp(_Bd)), tie=tie_schedule)
_add(name="edm.ve.sigma", title="EDM noise level σ(t) of VE", source="Karras et al. 2022 (EDM), Table 1 (VE)", kind="scalar",
     family="ve", latex=r"\sigma(t) = \sqrt{t}", relation="VESDE(marginal='smld').noise_level at t = σ²", lhs="sigma(t)",
     mode="function", rhs=sp.sqrt(t), tie=tie_schedule)
_add(name="edm.ve.scale", title="EDM scale s(t) of VE", source="Karras et al. 2022 (EDM), Table 1 (VE)", kind="scalar", family="ve",
     latex=r"s(t) = 1", relation="VESDE.scale = 1", lhs="s(t)", mode="function", rhs=sp.Integer(1), tie=tie_schedule)

# ---- prior log-densities and likelihood
_add(name="prior.vp.logp", title="prior log-density N(0, I)", source=f"{SONG}, Sec. 3.4 / App. D.2 (VP prior)", kind="scalar",
     family="vp", latex=r"\log p_T(x) = -\frac{d}{2}\log(2\pi) - \frac{\|x\|^2}{2}", relation="VPSDE.prior_logp", lhs="logp_T",
     mode="function", rhs=-C.dim / 2 * sp.log(2 * sp.pi) - C.NORM_X2 / 2, tie=tie_prior)
_add(name="prior.ve.logp", title="prior log-density N(0, σ_max² I)", source=f"{SONG}, Sec. 3.4 / App. D.2 (VE prior)", kind="scalar",
     family="ve", latex=r"\log p_T(x) = -\frac{d}{2}\log(2\pi\sigma_{\max}^2) - \frac{\|x\|^2}{2\sigma_{\max}^2}",
     relation="VESDE(marginal='smld').prior_logp", lhs="logp_T", mode="function",
     rhs=-C.dim / 2 * sp.log(2 * sp.pi * C.sigma_max**2) - C.NORM_X2 / (2 * C.sigma_max**2), tie=tie_prior)
_add(name="likelihood.change_of_variables", title="instantaneous change of variables",
     source=f"Chen et al. 2018 (Neural ODEs), Thm. 1; {SONG}, Sec. 4.3 and App. D.2", kind="scalar", family="generic",
     latex=r"\log p_0(x(0)) = \log p_T(x(T)) + \int_0^T \nabla\cdot\tilde{f}_\theta(x(t), t)\,dt",
     relation="PF-ODE of VPSDE on 1-D Gaussian data, integrated with solve_ivp", lhs="logp_0", mode="function",
     rhs=C.LOGPT + sp.Integral(C.DIV, (C.U, 0, C.T)), tie=tie_change_of_variables)

# ---- parameterisations (m = mean coefficient, σ = kernel std at the same t)
m, sg = C.m_sym, C.sg_sym
for name, lhs, rhs, latex, src in [
    ("param.score_eps", "s", -e / sg, r"\nabla_x \log p_t(x) = -\frac{\epsilon_\theta(x, t)}{\sigma_t}", f"{SONG}, Eq. 7 (DSM target); {HO}, Eq. 11-12"),
    ("param.x0_eps", "x0", (x - sg * e) / m, r"\hat{x}_0 = \frac{x_t - \sigma_t \epsilon_\theta(x_t, t)}{\alpha_t}", f"{HO}, Eq. 4 solved for x_0 (Eq. 15)"),
    ("param.tweedie", "x0", (x + sg**2 * s) / m, r"\hat{x}_0 = \frac{x_t + \sigma_t^2 \nabla_x \log p_t(x_t)}{\alpha_t}", "Efron 2011 (Tweedie's formula), Eq. 2.8"),
    ("param.v", "v", m * e - sg * x0, r"v = \alpha_t \epsilon - \sigma_t x_0", "Salimans & Ho 2022, Sec. 4 (VP: α² + σ² = 1)"),
    ("param.eps_from_v", "e", (m * v + sg * x) / (m**2 + sg**2), r"\epsilon = \alpha_t v + \sigma_t x_t", "Salimans & Ho 2022, App. D (VP)"),
    ("param.x0_from_v", "x0", (m * x - sg * v) / (m**2 + sg**2), r"x_0 = \alpha_t x_t - \sigma_t v", "Salimans & Ho 2022, Sec. 4 (VP)"),
]:
    _add(name=name, title={"s": "score from ε", "x0": "x̂₀", "v": "v-prediction", "e": "ε from v"}[lhs] + f" ({name.split('.')[1]})",
         source=src, kind="relation", family="generic", latex=latex,
         relation="scoresde.params.convert with (m, s) = (mean_coeff, marginal_std)", lhs=lhs, rhs=rhs, mode="relation",
         tie=tie_relation)

REGISTRY: Dict[str, Entry] = {e_.name: e_ for e_ in _E}


def get(name: str) -> Entry:
    if name not in REGISTRY:
        raise ValueError(f"unknown registry target {name!r}; valid: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def entries(kind: Optional[str] = None) -> List[Entry]:
    return [e_ for e_ in _E if kind is None or e_.kind == kind]


def run_ties(names: Optional[Sequence[str]] = None) -> List[Tuple[str, bool, str]]:
    """Evaluate every entry's tie to the package; returns (name, ok, detail)."""
    out = []
    for e_ in _E:
        if names is not None and e_.name not in names:
            continue
        if e_.tie is None:
            out.append((e_.name, True, "continuous-time step: checked through its consistency with the reverse SDE entry"))
            continue
        ok, detail = e_.tie(e_)
        out.append((e_.name, ok, detail))
    return out
