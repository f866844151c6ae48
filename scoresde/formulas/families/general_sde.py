"""SDEs with a matrix-valued, state-dependent diffusion G(x, t): forward (Song et al. 2021, Eq. 15), reverse
(Eq. 16) and probability flow (Eq. 17). G Gᵀ reads as G², ∇·[G Gᵀ] is one symbol (canon.GX, canon.DIVGG).

The package's SDEs have G(x, t) = g(t) I, for which ∇·[G Gᵀ] = 0 and the three forms reduce to Eq. 5, 6 and 13;
the ties check that reduction symbolically and then run the reduced form's own tie against the package.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_forward_general, tie_sde
from ._common import SONG, collector, g2, s

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

GG = C.GX ** 2


def _fokker_planck_ok(entry: Entry) -> bool:
    """In one dimension with any f(x), G(x), p(x): the probability-flow drift f̃ carries p as the forward SDE does,
    f̃ p = f p − ½ ∂ₓ(G² p) (Fokker–Planck), and the reverse drift is 2 f̃ − f (Song et al. 2021, App. A and D.1)."""
    y = sp.Symbol("y", real=True)
    f_, g_, p_ = sp.Function("F")(y), sp.Function("Gf")(y), sp.Function("P", positive=True)(y)
    sub = {C.FX: f_, C.GX: g_, C.DIVGG: sp.diff(g_**2, y), s: sp.diff(sp.log(p_), y)}
    drift, diff2 = entry.drift.xreplace(sub), entry.diff2.xreplace(sub)
    pf = f_ - sp.diff(g_**2 * p_, y) / (2 * p_)
    want = {"forward": (f_, g_**2), "reverse": (2 * pf - f_, g_**2), "pf": (pf, sp.Integer(0))}[entry.direction]
    return sp.simplify(drift - want[0]) == 0 and sp.simplify(diff2 - want[1]) == 0


def _tie_state_independent(entry: Entry) -> Tuple[bool, str]:
    """In 1-D with a state-dependent G, the Fokker–Planck identity (:func:`_fokker_planck_ok`); with G(x, t) = g(t) I
    (∇·[G Gᵀ] = 0, G Gᵀ = g²), the reduced entry against LinearSDE / ReverseSDE."""
    if not _fokker_planck_ok(entry):
        return False, "the drift does not satisfy the Fokker–Planck identity f̃ p = f p − ½ ∂ₓ(G² p) in one dimension"
    red = entry.with_forms({"drift": entry.drift.xreplace({C.DIVGG: 0, C.GX: C.G(C.t)}),
                            "diff2": entry.diff2.xreplace({C.GX: C.G(C.t)})})
    want = {"forward": (C.FX, g2), "reverse": (C.FX - g2 * s, g2), "pf": (C.FX - g2 * s / 2, sp.Integer(0))}[entry.direction]
    if sp.expand(red.drift - want[0]) != 0 or sp.expand(red.diff2 - want[1]) != 0:
        return False, "with G = g(t) I it does not reduce to Song et al. Eq. 5/6/13"
    ok, detail = (tie_forward_general if entry.direction == "forward" else tie_sde)(red)
    return ok, "Fokker–Planck identity with a state-dependent G in 1-D; G(x, t) = g(t) I reduces it to Eq. 5/6/13; " + detail


_add(name="sde.forward_G", title="forward SDE with diffusion matrix G(x, t)", source=f"{SONG}, App. A, Eq. 15", kind="sde",
     family="generic", latex=r"dx = f(x,t)\,dt + G(x,t)\,dw", relation="LinearSDE.sde with G(x, t) = g(t) I",
     direction="forward", mode="continuous", drift=C.FX, diff2=GG, noise="dw", tie=_tie_state_independent)
_add(name="reverse.sde_G", title="reverse-time SDE with diffusion matrix G(x, t)", source=f"{SONG}, App. A, Eq. 16", kind="sde",
     family="generic",
     latex=r"dx = \{f(x,t) - \nabla\cdot[G(x,t)G(x,t)^\top] - G(x,t)G(x,t)^\top\nabla_x\log p_t(x)\}\,dt + G(x,t)\,d\bar{w}",
     relation="LinearSDE.reverse(score_fn).sde with G(x, t) = g(t) I", direction="reverse", mode="continuous",
     drift=C.FX - C.DIVGG - GG * s, diff2=GG, noise="dwbar", tie=_tie_state_independent)
_add(name="pf.ode_G", title="probability-flow ODE with diffusion matrix G(x, t)", source=f"{SONG}, App. D.1, Eq. 17", kind="sde",
     family="generic",
     latex=r"dx = \{f(x,t) - \frac{1}{2}\nabla\cdot[G(x,t)G(x,t)^\top] - \frac{1}{2}G(x,t)G(x,t)^\top\nabla_x\log p_t(x)\}\,dt",
     relation="LinearSDE.reverse(score_fn, probability_flow=True).sde with G(x, t) = g(t) I", direction="pf", mode="continuous",
     drift=C.FX - C.DIVGG / 2 - GG * s / 2, diff2=sp.Integer(0), noise=None, tie=_tie_state_independent)


# ---------------------------------------------------------------------------- the discretised SDE and its reversals
def _tie_discrete(entry: Entry) -> Tuple[bool, str]:
    """With the VP chain's f_i(x) = (√(1 − β_i) − 1)x, G_i = √β_i and the SMLD chain's f_i = 0, G_i² = σ_{i+1}² − σ_i²
    (Song et al. 2021, App. E) the entry is the registry's chain / reverse-diffusion step of that family, whose tie runs."""
    from ..registry import REGISTRY

    pairs = {"forward": ("ddpm.forward_step", "smld.forward_step"), "reverse": ("vp.reverse_diffusion", "ve.reverse_diffusion")}
    out = []
    for fam, name in zip(("vp", "ve"), pairs[entry.direction]):
        if fam == "vp":
            sub = {C.FD: (sp.sqrt(1 - C.b) - 1) * C.x_cur, C.FDp: (sp.sqrt(1 - C.b) - 1) * C.x_prev, C.GD: sp.sqrt(C.b), C.GDp: sp.sqrt(C.b)}
        else:
            sub = {C.FD: 0, C.FDp: 0, C.GD: sp.sqrt(C.S**2 - C.Sp**2), C.GDp: sp.sqrt(C.S**2 - C.Sp**2)}
        twin = REGISTRY[name]
        mean = {}
        for k, val in entry.mean.items():
            part = sp.expand(val.xreplace(sub) * k.xreplace(sub))
            for bsym in (C.x_cur, C.x_prev, C.s):
                c = part.coeff(bsym)
                if c != 0:
                    mean[bsym] = sp.simplify(mean.get(bsym, 0) + c)
        var = sp.simplify(entry.var[0].xreplace(sub))
        ok_mean = all(sp.simplify(mean.get(k, 0) - twin.mean.get(k, 0)) == 0 for k in set(mean) | set(twin.mean))
        ok_var = any(sp.simplify(var - v_) == 0 for v_ in twin.var)
        if not (ok_mean and ok_var):
            return False, f"with the {fam.upper()} chain's f_i, G_i it is not {name}"
        ok, detail = twin.tie(twin) if twin.tie else (True, "")
        if not ok:
            return False, f"{name}: {detail}"
        out.append(name)
    return True, "with the VP / SMLD chain's f_i, G_i it is " + " / ".join(out) + ", whose ties pass"


