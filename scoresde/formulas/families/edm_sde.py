"""EDM's continuous forms (Karras, Aittala, Aila & Laine 2022, Sec. 2 and App. B): the probability-flow ODE with a
scale s(t) (Eq. 4), the family of SDEs with a Langevin term β(t) (Eq. 6, both signs), and Song et al.'s forward and
reverse SDEs written in EDM's σ(t), s(t) (App. B.1, Eq. 28: f = ṡ/s, g = s√(2σ̇σ)).

σ(t), s(t) and β(t) are free functions of time here (σ(t), s(t) are any schedule; β(t) ≥ 0 is any Langevin rate):
a claim is exact when it is the same expression in them. Ties: with the package's σ(t) = noise_level and
s(t) = scale (time derivatives by central differences), Eq. 4 is the probability-flow drift of VPSDE and VESDE; Eq. 6
on VESDE (s = 1) with β = 0 is its probability-flow ODE, and with β = σ̇/σ its forward SDE (upper sign) and Song et
al.'s reverse SDE (lower sign).
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector, t

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

KARRAS = "Karras et al. 2022 (EDM)"
_f64 = torch.float64
SIG, SC, BETA = C.SIGMA(t), C.ST(t), C.BETA(t)
DSIG, DSC = sp.diff(SIG, t), sp.diff(SC, t)


def _at(sde, tau: float) -> dict:
    """σ, σ̇, s, ṡ of the package's SDE at time τ (noise_level = σ, scale = s; derivatives by central differences)."""
    h = 1e-6

    def val(fn, tt):
        return float(fn(torch.tensor(tt, dtype=_f64)))

    return {DSIG: (val(sde.noise_level, tau + h) - val(sde.noise_level, tau - h)) / (2 * h),
            DSC: (val(sde.scale, tau + h) - val(sde.scale, tau - h)) / (2 * h),
            SIG: val(sde.noise_level, tau), SC: val(sde.scale, tau)}


def _ev(expr: sp.Expr, subs: dict) -> float:
    return float(sp.N(expr.xreplace({k: v for k, v in subs.items() if isinstance(k, sp.Derivative)}).xreplace(subs), 30))


def tie_edm_sde(entry: Entry) -> Tuple[bool, str]:
    """Eq. 4 vs the probability-flow drift of VPSDE and VESDE; Eq. 6 on VESDE with β = 0 (PF-ODE) and β = σ̇/σ
    (forward SDE for the upper sign, reverse SDE for the lower sign), with an exact mixture score."""
    from ...analytic import GaussianMixture
    from ..ties import _points, _ve, _vp

    mix = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
    xval = torch.tensor([[0.8]], dtype=_f64)
    worst = 0.0
    cases = []
    if entry.name == "edm.ode_scaled":
        cases = [(sde, "pf", None) for sde in (_vp(), _ve())]
    elif entry.direction in ("forward", "reverse"):
        cases = [(sde, entry.direction, None) for sde in (_vp(), _ve())]
    else:  # Eq. 6: on VESDE (s = 1); written with s(t): on VPSDE too
        upper = entry.name.endswith("upper")
        sdes = (_ve(), _vp()) if entry.drift.has(C.ST) else (_ve(),)
        cases = [c_ for sde in sdes for c_ in ((sde, "pf", "zero"), (sde, "forward" if upper else "reverse", "g2"))]
    for sde, kind, beta in cases:
        for tau in _points(sde):
            tt = torch.tensor([tau], dtype=_f64)
            if kind == "forward":
                d_pkg, g_pkg = sde.sde(xval, tt)
            else:
                d_pkg, g_pkg = sde.reverse(mix.score_fn(sde), probability_flow=kind == "pf").sde(xval, tt)
            sub = _at(sde, tau)
            if beta is not None:
                sub[BETA] = 0.0 if beta == "zero" else sub[DSIG] / sub[SIG]
            sub.update({C.x: 0.8, C.s: float(mix.score(xval, sde, tt).flatten()[0])})
            de, ge = _ev(entry.drift, sub), _ev(entry.diff2, sub)
            g2 = 0.0 if kind == "pf" else float(g_pkg.flatten()[0]) ** 2
            worst = max(worst, abs(float(d_pkg.flatten()[0]) - de) / (1 + abs(de)), abs(g2 - ge) / (1 + abs(ge)))
    return worst < 1e-5, f"package drift and g² with σ = noise_level, s = scale (central differences): max relative deviation {worst:.1e}"


_add(name="edm.ode_scaled", title="EDM probability-flow ODE with scale s(t)", source=f"{KARRAS}, Eq. 4", kind="sde",
     family="generic",
     latex=r"\mathrm{d}x = \left[\frac{\dot s(t)}{s(t)}x - s(t)^2\dot\sigma(t)\sigma(t)\nabla_x\log p\left(\frac{x}{s(t)}; \sigma(t)\right)\right]\mathrm{d}t",
     relation="ReverseSDE(probability_flow=True).sde of VPSDE, VESDE with σ = noise_level, s = scale", direction="pf",
     mode="continuous", drift=DSC / SC * C.x - SC**2 * DSIG * SIG * C.s, diff2=sp.Integer(0), noise=None, tie=tie_edm_sde)
