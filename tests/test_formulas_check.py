"""Verdicts of the formula verifier: every verdict type, orders, diagnoses, notation readings,
no false alarms on published formulas, and wrong variants caught."""
import pytest

from scoresde.formulas import verify_latex
from scoresde.formulas.check import VERDICTS
from scoresde.formulas.numeric import run_step


def one(tex, target=None, **kw):
    vs = verify_latex(tex, target, numeric=False, **kw)
    assert len(vs) == 1, [v.latex for v in vs]
    return vs[0]


ANCESTRAL_VP = r"x_{i-1} = \frac{1}{\sqrt{1-\beta_i}}(x_i + \beta_i s_\theta(x_i, i)) + \sqrt{\beta_i} z_i"
RD_VP = r"x_{i-1} = (2 - \sqrt{1-\beta_i}) x_i + \beta_i s_\theta(x_i, i) + \sqrt{\beta_i} z_i"
RD_VE = r"x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2) s_\theta(x_i, \sigma_i) + \sqrt{\sigma_i^2 - \sigma_{i-1}^2} z_i"
ANC_VE = r"x_{i-1} = x_i + (\sigma_i^2 - \sigma_{i-1}^2) s_\theta(x_i, \sigma_i) + \sqrt{\frac{\sigma_{i-1}^2(\sigma_i^2 - \sigma_{i-1}^2)}{\sigma_i^2}} z_i"


def test_every_verdict_type_is_produced():
    got = {
        one(ANCESTRAL_VP).verdict,
        one(RD_VP).verdict,
        one(r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}(x_t - \frac{\beta_t}{\sqrt{1-\alpha_t}}\epsilon_\theta(x_t, t))").verdict,
        one(r"\bar{\alpha}_t = \frac{\cos(t/T \cdot \pi/2)}{\cos(\pi/2)}").verdict,
        one(r"L = \sum_{t=1}^T \text{KL}(q(x_{t-1} | x_t, x_0) || p_\theta(x_{t-1} | x_t))").verdict,
    }
    assert got == set(VERDICTS)


def test_ancestral_and_reverse_diffusion_are_told_apart():
    # inferred target (a DDPM / SMLD reverse iteration): the ancestral step is the chain's exact reverse step
    assert one(ANCESTRAL_VP).verdict == "exact"
    rd = one(RD_VP)
    assert rd.verdict == "consistent" and rd.order == 1 and rd.target == "vp.ancestral"
    assert "β_i^2" in rd.detail and "reverse-diffusion" in rd.detail
    assert one(ANC_VE).verdict == "exact"
    rd_ve = one(RD_VE)
    assert rd_ve.verdict == "consistent" and rd_ve.order == 1 and "noise variance" in rd_ve.detail
    # explicit targets: each is exact for what it claims, first order for the other
    assert one(RD_VP, "vp.reverse_diffusion").verdict == "exact"
    assert one(ANCESTRAL_VP, "vp.reverse_diffusion").verdict == "consistent"
    assert one(RD_VE, "ve.reverse_diffusion").verdict == "exact"
    assert one(ANC_VE, "ve.reverse_diffusion").order == 1


def test_inconsistent_names_the_term_and_the_symbol():
    v = one(r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}(x_t - \frac{\beta_t}{\sqrt{1-\alpha_t}}\epsilon_\theta(x_t, t))")
    assert v.verdict == "inconsistent" and "coefficient of ε_θ" in v.detail
    assert "uses α_t where ᾱ_t is needed" in v.detail and "1 - α_t should be 1 - ᾱ_t" in v.detail
    v = one(r"dx = -\beta(t) x\,dt + \sqrt{\beta(t)}\,dw")
    assert v.verdict == "inconsistent" and "coefficient of x in the drift: expected -β(t)/2, found -β(t)" in v.detail
    v = one(r"\tilde{\mu}_t(x_t, x_0) = \frac{\sqrt{\bar\alpha_{t}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t")
    assert v.verdict == "inconsistent" and "ᾱ_t where ᾱ_{t-1} is needed" in v.detail
    v = one(r"x_i = \sqrt{1-\beta_i}x_{i-1} + \beta_i z")
    assert v.verdict == "inconsistent" and "square root is missing" in v.detail


