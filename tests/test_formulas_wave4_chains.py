"""Issue 13, fourth wave (chains): discrete chains and schedules as papers, tutorials and blogs write them.

Every formula here is written for this test (other letters, fonts, orders and papers than any corpus claim), and
each rule has wrong variants that must stay wrong:

* a mean μ of (x_t, x_0) is the posterior's mean whatever its letter (Luo 2022, Eq. 84 μ_q); μ_θ may be written
  with a data prediction x̂_θ (Ho et al. 2020, Eq. 11 is μ̃_t(x_t, x̂_0)), and a mean's ε is the noise of x_t
  (Ho et al. 2020, Eq. 10);
* q(x_t | x_0) ∼ N(x_t; μ, Σ) is the density itself (Luo 2022, Eq. 70); a joint density written as a product over
  steps is a definition (Ho et al. 2020, Eq. 1-2);
* a noise with an asterisk, ε*_t, is a noise sample (Luo 2022's notation);
* α_t = f(t) alone is VDM/DPM-Solver's √ᾱ(t); β_0, β_1 together are the linear VP schedule's end points;
* log σ_i = … defines σ_i;
* x_{t-2} in DDPM notation: α_t α_{t-1} = ᾱ_t/ᾱ_{t-2}.
"""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("text", [
    # posterior mean under another letter, x_0 first, the numerator split
    r"m(x_k, x_0) = \frac{\sqrt{\bar\alpha_{k-1}}\,\beta_k}{1-\bar\alpha_k}\,x_0 + \frac{\sqrt{1-\beta_k}\,(1-\bar\alpha_{k-1})}{1-\bar\alpha_k}\,x_k".replace("m(", r"\mu_{q}("),
    r"\boldsymbol{\mu}_{\mathrm{post}}(\mathbf{x}_n, \mathbf{x}_0) = \frac{\sqrt{\bar\alpha_{n-1}}(1-\alpha_n)\mathbf{x}_0 + \sqrt{\alpha_n}(1-\bar\alpha_{n-1})\mathbf{x}_n}{1-\bar\alpha_n}",
    # the same mean in the noise that produced x_t (Ho et al. 2020, Eq. 10), with an unnamed ε
    r"\tilde\mu_k = \frac{1}{\sqrt{\alpha_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\,\epsilon\right)",
    r"\mu_q(x_k, x_0) = \frac{x_k}{\sqrt{1-\beta_k}} - \frac{\beta_k}{\sqrt{(1-\beta_k)(1-\bar\alpha_k)}}\,\epsilon_k",
    # the model's mean through a data prediction x̂_θ (Ho et al. 2020, Eq. 11 = μ̃_t(x_t, x̂_0))
    r"\mu_\theta(x_n, n) = \frac{\sqrt{\alpha_n}(1-\bar\alpha_{n-1})}{1-\bar\alpha_n}\,x_n + \frac{\sqrt{\bar\alpha_{n-1}}\,\beta_n}{1-\bar\alpha_n}\,\hat{x}_0(x_n, n)",
])
def test_means_in_any_form_are_exact(text):
    v = _one(text)
    assert v.verdict == "exact", v.detail


@pytest.mark.parametrize("text, terms", [
    # ᾱ_k for ᾱ_{k-1} in front of x_0
    (r"\mu_q(x_k, x_0) = \frac{\sqrt{\bar\alpha_k}\,\beta_k}{1-\bar\alpha_k}x_0 + \frac{\sqrt{\alpha_k}(1-\bar\alpha_{k-1})}{1-\bar\alpha_k}x_k", ["mean.x0"]),
    # the square root lost on the ε coefficient's denominator
    (r"\tilde\mu_k = \frac{1}{\sqrt{\alpha_k}}\left(x_k - \frac{\beta_k}{1-\bar\alpha_k}\,\epsilon\right)", ["mean.eps"]),
    # the x_t coefficient without its square root, in the model's x̂_θ form
    (r"\mu_\theta(x_n, n) = \frac{\alpha_n(1-\bar\alpha_{n-1})}{1-\bar\alpha_n}\,x_n + \frac{\sqrt{\bar\alpha_{n-1}}\,\beta_n}{1-\bar\alpha_n}\,\hat{x}_\theta(x_n, n)", ["mean.x"]),
])
def test_wrong_means_name_their_term(text, terms):
    v = _one(text)
    assert v.verdict == "inconsistent", v.detail
    assert v.terms == terms, (v.terms, v.detail)


