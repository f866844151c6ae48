"""Issue 13, fourth wave (continuous families): general reading rules, each on formulas that are not in any corpus.

* Lagrange's prime on a function of time is its time derivative (VDM's γ'(t), Kingma et al. 2021, Eq. 3 / App. A);
* the forward Euler–Maruyama step of the general SDE (Kloeden & Platen 1992, Eq. 9.1.1 applied to Song et al. Eq. 5).
"""
from __future__ import annotations

import pytest

from scoresde.formulas import Budget
from scoresde.formulas import verify_latex as _verify_latex

ALARM = ("inconsistent", "ill-defined")
GOOD = ("exact", "consistent")


def verify_latex(latex, **kw):
    # the readings are under test here, not the speed: a generous budget keeps them stable on a loaded machine
    return _verify_latex(latex, budget=Budget(time_s=30), **kw)


def _one(latex, notation=None):
    vs = verify_latex(latex, notation=notation, numeric=False)
    return max(vs, key=lambda v: {"exact": 0, "consistent": 1}.get(v.verdict, 2))


@pytest.mark.parametrize("latex", [
    r"f(t) = -\tfrac{1}{2}\sigma_t^2\,\gamma'(t)",
    r"g(t)^2 = \sigma_t^2\gamma'(t)",
    r"\frac{d\sigma_t^2}{dt} = \sigma_t^2\alpha_t^2\gamma'(t)",  # d sigmoid(γ)/dt = σ²(1 − σ²) γ'
])
def test_prime_is_the_time_derivative(latex):
    assert _one(latex, "vdm").verdict == "exact"


@pytest.mark.parametrize("latex, term", [
    (r"f(t) = -\sigma_t^2\,\gamma'(t)", "rhs"),  # tests/corpus_extra names a wrong coefficient relation's right side
    (r"g^2(t) = 2\sigma_t^2\gamma'(t)", "rhs"),
    (r"\frac{d\sigma_t^2}{dt} = \sigma_t^2\gamma'(t)", "rhs"),
])
def test_wrong_coefficient_relations_name_their_term(latex, term):
    v = _one(latex, "vdm")
    assert v.verdict == "inconsistent" and v.terms == [term]


def test_forward_euler_maruyama_step():
    assert _one(r"x_{i+1} = x_i + f(x_i, t_i)\Delta t + g(t_i)\sqrt{\Delta t}\, z_i").verdict in GOOD
    assert _one(r"\mathbf{x}_{k+1} = \mathbf{x}_k + \mathbf{f}(\mathbf{x}_k, t_k)\,\Delta t"
                r" + g(t_k)\sqrt{\Delta t}\,\boldsymbol\epsilon_k").verdict in GOOD
    sign = _one(r"x_{i+1} = x_i - f(x_i, t_i)\Delta t + g(t_i)\sqrt{\Delta t}\, z_i")
    assert sign.verdict == "inconsistent"
    sq = _one(r"x_{i+1} = x_i + f(x_i, t_i)\Delta t + g(t_i)^2\sqrt{\Delta t}\, z_i")
    assert sq.verdict == "inconsistent" and "variance" in sq.terms


def test_a_caption_before_the_formula_is_not_a_factor():
    # a label ending in a colon (ASCII or full-width) names the formula (tutorial tables, slides)
    assert _one(r"\text{Forward SDE:}\ d\mathbf{x} = -\frac{1}{2}\beta(t)\mathbf{x}\,dt + \sqrt{\beta(t)}\,d\mathbf{w}").verdict == "exact"
    assert _one(r"\textbf{PF ODE}: \frac{dx}{dt} = -\frac{1}{2}\frac{d[\sigma^2(t)]}{dt}\nabla_x\log p_t(x)").verdict == "exact"
    assert _one(r"\text{正向SDE：}dx = \sqrt{\frac{d[\sigma^2(t)]}{dt}}\,dw").verdict == "exact"
    wrong = _one(r"\text{Forward SDE:}\ d\mathbf{x} = -\beta(t)\mathbf{x}\,dt + \sqrt{\beta(t)}\,d\mathbf{w}")
    assert wrong.verdict == "inconsistent" and wrong.terms == ["drift"]


def test_vdm_model_mean_as_a_left_side():
    """μ_θ(z_t; s, t) = μ_Q(z_t, x̂_θ(z_t; t); s, t) (Kingma et al. 2021, Sec. 3.3 / App. A), in x̂ and in ε̂ form."""
    x_form = (r"\mu_\theta(z_t; s, t) = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t"
              r" + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}\hat{x}_\theta(z_t; t)")
    assert _one(x_form, "vdm").verdict == "exact"
    e_form = r"\mu_\theta(z_t; s, t) = \frac{1}{\alpha_{t|s}}z_t - \frac{\sigma_{t|s}^2}{\alpha_{t|s}\sigma_t}\hat\epsilon_\theta(z_t; t)"
    assert _one(e_form, "vdm").verdict == "exact"
    swapped = x_form.replace(r"\frac{\alpha_s\sigma_{t|s}^2}", r"\frac{\alpha_t\sigma_{t|s}^2}")
    assert _one(swapped, "vdm").verdict == "inconsistent"


