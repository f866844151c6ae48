"""EDM's continuous forms (Karras et al. 2022): σ(t), s(t), σ̇, ṡ, D(x; σ), Eq. 1/3/4/6, Table 1 columns, the ρ steps.

Formulas here are not the corpus's: other EDM equations, other LaTeX styles (primes, inline fractions, \\mp,
x/s(t) inline), and perturbed copies that must not be exact.
"""
from __future__ import annotations

import pytest
import sympy as sp

from scoresde.formulas import verify_latex
from scoresde.formulas.edm_reading import expand_signs
from scoresde.formulas.sequences import valid_same_kind


def _v(latex, target=None):
    vs = verify_latex(latex, target, numeric=False)
    assert vs, latex
    return vs


def _one(latex, target=None):
    vs = _v(latex, target)
    assert len(vs) == 1, [v.detail for v in vs]
    return vs[0]


SCORE = r"\nabla_{x}\log p(x;\sigma(t))"


# ----------------------------------------------------------------------------- Eq. 1 / Eq. 4 / denoiser ODE forms
@pytest.mark.parametrize("latex", [
    # Eq. 4 with primes and an inline x/s(t)
    r"\mathrm{d}x = \left[\frac{s'(t)}{s(t)}x - s(t)^2\sigma'(t)\sigma(t)\nabla_x\log p(x/s(t);\sigma(t))\right]\mathrm{d}t",
    # Eq. 4 split into two dt terms
    r"\mathrm{d}\mathbf{x} = \frac{\dot s(t)}{s(t)}\mathbf{x}\,\mathrm{d}t - \sigma(t)\dot\sigma(t)s(t)^2\nabla_{\mathbf{x}}\log p\left(\frac{\mathbf{x}}{s(t)};\sigma(t)\right)\mathrm{d}t",
    # Eq. 4 with the denoiser (the ODE that Alg. 1 discretises)
    r"\frac{\mathrm{d}x}{\mathrm{d}t} = \left(\frac{\dot\sigma(t)}{\sigma(t)} + \frac{\dot s(t)}{s(t)}\right)x - \frac{\dot\sigma(t)s(t)}{\sigma(t)}D_\theta\left(\frac{x}{s(t)};\sigma(t)\right)",
    # Eq. 1 through Eq. 3: dx/dt = σ̇/σ (x − D)
    r"\frac{\mathrm{d}x}{\mathrm{d}t} = \frac{\dot\sigma(t)}{\sigma(t)}\big(x - D(x;\sigma(t))\big)",
    # σ(t) = t: dx/dt = (x − D(x; t))/t written as a product
    r"\frac{\mathrm{d}x}{\mathrm{d}t} = t^{-1}\left(x - D_\theta(x; t)\right)",
])
def test_edm_odes_exact(latex):
    v = _one(latex)
    assert v.verdict == "exact", v.detail
    assert "EDM" in v.claim or v.target.startswith("edm.") or v.target == "ve.pf_ode"


@pytest.mark.parametrize("latex, term", [
    (r"\mathrm{d}x = \left[\frac{s'(t)}{s(t)}x - s(t)\sigma'(t)\sigma(t)\nabla_x\log p(x/s(t);\sigma(t))\right]\mathrm{d}t", "drift"),
    (r"\mathrm{d}x = \left[-\frac{\dot s(t)}{s(t)}x - s(t)^2\dot\sigma(t)\sigma(t)\nabla_x\log p(x/s(t);\sigma(t))\right]\mathrm{d}t", "drift"),
    (r"\frac{\mathrm{d}x}{\mathrm{d}t} = \left(\frac{\dot\sigma(t)}{\sigma(t)} - \frac{\dot s(t)}{s(t)}\right)x - \frac{\dot\sigma(t)s(t)}{\sigma(t)}D_\theta\left(\frac{x}{s(t)};\sigma(t)\right)", "drift"),
    (r"\frac{\mathrm{d}x}{\mathrm{d}t} = \frac{\dot\sigma(t)}{\sigma(t)}\big(D(x;\sigma(t)) - x\big)", "drift"),
    (r"\frac{\mathrm{d}x}{\mathrm{d}t} = \frac{x - D_\theta(x; t)}{t^2}", "drift"),
])
def test_edm_odes_perturbed(latex, term):
    v = _one(latex)
    assert v.verdict == "inconsistent", v.detail
    assert v.terms == [term]


