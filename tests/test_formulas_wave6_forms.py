"""Issue 13, sixth wave (forms): notations whose left side or operator the verifier could not read, each a rule stated
for a construct (never for one formula). Every formula here is written for this test (other letters, kernels and
papers than any corpus claim), with wrong variants that must stay wrong:

* ∂ log p(x)/∂x of a scalar log-density is its gradient, the score ∇_x log p(x) (Hyvärinen 2005, Eq. 1;
  Vincent 2011, Eq. 8), and tr(∂f/∂x) of a vector field is its divergence ∇·f (Chen et al. 2018, Thm. 1);
* F(x; θ) is the network F_θ(x), and Hyvärinen's ψ(x; θ) is the model score s_θ(x) (Hyvärinen 2005, Eq. 2);
* equality is symmetric: ``expression = μ̃_k(…)`` is read with its named side first, and a chain whose first side is
  a new name (``ρ_k² = β̃_k = …``) is judged from its first named side on;
* a bracketed superscript on a state or its noise draw (x_σ^{(m)}, ξ^{(m)}) is the iteration index of an inner loop;
* ∫_0^t f(s) ds = G(t) holds exactly when f(t) = G′(t) and G(0) = 0 (the fundamental theorem of calculus);
* \\mathop{\\arg\\min}_θ is TeX's operator wrapper around arg min;
* a bold e (\\mathbf{e}(t)) is a vector, the mean e(t), never Euler's number.
"""
import pytest

from scoresde.formulas import verify_formula
from scoresde.formulas.parse import parse
from scoresde.formulas.param_notation import params_after_semicolon
from scoresde.formulas.parse_partial import partial_log_as_gradient


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("text, verdict", [
    # the Gaussian kernel's score written with ln and a fraction: q_σ(x̃ | x) = N(x̃; x, σ² I)
    (r"\frac{\partial \ln q_{\sigma}(\tilde{\mathbf{x}} | \mathbf{x})}{\partial \tilde{\mathbf{x}}} = -\frac{\tilde{\mathbf{x}} - \mathbf{x}}{\sigma^{2}}", "exact"),
    (r"\frac{\partial \ln q_{\sigma}(\tilde{\mathbf{x}} | \mathbf{x})}{\partial \tilde{\mathbf{x}}} = \frac{\tilde{\mathbf{x}} - \mathbf{x}}{\sigma^{2}}", "inconsistent"),
    (r"\frac{\partial \ln q_{\sigma}(\tilde{\mathbf{x}} | \mathbf{x})}{\partial \tilde{\mathbf{x}}} = -\frac{\tilde{\mathbf{x}} - \mathbf{x}}{\sigma}", "inconsistent"),
])
def test_partial_of_a_log_density_is_its_score(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_partial_of_a_log_density_reads_as_the_gradient_text():
    assert partial_log_as_gradient(r"\frac{\partial \log p(z)}{\partial z}").replace(" ", "") == r"\nabla_{z}\logp(z)"
    # a derivative by a non-state variable (a noise level, a time) is not a score: left as written
    assert partial_log_as_gradient(r"\frac{\partial \log p_t(x)}{\partial t}") == r"\frac{\partial \log p_t(x)}{\partial t}"


@pytest.mark.parametrize("sign, verdict", [("+", "exact"), ("-", "inconsistent")])
def test_trace_of_a_jacobian_is_the_divergence(sign, verdict):
    # the integrated change of variables in z, written with the Jacobian's trace (Chen et al. 2018, Thm. 1)
    text = (r"\log p_0(\mathbf{z}_0) = \log p_T(\mathbf{z}_T) " + sign
            + r" \int_0^T \operatorname{tr}\left(\frac{\partial \tilde{\mathbf{f}}_\theta(\mathbf{z}_t, t)}{\partial \mathbf{z}_t}\right) dt")
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_a_bare_jacobian_and_a_time_partial_are_not_read_as_something_else():
    p = parse(r"J = \frac{\partial \mathbf{g}(\mathbf{u})}{\partial \mathbf{u}}")
    assert any(a.base == "jac" for a in p.atoms.values())
    with pytest.raises(Exception):
        parse(r"\frac{\partial p_t(x)}{\partial t} = 0")


def test_parameters_after_a_semicolon_name_the_network():
    assert params_after_semicolon(r"\mathbf{s}(\mathbf{x}; \boldsymbol{\phi})") == r"\mathbf{s}_{\phi}(\mathbf{x})"
    assert params_after_semicolon(r"\psi(z;\theta)") == r"s_{\theta}(z)"
    # a density's variable then its parameters is not a network's call
    assert params_after_semicolon(r"\mathcal{N}(x; m, \theta)") == r"\mathcal{N}(x; m, \theta)"


@pytest.mark.parametrize("sign, verdict", [("-", "exact"), ("+", "inconsistent")])
def test_hyvarinen_psi_is_the_model_score(sign, verdict):
    # DSM with Hyvärinen's ψ and Vincent's ∂-target, in the Gaussian kernel q_σ(x̃ | x), weights as NCSN's 1/2
    text = (r"\ell(\theta) = \frac{1}{2}\mathbb{E}_{q_\sigma(\tilde{\mathbf{x}}|\mathbf{x})p(\mathbf{x})}\left\|\psi(\tilde{\mathbf{x}};\theta) "
            + sign + r" \frac{\partial \log q_\sigma(\tilde{\mathbf{x}}|\mathbf{x})}{\partial \tilde{\mathbf{x}}}\right\|_2^2")
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # the posterior mean written right to left, in k (Ho et al. 2020, Eq. 7)
    (r"\frac{(1-\bar\alpha_{k-1})\sqrt{\alpha_k}}{1-\bar\alpha_k}\mathbf{x}_k + \frac{\beta_k\sqrt{\bar\alpha_{k-1}}}{1-\bar\alpha_k}\mathbf{x}_0 = \tilde{\boldsymbol\mu}_k(\mathbf{x}_k, \mathbf{x}_0)", "exact"),
    (r"\frac{(1-\bar\alpha_{k})\sqrt{\alpha_k}}{1-\bar\alpha_k}\mathbf{x}_k + \frac{\beta_k\sqrt{\bar\alpha_{k-1}}}{1-\bar\alpha_k}\mathbf{x}_0 = \tilde{\boldsymbol\mu}_k(\mathbf{x}_k, \mathbf{x}_0)", "inconsistent"),
    # a new name for the reverse variance, then its DDPM value (Bao et al. 2022 name it λ_n²)
    (r"\rho_k^2 = \tilde\beta_k = \frac{1-\bar\alpha_{k-1}}{1-\bar\alpha_k}\beta_k", "exact"),
    (r"\rho_k^2 = \tilde\beta_k = \frac{1-\bar\alpha_{k}}{1-\bar\alpha_{k-1}}\beta_k", "inconsistent"),
])
def test_the_named_side_is_read_first(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    (r"\mathbf{x}_\sigma^{(m+1)} = \mathbf{x}_\sigma^{(m)} + \delta\, s_\theta(\mathbf{x}_\sigma^{(m)}, \sigma) + \sqrt{2\delta}\,\boldsymbol{\xi}^{(m)}", "exact"),
    (r"\mathbf{x}_\sigma^{(m+1)} = \mathbf{x}_\sigma^{(m)} + \delta\, s_\theta(\mathbf{x}_\sigma^{(m)}, \sigma) + \sqrt{\delta}\,\boldsymbol{\xi}^{(m)}", "inconsistent"),
    (r"x^{(k)} = x^{(k-1)} + \frac{\tau}{2}\nabla_x \log p(x^{(k-1)}) + \sqrt{\tau}\,\xi^{(k)}", "exact"),
])
def test_bracketed_superscript_is_the_inner_iteration(text, verdict):
    v = _one(text)
    assert v.verdict == verdict and v.target == "langevin", v.detail


