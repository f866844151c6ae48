"""Issue 13, ninth wave (vdm area): λ-indexed and flow notations, schedules given through a function or a variance.
Each rule is stated for a notation or a family (never for one formula); the formulas here are written for this test
(other letters, other schedules, other instances of the same construct), with wrong variants that must stay wrong:

* a continuous ᾱ(·) evaluated on the chain's grid, ᾱ(k/T) = ᾱ_k (grid_functions.py);
* a VP rate β(t) written through the kernel variance σ_t² defined beside it, checked by dσ²/dt = β(1 − σ²)
  (vp_variance_ode.py);
* flow matching's conditional Gaussian paths, fields u_t(x | x_1), flows ψ_t and d/dt ψ_t (flow_paths.py);
* Ho & Salimans' λ-indexed cells in time indices, the data estimate x̃_t from ε̃_t, Alg. 2's sampler lines
  (hs_lambda.py); a kernel's mean named and defined beside it (kernel_named_mean.py); x̂_0 at the formula's one state
  (mt_read.py);
* a training step: the network's input defined beside the loss (train_step.py);
* the cosine log-SNR schedule truncated to [λ_min, λ_max] (logsnr_truncated.py);
* the VP state and the VE-scaled state, x^{VP} = √ᾱ_t x^{VE} (ve_vp_states.py).
"""
import pytest

from scoresde.formulas import verify_formula


def _verdicts(text, hints=None):
    return [(v.verdict, list(v.terms)) for v in verify_formula(text, None, numeric=False, hints=hints)]


def _worst(text, hints=None):
    rank = {"exact": 0, "consistent": 1, "unparsed": 2, "inconsistent": 3, "ill-defined": 4}
    vs = verify_formula(text, None, numeric=False, hints=hints)
    assert vs
    return max(vs, key=lambda v: rank[v.verdict])


@pytest.mark.parametrize("text, ok", [
    # β from a continuous ᾱ on the grid, other index letters and fraction forms (Nichol & Dhariwal 2021, Sec. 3.2)
    (r"\beta_t = 1 - \frac{\bar\alpha\left(\frac{t}{N}\right)}{\bar\alpha\left(\frac{t-1}{N}\right)}", True),
    (r"\beta_n = \min\left(1 - \bar\alpha(n/T)/\bar\alpha((n-1)/T), 0.999\right)", True),
    (r"\beta_j = 1 - \frac{\bar\alpha((j-1)/T)}{\bar\alpha(j/T)}", False),
    (r"\beta_n = 1 - \bar\alpha(n/T)/\bar\alpha((n+1)/T)", False),
])
def test_abar_function_on_the_grid(text, ok):
    v = _worst(text)
    if ok:
        assert v.verdict in ("exact", "consistent"), v.detail
    else:
        assert v.verdict == "inconsistent" and v.terms == ["rhs"], v.detail


@pytest.mark.parametrize("text, verdict", [
    # the cosine-like VP schedule σ_t = sin(πt/2): β = π tan(πt/2) = π σ/√(1 − σ²)
    (r"\beta(t) = \frac{\pi\sigma_t}{\sqrt{1-\sigma_t^2}}, \quad \sigma_t = \sin\left(\frac{\pi t}{2}\right)", "exact"),
    (r"\beta(t) = \frac{\pi\sigma_t}{1-\sigma_t^2}, \quad \sigma_t = \sin\left(\frac{\pi t}{2}\right)", "inconsistent"),
    # a geometric variance with other constant names (σ_0, σ_1) and a σ_t (not squared) definition
    (r"\beta(t) = \log\frac{\sigma_{1}^2}{\sigma_{0}^2}\cdot\frac{\sigma_t^2}{1 - \sigma_t^2}, \quad \sigma_t^2 = \sigma_0^2\left(\frac{\sigma_1^2}{\sigma_0^2}\right)^t", "exact"),
    (r"\beta(t) = \log\frac{\sigma_{1}^2}{\sigma_{0}^2}\cdot\frac{1 - \sigma_t^2}{\sigma_t^2}, \quad \sigma_t^2 = \sigma_0^2\left(\frac{\sigma_1^2}{\sigma_0^2}\right)^t", "inconsistent"),
    (r"\beta(t) = \frac{2t\sigma_t^2}{1-\sigma_t^2}, \quad \sigma_t = e^{t^2/2}\sigma_{\min}", "exact"),
    (r"\beta(t) = \frac{t\sigma_t^2}{1-\sigma_t^2}, \quad \sigma_t = e^{t^2/2}\sigma_{\min}", "inconsistent"),
])
def test_vp_rate_of_a_variance_schedule(text, verdict):
    got = _verdicts(text)
    assert got == [(verdict, [] if verdict == "exact" else ["rhs"])], got


