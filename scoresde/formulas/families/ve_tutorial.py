"""The VE SDE of Song's tutorial (Song 2021, "Generative Modeling by Estimating Gradients of the Data Distribution",
blog and its companion notebook, 'Defining the forward SDE'): dx = σ^t dw on t ∈ [0, 1] with a constant σ (25 there),
and its perturbation kernel p_0t(x(t) | x(0)) = N(x(t); x(0), (σ^{2t} − 1)/(2 log σ) I) (the variance is ∫₀ᵗ σ^{2u} du).

It is Song et al. 2021's VE SDE (Eq. 9) with the geometric σ(t) = σ_min σ^t, σ_min = 1/√(2 log σ) (so that
g² = d[σ(t)²]/dt = σ^{2t}), started at the data (σ(t)² − σ_min²): ties to ``VESDE(sigma_min=1/√(2 log σ),
sigma_max=σ/√(2 log σ), marginal="exact")``. The constant σ is read by :mod:`scoresde.formulas.ve_written`.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import sympy as sp
import torch

from ..entry import Entry
from ._common import collector, s, t, x, x0

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

SIGC = sp.Symbol("σ", positive=True)  # the constant base (canon's σ_const, classify_more.constant_base)
_SRC = "Song 2021 (blog 'Generative Modeling by Estimating Gradients of the Data Distribution' and its notebook)"


def tie_tutorial(entry: Entry) -> Tuple[bool, str]:
    """g² and the kernel variance vs VESDE(σ_min = 1/√(2 log σ), σ_max = σ/√(2 log σ), marginal='exact') at four times."""
    from ...sde import VESDE

    worst = 0.0
    for sig in (25.0, 5.0):
        smin = 1.0 / math.sqrt(2 * math.log(sig))
        sde = VESDE(sigma_min=smin, sigma_max=sig * smin, marginal="exact", T=1.0)
        for tau in (0.1, 0.4, 0.7, 1.0):
            tt = torch.tensor(tau, dtype=torch.float64)
            if entry.kind == "sde":
                ref, val = float(sde.diffusion_sq(tt)), float(entry.diff2.subs({SIGC: sig, t: tau}))
            else:
                ref, val = float(sde.marginal_var(tt)), float(entry.var[0].subs({SIGC: sig, t: tau}))
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-9, f"{entry.relation}: max relative deviation {worst:.1e}"


_add(name="ve.sde.tutorial", title="VE SDE of Song's tutorial, dx = σ^t dw", source=f"{_SRC}, Sec. 'Defining the forward SDE'",
     kind="sde", family="ve", latex=r"dx = \sigma^t\,dw",
     relation="VESDE(sigma_min=1/√(2 log σ), sigma_max=σ/√(2 log σ)).sde", direction="forward", mode="continuous",
     drift=sp.Integer(0), diff2=SIGC ** (2 * t), noise="dw", tie=tie_tutorial)
_add(name="ve.kernel.tutorial", title="perturbation kernel of Song's tutorial SDE", source=f"{_SRC}, Sec. 'Defining the forward SDE' (marginal_prob_std)",
     kind="step", family="ve",
     latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}\left(x(t); x(0), \frac{\sigma^{2t} - 1}{2\log\sigma} I\right)",
     relation="VESDE(sigma_min=1/√(2 log σ), sigma_max=σ/√(2 log σ), marginal='exact').marginal_var", direction="kernel",
     mode="continuous", lhs="x", mean={x0: sp.Integer(1)}, var=[(SIGC ** (2 * t) - 1) / (2 * sp.log(SIGC))], tie=tie_tutorial)



def tie_tutorial_reverse(entry: Entry) -> Tuple[bool, str]:
    """The score's coefficient in the drift, −g² (reverse SDE) or −g²/2 (probability-flow ODE), against the g² of
    VESDE(σ_min = 1/√(2 log σ), σ_max = σ/√(2 log σ)).sde at four times (Song et al. 2021, Eq. 6 and 13)."""
    from ...sde import VESDE

    worst, share = 0.0, (1.0 if entry.direction == "reverse" else 0.5)
    for sig in (25.0, 5.0):
        smin = 1.0 / math.sqrt(2 * math.log(sig))
        sde = VESDE(sigma_min=smin, sigma_max=sig * smin, marginal="exact", T=1.0)
        for tau in (0.1, 0.4, 0.7, 1.0):
            g2_ = float(sde.diffusion_sq(torch.tensor(tau, dtype=torch.float64)))
            val = float(entry.drift.coeff(s).subs({SIGC: sig, t: tau}))
            worst = max(worst, abs(val + share * g2_) / (1 + g2_))
    return worst < 1e-9, f"drift = −{share:g}·g² s with VESDE's g² (tutorial constants): max relative deviation {worst:.1e}"


# its reverse-time SDE and probability-flow ODE (Song et al. 2021, Eq. 6 and 13 with f = 0, g = σ^t; the tutorial's
# 'Define the reverse SDE' section and its ODE sampler)
_add(name="ve.reverse_sde.tutorial", title="reverse-time SDE of Song's tutorial SDE", source=f"{_SRC}; Song et al. 2021, Eq. 6",
     kind="sde", family="ve", latex=r"dx = -\sigma^{2t}\nabla_x\log p_t(x)\,dt + \sigma^t\,d\bar{w}",
     relation="VESDE(tutorial constants).reverse(score_fn).sde", direction="reverse", mode="continuous",
     drift=-SIGC ** (2 * t) * s, diff2=SIGC ** (2 * t), noise="dwbar", tie=tie_tutorial_reverse)
_add(name="ve.pf_ode.tutorial", title="probability-flow ODE of Song's tutorial SDE", source=f"{_SRC}; Song et al. 2021, Eq. 13",
     kind="sde", family="ve", latex=r"dx = -\frac{1}{2}\sigma^{2t}\nabla_x\log p_t(x)\,dt",
     relation="VESDE(tutorial constants).reverse(score_fn, probability_flow=True).sde", direction="pf", mode="continuous",
     drift=-SIGC ** (2 * t) * s / 2, diff2=sp.Integer(0), noise=None, tie=tie_tutorial_reverse)

__all__ = ["ENTRIES", "tie_tutorial", "tie_tutorial_reverse"]
