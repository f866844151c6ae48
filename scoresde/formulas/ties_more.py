"""Ties of the registry's parameterisation, Langevin, SNR, annealing and likelihood entries to the package."""
from __future__ import annotations

import math
from typing import Tuple

import sympy as sp
import torch

from . import canon as C
from .entry import Entry
from .ties import _TIMES, _ev, _f64, _points, _ve, _vp, _vp_chain

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
