"""Reading the constructs people write (wave 4, parse): Python code by Python's grammar, argument lists with commas,
exponents in parentheses, ``|`` inside brackets, ellipses in chains, integrals over any variable, ``~`` as a tie.

Every formula here is another instance of a construct (other letters, other papers' equations), not a corpus claim;
the wrong variants must stay wrong.
"""
from __future__ import annotations

import pytest
import sympy as sp

from scoresde.formulas.check import verify_formula
from scoresde.formulas.code_latex import code_to_latex, name_to_latex
from scoresde.formulas.normalize import normalize_latex
from scoresde.formulas.parse import NORMAL, ParseError, parse


def _verdicts(text):
    return [(v.verdict, tuple(v.terms)) for v in verify_formula(text, numeric=False)]


# ----------------------------------------------------------------------------- code by Python's grammar
@pytest.mark.parametrize("name,index,tex", [
    ("alphas_cumprod", "t", r"\bar{\alpha}_{t}"),
    ("alphas_cumprod_prev", None, r"\bar{\alpha}_{t-1}"),
    ("sqrt_one_minus_alphas_cumprod", "s", r"\sqrt{\left(1 - \bar{\alpha}_{s}\right)}"),
    ("sqrt_recip_alphas_cumprod", None, r"\sqrt{\frac{1}{\bar{\alpha}}}"),
    ("log_sigmas", "i", r"\log\left(\sigma_{i}\right)"),
    ("sigma2", None, r"\sigma^{2}"),
    ("x_start", None, "x_0"),
    ("S_churn", None, "S_{churn}"),
    ("gamma_hat", None, r"\hat{\gamma}"),
    ("alphas", "k", r"\left(1 - \beta_{k}\right)"),  # Ho et al.'s code: alphas = 1 - betas
    ("my_buffer", None, r"\text{my_buffer}"),
])
def test_code_names_are_read_compositionally(name, index, tex):
    assert name_to_latex(name, index) == tex


def test_code_methods_floats_and_powers_by_python_grammar():
    tex = code_to_latex("y = (1. - abar[k]).sqrt() * z + abar[k].sqrt() * x0 + 2.5e-3 * (a_k) ** (k - 1)")
    p = parse(normalize_latex(tex))
    rhs = p.sides[1]
    names = {s.name for s in rhs.free_symbols}
    assert {"ᾱ_k", "z", "x_0"} <= names
    assert sp.Rational(1, 400) in [c for c in rhs.atoms(sp.Rational)]  # 2.5e-3 kept exact


def test_code_statements_inline_intermediates_and_keep_outputs():
    tex = code_to_latex("h = lam_next - lam; q = torch.exp(-h); out = q * x + (1 - q) * y")
    assert ";" not in tex and "h" not in tex.split("=")[0]
    assert tex.startswith(r"\text{out} =") and r"\lambda" in tex


def test_code_array_statements_hold_elementwise():
    # posterior_log_variance-style arrays: whole-array code is the formula at index t
    assert code_to_latex("posterior_variance = betas * (1 - alphas_cumprod_prev) / (1 - alphas_cumprod)") == (
        r"\tilde{\beta}_{t} = \frac{\beta_{t} \cdot \left(1 - \bar{\alpha}_{t-1}\right)}{1 - \bar{\alpha}_{t}}")
    assert code_to_latex("abar = np.cumprod(1 - betas)").startswith(r"\bar{\alpha}_{t} = \prod_{s=1}^{t}")


def test_code_that_is_not_python_is_left_to_the_other_readers():
    assert code_to_latex(r"x_t = \sqrt{a} x_0") is None
    assert code_to_latex("x_t = sqrt(abar_t) x_0 + eps") is None  # implicit product: not Python
    assert code_to_latex("for i in range(3): x = x + 1") is None


