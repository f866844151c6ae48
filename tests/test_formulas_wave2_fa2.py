"""Issue 13, second wave (fa2): the false-alarm capabilities, each on formulas that are not in any corpus.

* an alarm of the one-step reader is withdrawn when the multi-time reader places the formula exactly
  (DPM-Solver-1 in VDM notation, VDM's α = √(1 − σ²) with another time letter);
* DDIM's free σ is read off a claim's noise term (VDM's ancestral step written through SNR ratios);
* ``w(…)`` / ``s\\left(…\\right)`` before network outputs is a product (classifier-free guidance);
* EDM Eq. 6 at σ(t) = t; Song et al.'s auxiliary β̄_i = Nβ_i; f̃ with a diffusion matrix G(x, t);
* 𝔼[·] is never a stray symbol; ∇·s_θ in the change of variables through f̃ (VE and VP).
"""
from __future__ import annotations

import pytest

from scoresde.formulas import verify_latex
from scoresde.formulas.registry import REGISTRY

ALARM = ("inconsistent", "ill-defined")


def _verdicts(latex, notation=None):
    return [v.verdict for v in verify_latex(latex, notation=notation, numeric=False)]


def _one(latex, notation=None):
    vs = verify_latex(latex, notation=notation, numeric=False)
    return vs[0]


def test_dpm_solver1_in_vdm_notation_is_not_an_alarm():
    step = (r"x_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}\left(x_{t_{i-1}} - \sigma_{t_{i-1}}\epsilon_\theta(x_{t_{i-1}}, t_{i-1})\right)"
            r" + \sigma_{t_i}\epsilon_\theta(x_{t_{i-1}}, t_{i-1})")
    assert _one(step, "vdm").verdict == "exact"
    wrong = step.replace(r"+ \sigma_{t_i}\epsilon", r"+ \sigma_{t_{i-1}}\epsilon")
    assert _one(wrong, "vdm").verdict != "exact"


def test_variance_preserving_identity_with_another_time_letter():
    assert _one(r"\alpha_s = \sqrt{1 - \sigma_s^2}").verdict == "exact"
    assert _one(r"\alpha_s = \sqrt{1 - \sigma_s}").verdict != "exact"


def test_ancestral_step_with_its_own_noise_scale_is_a_ddim_member():
    c = r"\left(1 - \frac{\alpha_t^2\sigma_s^2}{\alpha_s^2\sigma_t^2}\right)"
    ok = (r"z_s = \frac{\alpha_s}{\alpha_t}z_t - \frac{\alpha_s\sigma_t}{\alpha_t}" + c + r"\hat\epsilon_\theta(z_t; t) + \sigma_s\sqrt{"
          + c + r"}\,\epsilon")
    assert _one(ok).verdict == "exact"
    no_sqrt = ok.replace(r"\sigma_s\sqrt{" + c + "}", r"\sigma_s" + c)
    assert _one(no_sqrt).verdict == "inconsistent"


def test_guidance_weight_before_a_bracket_is_a_product():
    ok = r"\tilde{\epsilon}_\theta(x_t, y) = \epsilon_\theta(x_t, y) + w\left(\epsilon_\theta(x_t, y) - \epsilon_\theta(x_t)\right)"
    assert _one(ok).verdict == "exact"
    assert _one(ok.replace(r"- \epsilon_\theta(x_t)\right)", r"+ \epsilon_\theta(x_t)\right)")).verdict == "inconsistent"


def test_edm_eq6_at_sigma_t_both_signs():
    lower = r"dx = -t\,\nabla_x\log p(x; t)\,dt - \beta(t)\,t^2\,\nabla_x\log p(x; t)\,dt + t\sqrt{2\beta(t)}\,dw"
    assert _one(lower).verdict == "exact"
    v = _one(lower.replace(r"t\sqrt{2\beta(t)}", r"t\sqrt{\beta(t)}"))
    assert v.verdict == "inconsistent" and v.terms == ["diffusion"]
    for name in ("edm.sde_t_upper", "edm.sde_t_lower"):
        ok, detail = REGISTRY[name].tie(REGISTRY[name])
        assert ok, detail