def test_ill_defined_cases():
    v = one(r"\bar{\alpha}_t = \frac{\cos(t/T \cdot \pi/2)}{\cos(\pi/2)}")
    assert v.verdict == "ill-defined" and "division by zero" in v.detail and "\\cos(\\pi/2)" in v.detail
    assert "square is missing" in v.detail and "offset s" in v.detail
    v = one(r"x_{i-1} = x_i + (\sigma_i^2-\sigma_{i-1}^2)s_\theta(x_i)+\sqrt{\sigma_{i-1}^2-\sigma_i^2}z")
    assert v.verdict == "ill-defined" and "not real" in v.detail
    v = one(r"x_i = \sqrt{1-\beta_i}x_{i-1} + \sqrt{\beta_i}z + Q")
    assert v.verdict == "ill-defined" and "undefined symbol Q" in v.detail
    # a symbol outside the vocabulary (not a stray letter) is not an alarm: unparsed, with the reason
    v = one(r"x_i = \sqrt{1-\beta_i}x_{i-1} + \sqrt{\beta_i}\gamma_i + \sqrt{\beta_i}z")
    assert v.verdict == "unparsed" and "γ_i" in v.detail


def test_stray_symbol_is_reported_with_the_verdict_without_it():
    v = one(r"dx=d(Fx)=-\frac{1}{2}F\beta(t)Fx(t)dt + \sqrt{ F\beta(t)}dw")
    assert (v.verdict, v.reading_verdict) == ("ill-defined", "exact") and "F is dropped" in v.reading
    assert "as written: ill-defined; exact if F is dropped" in v.detail and v.terms == ["drift", "diffusion"]
    v = one(r"dx=-Q\beta(t)x\,dt + \sqrt{\beta(t)}dw")
    assert (v.verdict, v.reading_verdict) == ("ill-defined", "inconsistent") and "Q is dropped" in v.detail
    assert v.terms == ["drift"]


def test_alternatives_are_judged_each():
    vs = verify_latex(ANCESTRAL_VP + " 或 " + RD_VP, numeric=False)
    assert [v.verdict for v in vs] == ["exact", "consistent"]
    assert "alternative 1 of 2" in vs[0].location


def test_notation_readings():
    # DDIM writes alpha_t for abar_t
    ddim = (r"x_{t-1} = \sqrt{\alpha_{t-1}}\left(\frac{x_t - \sqrt{1-\alpha_t}\epsilon_\theta(x_t)}{\sqrt{\alpha_t}}\right)"
            r" + \sqrt{1-\alpha_{t-1}-\sigma_t^2}\epsilon_\theta(x_t) + \sigma_t\epsilon_t")
    v = one(ddim)
    assert v.verdict == "exact" and v.target == "ddim.step" and "DDIM notation" in v.claim
    # VDM writes alpha_t for sqrt(abar_t)
    assert one(r"v = \alpha_t\epsilon - \sigma_t x_0").verdict == "exact"
    # s_theta without t, d w-bar vs dw, eps as noise prediction, Song's x_i = f(x_{i+1}) indexing
    v = one(r"dx=[f(x,t)-g^2(t)s_\theta(x_t)]dt+g(t)dw")  # dw where dw-bar is meant: right only under that reading
    assert (v.verdict, v.reading_verdict, v.terms) == ("inconsistent", "exact", ["noise"]) and "dw̄" in v.reading
    assert one(r"dx=[f(x,t)-g^2(t)s_\theta(x_t)]dt+g(t)d\bar w").verdict == "exact"
    v = one(r"x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}\epsilon\right) + \sigma_t z")
    assert v.verdict == "exact" and any("noise prediction" in n for n in v.notes)
    assert one(r"x_i = (2 - \sqrt{1 - \beta_{i+1}}) x_{i+1} + \beta_{i+1} s_{\theta}(x_{i+1}, i+1) + \sqrt{\beta_{i+1}} z_{i+1}",
               "vp.reverse_diffusion").verdict == "exact"


