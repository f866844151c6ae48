"""Noise schedules: linear β (both index conventions), ᾱ, cosine, geometric σ, EDM Table 1 σ(t), s(t)."""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from .. import canon as C
from ..admissible import Spec, spec_values
from ..entry import Entry
from ..ties import tie_abar_continuous, tie_discrete_scalar, tie_ho_betas, tie_marginal_std, tie_schedule
from ._common import B_int, HO, SONG, T, a, ap, collector, t

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

# the published constants at which a claimed variant is tested for being a valid schedule (admissible.py)
_SONG_C = "Song et al. 2021, App. C: β̄_min = 0.1, β̄_max = 20, T = 1"
_HO_C = "Ho et al. 2020, Sec. 4: β_1 = 10⁻⁴, β_T = 0.02, T = 1000"
_ND_C = "Nichol & Dhariwal 2021, Sec. 3.2: s = 0.008, T = 1000"
_VE_C = "Song et al. 2021, App. C: σ_min = 0.01, σ_max = 50, T = 1"
LINEAR_SPEC = Spec("beta_rate", spec_values([("β_min", 0.1), ("β_max", 20.0), ("T", 1.0)]), source=_SONG_C,
                   retry=Spec("beta_rate", spec_values([("β_min", 0.1), ("β_max", 20.0), ("T", 1000)]), domain="integer",
                              source="Song et al. 2021, App. C: β̄_min = 0.1, β̄_max = 20 on N = T = 1000 steps"))
HO_SPEC = Spec("beta_step", spec_values([("β_1", 1e-4), ("β_T", 0.02), ("T", 1000)]), domain="integer", source=_HO_C)
COSINE_SPEC = Spec("abar", spec_values([("s", 0.008), ("T", 1000)]), source=_ND_C)
# ᾱ(t) given as a function of t alone (Imagen's ᾱ(t) = e^{−(10⁻⁴ + 10t²)}, Saharia et al. 2022): a schedule choice on
# the continuous time t ∈ [0, 1] of Kingma et al. 2021, Sec. 3 and Song et al. 2021, App. C
ABAR_SPEC = Spec("abar", spec_values([("T", 1.0)]), source="continuous time t ∈ [0, 1], Kingma et al. 2021, Sec. 3")
VE_SPEC = Spec("sigma_up", spec_values([("σ_min", 0.01), ("σ_max", 50.0), ("T", 1.0)]), source=_VE_C)

_add(name="schedule.linear", title="linear β schedule", source=f"{SONG}, App. C; {HO}, Sec. 4", kind="scalar", family="vp",
     latex=r"\beta(t) = \beta_{\min} + \frac{t}{T}(\beta_{\max} - \beta_{\min})", relation="VPSDE.beta", lhs="beta(t)",
     mode="function", rhs=C.beta_min + t / T * (C.beta_max - C.beta_min), tie=tie_schedule, admissible=LINEAR_SPEC)
_add(name="ddpm.linear_betas", title="linear β_t of DDPM (β_1 … β_T)", source=f"{HO}, Sec. 4 (β_1 = 10⁻⁴ to β_T = 0.02)",
     kind="scalar", family="vp", latex=r"\beta_t = \beta_1 + \frac{t - 1}{T - 1}(\beta_T - \beta_1)", relation="MarkovChain.ho2020().betas",
     lhs="beta(t)", mode="function", rhs=sp.Symbol("β_1", positive=True) + (t - 1) / (T - 1) * (sp.Symbol("β_T", positive=True) - sp.Symbol("β_1", positive=True)),
     tie=lambda e_: tie_ho_betas(e_), admissible=HO_SPEC)
_add(name="ddpm.linear_betas_values", title="DDPM's linear β_t with its numbers (β_1 = 10⁻⁴, β_T = 0.02, T = 1000)",
     source=f"{HO}, Sec. 4 (T = 1000, β_1 = 10⁻⁴ to β_T = 0.02, linear)", kind="scalar", family="vp",
     latex=r"\beta_t = 10^{-4} + \frac{t - 1}{999}\left(0.02 - 10^{-4}\right)", relation="MarkovChain.ho2020().betas",
     lhs="beta(t)", mode="function", rhs=sp.Rational(1, 10**4) + (t - 1) / 999 * (sp.Rational(2, 100) - sp.Rational(1, 10**4)),
     tie=lambda e_: tie_ho_betas(e_), admissible=HO_SPEC)