_add(name="edm.sde_upper", title="EDM SDE with Langevin term β(t), upper sign (forward in time)", source=f"{KARRAS}, Eq. 6 (dx_+)",
     kind="sde", family="generic",
     latex=r"\mathrm{d}x = -\dot\sigma(t)\sigma(t)\nabla_x\log p(x; \sigma(t))\,\mathrm{d}t + \beta(t)\sigma(t)^2\nabla_x\log p(x; \sigma(t))\,\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}w",
     relation="VESDE: PF-ODE at β = 0, LinearSDE.sde at β = σ̇/σ", direction="langevin", mode="continuous",
     drift=(-DSIG * SIG + BETA * SIG**2) * C.s, diff2=2 * BETA * SIG**2, noise="dw", tie=tie_edm_sde)
_add(name="edm.sde_lower", title="EDM SDE with Langevin term β(t), lower sign (backward in time)", source=f"{KARRAS}, Eq. 6 (dx_−)",
     kind="sde", family="generic",
     latex=r"\mathrm{d}x = -\dot\sigma(t)\sigma(t)\nabla_x\log p(x; \sigma(t))\,\mathrm{d}t - \beta(t)\sigma(t)^2\nabla_x\log p(x; \sigma(t))\,\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}w",
     relation="VESDE: PF-ODE at β = 0, ReverseSDE.sde at β = σ̇/σ", direction="langevin", mode="continuous",
     drift=(-DSIG * SIG - BETA * SIG**2) * C.s, diff2=2 * BETA * SIG**2, noise="dw", tie=tie_edm_sde)



def tie_sde_sigma_t(entry: Entry) -> Tuple[bool, str]:
    """Eq. 6 at EDM's own σ(t) = t (σ̇ = 1; Alg. 2 integrates this SDE) is the general entry of the same sign with σ(t)
    replaced by t, symbolically; the general entry is tied to the package by :func:`tie_edm_sde`."""
    general = next(q for q in ENTRIES if q.name == entry.name.replace("_t_", "_"))
    def at_t(e: sp.Expr) -> sp.Expr:
        return e.xreplace({DSIG: sp.Integer(1)}).xreplace({SIG: t})

    ok = sp.simplify(at_t(general.drift) - entry.drift) == 0 and sp.simplify(at_t(general.diff2) - entry.diff2) == 0
    ok2, detail = tie_edm_sde(general)
    return ok and ok2, f"{general.name} at σ(t) = t symbolically: {'equal' if ok else 'DIFFERENT'}; {detail}"


for _sign, _dir in ((1, "upper"), (-1, "lower")):
    _pm = "+" if _sign > 0 else "-"
    _add(name=f"edm.sde_t_{_dir}", title=f"EDM SDE with Langevin term β(t) and σ(t) = t, {_dir} sign",
         source=f"{KARRAS}, Eq. 6 with σ(t) = t (Table 1, ours; the SDE of Alg. 2)", kind="sde", family="ve",
         latex=(r"\mathrm{d}x = -t\nabla_x\log p(x; t)\,\mathrm{d}t " + _pm
                + r" \beta(t)t^2\nabla_x\log p(x; t)\,\mathrm{d}t + \sqrt{2\beta(t)}\,t\,\mathrm{d}w"),
         relation="edm.sde_upper / edm.sde_lower at σ(t) = t", direction="langevin", mode="continuous",
         drift=(-t + _sign * BETA * t**2) * C.s, diff2=2 * BETA * t**2, noise="dw", tie=tie_sde_sigma_t)


def tie_langevin_rate(entry: Entry) -> Tuple[bool, str]:
    """With β(t) = σ̇/σ, Eq. 6's lower sign is Song et al.'s reverse SDE and its upper sign the forward SDE (VESDE)."""
    out = []
    for name in ("edm.sde_lower", "edm.sde_upper"):
        e_ = next(q for q in ENTRIES if q.name == name)
        song = {"edm.sde_lower": (-2 * DSIG * SIG * C.s, 2 * DSIG * SIG), "edm.sde_upper": (sp.Integer(0), 2 * DSIG * SIG)}[name]
        out.append(sp.simplify(e_.drift.xreplace({BETA: entry.rhs}) - song[0]) == 0
                   and sp.simplify(e_.diff2.xreplace({BETA: entry.rhs}) - song[1]) == 0)
    ok, detail = tie_edm_sde(next(q for q in ENTRIES if q.name == "edm.sde_lower"))
    return all(out) and ok, f"Eq. 6 at this β is Song et al.'s reverse SDE / forward SDE (VE: g² = 2σσ̇) symbolically; {detail}"


