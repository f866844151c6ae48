"""Issue 13, wave 4 (objectives, guidance, likelihood): formulas as people write them, read by general rules.

Every formula here is written for this test (other letters, other papers' conventions, code spellings); none is
copied from a corpus. Guidance: a guided prediction or score is −σ(s + κg) / s + κg with a guidance weight κ that
must be a positive, increasing, schedule-free function of the written weight (guidance_weight.py)."""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [v.verdict for v in vs]
    return vs[0]


@pytest.mark.parametrize("text", [
    # diffusers' spelling: the unconditional prediction plus the scale times the difference (κ = scale)
    "noise_pred = noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond)",
    # Ho & Salimans's Eq. 6 as code, the two terms in the other order
    "eps_guided = -w * eps_uncond + (1 + w) * eps_cond",
    # a hat-decorated guided prediction with the classifier named q_ψ and weight ω (κ = ω)
    r"\hat{\epsilon}_\theta(\mathbf{z}_t, t) = \epsilon_\theta(\mathbf{z}_t, t) - \omega\sqrt{1 - \bar\alpha_t}\,\nabla_{\mathbf{z}_t}\log q_\psi(c \mid \mathbf{z}_t)",
    # a tempered conditional score with η (Dhariwal & Nichol 2021, Sec. 4.3, written as Luo does)
    r"\nabla_{\mathbf{z}}\log p(\mathbf{z}\mid c) = \nabla_{\mathbf{z}}\log p(\mathbf{z}) + \eta\,\nabla_{\mathbf{z}}\log p(c\mid\mathbf{z})",
    # a bar-decorated CFG prediction in the difference form, the scale s defined beside it
    r"\bar{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t, c) + (s - 1)\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right), \quad s = 1 + w",
    # the implicit classifier's gradient chained with Bayes' rule, in bm bold
    r"\nabla\log p(c|\bm{z}_t) = \nabla\log p(\bm{z}_t|c) - \nabla\log p(\bm{z}_t) = -\frac{1}{\sigma_t}\left(\epsilon_\theta(\bm{z}_t, c) - \epsilon_\theta(\bm{z}_t)\right)",
])
def test_guidance_forms_are_exact(text):
    v = _one(text)
    assert v.verdict == "exact", v.detail


@pytest.mark.parametrize("text", [
    # the difference subtracted: κ = −scale, guiding away from the class
    "noise_pred = noise_pred_uncond - guidance_scale * (noise_pred_text - noise_pred_uncond)",
    # conditional and unconditional swapped in code: κ = −w
    "eps_guided = (1 + w) * eps_uncond - w * eps_cond",
    # a classifier weight that changes with the schedule (σ² for σ): not a guidance scale
    r"\hat{\epsilon}_\theta(\mathbf{z}_t, t) = \epsilon_\theta(\mathbf{z}_t, t) - \omega(1 - \bar\alpha_t)\nabla_{\mathbf{z}_t}\log q_\psi(c \mid \mathbf{z}_t)",
    # the tempered score with the classifier's gradient subtracted
    r"\nabla_{\mathbf{z}}\log p(\mathbf{z}\mid c) = \nabla_{\mathbf{z}}\log p(\mathbf{z}) - \eta\,\nabla_{\mathbf{z}}\log p(c\mid\mathbf{z})",
    # the unconditional score counted twice (coefficient of s is 1 + 2w)
    r"\bar{\epsilon}_\theta(z_t, c) = (1 + w)\epsilon_\theta(z_t, c) + w\,\epsilon_\theta(z_t)",
    # the overall sign of the score form lost: ε = +σ(s + κg)
    r"\bar{\epsilon}^*(z_t, c) = \sigma_t\left[\nabla_{z_t}\log p(z_t) + (1 + w)\nabla_{z_t}\log p(c \mid z_t)\right]",
    # the scale defined as 1 − w beside the formula: κ = 1 − w decreases with w
    r"\bar{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t) + s\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right), \quad s = 1 - w",
])
def test_wrong_guidance_forms_are_inconsistent(text):
    v = _one(text)
    assert v.verdict == "inconsistent", v.detail
    assert "rhs" in v.terms


