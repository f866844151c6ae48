"""Conditional sampling as a score sum: classifier guidance (Song et al. 2021, Eq. 14 and App. I; Dhariwal &
Nichol 2021, Sec. 4) and classifier-free guidance (Ho & Salimans 2022, Eq. 6 and Sec. 3.2).

Ties: the exact scores of a Gaussian mixture (``scoresde.analytic.GaussianMixture``) diffused by VPSDE and VESDE,
with the component label as the class y: the score of component y equals the mixture score plus the gradient
of log p_t(y | x) (autograd of ``GaussianMixture.responsibilities``); the guided scores are checked the same way.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)
#: entries written but not registered yet (none at present: since evaluate.is_zero gives every free symbol random
#: values, entries with σ_data, i, N, ρ, w, ... are registered). Their ties would still be tested in test_corpus.
PENDING: List[Entry] = []
_pending = collector(PENDING)

S_Y = sp.Symbol("∇log p_t(y|x)", real=True)  # the classifier's gradient
S_C = sp.Symbol("s_θ(x, c)", real=True)  # conditional score (model)
E_C = sp.Symbol("ε_θ(z, c)", real=True)  # conditional noise prediction
W = sp.Symbol("w", real=True)  # guidance strength
SIG = C.sg_sym  # the kernel's standard deviation (√(1 − ᾱ_t) for VP)
_f64 = torch.float64


def _mixture_scores(sde, tt: float, x: float, k: int):
    """(unconditional score, conditional score of class k, ∇ log p_t(k | x)) at x."""
    from ...analytic import GaussianMixture

    w, mu, sd = [0.3, 0.7], [[-1.0], [1.5]], [0.4, 0.6]
    mix = GaussianMixture(w, mu, sd)
    comp = GaussianMixture([1.0], [mu[k]], [sd[k]])
    t_ = torch.tensor([tt], dtype=_f64)
    xv = torch.tensor([[x]], dtype=_f64, requires_grad=True)
    logr = torch.log(mix.responsibilities(xv, sde, t_))[0, k]
    (grad,) = torch.autograd.grad(logr, xv)
    xd = xv.detach()
    return float(mix.score(xd, sde, t_)), float(comp.score(xd, sde, t_)), float(grad)


def tie_guidance(entry: Entry) -> Tuple[bool, str]:
    """Score sums on a two-class Gaussian mixture under VPSDE and VESDE (w = 0 and w = 2.5 for the guided forms);
    noise-prediction forms with ε = −σ_t s (σ_t = the package's marginal_std)."""
    from ..ties import _ev, _points, _ve, _vp

    worst = 0.0
    for sde in (_vp(), _ve()):
        for tt in _points(sde):
            sd = float(sde.marginal_std(torch.tensor(tt, dtype=_f64)))
            for x, k in ((0.3, 0), (-0.7, 1)):
                s_u, s_c, g_y = _mixture_scores(sde, tt, x, k)
                for w in (0.0, 2.5):
                    guided = s_u + (1 + w) * g_y  # ∇ log p_t(x) + (1 + w) ∇ log p_t(y | x)
                    ref = {"score_cond": s_c, "score_cfg": guided, "eps_cfg": -sd * guided, "eps_guided": -sd * s_c}[entry.lhs]
                    sub = {C.s: s_u, S_Y: g_y, S_C: s_c, W: w, SIG: sd, C.e: -sd * s_u, E_C: -sd * s_c}
                    if entry.lhs == "eps_guided":  # Dhariwal & Nichol write √(1 − ᾱ_t): the VP kernel's std
                        sub[C.a] = 1 - sd * sd
                    val = _ev(entry.rhs, sub)
                    worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-9, f"exact two-class Gaussian-mixture scores (VPSDE, VESDE): max relative deviation {worst:.1e}"


_add(name="guidance.classifier", title="conditional score = score + classifier gradient",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 14 and App. I; Dhariwal & Nichol 2021, Sec. 4",
     kind="scalar", family="generic",
     latex=r"\nabla_x \log p_t(x \mid y) = \nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x)",
     relation="GaussianMixture component scores = mixture score + autograd of log responsibilities", lhs="score_cond",
     mode="relation", rhs=C.s + S_Y, tie=tie_guidance)
_add(name="guidance.classifier_free", title="classifier-free guidance",
     source="Ho & Salimans 2022 (Classifier-Free Diffusion Guidance), Eq. 6", kind="scalar", family="generic",
     latex=r"\tilde{\epsilon}_\theta(z_\lambda, c) = (1 + w)\epsilon_\theta(z_\lambda, c) - w\epsilon_\theta(z_\lambda)",
     relation="GaussianMixture: −σ_t[(1 + w) s(x | c) − w s(x)] = −σ_t[s(x) + (1 + w) ∇ log p(c | x)]", lhs="eps_cfg",
     mode="relation", rhs=(1 + W) * E_C - W * C.e, tie=tie_guidance)
_add(name="guidance.classifier_free_score", title="classifier-free guidance as a score sum",
     source="Ho & Salimans 2022 (Classifier-Free Diffusion Guidance), Sec. 3.2 (p(z | c) p(c | z)^w)", kind="scalar",
     family="generic",
     latex=r"\nabla_z \log \tilde{p}(z \mid c) = (1 + w)\nabla_z \log p(z \mid c) - w\nabla_z \log p(z)",
     relation="GaussianMixture: (1 + w) s(x | c) − w s(x) = s(x) + (1 + w) ∇ log p(c | x)", lhs="score_cfg",
     mode="relation", rhs=(1 + W) * S_C - W * C.s, tie=tie_guidance)
_add(name="guidance.classifier_eps", title="classifier-guided noise prediction",
     source="Dhariwal & Nichol 2021 (Diffusion Models Beat GANs), Sec. 4.2 and Alg. 2", kind="scalar", family="vp",
     latex=r"\hat{\epsilon}(x_t) = \epsilon_\theta(x_t) - \sqrt{1 - \bar{\alpha}_t}\,\nabla_{x_t} \log p_\phi(y \mid x_t)",
     relation="GaussianMixture under VPSDE: −σ_t s(x | y) = ε(x) − σ_t ∇ log p(y | x)", lhs="eps_guided", mode="relation",
     rhs=C.e - sp.sqrt(1 - C.a) * S_Y, tie=tie_guidance)


# ------------------------------------------------------------------------------------------- guided reverse SDEs
def tie_guided_sde(entry: Entry) -> Tuple[bool, str]:
    """The entry's drift with s = mixture score and ∇log p_t(y|x) = autograd of log responsibilities equals the drift of
    ``LinearSDE.reverse(score_fn)`` built on the class-y component's exact score (Song et al. 2021, Eq. 14: the reverse
    SDE of p_t(x | y)); g² from LinearSDE.diffusion_sq."""
    import math

    from ...analytic import GaussianMixture
    from ..ties import _ev, _points, _schedule_subs, _vp

    fams = {"vp": [_vp()], "ve": [_ve_()]}.get(entry.family, [_vp(), _ve_()])
    mu, sd_ = [[-1.0], [1.5]], [0.4, 0.6]
    worst = 0.0
    for sde in fams:
        for tt in _points(sde):
            t_ = torch.tensor([tt], dtype=_f64)
            for x, k in ((0.3, 0), (-0.7, 1)):
                s_u, s_c, g_y = _mixture_scores(sde, tt, x, k)
                comp = GaussianMixture([1.0], [mu[k]], [sd_[k]])
                rev = sde.reverse(comp.score_fn(sde), probability_flow=entry.direction == "pf")
                d_pkg, _ = rev.sde(torch.tensor([[x]], dtype=_f64), t_)
                f_t, g2_t = float(sde.drift_coeff(t_)), float(sde.diffusion_sq(t_))
                drift = _schedule_subs(entry.drift.subs({C.FX: C.FT(C.t) * C.x}), sde).subs({C.FT(C.t): f_t, C.G(C.t): math.sqrt(g2_t)})
                de = _ev(drift, {C.x: x, C.s: s_u, C.SY: g_y, C.t: tt})
                ge = _ev(_schedule_subs(entry.diff2, sde).subs({C.G(C.t): math.sqrt(g2_t)}), {C.t: tt})
                g_ref = 0.0 if entry.direction == "pf" else g2_t
                worst = max(worst, abs(float(d_pkg.flatten()[0]) - de) / (1 + abs(de)), abs(ge - g_ref) / (1 + g2_t))
    names = ", ".join(type(q).__name__ for q in fams)
    return worst < 1e-7, f"ReverseSDE.sde with the class component's exact score ({names}): max relative deviation {worst:.1e}"


def _ve_():
    from ..ties import _ve
    return _ve()


_G2, _BETA = C.G(C.t) ** 2, C.BETA(C.t)
_add(name="guidance.reverse_sde", title="conditional reverse-time SDE (classifier guidance)",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 14", kind="sde", family="generic",
     latex=r"dx = [f(x, t) - g(t)^2(\nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x))]\,dt + g(t)\,d\bar{w}",
     relation="LinearSDE.reverse(score of p_t(x | y)).sde", direction="reverse", mode="continuous",
     drift=C.FX - _G2 * (C.s + C.SY), diff2=_G2, noise="dwbar", tie=tie_guided_sde)
_add(name="guidance.vp.reverse_sde", title="conditional reverse-time SDE, VP (classifier guidance)",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 14 with the VP SDE (Eq. 11)", kind="sde",
     family="vp",
     latex=r"dx = [-\frac{1}{2}\beta(t)x - \beta(t)(\nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x))]\,dt + \sqrt{\beta(t)}\,d\bar{w}",
     relation="VPSDE.reverse(score of p_t(x | y)).sde", direction="reverse", mode="continuous",
     drift=-_BETA / 2 * C.x - _BETA * (C.s + C.SY), diff2=_BETA, noise="dwbar", tie=tie_guided_sde)
_DS2 = sp.Derivative(C.SIGMA(C.t) ** 2, C.t).doit()
_add(name="guidance.ve.reverse_sde", title="conditional reverse-time SDE, VE (classifier guidance)",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 14 with the VE SDE (Eq. 9)", kind="sde",
     family="ve",
     latex=r"dx = -\frac{d[\sigma(t)^2]}{dt}(\nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x))\,dt + \sqrt{\frac{d[\sigma(t)^2]}{dt}}\,d\bar{w}",
     relation="VESDE.reverse(score of p_t(x | y)).sde", direction="reverse", mode="continuous",
     drift=-_DS2 * (C.s + C.SY), diff2=_DS2, noise="dwbar", tie=tie_guided_sde)
_add(name="guidance.pf_ode", title="conditional probability-flow ODE (classifier guidance)",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 13 with the conditional score of App. I",
     kind="sde", family="generic",
     latex=r"dx = [f(x, t) - \frac{1}{2}g(t)^2(\nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x))]\,dt",
     relation="LinearSDE.reverse(score of p_t(x | y), probability_flow=True).sde", direction="pf", mode="continuous",
     drift=C.FX - _G2 * (C.s + C.SY) / 2, diff2=sp.Integer(0), noise=None, tie=tie_guided_sde)
_add(name="guidance.vp.pf_ode", title="conditional probability-flow ODE, VP (classifier guidance)",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 13 with the VP SDE (Eq. 11) and the "
            "conditional score of App. I", kind="sde", family="vp",
     latex=r"dx = -\frac{1}{2}\beta(t)\left[x + \nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x)\right]dt",
     relation="VPSDE.reverse(score of p_t(x | y), probability_flow=True).sde", direction="pf", mode="continuous",
     drift=-_BETA / 2 * (C.x + C.s + C.SY), diff2=sp.Integer(0), noise=None, tie=tie_guided_sde)
_add(name="guidance.ve.pf_ode", title="conditional probability-flow ODE, VE (classifier guidance)",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 13 with the VE SDE (Eq. 9) and the "
            "conditional score of App. I", kind="sde", family="ve",
     latex=r"dx = -\frac{1}{2}\frac{d[\sigma(t)^2]}{dt}(\nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x))\,dt",
     relation="VESDE.reverse(score of p_t(x | y), probability_flow=True).sde", direction="pf", mode="continuous",
     drift=-_DS2 / 2 * (C.s + C.SY), diff2=sp.Integer(0), noise=None, tie=tie_guided_sde)
