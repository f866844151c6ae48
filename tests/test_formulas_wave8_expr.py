"""Issue 13, eighth wave (expr): equations whose left side is not a single name, each reading rule stated for a
notation or a construct (never for one formula). Every formula here is written for this test (other letters, other
equations than any corpus claim), with wrong variants that must stay wrong.
"""
import pytest

from scoresde.formulas import verify_formula


def _one(text, notation=None):
    vs = verify_formula(text, None, hints={"notation": notation} if notation else None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


# --- the model's density p_θ^ODE(x(0)) and the prior π(x(T)) in the integrated change of variables
# (Song, Durkan, Murray & Ermon 2021, Eq. 8; Song et al. 2021, Eq. 39)
@pytest.mark.parametrize("text, verdict", [
    (r"\log p_\theta^{\mathrm{ODE}}(x(0)) = \log\pi(x(T)) + \int_0^T \nabla\cdot\tilde f_\theta(x(t), t)\,dt", "exact"),
    (r"\log p_\theta(\mathbf{x}(0)) = \log \pi(\mathbf{x}(T)) + \int_0^T \nabla\cdot\left[f(\mathbf{x}(t), t) - \tfrac{1}{2}g(t)^2 s_\theta(\mathbf{x}(t), t)\right]dt", "exact"),
    (r"\log p_\theta^{\mathrm{ODE}}(x(0)) = \log\pi(x(T)) - \int_0^T \nabla\cdot\tilde f_\theta(x(t), t)\,dt", "inconsistent"),
    (r"\log p_\theta(\mathbf{x}(0)) = \log \pi(\mathbf{x}(T)) + \int_0^T \nabla\cdot\left[f(\mathbf{x}(t), t) - g(t)^2 s_\theta(\mathbf{x}(t), t)\right]dt", "inconsistent"),
])
def test_model_density_and_prior_pi(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


def test_sde_density_is_not_the_ode_one():
    # p_θ^SDE differs from p_θ^ODE in general (Song, Durkan et al. 2021, Sec. 4): not read as the change of variables
    v = _one(r"\log p_\theta^{\mathrm{SDE}}(x(0)) = \log\pi(x(T)) + \int_0^T \nabla\cdot\tilde f_\theta(x(t), t)\,dt")
    assert v.verdict not in ("exact", "consistent")


# --- an accented state in a differential equation: dx̂ = …, dx̃/dt = … (Song, Durkan, Murray & Ermon 2021, Eq. 4, 6)
@pytest.mark.parametrize("text, verdict, terms", [
    (r"d\hat{x} = \left[f(\hat x, t) - g(t)^2\nabla_{\hat x}\log p_t(\hat x)\right]dt + g(t)\,d\bar w", "exact", []),
    (r"d\hat{x} = \left[f(\hat x, t) - \tfrac12 g(t)^2\nabla_{\hat x}\log p_t(\hat x)\right]dt + g(t)\,d\bar w", "inconsistent", ["drift"]),
    (r"\mathrm{d}\tilde{\boldsymbol x} = -\tfrac{1}{2}\beta(t)\tilde{\boldsymbol x}\,\mathrm{d}t + \sqrt{\beta(t)}\,\mathrm{d}\mathbf w", "exact", []),
    (r"\frac{d\hat{\mathbf x}}{dt} = f(\hat{\mathbf x}, t) - \frac{1}{2}g(t)^2 s_\theta(\hat{\mathbf x}, t)", "exact", []),
    (r"\frac{d\hat{\mathbf x}}{dt} = f(\hat{\mathbf x}, t) - g(t)^2 s_\theta(\hat{\mathbf x}, t)", "inconsistent", None),
])
def test_accented_state_of_a_differential_equation(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms


def test_accent_beside_the_plain_state_is_not_renamed():
    from scoresde.formulas.state_decoration import undecorated_state

    assert undecorated_state(r"d\hat x = (x - \hat x)\,dt") is None  # two quantities
    assert undecorated_state(r"d x = \hat x_0\,dt") is None  # no accented differential
    assert undecorated_state(r"d\tilde x = \hat x\,dt") is None  # two accents: two processes
    assert undecorated_state(r"\frac{d\tilde x}{dt} = -\tilde x") == r"\frac{d x}{dt} = - x"


# --- identities between the squared errors of a network's parameterisations (param_errors.py; Salimans & Ho 2022,
# Sec. 4; Kingma et al. 2023, Sec. 2): every error is a multiple of ε − ε̂, so the weights must agree
@pytest.mark.parametrize("text, verdict", [
    # VDM's α_t, σ_t
    (r"\|\mathbf{x}_0 - \hat{\mathbf{x}}_\theta(\mathbf{z}_t)\|^2 = \frac{\sigma_t^2}{\alpha_t^2}\|\boldsymbol\epsilon - \hat{\boldsymbol\epsilon}_\theta(\mathbf{z}_t)\|^2", "exact"),
    (r"\|\mathbf{x}_0 - \hat{\mathbf{x}}_\theta(\mathbf{z}_t)\|^2 = \frac{\sigma_t}{\alpha_t}\|\boldsymbol\epsilon - \hat{\boldsymbol\epsilon}_\theta(\mathbf{z}_t)\|^2", "inconsistent"),
    (r"\|v - \hat v_\theta\|_2^2 = \frac{1}{\alpha_t^2}\|\epsilon - \hat\epsilon_\theta\|_2^2", "exact"),
    (r"\|v - \hat v_\theta\|_2^2 = \frac{1}{\sigma_t^2}\|\epsilon - \hat\epsilon_\theta\|_2^2", "inconsistent"),
    # DDPM's ᾱ_t: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε
    (r"\|x_0 - \hat x_0\|^2 = \frac{1-\bar\alpha_t}{\bar\alpha_t}\|\epsilon - \epsilon_\theta(x_t, t)\|^2", "exact"),
    (r"\|x_0 - \hat x_0\|^2 = \frac{1-\bar\alpha_t}{\sqrt{\bar\alpha_t}}\|\epsilon - \epsilon_\theta(x_t, t)\|^2", "inconsistent"),
    # the log-SNR λ and SNR(t)
    (r"\|x - \hat x_\theta\|_2^2 = e^{-\lambda}\,\|\epsilon - \hat\epsilon_\theta\|_2^2", "exact"),
    (r"\|x - \hat x_\theta\|_2^2 = e^{\lambda}\,\|\epsilon - \hat\epsilon_\theta\|_2^2", "inconsistent"),
    (r"\|\epsilon - \epsilon_\theta(x_t,t)\|^2 = \mathrm{SNR}(t)\,\|x_0 - \hat x_\theta(x_t,t)\|^2", "exact"),
    (r"\|\epsilon - \epsilon_\theta(x_t,t)\|^2 = \mathrm{SNR}(t)^2\,\|x_0 - \hat x_\theta(x_t,t)\|^2", "inconsistent"),
    # the DSM target ∇log p_{0t}(x_t | x_0) = −ε/σ_t, under the expectation on both sides
    (r"\mathbb{E}_{x_0,\epsilon}\left\|s_\theta(x_t, t) - \nabla_{x_t}\log p_{0t}(x_t \mid x_0)\right\|^2 = \frac{1}{\sigma_t^2}\mathbb{E}_{x_0,\epsilon}\|\epsilon_\theta(x_t,t) - \epsilon\|^2", "exact"),
    (r"\mathbb{E}_{x_0,\epsilon}\left\|s_\theta(x_t, t) - \nabla_{x_t}\log p_{0t}(x_t \mid x_0)\right\|^2 = \frac{1}{\sigma_t^4}\mathbb{E}_{x_0,\epsilon}\|\epsilon_\theta(x_t,t) - \epsilon\|^2", "inconsistent"),
    # a max of two losses, and a sum
    (r"\max\left(\|\epsilon - \hat\epsilon\|^2, \|x - \hat x\|^2\right) = \max\left(1, \frac{\sigma_t^2}{\alpha_t^2}\right)\|\epsilon - \hat\epsilon\|^2", "exact"),
    (r"\max\left(\|\epsilon - \hat\epsilon\|^2, \|x - \hat x\|^2\right) = \max\left(1, \frac{\sigma_t}{\alpha_t}\right)\|\epsilon - \hat\epsilon\|^2", "inconsistent"),
    (r"\|\epsilon - \hat\epsilon\|^2 + \|x - \hat x\|^2 = \frac{1}{\alpha_t^2}\|\epsilon - \hat\epsilon\|^2", "exact"),
    # Min-SNR-γ (Hang et al. 2023): min(SNR, γ) on the x-loss is min(γ/SNR, 1) on the ε-loss
    (r"\min(\mathrm{SNR}(t), 5)\,\|x_0 - \hat x_\theta(x_t,t)\|^2 = \min\left(\frac{5}{\mathrm{SNR}(t)}, 1\right)\|\epsilon - \hat\epsilon_\theta(x_t,t)\|^2", "exact"),
    (r"\min(\mathrm{SNR}(t), 5)\,\|x_0 - \hat x_\theta(x_t,t)\|^2 = \min\left(5\,\mathrm{SNR}(t), 1\right)\|\epsilon - \hat\epsilon_\theta(x_t,t)\|^2", "inconsistent"),
])
def test_squared_errors_of_the_parameterisations(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


@pytest.mark.parametrize("text", [
    r"\|x - \hat x\|^2 = w_t\,\|\epsilon - \hat\epsilon\|^2",  # a weight named, not stated: nothing to hold it to
    r"\|s_\theta(x_t, t) - \nabla\log p_t(x_t)\|^2 = \frac{1}{\sigma_t^2}\|\epsilon - \epsilon_\theta\|^2",  # the marginal score
])
def test_squared_errors_not_judged_without_their_meaning(text):
    from scoresde.formulas.param_errors import judge_error_identity

    assert judge_error_identity(text) is None


@pytest.mark.parametrize("text, verdict", [
    (r"L_\theta = \max(\|\epsilon - \hat\epsilon_t\|_2^2, \|x - \hat x_t\|_2^2) = \max\left(1, \frac{\alpha_t^2}{\sigma_t^2}\right)\|x - \hat x_t\|_2^2", "exact"),
    (r"L_\theta = \max(\|\epsilon - \hat\epsilon_t\|_2^2, \|x - \hat x_t\|_2^2) = \max\left(1, \frac{\alpha_t}{\sigma_t}\right)\|x - \hat x_t\|_2^2", "inconsistent"),
    (r"L_\theta = \frac{1}{\alpha_t^2}\|\epsilon - \hat\epsilon_t\|_2^2 = \left(1 + \frac{\alpha_t^2}{\sigma_t^2}\right)\|x - \hat x_t\|_2^2", "exact"),
    (r"L_\theta = \frac{1}{\sigma_t^2}\|\epsilon - \hat\epsilon_t\|_2^2 = \left(1 + \frac{\alpha_t^2}{\sigma_t^2}\right)\|x - \hat x_t\|_2^2", "inconsistent"),
])
def test_chained_objective_settled_by_its_sides(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


# --- guidance written as sums of scores or tagged predictions (guidance_reader.py; Ho & Salimans 2022, Eq. 6;
# Dhariwal & Nichol 2021, Sec. 4.3)
@pytest.mark.parametrize("text, verdict", [
    # an identity between two expressions of scores: the weight stays as written (no guided quantity on the left)
    (r"\nabla_x\log p_t(x) + \omega\left(\nabla_x\log p_t(x\mid c) - \nabla_x\log p_t(x)\right) = \nabla_x\log p_t(x) + \omega\nabla_x\log p_t(c\mid x)", "exact"),
    (r"\nabla_x\log p_t(x) + \omega\left(\nabla_x\log p_t(x\mid c) - \nabla_x\log p_t(x)\right) = \nabla_x\log p_t(x) + \omega^2\nabla_x\log p_t(c\mid x)", "inconsistent"),
    (r"(1-\omega)\nabla_x\log p_t(x) + \omega\nabla_x\log p_t(x\mid c) = \nabla_x\log p_t(x) + \omega\left(\nabla_x\log p_t(x\mid c) - \nabla_x\log p_t(x)\right)", "exact"),
    (r"(1+\omega)\nabla_x\log p_t(x) - \omega\nabla_x\log p_t(x\mid c) = \nabla_x\log p_t(x) + \omega\left(\nabla_x\log p_t(x\mid c) - \nabla_x\log p_t(x)\right)", "inconsistent"),
    # a letter tagged cond/uncond/cfg or pos/neg (a negative prompt in place of the empty one)
    (r"v_{\text{cfg}} = v_{\text{uncond}} + s\,(v_{\text{cond}} - v_{\text{uncond}})", "exact"),
    (r"\epsilon_{guided} = \epsilon_{neg} + w\,(\epsilon_{neg} - \epsilon_{pos})", "inconsistent"),
    # the null condition ∅ is the unconditional prediction; a trailing symbol named in words is not a relation
    (r"\tilde\epsilon_\theta(z_t, c) = (1+s)\,\epsilon_\theta(z_t, c) - s\,\epsilon_\theta(z_t, \emptyset)，s\ \text{是引导强度}", "exact"),
    (r"\tilde\epsilon_\theta(z_t, c) = (1+s)\,\epsilon_\theta(z_t, \emptyset) - s\,\epsilon_\theta(z_t, c)，s\ \text{是引导强度}", "inconsistent"),
    # the rows of an aligned block
    (r"\begin{aligned}\tilde{\epsilon}_\theta(z, c) &= (1 + w)\epsilon_\theta(z, c) - w\epsilon_\theta(z) \\ &= \epsilon_\theta(z, c) + w(\epsilon_\theta(z, c) - \epsilon_\theta(z))\end{aligned}", "exact"),
    (r"\begin{aligned}\tilde{\epsilon}_\theta(z, c) &= (1 + w)\epsilon_\theta(z, c) - w\epsilon_\theta(z) \\ &= \epsilon_\theta(z, c) + w(\epsilon_\theta(z) - \epsilon_\theta(z, c))\end{aligned}", "inconsistent"),
])
def test_guidance_identities(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


def test_tags_need_one_letter_and_both_predictions():
    from scoresde.formulas.guidance_weight import tagged_predictions

    assert tagged_predictions(r"x_{cfg} = x_{neg} + w(x_{pos} - x_{neg})") is not None
    assert tagged_predictions(r"x_{cfg} = v_{neg} + w(x_{pos} - v_{neg})") is None  # two letters
    assert tagged_predictions(r"x_{cfg} = x_{pos} + w\,x_{pos}") is None  # no unconditional prediction


# --- identities between the VP SDE's schedule functions (vp_identities.py; Song et al. 2021, Eq. 11, 12, 29)
@pytest.mark.parametrize("text, verdict", [
    (r"\frac{\sigma(t)^2}{g(t)^2} = \frac{e^{\int_0^t\beta(u)\,du} - 1}{\beta(t)\, e^{\int_0^t\beta(u)\,du}}", "exact"),
    (r"\frac{\sigma(t)^2}{g(t)^2} = \frac{e^{\int_0^t\beta(u)\,du} + 1}{\beta(t)\, e^{\int_0^t\beta(u)\,du}}", "inconsistent"),
    # the sub-VP SDE's g² = β(1 − e^{−2∫β}), σ² = (1 − e^{−∫β})²: also an identity of these functions
    (r"\frac{g(t)^2}{\sigma(t)^2} = \beta(t)\,\frac{1 + e^{-\int_0^t\beta(r)\,dr}}{1 - e^{-\int_0^t\beta(r)\,dr}}", "exact"),
    (r"\frac{g(t)}{\sigma(t)^2} = \frac{\beta(t)}{1 - e^{-\int_0^t\beta(r)\,dr}}", "inconsistent"),
    (r"-\frac{d}{dt}\log\left(1 - \sigma(t)^2\right) = \beta(t)", "exact"),
    (r"-\frac{d}{dt}\log\left(1 - \sigma(t)^2\right) = \frac{1}{2}\beta(t)", "inconsistent"),
])
def test_vp_schedule_function_identities(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


# --- an assignment that rescales a schedule by its end values (schedule_rescale.py; Lin et al. 2024, Alg. 1)
@pytest.mark.parametrize("text, verdict", [
    (r"\sqrt{\bar\alpha_i} \gets \sqrt{\bar\alpha_0}\,\frac{\sqrt{\bar\alpha_i} - \sqrt{\bar\alpha_N}}{\sqrt{\bar\alpha_0} - \sqrt{\bar\alpha_N}}", "exact"),
    (r"\sqrt{\bar\alpha_i} \gets \sqrt{\bar\alpha_0}\,\frac{\sqrt{\bar\alpha_i} - \sqrt{\bar\alpha_N}}{\sqrt{\bar\alpha_0} + \sqrt{\bar\alpha_N}}", "inconsistent"),
    (r"\sqrt{\bar\alpha_i} \gets \sqrt{\bar\alpha_N}\,\frac{\sqrt{\bar\alpha_i} - \sqrt{\bar\alpha_N}}{\sqrt{\bar\alpha_0} - \sqrt{\bar\alpha_N}}", "inconsistent"),
    (r"\sqrt{\bar\alpha_i} \gets \frac{\sqrt{\bar\alpha_i} - \sqrt{\bar\alpha_N}}{\sqrt{\bar\alpha_0} - \sqrt{\bar\alpha_N}}", "consistent"),
])
def test_zero_terminal_snr_rescale(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


def test_rescale_that_keeps_the_last_value_is_not_judged():
    from scoresde.formulas.schedule_rescale import judge_rescale

    assert judge_rescale(r"\sqrt{\bar\alpha_i} = 2\sqrt{\bar\alpha_i} - \sqrt{\bar\alpha_0}") is None


# --- an objective with its weight λ(·) chosen beside it (objective_weight_def.py; Song & Ermon 2019, Sec. 4.2;
# Song et al. 2021, Eq. 7 with Song, Durkan et al. 2021's λ = g²)
_DSM_T = (r"\theta^* = \arg\min_\theta \mathbb{E}_t\left\{\lambda(t)\mathbb{E}_{\mathbf{x}(0)}\mathbb{E}_{\mathbf{x}(t)|\mathbf{x}(0)}"
          r"\left[\left\|\mathbf{s}_\theta(\mathbf{x}(t),t) - \nabla_{\mathbf{x}(t)}\log p_{0t}(\mathbf{x}(t)\mid\mathbf{x}(0))\right\|_2^2\right]\right\}")
_NCSN = r"\mathcal{L}(\theta; \{\sigma_i\}_{i=1}^{L}) = \frac{1}{L}\sum_{i=1}^{L}\lambda(\sigma_i)\,\ell(\theta;\sigma_i)"


@pytest.mark.parametrize("text, verdict", [
    (_DSM_T + r", \quad \lambda(t) = g(t)^2", "exact"),
    (_DSM_T + r", \quad \lambda(t) = -g(t)^2", "inconsistent"),
    (_NCSN + r",\qquad \lambda(\sigma_i) = \sigma_i^2.", "exact"),
    (_NCSN + r",\qquad \lambda(\sigma_i) = \sigma_i.", "inconsistent"),
])
def test_objective_with_its_weighting(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


# --- the bound on the SDE model's negative log-likelihood (sde_bound.py; Song, Durkan, Murray & Ermon 2021, Sec. 4)
_BOUND = (r"-\log p_\theta^{\mathrm{SDE}}(x) \le -\mathbb{E}_{p_{0T}(x'|x)}\left[\log p_T(x')\right] + \frac{1}{2}\int_0^T "
          r"\mathbb{E}_{p_{0t}(x'|x)}\left[g(t)^2\left(2\nabla_{x'}\cdot s_\theta(x',t) + \|s_\theta(x',t)\|^2\right) - 2\nabla_{x'}\cdot f(x',t)\right]dt")


@pytest.mark.parametrize("text, verdict", [
    (_BOUND, "exact"),
    (_BOUND.replace(r"g(t)^2\left(2\nabla", r"g(t)\left(2\nabla"), "inconsistent"),
    (_BOUND.replace(r"\frac{1}{2}\int", r"\int"), "inconsistent"),
    (_BOUND.replace(r"\le ", r"\ge "), "inconsistent"),
])
def test_sde_likelihood_bound(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


# --- the closed-form KL divergence between two Gaussians (gauss_kl.py)
_KL_AB = (r"\mathrm{KL}\left(\mathcal{N}(m_a, \Sigma_a) \,\|\, \mathcal{N}(m_b, \Sigma_b)\right) = \frac{1}{2}\left(\operatorname{tr}"
          r"(\Sigma_b^{-1}\Sigma_a) + (m_b - m_a)^\top\Sigma_b^{-1}(m_b - m_a) - d + \log\frac{\det\Sigma_b}{\det\Sigma_a}\right)")
_KL_1D = (r"D_{KL}(\mathcal{N}(\mu_1, \sigma_1^2) \| \mathcal{N}(\mu_2, \sigma_2^2)) = \log\frac{\sigma_2}{\sigma_1} + "
          r"\frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac{1}{2}")


@pytest.mark.parametrize("text, verdict", [
    (_KL_AB, "exact"),
    (_KL_AB.replace(r"(\Sigma_b^{-1}\Sigma_a)", r"(\Sigma_a^{-1}\Sigma_b)"), "inconsistent"),
    (_KL_AB.replace(r" - d + ", r" + d + "), "inconsistent"),
    (_KL_1D, "exact"),
    (_KL_1D.replace(r"\log\frac{\sigma_2}{\sigma_1}", r"\log\frac{\sigma_1}{\sigma_2}"), "inconsistent"),
    (_KL_1D.replace(r"{2\sigma_2^2}", r"{\sigma_2^2}"), "inconsistent"),
])
def test_gaussian_kl_closed_form(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


def test_vp_identity_with_edms_noise_level():
    # Karras et al. 2022, Table 1 (VP): σ(t)² = e^{∫β} − 1 is the registry's VP σ(t); an identity in it is not an alarm
    assert _one(r"\frac{g(t)^2}{\sigma(t)^2} = \frac{\beta(t)}{e^{\int_0^t\beta(r)\,dr} - 1}").verdict == "exact"


def test_error_identity_for_any_two_kernel_coefficients():
    # x − x̂ = −(σ_t/α_t)(ε − ε̂) holds for any z_t = α_t x + σ_t ε (flow matching's α_t = 1 − t too): said so
    v = _one(r"\|x - \hat x_\theta\|^2 = \frac{\sigma_t^2}{\alpha_t^2}\|\epsilon - \hat\epsilon_\theta\|^2")
    assert v.verdict == "exact" and "any α_t, σ_t" in v.detail