@pytest.mark.parametrize("code,expect", [
    # Ho et al. 2020, Eq. 4 with the names of Nichol & Dhariwal's improved-diffusion
    ("x_noisy = np.sqrt(alphas_cumprod[t]) * x_start + np.sqrt(1 - alphas_cumprod[t]) * torch.randn_like(x_start)", "exact"),
    ("x_noisy = alphas_cumprod[t] * x_start + np.sqrt(1 - alphas_cumprod[t]) * torch.randn_like(x_start)", "inconsistent"),
    # α_s (= 1 − β_s in this code) where ᾱ_s belongs: wrong, never DDIM's notation
    ("x_noisy = np.sqrt(alphas[t]) * x_start + np.sqrt(1 - alphas[t]) * torch.randn_like(x_start)", "inconsistent"),
    # Ho et al. 2020, Eq. 7's β̃ with whole arrays
    ("posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)", "exact"),
    ("posterior_variance = betas * (1.0 - alphas_cumprod) / (1.0 - alphas_cumprod_prev)", "inconsistent"),
    # Song et al. 2021, App. C geometric σ_i, written as an exponential of evenly spaced logarithms
    ("sigmas = np.exp(np.log(sigma_min) + (i - 1) / (N - 1) * np.log(sigma_max / sigma_min))", "exact"),
    ("sigmas = np.exp(np.log(sigma_max) + (i - 1) / (N - 1) * np.log(sigma_max / sigma_min))", "inconsistent"),
])
def test_code_cells_are_judged_like_their_formulas(code, expect):
    assert [v for v, _ in _verdicts(code)] == [expect]


def test_sde_lib_interface_pairs_are_one_formula():
    # VPSDE.marginal_prob with another β(t) split (Song et al. 2021, Eq. 29), and its variance wrongly unsquared
    ok = ("lmc = -0.5 * t * beta_0 - 0.25 * t ** 2 * (beta_1 - beta_0); mean = torch.exp(lmc) * x; "
          "std = torch.sqrt(1. - torch.exp(2. * lmc))")
    bad = ok.replace("torch.exp(2. * lmc)", "torch.exp(lmc)")
    assert [v for v, _ in _verdicts(ok)] == ["exact"]
    assert [v for v, _ in _verdicts(bad)] == ["inconsistent"]
    tex = code_to_latex("drift = -0.5 * b * x; diffusion = torch.sqrt(b)")
    assert tex.startswith("dx = ") and "dt" in tex and "dw" in tex


# ----------------------------------------------------------------------------- LaTeX constructs
def test_exponent_in_parentheses():
    p = parse(r"y = a^(k+1) b")
    k, a = sp.Symbol("k", real=True), sp.Symbol("a", real=True)
    assert p.sides[1].has(a ** (k + 1))


def test_tie_is_a_space_in_an_equation_and_sim_alone():
    assert parse(r"y_{k+1} = y_k + h~ v_k").relation == "="
    assert parse(r"u ~ N(0, I)").relation == "~"
    with pytest.raises(ParseError):
        parse(r"y = a \sim N(0, 1)")  # '=' and '\sim' really mixed: still refused


def test_ellipsis_side_of_a_chain_is_dropped():
    p = parse(r"S = a_1 + a_2 = \dots = b")
    assert len(p.sides) == 3
    p = parse(r"S = a + b = \cdots")
    assert len(p.sides) == 2


def test_bare_normal_with_argument_list():
    assert parse(r"v \sim N(m, s^2 I)").sides[1].func == NORMAL
    assert parse(r"y \sim N(y; m, C)").sides[1].func == NORMAL
    p = parse(r"c = N(N - 1)")  # a count times a bracket stays a product
    assert not p.sides[1].has(NORMAL)


def test_expectation_with_bar_inside_brackets():
    p = parse(r"\mathbb{E}[u \mid v] = v + C \nabla_v \log q(v)")
    e = [a for a in p.atoms.values() if a.base == "E"][0]
    assert e.args == ("u", "|", "v")
    # without a conditioning bar the bracket is read as before (𝔼 an operator the domain layer places or not)
    p = parse(r"m = \mathbb{E}[u]")
    assert all(a.args is None for a in p.atoms.values() if a.base == "E")
    # the continuous-time posterior mean is the x̂_0 of the registry
    assert normalize_latex(r"\mathbb{E}\left[\mathbf{x}(0) \mid \mathbf{x}(s)\right] = y").startswith(r"\hat{x}_0")


@pytest.mark.parametrize("text,var", [
    (r"F(u) = \int_0^u h(\tau)\, d\tau", "τ"),
    (r"F(u) = \int_0^u h(\xi)^2 \,\mathrm{d}\xi", "ξ"),
    (r"F = \int_a^b k(v) dv", "v"),
])
def test_integral_over_any_variable(text, var):
    p = parse(normalize_latex(text))
    ints = list(p.sides[1].atoms(sp.Integral))
    assert ints and ints[0].limits[0][0].name == var


