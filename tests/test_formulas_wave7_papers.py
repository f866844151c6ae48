"""Issue 13, seventh wave (papers): reading rules for the constructs of papers' own equations and appendices, each
stated for a notation or a construct (never for one formula). Every formula here is written for this test (other
letters, other equations than any corpus claim), with wrong variants that must stay wrong.
"""
import pytest

from scoresde.formulas import verify_formula
from scoresde.formulas.code_names import name_to_latex


def _run(text, notation=None):
    return verify_formula(text, None, hints={"notation": notation} if notation else None, numeric=False)


def _verdicts(text, notation=None):
    return [(v.verdict, list(v.terms)) for v in _run(text, notation)]


def _one(text, notation=None):
    vs = _run(text, notation)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


# --- likelihood: the change of variables holds for the ODE's field; f(x, t) of Song et al.'s notation is the SDE's
# drift (Song et al. 2021, Eq. 5 vs Eq. 13 and 39; Chen et al. 2018, Thm. 1 write the ODE's own f in z)
@pytest.mark.parametrize("text, verdict", [
    (r"\frac{\mathrm{d}\log p_t(\mathbf{x}(t))}{\mathrm{d}t} = -\nabla\cdot\tilde{\mathbf{f}}_\theta(\mathbf{x}(t), t)", "exact"),
    (r"\frac{\mathrm{d}\log p_t(\mathbf{x}(t))}{\mathrm{d}t} = -\nabla\cdot\mathbf{f}(\mathbf{x}(t), t)", "inconsistent"),
    (r"\log p_0(\mathbf{x}(0)) = \log p_1(\mathbf{x}(1)) + \int_0^1 \nabla\cdot\tilde{\mathbf{f}}_\theta(\mathbf{x}(t), t)\,dt", "exact"),
    (r"\log p_0(\mathbf{x}(0)) = \log p_1(\mathbf{x}(1)) + \int_0^1 \nabla\cdot\mathbf{f}(\mathbf{x}(t), t)\,dt", "inconsistent"),
    # Chen et al.'s own field f, in z with an unindexed density: the ODE's field, exact
    (r"\log p(\mathbf{z}(t_0)) = \log p(\mathbf{z}(t_1)) + \int_{t_0}^{t_1}\nabla\cdot f(\mathbf{z}(t), t)\,dt", "exact"),
])
def test_change_of_variables_needs_the_ode_field(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"] and v.reading_verdict == "exact"


# --- code: the step suffix of a named quantity, and the noise of a sampler step
def test_named_quantity_with_a_step_suffix_counts_from_the_step():
    assert name_to_latex("alpha_bar_prev") == r"\bar{\alpha}_{t-1}"
    assert name_to_latex("alphabar_next", step="i") == r"\bar{\alpha}_{i+1}"
    assert name_to_latex("alpha_bar_t") == r"\bar{\alpha}_{t}"


@pytest.mark.parametrize("text, verdict", [
    # DDIM (Song et al. 2021a, Eq. 12 with σ = 0) as a deterministic sampler line; the noise is the prediction
    ("x_tm1 = alpha_bar_prev ** 0.5 * (x_t - (1 - alpha_bar_t) ** 0.5 * epsilon) / alpha_bar_t ** 0.5 + (1 - alpha_bar_prev) ** 0.5 * epsilon", "exact"),
    ("x_tm1 = alpha_bar_prev ** 0.5 * (x_t - (1 - alpha_bar_t) ** 0.5 * epsilon) / alpha_bar_t ** 0.5 + (1 - alpha_bar_t) ** 0.5 * epsilon", "inconsistent"),
    ("x_tm1 = alpha_bar_t ** 0.5 * (x_t - (1 - alpha_bar_t) ** 0.5 * epsilon) / alpha_bar_t ** 0.5 + (1 - alpha_bar_prev) ** 0.5 * epsilon", "inconsistent"),
])
def test_code_sampler_step_noise_is_the_prediction(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_code_sigma_eta_with_prev_names():
    ok = "sigma_t = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar_t)) ** 0.5 * (1 - alpha_bar_t / alpha_bar_prev) ** 0.5"
    bad = "sigma_t = eta * ((1 - alpha_bar_t) / (1 - alpha_bar_prev)) ** 0.5 * (1 - alpha_bar_t / alpha_bar_prev) ** 0.5"
    assert _one(ok).verdict == "exact"
    assert _one(bad).verdict == "inconsistent"


# --- a range in parentheses after a separator is where the formula holds (Song & Ermon 2019, Alg. 1)
@pytest.mark.parametrize("tail", [r"\quad (k = 1, \ldots, K)", r"\qquad (1 \le k \le K)", r", \quad \left(k = 1, \dots, K\right)."])
def test_parenthesised_range_is_dropped(tail):
    # the ancestral step of Ho et al. 2020, Alg. 2, in k
    base = (r"x_{k-1} = \frac{1}{\sqrt{\alpha_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right)"
            r" + \sqrt{\beta_k}\, z ")
    assert [v for v, _ in _verdicts(base + tail)] == ["exact"]
    bad = base.replace(r"\sqrt{\alpha_k}}\left", r"\alpha_k}\left")
    assert [v for v, _ in _verdicts(bad + tail)] == ["inconsistent"]


def test_a_parenthesised_factor_is_not_a_range():
    from scoresde.formulas.normalize import normalize_latex
    assert "(1 - t)" in normalize_latex(r"y = x\,(1 - t)")
    assert "k = 1" in normalize_latex(r"y = x \quad (k = 1)")  # no range: an equation, left to the readers


# --- the decreasing geometric sequence is the increasing one read backwards: a valid alternative, not a mismatch
# with another entry (Song & Ermon 2019 count σ_1 > … > σ_L; Song et al. 2021, App. C count upwards)
def test_reversed_geometric_sequence_is_consistent():
    v = _one(r"\sigma_i = \sigma_{\max}\left(\frac{\sigma_{\min}}{\sigma_{\max}}\right)^{\frac{i-1}{N-1}}")
    assert v.verdict in ("exact", "consistent"), v.detail  # NCSN's σ_1 = σ_max order (families/noise_levels.py)
    v = _one(r"\sigma_i = \sigma_{\max}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{\frac{i-1}{N-1}}")
    assert v.verdict == "inconsistent", v.detail


# --- DDIM's family q_σ written with another letter (Bao et al. 2022 write q_λ with λ_n), and its variance
_DDIM_FAMILY = (r"q_{@}(\mathbf{x}_{k-1} \mid \mathbf{x}_k, \mathbf{x}_0) = \mathcal{N}\left(\mathbf{x}_{k-1}; "
                r"\sqrt{\bar\alpha_{k-1}}\mathbf{x}_0 + \sqrt{1 - \bar\alpha_{k-1} - @_k^2}\,"
                r"\frac{\mathbf{x}_k - \sqrt{\bar\alpha_k}\mathbf{x}_0}{\sqrt{1 - \bar\alpha_k}}, VAR\,\mathbf{I}\right)")


@pytest.mark.parametrize("letter", [r"\lambda", r"\gamma"])
@pytest.mark.parametrize("var, verdict, terms", [("@_k^2", "exact", []), ("@_k", "inconsistent", ["variance"]),
                                                 (r"\beta_k", "inconsistent", ["variance"])])
def test_family_letter_is_the_ddim_parameter(letter, var, verdict, terms):
    text = _DDIM_FAMILY.replace("VAR", var).replace("@", letter + " ")
    assert _verdicts(text) == [(verdict, terms)]


def test_ddim_step_without_its_noise_is_not_exact():
    text = (r"x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\sqrt{\bar\alpha_t}}"
            r" + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\epsilon_\theta(x_t,t)")
    assert _one(text).verdict == "inconsistent"
    assert _one(text + r" + \sigma_t\,\boldsymbol{\xi}").verdict == "exact"


# --- objectives: a code loss in any names falls back to the general mean-of-squares reader; a kernel sample with
# DDPM's per-step α_k is α for ᾱ (Ho et al. 2020, Sec. 2 vs Eq. 4); in DDIM's notation α is ᾱ (Song et al. 2021a, Eq. 5)
@pytest.mark.parametrize("text, verdict", [
    ("l = ((noise - unet(sqrt(alpha_bar[s]) * x0 + sqrt(1 - alpha_bar[s]) * noise, s)) ** 2).mean()", "exact"),
    ("l = ((noise - unet(sqrt(alpha_bar[s]) * x0 + (1 - alpha_bar[s]) * noise, s)) ** 2).mean()", "inconsistent"),
    ("l = ((noise - unet(sqrt(alpha[s]) * x0 + sqrt(1 - alpha[s]) * noise, s)) ** 2).mean()", "inconsistent"),
])
def test_code_loss_in_other_names(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


_KERNEL_LOSS = (r"\mathcal{J} = \mathbb{E}_{k, \mathbf{y}_0, \boldsymbol{\xi}}\left\|\boldsymbol{\xi} - "
                r"\boldsymbol{\epsilon}_\theta\left(\sqrt{\alpha_k}\mathbf{y}_0 + \sqrt{1-\alpha_k}\boldsymbol{\xi}, k\right)\right\|^2")


@pytest.mark.parametrize("notation, verdict", [(None, "inconsistent"), ("ddpm", "inconsistent"), ("ddim", "exact")])
def test_per_step_alpha_in_a_kernel_sample(notation, verdict):
    v = _one(_KERNEL_LOSS, notation)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


# --- EDM's preconditioning written without its argument is a function of σ (Karras et al. 2022, Eq. 7, Table 1);
# the effective training target F_target (Eq. 8)
@pytest.mark.parametrize("text, verdict", [
    (r"c_{\text{in}} = \frac{1}{\sqrt{\sigma^2 + \sigma_{\text{data}}^2}}", "exact"),
    (r"c_{\text{in}} = \frac{1}{\sigma^2 + \sigma_{\text{data}}^2}", "inconsistent"),
    (r"c_\mathrm{noise} = \tfrac{1}{4}\ln\sigma", "exact"),
    (r"c_\mathrm{noise} = \tfrac{1}{4}\sigma", "inconsistent"),
])
def test_precond_without_argument(text, verdict):
    assert _one(text).verdict == verdict


def test_precond_list_with_spacing_macros():
    # the VE column of Table 1 as a list separated by \ and \quad
    vs = _verdicts(r"c_{\mathrm{out}} = \sigma,\ c_{\mathrm{in}} = 1,\quad c_{\mathrm{noise}} = \log\left(\tfrac{1}{2}\sigma\right)")
    assert [v for v, _ in vs] == ["exact", "exact", "exact"]


@pytest.mark.parametrize("text, verdict", [
    (r"F_{\mathrm{target}} = \frac{y - c_{\mathrm{skip}}(\sigma)\,(y + n)}{c_{\mathrm{out}}(\sigma)}", "exact"),
    (r"F_{\mathrm{target}} = \frac{y - c_{\mathrm{skip}}(\sigma)\,y}{c_{\mathrm{out}}(\sigma)}", "inconsistent"),
    (r"F_{\mathrm{target}} = \frac{y - c_{\mathrm{out}}(\sigma)\,(y + n)}{c_{\mathrm{skip}}(\sigma)}", "inconsistent"),
])
def test_edm_effective_target(text, verdict):
    assert _one(text).verdict == verdict


def test_edm_scale_with_a_time_subscript():
    # the VP column of Karras et al. 2022, Table 1, in ᾱ and with subscripts: σ_t and s_t
    assert [v for v, _ in _verdicts(r"s_t = \sqrt{\bar\alpha_t}, \quad \sigma_t = \sqrt{1/\bar\alpha_t - 1}")] == ["exact", "exact"]
    assert _verdicts(r"s_t = 1/\sqrt{\bar\alpha_t}") == [("inconsistent", ["rhs"])]


# --- DDIM's ODE in (x̄, σ) (Song, Meng & Ermon 2021, Eq. 14) in any bold font, and with d[σ²] = 2σ dσ
@pytest.mark.parametrize("text, verdict", [
    (r"d\bar{\boldsymbol{x}}(t) = \boldsymbol{\epsilon}_\theta^{(t)}\left(\frac{\bar{\boldsymbol{x}}(t)}{\sqrt{\sigma^2+1}}\right)d\sigma(t)", "exact"),
    (r"d\bar{\bm{x}}(t) = \frac{1}{2\sigma}\boldsymbol{\epsilon}_\theta^{(t)}\left(\frac{\bar{\bm{x}}(t)}{\sqrt{\sigma^2+1}}\right)d\sigma^2(t)", "exact"),
    (r"d\bar{\bm{x}}(t) = \boldsymbol{\epsilon}_\theta^{(t)}\left(\frac{\bar{\bm{x}}(t)}{\sqrt{\sigma^2+1}}\right)d\sigma^2(t)", "inconsistent"),
    (r"d\bar{\boldsymbol{x}}(t) = \boldsymbol{\epsilon}_\theta^{(t)}\left(\frac{\bar{\boldsymbol{x}}(t)}{\sqrt{\sigma+1}}\right)d\sigma(t)", "inconsistent"),
])
def test_ddim_ode_in_sigma(text, verdict):
    assert _one(text).verdict == verdict


# --- the Fokker–Planck equation with a scalar diffusion (Song et al. 2021, App. D.1, Eq. 44 with G = g(t) I)
@pytest.mark.parametrize("text, verdict", [
    (r"\partial_t p_t(z) = -\nabla_z\cdot\big(p_t(z)\,f(z,t)\big) + \frac{g(t)^2}{2}\nabla_z^2 p_t(z)", "exact"),
    (r"\frac{\partial}{\partial t}p(y, t) = -\nabla\cdot[f(y, t)\,p(y, t)] + \tfrac12 g(t)^2\,\nabla\cdot\nabla p(y, t)", "exact"),
    (r"\partial_t p_t(z) = \nabla_z\cdot\big(p_t(z)\,f(z,t)\big) + \frac{g(t)^2}{2}\nabla_z^2 p_t(z)", "inconsistent"),
    (r"\partial_t p_t(z) = -\nabla_z\cdot\big(p_t(z)\,f(z,t)\big) + \frac{g(t)}{2}\nabla_z^2 p_t(z)", "inconsistent"),
])
def test_fokker_planck(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert v.terms == ([] if verdict == "exact" else ["rhs"])


def test_fokker_planck_reader_leaves_other_operators():
    from scoresde.formulas.fokker_planck import judge_fokker_planck
    # a gradient of p (not a Laplacian), or a divergence of something else than the drift flux: not this equation
    assert judge_fokker_planck(r"\partial_t p_t(z) = -\nabla\cdot[f(z,t)p_t(z)] + \frac{g(t)^2}{2}\nabla p_t(z)") is None
    assert judge_fokker_planck(r"\partial_t p_t(z) = -\nabla\cdot[g(t)^2 p_t(z)] + \frac{g(t)^2}{2}\Delta p_t(z)") is None


# --- Hyvärinen's implicit score matching in its vector and component forms (Hyvärinen 2005, Thm. 1; Song & Ermon
# 2019, Eq. 1): only the ratio ½ of the squared norm to the divergence is fixed
@pytest.mark.parametrize("text, verdict", [
    (r"\mathcal{J}(\phi) = \mathbb{E}_{q(\mathbf{y})}\left[\nabla_{\mathbf{y}}\cdot\mathbf{s}_\phi(\mathbf{y}) + \tfrac{1}{2}\|\mathbf{s}_\phi(\mathbf{y})\|^2\right] + C", "exact"),
    (r"\mathcal{J}(\phi) = \mathbb{E}_{q(\mathbf{y})}\left[2\,\mathrm{tr}(\nabla_{\mathbf{y}}\mathbf{s}_\phi(\mathbf{y})) + \|\mathbf{s}_\phi(\mathbf{y})\|_2^2\right]", "exact"),
    (r"\mathcal{J}(\phi) = \mathbb{E}_{q(\mathbf{y})}\left[\nabla_{\mathbf{y}}\cdot\mathbf{s}_\phi(\mathbf{y}) + 2\|\mathbf{s}_\phi(\mathbf{y})\|^2\right]", "inconsistent"),
    (r"L(w) = \int p(u) \sum_{j=1}^{d}\left[\partial_j \phi_j(u; w) + \frac{1}{2}\phi_j(u; w)^2\right] du", "exact"),
    (r"L(w) = \int p(u) \sum_{j=1}^{d}\left[\partial_j \phi_j(u; w) + \frac{1}{4}\phi_j(u; w)^2\right] du", "inconsistent"),
])
def test_implicit_score_matching(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_implicit_score_matching_needs_one_model():
    from scoresde.formulas.implicit_sm import judge_implicit_sm
    assert judge_implicit_sm(r"\mathbb{E}\left[\nabla\cdot s_\phi(y) + \frac12\|s_\theta(y)\|^2\right]") is None


def test_drift_coefficient_of_a_step_is_named_drift():
    # the reverse Euler–Maruyama step (Song et al. 2021, Eq. 6) with the sign of f flipped: the drift is what is wrong
    v = _one(r"\mathbf{x}(t-\Delta t) = \mathbf{x}(t) + \left[\mathbf{f}(\mathbf{x}(t),t) + g(t)^2\mathbf{s}_{\theta}(\mathbf{x}(t),t)\right]\Delta t + g(t)\sqrt{\Delta t}\,\mathbf{z}")
    assert v.verdict == "inconsistent" and v.terms == ["drift"], (v.verdict, v.terms)


# --- the mean over the noise levels, 1/N Σ_{j=1}^N (Song & Ermon 2019, Eq. 6): its count is a constant factor
@pytest.mark.parametrize("weight, verdict", [(r"\sigma_j^2", "exact"), (r"\sigma_j", "consistent")])
def test_mean_over_noise_levels(weight, verdict):
    text = (r"\ell(\theta) = \frac{1}{N}\sum_{j=1}^{N} " + weight + r"\,\mathbb{E}_{q(\mathbf{y})}\mathbb{E}_{\tilde{\mathbf{y}}\sim"
            r"\mathcal{N}(\mathbf{y},\sigma_j^2 I)}\left[\left\|\mathbf{s}_\theta(\tilde{\mathbf{y}},\sigma_j) + "
            r"\frac{\tilde{\mathbf{y}}-\mathbf{y}}{\sigma_j^2}\right\|_2^2\right]")
    assert _one(text).verdict == verdict
    assert _one(text.replace(r"{\sigma_j^2}\right\|", r"{\sigma_j}\right\|")).verdict == "inconsistent"


# --- x̂_0 defined in one row and used by the update of the next (DDIM, Eq. 12 written in two rows)
_TWO_ROWS = (r"\begin{aligned} \hat{\mathbf{x}}_0 &= \frac{\mathbf{x}_k - \sqrt{1-\bar\alpha_k}\,\boldsymbol\epsilon_\theta(\mathbf{x}_k, k)}"
             r"{\sqrt{\bar\alpha_k}} \\ \mathbf{x}_{k-1} &= \sqrt{\bar\alpha_{k-1}}\,\hat{\mathbf{x}}_0 + \sqrt{1-\bar\alpha_{k-1}-SIG}\,"
             r"\boldsymbol\epsilon_\theta(\mathbf{x}_k, k) + \sigma_k\boldsymbol\xi \end{aligned}")


@pytest.mark.parametrize("sig, verdict, terms", [(r"\sigma_k^2", "exact", []), (r"\sigma_k", "inconsistent", ["mean.eps"])])
def test_x0_row_substituted_into_the_update(sig, verdict, terms):
    got = _verdicts(_TWO_ROWS.replace("SIG", sig))
    assert got[0] == ("exact", []) and got[-1] == (verdict, terms), got


# --- a normalising constant inside ∇ log vanishes (Dhariwal & Nichol 2021, Sec. 4.2)
@pytest.mark.parametrize("inside, verdict", [
    (r"\frac{1}{Z_\gamma}\,p_\phi(c|\mathbf{x}_t)^{\gamma}", "exact"),
    (r"Z^{-1}\,p_\phi(c|\mathbf{x}_t)^{\gamma}", "exact"),
    (r"\frac{1}{Z}\,p_\phi(c|\mathbf{x}_t)", "inconsistent"),
])
def test_normalising_constant_inside_grad_log(inside, verdict):
    text = (r"\gamma\,\nabla_{\mathbf{x}_t}\log p_\phi(c|\mathbf{x}_t) = \nabla_{\mathbf{x}_t}\log\left[" + inside + r"\right]")
    assert _one(text).verdict == verdict


# --- Prince 2023's normal distribution Norm_v[m, C] is N(v; m, C) (Understanding Deep Learning, Sec. 5.3)
@pytest.mark.parametrize("var, verdict", [(r"(1-\bar\alpha_k)", "exact"), (r"(1-\bar\alpha_k)^2", "inconsistent")])
def test_prince_norm_notation(var, verdict):
    text = r"q(\mathbf{x}_k|\mathbf{x}_0) = \mathrm{Norm}_{\mathbf{x}_k}\left[\sqrt{\bar\alpha_k}\,\mathbf{x}_0, " + var + r"\mathbf{I}\right]"
    assert _one(text).verdict == verdict