def test_ho_salimans_tilde_with_w_is_exact_only_with_kappa_one_plus_w():
    # Ho & Salimans define ε̃ with their w as κ = 1 + w; w used as the scale itself (GLIDE, LDM, diffusers: w = 1
    # unguided) is a valid guidance in another convention: consistent, never exact (session 8; it was inconsistent)
    v = _one(r"\tilde{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t) + w\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right)")
    assert v.verdict == "consistent" and "κ = 1 + w" in v.detail, v.detail
    v = _one(r"\tilde{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t) - w\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right)")
    assert v.verdict == "inconsistent", v.detail
    v = _one(r"\tilde{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t, c) + w\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right)")
    assert v.verdict == "exact", v.detail


def test_explicit_score_matching_at_a_noisy_state():
    # E‖s_θ(x_t, t) − ∇log q(x_t)‖²: the model against the marginal score at the same point (Hyvärinen 2005 at level t)
    v = _one(r"\mathbb{E}\left[\|s_\theta(x_t, t) - \nabla_{x_t}\log q(x_t)\|^2\right]")
    assert v.verdict == "exact", v.detail
    v = _one(r"\mathbb{E}\left[\|s_\theta(x_t, t) + \nabla_{x_t}\log q(x_t)\|^2\right]")
    assert v.verdict == "inconsistent", v.detail


def test_sampled_in_words_step():
    v = _one(r"x_{k-1} \gets \text{sample from } \mathcal{N}(\mu + s\Sigma\nabla_{x_k}\log p_\phi(y \mid x_k), \Sigma)")
    assert v.verdict == "exact", v.detail
    v = _one(r"x_{k-1} \gets \text{sample from } \mathcal{N}(\mu - s\Sigma\nabla_{x_k}\log p_\phi(y \mid x_k), \Sigma)")
    assert v.verdict == "inconsistent", v.detail


# ------------------------------------------------------------------------------------------- objectives by meaning
@pytest.mark.parametrize("text, verdict", [
    # VE denoising score matching in noise form under a name no registry entry uses, std written s_k, level k
    (r"\mathcal{J}_k(\phi) = \mathbb{E}_{\mathbf{y}, \boldsymbol{\xi}}\left[\|s_k\,\mathbf{s}_\phi(\mathbf{y} + s_k\boldsymbol{\xi}, k) + \boldsymbol{\xi}\|^2\right]", None),
    # the same with the kernel's mean coefficient a_t: x_t = a_t y + s_t ξ, the score target −ξ/s_t, weighting g²
    (r"\mathcal{L}_{\mathrm{lik}} = \mathbb{E}_{t, \mathbf{y}, \boldsymbol{\xi}}\Big[g(t)^2\Big\|\mathbf{s}_\theta(\mathbf{x}_t, t) + \frac{\boldsymbol{\xi}}{\sigma_t}\Big\|^2\Big]", None),
    # ε-prediction with a named state and the 1/σ² weight (unit weight on the score residual), min over φ
    (r"\min_{\phi}\,\mathbb{E}_{t, \mathbf{x}_0, \boldsymbol{\epsilon}}\,\frac{1}{\sigma_t^2}\big\|\boldsymbol{\epsilon}_\phi(\mathbf{x}_t, t) - \boldsymbol{\epsilon}\big\|^2", None),
    # explicit score matching (Fisher divergence) written with q and the model first, no ½
    (r"\mathbb{E}_{q(\mathbf{u})}\big[\|\mathbf{s}_\theta(\mathbf{u}) - \nabla_{\mathbf{u}}\log q(\mathbf{u})\|^2\big]", None),
    # a denoiser loss in VP notation: D(√ᾱ y + √(1 − ᾱ) n) regressed on y
    (r"J(\theta) = \mathbb{E}_{\mathbf{y}, \mathbf{n}}\|D_\theta(\sqrt{\bar\alpha_t}\mathbf{y} + \sqrt{1-\bar\alpha_t}\,\mathbf{n}, t) - \mathbf{y}\|^2", None),
])
def test_objectives_read_by_meaning_are_exact(text, verdict):
    v = _one(text)
    assert v.verdict == "exact", v.detail