def test_learned_schedule_network_with_another_letter():
    """VDM's γ_η(t) = −log SNR(t), a monotone network with parameters η; Luo 2022 (Eq. 110) writes it ω_η(t)."""
    assert _one(r"\mathrm{SNR}(t) = e^{-\omega_\eta(t)}").verdict == "exact"
    assert _one(r"1-\bar\alpha_t = \frac{1}{1 + e^{-\omega_\eta(t)}}").verdict == "exact"
    assert _one(r"\mathrm{SNR}(t) = e^{\omega_\eta(t)}").verdict == "inconsistent"
    assert _one(r"\bar\alpha_t = \frac{1}{1 + e^{-\omega_\eta(t)}}").verdict == "inconsistent"


def test_data_prediction_inside_an_sde():
    """x_θ = (x + σ² s_θ)/α inside an SDE/ODE drift (Lu et al. 2022b, Eq. 3.1; α = 1, σ = σ(t) for VE)."""
    pf = r"\frac{d x_t}{dt} = f(t)x_t + \frac{g^2(t)}{2\sigma_t^2}\left(x_t - \alpha_t x_\theta(x_t, t)\right)"
    assert _one(pf, "vdm").verdict == "exact"
    wrong = _one(pf.replace(r"{2\sigma_t^2}", r"{\sigma_t^2}"), "vdm")
    assert wrong.verdict == "inconsistent" and wrong.terms == ["drift"]
    ve = (r"dx = \frac{d[\sigma^2(t)]}{dt}\,\frac{x - x_\theta(x, t)}{\sigma(t)^2}\,dt"
          r" + \sqrt{\frac{d[\sigma^2(t)]}{dt}}\,d\bar w")
    assert _one(ve).verdict == "exact"
    flipped = _one(ve.replace(r"x - x_\theta(x, t)", r"x_\theta(x, t) - x"))
    assert flipped.verdict == "inconsistent" and flipped.terms == ["drift"]


@pytest.mark.parametrize("latex", [
    r"x_t = e^{-\frac12\int_0^t\beta_s\,ds}\,x_0 + \sqrt{1-e^{-\int_0^t\beta_s\,ds}}\;\epsilon",
    r"\mathbf{x}_t = \exp\left(-\frac{1}{2}\int_0^t\beta(\tau)\,d\tau\right)\mathbf{x}_0 + \sqrt{1-\exp\left(-\int_0^t\beta(\tau)\,d\tau\right)}\,\mathbf{z}",
    r"dx = -\frac{1}{2}\beta(t)x\,dt + \sqrt{\beta(t)(1 - e^{-2\int_0^t\beta_u du})}\,dw",
])
def test_continuous_time_subscripts_and_integration_letters(latex):
    """x_t beside ∫₀ᵗ is x(t); β_s under ∫ ds is β(s) (Song et al. 2021, Eq. 29 / Eq. 12 in subscript notation)."""
    assert _one(latex).verdict in GOOD


def test_continuous_time_subscripts_wrong_variants():
    v = _one(r"x_t = e^{-\int_0^t\beta_s\,ds}\,x_0 + \sqrt{1-e^{-\int_0^t\beta_s\,ds}}\;\epsilon")
    assert v.verdict == "inconsistent" and v.terms == ["mean.x0"]
    v = _one(r"x_t = e^{-\frac12\int_0^t\beta_s\,ds}\,x_0 + \sqrt{e^{-\int_0^t\beta_s\,ds}}\;\epsilon")
    assert v.verdict in ALARM


def test_plain_n_after_sim_is_the_normal_distribution():
    v = verify_latex(r"x(t) = e^{-\frac{1}{2}\int_0^t \beta(s)ds}\,x(0) + \sqrt{1 - e^{-\int_0^t\beta(s)ds}}\,z, \quad z \sim N(0, I)",
                     numeric=False)
    assert [q.verdict for q in v] and all(q.verdict in GOOD for q in v)


def test_bold_primed_slope_and_its_terms():
    """\\boldsymbol{d}'_i is EDM's second slope (Alg. 1 line 7), not d_i."""
    assert _one(r"\bm{d}'_i = \big(\bm{x}_{i+1} - D_\theta(\bm{x}_{i+1}; t_{i+1})\big)/t_{i+1}").verdict == "exact"
    heun = r"\bm{x}_{i+1} = \bm{x}_i + (t_{i+1} - t_i)\left(\tfrac{1}{2}\bm{d}_i + \tfrac{1}{2}\bm{d}'_i\right)"
    v = _one(heun)
    assert v.verdict == "exact" and "Heun" in v.detail
    bad = _one(heun.replace(r"\tfrac{1}{2}\bm{d}'_i", r"\tfrac{1}{4}\bm{d}'_i"))
    assert bad.verdict == "inconsistent" and bad.terms == ["mean.other"]  # tests/corpus's name for a slope's weight


