"""Reading rules of session 7 (integrator): role-named kernel coefficients, EDM's σ(t) = t, a bare x as the data,
VDM's pair α² + σ² = 1, a literal formula that is not real, and Leibniz's d f(u)/du. Formulas written for these
tests (other letters and other papers' instances than any corpus), with wrong variants that must stay wrong."""
import pytest

from conftest import claim_verdicts
from scoresde.formulas import verify_claims
from scoresde.formulas.claims import ClaimSpec


def _verdicts(text):
    return [(v.verdict, list(v.terms)) for _, v in verify_claims([ClaimSpec(name="c", text=text)], numeric=False)]


@pytest.mark.parametrize("text, verdict, terms", [
    # a kernel whose coefficients are named by their role and defined beside it (celldefs_named.py)
    (r"p(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}(\mathbf{x}_t;\, a_t\mathbf{x}_0,\, b_t^2\mathbf{I}), \quad "
     r"a_t = \sqrt{\bar\alpha_t}, \quad b_t = \sqrt{1-\bar\alpha_t}", "exact", []),
    (r"q(x_t|x_0) = \mathcal{N}(x_t; m_t x_0, s_t^2 I), \quad m_t = e^{-\frac12\int_0^t \beta(s) ds}, \quad "
     r"s_t^2 = 1-e^{-\int_0^t\beta(s)ds}", "exact", []),
    (r"q(x_t|x_0) = \mathcal{N}(x_t; m_t x_0, s_t^2 I), \quad m_t = e^{-\int_0^t \beta(s) ds}, \quad "
     r"s_t^2 = 1-e^{-\int_0^t\beta(s)ds}", "inconsistent", ["mean.x0"]),
    (r"q(x_t|x_0) = \mathcal{N}(x_t; \mu_t x_0, \kappa_t^2 I), \quad \mu_t = \sqrt{\bar\alpha_t}, \quad "
     r"\kappa_t^2 = \bar\alpha_t", "inconsistent", ["variance"]),
    # EDM's and consistency models' σ(t) = t (noise_time.py)
    (r"x_t = x_0 + t\,\epsilon", "exact", []),
    (r"q(x_t|x_0) = \mathcal N(x_t; x_0, t^2 I)", "exact", []),
    (r"\frac{dx_t}{dt} = -t \nabla_{x_t}\log p_t(x_t)", "exact", []),
    # states written x_t with the letter t a value: continuous time (noise_time.continuous_states)
    (r"x_t = x_0 + \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^t z", "exact", []),
    (r"x_t = x_0 + \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{2t} z", "inconsistent", ["variance"]),
    (r"x_t = e^{-\frac14 t^2(\beta_{max}-\beta_{min}) - \frac12 t\beta_{min}}x_0 + "
     r"\sqrt{1-e^{-\frac12 t^2(\beta_{max}-\beta_{min}) - t\beta_{min}}}\epsilon", "exact", []),
    (r"x_t = e^{-\frac12 t^2(\beta_{max}-\beta_{min}) - \frac12 t\beta_{min}}x_0 + "
     r"\sqrt{1-e^{-\frac12 t^2(\beta_{max}-\beta_{min}) - t\beta_{min}}}\epsilon", "inconsistent", ["mean.x0"]),
    # Nichol & Dhariwal 2021, Eq. 16 with its weight λ as a symbol, and the losses' calligraphic L
    (r"\mathcal{L}_{\text{hybrid}} = \mathcal{L}_{\text{simple}} + \lambda\mathcal{L}_{\text{vlb}}", "exact", []),
    (r"L_{hybrid} = \lambda L_{simple} + L_{vlb}", "inconsistent", ["rhs"]),
    # VDM's symbols as functions of time, and an update with step Δt in continuous time (time_readings.py)
    (r"\alpha(t) = \sqrt{\mathrm{sigmoid}(-\gamma(t))}", "exact", []),
    (r"\lambda_{t} = -\frac12\gamma_{t}", "exact", []),
    (r"\lambda(t) = \frac12\gamma(t)", "inconsistent", ["rhs"]),
    (r"\mathbf{x}_{t-\Delta t} = \mathbf{x}_t + \frac12\beta_t\Delta t\,\mathbf{x}_t + \beta_t\Delta t\,"
     r"\mathbf{s}_\theta(\mathbf{x}_t,t) + \sqrt{\beta_t\Delta t}\,\mathbf{z}", "exact", []),
    (r"\mathbf{x}_{t-\Delta t} = \mathbf{x}_t + \frac12\beta_t\Delta t\,\mathbf{x}_t + \beta_t\Delta t\,"
     r"\mathbf{s}_\theta(\mathbf{x}_t,t) + \sqrt{2\beta_t\Delta t}\,\mathbf{z}", "inconsistent", ["variance"]),
    # dz on the left: z is the state (latent_state.dz_as_state)
    (r"d\mathbf{z} = f(t)\mathbf{z}\,dt + g(t)\,d\mathbf{w}", "exact", []),
    (r"dz = -\beta(t) z\,dt + \sqrt{\beta(t)}\,dw", "inconsistent", ["drift"]),
    # the kernel's standard deviation σ(t) of each family (families/schedules.py), and beside its own SDE (cell_pairs.py)
    (r"\sigma(t) = \sqrt{1 - e^{-\int_0^t \beta(s)\,\mathrm{d}s}}", "exact", []),
    (r"\sigma(t) = 1 - e^{-\int_0^t \beta(s)\,\mathrm{d}s}", "exact", []),
    (r"\sigma(t) = 1 - e^{-2\int_0^t \beta(s)\,\mathrm{d}s}", "inconsistent", ["rhs"]),
    (r"\sigma(t) = \sqrt{1 - e^{-\int_0^t \beta(s) ds}}, \quad dx = -\frac12\beta(t)x\,dt + "
     r"\sqrt{\beta(t)(1 - e^{-2\int_0^t\beta(s)ds})}\,dw", "inconsistent", ["rhs"]),
    # Song's tutorial SDE dx = σ^t dw: its reverse SDE and probability-flow ODE (families/ve_tutorial.py)
    (r"dx = -\sigma^{2t}\nabla_x\log p_t(x)\,dt + \sigma^{t}\,d\bar w", "exact", []),
    (r"\frac{dx}{dt} = -\frac12\sigma^{2t}\nabla_x\log p_t(x)", "exact", []),
    (r"dx = -\frac12\sigma^{2t}\nabla_x\log p_t(x)\,dt + \sigma^{t}\,d\bar w", "inconsistent", ["drift"]),
    # a product written α_1 ⋯ α_t (normalize.py), and Su's β̄_t defined from ᾱ_t (identities.py)
    (r"\bar\alpha_t = \alpha_1\cdots\alpha_t", "exact", []),
    (r"\bar\alpha_t = \beta_1\cdots\beta_t", "inconsistent", ["rhs"]),
    # a bare x beside x_t on the left is the data (latent_state.bare_x_as_data)
    (r"x_t = \alpha_t x + \sigma_t\epsilon", "exact", []),
    (r"x_t = \alpha_t x + \sigma_t^2\epsilon", "inconsistent", ["variance"]),
    (r"\mathbf{x}_{t} = \mathbf{x} + t\,\boldsymbol{\epsilon}", "exact", []),
    # a literal formula that is not real on part of its domain (literal.py)
    (r"c_{\mathrm{out}}(\sigma) = \frac{\sigma\sigma_{\mathrm{data}}}{\sqrt{\sigma_{\mathrm{data}}^2-\sigma^2}}",
     "ill-defined", ["rhs"]),
    (r"c_{\mathrm{in}}(\sigma) = \frac{1}{\sqrt{\sigma^2 + 2\sigma_{\mathrm{data}}^2}}", "inconsistent", ["rhs"]),
    # Leibniz's d f(u)/du computed (parse_constructs._leibniz)
    (r"v_\phi = \frac{d\cos(\phi)}{d\phi}x + \frac{d\sin(\phi)}{d\phi}\epsilon", "exact", []),
    (r"v_\phi = \frac{d\sin(\phi)}{d\phi}x + \frac{d\cos(\phi)}{d\phi}\epsilon", "inconsistent", ["rhs"]),
])
def test_reading_rules(text, verdict, terms):
    got = _verdicts(text)
    worst = max(got, key=lambda v: ["exact", "consistent", "inconsistent", "ill-defined", "unparsed"].index(v[0]))
    assert worst[0] == verdict, got
    assert set(terms) <= {t for _, ts in got for t in ts}, got


