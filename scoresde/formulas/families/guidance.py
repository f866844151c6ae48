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

ENTRIES: List[Entry] = []  # registered entries (none yet: this family is not in FAMILIES until one reads back)
PENDING: List[Entry] = []  # tied and tested, waiting for the reader to produce their left sides (see test_corpus)
_pending = collector(PENDING)

S_Y = sp.Symbol("∇log p_t(y|x)", real=True)  # the classifier's gradient
S_C = sp.Symbol("s_θ(x, c)", real=True)  # conditional score model
W = sp.Symbol("w", real=True)  # guidance strength
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
    """Score sums on a two-class Gaussian mixture under VPSDE and VESDE (w = 0 and w = 2.5 for the guided forms)."""
    from ..ties import _ev, _points, _ve, _vp

    worst = 0.0
    for sde in (_vp(), _ve()):
        for tt in _points(sde):
            for x, k in ((0.3, 0), (-0.7, 1)):
                s_u, s_c, g_y = _mixture_scores(sde, tt, x, k)
                for w in (0.0, 2.5):
                    if entry.lhs == "score_cond":
                        ref = s_c  # ∇ log p_t(x | y)
                    else:  # the guided score ∇ log p_t(x) + (1 + w) ∇ log p_t(y | x)
                        ref = s_u + (1 + w) * g_y
                    val = _ev(entry.rhs, {C.s: s_u, S_Y: g_y, S_C: s_c, W: w})
                    worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-9, f"exact two-class Gaussian-mixture scores (VPSDE, VESDE): max relative deviation {worst:.1e}"


_pending(name="guidance.classifier", title="conditional score = score + classifier gradient",
     source="Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 14 and App. I; Dhariwal & Nichol 2021, Sec. 4",
     kind="scalar", family="generic",
     latex=r"\nabla_x \log p_t(x \mid y) = \nabla_x \log p_t(x) + \nabla_x \log p_t(y \mid x)",
     relation="GaussianMixture component scores = mixture score + autograd of log responsibilities", lhs="score_cond",
     mode="relation", rhs=C.s + S_Y, tie=tie_guidance)
_pending(name="guidance.classifier_free", title="classifier-free guided score",
     source="Ho & Salimans 2022 (Classifier-Free Diffusion Guidance), Eq. 6 in score form (Sec. 3.2)", kind="scalar",
     family="generic",
     latex=r"\tilde{s}_\theta(x, c) = (1 + w)\, s_\theta(x, c) - w\, s_\theta(x)",
     relation="GaussianMixture: (1 + w) s(x | c) − w s(x) = s(x) + (1 + w) ∇ log p(c | x)", lhs="score_cfg",
     mode="relation", rhs=(1 + W) * S_C - W * C.s, tie=tie_guidance)