@pytest.mark.parametrize("text", [
    # the kernel's score with the wrong sign of the noise (σ s − ξ)
    r"\mathcal{J}_k(\phi) = \mathbb{E}_{\mathbf{y}, \boldsymbol{\xi}}\left[\|s_k\,\mathbf{s}_\phi(\mathbf{y} + s_k\boldsymbol{\xi}, k) - \boldsymbol{\xi}\|^2\right]",
    # the kernel's score mis-scaled: ξ/σ_t² for ξ/σ_t
    r"\mathcal{L}_{\mathrm{lik}} = \mathbb{E}_{t, \mathbf{y}, \boldsymbol{\xi}}\Big[g(t)^2\Big\|\mathbf{s}_\theta(\mathbf{x}_t, t) + \frac{\boldsymbol{\xi}}{\sigma_t^2}\Big\|^2\Big]",
    # the model added to the kernel's score instead of regressed on it
    r"\phi^* = \arg\min_\phi \mathbb{E}_{t}\big[\mathbb{E}_{\mathbf{u}_0}\mathbb{E}_{\mathbf{u}_t\mid\mathbf{u}_0}\|\mathbf{s}_\phi(\mathbf{u}_t, t) + \nabla_{\mathbf{u}_t}\log q_{0t}(\mathbf{u}_t\mid\mathbf{u}_0)\|^2\big]",
    # the VP input with ᾱ_t for √ᾱ_t: no kernel's sample
    r"J(\theta) = \mathbb{E}_{\mathbf{y}, \mathbf{n}}\|D_\theta(\bar\alpha_t\mathbf{y} + \sqrt{1-\bar\alpha_t}\,\mathbf{n}, t) - \mathbf{y}\|^2",
    # a denoiser regressed on the noise
    r"J(\theta) = \mathbb{E}_{\mathbf{y}, \mathbf{n}}\|D_\theta(\sqrt{\bar\alpha_t}\mathbf{y} + \sqrt{1-\bar\alpha_t}\,\mathbf{n}, t) - \mathbf{n}\|^2",
])
def test_objectives_read_by_meaning_wrong_residual(text):
    v = _one(text)
    assert v.verdict == "inconsistent", v.detail
    assert v.terms == ["rhs"]


def test_objective_with_another_positive_weighting_is_consistent():
    # the score residual weighted by σ_t (not σ_t², g², 1 or λ): a valid objective with another weighting
    v = _one(r"\mathcal{L}_{\mathrm{lik}} = \mathbb{E}_{t, \mathbf{y}, \boldsymbol{\xi}}\Big[\sigma_t\Big\|\mathbf{s}_\theta(\mathbf{x}_t, t) + \frac{\boldsymbol{\xi}}{\sigma_t}\Big\|^2\Big]")
    assert v.verdict == "consistent", v.detail


def test_loss_named_by_a_superscript_word():
    # Weng's L_t^{simple} spelling with other letters for the noise and the data
    v = _one(r"L^{\mathrm{simple}}_t = \mathbb{E}_{t, \mathbf{x}_0, \boldsymbol{\epsilon}_t}\Big[\|\boldsymbol{\epsilon}_\theta(\sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol{\epsilon}_t, t) - \boldsymbol{\epsilon}_t\|^2\Big]")
    assert v.verdict == "exact", v.detail
    v = _one(r"L^{\mathrm{simple}}_t = \mathbb{E}_{t, \mathbf{x}_0, \boldsymbol{\epsilon}_t}\Big[\|\boldsymbol{\epsilon}_\theta(\bar\alpha_t\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol{\epsilon}_t, t) - \boldsymbol{\epsilon}_t\|^2\Big]")
    assert v.verdict == "inconsistent", v.detail


