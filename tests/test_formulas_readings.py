"""Pasted LaTeX as people write it, the literal reading, and verdicts that tell the truth (issue 13)."""
import pytest

from scoresde.formulas import verify_latex
from scoresde.formulas.entry import Entry
from scoresde.formulas.literal import lhs_key, literal_verdict
from scoresde.formulas.normalize import normalize_latex

VP_SDE = r"dx = -\frac{1}{2}\beta(t)x\,dt + \sqrt{\beta(t)}\,dw"
COS = r"\bar\alpha_t = \frac{\cos^2\left(\frac{t/T+s}{1+s}\cdot\frac{\pi}{2}\right)}{\cos^2\left(\frac{s}{1+s}\cdot\frac{\pi}{2}\right)}"


def one(tex, **kw):
    vs = verify_latex(tex, numeric=False, **kw)
    assert len(vs) == 1, [(v.latex, v.verdict) for v in vs]
    return vs[0]


@pytest.mark.parametrize("tex", [
    r"dx = -\tfrac12\beta(t)x\,\mathrm{d}t + \sqrt{\beta(t)}\,\mathrm{d}w",
    r"\mathrm{d}\mathbf{x} = -\dfrac{1}{2}\beta(t)\mathbf{x}\,\mathrm{d}t + \sqrt{\beta(t)}\,\operatorname{d}\mathbf{w} \tag{11}",
    r"\begin{aligned} d\boldsymbol{x} &= -\frac12\beta(t)\boldsymbol{x}\,dt \\ &\quad + \sqrt{\beta(t)}\,d\boldsymbol{w} \end{aligned}",
    r"dx = -\frac{1}{2}\beta(t)x\,dt + \sqrt{\beta(t)}\,dw \label{eq:vp} \qquad (11)",
    r"dx = -\frac{1}{2}\beta(t)x\,dt + \underbrace{\sqrt{\beta(t)}}_{g(t)}\,dw, \quad t \in [0, T]",
])
def test_pasted_vp_sde_variants_are_exact(tex):
    v = one(tex)
    assert (v.verdict, v.target) == ("exact", "vp.sde"), v.detail


def test_normalisation_rules():
    n = normalize_latex
    assert n(r"\frac12 + \tfrac{1}{4}") == r"\frac{1}{2} + \frac{1}{4}"
    assert n(r"x \leftarrow y") == "x = y" and n(r"x := y") == "x = y" and n(r"x \triangleq y") == "x = y"
    assert n(r"\mathbb{E}[x_0 \mid x_t]") == r"\hat{x}_0"
    assert n(r"\dot\sigma(t)") == r"\frac{d\sigma(t)}{dt}" and n(r"\sigma'(t)") == r"\frac{d\sigma(t)}{dt}"
    assert n(r"d\bar\omega_t") == r"d\bar w_t" and n(r"d\omega") == "d w"
    assert n(r"\{a\}") == "(a)" and n(r"p(x \mid y)") == "p(x | y)"
    assert n(r"\beta_t = \min\left(1 - a, 0.999\right)") == r"\beta_t = 1 - a"


def test_expectation_and_conditioning():
    v = one(r"\mathbb{E}[x_0 \mid x_t] = \frac{x_t + (1-\bar\alpha_t)\nabla_{x_t}\log p(x_t)}{\sqrt{\bar\alpha_t}}")
    assert (v.verdict, v.target) == ("exact", "param.tweedie")
    assert one(r"q(x_t \mid x_0) = \mathcal{N}(x_t; \sqrt{\bar\alpha_t} x_0, (1-\bar\alpha_t)\mathbf{I})").verdict == "exact"


def test_dot_sigma_pf_ode():
    v = one(r"\mathrm{d}x = -\dot\sigma(t)\sigma(t)\nabla_x\log p(x;\sigma(t))\,\mathrm{d}t")
    assert (v.verdict, v.target) == ("exact", "ve.pf_ode")


