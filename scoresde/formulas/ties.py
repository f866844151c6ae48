"""Ties of registry entries to the package: each evaluates an entry's sympy form against the SDE objects
(``VPSDE.marginal_prob``, ``sde.chain(N)``, ``params.convert``, ...) and returns (ok, detail)."""
from __future__ import annotations

import math
from typing import List, Tuple

import sympy as sp
import torch

from . import canon as C
from .entry import Entry

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
        elif entry.lhs == "alpha":
            ref = float(chain.alphas[i - 1])
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


def tie_marginal_std(entry: Entry) -> Tuple[bool, str]:
    """σ(t) = the kernel's standard deviation, against VPSDE / subVPSDE.marginal_std (Song et al. 2021, Eq. 29)."""
    from ..sde import subVPSDE

    sde = subVPSDE() if entry.family == "subvp" else _vp()
    worst = 0.0
    for tt in _points(sde):
        ref = float(sde.marginal_std(torch.tensor(tt, dtype=_f64)))
        worst = max(worst, abs(_ev(_schedule_subs(entry.rhs, sde), {C.t: tt}) - ref))
    return worst < 1e-12, f"{type(sde).__name__}.marginal_std at {len(_TIMES)} times: max deviation {worst:.1e}"


def tie_prior(entry: Entry) -> Tuple[bool, str]:
    sde = _vp() if entry.family == "vp" else _ve(marginal="smld")
    z = torch.tensor([[0.3, -1.2, 2.0]], dtype=_f64)
    ref = float(sde.prior_logp(z)[0])
    val = _ev(entry.rhs, {C.dim: 3, C.NORM_X2: float((z * z).sum()), C.sigma_max: sde.sigma_max if entry.family == "ve" else 1.0})
    return abs(val - ref) < 1e-10, f"{type(sde).__name__}.prior_logp: |Δ| = {abs(val - ref):.1e}"