# ------------------------------------------------------------------------------------------- weightings λ(t)
@pytest.mark.parametrize("text, verdict, target", [
    # sub-VP: g² = β(t)(1 − e^{−2∫β}) (Song et al. 2021, Eq. 33's diffusion)
    (r"\lambda(t) = \beta(t)\left(1 - e^{-2\int_0^t\beta(u)\,\mathrm{d}u}\right)", "exact", "objective.likelihood_weighting"),
    # VP kernel variance written with ᾱ(t)
    (r"\lambda(t) = 1 - \bar\alpha(t)", "exact", "objective.simple_weighting"),
    # a chain through g² on the VP SDE
    (r"\lambda(t) = g(t)^2 = \beta(t)", "exact", "objective.likelihood_weighting"),
    # β(t)² is positive but neither σ_t² nor g²: another valid weighting
    (r"\lambda(t) = \beta(t)^2", "consistent", None),
    # negative: not a weighting
    (r"\lambda(t) = -\int_0^t\beta(u)\,\mathrm{d}u", "inconsistent", None),
    # the chain's two sides differ
    (r"\lambda(t) = g(t)^2 = 1 - \bar\alpha(t)", "inconsistent", None),
    # g³: written in g, a claim about the likelihood weighting
    (r"\lambda(t) = g(t)^3", "inconsistent", None),
])
def test_weightings(text, verdict, target):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if target:
        assert v.target == target


