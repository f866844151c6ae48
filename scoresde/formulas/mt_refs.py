"""The multi-time registry: solver algorithm lines and multi-time identities, each cited, read with the
multi-time vocabulary (:mod:`scoresde.formulas.mt_vocab`) and tied to the package's solvers
(:mod:`scoresde.formulas.mt_ties`, run by ``scoresde verify --builtin`` through the family ``multitime``).

Each reference is one line of a paper's algorithm in the paper's notation. ``lams`` places the intermediate time
points in λ (DPM-Solver's s_i = t_λ(λ_{t_{i−1}} + r h_i), Lu et al. 2022a, Alg. 1/2; 2022b, Alg. 1); ``params`` are
the defaults of free ratios a claim may leave out (DPM-Solver-2's r_1 = 1/2, DPM-Solver-3's r_1 = 1/3, r_2 = 2/3,
DPM-Solver++(2S)'s r_i = 1/2); ``grid`` says how the time points approach each other as the step h → 0 (used to
measure the order of a claim that differs); DDIM's lines are templates in the claim's two time points ``PP`` (the
new one) and ``CC`` (the current one).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ["MTRef", "REFS", "by_name"]

LU_A = "Lu et al. 2022a (DPM-Solver)"
LU_B = "Lu et al. 2022b (DPM-Solver++)"
VDM = "Kingma et al. 2021 (VDM)"
EDM = "Karras et al. 2022 (EDM)"
DDIM = "Song, Meng & Ermon 2021 (DDIM)"

_X1 = r"\tilde{x}_{t_{i-1}}"
_E1 = r"\epsilon_\theta(\tilde{x}_{t_{i-1}}, t_{i-1})"
_D1 = r"x_\theta(\tilde{x}_{t_{i-1}}, t_{i-1})"


@dataclass
class MTRef:
    name: str
    title: str
    source: str
    latex: str
    notation: str  # "vdm" (α = √ᾱ), "ddim" (α = ᾱ), "edm"
    group: str  # the algorithm it belongs to (auxiliary lines are looked up in the same group)
    kind: str = "step"  # "step" (a state at a new time point), "aux" (a solver auxiliary), "scalar", "kernel"
    lams: Dict[str, str] = field(default_factory=dict)  # time point -> "a*t_i-1 + ..." in λ of other points
    params: Dict[str, float] = field(default_factory=dict)
    grid: str = "dpm"  # "dpm" (λ_{t_i} = λ_{t_{i−1}} + h), "ddim" (λ_P = λ_C + h), "edm1", "edm2", "none"
    tie: Optional[Callable[["MTRef"], Tuple[bool, str]]] = None
    template: bool = False
    expand: bool = False  # a named quantity (σ_Q, μ_Q) that claims may use on their right side: replaced by its value


def _dpm(name, title, src, latex, kind="step", **kw) -> MTRef:
    return MTRef(name, title, src, latex, "vdm", kw.pop("group", name.split(".")[1]), kind, **kw)


REFS: List[MTRef] = [
    _dpm("mt.dpm1.x", "DPM-Solver-1", f"{LU_A}, Eq. 3.7",
         r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + _X1 + r" - \sigma_{t_i}(e^{h_i} - 1)" + _E1),
    _dpm("mt.dpm2.u", "DPM-Solver-2, intermediate value u_i", f"{LU_A}, Alg. 1 line 4 (Alg. 4 for a general r_1)",
         r"u_i = \frac{\alpha_{s_i}}{\alpha_{t_{i-1}}}" + _X1 + r" - \sigma_{s_i}(e^{r_1 h_i} - 1)" + _E1,
         lams={"s_i": "t_i-1 + r_1*h"}, params={"r_1": 0.5}),
    _dpm("mt.dpm2.x", "DPM-Solver-2, update", f"{LU_A}, Alg. 1 line 5 (Alg. 4 for a general r_1)",
         r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + _X1 + r" - \sigma_{t_i}(e^{h_i} - 1)" + _E1
         + r" - \frac{\sigma_{t_i}}{2 r_1}(e^{h_i} - 1)(\epsilon_\theta(u_i, s_i) - " + _E1 + ")",
         lams={"s_i": "t_i-1 + r_1*h"}, params={"r_1": 0.5}),
    _dpm("mt.dpm3.u1", "DPM-Solver-3, first intermediate value", f"{LU_A}, Alg. 2 line 4",
         r"u_{2i-1} = \frac{\alpha_{s_{2i-1}}}{\alpha_{t_{i-1}}}" + _X1 + r" - \sigma_{s_{2i-1}}(e^{r_1 h_i} - 1)" + _E1,
         lams={"s_2i-1": "t_i-1 + r_1*h"}, params={"r_1": 1 / 3, "r_2": 2 / 3}),
    _dpm("mt.dpm3.D1", "DPM-Solver-3, first difference", f"{LU_A}, Alg. 2 line 5",
         r"D_{2i-1} = \epsilon_\theta(u_{2i-1}, s_{2i-1}) - " + _E1, kind="aux",
         lams={"s_2i-1": "t_i-1 + r_1*h"}, params={"r_1": 1 / 3, "r_2": 2 / 3}),
    _dpm("mt.dpm3.u2", "DPM-Solver-3, second intermediate value", f"{LU_A}, Alg. 2 line 6",
         r"u_{2i} = \frac{\alpha_{s_{2i}}}{\alpha_{t_{i-1}}}" + _X1 + r" - \sigma_{s_{2i}}(e^{r_2 h_i} - 1)" + _E1
         + r" - \frac{\sigma_{s_{2i}} r_2}{r_1}\left(\frac{e^{r_2 h_i} - 1}{r_2 h_i} - 1\right)D_{2i-1}",
         lams={"s_2i": "t_i-1 + r_2*h", "s_2i-1": "t_i-1 + r_1*h"}, params={"r_1": 1 / 3, "r_2": 2 / 3}),
    _dpm("mt.dpm3.D2", "DPM-Solver-3, second difference", f"{LU_A}, Alg. 2 line 7",
         r"D_{2i} = \epsilon_\theta(u_{2i}, s_{2i}) - " + _E1, kind="aux",
         lams={"s_2i": "t_i-1 + r_2*h"}, params={"r_1": 1 / 3, "r_2": 2 / 3}),
    _dpm("mt.dpm3.x", "DPM-Solver-3, update", f"{LU_A}, Alg. 2 line 8",
         r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + _X1 + r" - \sigma_{t_i}(e^{h_i} - 1)" + _E1
         + r" - \frac{\sigma_{t_i}}{r_2}\left(\frac{e^{h_i} - 1}{h_i} - 1\right)D_{2i}",
         lams={"s_2i": "t_i-1 + r_2*h", "s_2i-1": "t_i-1 + r_1*h"}, params={"r_1": 1 / 3, "r_2": 2 / 3}),
    _dpm("mt.dpmpp1.x", "DPM-Solver++(1) (first-order DPM-Solver++)", f"{LU_B}, Sec. 4.1 (first-order update)",
         r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + _X1 + r" - \alpha_{t_i}(e^{-h_i} - 1)" + _D1),
    _dpm("mt.dpmpp2s.u", "DPM-Solver++(2S), intermediate value u_i", f"{LU_B}, Alg. 1 line 4",
         r"u_i = \frac{\sigma_{s_i}}{\sigma_{t_{i-1}}}" + _X1 + r" - \alpha_{s_i}(e^{-r_i h_i} - 1)" + _D1,
         lams={"s_i": "t_i-1 + r_i*h"}, params={"r_i": 0.5}),
    _dpm("mt.dpmpp2s.D", "DPM-Solver++(2S), D_i", f"{LU_B}, Alg. 1 line 5",
         r"D_i = \left(1 - \frac{1}{2r_i}\right)" + _D1 + r" + \frac{1}{2r_i}x_\theta(u_i, s_i)", kind="aux",
         lams={"s_i": "t_i-1 + r_i*h"}, params={"r_i": 0.5}),
    _dpm("mt.dpmpp2s.x", "DPM-Solver++(2S)/(2M), update with D_i", f"{LU_B}, Alg. 1 line 6 and Alg. 2 line 8",
         r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + _X1 + r" - \alpha_{t_i}(e^{-h_i} - 1)D_i",
         lams={"s_i": "t_i-1 + r_i*h"}, params={"r_i": 0.5}),
    _dpm("mt.dpmpp2m.r", "DPM-Solver++(2M), step ratio r_i", f"{LU_B}, Alg. 2 line 5",
         r"r_i = \frac{h_{i-1}}{h_i}", kind="scalar", lams={"t_i-2": "t_i-1 - r_i*h"}, params={"r_i": 0.8}),
    _dpm("mt.dpmpp2m.D", "DPM-Solver++(2M), D_i", f"{LU_B}, Alg. 2 line 6",
         r"D_i = \left(1 + \frac{1}{2r_i}\right)" + _D1 + r" - \frac{1}{2r_i}x_\theta(\tilde{x}_{t_{i-2}}, t_{i-2})", kind="aux",
         lams={"t_i-2": "t_i-1 - r_i*h"}, params={"r_i": 0.8}),
    _dpm("mt.dpmpp2m.x", "DPM-Solver++(2M), update", f"{LU_B}, Alg. 2 line 8 with line 6 substituted",
         r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + _X1 + r" - \alpha_{t_i}(e^{-h_i} - 1)\left(\left(1 + \frac{1}{2r_i}\right)"
         + _D1 + r" - \frac{1}{2r_i}x_\theta(\tilde{x}_{t_{i-2}}, t_{i-2})\right)",
         lams={"t_i-2": "t_i-1 - r_i*h"}, params={"r_i": 0.8}),
    _dpm("mt.sdedpmpp1.x", "SDE-DPM-Solver++(1) (first-order solver of the reverse SDE, data prediction)",
         f"{LU_B}, Sec. 5 (SDE-DPM-Solver++1, h = λ_t − λ_s)",
         r"x_t = \frac{\sigma_t}{\sigma_s}e^{-h}x_s + \alpha_t\left(1 - e^{-2h}\right)x_\theta(x_s, s) + \sigma_t\sqrt{1 - e^{-2h}}\,\epsilon",
         grid="none", group="sdedpmpp"),
    _dpm("mt.exact.eps", "exact solution of the diffusion ODE, noise prediction", f"{LU_A}, Prop. 3.1, Eq. 3.4",
         r"x_t = \frac{\alpha_t}{\alpha_s}x_s - \alpha_t\int_{\lambda_s}^{\lambda_t} e^{-\lambda}\hat{\epsilon}_\theta(\hat{x}_\lambda, \lambda) d\lambda",
         grid="none"),
    _dpm("mt.exact.data", "exact solution of the diffusion ODE, data prediction", f"{LU_B}, Sec. 4.1 (exact solution with the data prediction model)",
         r"x_t = \frac{\sigma_t}{\sigma_s}x_s + \sigma_t\int_{\lambda_s}^{\lambda_t} e^{\lambda}\hat{x}_\theta(\hat{x}_\lambda, \lambda) d\lambda",
         grid="none"),
    # VDM (Kingma et al. 2021): forward marginal, transition, posterior
    _dpm("mt.vdm.marginal", "forward marginal z_t = α_t x + σ_t ε", f"{VDM}, Eq. 1 (Sec. 2)",
         r"z_t = \alpha_t x + \sigma_t \epsilon", kind="kernel", grid="none"),
    _dpm("mt.vdm.transition", "forward transition q(z_t | z_s), s < t (DDPM's Eq. 2 for s = t - 1)",
         f"{VDM}, Sec. 2 (α_{{t|s}}, σ²_{{t|s}}); Ho et al. 2020, Eq. 2",
         r"z_{PP} = \frac{\alpha_{PP}}{\alpha_{CC}} z_{CC} + \sqrt{\sigma_{PP}^2 - \frac{\alpha_{PP}^2}{\alpha_{CC}^2}\sigma_{CC}^2}\,\epsilon",
         kind="kernel", grid="none", group="vdm_tr", template=True),
    _dpm("mt.vdm.posterior", "posterior q(z_s | z_t, x)", f"{VDM}, Sec. 3.2 (μ_Q, σ_Q²)",
         r"z_s = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}x + \frac{\sigma_{t|s}\sigma_s}{\sigma_t}\epsilon",
         kind="kernel", grid="none", group="vdm_post"),
    _dpm("mt.vdm.ancestral", "VDM's generative step p(z_s | z_t) = q(z_s | z_t, x = x̂_θ(z_t; t))",
         f"{VDM}, Sec. 3.3 (Eq. 5 with μ_Q, σ_Q of Sec. 3.2)",
         r"z_s = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}x_\theta(z_t, t) + \frac{\sigma_{t|s}\sigma_s}{\sigma_t}\epsilon",
         kind="kernel", grid="none", group="vdm_anc"),
    _dpm("mt.vdm.model_mean", "the model's mean μ_θ(z_t; s, t) of p(z_s | z_t) = μ_Q(z_t, x̂_θ(z_t; t); s, t)",
         f"{VDM}, Sec. 3.3 and App. A (μ_Q of Sec. 3.2 at x = x̂_θ)",
         r"\mu_\theta = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}x_\theta(z_t, t)",
         kind="aux", grid="none", group="vdm_mu"),
    _dpm("mt.vdm.post_std", "posterior standard deviation σ_Q(s, t)", f"{VDM}, Sec. 3.2 (σ_Q² = σ²_{{t|s}} σ_s²/σ_t²)",
         r"\sigma_Q = \frac{\sigma_{t|s}\sigma_s}{\sigma_t}", kind="scalar", grid="none", group="vdm_post", expand=True),
    _dpm("mt.vdm.post_mean", "posterior mean μ_Q(z_t, x; s, t)", f"{VDM}, Sec. 3.2",
         r"\mu_Q = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}x", kind="aux",
         grid="none", group="vdm_post", expand=True),
    _dpm("mt.ode.eps", "diffusion ODE with the noise prediction model", f"{LU_A}, Eq. 2.4 (f, g of Eq. 2.2)",
         r"\frac{dx_t}{dt} = f(t)x_t + \frac{g^2(t)}{2\sigma_t}\epsilon_\theta(x_t, t)", kind="aux", grid="none"),
    # schedules as λ_t (the half log-SNR) of the time value t: a claim about them is exact or left unjudged here
    _dpm("mt.schedule.cosine", "cosine schedule without offset (α_t = cos(πt/2), σ_t = sin(πt/2))",
         "Nichol & Dhariwal 2021, Eq. 17 with s = 0; Kingma et al. 2021, Sec. 3.4 (log SNR)",
         r"\lambda_t = -\log\tan\left(\frac{\pi t}{2}\right)", kind="schedule", grid="none", group="schedule"),
    _dpm("mt.schedule.vp_linear", "VP SDE with linear β(t) (ᾱ(t) = exp(−β_min t − (β_max − β_min) t²/2))",
         "Song et al. 2021, App. B (Eq. 33); Lu et al. 2022a, App. (linear noise schedule)",
         r"\lambda_t = \frac{1}{2}\log\frac{e^{-\beta_{min}t - \frac{1}{2}(\beta_{max}-\beta_{min})t^2}}{1 - e^{-\beta_{min}t - \frac{1}{2}(\beta_{max}-\beta_{min})t^2}}",
         kind="schedule", grid="none", group="schedule"),
    # DDIM on any pair of time points (the τ sub-sequence of Sec. 4.2, t and t - Δt of Sec. 4.3)
    MTRef("mt.ddim.step", "DDIM update (generalised, σ free)", f"{DDIM}, Eq. 12 (on τ_i -> τ_{{i-1}}: Sec. 4.2)",
          r"x_{PP} = \sqrt{\alpha_{PP}}\left(\frac{x_{CC} - \sqrt{1-\alpha_{CC}}\epsilon_\theta(x_{CC}, CC)}{\sqrt{\alpha_{CC}}}\right) + "
          r"\sqrt{1-\alpha_{PP}-\sigma_{CC}^2}\epsilon_\theta(x_{CC}, CC) + \sigma_{CC}\epsilon", "ddim", "ddim", grid="ddim",
          params={"σ_CC": 0.0}, template=True),
    MTRef("mt.ddim.posterior", "DDIM's q_σ(x_{t-1} | x_t, x_0) on any pair of time points", f"{DDIM}, Eq. 7 (on τ: Sec. 4.2)",
          r"x_{PP} = \sqrt{\alpha_{PP}}x_0 + \sqrt{1-\alpha_{PP}-\sigma_{CC}^2}\cdot\frac{x_{CC} - \sqrt{\alpha_{CC}}x_0}{\sqrt{1-\alpha_{CC}}}"
          r" + \sigma_{CC}\epsilon", "ddim", "ddim_post", "kernel", grid="none", params={"σ_CC": 0.0}, template=True),
    # EDM (Karras et al. 2022), Alg. 1 (deterministic, general σ(t), s(t)) and Alg. 2 (stochastic, σ(t) = t, s(t) = 1)
    MTRef("mt.edm1.d", "EDM Alg. 1, the ODE slope d_i", f"{EDM}, Alg. 1 line 4",
          r"d_i = \left(\frac{\dot\sigma(t_i)}{\sigma(t_i)} + \frac{\dot s(t_i)}{s(t_i)}\right)x_i - \frac{\dot\sigma(t_i)s(t_i)}{\sigma(t_i)}D_\theta\left(\frac{x_i}{s(t_i)}; \sigma(t_i)\right)",
          "edm", "edm1g", "aux", grid="none"),
    MTRef("mt.edm1.d_t", "EDM Alg. 1, d_i with σ(t) = t, s(t) = 1", f"{EDM}, Alg. 1 line 4 (Eq. 1 with σ(t) = t)",
          r"d_i = (x_i - D_\theta(x_i; t_i))/t_i", "edm", "edm1", "aux", grid="edm1"),
    MTRef("mt.edm1.euler", "EDM Alg. 1, Euler step", f"{EDM}, Alg. 1 line 5",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)d_i", "edm", "edm1", grid="edm1"),
    MTRef("mt.edm1.dprime", "EDM Alg. 1, second slope d'_i (σ(t) = t)", f"{EDM}, Alg. 1 line 7",
          r"d'_i = (x_{i+1} - D_\theta(x_{i+1}; t_{i+1}))/t_{i+1}", "edm", "edm1", "aux", grid="edm1"),
    MTRef("mt.edm1.dprime_g", "EDM Alg. 1, the second slope d'_i (general σ(t), s(t))", f"{EDM}, Alg. 1 line 7",
          r"d'_i = \left(\frac{\dot\sigma(t_{i+1})}{\sigma(t_{i+1})} + \frac{\dot s(t_{i+1})}{s(t_{i+1})}\right)x_{i+1} - "
          r"\frac{\dot\sigma(t_{i+1})s(t_{i+1})}{\sigma(t_{i+1})}D_\theta\left(\frac{x_{i+1}}{s(t_{i+1})}; \sigma(t_{i+1})\right)",
          "edm", "edm1g", "aux", grid="none"),
    # Alg. 1 is written for a general σ(t), s(t): its lines 5 and 8 with the general slopes d_i, d'_i above
    MTRef("mt.edm1g.euler", "EDM Alg. 1, Euler step (general σ(t), s(t))", f"{EDM}, Alg. 1 lines 4-5",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)d_i", "edm", "edm1g", grid="none"),
    MTRef("mt.edm1g.heun", "EDM Alg. 1, Heun (trapezoidal) correction (general σ(t), s(t))", f"{EDM}, Alg. 1 lines 7-8",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)\left(\frac{1}{2}d_i + \frac{1}{2}d'_i\right)", "edm", "edm1g", grid="none"),
    # ... and at s(t) = 1 (Eq. 1, a general σ(t) without scaling: VE and EDM's own columns of Table 1)
    MTRef("mt.edm1s.d", "EDM Alg. 1, d_i with s(t) = 1", f"{EDM}, Alg. 1 line 4 (Eq. 1: s(t) = 1)",
          r"d_i = \frac{\dot\sigma(t_i)}{\sigma(t_i)}\left(x_i - D_\theta(x_i; \sigma(t_i))\right)", "edm", "edm1s", "aux", grid="none"),
    MTRef("mt.edm1s.dprime", "EDM Alg. 1, d'_i with s(t) = 1", f"{EDM}, Alg. 1 line 7 (Eq. 1: s(t) = 1)",
          r"d'_i = \frac{\dot\sigma(t_{i+1})}{\sigma(t_{i+1})}\left(x_{i+1} - D_\theta(x_{i+1}; \sigma(t_{i+1}))\right)", "edm", "edm1s",
          "aux", grid="none"),
    MTRef("mt.edm1s.euler", "EDM Alg. 1, Euler step with s(t) = 1", f"{EDM}, Alg. 1 lines 4-5 (Eq. 1: s(t) = 1)",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)d_i", "edm", "edm1s", grid="none"),
    MTRef("mt.edm1s.heun", "EDM Alg. 1, Heun (trapezoidal) correction with s(t) = 1", f"{EDM}, Alg. 1 lines 7-8 (Eq. 1: s(t) = 1)",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)\left(\frac{1}{2}d_i + \frac{1}{2}d'_i\right)", "edm", "edm1s", grid="none"),
    MTRef("mt.edm1.heun", "EDM Alg. 1, Heun (trapezoidal) correction", f"{EDM}, Alg. 1 line 8",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)\left(\frac{1}{2}d_i + \frac{1}{2}d'_i\right)", "edm", "edm1", grid="edm1"),
    # k-diffusion's Euler ancestral step (sample_euler_ancestral, η = 1) in EDM's σ(t) = t: the Euler step to
    # σ_down = t_{i+1}²/t_i plus fresh noise σ_up = (t_{i+1}/t_i)√(t_i² − t_{i+1}²) z; it is ancestral sampling of the VE
    # chain, x_{i+1} ∼ q(x_{i+1} | x_i, x_0 = D_θ(x_i; t_i)) (Song et al. 2021, App. F; families/kdiff_ancestral.py)
    MTRef("mt.edm1.ancestral", "Euler ancestral step (k-diffusion, η = 1) in EDM's σ(t) = t",
          "crowsonkb/k-diffusion, k_diffusion/sampling.py (sample_euler_ancestral, get_ancestral_step); "
          f"{EDM}, Alg. 1 line 4-5 with σ_down; Song et al. 2021, App. F",
          r"x_{i+1} = x_i + \left(\frac{t_{i+1}^2}{t_i} - t_i\right)d_i + \frac{t_{i+1}}{t_i}\sqrt{t_i^2 - t_{i+1}^2}\,\epsilon_i",
          "edm", "edm1", grid="none"),
    MTRef("mt.edmrk.x", "EDM's second-order Runge-Kutta family (parameter α; α = 1 is Alg. 1's Heun step)",
          f"{EDM}, App. D.2 (general second-order Runge-Kutta, d'_i at t_i + α(t_{{i+1}} − t_i)); Süli & Mayers 2003, Sec. 12.5",
          r"x_{i+1} = x_i + (t_{i+1} - t_i)\left(\left(1 - \frac{1}{2\alpha}\right)d_i + \frac{1}{2\alpha}d'_i\right)", "edm",
          "edmrk", grid="none", params={"α": 1.0}),
    MTRef("mt.edm2.gamma", "EDM Alg. 2, churn factor γ_i (inside [S_tmin, S_tmax])", f"{EDM}, Alg. 2 line 4",
          r"\gamma_i = \min\left(\frac{S_{churn}}{N}, \sqrt{2} - 1\right)", "edm", "edm2", "scalar", grid="none"),
    MTRef("mt.edm2.that", "EDM Alg. 2, raised noise level t̂_i", f"{EDM}, Alg. 2 line 5",
          r"\hat{t}_i = t_i + \gamma_i t_i", "edm", "edm2", "scalar", grid="none"),
    MTRef("mt.edm2.xhat", "EDM Alg. 2, added noise (ε_i ~ N(0, S_noise² I))", f"{EDM}, Alg. 2 lines 5-6",
          r"\hat{x}_i = x_i + \sqrt{\hat{t}_i^2 - t_i^2}\epsilon_i", "edm", "edm2", "kernel", grid="none"),
    MTRef("mt.edm2.d", "EDM Alg. 2, slope d_i at (x̂_i, t̂_i)", f"{EDM}, Alg. 2 line 7",
          r"d_i = (\hat{x}_i - D_\theta(\hat{x}_i; \hat{t}_i))/\hat{t}_i", "edm", "edm2", "aux", grid="edm2"),
    MTRef("mt.edm2.euler", "EDM Alg. 2, Euler step from t̂_i", f"{EDM}, Alg. 2 line 8",
          r"x_{i+1} = \hat{x}_i + (t_{i+1} - \hat{t}_i)d_i", "edm", "edm2", grid="edm2"),
    MTRef("mt.edm2.dprime", "EDM Alg. 2, second slope d'_i", f"{EDM}, Alg. 2 line 10",
          r"d'_i = (x_{i+1} - D_\theta(x_{i+1}; t_{i+1}))/t_{i+1}", "edm", "edm2", "aux", grid="edm2"),
    MTRef("mt.edm2.heun", "EDM Alg. 2, Heun correction from t̂_i", f"{EDM}, Alg. 2 line 11",
          r"x_{i+1} = \hat{x}_i + (t_{i+1} - \hat{t}_i)\left(\frac{1}{2}d_i + \frac{1}{2}d'_i\right)", "edm", "edm2", grid="edm2"),
]


def by_name(name: str) -> MTRef:
    for r_ in REFS:
        if r_.name == name:
            return r_
    raise KeyError(name)
