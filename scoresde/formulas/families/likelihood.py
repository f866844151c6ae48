"""The instantaneous change of variables and the Hutchinson divergence estimator (Chen et al. 2018, Thm. 1; Song et
al. 2021, Eq. 39 and App. D.2; Hutchinson 1989; Grathwohl et al. 2019). Formulas of this family are read by
:mod:`scoresde.formulas.likelihood_reader`; the entries' right sides are its placeholders (the divergence of the
drift, the Hutchinson expectation).

Ties: ``scoresde.likelihood.score_and_divergence`` on the exact score of a Gaussian mixture diffused by VPSDE:
d log p_t(x(t))/dt along the probability-flow ODE (∂_t log p_t by central differences of
``GaussianMixture.log_prob`` plus ∇log p_t · dx/dt) equals −∇·h, h the PF-ODE drift; and the Hutchinson mean over
all 2^D Rademacher sign patterns equals the exact divergence.
"""
from __future__ import annotations

import itertools
from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)
HUTCH = sp.Symbol("E[εᵀ∇f̃ ε]", real=True)
_f64 = torch.float64


def _mixture(dim: int):
    from ...analytic import GaussianMixture

    if dim == 1:
        return GaussianMixture([0.35, 0.65], [[-1.0], [1.2]], [0.4, 0.7])
    return GaussianMixture([0.35, 0.65], [[-1.0, 0.5], [1.2, -0.3]], [0.4, 0.7])


def tie_likelihood(entry: Entry) -> Tuple[bool, str]:
    from ...likelihood import score_and_divergence
    from ..ties import _points, _vp

    sde = _vp()
    worst = 0.0
    if entry.lhs == "likelihood:dlogp_dt":
        mix = _mixture(1)
        for tt in _points(sde)[1:-1]:
            x = torch.tensor([[0.4]], dtype=_f64)
            t_ = torch.tensor([tt], dtype=_f64)
            s, div_s = score_and_divergence(mix.score_fn(sde), x, t_, "exact")
            f, g2 = float(sde.drift_coeff(t_)), float(sde.diffusion_sq(t_))
            h = f * float(x) - 0.5 * g2 * float(s)
            div_h = f - 0.5 * g2 * float(div_s)
            d = 1e-5
            dt_logp = (float(mix.log_prob(x, sde, torch.tensor([tt + d], dtype=_f64)))
                       - float(mix.log_prob(x, sde, torch.tensor([tt - d], dtype=_f64)))) / (2 * d)
            lhs = dt_logp + float(s) * h
            rhs = float(entry.rhs.xreplace({C.DIV: div_h}))
            worst = max(worst, abs(lhs - rhs) / (1 + abs(rhs)))
        return worst < 1e-6, f"VPSDE PF-ODE on a Gaussian mixture (score_and_divergence, log_prob): max relative deviation {worst:.1e}"
    mix = _mixture(2)
    probes = torch.tensor(list(itertools.product((-1.0, 1.0), repeat=2)), dtype=_f64).reshape(4, 1, 2)
    for tt in _points(sde):
        x = torch.tensor([[0.4, -0.2]], dtype=_f64)
        t_ = torch.tensor([tt], dtype=_f64)
        _, exact = score_and_divergence(mix.score_fn(sde), x, t_, "exact")
        _, hut = score_and_divergence(mix.score_fn(sde), x, t_, "hutchinson", probes)
        val = float(entry.rhs.xreplace({HUTCH: float(hut)}))
        worst = max(worst, abs(val - float(exact)) / (1 + abs(float(exact))))
    return worst < 1e-10, f"score_and_divergence: Hutchinson over all Rademacher sign patterns vs exact: max relative deviation {worst:.1e}"


_add(name="likelihood.instantaneous", title="instantaneous change of variables d log p/dt = −∇·f",
     source="Chen et al. 2018 (Neural ODEs), Thm. 1; Song et al. 2021, Eq. 39", kind="scalar", family="generic",
     latex=r"\frac{d\log p_t(x(t))}{dt} = -\nabla\cdot\tilde{f}_\theta(x(t), t)",
     relation="likelihood.score_and_divergence and GaussianMixture.log_prob along the VPSDE PF-ODE", lhs="likelihood:dlogp_dt",
     mode="function", rhs=-C.DIV, tie=tie_likelihood)
_add(name="likelihood.hutchinson", title="Skilling–Hutchinson divergence estimator",
     source="Song et al. 2021, App. D.2 (Hutchinson 1989; Grathwohl et al. 2019, Eq. 7)", kind="scalar", family="generic",
     latex=r"\nabla\cdot\tilde{f}_\theta(x, t) = \mathbb{E}_{p(\epsilon)}\left[\epsilon^\top\nabla\tilde{f}_\theta(x, t)\epsilon\right]",
     relation="likelihood.score_and_divergence(…, 'hutchinson') over all Rademacher sign patterns = 'exact'",
     lhs="likelihood:div", mode="function", rhs=HUTCH, tie=tie_likelihood)
