"""Issue 13, wave 5 (objectives, guidance, likelihood, and the parser): formulas as people write them, read by
general rules.

Every formula here is written for this test (other letters, other papers' spellings, wrong variants that must stay
wrong); none is copied from a corpus."""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


# ------------------------------------------------------------------ the variational bound as an inequality
_REC = r"\mathbb{E}_{q(x_1 \mid x_0)}\left[\log p_\theta(x_0 \mid x_1)\right]"
_PRIOR = r"D_{\mathrm{KL}}\left(q(x_T \mid x_0) \,\|\, p(x_T)\right)"
_DEN = r"\mathbb{E}_{q(x_t \mid x_0)}\left[D_{\mathrm{KL}}\left(q(x_{t-1} \mid x_t, x_0) \,\|\, p_\theta(x_{t-1} \mid x_t)\right)\right]"


@pytest.mark.parametrize("text, verdict", [
    # Ho et al. 2020, Eq. 5 as a bound on the negative log-likelihood, the sum written t ≥ 2
    (rf"-\log p_\theta(x_0) \le -{_REC} + {_PRIOR} + \sum_{{t \geq 2}} {_DEN}", "exact"),
    # the ELBO (Luo 2022's form) with the sum written 2 ≤ t ≤ T and the log-likelihood on the right
    (rf"{_REC} - {_PRIOR} - \sum_{{2 \le t \le T}} {_DEN} \leq \log p(x)", "exact"),
    # the inequality reversed
    (rf"\log p(x_0) \le {_REC} - {_PRIOR} - \sum_{{t=2}}^{{T}} {_DEN}", "inconsistent"),
    # the denoising terms counted from t = 1 (L_0 counted twice)
    (rf"\log p(x_0) \ge {_REC} - {_PRIOR} - \sum_{{t=1}}^{{T}} {_DEN}", "inconsistent"),
    # the reconstruction term with the wrong sign
    (rf"\log p(x_0) \ge -{_REC} - {_PRIOR} - \sum_{{t>1}} {_DEN}", "inconsistent"),
])
def test_variational_bound_inequality(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict != "exact":
        assert v.terms == ["rhs"]


# ------------------------------------------------------------------ code losses: a mean of summed squares
@pytest.mark.parametrize("text, verdict", [
    # the noise-form DSM loss (λ = σ²) with the sum and the mean as methods, the noise named `noise`
    ("loss = ((score * std[:, None, None, None] + noise) ** 2).sum(dim=(1, 2, 3)).mean()", "exact"),
    ("loss = torch.mean(torch.sum(torch.square(std[:, None] * score + eps), dim=1))", "exact"),
    # the noise scaled by σ instead of the score
    ("loss = ((score + noise * std[:, None, None, None]) ** 2).sum(dim=(1, 2, 3)).mean()", "inconsistent"),
    # the noise divided by σ: σ s + z/σ does not vanish at the ideal network
    ("loss = torch.mean(torch.sum((std * score + noise / std) ** 2, dim=(1, 2, 3)))", "inconsistent"),
])
def test_code_mean_of_summed_squares(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert "read from the code" in v.detail


# ------------------------------------------------------------------ parser constructs
@pytest.mark.parametrize("text, verdict", [
    # a range after a thin or medium space: the formula's index range, not a second equation
    (r"x_{n+1} = x_n + \sqrt{\sigma_{n+1}^2 - \sigma_n^2}\, z_n,\; n = 0, \dots, N-1", "exact"),
    (r"x_{n+1} = x_n + \sqrt{\sigma_{n+1}^2 - \sigma_n^2}\, z_n \: n = 0, \ldots, N-1", "exact"),
    (r"x_{n+1} = x_n + (\sigma_{n+1}^2 - \sigma_n^2)\, z_n,\; n = 0, \dots, N-1", "inconsistent"),
    # a density proportional to one whole Gaussian density in its variable is that Gaussian
    (r"q(x_{t-1} \mid x_t, x_0) \propto \mathcal{N}\left(x_{t-1}; \tilde\mu_t(x_t, x_0), \tilde\beta_t \mathbf{I}\right)", "exact"),
    (r"q(x_{t-1} \mid x_t, x_0) \propto \mathcal{N}\left(x_{t-1}; \tilde\mu_t(x_t, x_0), \beta_t \mathbf{I}\right)", "inconsistent"),
    # |Δt| after a factor: the absolute value of the (positive) step size
    (r"x_{t-\Delta t} = x_t - [f(x_t, t) - g(t)^2 s_\theta(x_t, t)]\Delta t + g(t)\sqrt{\left|\Delta t\right|}\, z", "exact"),
    (r"x_{t-\Delta t} = x_t - [f(x_t, t) - g(t)^2 s_\theta(x_t, t)]\Delta t + g(t) |\Delta t| z", "inconsistent"),
])
def test_parser_constructs(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_proportional_to_something_else_is_not_an_equation():
    # Bayes' rule up to a constant: ∝ is kept (nothing is read as an equality)
    v = _one(r"p(x \mid y) \propto p(y \mid x)\, p(x)")
    assert v.verdict != "exact"


# ------------------------------------------------------------------ VLB terms in other parametrisations and notations
def test_vlb_term_x0_registry_entry_is_the_mean_form_reparametrised():
    # μ̃_t(x_t, x_0) − μ_θ(x_t, t) with μ_θ from x̂_θ (Ho et al. 2020, Eq. 7): independent sympy derivation of the weight
    import sympy as sp

    from scoresde.formulas.families.objectives import OBJECTIVE_REFS

    b, ab, abp, xt, x0, xh = sp.symbols("beta abar abar_prev x_t x_0 xhat", positive=True)
    a = 1 - b
    mu = lambda x_: sp.sqrt(abp) * b / (1 - ab) * x_ + sp.sqrt(a) * (1 - abp) / (1 - ab) * xt
    diff = sp.factor(mu(x0) - mu(xh))
    weight = sp.simplify(diff**2 / (xh - x0) ** 2)
    assert sp.simplify(weight - abp * b**2 / (1 - ab) ** 2) == 0
    assert "objective.vlb_term_x0" in OBJECTIVE_REFS


@pytest.mark.parametrize("text, verdict", [
    # the data-prediction term with Ho's σ_t², the factors in another order
    (r"\mathbb{E}_{q}\left[\frac{\beta_t^2\,\bar\alpha_{t-1}}{2\sigma_t^2(1-\bar\alpha_t)^2}\|x_0 - \hat{x}_\theta(x_t, t)\|^2\right]", "exact"),
    # ᾱ_t for ᾱ_{t−1} in the numerator
    (r"\mathbb{E}_{q}\left[\frac{\beta_t^2\,\bar\alpha_{t}}{2\sigma_t^2(1-\bar\alpha_t)^2}\|x_0 - \hat{x}_\theta(x_t, t)\|^2\right]", "inconsistent"),
    # the ε term with a hatted network and Luo's σ_q²(t) for the reverse variance
    (r"\frac{\beta_t^2}{2\sigma_q^2(t)\,\alpha_t(1-\bar\alpha_t)}\|\epsilon - \hat\epsilon_\theta(x_t, t)\|_2^2", "exact"),
    (r"\frac{\beta_t^2}{2\sigma_q^2(t)\,(1-\bar\alpha_t)}\|\epsilon - \hat\epsilon_\theta(x_t, t)\|_2^2", "inconsistent"),
    # the reverse variance stated beside the term (σ_t² = β̃_t written out, α_t as 1 − β_t)
    (r"\frac{\bar\alpha_{t-1}\beta_t^2}{2\sigma_t^2(1-\bar\alpha_t)^2}\|\hat x_\theta(x_t, t) - x_0\|^2, \quad \sigma_t^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}(1-\alpha_t)", "exact"),
])
def test_vlb_terms_in_other_forms(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


# ------------------------------------------------------------------ weights defined beside, on the left, sums over levels
@pytest.mark.parametrize("text, verdict", [
    # explicit score matching summed over levels, the weighting defined beside it
    (r"\sum_{j=1}^{N} \lambda_j\,\mathbb{E}_{q_{\sigma_j}(x)}\left[\|s_\theta(x, \sigma_j) - \nabla_x \log q_{\sigma_j}(x)\|^2\right], \quad \lambda_j = \sigma_j^2", "exact"),
    # another positive weighting: valid, not the named one
    (r"\sum_{j=1}^{N} \lambda_j\,\mathbb{E}_{q_{\sigma_j}(x)}\left[\|s_\theta(x, \sigma_j) - \nabla_x \log q_{\sigma_j}(x)\|^2\right], \quad \lambda_j = \sigma_j", "consistent"),
    # the model added to the score
    (r"\sum_{j=1}^{N} \lambda_j\,\mathbb{E}_{q_{\sigma_j}(x)}\left[\|s_\theta(x, \sigma_j) + \nabla_x \log q_{\sigma_j}(x)\|^2\right], \quad \lambda_j = \sigma_j^2", "inconsistent"),
    # a weighted loss on the left: σ² ℓ(θ; σ) is ℓ reweighted (Song & Ermon 2019, Sec. 4.2)
    (r"\sigma^2\,\ell(\theta; \sigma) = \frac{1}{2}\mathbb{E}_{p(x)}\mathbb{E}_{\tilde x \sim \mathcal{N}(x, \sigma^2 I)}\left[\left\|\sigma s_\theta(\tilde x, \sigma) - \frac{x - \tilde x}{\sigma}\right\|^2\right]", "exact"),
    (r"\sigma\,\ell(\theta; \sigma) = \frac{1}{2}\mathbb{E}_{p(x)}\mathbb{E}_{\tilde x \sim \mathcal{N}(x, \sigma^2 I)}\left[\left\|\sigma s_\theta(\tilde x, \sigma) - \frac{x - \tilde x}{\sigma}\right\|^2\right]", "inconsistent"),
    # L_hybrid with L_simple written out (network input written out, terms in the other order)
    (r"L_{\mathrm{hybrid}} = 0.001\,L_{\mathrm{vlb}} + \mathbb{E}_{t, x_0, \epsilon}\left[\|\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t) - \epsilon\|^2\right]", "exact"),
    (r"L_{\mathrm{hybrid}} = 0.01\,L_{\mathrm{vlb}} + \mathbb{E}_{t, x_0, \epsilon}\left[\|\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t) - \epsilon\|^2\right]", "inconsistent"),
])
def test_weights_beside_and_on_the_left(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


# ------------------------------------------------------------------ the VE SDE's kernel score, E over t ∼ U(0, T)
@pytest.mark.parametrize("text, verdict", [
    (r"\nabla_{\mathbf{x}(t)}\log p_{0t}(\mathbf{x}(t)\mid\mathbf{x}(0)) = \frac{\mathbf{x}(0)-\mathbf{x}(t)}{\sigma(t)^2-\sigma(0)^2}", "exact"),
    # the std for the variance
    (r"\nabla_{\mathbf{x}(t)}\log p_{0t}(\mathbf{x}(t)\mid\mathbf{x}(0)) = \frac{\mathbf{x}(0)-\mathbf{x}(t)}{\sqrt{\sigma(t)^2-\sigma(0)^2}}", "inconsistent"),
])
def test_ve_sde_kernel_score(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_uniform_time_expectation_differs_from_the_integral_by_a_constant_only():
    # E_{s ∼ U(0, S)} is ∫_0^S ds / S: without J_SM's ½ the objective is J_SM times 2/S, the same minimiser
    v = _one(r"\mathbb{E}_{s \sim \mathcal{U}(0, S)}\mathbb{E}_{p_s(y)}\left[\lambda(s)\|s_\theta(y, s) - \nabla_y \log p_s(y)\|^2\right]")
    assert v.verdict in ("exact", "consistent"), v.detail


# ------------------------------------------------------------------ guidance: joint densities, ≈ chains, guided samplers
@pytest.mark.parametrize("text, verdict", [
    # the joint p(z, c): its gradient in z is the conditional score's
    (r"\nabla_{z}\log p(z, c) = \nabla_{z}\log p(z) + \nabla_{z}\log p(c \mid z)", "exact"),
    (r"\nabla_{z}\log p(z, c) = \nabla_{z}\log p(z) - \nabla_{z}\log p(c \mid z)", "inconsistent"),
    # the networks in place of the true scores after ≈ (VP kernel std √(1 − ᾱ))
    (r"\nabla_{z_t}\log p(z_t \mid c) \approx -\frac{\epsilon_\theta(z_t, t)}{\sqrt{1-\bar\alpha_t}} + \nabla_{z_t}\log p_\psi(c \mid z_t)", "exact"),
    (r"\nabla_{z_t}\log p(z_t \mid c) \approx -\sqrt{1-\bar\alpha_t}\,\epsilon_\theta(z_t, t) + \nabla_{z_t}\log p_\psi(c \mid z_t)", "inconsistent"),
])
def test_joint_density_and_approximate_chains(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    # the conditional PF ODE of the VE SDE (Song et al. 2021, Eq. 13 with App. I's conditional score)
    (r"d\mathbf{x} = -\frac{1}{2}\frac{d[\sigma^2(t)]}{dt}\left(\nabla_\mathbf{x}\log p_t(\mathbf{x}) + \nabla_\mathbf{x}\log p_t(c \mid \mathbf{x})\right)dt", "exact", None),
    (r"d\mathbf{x} = -\frac{d[\sigma^2(t)]}{dt}\left(\nabla_\mathbf{x}\log p_t(\mathbf{x}) + \nabla_\mathbf{x}\log p_t(c \mid \mathbf{x})\right)dt", "inconsistent", None),
    # a conditional Langevin corrector with step η (the bracket is a product, not η applied to it)
    (r"x_{n}^{k+1} = x_n^{k} + \eta\left(s_\theta(x_n^k, \sigma_n) + \nabla_x \log p_{\sigma_n}(c \mid x_n^k)\right) + \sqrt{2\eta}\, z", "exact", None),
    (r"x \gets x + \eta\left(s_\theta(x, \sigma) + 2\nabla_x \log p_\sigma(c \mid x)\right) + \sqrt{2\eta}\, z", "inconsistent", ["mean.score"]),
])
def test_guided_samplers(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms:
        assert v.terms == terms


@pytest.mark.parametrize("text, verdict", [
    # the likelihood weighting of the VE SDE written as the derivative of the variance
    (r"\lambda(t) = \frac{\mathrm{d}}{\mathrm{d}t}\left[\sigma(t)^2\right]", "exact"),
    (r"\lambda(t) = g(t)^2 = \frac{d\,\sigma^2(t)}{dt}", "exact"),
    # the derivative of σ for that of σ²: another positive weighting, not g²
    (r"\lambda(t) = g(t)^2 = \frac{d\,\sigma(t)}{dt}", "inconsistent"),
])
def test_weighting_as_a_derivative(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


# ------------------------------------------------------------------ code cells: names with a meaning
@pytest.mark.parametrize("text, verdict", [
    # an SDE as code with its differentials (the reverse VP SDE, its drift and diffusion inlined)
    ("drift = -0.5 * beta(t) * x - beta(t) * score(x, t); dx = drift * dt + sqrt(beta(t)) * dw_bar", "exact"),
    ("drift = -0.5 * beta(t) * x - beta(t) * score(x, t); dx = drift * dt + beta(t) * dw_bar", "inconsistent"),
    # the prior's log-density of z (sde_lib's prior_logp), the sum of squares as a method
    ("logps = -N / 2. * math.log(2 * math.pi) - (z ** 2).sum() / 2.", "exact"),
    ("logps = -N * math.log(2 * math.pi) - (z ** 2).sum() / 2.", "inconsistent"),
    # sde_lib's log mean coefficient of the VP SDE: ᾱ(t) = exp(2 · log_mean_coeff)
    ("log_mean_coeff = -0.5 * t * beta_0 - 0.25 * (beta_1 - beta_0) * t ** 2", "exact"),
    ("log_mean_coeff = -t * beta_0 - 0.25 * (beta_1 - beta_0) * t ** 2", "inconsistent"),
])
def test_code_names_with_a_meaning(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # eps (the network's prediction) beside noise (the fresh draw), DDIM notation, x0 not inlined by name
    ("x0_hat = (x_t - (1 - alpha_t).sqrt() * eps) / alpha_t.sqrt(); x_prev = alpha_prev.sqrt() * x0_hat + (1 - alpha_prev - sigma_t ** 2).sqrt() * eps + sigma_t * noise", "exact"),
    ("x0_hat = (x_t - (1 - alpha_t).sqrt() * eps) / alpha_t.sqrt(); x_prev = alpha_prev.sqrt() * x0_hat + (1 - alpha_prev).sqrt() * eps + sigma_t * noise", "inconsistent"),
])
def test_code_eps_beside_noise(text, verdict):
    vs = verify_formula(text, None, numeric=False, hints={"notation": "ddim"})
    assert [v.verdict for v in vs] == [verdict], [v.detail for v in vs]


def test_a_letter_N_before_right_bracket_is_a_symbol():
    # the look-ahead for N(μ, Σ) must not swallow N when \right follows it
    from scoresde.formulas.parse import parse

    assert str(parse(r"y = \left(-N\right) \cdot 3").sides[1]) == "-3*N"
    assert "Normal" in str(parse(r"y = N\,(\mu, \sigma^2)").sides[1])
