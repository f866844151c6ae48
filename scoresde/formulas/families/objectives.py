"""Weights of the training objectives: L_simple as DSM with λ(t) = σ_t² (Ho et al. 2020, Eq. 14; Song et al.
2021, Eq. 7), the likelihood weighting λ(t) = g(t)² (Song, Durkan, Murray & Ermon 2021, Thm. 1), NCSN's
λ(σ) = σ² (Song & Ermon 2019, Sec. 4.2), and the learned-variance interpolation Σ_θ (Nichol & Dhariwal 2021, Eq. 15).

The training objectives themselves (``objective.l_simple``, the VLB terms and sums, DSM / NCSN / J_SM, VDM, EDM;
Ho et al. 2020, Eq. 5, 8, 10, 12, 14; Nichol & Dhariwal 2021, Eq. 4, 11-13, 16; Song et al. 2021, Eq. 1, 3, 7;
Song & Ermon 2019, Eq. 2, 5, 6; Song, Durkan et al. 2021, Sec. 3; Kingma et al. 2021, Sec. 3.2 and 4; Karras et
al. 2022, Eq. 2 and 8) are written as the papers write them and read by :mod:`scoresde.formulas.objective_reader`
(Entry.rhs is the integrand as read); the DSM targets ∇log q(x̃ | x) are relations of the same reader.

Ties: ``scoresde.train.losses.eps_weight`` (the weight on ‖ε_θ − z‖² is λ(t)/σ_t²) on every registered SDE, and
the chain's β_k and posterior variance β̃_k (``VPSDE.chain(N)``) at the interpolation's end points and between;
the objectives the package trains with (L_simple, Song's Eq. 7, NCSN's Eq. 5, J_SM with g²) against
``train.losses.dsm_loss`` and ``perturb``; the DSM targets against ``perturb`` (−z/s(t)); the others, which the
package does not implement, by reading their LaTeX back.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector, t
from ._objective_refs import (OBJECTIVE_REFS, RELATION_REFS, _TIE_RECIPES, ObjectiveRef, RelationRef,  # noqa: F401
                              _dsm_sde, _f64, _jdsm, _jsm, _smld, _ve_noise, _vp_eps, read_score_relation,
                              tie_dsm_target, tie_objective, tie_read_back)
from ..objective_reader import read_objective

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)
#: entries written but not registered yet (none at present: since evaluate.is_zero gives every free symbol random
#: values, entries with σ_data, i, N, ρ, w, ... are registered). Their ties would still be tested in test_corpus.
PENDING: List[Entry] = []
_pending = collector(PENDING)

V = sp.Symbol("v", real=True)  # N&D's interpolation weight (not the v-prediction: this module's scalar only)


def tie_weight(entry: Entry) -> Tuple[bool, str]:
    """λ(t) of the entry vs eps_weight(sde, t, w) · σ_t² (w = 'likelihood' for g², 'eps' for σ_t²)."""
    from ...sde import SDES
    from ...train.losses import eps_weight
    from ..ties import _ev, _points

    which = "likelihood" if entry.rhs.has(C.G(t)) else "eps"
    worst = 0.0
    for ctor in SDES.values():
        sde = ctor()
        for tt in _points(sde):
            t_ = torch.tensor([tt], dtype=_f64)
            ref = float(eps_weight(sde, t_, which) * sde.marginal_var(t_))
            val = _ev(entry.rhs, {C.G(t): float(sde.diffusion(t_)), C.sg_sym: float(sde.marginal_std(t_))})
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"train.losses.eps_weight(…, {which!r}) × σ_t² on {len(SDES)} SDEs: max relative deviation {worst:.1e}"


def tie_learned_variance(entry: Entry) -> Tuple[bool, str]:
    """v = 1 gives β_k, v = 0 the posterior variance β̃_k of VPSDE.chain(50), v = 0.3 their geometric mean β^0.3 β̃^0.7."""
    from ..ties import _ev, _posterior_numeric, _step_subs_vp, _vp_chain

    _, chain = _vp_chain()
    worst = 0.0
    for i in (2, 9, 30, chain.N):
        _, bt = _posterior_numeric(chain, i, 0.0, 0.0, True)
        beta = float(chain.betas[i - 1])
        sub = _step_subs_vp(chain, i)
        for vv, ref in ((1.0, beta), (0.0, bt), (0.3, beta**0.3 * bt**0.7)):
            worst = max(worst, abs(_ev(entry.rhs, {**sub, V: vv}) - ref) / ref)
    return worst < 1e-10, f"β_k and posterior variance of VPSDE.chain(50): max relative deviation {worst:.1e}"


_add(name="objective.likelihood_weighting", title="likelihood weighting λ(t) = g(t)²",
     source="Song, Durkan, Murray & Ermon 2021 (Maximum Likelihood Training of Score-Based Diffusion Models), Thm. 1",
     kind="scalar", family="generic", latex=r"\lambda(t) = g(t)^2", relation="train.losses.eps_weight(…, 'likelihood') × σ_t²",
     lhs="lambda(t)", mode="function", rhs=C.G(t) ** 2, tie=tie_weight)
_add(name="objective.simple_weighting", title="L_simple as DSM: λ(t) = σ_t²",
     source="Ho et al. 2020 (DDPM), Eq. 14 with Song et al. 2021, Eq. 7 (ε = −σ_t s)", kind="scalar", family="generic",
     latex=r"\lambda(t) = \sigma_t^2", relation="train.losses.eps_weight(…, 'eps') × σ_t²", lhs="lambda(t)", mode="function",
     rhs=C.sg_sym**2, tie=tie_weight)
_add(name="objective.learned_variance", title="learned variance interpolation Σ_θ",
     source="Nichol & Dhariwal 2021 (Improved DDPM), Eq. 15", kind="scalar", family="vp",
     latex=r"\Sigma_\theta(x_t, t) = \exp(v\log\beta_t + (1 - v)\log\tilde{\beta}_t)",
     relation="β_k and the posterior variance of VPSDE.chain(N) at v = 1, 0", lhs="Sigma_theta", mode="discrete",
     rhs=sp.exp(V * sp.log(C.b) + (1 - V) * sp.log(C.beta_tilde())), tie=tie_learned_variance)


SIGN = sp.Symbol("σ", positive=True)  # SMLD noise level


def tie_ncsn(entry: Entry) -> Tuple[bool, str]:
    """λ(σ) = σ²: the eps-weighting of train.losses on VESDE (λ/σ_t² = 1, σ_t the noise level); the DSM target
    −(x̃ − x)/σ² at x̃ = train.losses.perturb(VESDE, x, t, z) equals −z/σ_t (the eps-loss's target −ε/σ)."""
    from ...train.losses import eps_weight, perturb
    from ..ties import _ev, _points, _ve

    sde = _ve(marginal="smld")
    worst = 0.0
    for tt in _points(sde):
        t_ = torch.tensor([tt], dtype=_f64)
        sd = float(sde.marginal_std(t_))
        if entry.lhs == "lambda(sigma)":
            ref = float(eps_weight(sde, t_, "eps")) * sd * sd
            val = _ev(entry.rhs, {SIGN: sd})
        else:
            x0_, z_ = torch.tensor([[0.7]], dtype=_f64), torch.tensor([[-1.3]], dtype=_f64)
            xt = float(perturb(sde, x0_, t_, z_).flatten()[0])
            ref = -float(z_) / sd
            val = _ev(entry.rhs, {C.x: xt, C.x0: 0.7, SIGN: sd})
        worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"train.losses (eps_weight, perturb) on VESDE(marginal='smld'): max relative deviation {worst:.1e}"


_add(name="objective.ncsn_weighting", title="NCSN weighting λ(σ) = σ²", source="Song & Ermon 2019 (NCSN), Sec. 4.2",
     kind="scalar", family="ve", latex=r"\lambda(\sigma) = \sigma^2", relation="train.losses.eps_weight(VESDE, 'eps') × σ²",
     lhs="lambda(sigma)", mode="function", rhs=SIGN**2, tie=tie_ncsn)


# ------------------------------------------------------------------------------------------- objectives
# The training objectives themselves, written as the papers write them and read by the objective reader
# (scoresde.formulas.objective_reader); a claim is compared with them in the same notation
# (scoresde.formulas.objective_judge). Entry.rhs is the integrand (weight · residual²) as read.
# Their records (OBJECTIVE_REFS, RELATION_REFS) and ties are in _objective_refs.py.
def _objective(name: str, title: str, source: str, kind: str, names: Tuple[str, ...], latex: str, relation: str) -> None:
    ob = read_objective(latex)
    OBJECTIVE_REFS[name] = ObjectiveRef(name, title, source, kind, names, latex, ob)
    _add(name=name, title=title, source=source, kind="scalar", family="generic", latex=latex, relation=relation,
         lhs="objective:" + name, mode="discrete", rhs=ob.integrand, tie=tie_objective if name in _TIE_RECIPES else tie_read_back)


_NO_TIE = "the package trains with train.losses.dsm_loss only (ε- and likelihood weighting); read back by the objective reader"
_objective("objective.l_simple", "L_simple", "Ho et al. 2020 (DDPM), Eq. 14 and Alg. 1", "L_simple (ε-prediction, Ho et al. 2020)",
           ("L_simple", "L_simple(θ)"),
           r"L_{\mathrm{simple}}(\theta) = \mathbb{E}_{t, x_0, \epsilon}\left[\left\|\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)\right\|^2\right]",
           "train.losses.dsm_loss(kind='eps', weighting='eps') on VPSDE (ᾱ = m(t)²)")
_objective("objective.vlb_term_eps", "L_{t−1} − C in ε form", "Ho et al. 2020 (DDPM), Eq. 12",
           "the VLB term L_{t−1} − C in ε form (Ho et al. 2020)", ("L_k-1",),
           r"\mathbb{E}_{x_0, \epsilon}\left[\frac{\beta_t^2}{2\sigma_t^2\alpha_t(1-\bar\alpha_t)}\left\|\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)\right\|^2\right]",
           _NO_TIE)
# the same term with the network predicting x_0: μ_θ = √ᾱ_{t−1}β_t/(1 − ᾱ_t) x̂_θ + √α_t(1 − ᾱ_{t−1})/(1 − ᾱ_t) x_t (Ho et al.
# 2020, Eq. 7 with x̂_θ for x_0), so μ̃_t − μ_θ = √ᾱ_{t−1}β_t/(1 − ᾱ_t)(x_0 − x̂_θ) in Eq. 8 (Luo 2022, Eq. 99)
_objective("objective.vlb_term_x0", "L_{t−1} − C in data-prediction form", "Ho et al. 2020 (DDPM), Eq. 7-8 with μ_θ from x̂_θ (Luo 2022, Eq. 99)",
           "the VLB term L_{t−1} − C in x̂_0 form", ("L_k-1",),
           r"\mathbb{E}_{x_0, \epsilon}\left[\frac{\bar\alpha_{t-1}\beta_t^2}{2\sigma_t^2(1-\bar\alpha_t)^2}\left\|\hat{x}_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t) - x_0\right\|^2\right]",
           _NO_TIE)
_objective("objective.vlb_term_mean", "L_{t−1} in mean form", "Ho et al. 2020 (DDPM), Eq. 8",
           "the VLB term L_{t−1} in mean form (Ho et al. 2020)", ("L_k-1",),
           r"L_{t-1} = \mathbb{E}_q\left[\frac{1}{2\sigma_t^2}\|\tilde\mu_t(x_t, x_0) - \mu_\theta(x_t, t)\|^2\right] + C", _NO_TIE)
_objective("objective.vlb", "L_vlb as the sum of its terms", "Nichol & Dhariwal 2021 (Improved DDPM), Eq. 4-5",
           "the variational bound L_vlb", ("L_vlb", "L"), r"L_{\mathrm{vlb}} = \sum_{t=0}^{T} L_t", _NO_TIE)
_objective("objective.hybrid", "hybrid loss", "Nichol & Dhariwal 2021 (Improved DDPM), Sec. 3.1 (Eq. 16, λ = 0.001)",
           "the hybrid loss", ("L_hybrid",), r"L_{\mathrm{hybrid}} = L_{\mathrm{simple}} + \lambda L_{\mathrm{vlb}}, \quad \lambda = 0.001", _NO_TIE)
# Eq. 16 as the paper writes it, λ left a symbol (its value 0.001 is a choice of Sec. 3.1, stated apart)
_objective("objective.hybrid_lambda", "hybrid loss with its weight λ", "Nichol & Dhariwal 2021 (Improved DDPM), Eq. 16",
           "the hybrid loss", ("L_hybrid",), r"L_{\mathrm{hybrid}} = L_{\mathrm{simple}} + \lambda L_{\mathrm{vlb}}", _NO_TIE)
_objective("objective.dsm", "denoising score matching with weight λ(t)", "Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 7",
           "denoising score matching (Song et al. 2021)", (),
           r"\theta^* = \arg\min_\theta \mathbb{E}_t\left[\lambda(t)\mathbb{E}_{x(0)}\mathbb{E}_{x(t) \mid x(0)}\left[\|s_\theta(x(t), t) - \nabla_{x(t)}\log p_{0t}(x(t) \mid x(0))\|_2^2\right]\right]",
           "train.losses.dsm_loss(kind='score', weighting='eps') on VPSDE (λ = σ_t², kernel score −z/σ_t)")
_objective("objective.ncsn", "NCSN objective (weights σ_i²)", "Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 1",
           "the NCSN objective", (),
           r"\theta^* = \arg\min_\theta \sum_{i=1}^N \sigma_i^2\mathbb{E}_{p_{\mathrm{data}}(x)}\mathbb{E}_{p_{\sigma_i}(\tilde x \mid x)}\left[\|s_\theta(\tilde x, \sigma_i) - \nabla_{\tilde x}\log p_{\sigma_i}(\tilde x \mid x)\|_2^2\right]",
           _NO_TIE)
_objective("objective.ddpm_score", "DDPM objective in score form (Song's α_i = ᾱ_i)", "Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 3",
           "the DDPM objective in score form", (),
           r"\theta^* = \arg\min_\theta \sum_{i=1}^N (1-\alpha_i)\mathbb{E}_{p_{\mathrm{data}}(x)}\mathbb{E}_{p_{\alpha_i}(\tilde x \mid x)}\left[\|s_\theta(\tilde x, i) - \nabla_{\tilde x}\log p_{\alpha_i}(\tilde x \mid x)\|_2^2\right]",
           _NO_TIE)
_objective("objective.dsm_sigma", "denoising score matching at one noise level", "Song & Ermon 2019 (NCSN), Eq. 5",
           "denoising score matching at one noise level σ", ("ℓ",),
           r"\ell(\theta; \sigma) = \frac{1}{2}\mathbb{E}_{p_{\mathrm{data}}(x)}\mathbb{E}_{\tilde x \sim \mathcal{N}(x, \sigma^2 I)}\left[\left\|s_\theta(\tilde x, \sigma) + \frac{\tilde x - x}{\sigma^2}\right\|_2^2\right]",
           "train.losses.dsm_loss(kind='score', weighting='eps') on VESDE(marginal='smld'), divided by 2σ²")
_objective("objective.ncsn_total", "NCSN loss over all noise levels", "Song & Ermon 2019 (NCSN), Eq. 6",
           "the NCSN loss over L noise levels", ("𝓛",),
           r"\mathcal{L}(\theta; \{\sigma_i\}_{i=1}^L) = \frac{1}{L}\sum_{i=1}^L \lambda(\sigma_i)\ell(\theta; \sigma_i)", _NO_TIE)
_objective("objective.jsm", "score matching with likelihood weighting g²", "Song, Durkan, Murray & Ermon 2021, Sec. 3 (Eq. 4 with λ = g²)",
           "score matching with weighting g(t)²", ("𝒥_SM",),
           r"\mathcal{J}_{\mathrm{SM}}(\theta; g(\cdot)^2) = \frac{1}{2}\int_0^T \mathbb{E}_{p_t(x)}\left[g(t)^2\|\nabla_x\log p_t(x) - s_\theta(x, t)\|_2^2\right] dt",
           "train.losses.dsm_loss(kind='score', weighting='likelihood') on VPSDE, halved (kernel score for ∇log p_t)")
_objective("objective.vdm_continuous", "VDM continuous-time loss (x-prediction)", "Kingma et al. 2021 (VDM), Sec. 4 (Eq. 15)",
           "the VDM continuous-time diffusion loss", ("𝓛_∞",),
           r"\mathcal{L}_\infty(x) = -\frac{1}{2}\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I)}\int_0^1 \mathrm{SNR}'(t)\|x - \hat x_\theta(z_t; t)\|_2^2 dt",
           _NO_TIE)
_objective("objective.vdm_continuous_eps", "VDM continuous-time loss (ε-prediction)", "Kingma et al. 2021 (VDM), Sec. 4 (Eq. 17)",
           "the VDM continuous-time diffusion loss in ε form", ("𝓛_∞",),
           r"\mathcal{L}_\infty(x) = \frac{1}{2}\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I)}\int_0^1 \gamma_\eta'(t)\|\epsilon - \hat\epsilon_\theta(z_t; t)\|_2^2 dt",
           _NO_TIE)
_objective("objective.vdm_discrete", "VDM discrete-time loss", "Kingma et al. 2021 (VDM), Sec. 3.2 (Eq. 13, s = t − 1/T)",
           "the VDM discrete-time diffusion loss", ("𝓛_T",),
           r"\mathcal{L}_T(x) = \frac{T}{2}\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I), i \sim U\{1, T\}}\left[(\mathrm{SNR}(s) - \mathrm{SNR}(t))\|x - \hat x_\theta(z_t; t)\|_2^2\right]",
           _NO_TIE)
_objective("objective.edm_denoiser", "EDM denoiser loss", "Karras et al. 2022 (EDM), Eq. 2",
           "the denoiser L2 loss at noise level σ (Karras et al. 2022)", (),
           r"\mathbb{E}_{y \sim p_{\mathrm{data}}}\mathbb{E}_{n \sim \mathcal{N}(0, \sigma^2 I)}\|D(y + n; \sigma) - y\|_2^2", _NO_TIE)
_objective("objective.edm_effective", "EDM loss for the raw network F_θ", "Karras et al. 2022 (EDM), Eq. 8",
           "the EDM loss of the raw network F_θ", (),
           r"\mathbb{E}_{\sigma, y, n}\left[\lambda(\sigma)c_{\mathrm{out}}(\sigma)^2\left\|F_\theta(c_{\mathrm{in}}(\sigma)(y + n); c_{\mathrm{noise}}(\sigma)) - \frac{1}{c_{\mathrm{out}}(\sigma)}(y - c_{\mathrm{skip}}(\sigma)(y + n))\right\|_2^2\right]",
           _NO_TIE)
_objective("objective.vlb_kl", "the variational bound as a sum of KL terms", "Ho et al. 2020 (DDPM), Eq. 5",
           "the variational bound L", ("L", "L_vlb"),
           r"L = \mathbb{E}_q\left[D_{\mathrm{KL}}(q(x_T \mid x_0) \| p(x_T)) + \sum_{t>1} D_{\mathrm{KL}}(q(x_{t-1} \mid x_t, x_0) \| p_\theta(x_{t-1} \mid x_t)) - \log p_\theta(x_0 \mid x_1)\right]",
           _NO_TIE)


# ------------------------------------------------------------------------------------------- DSM targets
# The score of the Gaussian perturbation kernel, the regression target of denoising score matching: for
# q(x̃ | x) = N(x̃; m x, s² I), ∇_x̃ log q(x̃ | x) = −(x̃ − m x)/s² (Vincent 2011, Sec. 4.2; Song & Ermon 2019, Sec. 4.2;
# Song et al. 2021, Eq. 7 with the kernels of App. B).
def _relation(name: str, title: str, source: str, latex: str) -> None:
    lhs, rhs, roles = read_score_relation(latex)
    RELATION_REFS[name] = RelationRef(name, title, source, lhs, latex, rhs, roles)
    _add(name=name, title=title, source=source, kind="scalar", family="generic", latex=latex,
         relation="the target −z/s(t) of train.losses.dsm_loss at x̃ = perturb(x0, t, z)", lhs="objective:" + name,
         mode="discrete", rhs=rhs, tie=tie_dsm_target)


_relation("objective.dsm_target_ve", "DSM target: score of the kernel N(x, σ² I)", "Song & Ermon 2019 (NCSN), Sec. 4.2 (Vincent 2011)",
          r"\nabla_{\tilde x}\log q_\sigma(\tilde x \mid x) = -\frac{\tilde x - x}{\sigma^2}")
_relation("objective.dsm_target_ve_sde", "DSM target: score of the VE SDE's kernel", "Song et al. 2021, Eq. 7 with the VE kernel of App. B (Eq. 29: N(x(0), [σ²(t) − σ²(0)] I))",
          r"\nabla_{x(t)}\log p_{0t}(x(t) \mid x(0)) = -\frac{x(t) - x(0)}{\sigma^2(t) - \sigma^2(0)}")
_relation("objective.dsm_target_vp", "DSM target: score of the VP kernel", "Song et al. 2021, Eq. 7 with the VP kernel of App. B (Eq. 29)",
          r"\nabla_{x(t)}\log p_{0t}(x(t) \mid x(0)) = -\frac{x(t) - \sqrt{\bar\alpha(t)}x(0)}{1 - \bar\alpha(t)}")
_objective("objective.vlb_term_mu_eps", "L_{t−1} − C with the posterior mean written out", "Ho et al. 2020 (DDPM), Eq. 10",
           "the VLB term L_{t−1} − C (Ho et al. 2020, Eq. 10)", ("L_k-1",),
           r"L_{t-1} - C = \mathbb{E}_{x_0, \epsilon}\left[\frac{1}{2\sigma_t^2}\left\|\frac{1}{\sqrt{\alpha_t}}\left(x_t(x_0, \epsilon) - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon\right) - \mu_\theta(x_t(x_0, \epsilon), t)\right\|^2\right]",
           _NO_TIE)
_objective("objective.dsm_vincent", "denoising score matching (Vincent 2011)", "Song & Ermon 2019 (NCSN), Eq. 2 (Vincent 2011)",
           "denoising score matching (Vincent 2011)", (),
           r"\frac{1}{2}\mathbb{E}_{q_\sigma(\tilde x \mid x)p_{\mathrm{data}}(x)}\left[\|s_\theta(\tilde x) - \nabla_{\tilde x}\log q_\sigma(\tilde x \mid x)\|_2^2\right]",
           _NO_TIE)
_objective("objective.score_matching", "score matching (Hyvärinen 2005)", "Song & Ermon 2019 (NCSN), Eq. 1 (first form)",
           "explicit score matching", (),
           r"\frac{1}{2}\mathbb{E}_{p_{\mathrm{data}}(x)}\left[\|s_\theta(x) - \nabla_x\log p_{\mathrm{data}}(x)\|_2^2\right]", _NO_TIE)
_objective("objective.jsm_lambda", "score matching with weighting λ", "Song, Durkan, Murray & Ermon 2021, Sec. 3 (J_SM with λ)",
           "score matching with weighting λ(t)", ("𝒥_SM",),
           r"\mathcal{J}_{\mathrm{SM}}(\theta; \lambda(\cdot)) = \frac{1}{2}\int_0^T \mathbb{E}_{p_t(x)}\left[\lambda(t)\|\nabla_x\log p_t(x) - s_\theta(x, t)\|_2^2\right] dt",
           _NO_TIE)
_objective("objective.jdsm_lambda", "denoising score matching with weighting λ", "Song, Durkan, Murray & Ermon 2021, Sec. 3 (J_DSM with λ)",
           "denoising score matching with weighting λ(t)", ("𝒥_DSM",),
           r"\mathcal{J}_{\mathrm{DSM}}(\theta; \lambda(\cdot)) = \frac{1}{2}\int_0^T \mathbb{E}_{p(x)p_{0t}(\tilde x \mid x)}\left[\lambda(t)\|\nabla_{\tilde x}\log p_{0t}(\tilde x \mid x) - s_\theta(\tilde x, t)\|_2^2\right] dt",
           _NO_TIE)
_objective("objective.vdm_discrete_eps", "VDM discrete-time loss (ε-prediction)", "Kingma et al. 2021 (VDM), Sec. 3.2 (ε form, γ = −log SNR)",
           "the VDM discrete-time diffusion loss in ε form", ("𝓛_T",),
           r"\mathcal{L}_T(x) = \frac{T}{2}\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I), i \sim U\{1, T\}}\left[\left(\exp(\gamma_\eta(t) - \gamma_\eta(s)) - 1\right)\|\epsilon - \hat\epsilon_\theta(z_t; t)\|_2^2\right]",
           _NO_TIE)
_objective("objective.edm_weighted", "EDM denoiser loss with the weighting λ(σ)", "Karras et al. 2022 (EDM), Eq. 8 (first form)",
           "the weighted denoiser loss (Karras et al. 2022)", (),
           r"\mathbb{E}_{\sigma, y, n}\left[\lambda(\sigma)\|D_\theta(y + n; \sigma) - y\|_2^2\right]", _NO_TIE)
_objective("objective.edm_weighted_drawn", "EDM denoiser loss with the weighting λ(σ), n ∼ N(0, σ² I) stated",
           "Karras et al. 2022 (EDM), Eq. 8 (first form) with n ∼ N(0, σ² I) of Eq. 2", "the weighted denoiser loss (Karras et al. 2022)", (),
           r"\mathbb{E}_{\sigma, y, n \sim \mathcal{N}(0, \sigma^2 I)}\left[\lambda(\sigma)\|D_\theta(y + n; \sigma) - y\|_2^2\right]", _NO_TIE)
_objective("objective.vlb_l0", "the reconstruction term L_0", "Nichol & Dhariwal 2021 (Improved DDPM), Eq. 11 (Ho et al. 2020, Eq. 5)",
           "the VLB's reconstruction term L_0", ("L_0",), r"L_0 = -\log p_\theta(x_0 \mid x_1)", _NO_TIE)
_objective("objective.vlb_lt", "the VLB term L_{t−1} as a KL divergence", "Nichol & Dhariwal 2021 (Improved DDPM), Eq. 12 (Ho et al. 2020, Eq. 5)",
           "the VLB term L_{t−1}", ("L_k-1",),
           r"L_{t-1} = D_{\mathrm{KL}}(q(x_{t-1} \mid x_t, x_0) \| p_\theta(x_{t-1} \mid x_t))", _NO_TIE)
_objective("objective.vlb_lT", "the prior term L_T", "Nichol & Dhariwal 2021 (Improved DDPM), Eq. 13 (Ho et al. 2020, Eq. 5)",
           "the VLB's prior term L_T", ("L_T",), r"L_T = D_{\mathrm{KL}}(q(x_T \mid x_0) \| p(x_T))", _NO_TIE)


_objective("objective.jdsm", "denoising score matching with likelihood weighting g²",
           "Song, Durkan, Murray & Ermon 2021, Sec. 3 and Thm. 1 (J_DSM with λ = g²)",
           "denoising score matching with weighting g(t)²", ("𝒥_DSM",),
           r"\mathcal{J}_{\mathrm{DSM}}(\theta; g(\cdot)^2) = \frac{1}{2}\int_0^T \mathbb{E}_{p(x)p_{0t}(\tilde x \mid x)}\left[g(t)^2\|\nabla_{\tilde x}\log p_{0t}(\tilde x \mid x) - s_\theta(\tilde x, t)\|_2^2\right] dt",
           "train.losses.dsm_loss(kind='score', weighting='likelihood') on VPSDE, halved")
_objective("objective.dsm_ve_noise", "VE denoising score matching in noise form (λ = σ(t)²)",
           "Song et al. 2021 (Score-Based Generative Modeling through SDEs), Eq. 7 with the VE kernel of App. B and λ(t) = σ(t)²",
           "denoising score matching on the VE SDE, λ = σ(t)² (noise form)", (),
           r"\mathbb{E}_t\mathbb{E}_{x(0)}\mathbb{E}_z\left[\|\sigma(t)s_\theta(x(0) + \sigma(t)z, t) + z\|_2^2\right]",
           "train.losses.dsm_loss(kind='score', weighting='eps') on VESDE(marginal='smld')")
_objective("objective.vdm_snr_integral", "VDM continuous-time loss as an integral over the SNR",
           "Kingma et al. 2021 (VDM), Sec. 5.1 (v = SNR(t): the loss depends on the schedule only through its end points)",
           "the VDM continuous-time loss over the SNR", ("𝓛_∞",),
           r"\mathcal{L}_\infty(x) = \frac{1}{2}\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I)}\int_{\mathrm{SNR}_{\min}}^{\mathrm{SNR}_{\max}}\|x - \tilde x_\theta(z_v, v)\|_2^2\, dv",
           _NO_TIE)

_objective("objective.snr_plus_one", "the 'SNR+1' weighting of the x-prediction loss",
           "Salimans & Ho 2022 (Progressive Distillation), Sec. 4 (the v-loss ‖v − v̂‖² written on x̂)",
           "the x-prediction loss with 'SNR+1' weighting", ("L_θ",),
           r"L_\theta = \left(1 + \frac{\alpha_t^2}{\sigma_t^2}\right)\|x - \hat x_t\|_2^2", _NO_TIE)
_objective("objective.truncated_snr", "the 'truncated SNR' weighting of the x-prediction loss",
           "Salimans & Ho 2022 (Progressive Distillation), Sec. 4 (max of the x- and ε-losses)",
           "the x-prediction loss with 'truncated SNR' weighting", ("L_θ",),
           r"L_\theta = \max\left(\frac{\alpha_t^2}{\sigma_t^2}, 1\right)\|x - \hat x_t\|_2^2", _NO_TIE)
_objective("objective.vlb_importance", "L_vlb by importance sampling of t", "Nichol & Dhariwal 2021 (Improved DDPM), Eq. 18",
           "the importance-sampled variational bound", ("L_vlb",),
           r"L_{\mathrm{vlb}} = \mathbb{E}_{t \sim p_t}\left[\frac{L_t}{p_t}\right], \quad p_t \propto \sqrt{\mathbb{E}[L_t^2]}, \quad \sum p_t = 1",
           _NO_TIE)
