"""The SDEs, kernels and ᾱ(t) with Song et al.'s schedules written out (Song et al. 2021, App. C, T = 1): the
linear β(t) = β_min + t(β_max − β_min) (so ∫₀ᵗ β = β_min t + ½(β_max − β_min) t²) and the geometric
σ(t) = σ_min (σ_max/σ_min)^t (so d[σ²]/dt = 2 σ(t)² log(σ_max/σ_min)).

Ties: VPSDE(β_min, β_max), subVPSDE and VESDE(σ_min, σ_max) with T = 1 — ``sde()`` (drift coefficient and g²),
``marginal_prob`` and exp(2 log_mean_coeff) at four times, for two parameter choices each.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import SONG, collector, t, x, x0

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

BMIN, BMAX, SMIN, SMAX = C.beta_min, C.beta_max, C.sigma_min, C.sigma_max
_BETA = BMIN + t * (BMAX - BMIN)
_BINT = BMIN * t + (BMAX - BMIN) * t**2 / 2
_SIG = SMIN * (SMAX / SMIN) ** t
_f64 = torch.float64
_SRC = f"{SONG}, App. C (T = 1)"


def tie_explicit(entry: Entry) -> Tuple[bool, str]:
    """The entry with numbers for (β_min, β_max) or (σ_min, σ_max) vs the package's SDE with the same numbers."""
    from ...sde import VESDE, VPSDE, subVPSDE
    from ..ties import _ev

    worst = 0.0
    for p, q in ((0.1, 20.0), (0.3, 7.5)):
        if entry.family == "ve":
            sde, sub = VESDE(sigma_min=p / 10, sigma_max=q * 2, T=1.0), {SMIN: p / 10, SMAX: q * 2}
        else:
            cls = subVPSDE if entry.family == "subvp" else VPSDE
            sde, sub = cls(beta_min=p, beta_max=q, T=1.0), {BMIN: p, BMAX: q}
        for tt in (0.05, 0.3, 0.71, 0.97):
            t_ = torch.tensor(tt, dtype=_f64)
            s_ = {**sub, t: tt}
            if entry.kind == "sde":
                pairs = [(_ev(entry.drift.subs(x, 1), s_), float(sde.drift_coeff(t_))), (_ev(entry.diff2, s_), float(sde.diffusion_sq(t_)))]
            elif entry.kind == "step":
                mean, std = sde.marginal_prob(torch.ones(1, dtype=_f64), t_)
                pairs = [(_ev(entry.mean[x0], s_), float(mean[0])), (_ev(entry.var[0], s_), float(std[0]) ** 2)]
            else:
                pairs = [(_ev(entry.rhs, s_), float(torch.exp(2 * sde.log_mean_coeff(t_))))]
            for val, ref in pairs:
                worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"{entry.relation} with two parameter choices at 4 times: max relative deviation {worst:.1e}"


_add(name="vp.sde.linear", title="VP SDE with the linear β(t) written out", source=_SRC, kind="sde", family="vp",
     latex=r"dx = -\frac{1}{2}(\beta_{\min} + t(\beta_{\max} - \beta_{\min}))x\,dt + \sqrt{\beta_{\min} + t(\beta_{\max} - \beta_{\min})}\,dw",
     relation="VPSDE(beta_min, beta_max).sde", direction="forward", mode="continuous", drift=-_BETA / 2 * x, diff2=_BETA,
     noise="dw", tie=tie_explicit)
_add(name="subvp.sde.linear", title="sub-VP SDE with the linear β(t) written out", source=_SRC, kind="sde", family="subvp",
     latex=r"dx = -\frac{1}{2}(\beta_{\min} + t(\beta_{\max} - \beta_{\min}))x\,dt + \sqrt{(\beta_{\min} + t(\beta_{\max} - \beta_{\min}))\left(1 - e^{-2\beta_{\min}t - (\beta_{\max} - \beta_{\min})t^2}\right)}\,dw",
     relation="subVPSDE(beta_min, beta_max).sde", direction="forward", mode="continuous", drift=-_BETA / 2 * x,
     diff2=_BETA * (1 - sp.exp(-2 * _BINT)), noise="dw", tie=tie_explicit)
_add(name="ve.sde.geometric", title="VE SDE with the geometric σ(t) written out", source=_SRC, kind="sde", family="ve",
     latex=r"dx = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^t\sqrt{2\log\frac{\sigma_{\max}}{\sigma_{\min}}}\,dw",
     relation="VESDE(sigma_min, sigma_max).sde", direction="forward", mode="continuous", drift=sp.Integer(0),
     diff2=_SIG**2 * 2 * sp.log(SMAX / SMIN), noise="dw", tie=tie_explicit)
_add(name="vp.kernel.linear", title="VP kernel with the linear β(t) written out", source=_SRC, kind="step", family="vp",
     latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}\left(x(t); e^{-\frac{1}{4}t^2(\beta_{\max} - \beta_{\min}) - \frac{1}{2}t\beta_{\min}}x(0), (1 - e^{-\frac{1}{2}t^2(\beta_{\max} - \beta_{\min}) - t\beta_{\min}}) I\right)",
     relation="VPSDE(beta_min, beta_max).marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={x0: sp.exp(-_BINT / 2)}, var=[1 - sp.exp(-_BINT)], tie=tie_explicit)
_add(name="vp.abar.linear", title="ᾱ(t) for the linear β(t)", source=_SRC, kind="scalar", family="vp",
     latex=r"\bar{\alpha}(t) = e^{-\beta_{\min}t - \frac{1}{2}(\beta_{\max} - \beta_{\min})t^2}",
     relation="exp(2 log_mean_coeff) of VPSDE(beta_min, beta_max)", lhs="abar(t)", mode="function", rhs=sp.exp(-_BINT),
     tie=tie_explicit)