def test_integral_over_the_whole_space_is_read_as_one_quantity():
    p = parse(normalize_latex(r"q(\mathbf{u}) = \int r(\mathbf{v}) \mathcal{N}(\mathbf{u}; \mathbf{v}, s^2 I) \mathrm{d}\mathbf{v}"))
    assert any(a.base == "∫" for a in p.atoms.values())
    with pytest.raises(ParseError):
        parse(r"F = \int_0 h(s) ds")  # one limit only


@pytest.mark.parametrize("text", [
    r"\beta_t = \mathrm{clip}\left(1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}, 0, 0.999\right)",
    r"\beta_t = \operatorname{clamp}(1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}, 0.999)",
])
def test_clip_at_0999_is_the_clipped_quantity(text):
    assert normalize_latex(text) == r"\beta_t = 1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}"


def test_code_step_names_broadcasting_and_library_constants():
    # Karras et al.'s sampler names times as variables: the steps count in i, the network is the denoiser
    tex = code_to_latex("h = t_next - t_cur; x_next = x_cur + h * (x_cur - net(x_cur, t_cur)) / t_cur")
    assert tex.startswith("x_{i+1} = x_{i}") and r"D_\theta" in tex and "t_{i+1}" in tex
    # DDPM code: _prev counts back from t
    assert name_to_latex("x_prev") == "x_{t-1}"
    # a[:, None, None, None] only broadcasts
    assert code_to_latex("y = c[:, None, None] * x") == r"y = c \cdot x"
    assert code_to_latex("drift = torch.zeros_like(x); diffusion = g") == r"dx = \left(0\right) dt + \left(g\right) dw"
    assert code_to_latex("dx_dt = -0.5 * b * x").startswith(r"\frac{dx}{dt} =")


def test_code_sampler_steps_are_judged():
    # EDM Alg. 1 line 5 (Euler), in Karras et al.'s variable names, and with the step's sign lost
    ok = "d_cur = (x_cur - net(x_cur, t_cur)) / t_cur; x_next = x_cur + (t_next - t_cur) * d_cur"
    assert [v for v, _ in _verdicts(ok)] == ["exact"]
    assert [v for v, _ in _verdicts(ok.replace("(t_next - t_cur)", "(t_cur - t_next)"))] == ["inconsistent"]


def test_leading_label_with_colon_is_prose():
    assert normalize_latex(r"\text{Forward marginal:} x_t = a") == "x_t = a"
    assert normalize_latex(r"\text{前向：}x_t = a") == "x_t = a"
    assert normalize_latex(r"x = \text{a: b}") == r"x = \text{a: b}"  # only a leading label


def test_log_of_a_fraction_ends_at_the_fraction():
    p = parse(r"y = \log\frac{a}{b} v")
    a, b, v = (sp.Symbol(n, real=True) for n in "abv")
    assert sp.simplify(p.sides[1] - v * sp.log(a / b)) == 0


def test_code_time_step_is_a_step_in_time():
    # dt = -1/N: a step back in time (Song et al. 2021's reverse predictors): x is then x_{t-Δt} from x_t
    tex = code_to_latex("dt = -1 / N; x = x + (f(x, t) - g(t) ** 2 * score(x, t)) * dt + g(t) * np.sqrt(-dt) * z")
    assert tex.startswith(r"x_{t-\Delta t} = x_t") and r"\Delta t" in tex
    assert code_to_latex("dt = 1 / N; x = x + f(x, t) * dt").startswith(r"x_{t+\Delta t} = x_t")
    # Euler–Maruyama on the reverse SDE (Song et al. 2021, Eq. 6) with the half of the PF ODE's score term: wrong
    bad = "dt = -1 / N; x = x + (f(x, t) - 0.5 * g(t) ** 2 * score(x, t)) * dt + g(t) * np.sqrt(-dt) * z"
    assert [v for v, _ in _verdicts(bad)] == ["inconsistent"]
    good = "dt = -1 / N; x_mean = x + (f(x, t) - g(t) ** 2 * score(x, t)) * dt; x = x_mean + g(t) * np.sqrt(-dt) * z"
    assert [v for v, _ in _verdicts(good)] == ["exact"]
