"""Reverse steps of the discrete chains: reverse diffusion, ancestral, DDPM μ_θ and posterior, DDIM, σ_t choices."""
from __future__ import annotations

from typing import List

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_discrete_scalar, tie_posterior_var, tie_reverse_step
from ._common import HO, SONG, a, ap, b, collector, s, S, Sp, x0, xc

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_add(name="vp.reverse_diffusion", title="reverse-diffusion predictor (VP)", source=f"{SONG}, App. E (reverse diffusion, with Eq. 10)",
     kind="step", family="vp", latex=r"x_{i-1} = (2 - \sqrt{1 - \beta_i}) x_i + \beta_i s_\theta(x_i, i) + \sqrt{\beta_i} z_i",
     relation="x − f + G² s + G z with (f, G) = VPSDE.discretize", direction="reverse", lhs="x_prev",
     mean={xc: 2 - sp.sqrt(1 - b), s: b}, var=[b], tie=tie_reverse_step, numeric="vp", exact_target="vp.ancestral")
_add(name="ve.reverse_diffusion", title="reverse-diffusion predictor (VE)", source=f"{SONG}, App. E (reverse diffusion, with Eq. 8)",
     kind="step", family="ve",
     latex=r"x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2) s_\theta(x_i, \sigma_i) + \sqrt{\sigma_i^2 - \sigma_{i-1}^2} z_i",
     relation="x − f + G² s + G z with (f, G) = VESDE.discretize", direction="reverse", lhs="x_prev",
     mean={xc: sp.Integer(1), s: S**2 - Sp**2}, var=[S**2 - Sp**2], tie=tie_reverse_step, numeric="ve", exact_target="ve.ancestral")
_add(name="vp.ancestral", title="ancestral sampling step (DDPM)",
     source=f"{HO}, Eq. 11 and Alg. 2 (σ_t² = β_t or β̃_t), score form in {SONG}, App. F", kind="step", family="vp",
     latex=r"x_{i-1} = \frac{1}{\sqrt{1 - \beta_i}}(x_i + \beta_i s_\theta(x_i, i)) + \sqrt{\beta_i} z_i",
     relation="mean = posterior mean of VPSDE.chain(N) at x̂₀ = params.tweedie(x, s)", direction="reverse", lhs="x_prev",
     mean={xc: 1 / sp.sqrt(1 - b), s: b / sp.sqrt(1 - b)}, var=[b, C.beta_tilde()], var_names=["β_k", "β̃_k"],
     tie=tie_reverse_step, numeric="vp")
_add(name="ve.ancestral", title="ancestral sampling step (SMLD)", source=f"{SONG}, App. F (ancestral sampling for SMLD)",
     kind="step", family="ve",
     latex=r"x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2) s_\theta(x_i, \sigma_i) + \sqrt{\frac{\sigma_{i-1}^2(\sigma_i^2 - \sigma_{i-1}^2)}{\sigma_i^2}} z_i",
     relation="posterior q(x_{i−1} | x_i, x̂₀) of VESDE.chain(N) at x̂₀ = params.tweedie(x, s)", direction="reverse", lhs="x_prev",
     mean={xc: sp.Integer(1), s: S**2 - Sp**2}, var=[Sp**2 * (S**2 - Sp**2) / S**2], tie=tie_reverse_step, numeric="ve")
_add(name="ddpm.mu_theta", title="ε-parameterised reverse mean μ_θ", source=f"{HO}, Eq. 11", kind="step", family="vp",
     latex=r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{\beta_t}{\sqrt{1 - \bar{\alpha}_t}} \epsilon_\theta(x_t, t)\right)",
     relation="= posterior mean of VPSDE.chain(N) at x̂₀ = params.tweedie (ε = −√(1−ᾱ) s)", direction="mean", lhs="mu_theta",
     mean={xc: 1 / sp.sqrt(1 - b), s: b / sp.sqrt(1 - b)}, var=None, tie=tie_reverse_step)
_add(name="ddpm.posterior_mean", title="DDPM posterior mean μ̃_t", source=f"{HO}, Eq. 7", kind="step", family="vp",
     latex=r"\tilde{\mu}_t(x_t, x_0) = \frac{\sqrt{\bar{\alpha}_{t-1}}\beta_t}{1 - \bar{\alpha}_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar{\alpha}_{t-1})}{1 - \bar{\alpha}_t} x_t",
     relation="Gaussian conditioning of VPSDE.chain(N)", direction="mean", lhs="mu_tilde",
     mean={x0: sp.sqrt(ap) * b / (1 - a), xc: sp.sqrt(1 - b) * (1 - ap) / (1 - a)}, var=None, tie=tie_reverse_step)