@pytest.mark.parametrize("text, expected", [
    # the optimal-transport path and field (Lipman et al. 2023, Eq. 20-22), bold and plain, \mid and |
    (r"u_t(x|x_1) = \frac{x_1 - (1-\sigma_{\min})x}{1 - (1-\sigma_{\min})t}", [("exact", [])]),
    (r"u_t(\mathbf{x}\mid\mathbf{x}_1) = \frac{\mathbf{x}_1 - (1-\sigma_{\min})\mathbf{x}}{1 - \sigma_{\min} t}",
     [("inconsistent", ["rhs"])]),
    (r"\mu_t(x_1) = t x_1, \quad \sigma_t(x_1) = 1 - (1 - \sigma_{\min})t", [("exact", []), ("exact", [])]),
    (r"\mu_t(x_1) = t x_1, \quad \sigma_t(x_1) = 1 - \sigma_{\min} t", [("exact", []), ("inconsistent", ["variance"])]),
    (r"\psi_t(x) = (1 - (1-\sigma_{\min})t)x + t x_1", [("exact", [])]),
    (r"\psi_t(x) = (1 - t)x + (1-\sigma_{\min}) t x_1", [("inconsistent", ["rhs"])]),
    # the VE path with ^\prime, the field written with the sign folded into (x_1 − x)
    (r"u_t(x \mid x_1) = \frac{\sigma_{1-t}^{\prime}}{\sigma_{1-t}}(x_1 - x)", [("exact", [])]),
    (r"u_t(x \mid x_1) = \frac{\sigma_{1-t}^{\prime}}{\sigma_{1-t}^2}(x_1 - x)", [("inconsistent", ["rhs"])]),
    # the VP field beside its own path; a path without the square root; α_t as the VP mean coefficient
    (r"u_t(x \mid x_1) = \frac{\alpha_{1-t}'}{1-\alpha_{1-t}^2}(\alpha_{1-t} x - x_1), \quad \mu_t(x_1) = \alpha_{1-t}x_1, "
     r"\quad \sigma_t(x_1) = \sqrt{1-\alpha_{1-t}^2}", [("exact", [])] * 3),
    (r"\mu_t(x_1) = \alpha_{1-t}x_1, \quad \sigma_t(x_1) = 1-\alpha_{1-t}^2", [("exact", []), ("inconsistent", ["variance"])]),
    (r"\alpha_t = e^{-\frac{1}{2}\int_0^t \beta(s)ds}, \quad \mu_t(x_1) = \alpha_{1-t}x_1", [("exact", []), ("exact", [])]),
    (r"\alpha_t = e^{-\int_0^t \beta(s)ds}, \quad \mu_t(x_1) = \alpha_{1-t}x_1", [("inconsistent", ["rhs"]), ("exact", [])]),
])
def test_flow_matching_conditional_paths(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Ho & Salimans' λ-indexed kernel with its schedule as a sigmoid of λ beside it (other state letter x_λ)
    (r"q(\mathbf{x}_\lambda\mid\mathbf{x}) = \mathcal{N}(\alpha_\lambda\mathbf{x}, \sigma_\lambda^2\mathbf{I}), \quad "
     r"\sigma_\lambda^2 = \frac{1}{1+e^{\lambda}}", [("exact", [])]),
    (r"q(\mathbf{x}_\lambda\mid\mathbf{x}) = \mathcal{N}(\alpha_\lambda\mathbf{x}, \sigma_\lambda^2\mathbf{I}), \quad "
     r"\sigma_\lambda^2 = \frac{1}{1+e^{-\lambda}}", [("inconsistent", ["variance"])]),
    # the reverse kernel between λ and λ' with its mean named m and defined beside it (kernel_named_mean.py)
    (r"q(z_{\lambda'}\mid z_\lambda, x) = \mathcal{N}(m_{\lambda'|\lambda}(z_\lambda, x), (1-e^{\lambda-\lambda'})\sigma_{\lambda'}^2 I), "
     r"\quad m_{\lambda'|\lambda} = e^{\lambda-\lambda'}\frac{\alpha_{\lambda'}}{\alpha_\lambda}z_\lambda + (1-e^{\lambda-\lambda'})\alpha_{\lambda'}x",
     [("exact", [])]),
    (r"q(z_{\lambda'}\mid z_\lambda, x) = \mathcal{N}(m_{\lambda'|\lambda}(z_\lambda, x), (1-e^{\lambda'-\lambda})\sigma_{\lambda'}^2 I), "
     r"\quad m_{\lambda'|\lambda} = e^{\lambda-\lambda'}\frac{\alpha_{\lambda'}}{\alpha_\lambda}z_\lambda + (1-e^{\lambda-\lambda'})\alpha_{\lambda'}x",
     [("inconsistent", ["variance"])]),
    # the posterior mean alone: the ratio of α's inverted is wrong in the z coefficient only
    (r"\tilde\mu_{\lambda'|\lambda}(z_\lambda, x) = e^{\lambda-\lambda'}\frac{\alpha_{\lambda}}{\alpha_{\lambda'}}z_\lambda + (1-e^{\lambda-\lambda'})\alpha_{\lambda'}x",
     [("inconsistent", ["mean.x"])]),
    (r"\sigma_\lambda^2 = \frac{1}{1+e^{\lambda}}", [("exact", [])]),
    (r"\sigma_\lambda^2 = \frac{1}{1+e^{-\lambda}}", [("inconsistent", ["rhs"])]),
    # DDPM's posterior with μ̃_t(x_t, x_0) named in the kernel and defined beside it (Ho et al. 2020, Eq. 6-7)
    (r"q(x_{t-1}\mid x_t, x_0) = \mathcal{N}(x_{t-1}; \tilde{\mu}_t(x_t, x_0), \tilde\beta_t I), \quad \tilde\mu_t = "
     r"\frac{\sqrt{\bar\alpha_{t}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t",
     [("inconsistent", ["mean.x0"])]),
])
def test_log_snr_indexed_notation(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, hints, expected", [
    # an integral over λ between λ_s and λ_t keeps its limits (DPM-Solver's exact solution, Lu et al. 2022b, Eq. 3.1)
    (r"x_t = \frac{\sigma_t}{\sigma_s}x_s + \sigma_t\int_{\lambda_s}^{\lambda_t} e^{\lambda}\hat{x}_\theta(\hat{x}_\lambda, \lambda)\,d\lambda",
     None, [("exact", [])]),
    # the data estimate from a (guided) noise estimate in the latent notation, α_{λ_s}, σ_{λ_s} at another time letter
    (r"\tilde{x}_s = (z_s - \sigma_{\lambda_s}\tilde{\epsilon}_s)/\alpha_{\lambda_s}", None, [("exact", [])]),
    (r"\tilde{x}_s = (z_s + \sigma_{\lambda_s}\tilde{\epsilon}_s)/\alpha_{\lambda_s}", None, [("inconsistent", ["rhs"])]),
    (r"\hat{\mathbf{x}}_t = \frac{\mathbf{z}_t - \alpha_t\hat{\boldsymbol\epsilon}_t}{\sigma_t}", None, [("inconsistent", ["rhs"])]),
    # the deterministic DDIM step from x̂_0 and ε̂ (v-diffusion's eta = 0 step), at another pair of time letters
    (r"z_{t-1} = \alpha_{t-1}\hat{x}_0 + \sigma_{t-1}\hat\epsilon", {"notation": "vdm"}, [("exact", [])]),
    (r"z_{t-1} = \alpha_{t-1}\hat{x}_0 - \sigma_{t-1}\hat\epsilon", {"notation": "vdm"}, [("inconsistent", ["rhs"])]),
    (r"z_{s} = \alpha_t\hat{x}_0 + \sigma_s\hat\epsilon", {"notation": "vdm"}, [("inconsistent", ["rhs"])]),
])
def test_latent_estimates(text, hints, expected):
    assert _verdicts(text, hints) == expected


