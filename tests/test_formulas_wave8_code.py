"""Issue 13, eighth wave (code): a block of code pasted for a formula is read as the straight-line programs it runs
(scoresde/formulas/code_blocks.py) in the vocabulary of the code base it comes from (code_vocab.py). Every block here
is written for this test from other functions of the code bases (lucidrains' q_sample and predict_noise_from_start,
guided-diffusion's _predict_eps_from_xstart, NCSNv2's Langevin loop, CompVis' p_sample_ddim with its lookups,
improved-diffusion's get_named_beta_schedule), with wrong variants that must stay wrong and name the wrong term:

* fences, ``def`` headers, loops, ``register_buffer``, ``self.``, ``extract``/``_extract_into_tensor``, ``.view``/
  ``.squeeze``, ``torch.full``, lucidrains' ``default`` and CompVis' ``noise_like``/``temperature`` carry no mathematics;
* an ``if``/``else`` is one formula per branch; ``return`` takes the name the function's name states, or what the
  value combines (fresh noise added to a mean: the sampler's next state);
* the vocabularies of CompVis' DDIM sampler (α = ᾱ), lucidrains' ddim_sample, NCSN's Langevin loop and DSM loss,
  diffusers' EulerDiscreteScheduler.step (EDM Alg. 2) and DPM-Solver's reference ``model_s``; CompVis' ``e_t`` beside
  ``e_t_uncond`` in classifier-free guidance; a schedule quantity the code base names (σ_t, t̂_i, γ_i) is its own
  formula and read by name after it;
* a schedule on whole arrays over the grid t = 0 … T (``linspace(0, T, T + 1) / T``): ``a[0]`` is a at t = 0,
  ``a[1:] / a[:-1]`` is a_t / a_{t−1}; a function's numeric defaults are its values and its ``timesteps`` is T;
* a state updated twice (k-diffusion's churn then Euler step; EDM's Euler predictor then Heun corrector) is one
  formula per step, the corrector written in its slopes d_i, d'_i (each its own formula);
* a return with no function around it: (x − σ·y)/α is x̂_0 from the noise prediction y, (x − α·y)/σ the noise from
  the data prediction y (the noise prediction is scaled by σ, the data prediction by α).
"""
import pytest

from scoresde.formulas import verify_formula
from scoresde.formulas.code_blocks import code_programs

_GOOD = ("exact", "consistent")


