"""The variable names of the diffusion code people copy formulas from, as the papers' symbols.

Each code base names its quantities in its own words (diffusers' ``alpha_prod_t_prev``, k-diffusion's ``denoised``
and ``sigma_hat``, the DDIM repository's ``at_next``, score_sde's ``adjacent_sigma``); a one-line snippet is read in
the vocabulary of the code base it comes from. That code base is recognised by its *marks*, identifiers no other
vocabulary here uses; the vocabulary with the most marks in a cell wins (none: the compositional naming of
:mod:`scoresde.formulas.code_names` alone). Every entry is the meaning the code gives the name (file cited), written
in the notation of the paper that code implements, so that the domain layer judges the line as that paper's formula.

A cell that updates its state in place (``x = x + …``) is a step from the current state to the next: ``update``
names the state on the left (k-diffusion and Karras et al. count up to t_{i+1}; score_sde's predictors count down to
x_{i-1}). ``noise_update`` is the left side of an in-place update that adds noise and evaluates no model (Karras et
al. 2022, Alg. 2 line 6: the churned state x̂_i that k-diffusion stores back in ``x``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, Optional

from .code_interface import POSTERIOR_C0, POSTERIOR_CT
from .code_solvers import EDM_SIGMA, EDM_STATE, dpm_adapt, euler_adapt

__all__ = ["CodeVocab", "VOCABS", "pick_vocab", "is_model_step"]


@dataclass(frozen=True)
class CodeVocab:
    """One code base's identifiers: ``names`` (identifier -> LaTeX), ``arrays`` (array -> LaTeX base, read at the
    written index), ``calls`` (function -> LaTeX template over its arguments ``{0}``, ``{1}`` …), ``models``
    (identifiers that hold a network output: an update using one is a model step)."""

    name: str
    source: str
    marks: FrozenSet[str]
    names: Dict[str, str]
    arrays: Dict[str, str] = field(default_factory=dict)
    calls: Dict[str, str] = field(default_factory=dict)
    models: FrozenSet[str] = frozenset()
    update: Optional[str] = None
    noise_update: Optional[str] = None
    decisive: FrozenSet[str] = frozenset()  # marks that select this vocabulary whatever else the cell names
    targets: Dict[str, str] = field(default_factory=dict)  # a name's meaning where it is assigned, if another
    #: (mark, names): in a cell that names ``mark``, every statement but the noise update reads these names instead
    #: (k-diffusion stores the churned state x̂_i back in ``x`` and evaluates the model there, at σ̂)
    churned: tuple = ()
    #: per statement: name overrides read from the statement's own structure (code_solvers.py), or None
    adapt: Optional[Callable[[object], Dict[str, str]]] = None
    #: (assigned name, names): a statement assigning that name reads these names instead (diffusers' get_velocity
    #: takes the clean sample as ``sample``)
    contexts: tuple = ()
    requires: FrozenSet[str] = frozenset()  # names a cell must all use for this vocabulary to be picked
    #: name -> (left side, right-side template): a per-example loss whose batch mean estimates an objective (the
    #: template's %s is the line's value, inside the expectation over what the code samples per example)
    estimates: Dict[str, tuple] = field(default_factory=dict)


_D_EDM = r"D_\theta\left(x_i; t_i\right)"
_EPS_T = r"\epsilon_\theta\left(x_t, t\right)"
_X0 = r"\hat{x}_0"

VOCABS = (
    CodeVocab(  # Karras et al. 2022 (EDM), Alg. 1-2 with σ(t) = t, s(t) = 1: k-diffusion's samplers use t_i = σ_i
        "k-diffusion (Karras samplers)", "crowsonkb/k-diffusion, k_diffusion/sampling.py (sample_euler, sample_heun, "
        "get_sigmas_karras, to_d)",
        frozenset({"denoised", "sigma_hat", "s_churn", "s_noise", "ramp", "to_d", "s_tmin", "s_tmax", "d_2", "d_prime",
                   "denoised_2"}),
        {"x": "x_i", "sigma": "t_i", "sigma_hat": r"\hat{t}_i", "gamma": r"\gamma_i", "eps": r"\epsilon_i",
         "denoised": _D_EDM, "d": "d_i", "d_2": r"d'_i", "ramp": r"\frac{i}{N - 1}", "rho": r"\rho",
         "d_prime": r"\frac{d_i + d'_i}{2}",  # sample_heun: d_prime = (d + d_2) / 2
         "sigma_min": r"\sigma_{\min}", "sigma_max": r"\sigma_{\max}", "s_noise": r"S_{noise}",
         "s_churn": r"S_{churn}", "x_2": r"x_{i+1}", "n": "N", "s_in": "1",  # s_in = x.new_ones([batch]): σ per sample
         # sample_euler/sample_heun: dt = sigmas[i + 1] - sigma_hat, σ̂ = σ_i without churn (s_churn = 0, the default)
         "dt": r"\left(t_{i+1} - t_i\right)"},
        arrays={"sigmas": "t"},
        calls={"model": r"D_\theta\left({0}; {1}\right)", "to_d": r"\frac{{{0} - {2}}}{{{1}}}",
               "len": r"\left(N + 1\right)"},  # get_sigmas_* append σ_N = 0: len(sigmas) = N + 1
        models=frozenset({"denoised", "d", "d_2", "d_prime"}),
        update="x_{i+1}", noise_update=r"\hat{x}_i",
        targets={"sigmas": r"\sigma_i"},  # get_sigmas_karras: the schedule σ_i (EDM Eq. 5)
        churned=("sigma_hat", {"x": r"\hat{x}_i", "denoised": r"D_\theta\left(\hat{x}_i; \hat{t}_i\right)",
                               "dt": r"\left(t_{i+1} - \hat{t}_i\right)"})),
    CodeVocab(  # Lu et al. 2022b (DPM-Solver++), Alg. 2 in k-diffusion's names: t = −log σ, h = t_next − t.
        # k-diffusion works in Karras et al.'s scaling s(t) = 1 (EDM Eq. 1: x = x_0 + σ n), i.e. on x̃/α with the
        # noise level σ/α of the VP notation (λ = log α/σ = −log(σ/α) is its t), so its x and σ are written so
        "k-diffusion (DPM-Solver++ samplers)", "crowsonkb/k-diffusion, k_diffusion/sampling.py (sample_dpmpp_2m)",
        frozenset({"old_denoised", "denoised_d", "sigma_fn", "t_fn", "h_last"}),
        {"denoised": r"x_\theta\left(\tilde{x}_{t_{i-1}}, t_{i-1}\right)",
         "old_denoised": r"x_\theta\left(\tilde{x}_{t_{i-2}}, t_{i-2}\right)", "denoised_d": "D_i", "h": "h_i",
         "h_last": "h_{i-1}", "r": "r_i", "x": r"\frac{\tilde{x}_{t_{i-1}}}{\alpha_{t_{i-1}}}", "t": "t_{i-1}",
         "t_next": "t_i"},
        calls={"sigma_fn": r"\frac{{\sigma_{{{0}}}}}{{\alpha_{{{0}}}}}", "t_fn": r"\left(-\log {0}\right)"},
        models=frozenset({"denoised", "old_denoised", "denoised_d"}),
        update=r"\frac{\tilde{x}_{t_i}}{\alpha_{t_i}}", decisive=frozenset({"old_denoised", "denoised_d", "sigma_fn", "t_fn"})),
    CodeVocab(  # Song, Meng & Ermon 2021 (DDIM), Eq. 12 and 16, in the DDIM repository's names (α there is ᾱ)
        "ermongroup/ddim", "ermongroup/ddim, functions/denoising.py (generalized_steps, ddpm_steps)",
        frozenset({"at", "at_next", "xt", "xt_next", "et", "x0_t", "atm1", "x0_from_e", "mean_eps"}),
        {"at": r"\bar{\alpha}_t", "at_next": r"\bar{\alpha}_{t-1}", "xt": "x_t", "xt_next": "x_{t-1}", "et": _EPS_T,
         "x0_t": _X0, "c1": r"\sigma_t", "c2": r"\sqrt{1 - \bar{\alpha}_{t-1} - \sigma_t^2}", "eta": r"\eta",
         # ddpm_steps: atm1 = ᾱ_{t−1}, e = model(x, t), x0_from_e = x̂_0, mean_eps = the posterior mean at x̂_0 (Ho et al.
         # 2020, Eq. 7), sample = mean + mask · exp(½ logvar) · noise with logvar = log β_t and mask = 1 for t > 1
         "atm1": r"\bar{\alpha}_{t-1}", "x": "x_t", "e": _EPS_T, "x0_from_e": _X0, "mean_eps": r"\mu_\theta\left(x_t, t\right)",
         "mean": r"\mu_\theta\left(x_t, t\right)", "logvar": r"\log\beta_t", "mask": "1", "sample": "x_{t-1}",
         "noise": "z"},
        models=frozenset({"et", "x0_t", "e", "x0_from_e", "mean_eps"})),
    CodeVocab(  # Song et al. 2021, Eq. 47 / App. F (reverse diffusion, VE) in score_sde's and diffusers' names
        "VE samplers (score_sde, diffusers ScoreSdeVeScheduler)",
        "yang-song/score_sde_pytorch, sampling.py (ReverseDiffusionPredictor, AncestralSamplingPredictor); "
        "huggingface/diffusers, schedulers/scheduling_sde_ve.py (step_pred)",
        frozenset({"adjacent_sigma"}),
        {"x": "x_i", "sample": "x_i", "prev_sample": "x_{i-1}", "sigma": r"\sigma_i", "adjacent_sigma": r"\sigma_{i-1}",
         "model_output": r"s_\theta\left(x_i, \sigma_i\right)", "score": r"s_\theta\left(x_i, \sigma_i\right)",
         "noise": "z_i", "z": "z_i"},
        models=frozenset({"model_output", "score"}),
        update="x_{i-1}", decisive=frozenset({"adjacent_sigma"})),
    CodeVocab(  # Ho et al. 2020 (Eq. 4, 7, 11, 15) and DDIM (Eq. 12, 16) in diffusers' scheduler names
        "diffusers (DDPM/DDIM schedulers)", "huggingface/diffusers, schedulers/scheduling_ddpm.py, scheduling_ddim.py "
        "(step, add_noise, get_velocity, _get_variance)",
        frozenset({"alpha_prod_t", "alpha_prod_t_prev", "beta_prod_t", "beta_prod_t_prev", "pred_original_sample",
                   "prev_sample", "model_output", "model_output_v", "pred_epsilon", "std_dev_t", "variance_noise", "current_alpha_t",
                   "current_beta_t", "noisy_samples", "original_samples", "sqrt_alpha_prod",
                   "sqrt_one_minus_alpha_prod", "beta_start", "beta_end", "num_train_timesteps"}),
        {"sample": "x_t", "prev_sample": "x_{t-1}", "model_output": _EPS_T, "pred_epsilon": _EPS_T,
         "model_output_v": r"v_\theta\left(x_t, t\right)",  # model_output of a v-predicting model (code_outputs.py)
         "pred_original_sample": _X0, "alpha_prod_t": r"\bar{\alpha}_t", "alpha_prod_t_prev": r"\bar{\alpha}_{t-1}",
         "beta_prod_t": r"\left(1 - \bar{\alpha}_t\right)", "beta_prod_t_prev": r"\left(1 - \bar{\alpha}_{t-1}\right)",
         "current_alpha_t": r"\alpha_t", "current_beta_t": r"\beta_t", "std_dev_t": r"\sigma_t", "variance_noise": "z",
         "variance": r"\sigma_t^2", "noisy_samples": "x_t", "original_samples": "x_0", "noise": r"\epsilon",
         "sqrt_alpha_prod": r"\sqrt{\bar{\alpha}_t}", "sqrt_one_minus_alpha_prod": r"\sqrt{1 - \bar{\alpha}_t}",
         "velocity": "v_t", "beta_start": r"\beta_1", "beta_end": r"\beta_T", "num_train_timesteps": "T",
         "timesteps": "t", "pred_prev_sample": r"\mu_\theta\left(x_t, t\right)",  # the step's mean, before its noise
         "pred_original_sample_coeff": POSTERIOR_C0, "current_sample_coeff": POSTERIOR_CT},
        models=frozenset({"model_output", "model_output_v", "pred_epsilon", "pred_original_sample"}),
        # get_velocity(sample, noise, t): sample is the clean data; DDIMScheduler.step: std_dev_t = eta * variance ** 0.5
        # with variance = _get_variance(t, prev_t), DDIM's σ_t(η)² at η = 1 (Eq. 16)
        contexts=(("velocity", {"sample": "x_0"}),
                  ("std_dev_t", {"variance": r"\left(\frac{1 - \bar{\alpha}_{t-1}}{1 - \bar{\alpha}_t}\left(1 - "
                                             r"\frac{\bar{\alpha}_t}{\bar{\alpha}_{t-1}}\right)\right)"}))),
    CodeVocab(  # Dhariwal & Nichol 2021, Alg. 1-2, in guided-diffusion's names (gaussian_diffusion.py)
        "guided-diffusion", "openai/guided-diffusion, guided_diffusion/gaussian_diffusion.py (condition_mean, "
        "condition_score)",
        frozenset({"p_mean_var", "cond_fn", "gradient", "new_mean", "alpha_bar_prev", "mean_pred", "nonzero_mask"}),
        {'p_mean_var["mean"]': r"\mu_\theta\left(x_t, t\right)", 'p_mean_var["variance"]': r"\Sigma_\theta\left(x_t, t\right)",
         "gradient": r"\nabla_{x_t}\log p_\phi\left(y \mid x_t\right)", "eps": r"\epsilon_\theta\left(x_t\right)",
         "alpha_bar": r"\bar{\alpha}_t", "new_mean": r"\tilde{\mu}",
         # ddim_sample / p_sample: alpha_bar beside alpha_bar_prev (ᾱ_t, ᾱ_{t−1}), x the state, sample the next one
         "alpha_bar_cur": r"\bar{\alpha}_t", "alpha_bar_prev": r"\bar{\alpha}_{t-1}", "x": "x_t", "sigma": r"\sigma_t",
         "eta": r"\eta",
         # condition_mean with p_mean_var's entries held in names: the model's mean and covariance (Alg. 1's μ, Σ)
         "mean": r"\mu_\theta\left(x_t, t\right)", "variance": r"\Sigma_\theta\left(x_t, t\right)"},
        calls={"cond_fn": r"\nabla_{{x_t}}\log p_\phi\left(y \mid x_t\right)"},
        models=frozenset({"eps"}), targets={"eps": r"\hat{\epsilon}\left(x_t\right)", "sample": "x_{t-1}"},
        decisive=frozenset({"alpha_bar_prev", "nonzero_mask"})),
    CodeVocab(  # Song et al. 2021 (App. C, Alg. 4-5, Eq. 7 and the prior of App. D) in score_sde's names
        "score_sde", "yang-song/score_sde_pytorch, sde_lib.py, losses.py, sampling.py (LangevinCorrector), "
        "likelihood.py (prior_logp)",
        frozenset({"log_mean_coeff", "rev_drift", "target_snr", "grad_norm", "noise_norm", "losses", "g2", "logps",
                   "score_fn", "x_mean", "step_size", "drift", "diffusion", "score"}),
        {"beta_t": r"\beta(t)", "drift": r"f\left(x, t\right)", "diffusion": "g(t)",
         "log_mean_coeff": r"\log\sqrt{\bar{\alpha}(t)}", "score": r"s_\theta\left(x(t), t\right)", "g2": "g(t)^2",
         "losses": "L", "grad": r"s_\theta\left(x, t\right)", "step_size": r"\epsilon", "target_snr": "r",
         "grad_norm": r"\left\|s_\theta\right\|", "noise_norm": r"\left\|z\right\|", "alpha": r"\alpha_i",
         "logps": r"\log p_T\left(z\right)", "N": "D", "noise": "z", "sigma": r"\sigma(t)", "std": r"\sigma(t)"},
        calls={"square": r"\left\|{0}\right\|^2"},  # losses.py squares then sums over the pixels: a squared norm
        models=frozenset({"score", "grad"}), targets={"std": r"\text{std}"}),
    CodeVocab(  # Song et al. 2021, Eq. 6 discretised by Euler-Maruyama in the score_sde Colab tutorial's names
        # (Euler_Maruyama_sampler, pc_sampler's predictor): g = diffusion_coeff(t) is g(t), step_size = the time step Δt,
        # score_model(x, t) = s_θ; mean_x = x + g² s_θ Δt, x = mean_x + √Δt g z is the reverse step x_{t−Δt} (its
        # Langevin corrector has no g: it never uses these names all together)
        "score_sde Colab (Euler-Maruyama sampler)", "yang-song/score_sde Colab tutorial (Euler_Maruyama_sampler, pc_sampler)",
        frozenset({"mean_x", "batch_time_step", "diffusion_coeff", "time_step", "g", "step_size", "score_model"}),
        {"x": "x_t", "g": "g(t)", "step_size": r"\Delta t", "batch_time_step": "t", "time_step": "t",
         "mean_x": r"\mu", "x_mean": r"\mu"},
        calls={"score_model": r"s_\theta\left({0}, t\right)", "diffusion_coeff": "g(t)"},
        models=frozenset({"score_model"}), update=r"x_{t-\Delta t}",
        requires=frozenset({"g", "step_size", "score_model"})),
    CodeVocab(  # Kingma et al. 2021 (VDM), Eq. 1-3 and 17, in the VDM repository's names (model_vdm.py)
        "vdm", "google-research/vdm, model_vdm.py (VDM.diffuse, VDM.__call__)",
        frozenset({"g_t", "var_t", "eps_hat", "g_t_grad", "loss_diff"}),
        {"g_t": r"\gamma(t)", "var_t": r"\sigma_t^2", "f": "x", "z_t": "z_t", "eps": r"\epsilon",
         "eps_hat": r"\hat{\epsilon}_\theta\left(z_t; t\right)", "g_t_grad": r"\gamma'(t)", "loss_diff": r"L_\infty",
         "snr": r"\mathrm{SNR}(t)"},
        models=frozenset({"eps_hat"}),
        # VDM.__call__ draws t ~ U(0, 1) and ε ~ N(0, I) per example: loss_diff is the Monte Carlo estimate of L_∞ (Eq. 17)
        estimates={"loss_diff": (r"\mathcal{L}_\infty(x)",
                                 r"\mathbb{E}_{\epsilon \sim \mathcal{N}(0, I), t \sim U(0, 1)}\left[%s\right]")}),
    CodeVocab(  # (after VDM: a tie on alpha_t/sigma_t goes to the VDM names) Lu et al. 2022a/b in diffusers' DPMSolverMultistepScheduler names (code_solvers.py: its rules)
        "diffusers (DPMSolverMultistep)", "huggingface/diffusers, schedulers/scheduling_dpmsolver_multistep.py "
        "(dpm_solver_first_order_update, _sigma_to_alpha_sigma_t)",
        frozenset({"sigma_s", "alpha_s", "lambda_s", "lambda_t", "sigma_s0", "alpha_s0", "lambda_s0", "alpha_t",
                   "sigma_t", "model_s", "log_alpha_s"}),
        {"alpha_t": r"\alpha_t", "sigma_t": r"\sigma_t", "alpha_s": r"\alpha_s", "sigma_s": r"\sigma_s",
         "lambda_t": r"\lambda_t", "lambda_s": r"\lambda_s", "h": "h", "x_t": "x_t", "noise": r"\epsilon"},
        models=frozenset({"model_output"}),
        decisive=frozenset({"sigma_s", "alpha_s", "lambda_s", "sigma_s0", "alpha_s0", "lambda_s0", "model_s"}), adapt=dpm_adapt),
    CodeVocab(  # DDIM (Song, Meng & Ermon 2021, Eq. 12 and 16) in k-diffusion's get_ancestral_step(sigma_from, sigma_to, eta):
        # in Karras et al.'s scaling (x/√ᾱ, σ = √((1 − ᾱ)/ᾱ)) σ_up = σ_t(η)/√ᾱ_{t−1} and the step x + d (σ_down − σ) + σ_up z
        # lands on x̂_0 + σ_down ε̂ + σ_up z, i.e. DDIM's x_{t−1}/√ᾱ_{t−1}; min(sigma_to, ·) binds only for η > 1
        "k-diffusion (ancestral step)", "crowsonkb/k-diffusion, k_diffusion/sampling.py (get_ancestral_step)",
        frozenset({"sigma_from", "sigma_to", "sigma_up", "sigma_down"}),
        {"sigma_from": r"\sqrt{\frac{1 - \bar{\alpha}_t}{\bar{\alpha}_t}}",
         "sigma_to": r"\sqrt{\frac{1 - \bar{\alpha}_{t-1}}{\bar{\alpha}_{t-1}}}",
         "sigma_up": r"\frac{\sigma_t}{\sqrt{\bar{\alpha}_{t-1}}}", "eta": r"\eta"},
        calls={"min": "{1}"},
        estimates={"sigma_up": (r"\sigma_t", r"\sqrt{\bar{\alpha}_{t-1}} \cdot \left(%s\right)"),
                   "sigma_down": ("x_{t-1}", r"\sqrt{\bar{\alpha}_{t-1}} \cdot \frac{x_t - \sqrt{1 - \bar{\alpha}_t} "
                                             r"\epsilon_\theta\left(x_t, t\right)}{\sqrt{\bar{\alpha}_t}} + \sqrt{\bar{\alpha}_{t-1}} \cdot \left(%s\right)"
                                             r" \cdot \epsilon_\theta\left(x_t, t\right) + \sigma_t z")},
        decisive=frozenset({"sigma_from", "sigma_to"})),
    CodeVocab(  # Karras et al. 2022 (EDM), Eq. 7-8 in k-diffusion's Denoiser.loss: F_θ(c_in · noised_input) is regressed on
        # target = (input − c_skip · noised_input)/c_out with noised_input = input + noise · σ (y + n): EDM's effective target
        "k-diffusion (Denoiser)", "crowsonkb/k-diffusion, k_diffusion/layers.py (Denoiser.loss)",
        frozenset({"noised_input"}),
        {"input": "y", "noised_input": r"\left(y + n\right)", "c_skip": r"c_{\mathrm{skip}}(\sigma)",
         "c_out": r"c_{\mathrm{out}}(\sigma)", "c_in": r"c_{\mathrm{in}}(\sigma)"},
        estimates={"target": ("", r"\mathbb{E}_{\sigma, y, n}\left[\lambda(\sigma)c_{\mathrm{out}}(\sigma)^2\left\|"
                                  r"F_\theta(c_{\mathrm{in}}(\sigma)(y + n); c_{\mathrm{noise}}(\sigma)) - \left(%s\right)\right\|_2^2\right]")},
        decisive=frozenset({"noised_input"})),
    CodeVocab(  # Karras et al. 2022 (EDM), Sec. 5 and Table 1 in their training code (NVlabs/edm, training/loss.py EDMLoss:
        # rnd_normal ~ N(0, 1), sigma = exp(rnd_normal · P_std + P_mean), i.e. ln σ ~ N(P_mean, P_std²); weight = λ(σ) of
        # Eq. 8; n = randn_like(y) · σ; D_yn = D_θ(y + n; σ); loss = weight · (D_yn − y)²)
        "NVlabs/edm (EDMLoss)", "NVlabs/edm, training/loss.py (EDMLoss, VPLoss, VELoss)",
        frozenset({"sigma_data", "P_mean", "P_std", "rnd_normal", "D_yn"}),
        {"sigma": r"\sigma", "sigma_data": r"\sigma_{\text{data}}", "P_mean": r"P_{\text{mean}}", "P_std": r"P_{\text{std}}"},
        targets={"weight": r"\lambda(\sigma)"}),
    CodeVocab(  # Nichol & Dhariwal 2021, Eq. 17 and Sec. 3.2 in diffusers' betas_for_alpha_bar: for i in range(T), t1 = i/T,
        # t2 = (i + 1)/T, β_{i+1} = min(1 − ᾱ(t2)/ᾱ(t1), max_beta): DDPM's β_t with ᾱ at t and t − 1, clipped at 0.999
        "diffusers (betas_for_alpha_bar)", "huggingface/diffusers, schedulers/scheduling_ddpm.py (betas_for_alpha_bar)",
        frozenset({"alpha_bar_fn", "max_beta"}),
        {"t1": "t-1", "t2": "t", "max_beta": "0.999"},  # max_beta = 0.999, its default
        calls={"alpha_bar_fn": r"\bar{{\alpha}}_{{{0}}}"}),
    CodeVocab(  # Karras et al. 2022 (EDM), Alg. 1-2 in their own code (NVlabs/edm, generate.py edm_sampler): x_cur, t_cur at
        # step i, x_hat, t_hat the churned state and level, d_cur = d_i, d_prime = d'_i, x_next, t_next at i + 1
        "NVlabs/edm (edm_sampler)", "NVlabs/edm, generate.py (edm_sampler)",
        frozenset({"x_cur", "t_cur", "x_hat", "t_hat", "d_cur", "d_prime", "x_next", "t_next"}),
        {"x_cur": "x_{i}", "t_cur": "t_{i}", "x_hat": r"\hat{x}_i", "t_hat": r"\hat{t}_i", "d_cur": "d_i", "d_prime": "d'_i",
         "x_next": "x_{i+1}", "t_next": "t_{i+1}", "gamma": r"\gamma_i", "S_noise": r"S_{noise}", "S_churn": r"S_{churn}"},
        models=frozenset({"d_cur", "d_prime", "denoised"}), targets={"x_next": "x_{i+1}", "x_hat": r"\hat{x}_i"},
        decisive=frozenset({"d_cur", "t_hat", "x_hat", "t_cur"})),
    CodeVocab(  # Karras et al. 2022 (EDM), Alg. 2 lines 5-8 in diffusers' EulerDiscreteScheduler.step: sigma_hat = σ_i (γ + 1)
        # (t̂_i), sample the state there (x̂_i, churned by eps · √(σ̂² − σ²)), model_output the noise prediction
        # (ε̂ = (x̂ − D)/σ̂, Karras et al. Table 1), pred_original_sample = D_θ(x̂_i; t̂_i), derivative = d_i,
        # dt = sigmas[step_index + 1] − sigma_hat, prev_sample = x_{i+1}
        "diffusers (Euler step)", "huggingface/diffusers, schedulers/scheduling_euler_discrete.py (EulerDiscreteScheduler.step)",
        frozenset({"derivative", "sigma_hat", "step_index", "prev_sample", "pred_original_sample"}),
        {"sample": r"\hat{x}_i", "sigma_hat": r"\hat{t}_i",
         "model_output": r"\frac{\hat{x}_i - D_\theta\left(\hat{x}_i; \hat{t}_i\right)}{\hat{t}_i}",
         "pred_original_sample": r"D_\theta\left(\hat{x}_i; \hat{t}_i\right)",
         "derivative": r"\frac{\hat{x}_i - D_\theta\left(\hat{x}_i; \hat{t}_i\right)}{\hat{t}_i}",
         "sigmas[step_index + 1]": "t_{i+1}", "sigma_next": "t_{i+1}", "sigmas[step_index]": "t_i", "sigma": "t_i",
         "gamma": r"\gamma_i"},
        models=frozenset({"model_output", "pred_original_sample", "derivative"}), targets={"prev_sample": "x_{i+1}"},
        decisive=frozenset({"derivative", "step_index"})),
    CodeVocab(  # DDIM (Song, Meng & Ermon 2021, Eq. 12 and 16, α there is ᾱ) in CompVis' names: ldm/models/diffusion/
        # ddim.py p_sample_ddim (a_t = alphas[index], a_prev, sigma_t, sqrt_one_minus_at, e_t = the model's output,
        # pred_x0, dir_xt, x_prev) and ldm/modules/diffusionmodules/util.py make_ddim_sampling_parameters (alphas =
        # alphacums[ddim_timesteps], alphas_prev, sigmas = σ_t(η)); the same names in Stable Diffusion's samplers
        "CompVis (DDIM sampler)", "CompVis/latent-diffusion, ldm/models/diffusion/ddim.py (p_sample_ddim), "
        "ldm/modules/diffusionmodules/util.py (make_ddim_sampling_parameters)",
        frozenset({"a_t", "a_prev", "sqrt_one_minus_at", "pred_x0", "dir_xt", "alphas_prev", "alphacums", "ddim_alphas",
                   "ddim_alphas_prev", "ddim_sigmas"}),
        {"a_t": r"\bar{\alpha}_t", "a_prev": r"\bar{\alpha}_{t-1}", "sigma_t": r"\sigma_t",
         "sqrt_one_minus_at": r"\sqrt{1 - \bar{\alpha}_t}", "e_t": _EPS_T, "pred_x0": _X0, "x": "x_t", "x_prev": "x_{t-1}",
         "alphas": r"\bar{\alpha}_t", "alphas_cur": r"\bar{\alpha}_t", "alphas_prev": r"\bar{\alpha}_{t-1}",
         "ddim_alphas": r"\bar{\alpha}_t",
         "ddim_alphas_prev": r"\bar{\alpha}_{t-1}", "eta": r"\eta", "noise": "z"},
        models=frozenset({"e_t", "pred_x0"}), targets={"sigmas": r"\sigma_t", "ddim_sigmas": r"\sigma_t"},
        decisive=frozenset({"a_prev", "sqrt_one_minus_at", "dir_xt", "alphas_prev", "alphacums", "ddim_alphas_prev"})),
    CodeVocab(  # DDIM (Eq. 12 and 16) in lucidrains' denoising_diffusion_pytorch.py (GaussianDiffusion.ddim_sample): the
        # loop steps the state img from time to time_next (the next, earlier step), alpha/alpha_next = alphas_cumprod at
        # them, pred_noise and x_start the model's predictions ε_θ and x̂_0, c = √(1 − ᾱ_{t−1} − σ²)
        "lucidrains (DDIM sampler)", "lucidrains/denoising-diffusion-pytorch, denoising_diffusion_pytorch.py "
        "(GaussianDiffusion.ddim_sample)",
        frozenset({"alpha_next", "time_next", "pred_noise", "x_start"}),
        {"alpha": r"\bar{\alpha}_t", "alpha_cur": r"\bar{\alpha}_t", "alpha_next": r"\bar{\alpha}_{t-1}", "time": "t", "time_next": "t-1", "img": "x_t",
         # model_predictions returns x_start and pred_noise tied by x_t = √ᾱ_t x_start + √(1 − ᾱ_t) pred_noise whatever
         # the model predicts (predict_start_from_noise / predict_noise_from_start): DDIM's "predicted x_0" (Eq. 12)
         "x_start": r"\left(\frac{x_t - \sqrt{1 - \bar{\alpha}_t} \cdot %s}{\sqrt{\bar{\alpha}_t}}\right)" % _EPS_T, "pred_noise": _EPS_T, "sigma": r"\sigma_t", "noise": "z", "eta": r"\eta"},
        models=frozenset({"pred_noise", "x_start"}), targets={"img": "x_{t-1}", "x_start": _X0},
        decisive=frozenset({"alpha_next", "time_next"}), requires=frozenset({"pred_noise", "x_start"})),
    CodeVocab(  # Song & Ermon 2019 (NCSN), Alg. 1 and Eq. 5-6 in ermongroup/ncsn's names: runners/anneal_runner.py
        # (anneal_Langevin_dynamics: for c, sigma in enumerate(sigmas), step_size = step_lr (σ_i/σ_L)², x_mod += step_size
        # grad + √(2 step_size) z, the ε/2 convention of the Langevin step) and losses/dsm.py (anneal_dsm_score_estimation:
        # used_sigmas = σ_i of the labels, perturbed_samples = x + σ_i z, loss = ½‖s − target‖² σ_i^anneal_power with
        # anneal_power = 2, the λ(σ) = σ² of Eq. 6, its batch mean the estimate of the objective)
        "ermongroup/ncsn", "ermongroup/ncsn, runners/anneal_runner.py (anneal_Langevin_dynamics), losses/dsm.py",
        frozenset({"x_mod", "scorenet", "step_lr", "n_steps_each", "used_sigmas", "anneal_power", "perturbed_samples"}),
        {"x_mod": "x_{t-1}", "sigma": r"\sigma_i", "sigmas[-1]": r"\sigma_L", "step_lr": r"\epsilon",
         "grad": r"s_\theta\left(x_{t-1}, \sigma_i\right)", "samples": "x", "used_sigmas": r"\sigma_i",
         "sigmas[labels]": r"\sigma_i",
         "anneal_power": "2", "noise": "z"},
        calls={"scorenet": r"s_\theta\left({0}, \sigma_i\right)"},
        models=frozenset({"grad", "scores"}), update="x_t",
        estimates={"loss": (r"\mathcal{L}", r"\mathbb{E}_{x, z}\left[%s\right]")},
        decisive=frozenset({"x_mod", "scorenet", "used_sigmas", "step_lr"})),
    CodeVocab(  # Karras et al. 2022's scaling in diffusers' Euler-family schedulers (code_solvers.py: its rules)
        "diffusers (Euler-family schedulers)", "huggingface/diffusers, schedulers/scheduling_euler_discrete.py "
        "(__init__, scale_model_input)",
        frozenset({"sample", "sigma"}),
        {"sample": EDM_STATE, "sigma": EDM_SIGMA, "model_output": _EPS_T, "model_output_v": r"v_\theta\left(x_t, t\right)",
         "pred_original_sample": _X0},
        models=frozenset({"model_output", "model_output_v"}), adapt=euler_adapt, requires=frozenset({"sample", "sigma"})),
)


def is_model_step(vocab: CodeVocab, node) -> bool:
    """Whether an expression (an :mod:`ast` node) uses a network output of ``vocab`` (a name or a call)."""
    import ast

    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in vocab.models:
            return True
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) in ("model", "net", "denoiser", "score_fn"):
            return True
    return False


def pick_vocab(identifiers: Iterable[str]) -> Optional[CodeVocab]:
    """The vocabulary with a decisive mark among ``identifiers``, else one whose required names are all there, else
    the one with the most marks (the first on a tie), or None when no mark is there."""
    ids = set(identifiers)
    for v in VOCABS:
        if v.decisive & ids:
            return v
    for v in VOCABS:
        if v.requires and v.requires <= ids:  # all its required names: as decisive as a decisive mark
            return v
    best, score = None, 0
    for v in VOCABS:
        if not v.requires <= ids:
            continue
        k = len(v.marks & ids)
        if k > score:
            best, score = v, k
    return best