_add(name="chain.discrete_general", title="discretised forward SDE x_{i+1} = x_i + f_i(x_i) + G_i z_i",
     source=f"{SONG}, App. E, Eq. 45", kind="step", family="generic", mode="discrete",
     latex=r"x_{i+1} = x_i + f_i(x_i) + G_i z_i", relation="the VP / SMLD chains of sde.chain(N) with their f_i, G_i",
     direction="forward", lhs="x_cur", mean={C.x_prev: sp.Integer(1), C.FDp: sp.Integer(1)}, var=[C.GDp**2], tie=_tie_discrete)
_add(name="reverse_diffusion.general", title="reverse diffusion step of the discretised SDE",
     source=f"{SONG}, App. E, Eq. 46", kind="step", family="generic", mode="discrete",
     latex=r"x_i = x_{i+1} - f_{i+1}(x_{i+1}) + G_{i+1}G_{i+1}^\top s_\theta(x_{i+1}, i+1) + G_{i+1} z_{i+1}",
     relation="vp.reverse_diffusion / ve.reverse_diffusion with their f_i, G_i", direction="reverse", lhs="x_prev",
     mean={C.x_cur: sp.Integer(1), C.FD: sp.Integer(-1), C.s: C.GD**2}, var=[C.GD**2], tie=_tie_discrete)


def _tie_pf_discrete(entry: Entry) -> Tuple[bool, str]:
    """With the package's f_i, G_i (VPSDE.discretize) and an exact mixture score, the step agrees with an Euler step
    of the package's probability-flow ODE (ReverseSDE(probability_flow=True)) to second order: the gap shrinks ~4x
    when N doubles."""
    import torch

    from ...analytic import GaussianMixture
    from ...sde import VPSDE

    f64 = torch.float64
    sde = VPSDE()
    mix = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
    pf = sde.reverse(mix.score_fn(sde), probability_flow=True)
    x, tt = torch.tensor([[0.8]], dtype=f64), 0.5
    gaps = []
    for n in (200, 400):
        t = torch.tensor([tt], dtype=f64)
        f, g = sde.discretize(x, t, N=n)
        score = float(mix.score(x, sde, t))
        vals = {C.x_cur: 0.8, C.s: score, C.FD: float(f.flatten()[0])}
        step = sum(float(c.subs({C.GD: float(g.flatten()[0])})) * vals[k] for k, c in entry.mean.items())
        euler = 0.8 - float(pf.sde(x, t)[0].flatten()[0]) * sde.T / n
        gaps.append(abs(step - euler))
    ratio = gaps[0] / max(gaps[1], 1e-300)
    return 3.0 < ratio < 5.0, f"VPSDE.discretize + exact score vs an Euler step of ReverseSDE(probability_flow=True): gap {gaps[0]:.1e} → {gaps[1]:.1e} when N doubles"


_add(name="pf.discrete_general", title="probability-flow step of the discretised SDE",
     source=f"{SONG}, App. D (x_i = x_{{i+1}} − f_{{i+1}}(x_{{i+1}}) + ½ G_{{i+1}}G_{{i+1}}ᵀ s_θ*(x_{{i+1}}, i+1))", kind="step",
     family="generic", mode="discrete",
     latex=r"x_i = x_{i+1} - f_{i+1}(x_{i+1}) + \frac{1}{2}G_{i+1}G_{i+1}^\top s_\theta(x_{i+1}, i+1)",
     relation="an Euler step of ReverseSDE(probability_flow=True) to second order, with VPSDE.discretize", direction="reverse",
     lhs="x_prev", mean={C.x_cur: sp.Integer(1), C.FD: sp.Integer(-1), C.s: C.GD**2 / 2}, var=None, tie=_tie_pf_discrete)