def test_t_as_noise_level_keeps_wrong_formulas_wrong():
    # σ(t) = t is kept only where it gives exact or consistent: σ(t) = t² is another valid VE schedule (never exact),
    # a wrong mean stays wrong
    assert claim_verdicts(r"x_t = x_0 + t^2 z")[0] != "exact"
    assert claim_verdicts(r"x_t = 2x_0 + t z")[0] == "inconsistent"
    assert claim_verdicts(r"\frac{dx_t}{dt} = t \nabla_{x_t}\log p_t(x_t)") == ["inconsistent"]


def test_su_definition_is_an_identity_of_the_notation():
    from scoresde.formulas.claims import ClaimSpec as Spec

    got = [v.verdict for _, v in verify_claims([Spec(name="c", text=r"\bar\beta_t = \sqrt{1 - \bar\alpha_t^2}",
                                                      notation="su")], numeric=False)]
    assert got == ["exact"]
    bad = [v.verdict for _, v in verify_claims([Spec(name="c", text=r"\bar\beta_t = 1 - \bar\alpha_t^2",
                                                      notation="su")], numeric=False)]
    assert bad != ["exact"]


def test_vdm_pair_must_preserve_variance():
    # Salimans & Ho 2022, Sec. 4: α_t = cos(πt/2), σ_t = sin(πt/2); σ_t = cos(πt/2)² breaks α² + σ² = 1
    assert "inconsistent" not in claim_verdicts(r"\alpha_t = \cos(\pi t/2), \quad \sigma_t = \sin(\pi t/2)")
    bad = claim_verdicts(r"\alpha_t = \cos(\pi t/2), \quad \sigma_t = 1 - \cos(\pi t/2)")
    assert bad[-1] == "inconsistent"