def test_classifier_gradient_is_not_the_score():
    # ∇ log p(y | x) is a classifier's gradient, not a second copy of the score: never "2 × the score"
    v = one(r"d\mathbf{x} = \left[-\frac{1}{2}\beta(t)\mathbf{x} - \beta(t)\left(\nabla_{\mathbf{x}}\log p_t(\mathbf{x}) + "
            r"\nabla_{\mathbf{x}}\log p_t(\mathbf{y} \mid \mathbf{x})\right)\right]dt + \sqrt{\beta(t)}\,d\bar{\mathbf{w}}")
    assert v.verdict not in ("inconsistent", "ill-defined") or "2" not in v.detail


def test_cosine_without_offset_is_consistent_not_exact():
    v = one(r"\bar\alpha_t = \frac{\cos^2\left(\frac{t}{T}\cdot\frac{\pi}{2}\right)}{\cos^2(0)}")
    assert v.verdict == "consistent" and "offset" in v.detail and v.terms == ["rhs"]


def test_unclipped_cosine_beta_is_ill_defined_at_T():
    vs = verify_latex(r"\beta_t = 1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}, \quad " + COS, numeric=False)
    beta = next(v for v in vs if v.target == "ddpm.beta_from_abar")
    assert (beta.verdict, beta.reading_verdict, beta.terms) == ("ill-defined", "exact", ["rhs"]) and "t = T" in beta.detail
    vs = verify_latex(r"\beta_t = \min\left(1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}, 0.999\right), \quad " + COS, numeric=False)
    assert [v.verdict for v in vs] == ["exact", "exact"]


def test_terms_named_for_wrong_formulas():
    assert one(r"dx = -\beta(t)x\,dt + \sqrt{\beta(t)}\,dw").terms == ["drift"]
    assert one(r"dx = -\frac{1}{2}\beta(t)x\,dt + \beta(t)\,dw").terms == ["diffusion"]
    v = one(r"x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{1-\alpha_t}{\sqrt{1-\alpha_t}}\epsilon_\theta(x_t, t)\right) + \sqrt{\beta_t}z")
    assert v.verdict == "inconsistent" and v.terms == ["mean.eps"]


LIT = Entry(name="test.c_skip", title="skip scaling c_skip(σ)", source="Karras et al. 2022, Eq. 7", kind="scalar",
            family="generic", latex=r"c_{\text{skip}}(\sigma) = \frac{\sigma_{\text{data}}^2}{\sigma^2 + \sigma_{\text{data}}^2}",
            relation="test")
LAM = Entry(name="test.lambda", title="half log-SNR", source="Lu et al. 2022, Sec. 3.1", kind="scalar", family="generic",
            latex=r"\lambda_t = \log\frac{\alpha_t}{\sigma_t}", relation="test")


def test_literal_reading():
    reg = {"a": LIT, "b": LAM}
    assert lhs_key(r"c_\mathrm{skip}(\sigma)") == lhs_key(r"c_{\text{skip}}(\sigma)")
    assert literal_verdict(r"c_\mathrm{skip}(\sigma) = \sigma_\mathrm{data}^2/(\sigma_\mathrm{data}^2+\sigma^2)", reg)[0] == "exact"
    assert literal_verdict(r"c_{\text{skip}}(\sigma) = \frac{\sigma_{\text{data}}}{\sigma^2 + \sigma_{\text{data}}^2}", reg)[0] == "inconsistent"
    assert literal_verdict(r"\lambda_i = \log\alpha_i - \log\sigma_i", reg)[0] == "exact"  # index letter and log rules
    verdict, detail, _ = literal_verdict(r"\lambda_t = \log\frac{\bar\alpha_t}{\sigma_t}", reg)
    assert verdict == "inconsistent" and "ᾱ_k where α_k" in detail
    assert literal_verdict(r"\mu_t = 1", reg) is None
