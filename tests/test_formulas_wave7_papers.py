"""Issue 13, seventh wave (papers): reading rules for the constructs of papers' own equations and appendices, each
stated for a notation or a construct (never for one formula). Every formula here is written for this test (other
letters, other equations than any corpus claim), with wrong variants that must stay wrong.
"""
import pytest

from scoresde.formulas import verify_formula
from scoresde.formulas.code_names import name_to_latex


def _verdicts(text, notation=None):
    return [(v.verdict, list(v.terms)) for v in verify_formula(text, notation, numeric=False)]


def _one(text, notation=None):
    vs = verify_formula(text, notation, numeric=False)
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
