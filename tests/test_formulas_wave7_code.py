"""Issue 13, seventh wave (code): one-line code of the diffusion code bases, read as the code base means it. Each rule
is stated for a code base's vocabulary or construct (never for one formula); every line here is written for this test
(rearranged, other spellings, other lines of the same code), with wrong variants that must stay wrong:

* diffusers' DPMSolverMultistepScheduler steps from s to t (``sample`` is x_s) and its ``model_output`` is the data
  prediction where the line scales it by α_t, the noise prediction where by σ_t (code_solvers.py);
* k-diffusion's DPM-Solver++ samplers work in Karras et al.'s scaling s(t) = 1: x̃/α and σ/α (code_vocab.py);
* a bare ``sigma`` beside ``alpha_t``/``sigma_t`` (diffusers' _sigma_to_alpha_sigma_t), and the Euler-family
  schedulers' ``sample``/``sigma``, are Karras et al.'s noise level σ_t/α_t and state x_t/α_t; scale_model_input
  returns x_t (code_solvers.py);
* diffusers' generic ``model_output`` read as the v-prediction gives ``consistent`` where the ε reading fails
  (code_outputs.py); get_velocity's ``sample`` is the clean x_0.
"""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("text, verdict, terms", [
    # diffusers' DPM-Solver first-order updates, rearranged
    ("x_t = sample * (sigma_t / sigma_s) + alpha_t * (1.0 - torch.exp(-h)) * model_output", "exact", None),
    ("x_t = sample * (alpha_t / alpha_s) + sigma_t * (1.0 - torch.exp(h)) * model_output", "exact", None),
    ("x_t = sample * (sigma_s / sigma_t) + alpha_t * (1.0 - torch.exp(-h)) * model_output", "inconsistent", ["mean.x"]),
    ("x_t = sample * (alpha_t / alpha_s) + sigma_t * (1.0 - torch.exp(-h)) * model_output", "inconsistent", ["mean.eps"]),
    # k-diffusion's DPM-Solver++(2M) update with D_i, and a wrong sign of h
    ("x = sigma_fn(t_next) / sigma_fn(t) * x + (1 - torch.exp(-h)) * denoised_d", "exact", None),
    ("x = sigma_fn(t_next) / sigma_fn(t) * x - h.expm1() * denoised_d", "inconsistent", None),
])
def test_dpm_solver_lines_of_the_code_bases(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert set(v.terms) <= set(terms) and v.terms, v.terms


@pytest.mark.parametrize("text, verdict", [
    ("sigma_t = alpha_t * sigma", "exact"),
    ("alpha_t = (1 + sigma ** 2) ** -0.5", "exact"),
    ("alpha_t = torch.rsqrt(sigma * sigma + 1)", "exact"),
    ("sigma_t = sigma / alpha_t", "inconsistent"),
    ("alpha_t = (1 + sigma) ** -0.5", "inconsistent"),
    ("sample = sample * (sigma ** 2 + 1) ** -0.5", "exact"),
    ("sample = sample / (sigma + 1) ** 0.5", "inconsistent"),
    ("sample = sample * (sigma ** 2 + 1) ** 0.5", "inconsistent"),
])
def test_karras_noise_level_beside_the_vp_notation(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # the v-prediction branch written with the cumulative product inlined: consistent (a v-predicting model's line)
    ("pred_original_sample = alphas_cumprod[t] ** 0.5 * sample - (1 - alphas_cumprod[t]) ** 0.5 * model_output", "consistent"),
    ("pred_original_sample = alphas_cumprod[t] ** 0.5 * sample - (1 - alphas_cumprod[t]) * model_output", "inconsistent"),
    # the ε branch keeps its exact verdict
    ("pred_original_sample = (sample - beta_prod_t ** 0.5 * model_output) / alpha_prod_t ** 0.5", "exact"),
    # get_velocity: sample is the clean data
    ("velocity = alpha_prod_t ** 0.5 * noise - beta_prod_t ** 0.5 * sample", "exact"),
    ("velocity = alpha_prod_t ** 0.5 * noise + beta_prod_t ** 0.5 * sample", "inconsistent"),
])
def test_diffusers_generic_model_output(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # noise levels spaced evenly in log σ: increasing (Song et al. 2021, App. C) and in sampling order (decreasing)
    ("sigmas = torch.exp(torch.linspace(math.log(sigma_max), math.log(sigma_min), n))", "exact"),
    ("discrete_sigmas = torch.linspace(np.log(sigma_min), np.log(sigma_max), N).exp()", "exact"),
    ("sigmas = torch.exp(torch.linspace(math.log(sigma_max), math.log(sigma_min), n)) ** 2", "inconsistent"),
    # score_sde's discrete β_i = β̄_i / N, with the division outside or inside linspace
    ("discrete_betas = torch.linspace(beta_min, beta_max, N) / N", "exact"),
    ("discrete_betas = torch.linspace(beta_min / N, beta_max / N, N)", "exact"),
    ("discrete_betas = torch.linspace(beta_min, beta_max, N)", "inconsistent"),
])
def test_sequences_defined_by_linspace(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    ("rev_drift = drift - score * diffusion ** 2", "exact", None),
    ("rev_drift = drift - score * diffusion ** 2 / 2", "exact", None),  # probability_flow: the ½
    ("rev_drift = drift - score * diffusion", "inconsistent", ["drift"]),
    ("rev_drift = drift + score * diffusion ** 2 / 2", "inconsistent", ["drift"]),
    ("std = torch.sqrt(1 - torch.exp(log_mean_coeff * 2))", "exact", None),
    ("std = torch.sqrt(1 - torch.exp(log_mean_coeff))", "inconsistent", ["variance"]),
])
def test_sde_lib_interface_statements(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms and set(v.terms) <= set(terms), v.terms


@pytest.mark.parametrize("text, verdict", [
    # score_sde's per-example losses (losses.py): λ = σ² and the likelihood weighting λ = g², the weight on either side
    ("losses = torch.square(std * score + z)", "exact"),
    ("losses = g2 * torch.square(z / std + score)", "exact"),
    ("losses = torch.square(z / std + score) * g2", "exact"),
    ("losses = torch.square(std * score + 2 * z)", "inconsistent"),
    ("losses = g2 * torch.square(score - z / std)", "inconsistent"),
    # VDM's loss_diff estimates L_∞ (t ~ U(0, 1) per example)
    ("loss_diff = 0.5 * g_t_grad * jnp.sum((eps_hat - eps) ** 2, axis=[1, 2, 3])", "exact"),
    ("loss_diff = g_t_grad * jnp.sum((eps_hat - eps) ** 2, axis=[1, 2, 3])", "inconsistent"),
    # a torch training line with method calls inside the network's input
    ("loss = (model((1 - alphas_cumprod[t]).sqrt() * noise + alphas_cumprod[t].sqrt() * x0, t) - noise).square().mean()", "exact"),
    ("loss = (model((1 - alphas_cumprod[t]).sqrt() * noise + alphas_cumprod[t] * x0, t) - noise).square().mean()", "inconsistent"),
])
def test_code_losses(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # k-diffusion's churn factor: Python's min, len(sigmas) = N + 1 (get_sigmas_* append σ = 0)
    ("gamma = min(2 ** 0.5 - 1, s_churn / (len(sigmas) - 1))", "exact"),
    ("gamma = min(2 ** 0.5 - 1, s_churn / len(sigmas) - 1)", "inconsistent"),
    # sample_heun's update with dt and d_prime = (d + d_2) / 2
    ("x = x + dt * (d_2 + d) / 2", "exact"),
    ("x = x + dt * (d_2 - d) / 2", "inconsistent"),
    ("x = x + d_prime * dt", "exact"),
    # EDM's VP noise level with β_d written as code
    ("sigma = (torch.exp(0.5 * beta_d * t ** 2 + beta_min * t) - 1) ** 0.5", "exact"),
    ("sigma = (torch.exp(0.5 * beta_d * t + beta_min * t) - 1) ** 0.5", "inconsistent"),
])
def test_karras_sampler_lines(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict, terms", [
    # Ho et al.'s diffusion_utils_2.py names, over whole arrays
    ("posterior_mean_coef1 = np.sqrt(alphas_cumprod_prev) * betas / (1 - alphas_cumprod)", "exact", None),
    ("posterior_mean_coef2 = np.sqrt(alphas) * (1 - alphas_cumprod_prev) / (1 - alphas_cumprod)", "exact", None),
    ("posterior_mean_coef1 = np.sqrt(alphas_cumprod) * betas / (1 - alphas_cumprod)", "inconsistent", ["mean.x0"]),
    ("posterior_mean_coef2 = alphas * (1 - alphas_cumprod_prev) / (1 - alphas_cumprod)", "inconsistent", ["mean.x"]),
    # diffusers' names in its step, from the ᾱ names
    ("pred_original_sample_coeff = alpha_prod_t_prev ** 0.5 * current_beta_t / beta_prod_t", "exact", None),
    ("current_sample_coeff = current_alpha_t ** 0.5 * beta_prod_t_prev / beta_prod_t", "exact", None),
])
def test_posterior_mean_coefficients(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms and set(v.terms) <= set(terms), v.terms


@pytest.mark.parametrize("text, verdict", [
    # diffusers' betas_for_alpha_bar, the clip written with max_beta's default, and without the clip
    ("betas.append(min(max_beta, 1 - alpha_bar_fn(t2) / alpha_bar_fn(t1)))", "exact"),
    ("betas.append(1 - alpha_bar_fn(t2) / alpha_bar_fn(t1))", "exact"),
    ("betas.append(min(max_beta, alpha_bar_fn(t2) / alpha_bar_fn(t1)))", "inconsistent"),
    # k-diffusion's Denoiser.loss target, rearranged, and with c_skip misplaced
    ("target = input / c_out - c_skip * noised_input / c_out", "exact"),
    ("target = (noised_input - c_skip * input) / c_out", "inconsistent"),
])
def test_code_array_appends_and_targets(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # DDIMScheduler.step: std_dev_t from _get_variance (DDIM's σ_t² at η = 1)
    ("std_dev_t = eta * torch.sqrt(variance)", "exact"),
    ("std_dev_t = eta * variance", "inconsistent"),
    # the posterior mean from its named coefficients (Ho et al.'s and diffusers' names on the right side)
    ("model_mean = posterior_mean_coef2 * x_t + posterior_mean_coef1 * pred_xstart", "exact"),
    ("model_mean = posterior_mean_coef1 * x_t + posterior_mean_coef2 * pred_xstart", "inconsistent"),
    ("pred_prev_sample = current_sample_coeff * sample + pred_original_sample_coeff * pred_original_sample", "exact"),
    # VDM's α_t, σ_t from γ: a tie between the VDM names and the DPM-Solver names goes to VDM's
    ("alpha_t = jnp.sqrt(nn.sigmoid(-g_t))", "exact"),
    ("sigma_t = jnp.sqrt(1 - nn.sigmoid(-g_t))", "exact"),
    ("alpha_t = jnp.sqrt(nn.sigmoid(g_t))", "inconsistent"),
])
def test_named_pieces_on_the_right_side(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # k-diffusion's get_ancestral_step: DDIM's σ_t(η) and its direction coefficient in Karras et al.'s scaling
    ("sigma_up = min(sigma_to, eta * sigma_to * (1 - sigma_to ** 2 / sigma_from ** 2) ** 0.5)", "exact"),
    ("sigma_up = min(sigma_to, eta * sigma_to * (1 - sigma_from ** 2 / sigma_to ** 2) ** 0.5)", "ill-defined"),  # √(<0)
    ("sigma_down = (sigma_to * sigma_to - sigma_up * sigma_up) ** 0.5", "exact"),
    ("sigma_down = sigma_to - sigma_up", "inconsistent"),
])
def test_ancestral_step_levels(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # guided/improved diffusion's _extract_into_tensor and the Annotated Diffusion Model's extract: the array at t
    ("pred_xstart = _extract_into_tensor(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t"
     " - _extract_into_tensor(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape) * eps", "exact"),
    ("x0 = extract(sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t - extract(sqrt_recip_alphas_cumprod, t, x_t.shape) * noise",
     "inconsistent"),
    # torch.tensor(v, device=…) is v
    ("diffusion = sigma * torch.sqrt(torch.tensor(2 * np.log(self.sigma_max / self.sigma_min), device=t.device))", "exact"),
    # alpha_bar beside alpha_bar_prev is the current step's ᾱ_t (guided-diffusion's ddim_sample)
    ("sigma = eta * th.sqrt((1 - alpha_bar / alpha_bar_prev) * (1 - alpha_bar_prev) / (1 - alpha_bar))", "exact"),
    ("sigma = eta * th.sqrt((1 - alpha_bar / alpha_bar_prev) * (1 - alpha_bar) / (1 - alpha_bar_prev))", "inconsistent"),
])
def test_code_helpers_and_step_names(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # diffusers' Euler-family step in Karras et al.'s scaling: ε-prediction, and v-prediction (consistent, as read)
    ("pred_original_sample = sample - model_output * sigma", "exact"),
    ("pred_original_sample = sample - model_output * sigma ** 2", "inconsistent"),
    ("pred_original_sample = sample / (sigma ** 2 + 1) - sigma * model_output / (sigma ** 2 + 1) ** 0.5", "consistent"),
    ("pred_original_sample = sample / (sigma ** 2 + 1) + sigma * model_output / (sigma ** 2 + 1) ** 0.5", "inconsistent"),
])
def test_euler_family_outputs(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # ermongroup/ddim's ddpm_steps names
    ("x0_from_e = x / at.sqrt() - (1 / at - 1).sqrt() * e", "exact"),
    ("x0_from_e = x / at.sqrt() - (1 - at).sqrt() * e", "inconsistent"),
    ("mean_eps = (x * (1 - atm1) * (1 - beta_t).sqrt() + x0_from_e * beta_t * atm1.sqrt()) / (1 - at)", "exact"),
    ("mean_eps = (x * (1 - atm1) * (1 - beta_t) + x0_from_e * beta_t * atm1.sqrt()) / (1 - at)", "inconsistent"),
])
def test_ddim_repository_ddpm_steps(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # score_sde's Euler-Maruyama predictor with dt undefined (dt = −1/N): the noise scaled by √(−dt), not by −dt
    ("x = x + (-0.5 * beta_t * x - beta_t * score) * dt + np.sqrt(-beta_t * dt) * z", "exact"),
    ("x = x + (-0.5 * beta_t * x - beta_t * score) * dt - np.sqrt(beta_t) * dt * z", "inconsistent"),
    # (no dt in the cell: the ancestral step of Song et al.'s Eq. 47 keeps its own reading)
    ("x = torch.sqrt(betas[i]) * z + (x + betas[i] * score(x, i)) / torch.sqrt(1 - betas[i])", "exact"),
])
def test_score_sde_reverse_step_dt(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # eps in a sampler's update to the previous step is the network's ε_θ (DDIM Eq. 12, σ_t = 0, as code)
    ("x_prev = alpha_bar_prev ** 0.5 * (x - (1 - alpha_bar) ** 0.5 * eps) / alpha_bar ** 0.5"
     " + (1 - alpha_bar_prev) ** 0.5 * eps", "exact"),
    ("x_prev = alpha_bar_prev ** 0.5 * (x - (1 - alpha_bar) ** 0.5 * eps) / alpha_bar ** 0.5"
     " + (1 - alpha_bar_prev) * eps", "inconsistent"),
    # a forward sample keeps eps the noise
    ("x_t = alpha_bar ** 0.5 * x0 + (1 - alpha_bar) ** 0.5 * eps", "exact"),
])
def test_eps_in_a_sampler_update(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