def test_a_model_mean_is_not_read_as_the_posterior():
    # μ_θ(x_t, t), not a mean of (x_t, x_0): judged against Ho's Eq. 11
    v = _one(r"\mu_\theta(x_k, k) = \frac{1}{\sqrt{\alpha_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right)")
    assert v.verdict == "exact" and v.target == "ddpm.mu_theta", v.detail


@pytest.mark.parametrize("text, verdict", [
    (r"p(\mathbf{x}_n \mid \mathbf{x}_0) \sim \mathcal{N}\big(\mathbf{x}_n;\ \sqrt{\bar\alpha_n}\,\mathbf{x}_0,\ (1-\bar\alpha_n)\mathbf{I}\big)", "exact"),
    (r"q(x_{k-1} \mid x_k, x_0) \sim \mathcal{N}(x_{k-1}; \tilde\mu_k(x_k, x_0), \tilde\beta_k I)", "exact"),
    (r"q(x_k \mid x_{k-1}) \sim \mathcal{N}(x_k; \sqrt{1-\beta_k}x_{k-1}, \sqrt{\beta_k} I)", "inconsistent"),
])
def test_density_distributed_as_a_gaussian_is_the_density(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_joint_density_as_a_product_is_judged_by_the_chain_rule():
    vs = verify_formula(r"p_\theta(x_{0:N}) = p(x_N)\prod_{n=1}^{N} p_\theta(x_{n-1} \mid x_n)", None, numeric=False)
    assert [v.verdict for v in vs] == ["exact"] and "chain rule" in vs[0].detail  # chain_joint.py (session 8)
    vs = verify_formula(r"q(x_k \mid x_{k-1}) = \mathcal{N}(x_k; \sqrt{1-\beta_k}\,x_{k-1}, \beta_k I), \quad "
                        r"q(x_{1:K} \mid x_0) = \prod_{k=1}^{K} q(x_k \mid x_{k-1})", None, numeric=False)
    assert [v.verdict for v in vs] == ["exact"], [(v.verdict, v.detail) for v in vs]


@pytest.mark.parametrize("text, verdict", [
    (r"x_n = \sqrt{1-\beta_n}\,x_{n-1} + \sqrt{\beta_n}\,\epsilon^*_{n}, \quad \epsilon^*_n \sim \mathcal{N}(0, I)", "exact"),
    (r"x_n = \sqrt{1-\beta_n}\,x_{n-1} + \beta_n\,\epsilon^*_{n}, \quad \epsilon^*_n \sim \mathcal{N}(0, I)", "inconsistent"),
    # Weng 2021's merged noise ε̄ (two Gaussian draws in one)
    (r"x_k = \sqrt{\bar\alpha_k}\,x_0 + \sqrt{1-\bar\alpha_k}\,\bar{\epsilon}_k", "exact"),
    (r"x_k = \sqrt{\bar\alpha_k}\,x_0 + (1-\bar\alpha_k)\,\bar{\epsilon}_k", "inconsistent"),
])
def test_starred_noise_is_a_noise_sample(text, verdict):
    vs = verify_formula(text, None, numeric=False)
    assert [v.verdict for v in vs] == [verdict], [(v.verdict, v.detail) for v in vs]


@pytest.mark.parametrize("text, verdict", [
    # VP linear schedule's signal scale α(t) = exp(−¼t²(β_max − β_min) − ½tβ_min) (Lu et al. 2022, App. D)
    (r"\alpha(t) = \exp\left(-\tfrac{1}{4}t^2(\beta_{\max}-\beta_{\min}) - \tfrac{1}{2}t\beta_{\min}\right)", "exact"),
    (r"\log\alpha_t = -\frac{t^2}{4}(\beta_1-\beta_0) - \frac{t}{2}\beta_0", "exact"),
    (r"\log\alpha_t = -\frac{t^2}{2}(\beta_1-\beta_0) - \frac{t}{2}\beta_0", "inconsistent"),
    # cosine (Nichol & Dhariwal 2021, Eq. 17) as the signal scale: the square root of f(t)/f(0)
    (r"\alpha_t = \cos\left(\frac{\pi}{2}\,\frac{t+s}{1+s}\right) \Big/ \cos\left(\frac{\pi}{2}\,\frac{s}{1+s}\right)", "exact"),
    # Ho's α_t = 1 − β_t is not touched
    (r"\alpha_k = 1 - \beta_k", "exact"),
])
def test_alpha_as_a_function_of_time_is_vdm_signal_scale(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    (r"\beta(t) = \beta_0 + (\beta_1 - \beta_0)\,t", "exact"),
    # swapped end points: a valid (decreasing) schedule, but not the linear one -- never exact
    (r"\beta(t) = \beta_1 + (\beta_0 - \beta_1)\,t", "consistent"),
    (r"\beta(t) = \beta_0 + (\beta_0 - \beta_1)\,t", "inconsistent"),
])
def test_beta_zero_and_one_are_the_schedule_end_points(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    (r"\ln\sigma_i = \ln\sigma_1 + \frac{i-1}{L-1}\ln\frac{\sigma_L}{\sigma_1}", "exact"),
    (r"\log\sigma_i = \log\sigma_1 + \frac{i-1}{L-1}\log\frac{\sigma_1}{\sigma_L}", "inconsistent"),
])
def test_log_of_a_named_quantity_defines_it(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    (r"x_t = \sqrt{\alpha_{t-1}\alpha_t}\;x_{t-2} + \sqrt{1-\alpha_{t-1}\alpha_t}\;z", "exact", []),
    (r"\mathbf{x}_t = \sqrt{\alpha_t\alpha_{t-1}\alpha_{t-2}}\,\mathbf{x}_{t-3} + \sqrt{1-\alpha_t\alpha_{t-1}\alpha_{t-2}}\,\bar{\boldsymbol\epsilon}_{t-3}", "exact", []),
    # variances added instead of the products (1 − α_t α_{t−1} is the right one)
    (r"x_t = \sqrt{\alpha_{t-1}\alpha_t}\;x_{t-2} + \sqrt{2-\alpha_t-\alpha_{t-1}}\;z", "inconsistent", ["variance"]),
    # the mean without its square root
    (r"x_t = \alpha_t\alpha_{t-1}\,x_{t-2} + \sqrt{1-\alpha_t\alpha_{t-1}}\,z", "inconsistent", ["mean.x"]),
])
def test_forward_transition_over_several_ddpm_steps(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert v.terms == terms, (v.terms, v.detail)


@pytest.mark.parametrize("text, verdict", [
    # Luo 2022's σ_q(t): the posterior std √β̃_t, as a std or a variance
    (r"\sigma_q(t) = \sqrt{\frac{(1-\bar\alpha_{t-1})\,\beta_t}{1-\bar\alpha_t}}", "exact"),
    (r"\sigma_q^2(t) = \frac{(1-\bar\alpha_{t-1})\,(1-\alpha_t)}{1-\bar\alpha_t}", "exact"),
    (r"\sigma_q^2(t) = \frac{(1-\bar\alpha_{t})\,\beta_t}{1-\bar\alpha_{t-1}}", "inconsistent"),
])
def test_posterior_std_named_sigma_q(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    # the improved-DDPM code's names (Nichol & Dhariwal 2021, gaussian_diffusion.py), x_start/x_noisy of HF's tutorial
    ("x_noisy = sqrt_alphas_cumprod[t] * x_start + sqrt_one_minus_alphas_cumprod[t] * eps", "exact", []),
    ("x_noisy = sqrt_alphas_cumprod[t] * x_start + one_minus_alphas_cumprod[t] * eps", "inconsistent", ["variance"]),
    ("pred_xstart = sqrt_recip_alphas_cumprod[t] * x_t - sqrt_recipm1_alphas_cumprod[t] * eps_theta", "exact", []),
    ("pred_xstart = sqrt_recip_alphas_cumprod[t] * x_t - sqrt_one_minus_alphas_cumprod[t] * eps_theta", "inconsistent", ["rhs"]),
    ("posterior_variance = betas[t] * (1 - alphas_cumprod_prev[t]) / (1 - alphas_cumprod[t])", "exact", []),
    # a model's mean by name inside the ancestral step (Ho et al. 2020, Alg. 2 line 4)
    ("x_prev = model_mean + sqrt(betas_t) * z", "exact", []),
    ("x_prev = model_mean + betas_t * z", "inconsistent", ["variance"]),
    (r"x_{k-1} = \mu_\theta(x_k, k) + \sqrt{\tilde\beta_k}\,z_k", "exact", []),
])
def test_code_names_of_the_schedule(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert v.terms == terms, (v.terms, v.detail)


@pytest.mark.parametrize("text, verdict", [
    # statements run in order: a temporary used later is substituted (Song et al. 2021's predictor code)
    ("xm = x + (sigma_t ** 2 - sigma_prev ** 2) * score; x = xm + sqrt(sigma_t ** 2 - sigma_prev ** 2) * z", "consistent"),
    ("step = sigma_t ** 2 - sigma_prev ** 2; x = x + step * score + sqrt(step) * z", "consistent"),
    ("step = sigma_t ** 2 - sigma_prev ** 2; x = x + step * score + step * z", "inconsistent"),
])
def test_code_statements_are_substituted_in_order(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # the prior as a draw: x_T = c z is x_T ∼ N(0, c² I) (Song et al. 2021's prior_sampling)
    (r"\mathbf{x}_N = \sigma_{\max}\,\mathbf{z}", "exact"),
    ("x = sigma_max * randn_like(x0)", "exact"),
    (r"x_T = \epsilon", "exact"),
    (r"\mathbf{x}_N = \sigma_{\max}^2\,\mathbf{z}", "inconsistent"),
])
def test_prior_written_as_a_draw(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # Nichol & Dhariwal 2021, Eq. 15 in log form
    (r"\log\Sigma_\theta(x_t, t) = (1 - v)\log\tilde\beta_t + v\log\beta_t", "exact"),
    (r"\log\Sigma_\theta(x_t, t) = v\tilde\beta_t + (1 - v)\beta_t", "inconsistent"),
])
def test_learned_log_variance(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # identities at one time with ᾱ(t) = e^{−∫_0^t β} written out (Song et al. 2021, App. B)
    (r"\mathbf{s}_\theta(\mathbf{x}, t) = -\frac{\boldsymbol{\epsilon}_\theta(\mathbf{x}, t)}{\sqrt{1 - \exp(-\int_0^t \beta(u)\,du)}}", "exact"),
    (r"\hat x_0 = e^{\frac12\int_0^t\beta(r)\,dr}\left(x_t + \left(1 - e^{-\int_0^t\beta(r)\,dr}\right)s_\theta(x_t, t)\right)", "exact"),
    (r"\hat x_0 = e^{\int_0^t\beta(r)\,dr}\left(x_t + \left(1 - e^{-\int_0^t\beta(r)\,dr}\right)s_\theta(x_t, t)\right)", "inconsistent"),
])
def test_integral_of_beta_in_an_identity_is_abar(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_model_call_in_code_is_the_noise_prediction():
    # HF-style code: the network call inside the ε form of μ_θ (the call is not re-read as words)
    v = _one("model_mean = sqrt_recip_alphas_t * (x - betas_t * model(x, t) / sqrt_one_minus_alphas_cumprod_t)")
    assert v.verdict == "exact", v.detail
    v = _one("model_mean = sqrt_recip_alphas_t * (x - betas_t * model(x, t) / one_minus_alphas_cumprod_t)")
    assert v.verdict == "inconsistent" and v.terms == ["mean.eps"], (v.verdict, v.terms, v.detail)


@pytest.mark.parametrize("text, verdict, terms", [
    # Ho et al. 2020, Eq. 10 read right to left: an expression equal to μ̃_t at the written arguments
    (r"\frac{x_k}{\sqrt{1-\beta_k}} - \frac{\beta_k\,\epsilon}{\sqrt{(1-\beta_k)(1-\bar\alpha_k)}} = \tilde\mu_k\left(x_k, \frac{x_k - \sqrt{1-\bar\alpha_k}\,\epsilon}{\sqrt{\bar\alpha_k}}\right)", "exact", []),
    (r"\frac{x_k}{\sqrt{1-\beta_k}} - \frac{\beta_k\,\epsilon}{\sqrt{1-\beta_k}} = \tilde\mu_k\left(x_k, \frac{x_k - \sqrt{1-\bar\alpha_k}\,\epsilon}{\sqrt{\bar\alpha_k}}\right)", "inconsistent", ["mean.eps"]),
])
def test_named_call_on_the_right(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert v.terms == terms, (v.terms, v.detail)