_add(name="ddpm.posterior", title="DDPM posterior q(x_{t−1} | x_t, x_0)", source=f"{HO}, Eq. 6-7", kind="step", family="vp",
     latex=r"q(x_{t-1} | x_t, x_0) = \mathcal{N}(x_{t-1}; \frac{\sqrt{\bar{\alpha}_{t-1}}\beta_t}{1 - \bar{\alpha}_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar{\alpha}_{t-1})}{1 - \bar{\alpha}_t} x_t, \frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\beta_t I)",
     relation="Gaussian conditioning of VPSDE.chain(N)", direction="posterior", lhs="x_prev",
     mean={x0: sp.sqrt(ap) * b / (1 - a), xc: sp.sqrt(1 - b) * (1 - ap) / (1 - a)}, var=[C.beta_tilde()], tie=tie_reverse_step)
_add(name="ddpm.posterior_var", title="DDPM posterior variance β̃_t", source=f"{HO}, Eq. 7", kind="scalar", family="vp",
     latex=r"\tilde{\beta}_t = \frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\beta_t", relation="Gaussian conditioning of VPSDE.chain(N)",
     lhs="beta_tilde", rhs=C.beta_tilde(), tie=tie_posterior_var)
_add(name="ddim.step", title="DDIM update", source="Song, Meng & Ermon 2021 (DDIM), Eq. 12 (α_t there is ᾱ_t here)", kind="step",
     family="vp",
     latex=r"x_{t-1} = \sqrt{\bar{\alpha}_{t-1}}\left(\frac{x_t - \sqrt{1 - \bar{\alpha}_t}\epsilon_\theta(x_t, t)}{\sqrt{\bar{\alpha}_t}}\right) + \sqrt{1 - \bar{\alpha}_{t-1} - \sigma_t^2}\,\epsilon_\theta(x_t, t) + \sigma_t z_t",
     relation="σ_t = 0: √ᾱ_{t−1} x̂₀ + √(1−ᾱ_{t−1}) ε̂ with x̂₀, ε̂ from params.convert on VPSDE.chain(N)", direction="reverse",
     lhs="x_prev", mean={xc: sp.sqrt(ap) / sp.sqrt(a),
                         s: (sp.sqrt(ap) * sp.sqrt(1 - a) / sp.sqrt(a) - sp.sqrt(1 - ap - C.sig**2)) * sp.sqrt(1 - a)},
     var=[C.sig**2], free=(C.sig,), tie=tie_reverse_step, numeric="vp")
_add(name="ddpm.sigma_upper", title="reverse-step std σ_t² = β_t", source=f"{HO}, Sec. 3.2", kind="scalar", family="vp",
     latex=r"\sigma_t = \sqrt{\beta_t}", relation="VPSDE.chain(N).b (the forward step's std)", lhs="sigma_ho",
     rhs=sp.sqrt(b), tie=lambda e_: tie_discrete_scalar(e_))
_add(name="ddpm.sigma_lower", title="reverse-step std σ_t² = β̃_t", source=f"{HO}, Sec. 3.2", kind="scalar", family="vp",
     latex=r"\sigma_t = \sqrt{\frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\beta_t}", relation="posterior std of VPSDE.chain(N)",
     lhs="sigma_ho", rhs=sp.sqrt(C.beta_tilde()), tie=lambda e_: tie_posterior_var(e_))
_add(name="ddim.sigma", title="DDIM σ_t(η)", source="Song, Meng & Ermon 2021 (DDIM), Eq. 16", kind="scalar", family="vp",
     latex=r"\sigma_t = \eta\sqrt{\frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}}\sqrt{1 - \frac{\bar{\alpha}_t}{\bar{\alpha}_{t-1}}}",
     relation="η = 1: σ_t² = posterior variance of VPSDE.chain(N)", lhs="sigma_eta",
     rhs=C.eta * sp.sqrt((1 - ap) / (1 - a)) * sp.sqrt(1 - a / ap), tie=tie_posterior_var)
