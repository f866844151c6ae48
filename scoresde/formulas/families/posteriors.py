"""Posteriors of the forward chains given x_0: SMLD's q(x_{i−1} | x_i, x_0) (Song et al. 2021, App. F) and DDIM's
non-Markovian family q_σ(x_{t−1} | x_t, x_0) (Song, Meng & Ermon 2021, Eq. 7; α there is ᾱ here).

Ties: SMLD's against Gaussian conditioning of ``VESDE.chain(N)`` (``ties.tie_reverse_step`` with the given x_0);
DDIM's at σ_t² = β̃_t against Gaussian conditioning of ``VPSDE.chain(N)`` (η = 1 is DDPM's posterior), and for
every σ_t ≤ √(1 − ᾱ_{t−1}) the marginal property of DDIM's Lemma 1: x_t ~ N(√ᾱ_t x_0, 1 − ᾱ_t) gives
x_{t−1} ~ N(√ᾱ_{t−1} x_0, 1 − ᾱ_{t−1}) with the chain's ᾱ.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_reverse_step
from ._common import S, Sp, SONG, a, ap, collector, x0, xc

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

DDIM = "Song, Meng & Ermon 2021 (DDIM)"


def tie_ddim_posterior(entry: Entry) -> Tuple[bool, str]:
    """η = 1 (σ² = β̃): Gaussian conditioning of VPSDE.chain(50); any σ: the marginals of the chain are kept."""
    from ..ties import _ev, _posterior_numeric, _step_subs_vp, _vp_chain

    _, chain = _vp_chain()
    worst = 0.0
    xv, x0v = 0.37, -0.6
    for i in (2, 9, 30, chain.N):
        sub = _step_subs_vp(chain, i)
        abar, abar_p = float(chain.alphas_bar[i]), float(chain.alphas_bar[i - 1])
        ref_mean, ref_var = _posterior_numeric(chain, i, xv, x0v, True)
        bt = ref_var
        mean = _ev(entry.mean[xc], {**sub, C.sig: bt ** 0.5}) * xv + _ev(entry.mean[x0], {**sub, C.sig: bt ** 0.5}) * x0v
        var = _ev(entry.var[0], {**sub, C.sig: bt ** 0.5})
        worst = max(worst, abs(mean - ref_mean), abs(var - ref_var))
        for frac in (0.0, 0.5, 1.0):
            sig = frac * (1 - abar_p) ** 0.5
            cx = _ev(entry.mean[xc], {**sub, C.sig: sig})
            c0 = _ev(entry.mean[x0], {**sub, C.sig: sig})
            v = _ev(entry.var[0], {**sub, C.sig: sig})
            m_prev = cx * abar ** 0.5 + c0  # mean coefficient of x_0 in x_{t-1}
            v_prev = cx * cx * (1 - abar) + v
            worst = max(worst, abs(m_prev - abar_p ** 0.5), abs(v_prev - (1 - abar_p)))
    return worst < 1e-10, f"VPSDE.chain(50): posterior at η = 1 and the kept marginals for σ in [0, √(1−ᾱ_{{t−1}})]: max deviation {worst:.1e}"


_add(name="smld.posterior", title="SMLD posterior q(x_{i−1} | x_i, x_0)", source=f"{SONG}, App. F (ancestral sampling for SMLD)",
     kind="step", family="ve",
     latex=r"q(x_{i-1} | x_i, x_0) = \mathcal{N}\left(x_{i-1}; \frac{\sigma_{i-1}^2}{\sigma_i^2} x_i + \left(1 - \frac{\sigma_{i-1}^2}{\sigma_i^2}\right) x_0, \frac{\sigma_{i-1}^2(\sigma_i^2 - \sigma_{i-1}^2)}{\sigma_i^2} I\right)",
     relation="Gaussian conditioning of VESDE.chain(N)", direction="posterior", lhs="x_prev",
     mean={xc: Sp**2 / S**2, x0: 1 - Sp**2 / S**2}, var=[Sp**2 * (S**2 - Sp**2) / S**2], tie=tie_reverse_step)
_add(name="ddim.posterior", title="DDIM's non-Markovian posterior q_σ(x_{t−1} | x_t, x_0)", source=f"{DDIM}, Eq. 7 (α there is ᾱ here)",
     kind="step", family="vp",
     latex=r"q_\sigma(x_{t-1} | x_t, x_0) = \mathcal{N}\left(x_{t-1}; \sqrt{\bar\alpha_{t-1}}x_0 + \sqrt{1 - \bar\alpha_{t-1} - \sigma_t^2}\,\frac{x_t - \sqrt{\bar\alpha_t}x_0}{\sqrt{1 - \bar\alpha_t}}, \sigma_t^2 I\right)",
     relation="η = 1: Gaussian conditioning of VPSDE.chain(N); any σ: the chain's marginals are kept (DDIM, Lemma 1)",
     direction="posterior", lhs="x_prev",
     mean={xc: sp.sqrt(1 - ap - C.sig**2) / sp.sqrt(1 - a), x0: sp.sqrt(ap) - sp.sqrt(1 - ap - C.sig**2) * sp.sqrt(a) / sp.sqrt(1 - a)},
     var=[C.sig**2], free=(C.sig,), tie=tie_ddim_posterior)
