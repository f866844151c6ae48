"""EDM (Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative
Models"): the preconditioning of Table 1 / Eq. 7, the loss weight λ(σ), the ρ time steps (Eq. 5) and the
noise level σ(t) = t of their own schedule.

Ties: the preconditioning and the weight against ``scoresde.nets.ScoreNet.coefficients`` (precond="edm",
on VPSDE and VESDE, where σ is the noise level s/m); the ρ steps against ``scoresde.grids.karras``; σ(t) = t
against the package's probability-flow ODE of VESDE(marginal='smld'), re-timed by its noise level, which must
be EDM's Eq. 1 dx/dσ = −σ ∇log p(x; σ).
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector, t

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)
#: entries written but not registered yet (none at present: since evaluate.is_zero gives every free symbol random
#: values, entries with σ_data, i, N, ρ, w, ... are registered). Their ties would still be tested in test_corpus.
PENDING: List[Entry] = []
_pending = collector(PENDING)

KARRAS = "Karras et al. 2022 (EDM)"
SIG = sp.Symbol("σ", positive=True)  # the noise level σ = s(t)/m(t)
SD = sp.Symbol("σ_data", positive=True)
RHO = sp.Symbol("ρ", positive=True)
I_ = sp.Symbol("i", nonnegative=True, integer=True)
N_ = sp.Symbol("N", positive=True, integer=True)
SMIN = sp.Symbol("σ_min", positive=True)
SMAX = sp.Symbol("σ_max", positive=True)
_f64 = torch.float64
_SIGMA_DATA = 0.5


_COEFFS: dict = {}


def _coeff_table() -> list:
    """[(sde name, t, ScoreNet(precond='edm').coefficients at t)] for VPSDE and VESDE at four times (computed once)."""
    if not _COEFFS:
        from ...nets import MLP, ScoreNet
        from ..ties import _points, _ve, _vp

        rows = []
        for sde in (_vp(), _ve()):
            net = ScoreNet(MLP(1, hidden=8, depth=1, emb_dim=8), sde, kind="x0", precond="edm", sigma_data=_SIGMA_DATA)
            for tt in _points(sde):
                c = net.coefficients(torch.tensor([tt], dtype=_f64))
                rows.append((type(sde).__name__, tt, {k: float(v) for k, v in c.items()}))
        _COEFFS["rows"] = rows
    return _COEFFS["rows"]


def _sdes():
    from ..ties import _ve, _vp

    return [_vp(), _ve()]


def tie_precond(entry: Entry) -> Tuple[bool, str]:
    """c_skip, c_out, c_in, c_noise, λ(σ) at the EDM noise level σ = s/m of VPSDE and VESDE vs ScoreNet.coefficients.
    The package applies c_in to x_t = m x (so its c_in is EDM's divided by m); λ(σ) = 1/c_out(σ)²."""
    from ..ties import _ev

    worst = 0.0
    for _, _, c in _coeff_table():
        ref = {"c_skip": c["c_skip"], "c_out": c["c_out"], "c_in": c["c_in"] * c["m"], "c_noise": c["c_noise"],
               "lambda(sigma)": 1.0 / c["c_out"] ** 2}[entry.lhs]
        val = _ev(entry.rhs, {SIG: c["sigma"], SD: _SIGMA_DATA})
        worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-12, f"ScoreNet(precond='edm').coefficients on VPSDE, VESDE: max relative deviation {worst:.1e}"


def tie_rho(entry: Entry) -> Tuple[bool, str]:
    """σ_i (i = 0 … N−1) vs the noise levels of scoresde.grids.karras(sde, N − 1, ρ) for VPSDE and VESDE."""
    from ...grids import karras
    from ..ties import _ev

    worst = 0.0
    for sde in _sdes():
        for n_steps, rho in ((10, 7.0), (25, 3.0)):
            g = karras(sde, n_steps, rho=rho)
            lv = sde.noise_level(g)
            hi, lo = float(lv[0]), float(lv[-1])
            for i in range(n_steps + 1):
                val = _ev(entry.rhs, {I_: i, N_: n_steps + 1, RHO: rho, SMAX: hi, SMIN: lo})
                worst = max(worst, abs(val - float(lv[i])) / (1 + float(lv[i])))
    return worst < 1e-9, f"noise levels of grids.karras (VPSDE, VESDE; N = 11, 26): max relative deviation {worst:.1e}"


def tie_sigma_t(entry: Entry) -> Tuple[bool, str]:
    """With EDM time t = σ(τ) (VESDE(marginal='smld') noise level at Song time τ), the package's probability-flow
    drift divided by dσ/dτ is −t · score, i.e. EDM Eq. 1 with σ(t) = t."""
    from ...analytic import GaussianMixture
    from ..ties import _ev, _points, _ve

    sde = _ve(marginal="smld")
    mix = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
    rev = sde.reverse(mix.score_fn(sde), probability_flow=True)
    x = torch.tensor([[0.8]], dtype=_f64)
    worst = 0.0
    for tau in _points(sde):
        tt = torch.tensor([tau], dtype=_f64)
        drift, _ = rev.sde(x, tt)
        dh = 1e-6
        dsig = float(sde.noise_level(torch.tensor(tau + dh, dtype=_f64)) - sde.noise_level(torch.tensor(tau - dh, dtype=_f64))) / (2 * dh)
        t_edm = float(sde.noise_level(tt))
        score = float(mix.score(x, sde, tt).flatten()[0])
        dxdt = float(drift.flatten()[0]) / dsig
        if entry.kind == "sde":  # the entry's drift in EDM time
            val = _ev(entry.drift, {t: t_edm, C.s: score})
        else:  # σ(t): EDM's Eq. 1 drift −σ(t) σ'(t) score with σ' = 1
            val = -_ev(entry.rhs, {t: t_edm}) * score
        worst = max(worst, abs(dxdt - val) / (1 + abs(val)))
    return worst < 1e-6, f"VESDE(marginal='smld') PF-ODE re-timed by its noise level: max relative deviation {worst:.1e}"


_add(name="edm.sigma", title="EDM noise level σ(t) = t", source=f"{KARRAS}, Table 1 (ours) and Eq. 1", kind="scalar",
     family="ve", latex=r"\sigma(t) = t", relation="VESDE(marginal='smld') PF-ODE re-timed by its noise level",
     lhs="sigma(t)", mode="function", rhs=t, tie=tie_sigma_t)
_add(name="edm.c_skip", title="EDM skip scaling c_skip(σ)", source=f"{KARRAS}, Table 1 (ours), Eq. 7", kind="scalar",
     family="generic", latex=r"c_{\text{skip}}(\sigma) = \frac{\sigma_{\text{data}}^2}{\sigma^2 + \sigma_{\text{data}}^2}",
     relation="ScoreNet(precond='edm').coefficients['c_skip']", lhs="c_skip", mode="function",
     rhs=SD**2 / (SIG**2 + SD**2), tie=tie_precond)
_add(name="edm.c_out", title="EDM output scaling c_out(σ)", source=f"{KARRAS}, Table 1 (ours), Eq. 7", kind="scalar",
     family="generic", latex=r"c_{\text{out}}(\sigma) = \frac{\sigma\,\sigma_{\text{data}}}{\sqrt{\sigma^2 + \sigma_{\text{data}}^2}}",
     relation="ScoreNet(precond='edm').coefficients['c_out']", lhs="c_out", mode="function",
     rhs=SIG * SD / sp.sqrt(SIG**2 + SD**2), tie=tie_precond)
_add(name="edm.c_in", title="EDM input scaling c_in(σ)", source=f"{KARRAS}, Table 1 (ours), Eq. 7", kind="scalar",
     family="generic", latex=r"c_{\text{in}}(\sigma) = \frac{1}{\sqrt{\sigma^2 + \sigma_{\text{data}}^2}}",
     relation="ScoreNet.coefficients['c_in'] × m (the package applies it to x_t = m x)", lhs="c_in", mode="function",
     rhs=1 / sp.sqrt(SIG**2 + SD**2), tie=tie_precond)
_add(name="edm.c_noise", title="EDM noise conditioning c_noise(σ)", source=f"{KARRAS}, Table 1 (ours), Eq. 7", kind="scalar",
     family="generic", latex=r"c_{\text{noise}}(\sigma) = \frac{1}{4}\ln\sigma", relation="ScoreNet.coefficients['c_noise']",
     lhs="c_noise", mode="function", rhs=sp.log(SIG) / 4, tie=tie_precond)
_add(name="edm.loss_weight", title="EDM loss weight λ(σ) = 1/c_out(σ)²", source=f"{KARRAS}, Table 1 (ours), Eq. 8",
     kind="scalar", family="generic",
     latex=r"\lambda(\sigma) = \frac{\sigma^2 + \sigma_{\text{data}}^2}{(\sigma\,\sigma_{\text{data}})^2}",
     relation="1 / ScoreNet.coefficients['c_out']²", lhs="lambda(sigma)", mode="function",
     rhs=(SIG**2 + SD**2) / (SIG * SD) ** 2, tie=tie_precond)
_CS, _CO = sp.Symbol("c_skip(σ)", real=True), sp.Symbol("c_out(σ)", positive=True)
_Y, _NS = sp.Symbol("y", real=True), sp.Symbol("n", real=True)


def tie_f_target(entry: Entry) -> Tuple[bool, str]:
    """Eq. 8's effective target makes the preconditioned denoiser exact: c_skip (y + n) + c_out F_target = y, with
    c_skip, c_out of ScoreNet(precond='edm').coefficients (VPSDE, VESDE) and y, n at several values."""
    from ..ties import _ev

    worst = 0.0
    for _, _, c in _coeff_table():
        for yv, nv in ((0.7, -0.3), (-1.2, 2.5)):
            f = _ev(entry.rhs, {_CS: c["c_skip"], _CO: c["c_out"], _Y: yv, _NS: nv * c["sigma"]})
            worst = max(worst, abs(c["c_skip"] * (yv + nv * c["sigma"]) + c["c_out"] * f - yv))
    return worst < 1e-9, f"c_skip (y + n) + c_out F_target = y with ScoreNet(precond='edm').coefficients: max deviation {worst:.1e}"


_add(name="edm.f_target", title="EDM effective training target F_target", source=f"{KARRAS}, Eq. 8 (App. B.6)",
     kind="scalar", family="generic",
     latex=r"F_{\text{target}} = \frac{1}{c_{\text{out}}(\sigma)}\left(y - c_{\text{skip}}(\sigma)\,(y + n)\right)",
     relation="c_skip (y + n) + c_out F_target = y (ScoreNet(precond='edm').coefficients)", lhs="F_target",
     mode="function", rhs=(_Y - _CS * (_Y + _NS)) / _CO, tie=tie_f_target)
_X = sp.Symbol("x", real=True)
_FOUT = sp.Symbol("F_θ(c_in(σ) x; c_noise(σ))", real=True)  # the raw network at the scaled input and the noise condition


def tie_precond_denoiser(entry: Entry) -> Tuple[bool, str]:
    """Eq. 7's D = c_skip x + c_out F(c_in x; c_noise) against ScoreNet(precond='edm') itself (VPSDE, VESDE): its output
    at x_t is the entry with x = x_t/m (EDM's unscaled state), the package's c_skip, c_out and F = its core evaluated
    at c_in x_t (the package's c_in includes 1/m) and c_noise."""
    from ...nets import MLP, ScoreNet
    from ..ties import _ev, _points

    worst = 0.0
    torch.manual_seed(0)
    for sde in _sdes():
        net = ScoreNet(MLP(1, hidden=8, depth=1, emb_dim=8), sde, kind="x0", precond="edm", sigma_data=_SIGMA_DATA).double()
        for tt in _points(sde):
            t_ = torch.tensor([tt], dtype=_f64)
            x_t = torch.tensor([[0.37]], dtype=_f64)
            c = net.coefficients(t_)
            with torch.no_grad():
                got = float(net(x_t, t_).flatten()[0])
                f = float(net.core((c["c_in"] * x_t).double(), c["c_noise"].double()).flatten()[0])
            val = _ev(entry.rhs, {_CS: float(c["c_skip"]), _CO: float(c["c_out"]), _X: float(x_t) / float(c["m"]), _FOUT: f})
            worst = max(worst, abs(val - got) / (1 + abs(got)))
    return worst < 1e-9, f"ScoreNet(precond='edm') output on VPSDE, VESDE: max relative deviation {worst:.1e}"


_add(name="edm.precond_denoiser", title="EDM preconditioned denoiser D_θ = c_skip x + c_out F_θ(c_in x; c_noise)",
     source=f"{KARRAS}, Eq. 7", kind="scalar", family="generic",
     latex=r"D_\theta(x; \sigma) = c_{\text{skip}}(\sigma)\,x + c_{\text{out}}(\sigma)\,F_\theta\left(c_{\text{in}}(\sigma)\,x; c_{\text{noise}}(\sigma)\right)",
     relation="ScoreNet(precond='edm').forward", lhs="D_precond", mode="function", rhs=_CS * _X + _CO * _FOUT,
     tie=tie_precond_denoiser)
_add(name="edm.rho_steps", title="EDM ρ time steps σ_i (i < N)", source=f"{KARRAS}, Eq. 5", kind="scalar", family="generic",
     latex=r"\sigma_{i<N} = \left(\sigma_{\max}^{\frac{1}{\rho}} + \frac{i}{N-1}\left(\sigma_{\min}^{\frac{1}{\rho}} - \sigma_{\max}^{\frac{1}{\rho}}\right)\right)^{\rho}",
     relation="noise levels of scoresde.grids.karras", lhs="sigma_i", mode="discrete",
     rhs=(SMAX ** (1 / RHO) + I_ / (N_ - 1) * (SMIN ** (1 / RHO) - SMAX ** (1 / RHO))) ** RHO, tie=tie_rho)

_add(name="edm.ode", title="EDM probability-flow ODE with σ(t) = t, s(t) = 1", source=f"{KARRAS}, Eq. 1 with Table 1 (ours)",
     kind="sde", family="ve", latex=r"\mathrm{d}x = -t\,\nabla_x \log p_t(x)\,\mathrm{d}t",
     relation="VESDE(marginal='smld') PF-ODE re-timed by its noise level", direction="pf", mode="continuous",
     drift=-t * C.s, diff2=sp.Integer(0), noise=None, tie=tie_sigma_t)


def tie_time_steps(entry: Entry) -> Tuple[bool, str]:
    """t_i of Table 1: VP's uniform steps vs scoresde.grids.uniform(VPSDE); VE's t = σ² vs the squared noise levels
    of scoresde.grids.geometric(VESDE(marginal='smld')); ours (t = σ) vs the noise levels of grids.karras."""
    from ...grids import geometric, karras, uniform
    from ..ties import _ev, _ve, _vp

    worst = 0.0
    n_steps = 12
    if entry.name == "edm.vp_steps":
        sde = _vp()
        ref = uniform(sde, n_steps).tolist()
        vals = [_ev(entry.rhs, {I_: i, N_: n_steps + 1, EPS_S: sde.eps}) for i in range(n_steps + 1)]
    elif entry.name == "edm.ve_steps":
        sde = _ve(marginal="smld")
        lv = sde.noise_level(geometric(sde, n_steps))
        ref = (lv * lv).tolist()
        vals = [_ev(entry.rhs, {I_: i, N_: n_steps + 1, SMAX: float(lv[0]), SMIN: float(lv[-1])}) for i in range(n_steps + 1)]
    else:
        sde = _vp()
        ref = sde.noise_level(karras(sde, n_steps, rho=7.0)).tolist()
        vals = [_ev(entry.rhs, {I_: i, N_: n_steps + 1, RHO: 7.0, SMAX: ref[0], SMIN: ref[-1]}) for i in range(n_steps + 1)]
    for v_, r_ in zip(vals, ref):
        worst = max(worst, abs(v_ - r_) / (1 + abs(r_)))
    return worst < 1e-9, f"{entry.relation}: max relative deviation {worst:.1e}"


def tie_denoiser_score(entry: Entry) -> Tuple[bool, str]:
    """(D − x)/σ² with D = E[x_0 | x] from scoresde.params.convert(score → x0) on VESDE(marginal='smld') (σ = noise
    level), against the exact mixture score."""
    from ...analytic import GaussianMixture
    from ...params import convert
    from ..ties import _ev, _points, _ve

    sde = _ve(marginal="smld")
    mix = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
    worst = 0.0
    for tt in _points(sde):
        t_ = torch.tensor([tt], dtype=_f64)
        for xv in (-0.9, 0.4, 2.2):
            x_ = torch.tensor([[xv]], dtype=_f64)
            sc = mix.score(x_, sde, t_)
            d = float(convert(sc, "score", "x0", x_, t_, sde).flatten()[0])
            val = _ev(entry.rhs, {DEN: d, C.x: xv, SIG: float(sde.noise_level(t_))})
            worst = max(worst, abs(val - float(sc.flatten()[0])) / (1 + abs(float(sc.flatten()[0]))))
    return worst < 1e-10, f"params.convert(score → x0) on VESDE(marginal='smld') with a mixture score: max relative deviation {worst:.1e}"


EPS_S = sp.Symbol("ε_s", positive=True)
DEN = sp.Symbol("D(x; σ)", real=True)  # the denoiser output

_add(name="edm.vp_steps", title="EDM Table 1 time steps of VP", source=f"{KARRAS}, Table 1 (VP: t_i)", kind="scalar",
     family="vp", latex=r"t_{i<N} = 1 + \frac{i}{N-1}(\epsilon_s - 1)", relation="scoresde.grids.uniform(VPSDE)",
     lhs="t_i", mode="discrete", rhs=1 + I_ / (N_ - 1) * (EPS_S - 1), tie=tie_time_steps)
_add(name="edm.ve_steps", title="EDM Table 1 time steps of VE (t = σ²)", source=f"{KARRAS}, Table 1 (VE: t_i)", kind="scalar",
     family="ve", latex=r"t_{i<N} = \sigma_{\max}^2\left(\sigma_{\min}^2/\sigma_{\max}^2\right)^{\frac{i}{N-1}}",
     relation="squared noise levels of scoresde.grids.geometric(VESDE)", lhs="t_i", mode="discrete",
     rhs=SMAX**2 * (SMIN**2 / SMAX**2) ** (I_ / (N_ - 1)), tie=tie_time_steps)
_add(name="edm.karras_steps", title="EDM Table 1 time steps (ours: t_i = σ_i)", source=f"{KARRAS}, Table 1 (ours) and Eq. 5",
     kind="scalar", family="generic",
     latex=r"t_{i<N} = \left(\sigma_{\max}^{1/\rho} + \frac{i}{N-1}(\sigma_{\min}^{1/\rho} - \sigma_{\max}^{1/\rho})\right)^\rho",
     relation="noise levels of scoresde.grids.karras(VPSDE, rho = 7)", lhs="t_i", mode="discrete",
     rhs=(SMAX ** (1 / RHO) + I_ / (N_ - 1) * (SMIN ** (1 / RHO) - SMAX ** (1 / RHO))) ** RHO, tie=tie_time_steps)
_add(name="edm.denoiser_score", title="score from the ideal denoiser", source=f"{KARRAS}, Eq. 3", kind="scalar",
     family="generic", latex=r"\nabla_{x}\log p(x; \sigma) = (D(x; \sigma) - x)/\sigma^2",
     relation="params.convert(score → x0) on VESDE(marginal='smld')", lhs="score_denoiser", mode="relation",
     rhs=(DEN - C.x) / SIG**2, tie=tie_denoiser_score)


def tie_precond_columns(entry: Entry) -> Tuple[bool, str]:
    """Table 1's VP and VE preconditioning, D(x; σ) = c_skip x + c_out F(c_in x), against scoresde.params.convert at
    the EDM noise level σ = s/m and EDM's scaled input x = x_t/m. VP: F is the ε-network, fed x_t (so c_in x = x_t);
    VE (m = 1): F = σ ∇log p (Song's NCSN output), fed x; c_noise = ln(σ/2) for VE is the conditioning of
    Song et al.'s NCSN++ (log of the noise level, halved) and has no package counterpart: checked as ln(σ) − ln 2."""
    from ...params import convert
    from ..ties import _ev, _points, _ve, _vp

    vp = entry.name.startswith("edm.precond_vp")
    sde = _vp() if vp else _ve(marginal="smld")
    worst = 0.0
    for tt in _points(sde):
        t_ = torch.tensor([tt], dtype=_f64)
        m = float(torch.exp(sde.log_mean_coeff(t_)).flatten()[0])
        lv = float(sde.noise_level(t_))
        x_t = torch.tensor([[0.7]], dtype=_f64)
        f_val = torch.tensor([[-0.45]], dtype=_f64)  # a network output
        if vp:
            d = float(convert(f_val, "eps", "x0", x_t, t_, sde).flatten()[0])
        else:
            d = float(convert(f_val / lv, "score", "x0", x_t, t_, sde).flatten()[0])
        x = float(x_t.flatten()[0]) / m
        cs, co, ci = (_ev(e_.rhs, {SIG: lv}) for e_ in (_COL[(vp, "c_skip")], _COL[(vp, "c_out")], _COL[(vp, "c_in")]))
        ref = {"c_skip": cs, "c_out": co, "c_in": ci, "c_noise": float(np.log(lv / 2))}[entry.lhs]
        if entry.lhs in ("c_skip", "c_out"):  # the pair must rebuild D = E[x_0 | x_t]
            worst = max(worst, abs(cs * x + co * float(f_val.flatten()[0]) - d) / (1 + abs(d)))
        if entry.lhs == "c_in":  # the network sees x_t itself
            worst = max(worst, abs(ci * x - float(x_t.flatten()[0])) / (1 + abs(x)))
        val = _ev(entry.rhs, {SIG: lv})
        worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"params.convert({'eps' if vp else 'score'} → x0) on {type(sde).__name__}: max relative deviation {worst:.1e}"


_COL: dict = {}
for _vp_col, _lhs, _rhs, _tex in (
        (True, "c_skip", sp.Integer(1), "1"), (True, "c_out", -SIG, r"-\sigma"), (True, "c_in", 1 / sp.sqrt(SIG**2 + 1), r"\frac{1}{\sqrt{\sigma^2 + 1}}"),
        (False, "c_skip", sp.Integer(1), "1"), (False, "c_out", SIG, r"\sigma"), (False, "c_in", sp.Integer(1), "1"),
        (False, "c_noise", sp.log(SIG / 2), r"\log\left(\tfrac{1}{2}\sigma\right)")):
    _col = "VP" if _vp_col else "VE"
    _add(name=f"edm.precond_{_col.lower()}.{_lhs}", title=f"EDM {_lhs} of the {_col} column", source=f"{KARRAS}, Table 1 ({_col})",
         kind="scalar", family="generic", latex=rf"{_lhs[:1]}_{{\text{{{_lhs[2:]}}}}}(\sigma) = {_tex}",
         relation=f"params.convert on {'VPSDE (ε-network)' if _vp_col else 'VESDE (σ·score network)'}", lhs=_lhs, mode="function",
         rhs=_rhs, tie=tie_precond_columns)
    _COL[(_vp_col, _lhs)] = ENTRIES[-1]

__all__ = ["ENTRIES", "PENDING", "tie_precond", "tie_rho", "tie_sigma_t"]
