"""Issue 13, fifth wave (chains): reading rules for discrete chains, samplers and priors, each stated for a construct.

Every formula here is written for this test (other letters, indices and papers than any corpus claim), and each
rule has wrong variants that must stay wrong:

* a symbol no reading defines that scales both the score step and the noise is the Langevin step size, whatever its
  letter (τ, h, δ, c); a stray factor elsewhere stays stray;
* σ_L is the last noise level of σ_1 > … > σ_L (Song & Ermon 2019), a constant;
* a wrong annealed Langevin step in α_i names the term off Song & Ermon's Alg. 1 form (α_i/2) s + √α_i z;
* a step holding a model output is never compared with the forward noising chain;
* x(1) is the end of Song et al.'s t ∈ [0, 1]; VDM's p(z_1) is the prior; EDM's x_0 ∼ N(0, σ²(t_0)s²(t_0) I) is
  the first sample of the loop.
"""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("text", [
    r"x_{k+1} = x_k + \tau\, s_\theta(x_k) + \sqrt{2\tau}\, z_k",
    r"\mathbf{x}_{n} = \mathbf{x}_{n-1} + \frac{h}{2}\nabla_{\mathbf{x}}\log p(\mathbf{x}_{n-1}) + \sqrt{h}\,\boldsymbol{\xi}_n",
    r"x_{j+1} \leftarrow x_j + \gamma\, s_\theta(x_j, \sigma) + \sqrt{2\gamma}\, z",
])
def test_any_letter_scaling_score_and_noise_is_the_step_size(text):
    v = _one(text)
    assert v.verdict == "exact" and v.target == "langevin", v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    (r"x_{k+1} = x_k + \tau\, s_\theta(x_k) + \sqrt{\tau}\, z_k", "inconsistent", ["variance"]),
    # a stray factor on the state is still a stray symbol, even with a step size beside it
    (r"x_{k+1} = F x_k + \tau\, s_\theta(x_k) + \sqrt{2\tau}\, z_k", "ill-defined", None),
])
def test_step_size_letters_do_not_hide_mistakes(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms, (v.terms, v.detail)


def test_last_noise_level_sigma_L_is_a_constant():
    v = _one(r"\tilde{x}_k = \tilde{x}_{k-1} + \frac{\eta\,\sigma_j^2}{2\sigma_L^2} s_\theta(\tilde{x}_{k-1}, \sigma_j) + \frac{\sigma_j}{\sigma_L}\sqrt{\eta}\, z_k")
    assert v.verdict == "exact", v.detail
    w = _one(r"\tilde{x}_k = \tilde{x}_{k-1} + \frac{\eta\,\sigma_j^2}{2\sigma_L^2} s_\theta(\tilde{x}_{k-1}, \sigma_j) + \frac{\sigma_j}{\sigma_L}\eta\, z_k")
    assert w.verdict == "inconsistent" and w.terms == ["variance"], (w.terms, w.detail)


@pytest.mark.parametrize("text, terms", [
    (r"\tilde{y}_k = \tilde{y}_{k-1} + \alpha_j s_\theta(\tilde{y}_{k-1}, \sigma_j) + \sqrt{\alpha_j}\, z_k", ["mean.score"]),
    (r"\tilde{y}_k = \tilde{y}_{k-1} + \frac{\alpha_j}{2} s_\theta(\tilde{y}_{k-1}, \sigma_j) + \sqrt{2\alpha_j}\, z_k", ["variance"]),
    (r"\tilde{y}_k = \tilde{y}_{k-1} + \alpha_j s_\theta(\tilde{y}_{k-1}, \sigma_j) + \alpha_j\, z_k", ["mean.score", "variance"]),
])
def test_annealed_langevin_names_the_term_off_song_ermon(text, terms):
    v = _one(text.replace("y", "x"))
    assert v.verdict == "inconsistent" and v.terms == terms, (v.terms, v.detail)


@pytest.mark.parametrize("text, verdict", [
    (r"\mathbf{x}_0 \sim \mathcal{N}\left(0, s(t_0)^2\sigma(t_0)^2\,\mathbf{I}\right)", "exact"),
    (r"\mathbf{x}_0 \sim \mathcal{N}\left(0, \sigma(t_0)\,\mathbf{I}\right)", "inconsistent"),
    (r"x(1) \sim \mathcal{N}(\mathbf{0}, \sigma_{\max}^2 \mathbf{I})", "exact"),
    (r"x(1) \sim \mathcal{N}(\mathbf{0}, 2\sigma_{\max}^2 \mathbf{I})", "inconsistent"),
    (r"q(\mathbf{z}_1) = \mathcal{N}(\mathbf{z}_1; 0, \mathbf{I})", "exact"),
    (r"p(z_1) = \mathcal{N}(z_1; 0, \tfrac12 I)", "inconsistent"),
])
def test_priors_at_the_end_of_the_time_range(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # ε̂ beside a network written with its input is that network's estimate (Salimans & Ho 2022, Sec. 4)
    (r"\hat\epsilon = \frac{z_s - \alpha_s\,\hat{x}_\theta(z_s)}{\sigma_s}", "exact"),
    (r"\hat\epsilon = \frac{z_s - \alpha_s^2\,\hat{x}_\theta(z_s)}{\sigma_s}", "inconsistent"),
    (r"\hat{\epsilon} = \alpha_s\,\hat{v}_\theta(z_s) + \sigma_s\, z_s", "exact"),
    (r"\hat{\epsilon} = \sigma_s\,\hat{v}_\theta(z_s) + \alpha_s\, z_s", "inconsistent"),
])
def test_hatted_noise_beside_a_network_is_its_estimate(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_a_theta_network_applied_to_one_state_is_a_call():
    # v̂_θ(x_t) is the network at x_t, not v̂_θ times x_t (Salimans & Ho 2022, Sec. 4: ε = σ z + α v)
    v = _one(r"\hat\epsilon_t = \sigma_t\,x_t + \alpha_t\,\hat{v}_\theta(x_t)")
    assert v.verdict == "exact", v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    # the model's reverse kernel with its mean written out and a learned Σ_θ: the mean is checked as μ_θ
    (r"p_\theta(x_{k-1} \mid x_k) = \mathcal{N}\left(x_{k-1}; \frac{1}{\sqrt{1-\beta_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right), \Sigma_\theta(x_k, k)\right)", "exact", []),
    (r"p_\theta(x_{k-1} \mid x_k) = \mathcal{N}\left(x_{k-1}; \frac{1}{\sqrt{1-\beta_k}}\left(x_k - \frac{\beta_k}{1-\bar\alpha_k}\epsilon_\theta(x_k, k)\right), \Sigma_\theta(x_k, k)\right)", "inconsistent", ["mean.eps"]),
    # both written as network outputs: still a definition with nothing to check
    (r"p_\theta(x_{k-1} \mid x_k) = \mathcal{N}(x_{k-1}; \mu_\theta(x_k, k), \Sigma_\theta(x_k, k))", "unparsed", []),
])
def test_learned_covariance_leaves_the_mean_to_check(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict and v.terms == terms, (v.verdict, v.terms, v.detail)


@pytest.mark.parametrize("text, verdict", [
    (r"q(x_{k-1} \mid x_k, x_0) \propto \mathcal{N}(x_{k-1}; \tilde\mu_k(x_k, x_0), \tilde\beta_k \mathbf{I})", "exact"),
    (r"q(x_{k-1} \mid x_k, x_0) \propto \mathcal{N}(x_{k-1}; \tilde\mu_k(x_k, x_0), \beta_k \mathbf{I})", "inconsistent"),
    # ∝ anything else (or a Gaussian in another variable) states no value
    (r"q(x_{k-1} \mid x_k, x_0) \propto \exp\left(-\frac{x_{k-1}^2}{2}\right)", "unparsed"),
    (r"q(x_{k-1} \mid x_k, x_0) \propto \mathcal{N}(x_k; \sqrt{\alpha_k} x_{k-1}, \beta_k \mathbf{I})", "unparsed"),
])
def test_density_proportional_to_a_gaussian_in_its_variable(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    # x_k − √ᾱ_k x_0 = … determines x_k, the state the chain produces beside the data x_0
    (r"x_n - \sqrt{\bar\alpha_n}\,x_0 = \sqrt{1-\bar\alpha_n}\,z", "exact", []),
    (r"x_n - \bar\alpha_n\,x_0 = \sqrt{1-\bar\alpha_n}\,z", "inconsistent", ["mean.x0"]),
    (r"x_n + \sqrt{\bar\alpha_n}\,x_0 = \sqrt{1-\bar\alpha_n}\,z", "inconsistent", ["mean.x0"]),
])
def test_kernel_with_the_data_moved_left(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict and v.terms == terms, (v.verdict, v.terms, v.detail)


@pytest.mark.parametrize("text, verdict, terms", [
    # a schedule quantity defined beside the update that uses it is substituted: a wrong definition is a wrong variance
    (r"x_{k-1} = \frac{1}{\sqrt{1-\beta_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right) + \sigma_k\,z, \quad \sigma_k = \sqrt{\beta_k}", "exact", []),
    (r"x_{k-1} = \frac{1}{\sqrt{1-\beta_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right) + \sqrt{\tilde{\beta}_{k}}\,z, \quad \tilde{\beta}_{k} = \frac{1-\bar\alpha_{k-1}}{1-\bar\alpha_k}\beta_k", "exact", []),
    (r"x_{k-1} = \frac{1}{\sqrt{1-\beta_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right) + \sigma_k\,z, \quad \sigma_k = \beta_k", "inconsistent", ["variance"]),
])
def test_schedule_defined_beside_its_update(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict and v.terms == terms, (v.verdict, v.terms, v.detail)


@pytest.mark.parametrize("text, verdict", [
    # σ_k written with ᾱ_k alone is a noise level of the time (EDM Table 1, DDIM Eq. 14), not Ho's sampling std
    (r"\sigma_k = \frac{\sqrt{1-\bar\alpha_k}}{\sqrt{\bar\alpha_k}}", "exact"),
    (r"\sigma_k = \sqrt{\frac{\bar\alpha_k}{1-\bar\alpha_k}}", "inconsistent"),
    # with the step offset it is still Ho's σ_t² = β̃_t written in ᾱ
    (r"\sigma_k^2 = \frac{1-\bar\alpha_{k-1}}{1-\bar\alpha_k}\left(1-\frac{\bar\alpha_k}{\bar\alpha_{k-1}}\right)", "exact"),
])
def test_sigma_of_abar_alone_is_a_noise_level(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # an index range after a thin/medium space is prose about the index, as after \quad
    (r"x_n = x_{n-1} + \sqrt{\sigma_n^2 - \sigma_{n-1}^2}\, z_{n-1},\; n = 1, \ldots, N", "exact"),
    (r"x_n = x_{n-1} + (\sigma_n^2 - \sigma_{n-1}^2)\, z_{n-1},\: n = 1, \ldots, N", "inconsistent"),
])
def test_index_range_after_any_space(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # "where h(t) = …" / "with h(t) = …" introduces the definition the formula uses: it is kept and substituted
    (r"\bar{\alpha}_t = \frac{h(t)}{h(0)}\quad\text{with } h(t)=\cos\Big(\frac{t/T+s}{1+s}\cdot\frac{\pi}{2}\Big)^2", "exact"),
    (r"\bar{\alpha}_t = \frac{h(t)}{h(0)},\quad\text{where } h(t)=\cos\Big(\frac{t/T+s}{1+s}\cdot\frac{\pi}{2}\Big)", "consistent"),
    (r"\bar{\alpha}_t = \frac{h(t)}{h(0)}", "unparsed"),
])
def test_where_introduces_a_used_definition(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_where_before_a_declaration_is_still_prose():
    vs = verify_formula(r"x_k = \sqrt{\bar\alpha_k}\,x_0 + \sqrt{1-\bar\alpha_k}\,\epsilon \quad \text{where } \epsilon \sim \mathcal{N}(0, I)", None, numeric=False)
    assert [v.verdict for v in vs] == ["exact"], [(v.verdict, v.detail) for v in vs]


@pytest.mark.parametrize("text, verdict", [
    # log p named by no time with a zero-mean Gaussian on the right: the prior's log-density (sde_lib's prior_logp)
    (r"\log p = -\frac{D}{2}\log(2\pi\sigma_{\max}^2) - \frac{\|x\|^2}{2\sigma_{\max}^2}", "exact"),
    (r"\log p = -\frac{D}{2}\log(2\pi) - \|x\|^2", "inconsistent"),
    ("logp = -D / 2. * np.log(2 * np.pi) - torch.sum(x ** 2) / 2.", "exact"),
    ("logp = -D / 2. * np.log(2 * np.pi * sigma_max) - torch.sum(x ** 2) / (2 * sigma_max ** 2)", "inconsistent"),
    # the data density p_0 is not the prior
    (r"\log p_0(x) = -\frac{D}{2}\log(2\pi) - \frac{\|x\|^2}{2}", "inconsistent"),
])
def test_untimed_gaussian_log_density_is_the_prior(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # a noise-free in-place update with one score at the noise level σ is Tweedie's denoising step D(x; σ)
    (r"x \leftarrow x + \sigma_{\min}^2\, s_\theta(x, \sigma_{\min})", "exact"),
    (r"\mathbf{y} \leftarrow \mathbf{y} + \sigma_1^2\, \mathbf{s}_\theta(\mathbf{y}, \sigma_1)".replace("y", "x"), "exact"),
    (r"x \leftarrow x - \sigma_{\min}^2\, s_\theta(x, \sigma_{\min})", "inconsistent"),
    (r"x \leftarrow x + \sigma_{\min}\, s_\theta(x, \sigma_{\min})", "inconsistent"),
])
def test_denoising_update_is_tweedie(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    # an in-place update whose bare β sits in √(1 − β) is a discrete step (β = β_i ∈ (0, 1)), not β(t) of the SDE
    (r"x = \frac{1}{\sqrt{1-\beta}}\left(x + \beta\, s_\theta(x)\right) + \sqrt{\beta}\, z", "exact", []),
    (r"x = (2 - \sqrt{1-\beta})\, x + \beta\, s_\theta(x) + \sqrt{\beta}\, z", "consistent", None),
    (r"x = (2 - \sqrt{1-\beta})\, x - \beta\, s_\theta(x) + \sqrt{\beta}\, z", "inconsistent", ["mean.score"]),
])
def test_bare_beta_in_place_update_is_discrete(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms, (v.terms, v.detail)


def test_code_eps_beside_noise_is_the_model_prediction():
    # eps and noise in one sampler: eps = model(x, t), noise = randn (DDIM's reference code, diffusers)
    code = ("x0_hat = (x_t - sqrt(1 - alpha_t) * eps) / sqrt(alpha_t); "
            "x_prev = sqrt(alpha_prev) * x0_hat + sqrt(1 - alpha_prev - sigma_t ** 2) * eps + sigma_t * noise")
    v = _one(code)
    assert v.verdict == "exact", v.detail
    w = _one(code.replace("sigma_t * noise", "sigma_t ** 2 * noise"))
    assert w.verdict != "exact", w.detail  # (inconsistent, or out of the time budget on a loaded machine)