PUBLISHED = [
    r"q(x_t|x_0) = \mathcal{N}(x_t; \sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)",
    r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t",
    r"\tilde{\mu}_t(x_t, x_0) = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t",
    r"dx = \left[f(x,t) - \frac{1}{2}g(t)^2\nabla_x\log p_t(x)\right]dt",
    r"\frac{dx}{dt} = -\frac{1}{2}\beta(t)\left[x + \nabla_x \log p_t(x)\right]",
    r"dx = -\frac{1}{2}\beta(t)x\,dt + \sqrt{\beta(t)(1-e^{-2\int_0^t\beta(s)ds})}dw",
    r"p_{0t}(x(t)|x(0)) = \mathcal{N}(x(t); x(0)e^{-\frac{1}{2}\int_0^t\beta(s)ds}, I - Ie^{-\int_0^t\beta(s)ds})",
    r"\hat{x}_0 = \frac{x_t + (1-\bar\alpha_t)\nabla_{x_t}\log p(x_t)}{\sqrt{\bar\alpha_t}}",
    r"s_\theta(x_t, t) = -\frac{\epsilon_\theta(x_t, t)}{\sigma_t}",
    r"\sigma(t) = \sqrt{e^{\frac{1}{2}\beta_d t^2 + \beta_{\min}t} - 1}",
    r"\sigma(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^t",
    r"x_t = x_{t-1} + \frac{\alpha_i}{2}s_\theta(x_{t-1}, \sigma_i) + \sqrt{\alpha_i}z_t",
    r"\epsilon = 2\alpha_i(r\|z\|_2/\|g\|_2)^2",
    r"\log p_T(z) = -\frac{d}{2}\log(2\pi\sigma_{\max}^2) - \frac{\|z\|_2^2}{2\sigma_{\max}^2}",
    r"\log p_0(x(0)) = \log p_T(x(T)) + \int_0^T \nabla\cdot\tilde{f}_\theta(x(t),t)dt",
    r"x_{i-1} = x_i - [f(x_i, t_i) - g(t_i)^2 s_\theta(x_i, t_i)]\Delta t + g(t_i)\sqrt{\Delta t}z_i",
    r"\beta_t = \beta_1 + \frac{t-1}{T-1}(\beta_T - \beta_1)",
    r"\bar\alpha_t = \prod_{s=1}^t(1-\beta_s)",
    r"\sigma_t = \sqrt{\beta_t}",
    r"\bar\alpha(t) = e^{-\int_0^t \beta(s) ds}",
    r"\tilde{x} = x + \sigma z",
    r"dx = f(t)x\,dt + g(t)\,dw",
    r"\beta(t) = \bar\beta_{\min} + t(\bar\beta_{\max} - \bar\beta_{\min})",
]


@pytest.mark.parametrize("tex", PUBLISHED)
def test_no_false_alarm_on_published_formulas(tex):
    v = one(tex)
    assert v.verdict in ("exact", "consistent"), (v.verdict, v.detail)