# ----------------------------------------------------------------------------- Eq. 6: both signs, β(t) free
def test_expand_signs():
    assert expand_signs("a + b") == [("", "a + b")]
    (l1, up), (l2, lo) = expand_signs(r"dx_\pm = a \pm b \mp c")
    assert l1.startswith("upper sign") and "forward" in l1 and l2.startswith("lower sign") and "backward" in l2
    assert up.replace(" ", "") == "dx=a+b-c" and lo.replace(" ", "") == "dx=a-b+c"
    assert [t for _, t in expand_signs(r"dx_{\pm} = a")] == ["dx = a"]
    assert expand_signs(r"dx = a \pm b")[0][0] == "upper sign"  # no marker: no direction
    assert expand_signs(r"\mathrm{d}\mathbf{x}_{-} = a")[0][0].startswith("dx_−")
    assert expand_signs(r"x_{t-1} = a - b") == [("", "x_{t-1} = a - b")]


def test_eq6_mp_style_both_signs_exact():
    # dx_∓ with ∓: the upper sign is dx_−, backward in time, with −β
    latex = (r"\mathrm{d}x_\mp = \mp\beta(t)\sigma(t)^2" + SCORE + r"\,\mathrm{d}t - \sigma'(t)\sigma(t)" + SCORE
             + r"\,\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}\omega_t")
    vs = _v(latex)
    assert [v.verdict for v in vs] == ["exact", "exact"], [v.detail for v in vs]
    assert "upper sign" in vs[0].location and vs[0].target == "edm.sde_lower"
    assert "lower sign" in vs[1].location and vs[1].target == "edm.sde_upper"
    # without a direction marker each sign is a valid SDE of its own
    vs = _v(latex.replace(r"x_\mp", "x"))
    assert [v.verdict for v in vs] == ["exact", "exact"], [v.detail for v in vs]


@pytest.mark.parametrize("latex", [
    # dx_± with ∓: dx_+ would carry −β (the backward SDE), the Langevin term's sign swapped
    r"\mathrm{d}x_\pm = -\dot\sigma(t)\sigma(t)" + SCORE + r"\,\mathrm{d}t \mp \beta(t)\sigma(t)^2" + SCORE
    + r"\,\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}\omega_t",
    r"\mathrm{d}\mathbf{x}_{+} = -\dot\sigma(t)\sigma(t)" + SCORE + r"\,\mathrm{d}t - \beta(t)\sigma(t)^2" + SCORE
    + r"\,\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}\omega_t",
])
def test_eq6_direction_marker_binds_the_sign(latex):
    vs = _v(latex)
    assert all(v.verdict == "inconsistent" and v.terms == ["drift"] for v in vs), [v.detail for v in vs]


@pytest.mark.parametrize("sign, target", [("+", "edm.sde_upper"), ("-", "edm.sde_lower")])
def test_eq6_one_direction(sign, target):
    latex = (r"\mathrm{d}x = \left(-\dot\sigma(t)\sigma(t) " + sign + r" \beta(t)\sigma(t)^2\right)" + SCORE
             + r"\,\mathrm{d}t + \sigma(t)\sqrt{2\beta(t)}\,\mathrm{d}w")
    v = _one(latex)
    assert v.verdict == "exact" and v.target == target, v.detail