def test_brownian_motion_with_its_time_argument():
    """dw(t), d\\bar{w}(t): the Brownian motion at time t, not dw times t (Song et al. 2021, Eq. 5 and 6 write w(t))."""
    assert _one(r"d\mathbf{x}(t) = -\frac{1}{2}\beta(t)\mathbf{x}(t)\,dt + \sqrt{\beta(t)}\,d\mathbf{w}(t)").verdict == "exact"
    rev = (r"dx(t) = -\frac{d[\sigma^2(t)]}{dt}\nabla_x\log p_t(x(t))dt + \sqrt{\frac{d[\sigma^2(t)]}{dt}}\,d\bar w(t)")
    assert _one(rev).verdict == "exact"
    v = _one(r"d\mathbf{x}(t) = -\beta(t)\mathbf{x}(t)\,dt + \sqrt{\beta(t)}\,d\mathbf{w}(t)")
    assert v.verdict == "inconsistent" and v.terms == ["drift"]


def test_edm_langevin_rate_read_off_the_noise_term():
    """Karras et al. 2022, Eq. 6 (lower sign) at σ(t) = t: the free β(t) is fixed by 2β(t)σ(t)² = g²; the drift is then
    −(σ̇σ + βσ²)∇log p (β = 1/t: Song et al.'s reverse VE SDE; β = 2/t: more Langevin churn)."""
    assert _one(r"d\mathbf{x} = -2t\,\nabla_{\mathbf{x}}\log p(\mathbf{x}; t)\,dt + \sqrt{2t}\,d\bar{\mathbf{w}}").verdict == "exact"
    assert _one(r"dx = -3t\,\nabla_x\log p(x; t)\,dt + \sqrt{4t}\,d\bar w").verdict == "exact"
    v = _one(r"dx = -3t\,\nabla_x\log p(x; t)\,dt + \sqrt{2t}\,d\bar w")
    assert v.verdict == "inconsistent" and v.terms == ["drift"]
    v = _one(r"dx = 2t\,\nabla_x\log p(x; t)\,dt + \sqrt{2t}\,d\bar w")
    assert v.verdict == "inconsistent" and v.terms == ["drift"]


def _all(latex):
    return [v.verdict for v in verify_latex(latex, numeric=False)]


def test_code_cells_read_as_the_sde_they_compute():
    """Statements run in order (intermediates substituted); drift/diffusion are f(x, t)/g(t) (score_sde's SDE.sde),
    beta_0/beta_1 are β_min/β_max, broadcasting and zeros_like carry no mathematics."""
    vp = "b = beta_0 + t * (beta_1 - beta_0); drift = -0.5 * b[:, None] * x; diffusion = torch.sqrt(b)"
    assert _all(vp) and set(_all(vp)) == {"exact"}  # one SDE dx = drift dt + diffusion dw (or its two pieces)
    bad = [v for v in verify_latex(vp.replace("-0.5 *", "-1.0 *"), numeric=False) if v.verdict != "exact"]
    assert [v.verdict for v in bad] == ["inconsistent"] and bad[0].terms == ["drift"]
    ve = ("s = sigma_min * (sigma_max / sigma_min) ** t; drift = np.zeros_like(x); "
          "diffusion = s * math.sqrt(2 * math.log(sigma_max / sigma_min))")
    assert _all(ve) and set(_all(ve)) == {"exact"}
    assert "inconsistent" in _all(ve.replace("math.sqrt(2 *", "math.sqrt(4 *"))


def test_code_marginal_prob_is_a_kernel_and_dt_is_the_time_step():
    m = "lmc = -0.5 * t * beta_0 - 0.25 * t ** 2 * (beta_1 - beta_0); mean = np.exp(lmc) * x; std = np.sqrt(1. - np.exp(2. * lmc))"
    assert _all(m) == ["exact"]
    assert _all(m.replace("np.exp(2. * lmc)", "np.exp(lmc)")) == ["inconsistent"]
    em = "dt = -1. / N; x_mean = x + (f(x, t) - g(t) ** 2 * score(x, t)) * dt; x = x_mean + g(t) * np.sqrt(-dt) * z"
    assert _all(em)[0] in GOOD
    assert _all(em.replace("- g(t) ** 2", "- 2 * g(t) ** 2"))[0] in ALARM


def test_code_on_a_sampler_grid():
    """x, t and x_next, t_next are the grid points i, i + 1 (EDM's Alg. 1 as code, D the denoiser)."""
    euler = "slope = (x - D(x, t)) / t; x_next = x + (t_next - t) * slope"
    assert _all(euler) == ["exact"]
    assert _all(euler.replace("(x - D(x, t))", "(D(x, t) - x)")) == ["inconsistent"]


def test_constant_base_sigma_to_the_t_defines_its_own_ve_schedule():
    """g(t) = σ^t (Song's tutorial: dx = σ^t dw) is a valid VE SDE with σ(t)² = (σ^{2t} − 1)/(2 log σ), not σ(t)^t."""
    v = _one(r"g(t) = \sigma^{t}")
    assert v.verdict == "consistent" and "2*log(σ)" in v.detail.replace(" ", "")
    assert _one(r"g(t) = 3^{t}").verdict not in ("exact",)
    assert _one(r"g(t) = \sigma(t)").verdict == "inconsistent"