WRONG = [
    r"dx = [f(x,t) + g(t)^2\nabla_x \log p_t(x)]dt + g(t)d\bar{w}",
    r"dx = [f(x,t) - \frac{1}{2}g(t)^2\nabla_x \log p_t(x)]dt + g(t)d\bar{w}",
    r"dx = -\frac{1}{2}\beta(t)x dt + \beta(t) dw",
    r"x_i = x_{i-1} + (\sigma_i - \sigma_{i-1})z",
    r"\tilde\beta_t = \frac{1-\bar\alpha_{t}}{1-\bar\alpha_{t-1}}\beta_t",
    r"x_t = \sqrt{\bar\alpha_t}x_0 + (1-\bar\alpha_t)\epsilon",
    r"\nabla_x \log p_t(x) = \frac{\epsilon_\theta(x,t)}{\sqrt{1-\bar\alpha_t}}",
    r"\hat{x}_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\epsilon_\theta(x_t,t)}{\bar\alpha_t}",
    r"x_t = x_{t-1} + \epsilon\nabla_x\log p(x_{t-1}) + \sqrt{\epsilon}z_t",
    r"\sigma(t) = \sqrt{e^{\beta_d t^2 + \beta_{\min}t} - 1}",
    r"\log p_0(x(0)) = \log p_T(x(T)) - \int_0^T \nabla\cdot\tilde{f}_\theta(x(t),t)dt",
    r"x_{t-1} = \frac{1}{\sqrt{\bar\alpha_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right) + \sqrt{\beta_t} z",
]


@pytest.mark.parametrize("tex", WRONG)
def test_wrong_variants_are_caught(tex):
    v = one(tex)
    assert v.verdict in ("inconsistent", "ill-defined"), (v.verdict, v.detail)


def test_numeric_confirmation_separates_consistent_from_inconsistent():
    import sympy as sp
    from scoresde.formulas import canon as C

    Ns = (10, 40)
    good = run_step({C.x_cur: 2 - sp.sqrt(1 - C.b), C.s: C.b}, C.b, "vp", Ns, n=4000)
    bad = run_step({C.x_cur: 1 / sp.sqrt(C.a), C.s: (1 - C.a) / sp.sqrt(C.a)}, 1 - C.a, "vp", Ns, n=4000)
    assert good[1][1] < 0.6 * good[0][1]  # falls with N
    assert bad[1][1] > 0.1 and bad[1][1] > 0.8 * bad[0][1]  # stays large


def test_numeric_sentence_in_verdict():
    v = verify_latex(RD_VE, numeric="always")[0]
    assert v.numeric and "falls with N" in v.numeric
    # the default ("auto") runs the sampler only where the symbolic check could not decide
    assert verify_latex(RD_VE, numeric=True)[0].numeric is None


def test_is_zero_gives_every_free_symbol_random_values():
    """Symbols without a canonical value (x, x0, i, N, rho, sigma_data, undefined functions) get random admissible
    values at each point: a difference in them is never judged zero, and 'not a number' is 'cannot decide'."""
    import sympy as sp

    from scoresde.formulas import canon as C
    from scoresde.formulas.evaluate import is_zero

    x0, x, rho, sd = sp.symbols("x0 x rho sigma_data", positive=True)
    i, N = sp.symbols("i N", integer=True, positive=True)
    D = sp.Function("D")
    assert is_zero((x0 - x) / C.S**2)[0] is False
    assert is_zero(i - N)[0] is False
    assert is_zero(rho - sd)[0] is False
    assert is_zero(D(x, C.S) - D(x0, C.S))[0] is False
    assert is_zero(2 * (i / (N - 1)) ** rho - (i / (N - 1)) ** rho)[0] is False
    assert is_zero(sd**2 / (C.S**2 + sd**2) - 1 / (1 + C.S**2 / sd**2))[0] is True
    assert is_zero(sp.log(-rho - 1) - sp.log(-rho - 1) + sp.Symbol("w") * sp.nan)[0] is not True


def test_unknown_symbols_without_a_known_formula_are_not_judged_ill_defined():
    """Symbols outside the vocabulary make a formula ill-defined only when, without them, it is a registry formula
    (a stray term or factor); otherwise it is another notation or quantity: unparsed, never a false alarm."""
    v = one(r"\tilde\epsilon = (1+w)\epsilon_\theta(x_t, c) - w\,\epsilon_\theta(x_t)")
    assert v.verdict == "unparsed" and "w" in v.detail
    v = one(r"\beta_t = \kappa\,\zeta_t")
    assert v.verdict == "unparsed"
    v = one(r"x_i = \sqrt{1-\beta_i}x_{i-1} + \sqrt{\beta_i}z + Q")  # a stray added term of a known step
    assert v.verdict == "ill-defined" and "undefined symbol Q" in v.detail