def test_song_auxiliary_beta_bar_over_n():
    ok = r"x_{i-1} = \frac{1}{\sqrt{1-\bar\beta_i/N}}\left(x_i + \frac{\bar\beta_i}{N}\,s_\theta(x_i, i)\right) + \sqrt{\bar\beta_i/N}\,z_i"
    v = _one(ok)
    assert v.verdict in ("exact", "consistent") and any("β̄_i = Nβ_i" in n for n in v.notes)
    assert _one(ok.replace(r"\sqrt{\bar\beta_i/N}\,z_i", r"\bar\beta_i/N\,z_i")).verdict == "inconsistent"


def test_probability_flow_drift_with_a_diffusion_matrix():
    ok = (r"\tilde{f}_\theta(x, t) = f(x, t) - \frac12\nabla\cdot\left[G(x, t)G(x, t)^\top\right]"
          r" - \frac12 G(x, t)G(x, t)^\top s_\theta(x, t)")
    assert _one(ok).verdict == "exact"
    assert _one(ok.replace(r"- \frac12\nabla", r"- \nabla")).verdict == "inconsistent"
    ok_, detail = REGISTRY["pf.ode_G.drift"].tie(REGISTRY["pf.ode_G.drift"])
    assert ok_, detail


def test_an_expectation_is_never_dropped_as_a_stray_symbol():
    text = r"\frac{d\Sigma(t)}{dt} = \mathbb{E}\left[(x - e)f(x, t)^\top\right] + \mathbb{E}\left[f(x, t)(x - e)^\top\right] + g(t)^2 I"
    assert not set(_verdicts(text)) & set(ALARM)


@pytest.mark.parametrize("latex, want", [
    (r"\log p_0(x(0)) = \log p_T(x(T)) - \frac12\int_0^T\beta(t)\left(d + \nabla\cdot s_\theta(x(t), t)\right)dt", "exact"),
    (r"\log p_0(x(0)) = \log p_T(x(T)) - \frac12\int_0^T\beta(t)\nabla\cdot s_\theta(x(t), t)\,dt", "inconsistent"),
    (r"\log p_0(x(0)) = \log p_T(x(T)) - \int_0^T\frac{d[\sigma(t)^2]}{dt}\nabla\cdot s_\theta(x(t), t)\,dt", "inconsistent"),
])
def test_change_of_variables_through_the_score_divergence(latex, want):
    assert _one(latex).verdict == want


# ---------------------------------------------------------------- DEV-half capabilities (formulas outside the corpora)

def test_named_middle_of_a_chained_ode_is_a_name():
    ok = r"\frac{dx}{dt} = v_\theta(x, t) := -\frac12\beta(t)x - \frac12\beta(t)\nabla_x\log p_t(x)"
    assert _one(ok).verdict == "exact"
    v = _one(ok.replace(r"- \frac12\beta(t)\nabla", r"- \beta(t)\nabla"))
    assert v.verdict == "inconsistent" and v.terms == ["drift"]


def test_primed_intermediate_is_one_update():
    ok = (r"x_i^{\prime} = x_{i+1} + (\sigma_{i+1}^2 - \sigma_i^2)s_\theta(x_{i+1}, \sigma_{i+1}), \quad "
          r"x_i = x_i^{\prime} + \sqrt{\sigma_{i+1}^2 - \sigma_i^2}\,z_{i+1}")
    vs = verify_latex(ok, numeric=False)
    assert len(vs) == 1 and vs[0].verdict == "consistent"
    bad = verify_latex(ok.replace(r"\sqrt{\sigma_{i+1}^2 - \sigma_i^2}\,z", r"(\sigma_{i+1}^2 - \sigma_i^2)\,z"), numeric=False)
    assert bad[0].verdict == "inconsistent" and bad[0].terms == ["variance"]


def test_product_of_per_step_alphas():
    assert _one(r"x_t = \sqrt{\prod_{s=1}^{t}(1-\beta_s)}\,x_0 + \sqrt{1-\prod_{s=1}^{t}(1-\beta_s)}\,\epsilon").verdict == "exact"
    v = _one(r"x_t = \sqrt{\prod_{s=1}^{t-1}\alpha_s}\,x_0 + \sqrt{1-\prod_{s=1}^{t-1}\alpha_s}\,\epsilon")
    assert v.verdict == "inconsistent"