@pytest.mark.parametrize("latex, term", [
    (r"\mathrm{d}x_\pm = -\dot\sigma(t)\sigma(t)" + SCORE + r"\mathrm{d}t \pm \beta(t)\sigma(t)" + SCORE
     + r"\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\mathrm{d}\omega_t", "drift"),
    (r"\mathrm{d}x_\pm = -\dot\sigma(t)\sigma(t)" + SCORE + r"\mathrm{d}t \pm \beta(t)\sigma(t)^2" + SCORE
     + r"\mathrm{d}t + \sqrt{2\beta(t)}\mathrm{d}\omega_t", "diffusion"),
    (r"\mathrm{d}x_\pm = -2\dot\sigma(t)\sigma(t)" + SCORE + r"\mathrm{d}t \pm \beta(t)\sigma(t)^2" + SCORE
     + r"\mathrm{d}t + \sqrt{2\beta(t)}\sigma(t)\mathrm{d}\omega_t", "drift"),
])
def test_eq6_perturbed(latex, term):
    vs = _v(latex)
    assert len(vs) == 2 and all(v.verdict == "inconsistent" for v in vs), [v.detail for v in vs]
    assert all(v.terms == [term] for v in vs)


# ----------------------------------------------------------------------------- D(x; σ) in identities (Eq. 3)
@pytest.mark.parametrize("latex, verdict", [
    (r"D_\theta(\mathbf{x};\sigma) = \mathbf{x} + \sigma^2\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma)", "exact"),
    (r"\nabla_x\log p(x;\sigma) = \frac{D(x;\sigma) - x}{\sigma^2}", "exact"),
    (r"D(x;\sigma) = x - \sigma^2\nabla_x\log p(x;\sigma)", "inconsistent"),
    (r"\nabla_x\log p(x;\sigma) = \frac{D(x;\sigma) - x}{2\sigma^2}", "inconsistent"),
])
def test_denoiser_identity(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if verdict != "exact":
        assert v.terms == ["rhs"]


# ----------------------------------------------------------------------------- ρ steps and other valid sequences
def test_valid_same_kind_directly():
    i, n, r = sp.Symbol("i"), sp.Symbol("N"), sp.Symbol("ρ")
    lo, hi = sp.Symbol("σ_min"), sp.Symbol("σ_max")
    karras = (hi ** (1 / r) + i / (n - 1) * (lo ** (1 / r) - hi ** (1 / r))) ** r
    geometric = hi * (lo / hi) ** (i / (n - 1))
    linear = hi + i / (n - 1) * (lo - hi)
    assert valid_same_kind(geometric, karras) and valid_same_kind(linear, karras)
    assert valid_same_kind(karras.xreplace({hi: lo, lo: hi}), karras) is None  # runs upwards
    assert valid_same_kind(hi ** (1 / r) + i / (n - 1) * (lo ** (1 / r) - hi ** (1 / r)), karras) is None  # no ^ρ
    assert valid_same_kind(hi * sp.cos(i), karras) is None  # not monotone


@pytest.mark.parametrize("latex, verdict", [
    # the geometric (VE-like) sequence between the same ends: valid, not Karras's
    (r"\sigma_{i<N} = \sigma_{\max}\left(\frac{\sigma_{\min}}{\sigma_{\max}}\right)^{\frac{i}{N-1}}", "consistent"),
    # ρ = 1 written out (a linear sequence)
    (r"\sigma_{i<N} = \sigma_{\max} + \frac{i}{N-1}\left(\sigma_{\min} - \sigma_{\max}\right)", "consistent"),
    # the outer power dropped: leaves [σ_min, σ_max]
    (r"\sigma_{i<N} = \sigma_{\max}^{1/\rho} + \frac{i}{N-1}\left(\sigma_{\min}^{1/\rho} - \sigma_{\max}^{1/\rho}\right)", "inconsistent"),
    # a geometric t_i = σ_i (ours: t = σ) between σ_max and σ_min: valid, not Eq. 5
    (r"t_{i<N} = \sigma_{\max}\left(\sigma_{\min}/\sigma_{\max}\right)^{\frac{i}{N-1}}", "consistent"),
    # VE t_i with σ_min and σ_max swapped: runs upwards
    (r"t_{i<N} = \sigma_{\min}^2\left(\sigma_{\max}^2/\sigma_{\min}^2\right)^{\frac{i}{N-1}}", "inconsistent"),
    # VP t_i with (1 − ε_s): runs upwards from 1
    (r"t_{i<N} = 1 + \frac{i}{N-1}(1 - \epsilon_s)", "inconsistent"),
])
def test_time_step_sequences(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    assert v.terms == ["rhs"]


# ----------------------------------------------------------------------------- Table 1 columns and App. B.1
@pytest.mark.parametrize("latex, verdict", [
    (r"\lambda(\sigma) = \sigma^{-2}", "exact"),
    (r"\lambda(\sigma) = \frac{1}{\sigma}", "inconsistent"),
    (r"\sigma^{-1}(\sigma) = \frac{\sqrt{\beta_{\min}^2 + 2\beta_{\text{d}}\ln(1 + \sigma^2)} - \beta_{\min}}{\beta_{\text{d}}}", "exact"),
    (r"\sigma^{-1}(\sigma) = \frac{\sqrt{\beta_{\min}^2 + 2\beta_{\text{d}}\ln(1 + \sigma)} - \beta_{\min}}{\beta_{\text{d}}}", "inconsistent"),
    (r"\sigma'(t) = \frac{1}{2}t^{-1/2}", "exact"),
    (r"\dot\sigma(t) = 2\sqrt{t}", "inconsistent"),
    (r"s(t) = \left(1 + \sigma(t)^2\right)^{-1/2}", "exact"),
    (r"s(t) = \frac{1}{1 + \sigma(t)^2}", "inconsistent"),
    (r"g(t) = \sqrt{2\sigma(t)\dot\sigma(t)}\,s(t)", "exact"),
    (r"f(t) = \frac{s'(t)}{s(t)}", "exact"),
    (r"f(t) = \frac{s(t)}{\dot s(t)}", "inconsistent"),
])
def test_table1_and_appendix(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if verdict != "exact":
        assert v.terms == ["rhs"]


# ----------------------------------------------------------------------------- styles: \dot{σ}, bare σ̇, Song's SDE in s, σ
@pytest.mark.parametrize("latex, target", [
    (r"\mathrm{d}\mathbf{x} = -\dot{\sigma}(t)\,\sigma(t)\,\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma(t))\,\mathrm{d}t", None),
    (r"\mathrm{d}\mathbf{x} = -\sigma\dot\sigma\,\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma)\,\mathrm{d}t", None),
    (r"\mathrm{d}\boldsymbol{x} = \Big[\tfrac{\dot{s}(t)}{s(t)}\boldsymbol{x} - s(t)^{2}\dot{\sigma}(t)\sigma(t)\nabla_{\boldsymbol{x}}\log p\Big(\tfrac{\boldsymbol{x}}{s(t)};\sigma(t)\Big)\Big]\mathrm{d}t", "edm.ode_scaled"),
    (r"\mathrm{d}\mathbf{x} = \frac{s'(t)}{s(t)}\mathbf{x}\,\mathrm{d}t + \sqrt{2\sigma'(t)\sigma(t)}\,s(t)\,\mathrm{d}\omega_t", "edm.sde_scaled_forward"),
    (r"\mathrm{d}\mathbf{x} = \left[\frac{\dot s(t)}{s(t)}\mathbf{x} - 2s(t)^2\dot\sigma(t)\sigma(t)\nabla_{\mathbf{x}}\log p\left(\frac{\mathbf{x}}{s(t)};\sigma(t)\right)\right]\mathrm{d}t + s(t)\sqrt{2\dot\sigma(t)\sigma(t)}\,\mathrm{d}\bar{\mathbf{w}}", "edm.sde_scaled_reverse"),
])
def test_styles_exact(latex, target):
    v = _one(latex)
    assert v.verdict == "exact", v.detail
    if target:
        assert v.target == target


def test_forward_sde_in_s_sigma_perturbed():
    v = _one(r"\mathrm{d}\mathbf{x} = \frac{\dot s(t)}{s(t)}\mathbf{x}\,\mathrm{d}t + \sqrt{2\dot\sigma(t)\sigma(t)}\,\mathrm{d}\omega_t")
    # one piece differs from the forward SDE in s, σ (the diffusion) and another from the VE SDE (the drift)
    assert v.verdict == "inconsistent" and v.terms in (["diffusion"], ["drift"]), v.detail


def test_dot_without_derivative_meaning_is_not_the_quantity():
    # σ̇ with a subscript is not rewritten as dσ/dt: it must not be read as σ itself (it was, before)
    v = _one(r"\mathrm{d}\mathbf{x} = -\dot\sigma_t\sigma_t\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma_t)\,\mathrm{d}t")
    assert v.verdict in ("exact", "unparsed"), v.detail


@pytest.mark.parametrize("latex", [r"\beta_\text{d} = 19.9", r"\sigma_{\max} = 80", r"S_\text{churn} = 40", r"P_\text{mean} = -1.2",
                                   r"\sigma_{\min} = 0.002, \quad \sigma_\text{data} = 0.5"])
def test_parameter_settings_are_not_judged(latex):
    assert verify_latex(latex, numeric=False) == []


def test_rho_steps_without_the_range_condition():
    v = _one(r"\sigma_i = \left(\sigma_{\max}^{1/\rho} + \frac{i}{N-1}\left(\sigma_{\min}^{1/\rho} - \sigma_{\max}^{1/\rho}\right)\right)^{\rho}")
    assert v.verdict == "exact" and v.target == "edm.rho_steps", v.detail
    v = _one(r"t_i = \left(\sigma_{\max}^{\rho} + \frac{i}{N-1}\left(\sigma_{\min}^{\rho} - \sigma_{\max}^{\rho}\right)\right)^{1/\rho}")
    assert v.verdict == "consistent" and v.terms == ["rhs"], v.detail


# ----------------------------------------------------------------------------- ';' inside a function's arguments
@pytest.mark.parametrize("latex, args", [
    (r"\hat{\mathbf{x}}_\theta(\mathbf{z}_t; t) = 0", ("z_t", "t")),
    (r"x_\theta(z;t) = 0", ("z", "t")),
    (r"\ell(\theta; \sigma) = 0", ("θ", "σ")),
    (r"D_\theta\left(\mathbf{x}; \sigma\right) = 0", ("x", "σ")),
    (r"F_\theta\big(c_\text{in}(\sigma)\mathbf{x}; c_\text{noise}(\sigma)\big) = 0", None),
])
def test_semicolon_separates_arguments(latex, args):
    from scoresde.formulas.normalize import normalize_latex
    from scoresde.formulas.parse import parse

    p = parse(normalize_latex(latex))
    lhs = p.sides[0]
    at = p.atoms[lhs]
    assert at.args is not None and len(at.args) == 2
    if args:
        assert at.args == args


def test_semicolon_does_not_make_a_product_an_application():
    from scoresde.formulas.parse import parse

    p = parse(r"a(b + c) = 1")
    assert p.sides[0].is_Mul


@pytest.mark.parametrize("latex, verdict", [
    (r"\lambda(\sigma) = c_\mathrm{out}(\sigma)^{-2}", "exact"),
    (r"\lambda(\sigma) = \frac{1}{c_{\text{out}}(\sigma)}", "inconsistent"),
    (r"c_\mathrm{skip}(\sigma) = \frac{\sigma_\mathrm{data}^2}{\sigma_\mathrm{data}^2 + \sigma^2}", "exact"),
])
def test_preconditioning_functions_are_functions_of_sigma(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


# ----------------------------------------------------------------------------- primes
@pytest.mark.parametrize("latex, name", [
    (r"\mathbf{d}_i' = 0", "d_i^′"),
    (r"\mathbf{d}'_i = 0", "d_i^′"),  # the same quantity, the prime written before the index
    (r"x' = 0", "x^′"),
])
def test_prime_is_another_symbol(latex, name):
    from scoresde.formulas.parse import parse

    p = parse(latex)
    assert p.atoms[p.sides[0]].name == name


def test_prime_is_not_the_quantity_itself():
    # σ'_i is not σ_i (nor its derivative in time): not judged as σ_i
    v = _one(r"\mathrm{d}\mathbf{x} = -\sigma'_t\sigma_t\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma_t)\,\mathrm{d}t")
    assert v.verdict == "unparsed", v.detail
    # σ' alone is σ'(t) = dσ/dt, as σ̇ is σ̇(t)
    v = _one(r"\mathrm{d}\mathbf{x} = -\sigma'\sigma\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma)\,\mathrm{d}t")
    assert v.verdict == "exact", v.detail


def test_eq6_with_scale_both_signs():
    g = r"\nabla_{\mathbf{x}}\log p\left(\frac{\mathbf{x}}{s(t)};\sigma(t)\right)"
    latex = (r"\mathrm{d}\mathbf{x}_\pm = \frac{\dot s(t)}{s(t)}\mathbf{x}\,\mathrm{d}t - s(t)^2\dot\sigma(t)\sigma(t)" + g
             + r"\mathrm{d}t \pm \beta(t)s(t)^2\sigma(t)^2" + g + r"\mathrm{d}t + s(t)\sqrt{2\beta(t)}\sigma(t)\,\mathrm{d}\omega_t")
    vs = _v(latex)
    assert [(v.verdict, v.target) for v in vs] == [("exact", "edm.sde_scaled_upper"), ("exact", "edm.sde_scaled_lower")]
    wrong = _v(latex.replace(r"\pm \beta(t)s(t)^2", r"\pm \beta(t)s(t)"))
    assert all(v.verdict == "inconsistent" and v.terms == ["drift"] for v in wrong), [v.detail for v in wrong]


@pytest.mark.parametrize("latex", [
    # Eq. 4 with p(x; σ) for p(x/s(t); σ): the score of p(·; σ) at the scaled x is not the marginal score
    r"\mathrm{d}\mathbf{x} = \left[\frac{\dot s(t)}{s(t)}\mathbf{x} - s(t)^2\dot\sigma(t)\sigma(t)\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma(t))\right]\mathrm{d}t",
    r"\frac{\mathrm{d}x}{\mathrm{d}t} = \left(\frac{\dot\sigma(t)}{\sigma(t)} + \frac{\dot s(t)}{s(t)}\right)x - \frac{\dot\sigma(t)s(t)}{\sigma(t)}D_\theta(x;\sigma(t))",
])
def test_scaled_equation_with_unscaled_argument_is_not_exact(latex):
    v = _one(latex)
    assert v.verdict == "inconsistent" and "drift" in v.terms, v.detail


@pytest.mark.parametrize("latex, verdict", [
    (r"\sigma(t) = \sqrt{\frac{1}{\bar\alpha_t} - 1}", "exact"),
    (r"s(t) = \exp\left(-\frac{1}{2}\int_0^t \beta(s)\,\mathrm{d}s\right)", "exact"),
    (r"\sigma(t) = \sqrt{\frac{1 - \bar\alpha_t}{\bar\alpha_t}}\,\bar\alpha_t", "inconsistent"),
    (r"s(t) = \sqrt{1 - \bar\alpha_t}", "inconsistent"),
])
def test_vp_columns_for_any_beta(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("latex, verdict", [
    # EDM's VP/VE preconditioning: D = x − σ ε_θ, so dx/dt = σ̇/σ (x − D) = σ̇ ε_θ (ε is −σ times the score, not −√(1−ᾱ))
    (r"\frac{\mathrm{d}\mathbf{x}}{\mathrm{d}t} = \dot\sigma(t)\,\boldsymbol{\epsilon}_\theta(\mathbf{x};\sigma(t))", "exact"),
    (r"\frac{\mathrm{d}\mathbf{x}}{\mathrm{d}t} = -\dot\sigma(t)\,\boldsymbol{\epsilon}_\theta(\mathbf{x};\sigma(t))", "inconsistent"),
])
def test_ode_with_noise_prediction_in_sigma(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("latex, verdict", [
    (r"\frac{\mathrm{d}\mathbf{x}}{\mathrm{d}\sigma} = \frac{\mathbf{x} - D_\theta(\mathbf{x};\sigma)}{\sigma}", "exact"),
    (r"\frac{\mathrm{d}\mathbf{x}}{\mathrm{d}\sigma} = -\sigma\,\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma)", "exact"),
    (r"\frac{\mathrm{d}\mathbf{x}}{\mathrm{d}\sigma} = \frac{D_\theta(\mathbf{x};\sigma) - \mathbf{x}}{\sigma}", "inconsistent"),
    (r"\frac{\mathrm{d}\mathbf{x}}{\mathrm{d}\sigma} = -\sigma^2\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma)", "inconsistent"),
])
def test_noise_level_as_time(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


def test_langevin_rate_of_song():
    assert _one(r"\beta(t) = \frac{\dot\sigma(t)}{\sigma(t)}").verdict == "exact"
    assert _one(r"\beta(t) = \frac{\sigma(t)}{\dot\sigma(t)}").verdict == "inconsistent"


@pytest.mark.parametrize("latex, verdict", [
    (r"\mathbf{x}(t) = s(t)\left(\mathbf{x}(0) + \sigma(t)\mathbf{z}\right)", "exact"),
    (r"p_{0t}(\mathbf{x}(t)\mid\mathbf{x}(0)) = \mathcal{N}\left(\mathbf{x}(t); s(t)\mathbf{x}(0), s(t)^2\sigma(t)^2\mathbf{I}\right)", "exact"),
    (r"\mathbf{x}(t) = s(t)\mathbf{x}(0) + \sigma(t)\mathbf{z}", "inconsistent"),
])
def test_kernel_in_s_sigma(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("latex, verdict", [
    (r"c_\mathrm{noise}(\sigma) = (M - 1)\,\sigma^{-1}(\sigma)", "exact"),
    (r"c_\mathrm{noise}(\sigma) = M\,\sigma^{-1}(\sigma)", "inconsistent"),
    (r"c_\mathrm{noise}(\sigma) = M - 1", "inconsistent"),  # σ⁻¹(σ) is a function, not σ⁻¹ · σ = 1
    (r"\sigma^{-1}\left(\sigma\right) = \frac{1}{\sigma}", "inconsistent"),
])
def test_inverse_schedule(latex, verdict):
    v = _one(latex)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


def test_inverse_notation_only_for_sigma_of_sigma():
    from scoresde.formulas.parse import parse

    assert parse(r"\sigma_t^{-1}(x - \mu) = 1").sides[0].has(sp.Pow)  # 1/σ_t · (x − μ)
    assert parse(r"x^{-1}(a) = 1").sides[0].has(sp.Pow)


@pytest.mark.parametrize("latex", [
    r"\operatorname{d}\!\mathbf{x} = -\dot\sigma(t)\sigma(t)\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma(t))\operatorname{d}\!t",
    r"{\rm d}\mathbf{x} = -\dot\sigma(t)\sigma(t)\nabla_{\mathbf{x}}\log p(\mathbf{x};\sigma(t))\,{\rm d}t",
])
def test_differential_spellings(latex):
    assert _one(latex).verdict == "exact"


@pytest.mark.parametrize("latex, verdict", [
    (r"\sigma(t) = \sqrt{e^{\frac{1}{2}(\beta_{\max} - \beta_{\min})t^2 + \beta_{\min}t} - 1}", "exact"),
    (r"\sigma(t) = \sqrt{e^{\frac{1}{2}(\beta_{\max} + \beta_{\min})t^2 + \beta_{\min}t} - 1}", "inconsistent"),
])
def test_beta_d_is_beta_max_minus_beta_min(latex, verdict):
    assert _one(latex).verdict == verdict


@pytest.mark.parametrize("latex, verdict", [
    (r"s'(t) = -\tfrac{1}{2}\left(\beta_\text{d}t + \beta_\text{min}\right)s(t)", "exact"),
    (r"\dot s(t) = -\left(\beta_\text{d}t + \beta_\text{min}\right)s(t)", "inconsistent"),
    (r"\dot{s}(t) = 0", "exact"),
])
def test_scale_derivative(latex, verdict):
    assert _one(latex).verdict == verdict