def test_a_value_at_one_end_of_a_sequence_is_a_convention_not_a_formula():
    """σ_N = 0 after Karras et al.'s Eq. 5 is the paper's endpoint convention: not judged against σ(t)."""
    from scoresde.formulas import verify_latex

    vs = verify_latex(r"\sigma_{i<N} = \left(\sigma_{\max}^{\frac{1}{\rho}} + \frac{i}{N-1}\left(\sigma_{\min}^{\frac{1}{\rho}}"
                      r" - \sigma_{\max}^{\frac{1}{\rho}}\right)\right)^{\rho}, \quad \sigma_N = 0")
    assert [v.verdict for v in vs] == ["exact"]
    assert verify_latex(r"\bar\alpha_0 = 1") == []
    assert one(r"\bar\alpha_t = 1").verdict != "exact"  # a generic index is still a formula


def test_a_sequence_with_another_index_convention_is_consistent_not_exact():
    v = one(r"\sigma_i = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{\frac{i}{N-1}}")
    assert v.verdict == "consistent" and "index convention" in v.detail and v.terms == ["rhs"]
    v = one(r"\sigma_i = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{\frac{2i-1}{N-1}}")
    assert v.verdict == "inconsistent"


def test_density_variable_with_an_index_offset():
    """q_σ(x_{t−1} | x_t, x_0) = N(...) is a density of x_{t−1} (DDIM Eq. 7 in DDIM's α = ᾱ), not of x_t."""
    v = one(r"q_\sigma(\mathbf{x}_{t-1} \mid \mathbf{x}_t, \mathbf{x}_0) = \mathcal{N}\left(\sqrt{\alpha_{t-1}}\mathbf{x}_0"
            r" + \sqrt{1-\alpha_{t-1}-\sigma_t^2}\cdot\frac{\mathbf{x}_t - \sqrt{\alpha_t}\mathbf{x}_0}{\sqrt{1-\alpha_t}},"
            r" \sigma_t^2\mathbf{I}\right)")
    assert v.verdict == "exact" and v.target == "ddim.posterior"


def test_beta_next_to_its_written_out_schedule():
    """Song et al.'s sub-VP Eq. 12 with ∫β written out but β(t) kept: β(t) is the linear schedule of β_min, β_max."""
    v = one(r"dx = -\frac{1}{2}\beta(t)x\,dt + \sqrt{\beta(t)\left(1 - e^{-2\beta_{\min}t - (\beta_{\max} - \beta_{\min})t^2}\right)}\,dw")
    assert v.verdict == "exact" and v.target in ("subvp.sde.linear", "subvp.sde")  # with the schedule substituted on both sides
    v = one(r"dx = -\frac{1}{2}\beta(t)x\,dt + \sqrt{\beta(t)\left(1 - e^{-\beta_{\min}t - (\beta_{\max} - \beta_{\min})t^2}\right)}\,dw")
    assert v.verdict == "inconsistent"


def test_stated_notation_reads_an_ode_in_the_marginal_std():
    """DPM-Solver's ε-ODE (Eq. 2.4) in its own notation (σ_t the marginal std): exact; a dropped ½ is caught."""
    from scoresde.formulas.check import verify_formula

    tex = r"\frac{\mathrm{d}\mathbf{x}_t}{\mathrm{d}t} = f(t)\mathbf{x}_t + \frac{g^2(t)}{2\sigma_t}\boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t)"
    assert [v.verdict for v in verify_formula(tex, hints={"notation": "vdm"}, numeric=False)] == ["exact"]
    bad = tex.replace(r"{2\sigma_t}", r"{\sigma_t}")
    assert [v.verdict for v in verify_formula(bad, hints={"notation": "vdm"}, numeric=False)] == ["inconsistent"]