@pytest.mark.parametrize("text, verdict, terms", [
    pytest.param("```python\nregister_buffer('sqrt_alphas_cumprod', torch.sqrt(alphas_cumprod))\nregister_buffer('sqrt_one_minus_alphas_cumprod', torch.sqrt(1. - alphas_cumprod))\n```",
                 'exact', None, id='buffers'),
    pytest.param("```python\nregister_buffer('sqrt_alphas_cumprod', torch.sqrt(alphas_cumprod))\nregister_buffer('posterior_variance', betas * (1. - alphas_cumprod) / (1. - alphas_cumprod_prev))\n```",
                 'inconsistent', ['rhs'], id='buffers-wrong'),
    pytest.param('```python\ndef q_sample(self, x_start, t, noise=None):\n    noise = default(noise, lambda: torch.randn_like(x_start))\n    return (\n        extract(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start +\n        extract(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise\n    )\n```',
                 'exact', None, id='q_sample'),
    pytest.param('def q_sample(self, x_start, t, noise):\n    return (\n        _extract_into_tensor(self.alphas_cumprod, t, x_start.shape) * x_start\n        + _extract_into_tensor(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise\n    )',
                 'inconsistent', ['mean.x0'], id='q_sample-wrong'),
    pytest.param('def predict_noise_from_start(self, x_t, t, x0):\n    return (\n        (extract(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t - x0) / \\\n        extract(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape)\n    )',
                 'exact', None, id='noise-from-start'),
    pytest.param('def _predict_eps_from_xstart(self, x_t, t, pred_xstart):\n    return (\n        _extract_into_tensor(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t - pred_xstart\n    ) * _extract_into_tensor(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape)',
                 'inconsistent', ['rhs'], id='noise-from-start-wrong'),
    pytest.param('```python\nmodel_mean = sqrt_recip_alphas_t * (x - betas_t / sqrt_one_minus_alphas_cumprod_t * model(x, t))\nif t > 0:\n    z = torch.randn_like(x)\n    return model_mean + torch.sqrt(betas_t) * z\nreturn model_mean\n```',
                 'exact', None, id='p-sample-branch'),
    pytest.param('```python\nmodel_mean = sqrt_recip_alphas_t * (x - betas_t / sqrt_one_minus_alphas_cumprod_t * model(x, t))\nif t > 0:\n    z = torch.randn_like(x)\n    return model_mean + betas_t * z\nreturn model_mean\n```',
                 'inconsistent', ['variance'], id='p-sample-branch-wrong'),
    pytest.param('```python\nif self.predict_x0:\n    x_t = sigma_t / sigma_s * x - alpha_t * torch.expm1(-h) * model_s\nelse:\n    x_t = torch.exp(log_alpha_t - log_alpha_s) * x - sigma_t * torch.expm1(h) * model_s\n```',
                 'exact', None, id='dpm-variants'),
    pytest.param('```python\nif self.predict_x0:\n    x_t = sigma_t / sigma_s * x - alpha_t * torch.expm1(-h) * model_s\nelse:\n    x_t = torch.exp(log_alpha_t - log_alpha_s) * x - sigma_t * torch.expm1(-h) * model_s\n```',
                 'inconsistent', ['mean.eps'], id='dpm-variants-wrong'),
    pytest.param('```python\nfor c, sigma in enumerate(sigmas):\n    labels = torch.ones(x_mod.shape[0], device=x_mod.device) * c\n    labels = labels.long()\n    step_size = step_lr * (sigma / sigmas[-1]) ** 2\n    for s in range(n_steps_each):\n        grad = scorenet(x_mod, labels)\n        noise = torch.randn_like(x_mod)\n        x_mod = x_mod + step_size * grad + noise * np.sqrt(step_size * 2)\n```',
                 'exact', None, id='ncsnv2-langevin'),
    pytest.param('```python\nfor c, sigma in enumerate(sigmas):\n    step_size = step_lr * (sigma / sigmas[-1]) ** 2\n    for s in range(n_steps_each):\n        grad = scorenet(x_mod, labels)\n        noise = torch.randn_like(x_mod)\n        x_mod = x_mod + step_size * grad + noise * np.sqrt(step_size)\n```',
                 'inconsistent', ['variance'], id='ncsnv2-langevin-wrong'),
    pytest.param('```python\na_t = torch.full((b, 1, 1, 1), alphas[index], device=device)\na_prev = torch.full((b, 1, 1, 1), alphas_prev[index], device=device)\nsigma_t = torch.full((b, 1, 1, 1), sigmas[index], device=device)\nsqrt_one_minus_at = torch.full((b, 1, 1, 1), sqrt_one_minus_alphas[index], device=device)\npred_x0 = (x - sqrt_one_minus_at * e_t) / a_t.sqrt()\ndir_xt = (1. - a_prev - sigma_t**2).sqrt() * e_t\nnoise = sigma_t * noise_like(x.shape, device, repeat_noise) * temperature\nx_prev = a_prev.sqrt() * pred_x0 + dir_xt + noise\n```',
                 'exact', None, id='compvis-ddim'),
    pytest.param('```python\npred_x0 = (x - sqrt_one_minus_at * e_t) / a_t.sqrt()\ndir_xt = (1. - a_prev).sqrt() * e_t\nnoise = sigma_t * noise_like(x.shape, device, repeat_noise) * temperature\nx_prev = a_prev.sqrt() * pred_x0 + dir_xt + noise\n```',
                 'inconsistent', ['mean.eps'], id='compvis-ddim-wrong'),
    pytest.param('sigmas = eta * np.sqrt((1 - alphas) / (1 - alphas_prev) * (1 - alphas / alphas_prev))',
                 'inconsistent', ['rhs'], id='compvis-sigmas-wrong'),
    pytest.param('eps = eps_uncond + unconditional_guidance_scale * (eps - eps_uncond)',
                 'exact', None, id='cfg'),
    pytest.param('eps = eps + unconditional_guidance_scale * (eps_uncond - eps)',
                 'inconsistent', ['rhs'], id='cfg-wrong'),
    pytest.param('```python\ndef get_named_beta_schedule(schedule_name, num_diffusion_timesteps):\n    return betas_for_alpha_bar(\n        num_diffusion_timesteps,\n        lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2,\n    )\n\ndef betas_for_alpha_bar(num_diffusion_timesteps, alpha_bar, max_beta=0.999):\n    betas = []\n    for i in range(num_diffusion_timesteps):\n        t1 = i / num_diffusion_timesteps\n        t2 = (i + 1) / num_diffusion_timesteps\n        betas.append(min(1 - alpha_bar(t2) / alpha_bar(t1), max_beta))\n    return np.array(betas)\n```',
                 'consistent', None, id='iddpm-cosine'),
    pytest.param('```python\nbetas_for_alpha_bar(num_diffusion_timesteps, lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2)\nfor i in range(num_diffusion_timesteps):\n    t1 = i / num_diffusion_timesteps\n    t2 = (i + 1) / num_diffusion_timesteps\n    betas.append(min(alpha_bar(t2) / alpha_bar(t1), max_beta))\n```',
                 'inconsistent', ['rhs'], id='iddpm-cosine-wrong'),
    pytest.param('```python\nused_sigmas = sigmas[labels].view(samples.shape[0], *([1] * len(samples.shape[1:])))\nnoise = torch.randn_like(samples) * used_sigmas\nperturbed_samples = samples + noise\ntarget = - 1 / (used_sigmas ** 2) * noise\nscores = scorenet(perturbed_samples, labels)\nloss = 1 / 2. * ((scores - target) ** 2).sum(dim=-1) * used_sigmas.squeeze() ** anneal_power\n```',
                 'exact', None, id='ncsn-dsm'),
    pytest.param('```python\nnoise = torch.randn_like(samples) * used_sigmas\nperturbed_samples = samples + noise\ntarget = 1 / (used_sigmas ** 2) * noise\nscores = scorenet(perturbed_samples, labels)\nloss = 1 / 2. * ((scores - target) ** 2).sum(dim=-1) * used_sigmas.squeeze() ** anneal_power\n```',
                 'inconsistent', ['rhs'], id='ncsn-dsm-wrong'),
    pytest.param('```python\nsigma = self.sigmas[self.step_index]\ngamma = min(s_churn / (len(self.sigmas) - 1), 2 ** 0.5 - 1) if s_tmin <= sigma <= s_tmax else 0.0\nsigma_hat = sigma * (gamma + 1)\npred_original_sample = sample - sigma_hat * model_output\nderivative = (sample - pred_original_sample) / sigma_hat\ndt = self.sigmas[self.step_index + 1] - sigma_hat\nprev_sample = sample + derivative * dt\n```',
                 'exact', None, id='euler-churn'),
    pytest.param('```python\nsigma_hat = sigma * (gamma + 1)\npred_original_sample = sample - sigma_hat * model_output\nderivative = (sample - pred_original_sample) / sigma_hat\ndt = self.sigmas[self.step_index + 1] - sigma\nprev_sample = sample + derivative * dt\n```',
                 'inconsistent', ['mean.x0', 'mean.x'], id='euler-churn-wrong'),
    pytest.param('return (x - expand_dims(sigma_t, x.dim()) * output) / expand_dims(alpha_t, x.dim())',
                 'exact', None, id='dpm-data-pred'),
    pytest.param('return (x - expand_dims(alpha_t, x.dim()) * output) / expand_dims(sigma_t ** 2, x.dim())',
                 'inconsistent', ['rhs'], id='dpm-noise-pred-wrong'),
    pytest.param('```python\nsigma = eta * ((1 - alpha_next) / (1 - alpha)).sqrt() * (1 - alpha / alpha_next).sqrt()\nc = (1 - alpha_next - sigma ** 2).sqrt()\nimg = x_start * alpha_next.sqrt() + c * pred_noise + sigma * torch.randn_like(img)\n```',
                 'exact', None, id='lucid-ddim-other'),
    pytest.param('```python\nsigma = eta * ((1 - alpha_next) / (1 - alpha)).sqrt() * (1 - alpha / alpha_next).sqrt()\nc = (1 - alpha_next - sigma ** 2).sqrt()\nimg = x_start * alpha_next + c * pred_noise + sigma * torch.randn_like(img)\n```',
                 'inconsistent', ['mean.x', 'mean.eps', 'mean.x0'], id='lucid-ddim-other-wrong'),
    pytest.param('```python\neps = self._predict_eps_from_xstart(x, t, out["pred_xstart"])\nalpha_bar = _extract_into_tensor(self.alphas_cumprod, t, x.shape)\nalpha_bar_prev = _extract_into_tensor(self.alphas_cumprod_prev, t, x.shape)\nsigma = (\n    eta\n    * th.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar))\n    * th.sqrt(1 - alpha_bar / alpha_bar_prev)\n)\nnoise = th.randn_like(x)\nmean_pred = (\n    out["pred_xstart"] * th.sqrt(alpha_bar_prev)\n    + th.sqrt(1 - alpha_bar_prev - sigma ** 2) * eps\n)\nnonzero_mask = (t != 0).float().view(-1, *([1] * (len(x.shape) - 1)))\nsample = mean_pred + nonzero_mask * sigma * noise\n```',
                 'exact', None, id='gd-ddim'),
    pytest.param("```python\nnoise = default(noise, lambda: torch.randn_like(x_start))\nx = self.q_sample(x_start = x_start, t = t, noise = noise)\nmodel_out = self.model(x, t, x_self_cond)\ntarget = noise\nloss = F.mse_loss(model_out, target, reduction = 'none')\n```",
                 'exact', None, id='lucid-p-losses'),
    pytest.param('```python\nt = torch.randint(0, T, (x0.shape[0],), device=device)\nnoise = torch.randn_like(x0)\nx_t = extract(sqrt_alphas_bar, t, x0.shape) * x0 + extract(sqrt_one_minus_alphas_bar, t, x0.shape) * noise\nloss = F.mse_loss(model(x_t, t), noise)\n```',
                 'exact', None, id='ddpm-train'),
    pytest.param('```python\neps = self._predict_eps_from_xstart(x, t, out["pred_xstart"])\nalpha_bar = _extract_into_tensor(self.alphas_cumprod, t, x.shape)\nalpha_bar_prev = _extract_into_tensor(self.alphas_cumprod_prev, t, x.shape)\nsigma = eta * th.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) * th.sqrt(1 - alpha_bar / alpha_bar_prev)\nnoise = th.randn_like(x)\nmean_pred = out["pred_xstart"] * th.sqrt(alpha_bar_prev) + th.sqrt(1 - alpha_bar_prev - sigma) * eps\nnonzero_mask = (t != 0).float().view(-1, *([1] * (len(x.shape) - 1)))\nsample = mean_pred + nonzero_mask * sigma * noise\n```',
                 'inconsistent', ['mean.x0', 'mean.x', 'mean.eps'], id='gd-ddim-wrong'),
    pytest.param('```python\nt = torch.randint(0, T, (x0.shape[0],), device=device)\nnoise = torch.randn_like(x0)\nx_t = extract(sqrt_alphas_bar, t, x0.shape) * x0 + extract(one_minus_alphas_bar, t, x0.shape) * noise\nloss = F.mse_loss(model(x_t, t), noise)\n```',
                 'inconsistent', ['rhs'], id='ddpm-train-wrong'),
    pytest.param('```python\ndef linear_beta_schedule(timesteps):\n    scale = 1000 / timesteps\n    beta_start = scale * 0.0001\n    beta_end = scale * 0.02\n    return torch.linspace(beta_start, beta_end, timesteps, dtype = torch.float64)\n```',
                 'consistent', None, id='lucid-linear'),
    pytest.param('```python\ndef cosine_schedule(num_timesteps, s=0.008):\n    x = torch.linspace(0, num_timesteps, num_timesteps + 1)\n    f = torch.cos(((x / num_timesteps) + s) / (1 + s) * math.pi / 2) ** 2\n    alphas_cumprod = f / f[0]\n    betas = 1 - alphas_cumprod[1:] / alphas_cumprod[:-1]\n    return torch.clamp(betas, 0.0001, 0.9999)\n```',
                 'exact', None, id='cosine-arrays'),
    pytest.param('```python\ndef cosine_schedule(num_timesteps, s=0.008):\n    x = torch.linspace(0, num_timesteps, num_timesteps + 1)\n    f = torch.cos(((x / num_timesteps) + s) / (1 + s) * math.pi / 2) ** 2\n    alphas_cumprod = f / f[0]\n    betas = 1 - alphas_cumprod[:-1] / alphas_cumprod[1:]\n    return torch.clamp(betas, 0.0001, 0.9999)\n```',
                 'inconsistent', ['rhs'], id='cosine-arrays-wrong'),
    pytest.param('```python\nwith torch.no_grad():\n    n = x.size(0)\n    seq_next = [-1] + list(seq[:-1])\n    x0_preds = []\n    xs = [x]\n    for i, j in zip(reversed(seq), reversed(seq_next)):\n        t = (torch.ones(n) * i).to(x.device)\n        next_t = (torch.ones(n) * j).to(x.device)\n        at = compute_alpha(b, t.long())\n        at_next = compute_alpha(b, next_t.long())\n        xt = xs[-1].to(\'cuda\')\n        et = model(xt, t)\n        x0_t = (xt - et * (1 - at).sqrt()) / at.sqrt()\n        x0_preds.append(x0_t.to(\'cpu\'))\n        c1 = (\n            kwargs.get("eta", 0) * ((1 - at / at_next) * (1 - at_next) / (1 - at)).sqrt()\n        )\n        c2 = ((1 - at_next) - c1 ** 2).sqrt()\n        xt_next = at_next.sqrt() * x0_t + c1 * torch.randn_like(x) + c2 * et\n        xs.append(xt_next.to(\'cpu\'))\n```',
                 'exact', None, id='ermon-ddim'),
    pytest.param('```python\nfor i in range(n_steps):\n    grad = score_fn(x, t)\n    noise = torch.randn_like(x)\n    grad_norm = torch.norm(grad.reshape(grad.shape[0], -1), dim=-1).mean()\n    noise_norm = torch.norm(noise.reshape(noise.shape[0], -1), dim=-1).mean()\n    step_size = (target_snr * noise_norm / grad_norm) ** 2 * 2 * alpha\n    x_mean = x + step_size[:, None, None, None] * grad\n    x = x_mean + torch.sqrt(step_size * 2)[:, None, None, None] * noise\n```',
                 'exact', None, id='sde-langevin'),
    pytest.param('```python\nalpha_prod_t = self.alphas_cumprod[t]\nalpha_prod_t_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.one\nbeta_prod_t = 1 - alpha_prod_t\nbeta_prod_t_prev = 1 - alpha_prod_t_prev\ncurrent_alpha_t = alpha_prod_t / alpha_prod_t_prev\ncurrent_beta_t = 1 - current_alpha_t\npred_original_sample = (sample - beta_prod_t ** (0.5) * model_output) / alpha_prod_t ** (0.5)\npred_original_sample_coeff = (alpha_prod_t_prev ** (0.5) * current_beta_t) / beta_prod_t\ncurrent_sample_coeff = current_alpha_t ** (0.5) * beta_prod_t_prev / beta_prod_t\npred_prev_sample = pred_original_sample_coeff * pred_original_sample + current_sample_coeff * sample\n```',
                 'exact', None, id='diffusers-ddpm-step'),
    pytest.param('```python\ndef q_sample(x_start, t, noise=None):\n    if noise is None:\n        noise = torch.randn_like(x_start)\n\n    sqrt_alphas_cumprod_t = extract(sqrt_alphas_cumprod, t, x_start.shape)\n    sqrt_one_minus_alphas_cumprod_t = extract(\n        sqrt_one_minus_alphas_cumprod, t, x_start.shape\n    )\n\n    return sqrt_alphas_cumprod_t * x_start + sqrt_one_minus_alphas_cumprod_t * noise\n```',
                 'exact', None, id='annot-q-sample'),
    pytest.param('```python\nbetas = linear_beta_schedule(timesteps=timesteps)\nalphas = 1. - betas\nalphas_cumprod = torch.cumprod(alphas, axis=0)\nalphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)\nsqrt_recip_alphas = torch.sqrt(1.0 / alphas)\nsqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)\nsqrt_one_minus_alphas_cumprod = torch.sqrt(1. - alphas_cumprod)\nposterior_variance = betas * (1. - alphas_cumprod_prev) / (1. - alphas_cumprod)\n```',
                 'exact', None, id='annot-schedule'),
    pytest.param('```python\nwith torch.no_grad():\n    n = x.size(0)\n    seq_next = [-1] + list(seq[:-1])\n    x0_preds = []\n    xs = [x]\n    for i, j in zip(reversed(seq), reversed(seq_next)):\n        t = (torch.ones(n) * i).to(x.device)\n        next_t = (torch.ones(n) * j).to(x.device)\n        at = compute_alpha(b, t.long())\n        at_next = compute_alpha(b, next_t.long())\n        xt = xs[-1].to(\'cuda\')\n        et = model(xt, t)\n        x0_t = (xt - et * (1 - at).sqrt()) / at.sqrt()\n        x0_preds.append(x0_t.to(\'cpu\'))\n        c1 = (\n            kwargs.get("eta", 0) * ((1 - at / at_next) * (1 - at_next) / (1 - at)).sqrt()\n        )\n        c2 = ((1 - at_next) - c1).sqrt()\n        xt_next = at_next.sqrt() * x0_t + c1 * torch.randn_like(x) + c2 * et\n        xs.append(xt_next.to(\'cpu\'))\n```',
                 'inconsistent', ['mean.eps'], id='ermon-ddim-wrong'),
    pytest.param('```python\nfor i in range(n_steps):\n    grad = score_fn(x, t)\n    noise = torch.randn_like(x)\n    grad_norm = torch.norm(grad.reshape(grad.shape[0], -1), dim=-1).mean()\n    noise_norm = torch.norm(noise.reshape(noise.shape[0], -1), dim=-1).mean()\n    step_size = (target_snr * noise_norm / grad_norm) ** 2 * 2 * alpha\n    x_mean = x + step_size[:, None, None, None] * grad\n    x = x_mean + torch.sqrt(step_size)[:, None, None, None] * noise\n```',
                 'inconsistent', ['variance'], id='sde-langevin-wrong'),
    pytest.param('```python\nbetas = linear_beta_schedule(timesteps=timesteps)\nalphas = 1. - betas\nalphas_cumprod = torch.cumprod(alphas, axis=0)\nalphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)\nsqrt_recip_alphas = torch.sqrt(1.0 / alphas)\nsqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)\nsqrt_one_minus_alphas_cumprod = torch.sqrt(1. - alphas_cumprod)\nposterior_variance = betas * (1. - alphas_cumprod) / (1. - alphas_cumprod_prev)\n```',
                 'inconsistent', ['rhs'], id='annot-schedule-wrong'),
    pytest.param('```python\nfor i in trange(len(sigmas) - 1, disable=disable):\n    gamma = min(s_churn / (len(sigmas) - 1), 2 ** 0.5 - 1) if s_tmin <= sigmas[i] <= s_tmax else 0.\n    sigma_hat = sigmas[i] * (gamma + 1)\n    if gamma > 0:\n        eps = torch.randn_like(x) * s_noise\n        x = x + eps * (sigma_hat ** 2 - sigmas[i] ** 2) ** 0.5\n    denoised = model(x, sigma_hat * s_in, **extra_args)\n    d = to_d(x, sigma_hat, denoised)\n    dt = sigmas[i + 1] - sigma_hat\n    x = x + d * dt\n```',
                 'exact', None, id='kd-euler'),
    pytest.param('```python\nfor i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):\n    x_cur = x_next\n    x_hat = x_cur\n    t_hat = t_cur\n    denoised = net(x_hat, t_hat, class_labels).to(torch.float64)\n    d_cur = (x_hat - denoised) / t_hat\n    x_next = x_hat + (t_next - t_hat) * d_cur\n    if i < num_steps - 1:\n        denoised = net(x_next, t_next, class_labels).to(torch.float64)\n        d_prime = (x_next - denoised) / t_next\n        x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)\n```',
                 'exact', None, id='edm-heun'),
    pytest.param('```python\nfor i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):\n    x_cur = x_next\n    x_hat = x_cur\n    t_hat = t_cur\n    denoised = net(x_hat, t_hat, class_labels).to(torch.float64)\n    d_cur = (x_hat - denoised) / t_hat\n    x_next = x_hat + (t_next - t_hat) * d_cur\n    if i < num_steps - 1:\n        denoised = net(x_next, t_next, class_labels).to(torch.float64)\n        d_prime = (x_next - denoised) / t_next\n        x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + d_prime)\n```',
                 'inconsistent', ['mean.other', 'mean.x', 'mean.x0'], id='edm-heun-wrong'),
    pytest.param('```python\nfor i in trange(len(sigmas) - 1, disable=disable):\n    gamma = min(s_churn / (len(sigmas) - 1), 2 ** 0.5 - 1) if s_tmin <= sigmas[i] <= s_tmax else 0.\n    sigma_hat = sigmas[i] * (gamma + 1)\n    if gamma > 0:\n        eps = torch.randn_like(x) * s_noise\n        x = x + eps * (sigma_hat ** 2 - sigmas[i] ** 2) ** 0.5\n    denoised = model(x, sigma_hat * s_in, **extra_args)\n    d = to_d(x, sigma_hat, denoised)\n    dt = sigma_hat - sigmas[i + 1]\n    x = x + d * dt\n```',
                 'inconsistent', ['mean.x0', 'mean.x'], id='kd-euler-wrong'),
    pytest.param('def q_posterior(self, x_start, x_t, t):\n    posterior_mean = (\n        extract(self.posterior_mean_coef1, t, x_t.shape) * x_start +\n        extract(self.posterior_mean_coef2, t, x_t.shape) * x_t\n    )\n    posterior_variance = extract(self.posterior_variance, t, x_t.shape)\n    return posterior_mean, posterior_variance',
                 'exact', None, id='q-posterior-tuple'),
    pytest.param('def q_posterior(self, x_start, x_t, t):\n    posterior_mean = (\n        extract(self.posterior_mean_coef1, t, x_t.shape) * x_t +\n        extract(self.posterior_mean_coef2, t, x_t.shape) * x_start\n    )\n    posterior_variance = extract(self.posterior_variance, t, x_t.shape)\n    return posterior_mean, posterior_variance',
                 'inconsistent', ['mean.x0', 'mean.x', 'rhs'], id='q-posterior-tuple-wrong'),
])
def test_code_blocks_are_read_as_the_formulas_they_run(text, verdict, terms):
    vs = verify_formula(text, None, numeric=False)
    assert vs and all(v.verdict != "unparsed" for v in vs), [(v.verdict, v.detail) for v in vs]
    if verdict in _GOOD:
        assert all(v.verdict in _GOOD for v in vs), [(v.verdict, v.detail) for v in vs]
        assert any(v.verdict == verdict for v in vs), [(v.verdict, v.detail) for v in vs]
    else:
        bad = [v for v in vs if v.verdict == verdict]
        assert bad, [(v.verdict, v.detail) for v in vs]
        got = {t_ for v in bad for t_ in v.terms}
        assert got and got <= set(terms), got