@pytest.mark.parametrize("text, verdict", [
    # the KL separator written \parallel and D_\text{KL} without braces (the VLB terms, other bold macros)
    (r"L_{t-1} = D_\mathrm{KL}(q(\boldsymbol{x}_{t-1} \vert \boldsymbol{x}_t, \boldsymbol{x}_0) \parallel p_\theta(\boldsymbol{x}_{t-1} \vert \boldsymbol{x}_t))", "exact"),
    (r"L_{t-1} = D_\mathrm{KL}(p_\theta(\boldsymbol{x}_{t-1} \vert \boldsymbol{x}_t) \parallel q(\boldsymbol{x}_{t-1} \vert \boldsymbol{x}_t, \boldsymbol{x}_0))", "inconsistent"),
    # the VLB counted down, its name in capitals
    (r"L_\mathrm{VLB} = L_T + L_{T-1} + \cdots + L_0", "exact"),
    # a mean model without arguments against the posterior mean (Luo's μ_θ, μ_q), and against the wrong one
    (r"\arg\min_\theta \frac{1}{2\sigma_t^2}\|\mu_\theta - \tilde\mu_t\|^2", "consistent"),
    (r"\arg\min_\theta \frac{1}{2\sigma_t^2}\|\mu_\theta + \tilde\mu_t\|^2", "inconsistent"),
])
def test_vlb_spellings_and_mean_models(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


# ------------------------------------------------------------------------------------------- likelihood
@pytest.mark.parametrize("text, verdict", [
    # div written as an operator, a velocity field v_θ (flow notation), instantaneous and integrated forms
    (r"\frac{\partial \log p_t(\mathbf{z}(t))}{\partial t} = -\mathrm{div}\, \mathbf{v}_\theta(\mathbf{z}(t), t)", "exact"),
    (r"\frac{\partial \log p_t(\mathbf{z}(t))}{\partial t} = \mathrm{div}\, \mathbf{v}_\theta(\mathbf{z}(t), t)", "inconsistent"),
    (r"\log p_0(\mathbf{z}(0)) = \log p_1(\mathbf{z}(1)) + \int_0^1 \operatorname{div}\, \mathbf{v}_\theta(\mathbf{z}(t), t)\,\mathrm{d}t", "exact"),
    (r"\log p_0(\mathbf{z}(0)) = \log p_1(\mathbf{z}(1)) - \int_0^1 \operatorname{div}\, \mathbf{v}_\theta(\mathbf{z}(t), t)\,\mathrm{d}t", "inconsistent"),
])
def test_divergence_as_an_operator(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


_BOUND = (r"D_{\mathrm{KL}}(p_0 \,\|\, p_\theta) %s \frac{1}{2}\int_0^T\mathbb{E}_{p_t(\mathbf{x})}\left[%s\|\nabla_{\mathbf{x}}\log p_t(\mathbf{x})"
          r" - \mathbf{s}_\theta(\mathbf{x}, t)\|^2\right]dt%s")


@pytest.mark.parametrize("rel, weight, prior, verdict", [
    (r"\le", "g(t)^2", r" + D_{\mathrm{KL}}(p_T \,\|\, \pi)", "exact"),
    (r"\le", "g(t)", r" + D_{\mathrm{KL}}(p_T \,\|\, \pi)", "inconsistent"),   # g for g²
    (r"\le", "g(t)^2", "", "inconsistent"),                                   # the prior term dropped
    (r"\ge", "g(t)^2", r" + D_{\mathrm{KL}}(p_T \,\|\, \pi)", "inconsistent"),  # reversed
])
def test_likelihood_bound(rel, weight, prior, verdict):
    v = _one(_BOUND % (rel, weight, prior))
    assert v.verdict == verdict, v.detail
    # the same with E over t ∼ U(0, T) written t ∈ U(0, T) and a factor T/2
    if verdict == "exact":
        v = _one(r"\mathrm{KL}(p_0\|p_\theta) \leq \frac{T}{2}\mathbb{E}_{t \in \mathcal{U}(0, T)}\mathbb{E}_{p_t(\mathbf{x})}[g(t)^2\|\nabla_\mathbf{x}\log p_t(\mathbf{x}) - \mathbf{s}_\theta(\mathbf{x}, t)\|^2] + \mathrm{KL}(p_T\|\pi)")
        assert v.verdict == "exact", v.detail


# ------------------------------------------------------------------------------------------- code losses
@pytest.mark.parametrize("text, verdict", [
    ("loss = ((noise - eps_model(torch.sqrt(alphas_cumprod[t]) * x_start + torch.sqrt(1 - alphas_cumprod[t]) * noise, t)) ** 2).mean()", "exact"),
    ("loss = (unet(sqrt_alphas_cumprod[t] * x_start + sqrt_one_minus_alphas_cumprod[t] * eps, t) - eps).pow(2).mean()", "exact"),
    # a denoiser regressed on the data
    ("loss = torch.mean((net(sqrt_alphas_cumprod[t] * x0 + sqrt_one_minus_alphas_cumprod[t] * noise, t) - x0) ** 2)", "exact"),
    # ᾱ for √ᾱ on the data, and β for 1 − ᾱ
    ("loss = ((noise - eps_model(alphas_cumprod[t] * x_start + torch.sqrt(1 - alphas_cumprod[t]) * noise, t)) ** 2).mean()", "inconsistent"),
    ("loss = F.mse_loss(denoise_fn(sqrt_alphas_cumprod[t] * x_start + torch.sqrt(betas[t]) * noise, t), noise)", "inconsistent"),
])
def test_code_losses(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert "read from the code" in v.detail


def test_lambda_t_subscript_is_the_log_snr_not_a_weighting():
    # λ_t = log(α_t/σ_t) (Lu et al. 2022): not read as a weighting λ(t)
    from scoresde.formulas.objective_weighting import judge_weighting

    assert judge_weighting(r"\lambda_t = \log\frac{\alpha_t}{\sigma_t}") is None


@pytest.mark.parametrize("rhs, verdict", [
    (r"\frac{1}{2}\mathbb{E}_{p_{data}(\mathbf{y})}\mathbb{E}_{\boldsymbol\xi}\left[\left\|\sigma\mathbf{s}_\theta(\mathbf{y}+\sigma\boldsymbol\xi,\sigma)+\boldsymbol\xi\right\|^2\right]", "exact"),
    # ℓ's ½ dropped
    (r"\mathbb{E}_{p_{data}(\mathbf{y})}\mathbb{E}_{\boldsymbol\xi}\left[\left\|\sigma\mathbf{s}_\theta(\mathbf{y}+\sigma\boldsymbol\xi,\sigma)+\boldsymbol\xi\right\|^2\right]", "inconsistent"),
    # the noise's sign
    (r"\frac{1}{2}\mathbb{E}_{p_{data}(\mathbf{y})}\mathbb{E}_{\boldsymbol\xi}\left[\left\|\sigma\mathbf{s}_\theta(\mathbf{y}+\sigma\boldsymbol\xi,\sigma)-\boldsymbol\xi\right\|^2\right]", "inconsistent"),
])
def test_weighted_ncsn_term(rhs, verdict):
    v = _one(r"\lambda(\sigma)\,\ell(\theta;\sigma) = " + rhs)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # the v-target defined beside the loss (Salimans & Ho 2022, Sec. 4), other letters for the data
    (r"\mathcal{L} = \mathbb{E}_{\mathbf{y}, \boldsymbol\epsilon, t}\left[\|\hat{\mathbf{v}}_\theta(\mathbf{z}_t, t) - \mathbf{v}\|^2\right], \quad \mathbf{v} = \alpha_t\boldsymbol\epsilon - \sigma_t\mathbf{y}", "exact"),
    (r"\mathcal{L} = \mathbb{E}_{\mathbf{y}, \boldsymbol\epsilon, t}\left[\|\hat{\mathbf{v}}_\theta(\mathbf{z}_t, t) - \mathbf{v}\|^2\right], \quad \mathbf{v} = \sigma_t\boldsymbol\epsilon - \alpha_t\mathbf{y}", "inconsistent"),
    # inline, the input written out
    (r"\mathbb{E}\|\hat{v}_\theta(\alpha_t y + \sigma_t\epsilon, t) - (\alpha_t\epsilon - \sigma_t y)\|^2", "exact"),
])
def test_v_prediction(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # a guided density with its weight as subscript, and the CFG mixture of scores
    (r"\nabla_{\mathbf{z}}\log p_\eta(\mathbf{z} \mid c) = \nabla_{\mathbf{z}}\log p(\mathbf{z}) + \eta\,\nabla_{\mathbf{z}}\log p(c \mid \mathbf{z})", "exact"),
    (r"\nabla_{\mathbf{z}}\log p_\eta(\mathbf{z}\mid c) = (1-\eta)\nabla_{\mathbf{z}}\log p(\mathbf{z}) + \eta\,\nabla_{\mathbf{z}}\log p(\mathbf{z}\mid c)", "exact"),
    (r"\nabla_{\mathbf{z}}\log p_\eta(\mathbf{z}\mid c) = (1+\eta)\nabla_{\mathbf{z}}\log p(\mathbf{z}) - \eta\,\nabla_{\mathbf{z}}\log p(\mathbf{z}\mid c)", "inconsistent"),
    # CFG on score models
    (r"\bar{\mathbf{s}}_\theta(\mathbf{z}_t, t, c) = (1 + \omega)\mathbf{s}_\theta(\mathbf{z}_t, t, c) - \omega\,\mathbf{s}_\theta(\mathbf{z}_t, t)", "exact"),
    (r"\bar{\mathbf{s}}_\theta(\mathbf{z}_t, t, c) = (1 + \omega)\mathbf{s}_\theta(\mathbf{z}_t, t) - \omega\,\mathbf{s}_\theta(\mathbf{z}_t, t, c)", "inconsistent"),
    # Hutchinson with the Jacobian as ∂f/∂x and the drift written with its argument on the left
    (r"\nabla\cdot\mathbf{h}(\mathbf{u}) = \mathbb{E}_{\mathbf{v}\sim\mathcal{N}(0,I)}\left[\mathbf{v}^\top\frac{\partial\mathbf{h}}{\partial\mathbf{u}}\mathbf{v}\right]", None),
])
def test_more_guidance_and_divergence_forms(text, verdict):
    v = _one(text)
    if verdict is None:
        assert v.verdict in ("exact", "unparsed"), v.detail
    else:
        assert v.verdict == verdict, v.detail