_add(name="ddpm.beta_from_abar", title="β_t from ᾱ", source=f"{HO}, Sec. 2 (ᾱ_t = ∏ α_s); Nichol & Dhariwal 2021, Sec. 3.2",
     kind="scalar", family="vp", latex=r"\beta_t = 1 - \frac{\bar{\alpha}_t}{\bar{\alpha}_{t-1}}", relation="VPSDE.chain(N).betas",
     lhs="beta", rhs=1 - a / ap, tie=tie_discrete_scalar)
_add(name="ddpm.alpha", title="α_t = 1 − β_t", source=f"{HO}, Sec. 2 (before Eq. 4)", kind="scalar", family="vp",
     latex=r"\alpha_t = 1 - \beta_t", relation="VPSDE.chain(N).alphas", lhs="alpha", rhs=1 - C.b, tie=tie_discrete_scalar)
_add(name="ddpm.abar", title="ᾱ_t as a product", source=f"{HO}, Sec. 2 (before Eq. 4)", kind="scalar", family="vp",
     latex=r"\bar{\alpha}_t = \prod_{s=1}^{t} \alpha_s", relation="VPSDE.chain(N).alphas_bar = cumprod(alphas)", lhs="abar",
     rhs=a, tie=tie_discrete_scalar)
_add(name="vp.abar_continuous", title="ᾱ(t) of the VP SDE", source=f"{SONG}, Eq. 29 (ᾱ(t) = m(t)²)", kind="scalar", family="vp",
     latex=r"\bar{\alpha}(t) = e^{-\int_0^t \beta(s) ds}", relation="exp(2 log_mean_coeff) of VPSDE", lhs="abar(t)", mode="function",
     rhs=sp.exp(-B_int), tie=lambda e_: tie_abar_continuous(e_), admissible=ABAR_SPEC)
_f = lambda tt: sp.cos((tt / T + C.s_off) / (1 + C.s_off) * sp.pi / 2) ** 2  # noqa: E731
# the standard deviation of the perturbation kernel, which score_sde's sde_lib calls std and some write σ(t) (Song et al.
# 2021, Eq. 29; VPSDE/subVPSDE.marginal_prob): another quantity than EDM's noise level σ(t) = s/m below
_add(name="vp.kernel_std", title="std of the VP kernel σ(t) = √(1 − ᾱ(t))", source=f"{SONG}, Eq. 29 (VPSDE.marginal_prob)",
     kind="scalar", family="vp", latex=r"\sigma(t) = \sqrt{1 - e^{-\int_0^t \beta(s) ds}}", relation="VPSDE.marginal_std",
     lhs="sigma(t)", mode="function", rhs=sp.sqrt(1 - sp.exp(-B_int)), tie=tie_marginal_std)
_add(name="subvp.kernel_std", title="std of the sub-VP kernel σ(t) = 1 − ᾱ(t)", source=f"{SONG}, Eq. 29 (subVPSDE.marginal_prob)",
     kind="scalar", family="subvp", latex=r"\sigma(t) = 1 - e^{-\int_0^t \beta(s) ds}", relation="subVPSDE.marginal_std",
     lhs="sigma(t)", mode="function", rhs=1 - sp.exp(-B_int), tie=tie_marginal_std)
_add(name="schedule.cosine", title="cosine schedule ᾱ_t = f(t)/f(0)", source="Nichol & Dhariwal 2021, Eq. 17", kind="scalar",
     family="vp", latex=r"\bar{\alpha}_t = \frac{\cos^2\left(\frac{t/T + s}{1 + s}\cdot\frac{\pi}{2}\right)}{\cos^2\left(\frac{s}{1 + s}\cdot\frac{\pi}{2}\right)}",
     relation="exp(2 log_mean_coeff) of VPSDE.cosine(s=0.008)", lhs="abar(t)", mode="function", rhs=_f(t) / _f(0), tie=tie_schedule, admissible=COSINE_SPEC)
