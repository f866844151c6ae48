"""Peer code read in its own vocabulary (scoresde/formulas/code_vocab.py): one-line snippets as k-diffusion, the
DDIM repository, diffusers, score_sde, guided-diffusion and VDM write them are judged as the papers' formulas.

The lines here are written for this test (other arrangements of the same code), not copied from any corpus."""
from __future__ import annotations

import pytest
from conftest import claim_verdicts

from scoresde.formulas.code_latex import code_to_latex
from scoresde.formulas.code_vocab import VOCABS, pick_vocab


def verdict(text: str) -> str:
    (v,) = claim_verdicts(text)  # one formula, one verdict
    return v


def test_pick_vocab_by_marks():
    assert pick_vocab({"x", "t"}) is None
    assert pick_vocab({"denoised", "sigma_hat"}).name.startswith("k-diffusion (Karras")
    assert pick_vocab({"denoised", "old_denoised"}).name.startswith("k-diffusion (DPM")  # decisive mark
    assert pick_vocab({"prev_sample", "model_output", "adjacent_sigma"}).name.startswith("VE samplers")
    assert pick_vocab({"at", "at_next", "et"}).name == "ermongroup/ddim"
    for v in VOCABS:  # each vocabulary cites its code and is selected by its own marks
        assert v.source and v.marks and pick_vocab(v.marks) is v


def test_translation_uses_the_vocabulary():
    assert code_to_latex("d = (x - denoised) / sigma_hat").startswith("d_i = ")
    assert r"\hat{t}_i" in code_to_latex("d = (x - denoised) / sigma_hat")
    # an in-place update that only adds noise is Karras et al.'s churned state x̂_i; one with the model, x_{i+1}
    assert code_to_latex("x = x + eps * s_noise * (sigma_hat ** 2 - sigmas[i] ** 2) ** 0.5").startswith(r"\hat{x}_i =")
    assert code_to_latex("x = x + d * (sigmas[i + 1] - sigma_hat)").startswith(r"x_{i+1} = \hat{x}_i")
    assert code_to_latex("d = (x - denoised) / sigmas[i]") == r"d_i = \frac{x_i - D_\theta\left(x_i; t_i\right)}{t_{i}}"
    assert code_to_latex("noisy = alphas_cumprod[timesteps] * original_samples").count(r"\bar{\alpha}_{t}") == 1
    assert code_to_latex("y = p_mean_var['mean'].float()") == r"y = \mu_\theta\left(x_t, t\right)"
    assert code_to_latex("abar = lambda s: math.cos(s) ** 2").startswith(r"\bar{\alpha}\left(s\right) =")


CORRECT = [
    "dt = sigmas[i + 1] - sigma_hat\nx = x + d * dt",                               # EDM Alg. 2 line 8
    "sigma_hat = sigmas[i] + gamma * sigmas[i]",                                      # EDM Alg. 2 line 5
    "d = (x - denoised) / sigma_hat",                                                 # EDM Alg. 2 line 7
    "xt_next = at_next.sqrt() * x0_t + c1 * torch.randn_like(x) + c2 * et",          # DDIM Eq. 12
    "c1 = eta * ((1 - at_next) / (1 - at) * (1 - at / at_next)).sqrt()",             # DDIM Eq. 16
    "prev_sample = alpha_prod_t_prev ** 0.5 * pred_original_sample + (1 - alpha_prod_t_prev) ** 0.5 * pred_epsilon",
    "pred_original_sample = (sample - beta_prod_t ** 0.5 * model_output) / alpha_prod_t ** 0.5",  # Ho Eq. 15
    "prev_sample = sample + (sigma ** 2 - adjacent_sigma ** 2) * model_output"
    " + (adjacent_sigma ** 2 * (sigma ** 2 - adjacent_sigma ** 2) / sigma ** 2) ** 0.5 * noise",  # Song Eq. 47
    "eps = eps - (1 - alpha_bar).sqrt() * gradient",                                  # Dhariwal & Nichol Alg. 2
    "diffusion = jnp.sqrt(beta_t)",                                                    # VP g(t)
    "x = x - beta_t * (0.5 * x + score) * dt + jnp.sqrt(beta_t) * jnp.sqrt(-dt) * z",  # reverse VP EM, dt < 0
    "c_out = sigma * sigma_data / (sigma ** 2 + sigma_data ** 2) ** 0.5",             # EDM Table 1
]
WRONG = [
    "d = (denoised - x) / sigma_hat",
    "dt = sigma_hat - sigmas[i + 1]\nx = x + d * dt",
    "c1 = eta * ((1 - at_next) / (1 - at) * (1 - at / at_next))",
    "prev_sample = alpha_prod_t ** 0.5 * pred_original_sample + (1 - alpha_prod_t_prev) ** 0.5 * pred_epsilon",
    "pred_original_sample = (sample - beta_prod_t * model_output) / alpha_prod_t ** 0.5",
    "prev_sample = sample - (sigma ** 2 - adjacent_sigma ** 2) * model_output"
    " + (adjacent_sigma ** 2 * (sigma ** 2 - adjacent_sigma ** 2) / sigma ** 2) ** 0.5 * noise",
    "eps = eps + (1 - alpha_bar).sqrt() * gradient",
    "diffusion = beta_t",
    "x = x - beta_t * (0.5 * x - score) * dt + jnp.sqrt(beta_t) * jnp.sqrt(-dt) * z",
    "c_out = sigma * sigma_data / (sigma ** 2 + sigma_data ** 2)",
]


@pytest.mark.parametrize("text", CORRECT)
def test_peer_code_correct(text):
    assert verdict(text) in ("exact", "consistent"), code_to_latex(text)


@pytest.mark.parametrize("text", WRONG)
def test_peer_code_wrong(text):
    assert verdict(text) in ("inconsistent", "ill-defined"), code_to_latex(text)