@pytest.mark.parametrize("text, verdict", [
    # ∫_0^t β(τ) dτ of the linear schedule in β_0, β_1 (Song et al. 2021, App. B), by the fundamental theorem
    (r"\int_0^{t}\beta(\tau)\,d\tau = \beta_0 t + \frac{(\beta_1-\beta_0)t^2}{2}", "exact"),
    (r"\int_0^{t}\beta(\tau)\,d\tau = \beta_0 t + (\beta_1-\beta_0)t^2", "inconsistent"),
    # G(0) ≠ 0: the integral from 0 cannot equal it, and nothing is read as the schedule
    (r"\int_0^{t}\beta(\tau)\,d\tau = 1 + \beta_0 t + \frac{(\beta_1-\beta_0)t^2}{2}", "unparsed"),
])
def test_integral_from_zero_is_read_through_its_derivative(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("sign, verdict", [("-", "exact"), ("+", "inconsistent")])
def test_mathop_arg_min_is_arg_min(sign, verdict):
    # \mathop{…} is TeX's operator wrapper; θ* = arg min of NCSN's weighted DSM in σ (Song & Ermon 2019, Eq. 6)
    text = (r"\theta^\star = \mathop{\arg\min}_{\theta} \mathbb{E}_{\mathbf{x}(0)}\mathbb{E}_{\mathbf{x}(t)|\mathbf{x}(0)}"
            r"\left[\lambda(t)\left\|\mathbf{s}_\theta(\mathbf{x}(t), t) " + sign
            + r" \nabla_{\mathbf{x}(t)}\log p_{0t}(\mathbf{x}(t)|\mathbf{x}(0))\right\|^2\right]")
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # a bold e is the mean vector e(t) (Song et al. 2021, App. B, Eq. 33), never Euler's number; the VP (and sub-VP) mean ODE
    (r"\frac{d\boldsymbol{e}(t)}{dt} = -\frac{1}{2}\beta(t)\boldsymbol{e}(t)", "exact"),
    (r"\frac{d\boldsymbol{e}(t)}{dt} = -2\beta(t)\boldsymbol{e}(t)", "inconsistent"),
])
def test_bold_e_is_a_vector_not_euler(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_plain_e_stays_euler():
    import sympy as sp
    assert parse(r"y = e^{t}").sides[1] == sp.exp(sp.Symbol("t", real=True))
