"""Issue 13, ninth wave (misc): guidance written as code and as the guided mean, Gaussian log-densities, clipped-SNR
weights, covariances named on the left, DDIM's predicted x̂_0, sde_lib's kernel mean, steps of a drift-free SDE.

Every formula here is written for this test (other letters, other forms, other code names than the corpora's):

* the classifier-guided mean μ̃ = μ_θ + sΣ_θ∇log p_φ(y | x_t) (Dhariwal & Nichol 2021, Alg. 1; guided-diffusion's
  condition_mean), as LaTeX and as code (guided_mean.py);
* identifiers that spell the classifier's gradient (grad_log_prob_y_given_xt, classifier_grad) read as guided-diffusion's
  ``gradient`` (code_spelled.py);
* log N(v; m, cI) = −(d/2) log(2πc) − ‖v − m‖²/(2c) in any letters (gauss_logpdf.py);
* Min-SNR-γ and truncated-SNR weights with \\min / \\max (min_snr.py);
* Σ_q(t) = c·I read as the variance σ_q²(t) = c (prereadings.isotropic_covariance);
* x̂_0 with no definition beside it is DDIM's predicted x_0 of the update's own ε_θ (celldefs_x0.py), wrong pieces
  named in the written basis;
* sde_lib's ``mean = exp(log_mean_coeff) * x`` without its std is the kernel's mean (code_interface.py);
* a step with no drift f written is the step of dx = g(t) dw (driftless_step.py), also as the score_sde Colab's
  sampler code (code_vocab.py).
"""
import pytest

from scoresde.formulas import verify_latex
from scoresde.formulas.code_spelled import is_classifier_gradient
from scoresde.formulas.prereadings import isotropic_covariance

_GOOD = ("exact", "consistent")