def test_branches_are_one_program_each_and_plain_cells_are_left_alone():
    progs = code_programs("if predict_x0:\n    x_t = a * x - b * m\nelse:\n    x_t = c * x - d * m")
    assert [p for _, p in progs] == ["x_t = a * x - b * m", "x_t = c * x - d * m"]
    assert progs[0][0].startswith("if ") and progs[1][0].startswith("not (")
    assert code_programs("x_t = a * x - b * m") is None  # one line of code: code_latex's as it was
    assert code_programs(r"x_t = \sqrt{a} x") is None  # LaTeX
    # a statement with no mathematics is dropped, a loop's body is straight-line code
    progs = code_programs("for i in range(n):\n    imgs.append(x.cpu())\n    x = x + h * f(x)")
    assert [p for _, p in progs] == ["x = x + h * f(x)"]


@pytest.mark.parametrize("text", ['```python\ndt = -1. / self.rsde.N\nz = torch.randn_like(x)\ndrift, diffusion = self.rsde.sde(x, t)\nx_mean = x + drift * dt\nx = x_mean + diffusion[:, None, None, None] * np.sqrt(-dt) * z\n```', '```python\nf, G = self.rsde.discretize(x, t)\nz = torch.randn_like(x)\nx_mean = x - f\nx = x_mean + G[:, None, None, None] * z\n```'])
def test_an_sde_object_s_drift_is_never_read_by_its_name(text):
    # score_sde's predictors take drift, diffusion from rsde.sde / rsde.discretize: the reverse SDE's, which the names
    # alone do not say; reading them as the forward f, g would call a correct predictor wrong
    assert all(v.verdict not in ("inconsistent", "ill-defined") for v in verify_formula(text, None, numeric=False))