@pytest.mark.parametrize("text, expected", [
    # DDPM's Alg. 1 written as two lines, with a class label y as the network's conditioning (train_step.py)
    (r"x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, \quad \text{take gradient descent step on } "
     r"\nabla_\theta\left\|\epsilon - \epsilon_\theta(x_t, y)\right\|^2", [("exact", [])]),
    # a wrong input is named on the input's definition
    (r"x_t = \sqrt{\bar\alpha_t}x_0 + (1-\bar\alpha_t)\epsilon, \quad \nabla_\theta\left\|\epsilon - \epsilon_\theta(x_t, t)\right\|^2",
     [("inconsistent", ["variance"])]),
    # VDM's latent notation with a prompt y; a residual that does not vanish at the ideal network
    (r"\mathbf{z}_t = \alpha_t\mathbf{x} + \sigma_t\boldsymbol\epsilon, \quad \nabla_\theta\left\|\boldsymbol\epsilon_\theta"
     r"(\mathbf{z}_t, \mathbf{y}) - \boldsymbol\epsilon\right\|^2", [("exact", [])]),
    (r"\mathbf{z}_t = \alpha_t\mathbf{x} + \sigma_t\boldsymbol\epsilon, \quad \nabla_\theta\left\|\boldsymbol\epsilon_\theta"
     r"(\mathbf{z}_t, \mathbf{y}) - \mathbf{z}_t\right\|^2", [("inconsistent", ["rhs"])]),
])
def test_training_step_with_its_input(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the truncated cosine λ with other constant letters, inline, and with its ends swapped or halved (logsnr_truncated.py)
    (r"\lambda(u) = -2\log\tan\left(c\,u + d\right), \quad d = \arctan\left(e^{-\lambda_{\max}/2}\right), \quad "
     r"c = \arctan\left(e^{-\lambda_{\min}/2}\right) - d", [("exact", [])]),
    (r"\lambda(u) = -2\log\tan\left(c\,u + d\right), \quad d = \arctan\left(e^{-\lambda_{\min}/2}\right), \quad "
     r"c = \arctan\left(e^{-\lambda_{\max}/2}\right) - d", [("inconsistent", ["rhs"])]),
    (r"\lambda_t = -2\log\tan\left(\arctan(e^{-\lambda_{\max}/2}) + t\left(\arctan(e^{-\lambda_{\min}/2}) - "
     r"\arctan(e^{-\lambda_{\max}/2})\right)\right)", [("exact", [])]),
    (r"\lambda = -2\log\tan(au + b), \quad b = \arctan(e^{-\lambda_{\max}}), \quad a = \arctan(e^{-\lambda_{\min}}) - b",
     [("inconsistent", ["rhs"])]),
])
def test_truncated_cosine_log_snr(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the VP state and the VE-scaled state (Karras et al. 2022, Eq. 4; ve_vp_states.py), labels as \text or \mathrm
    (r"\mathbf{x}^{\text{VE}}_t = \sqrt{1+\sigma_t^2}\,\mathbf{x}^{\text{VP}}_t", [("exact", [])]),
    (r"\mathbf{x}^{\text{VE}}_t = \sqrt{1+\sigma_t^2}\,\mathbf{x}^{\text{VP}}_t, \quad \sigma_t = \sqrt{(1-\bar\alpha_t)/\bar\alpha_t}",
     [("exact", []), ("exact", [])]),
    (r"\mathbf{x}^{\text{VE}}_t = \sqrt{1+\sigma_t^2}\,\mathbf{x}^{\text{VP}}_t, \quad \sigma_t = \sqrt{1-\bar\alpha_t}",
     [("exact", []), ("inconsistent", ["rhs"])]),
    (r"x^{\mathrm{VP}}_t = \sqrt{\bar\alpha_t}\,x^{\mathrm{VE}}_t", [("exact", [])]),
    (r"x^{\mathrm{VP}}_t = \frac{x^{\mathrm{VE}}_t}{\sigma_t^2 + 1}", [("inconsistent", ["rhs"])]),
    (r"x^{\mathrm{VE}} = x_t^{\mathrm{VP}}\sqrt{\bar\alpha_t}", [("inconsistent", ["rhs"])]),
])
def test_ve_and_vp_scaled_states(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the flow on the noise sample and its time derivative, the CFM target (Lipman et al. 2023, Eq. 22-23)
    (r"\psi_t(x_0) = (1 - (1-\sigma_{\min})t)x_0 + t x_1", [("exact", [])]),
    (r"\frac{d}{dt}\psi_t(x_0) = x_1 - (1-\sigma_{\min})x_0", [("exact", [])]),
    (r"\frac{d}{dt}\psi_t(x_0) = x_1 - (1-\sigma_{\min})t x_0", [("inconsistent", ["rhs"])]),
    # no schedule symbol: the straight path of σ_min = 0 (rectified flow), or the path stated beside the field
    (r"u_t(x|x_1) = \frac{x_1 - x}{1-t}", [("exact", [])]),
    (r"u_t(x|x_1) = \frac{x_1 - x}{t}", [("inconsistent", ["rhs"])]),
    (r"u_t(x|x_1) = -\frac{x - x_1}{1-t}, \quad \mu_t(x_1) = x_1, \quad \sigma_t(x_1) = 1 - t", [("exact", [])]),
])
def test_flow_on_the_noise_sample(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the forward transition between λ' and λ (VDM's q(z_t | z_s), Eq. 4) in Ho & Salimans' letters, and its variance
    (r"q(\mathbf{z}_\lambda\mid\mathbf{z}_{\lambda'}) = \mathcal{N}((\alpha_\lambda/\alpha_{\lambda'})\mathbf{z}_{\lambda'}, "
     r"\sigma_{\lambda|\lambda'}^2\mathbf{I}), \quad \sigma_{\lambda|\lambda'}^2 = (1-e^{\lambda-\lambda'})\sigma_\lambda^2", [("exact", [])]),
    (r"\sigma_{\lambda|\lambda'}^2 = (1-e^{\lambda'-\lambda})\sigma_\lambda^2", [("inconsistent", ["rhs"])]),
    # Alg. 2's sampler lines: the guided estimate named by its time, the next state from the estimates at λ_{t+1}
    (r"\tilde{\boldsymbol\epsilon}_t = (1+w)\boldsymbol\epsilon_\theta(\mathbf{z}_{\lambda_t}, \mathbf{c}) - w\boldsymbol\epsilon_\theta(\mathbf{z}_{\lambda_t})",
     [("exact", [])]),
    (r"\tilde{\boldsymbol\epsilon}_t = (1+w)\boldsymbol\epsilon_\theta(\mathbf{z}_t, \mathbf{c}) + w\boldsymbol\epsilon_\theta(\mathbf{z}_t)",
     [("inconsistent", ["rhs"])]),
    (r"\mathbf{z}_{\lambda_{t+1}} = \alpha_{\lambda_{t+1}}\tilde{\mathbf{x}}_t + \sigma_{\lambda_{t+1}}\tilde{\boldsymbol\epsilon}_t",
     [("exact", [])]),
    (r"\mathbf{z}_{\lambda_{t+1}} = \alpha_{\lambda_{t}}\tilde{\mathbf{x}}_t + \sigma_{\lambda_{t+1}}\tilde{\boldsymbol\epsilon}_t",
     [("inconsistent", ["rhs"])]),
])
def test_ho_salimans_sampler_lines(text, expected):
    assert _verdicts(text) == expected