def _one(latex):
    vs = verify_latex(latex, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("latex, verdict, terms", [
    # the guided mean, decorated on the left, with and without a scale
    (r"\tilde\mu_\theta(x_t,t) = \mu_\theta(x_t,t) + s\Sigma_\theta(x_t,t)\nabla_{x_t}\log p_\phi(y|x_t)", "exact", None),
    (r"\hat\mu = \mu_\theta(x_t,t) + \Sigma_\theta(x_t,t)\nabla_{x_t}\log p_\phi(y|x_t)", "exact", None),
    (r"\tilde\mu = \mu_\theta(x_t,t) - s\Sigma_\theta(x_t,t)\nabla_{x_t}\log p_\phi(y|x_t)", "inconsistent", ["rhs"]),
    (r"\mu_{\mathrm{guided}} = \mu_\theta(x_t,t) + \sqrt{\Sigma_\theta(x_t,t)}\nabla_{x_t}\log p_\phi(y|x_t)", "inconsistent", ["rhs"]),
    # guided-diffusion code with p_mean_var's entries in names, and a spelled-out gradient
    ("new_mean = mean.float() + variance * gradient.float()", "exact", None),
    ("new_mean = mean + variance.sqrt() * grad_log_prob_y_given_xt", "inconsistent", ["rhs"]),
    ("eps = eps - torch.sqrt(1 - alpha_bar) * classifier_grad", "exact", None),
    ("eps = eps - (1 - alpha_bar) * grad_log_prob_y_given_xt", "inconsistent", ["rhs"]),
])
def test_guidance(latex, verdict, terms):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms, v.detail


def test_spelled_gradient_names():
    for name in ("grad_log_p_y_given_x", "grad_log_prob_c_given_z_t", "nabla_logp_label_given_xt", "classifier_gradient",
                 "grad_classifier"):
        assert is_classifier_gradient(name), name
    for name in ("grad_log_p_x_given_y", "gradient_penalty", "grad_norm", "log_p_y_given_x"):
        assert not is_classifier_gradient(name), name


@pytest.mark.parametrize("latex, verdict", [
    (r"\log\mathcal{N}(x \mid \mu, s^2 I) = -\frac{D}{2}\log(2\pi) - D\log s - \frac{\|x-\mu\|^2}{2s^2}", "exact"),
    (r"\log\mathcal{N}(x \mid \mu, s^2 I) = -\frac{D}{2}\log(2\pi) - \log s - \frac{\|x-\mu\|^2}{2s^2}", "inconsistent"),
    (r"\log \mathcal{N}(y; m, v) = -\frac12\log(2\pi v) - \frac{(y-m)^2}{2v}", "exact"),
    (r"\log \mathcal{N}(y; m, v) = -\frac12\log(2\pi v) - \frac{(y-m)^2}{v}", "inconsistent"),
    (r"\log \mathcal{N}(\mathbf{u}; \mathbf{0}, \tau\mathbf{I}) = -\frac{d}{2}\log(2\pi\tau) - \frac{\|\mathbf{u}\|^2}{2\tau}", "exact"),
    (r"\log \mathcal{N}(\mathbf{u}; \mathbf{0}, \tau\mathbf{I}) = -\frac{d}{2}\log(2\pi\tau) - \frac{\|\mathbf{u}\|}{2\tau}", "inconsistent"),
    # a vector (a norm) with no dimension written: right in one dimension only, never exact
    (r"\log \mathcal{N}(x; 0, I) = -\frac{1}{2}\log(2\pi) - \frac{1}{2}\|x\|^2", "consistent"),
    # the prior's log-density with its std a bare σ (Song's Colab prior_likelihood(z, sigma)), as LaTeX and as code
    (r"\log p_T(\mathbf{u}) = -\frac{d}{2}\log(2\pi\sigma^2) - \frac{\|\mathbf{u}\|^2}{2\sigma^2}", "exact"),
    (r"\log p_T(\mathbf{u}) = -\frac{d}{2}\log(2\pi\sigma) - \frac{\|\mathbf{u}\|^2}{2\sigma}", "inconsistent"),
    ("logp = -D / 2. * math.log(2 * math.pi * sigma ** 2) - (z ** 2).sum() / (2 * sigma ** 2)", "exact"),
    (r"\log p(\mathbf{x}_T) = -\frac{n}{2}\log(2\pi) - \frac{1}{2}\|\mathbf{x}_T\|^2", "exact"),
    (r"\log p(\mathbf{x}(T)) = -\frac{n}{2}\log(2\pi\sigma) - \frac{\|\mathbf{x}(T)\|^2}{2\sigma^2}", "inconsistent"),
])
def test_gaussian_log_density(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


@pytest.mark.parametrize("latex, verdict", [
    (r"\lambda(t) = \min\left(\mathrm{SNR}(t), \gamma\right)", "consistent"),
    (r"w_t = \min\{1, \gamma / \mathrm{SNR}_t\}", "consistent"),
    (r"w_t = \frac{\min\{\mathrm{SNR}(t), \gamma\}}{\mathrm{SNR}(t)+1}", "consistent"),
    (r"w_t = \max(\mathrm{SNR}(t), 1)", "consistent"),
    (r"w_t = \frac{\max\{\mathrm{SNR}(t), \gamma\}}{\mathrm{SNR}(t)}", "inconsistent"),
    (r"w_t = \min\{\mathrm{SNR}(t), \gamma\}\cdot\mathrm{SNR}(t)", "inconsistent"),
    # as code: torch's one-sided clamp and minimum (diffusers' training scripts write the weight so)
    ("loss_weights = torch.clamp(snr, max=snr_gamma) / snr", "consistent"),
    ("w = snr.clamp(max=gamma) / (snr + 1)", "consistent"),
    ("loss_weights = torch.clamp(snr, max=snr_gamma) * snr", "inconsistent"),
])
def test_clipped_snr_weights(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("latex, verdict", [
    (r"\Sigma_q(t) = \frac{\beta_t(1-\bar\alpha_{t-1})}{1-\bar\alpha_t} I", "exact"),
    (r"\boldsymbol\Sigma_{q}(t) = \beta_t\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\mathbf{I}", "exact"),
    (r"\Sigma_q(t) = \frac{\beta_t(1-\bar\alpha_{t})}{1-\bar\alpha_{t-1}} I", "inconsistent"),
])
def test_isotropic_covariance(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


def test_isotropic_covariance_only_multiples_of_identity():
    for eq in (r"\Sigma_q(t) = (1 - \bar\alpha_t) I - \beta_t I", r"\Sigma_t = 1 - \bar\alpha_t I",
               r"\boldsymbol{\Sigma}_{\text{sub}}(t) = \mathbf{I} + e^{-t}\mathbf{I}", r"\Sigma_q(t) = \beta_t"):
        assert isotropic_covariance(eq) == (eq, []), eq


@pytest.mark.parametrize("latex, verdict, terms", [
    (r"x_{t-1} = \sqrt{\bar\alpha_{t}}\hat{x}_0 + \sqrt{1-\bar\alpha_{t-1}}\epsilon_\theta(x_t, t)", "inconsistent", ["mean.x0"]),
    (r"x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\hat{x}_0 + \sqrt{1-\bar\alpha_{t}-\sigma_t^2}\;\epsilon_\theta(x_t,t) + \sigma_t z",
     "inconsistent", ["mean.eps"]),
    (r"x_{t-1} = \sqrt{\bar\alpha_{t-1}}\hat{x}_0 + \sqrt{1-\bar\alpha_{t-1}}\epsilon_\theta(x_t, t)", "exact", None),
])
def test_predicted_x0(latex, verdict, terms):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms, v.detail


@pytest.mark.parametrize("code, verdict", [
    ("log_mean_coeff = -0.25 * t ** 2 * (beta_1 - beta_0) - 0.5 * t * beta_0\nmean = torch.exp(log_mean_coeff) * x", "exact"),
    ("log_mean_coeff = -0.25 * t * (beta_1 - beta_0) - 0.5 * t * beta_0; mean = exp(log_mean_coeff) * x", "inconsistent"),
])
def test_sde_lib_kernel_mean(code, verdict):
    v = _one(code)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["mean.x0"]


@pytest.mark.parametrize("latex, verdict, terms", [
    (r"x_{t+\Delta t} = x_t + g(t)\sqrt{\Delta t}\, z_t", "consistent", None),
    (r"x_{t-\Delta t} = x_t + \frac12 g(t)^2 s_\theta(x_t, t)\Delta t", "consistent", None),
    (r"x_{t-\Delta t} = x_t + g(t) s_\theta(x_t, t)\Delta t + g(t)\sqrt{\Delta t} z_t", "inconsistent", ["mean.score"]),
    (r"x_{t-\Delta t} = x_t + g(t)^2 s_\theta(x_t, t)\Delta t + g(t)^2\sqrt{\Delta t} z_t", "inconsistent", ["variance"]),
    # the Colab's sampler as code: g = diffusion_coeff(t), step_size = Δt (its pc_sampler predictor's names)
    ("x_mean = x + (g ** 2)[:, None] * score_model(x, batch_time_step) * step_size\n"
     "x = x_mean + torch.sqrt(g ** 2 * step_size)[:, None] * torch.randn_like(x)", "consistent", None),
    ("x_mean = x + g[:, None] * score_model(x, batch_time_step) * step_size\n"
     "x = x_mean + torch.sqrt(step_size) * g[:, None] * torch.randn_like(x)", "inconsistent", ["mean.score"]),
    # a drift that is written stays judged as written
    (r"x_{t-\Delta t} = x_t + f(x_t, t)\Delta t + g(t)^2 s_\theta(x_t, t)\Delta t + g(t)\sqrt{\Delta t} z_t", "inconsistent", ["drift"]),
])
def test_driftless_steps(latex, verdict, terms):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms, v.detail