def test_prior_written_coordinate_by_coordinate():
    ve = r"\log p_T(x) = -\frac{D}{2}\log(2\pi\sigma_{\max}^2) - \sum_{i=1}^{D}\frac{x_i^2}{2\sigma_{\max}^2}"
    assert _one(ve).verdict == "exact"
    assert _one(ve.replace(r"\frac{x_i^2}{2\sigma_{\max}^2}", r"\frac{x_i^2}{\sigma_{\max}^2}")).verdict == "inconsistent"


def test_wrong_claim_with_its_schedule_written_out_names_only_the_wrong_term():
    v = _one(r"dx = -\frac12\left(\beta_{\min} + t(\beta_{\max}-\beta_{\min})\right)x\,dt"
             r" + \sqrt{\beta_{\min} + t(\beta_{\max}+\beta_{\min})}\,dw")
    assert v.verdict == "inconsistent" and v.terms == ["diffusion"]


def test_negative_g2_is_ill_defined():
    v = _one(r"dx = \sqrt{-\frac{d[\sigma(t)^2]}{dt}}\,dw")
    assert v.verdict == "ill-defined" and v.terms == ["diffusion"]
    assert _one(r"dx = \sqrt{\frac{d[\sigma(t)^2]}{dt}}\,dw").verdict == "exact"


@pytest.mark.parametrize("latex, want", [
    (r"\frac{d m(t)}{dt} = \mathbb{E}[f(x(t), t)]", "exact"),
    (r"\frac{dP(t)}{dt} = \mathbb{E}[f(x, t)(x - m)^T] + \mathbb{E}[(x - m)f(x, t)^T] + \mathbb{E}[G(x, t)G(x, t)^T]", "exact"),
    (r"\frac{dP(t)}{dt} = \mathbb{E}[f(x, t)(x - m)^T] + \mathbb{E}[(x - m)f(x, t)^T] - \mathbb{E}[G(x, t)G(x, t)^T]",
     "inconsistent"),
    (r"\frac{d m(t)}{dt} = 2\,\mathbb{E}[f(x(t), t)]", "inconsistent"),
])
def test_moment_odes_with_expectations(latex, want):
    assert _one(latex).verdict == want


def test_prior_density_judged_through_its_log():
    ok = r"p_T(x) = \frac{1}{(2\pi\sigma_{\max}^2)^{D/2}}\exp\left(-\frac{\|x\|_2^2}{2\sigma_{\max}^2}\right)"
    assert _one(ok).verdict == "exact"
    assert _one(ok.replace(r"{2\sigma_{\max}^2}\right)", r"{\sigma_{\max}^2}\right)")).verdict == "inconsistent"


def test_strided_sub_sequence_indices():
    ok = r"\tilde{\beta}_{S_k} = \frac{1-\bar\alpha_{S_{k-1}}}{1-\bar\alpha_{S_k}}\left(1 - \frac{\bar\alpha_{S_k}}{\bar\alpha_{S_{k-1}}}\right)"
    v = _one(ok)
    assert v.verdict == "exact" and any("sub-sequence" in n for n in v.notes)
    assert _one(r"\beta_{S_t} = 1 - \frac{\bar\alpha_{S_{t-1}}}{\bar\alpha_{S_t}}").verdict == "inconsistent"
    assert _one(r"\beta_{S_t} = 1 - \frac{\bar\alpha_{S_t}}{\bar\alpha_{t-1}}").verdict not in ("exact", "consistent")


def test_second_opinion_never_clears_a_density_with_the_wrong_conditioning():
    # the multi-time reader does not check what a density is conditioned on: the one-step reader's alarm stands
    v = _one(r"q(x_t \mid x_{t-1}) = \mathcal{N}\left(x_t; \sqrt{\bar\alpha_t}\,x_0, (1 - \bar\alpha_t)I\right)")
    assert v.verdict == "inconsistent"
    v = _one(r"p(x_i \mid x_{i-1}) = \mathcal{N}\left(x_i; \sqrt{\bar\alpha_i}\,x_0, (1 - \bar\alpha_i)I\right)")
    assert v.verdict != "exact"