_add(name="edm.langevin_rate_song", title="EDM Langevin rate β(t) = σ̇(t)/σ(t) (Song et al.'s SDEs)",
     source=f"{KARRAS}, Sec. 4 (Eq. 6 with β(t) = σ̇(t)/σ(t))", kind="scalar", family="generic",
     latex=r"\beta(t) = \frac{\dot\sigma(t)}{\sigma(t)}", relation="Eq. 6 at this β vs ReverseSDE.sde / LinearSDE.sde of VESDE",
     lhs="beta(t)", mode="function", rhs=DSIG / SIG, tie=tie_langevin_rate)

for _sign, _dir in ((1, "upper"), (-1, "lower")):
    _pm = "+" if _sign > 0 else "-"
    _add(name=f"edm.sde_scaled_{_dir}", title=f"EDM SDE with Langevin term β(t) and scale s(t), {_dir} sign",
         source=f"{KARRAS}, Eq. 6 with the scale s(t) of Eq. 4 (x = s(t) x̃)", kind="sde", family="generic",
         latex=(r"\mathrm{d}x = \left[\frac{\dot s(t)}{s(t)}x + s(t)^2\left(-\dot\sigma(t)\sigma(t) " + _pm
                + r" \beta(t)\sigma(t)^2\right)\nabla_x\log p\left(\frac{x}{s(t)}; \sigma(t)\right)\right]\mathrm{d}t"
                r" + s(t)\sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}w"),
         relation="VPSDE, VESDE: PF-ODE at β = 0, forward / reverse SDE at β = σ̇/σ", direction="langevin", mode="continuous",
         drift=DSC / SC * C.x + SC**2 * (-DSIG * SIG + _sign * BETA * SIG**2) * C.s, diff2=2 * BETA * SC**2 * SIG**2, noise="dw",
         tie=tie_edm_sde)
_add(name="edm.sde_scaled_forward", title="forward SDE in EDM's s(t), σ(t)", source=f"{KARRAS}, App. B.1 (Eq. 28 in Song et al.'s Eq. 5)",
     kind="sde", family="generic",
     latex=r"\mathrm{d}x = \frac{\dot s(t)}{s(t)}x\,\mathrm{d}t + s(t)\sqrt{2\dot\sigma(t)\sigma(t)}\,\mathrm{d}w",
     relation="LinearSDE.sde of VPSDE, VESDE with σ = noise_level, s = scale", direction="forward", mode="continuous",
     drift=DSC / SC * C.x, diff2=2 * SC**2 * DSIG * SIG, noise="dw", tie=tie_edm_sde)
_add(name="edm.sde_scaled_reverse", title="reverse-time SDE in EDM's s(t), σ(t)", source=f"{KARRAS}, App. B.1 (Eq. 28 in Song et al.'s Eq. 6)",
     kind="sde", family="generic",
     latex=r"\mathrm{d}x = \left[\frac{\dot s(t)}{s(t)}x - 2s(t)^2\dot\sigma(t)\sigma(t)\nabla_x\log p\left(\frac{x}{s(t)}; \sigma(t)\right)\right]\mathrm{d}t + s(t)\sqrt{2\dot\sigma(t)\sigma(t)}\,\mathrm{d}\bar{w}",
     relation="ReverseSDE.sde of VPSDE, VESDE with σ = noise_level, s = scale", direction="reverse", mode="continuous",
     drift=DSC / SC * C.x - 2 * SC**2 * DSIG * SIG * C.s, diff2=2 * SC**2 * DSIG * SIG, noise="dwbar", tie=tie_edm_sde)

__all__ = ["ENTRIES", "tie_edm_sde"]


def tie_edm_kernel(entry: Entry) -> Tuple[bool, str]:
    """Mean coefficient s(t) and variance s(t)²σ(t)² vs LinearSDE.marginal_prob of VPSDE and VESDE."""
    from ..ties import _points, _ve, _vp

    worst = 0.0
    for sde in (_vp(), _ve()):
        for tau in _points(sde):
            mean, std = sde.marginal_prob(torch.ones(1, dtype=_f64), torch.tensor(tau, dtype=_f64))
            sub = _at(sde, tau)
            worst = max(worst, abs(float(mean[0]) - _ev(entry.mean[C.x0], sub)),
                        abs(float(std[0]) ** 2 - _ev(entry.var[0], sub)) / (1 + float(std[0]) ** 2))
    return worst < 1e-9, f"LinearSDE.marginal_prob of VPSDE, VESDE with s = scale, σ = noise_level: max deviation {worst:.1e}"


_add(name="edm.kernel", title="perturbation kernel in EDM's s(t), σ(t)", source=f"{KARRAS}, App. B.1 (Eq. 9–10)", kind="step",
     family="generic", latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); s(t)x(0), s(t)^2\sigma(t)^2 I)",
     relation="LinearSDE.marginal_prob with s = scale, σ = noise_level", direction="kernel", mode="continuous", lhs="x",
     mean={C.x0: SC}, var=[SC**2 * SIG**2], tie=tie_edm_kernel)