_add(name="ve.schedule", title="VE noise schedule σ(t)", source=f"{SONG}, App. C (Eq. 9 with geometric σ)", kind="scalar", family="ve",
     latex=r"\sigma(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{t/T}", relation="VESDE.sigma", lhs="sigma(t)",
     mode="function", rhs=C.sigma_min * (C.sigma_max / C.sigma_min) ** (t / T), tie=tie_schedule, admissible=VE_SPEC)
_Bd = C.beta_d * t**2 / 2 + C.beta_min * t
_add(name="edm.vp.sigma", title="EDM noise level σ(t) of VP", source="Karras et al. 2022 (EDM), Table 1 (VP)", kind="scalar",
     family="vp", latex=r"\sigma(t) = \sqrt{e^{\frac{1}{2}\beta_d t^2 + \beta_{\min} t} - 1}", relation="VPSDE.noise_level = s/m",
     lhs="sigma(t)", mode="function", rhs=sp.sqrt(sp.exp(_Bd) - 1), tie=tie_schedule)
_add(name="edm.vp.scale", title="EDM scale s(t) of VP", source="Karras et al. 2022 (EDM), Table 1 (VP)", kind="scalar", family="vp",
     latex=r"s(t) = \frac{1}{\sqrt{e^{\frac{1}{2}\beta_d t^2 + \beta_{\min} t}}}", relation="VPSDE.scale = m", lhs="s(t)",
     mode="function", rhs=1 / sp.sqrt(sp.exp(_Bd)), tie=tie_schedule)
_add(name="edm.ve.sigma", title="EDM noise level σ(t) of VE", source="Karras et al. 2022 (EDM), Table 1 (VE)", kind="scalar",
     family="ve", latex=r"\sigma(t) = \sqrt{t}", relation="VESDE(marginal='smld').noise_level at t = σ²", lhs="sigma(t)",
     mode="function", rhs=sp.sqrt(t), tie=tie_schedule)
_add(name="edm.ve.scale", title="EDM scale s(t) of VE", source="Karras et al. 2022 (EDM), Table 1 (VE)", kind="scalar", family="ve",
     latex=r"s(t) = 1", relation="VESDE.scale = 1", lhs="s(t)", mode="function", rhs=sp.Integer(1), tie=tie_schedule)


_I, _N = sp.Symbol("i", positive=True, integer=True), sp.Symbol("N", positive=True, integer=True)


def tie_song_discrete_betas(entry: Entry) -> Tuple[bool, str]:
    """N β_i = VPSDE.beta(t) at t = (i − 1)/(N − 1) (the VP SDE's β(t) on [0, 1] sampled at N points, divided by N)."""
    import torch

    from ..ties import _ev, _vp

    sde = _vp()
    worst = 0.0
    for n in (10, 1000):
        for i in (1, 2, n // 2, n):
            ref = float(sde.beta(torch.tensor((i - 1) / (n - 1), dtype=torch.float64))) / n
            val = _ev(entry.rhs, {_I: i, _N: n, C.beta_min: sde.beta_min, C.beta_max: sde.beta_max})
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-12, f"VPSDE.beta((i − 1)/(N − 1))/N at N = 10, 1000: max relative deviation {worst:.1e}"


_add(name="vp.song_discrete_betas", title="the VP SDE's discrete β_i (i = 1 … N)",
     source=f"{SONG}, App. B (β_i = β̄_min/N + (i − 1)(β̄_max − β̄_min)/(N(N − 1)), the DDPM chain of the VP SDE)",
     kind="scalar", family="vp",
     latex=r"\beta_i = \frac{\bar\beta_{\min}}{N} + \frac{i-1}{N(N-1)}(\bar\beta_{\max} - \bar\beta_{\min})",
     relation="VPSDE.beta((i − 1)/(N − 1))/N", lhs="beta_i", mode="discrete",
     rhs=C.beta_min / _N + (_I - 1) / (_N * (_N - 1)) * (C.beta_max - C.beta_min), tie=tie_song_discrete_betas)