_COS = (r"\bar\alpha(u) = \frac{\cos^2\left(\frac{u + s}{1 + s}\cdot\frac{\pi}{2}\right)}"
        r"{\cos^2\left(\frac{s}{1 + s}\cdot\frac{\pi}{2}\right)}")


@pytest.mark.parametrize("text, expected", [
    # the continuous cosine ᾱ(u) beside the chain's β built from it on the grid n/N: the definition is the chain's ᾱ_t
    (r"\beta_n = \min\left(1 - \frac{\bar\alpha(n/N)}{\bar\alpha((n-1)/N)}, 0.999\right), \quad " + _COS,
     [("exact", []), ("exact", [])]),
    # without the clip, β_T = 1 with the cosine ᾱ of the cell (issue 13: an unclipped cosine β is ill-defined at T)
    (r"\beta_n = 1 - \frac{\bar\alpha(n/N)}{\bar\alpha((n-1)/N)}, \quad " + _COS, [("ill-defined", ["rhs"]), ("exact", [])]),
])
def test_continuous_abar_defined_beside_its_grid(text, expected):
    assert _verdicts(text) == expected


@pytest.mark.parametrize("text, ok", [
    # v-diffusion's schedule pair in code (code_schedule_pair.py): VDM's α_t, σ_t, never EDM's σ(t) = √t
    ("alpha, sigma = torch.cos(t * math.pi / 2), torch.sin(t * math.pi / 2)", True),
    ("alpha = np.cos(0.5 * math.pi * t)\nsigma = np.sin(0.5 * math.pi * t)", True),
    ("alpha, sigma = torch.cos(t * math.pi / 2), torch.cos(t * math.pi / 2)", False),
])
def test_code_schedule_pair(text, ok):
    v = _worst(text)
    assert (v.verdict in ("exact", "consistent")) == ok, v.detail
