"""Issue 13, ninth wave (edm): EDM's denoiser form as code bases and notes write it. None of the formulas below is
copied from a corpus; each is another instance of the construct (other letters, fonts, index directions, code names),
and each correct one has wrong variants that must stay wrong:

* Alg. 1-2 written in noise levels σ_i (k-diffusion, diffusers): σ_i is the time point t_i (σ(t) = t), a step size h
  defined beside the step is substituted, Heun's named predictor is x_{i+1} and an inline slope its d'_i
  (edm_sigma_steps.py); the churn written primed (t_i', x_i') is t̂_i, x̂_i; Eq. 5 with t_max, t_min
  (edm_time_names.py);
* consistency models' scalings in σ with σ_min (families/consistency.py) and the boundary condition that both scalings
  of a cell must meet (cm_boundary.py);
* NVlabs/edm's ``weight`` (code_vocab.py), EDM's Eq. 7 preconditioned denoiser (families/edm.py), k-diffusion's
  σ_up/σ_down (families/kdiff_ancestral.py), a sampling statement after a loss (objective_sampling.py).
"""
import pytest

from scoresde.formulas import verify_formula
from scoresde.formulas.edm_sigma_steps import sigma_levels_as_times
from scoresde.formulas.edm_time_names import edm_time_names
from scoresde.formulas.objective_sampling import trailing_sampling
from scoresde.formulas.registry import REGISTRY

_GOOD = ("exact", "consistent")


def _worst(text):
    vs = verify_formula(text, numeric=False)
    order = {"ill-defined": 4, "inconsistent": 3, "unparsed": 2, "consistent": 1, "exact": 0}
    v = max(vs, key=lambda v_: order[v_.verdict])
    terms = sorted({t for v_ in vs for t in (v_.terms or [])})
    return v.verdict, terms, vs


@pytest.mark.parametrize("text", [
    # diffusers-style Euler step in σ (bold fonts), k-diffusion's sample_dpmpp_2m first step with h_i in ln σ
    r"\boldsymbol{x}_{i+1} = \boldsymbol{x}_i + (\sigma_{i+1} - \sigma_i)\,\frac{\boldsymbol{x}_i - D_\theta(\boldsymbol{x}_i; \sigma_i)}{\sigma_i}",
    r"x_{i+1} = \frac{\sigma_{i+1}}{\sigma_i}x_i + \left(1 - e^{-h_i}\right)D_\theta(x_i;\sigma_i), \quad h_i = \ln\sigma_i - \ln\sigma_{i+1}",
    # Heun with a primed predictor and the second slope inline as a fraction
    r"d_i = \frac{x_i - D_\theta(x_i;\sigma_i)}{\sigma_i}, \quad x'_{i+1} = x_i + (\sigma_{i+1} - \sigma_i) d_i, \quad "
    r"x_{i+1} = x_i + \frac{\sigma_{i+1} - \sigma_i}{2}\left(d_i + \frac{x'_{i+1} - D_\theta(x'_{i+1};\sigma_{i+1})}{\sigma_{i+1}}\right)",
    # the churn primed, Eq. 5 in t_max/t_min
    r"t_i' = (1 + \gamma_i)\,t_i, \quad \mathbf{x}_i' = \mathbf{x}_i + \sqrt{t_i'^2 - t_i^2}\,\boldsymbol\epsilon_i",
    r"t_{i} = \Big(t_{\max}^{1/\rho} + \tfrac{i}{N-1}\big(t_{\min}^{1/\rho} - t_{\max}^{1/\rho}\big)\Big)^{\rho}",
    # consistency models in σ, σ_min (\mathrm fonts, the square expanded differently)
    r"c_{\mathrm{skip}}(\sigma) = \frac{\sigma_{\mathrm{data}}^2}{\sigma_{\mathrm{data}}^2 + (\sigma - \sigma_{\min})^2}, \quad "
    r"c_{\mathrm{out}}(\sigma) = \frac{\sigma_{\mathrm{data}}(\sigma - \sigma_{\min})}{\sqrt{\sigma_{\mathrm{data}}^2 + \sigma^2}}",
    # NVlabs/edm's loss weight with self., EDM's Eq. 7 in \mathrm, k-diffusion's split counting down and in closed form
    "weight = (sigma ** 2 + self.sigma_data ** 2) / (sigma * self.sigma_data) ** 2",
    r"D_\theta(\mathbf{x};\sigma) = c_{\mathrm{skip}}(\sigma)\mathbf{x} + c_{\mathrm{out}}(\sigma)F_\theta(c_{\mathrm{in}}(\sigma)\mathbf{x}; c_{\mathrm{noise}}(\sigma))",
    r"\sigma_{\mathrm{up}} = \sqrt{\frac{\sigma_{t-1}^2\left(\sigma_t^2 - \sigma_{t-1}^2\right)}{\sigma_t^2}}, \qquad \sigma_{\mathrm{down}} = \sqrt{\sigma_{t-1}^2 - \sigma_{\mathrm{up}}^2}",
    r"\sigma_{\text{down}} = \frac{\sigma_{i+1}^2}{\sigma_i}",
    # Alg. 2 in noise levels (σ̂_i) and a cell counting with n
    r"\hat\sigma_i = \sigma_i(1 + \gamma_i), \quad \hat{\mathbf{x}}_i = \mathbf{x}_i + \sqrt{\hat\sigma_i^2 - \sigma_i^2}\,\boldsymbol\epsilon_i",
    r"x_{n+1} = x_n + (\sigma_{n+1} - \sigma_n)\frac{x_n - D(x_n; \sigma_n)}{\sigma_n}",
    # k-diffusion's Euler ancestral step with its split defined beside it (\mathrm fonts, bold state and noise)
    r"\sigma_{\mathrm{up}} = \sqrt{\frac{\sigma_{i+1}^2(\sigma_i^2 - \sigma_{i+1}^2)}{\sigma_i^2}}, \quad \sigma_{\mathrm{down}} = \frac{\sigma_{i+1}^2}{\sigma_i}, \quad "
    r"\mathbf{x}_{i+1} = \mathbf{x}_i + \frac{\mathbf{x}_i - D_\theta(\mathbf{x}_i; \sigma_i)}{\sigma_i}(\sigma_{\mathrm{down}} - \sigma_i) + \sigma_{\mathrm{up}}\mathbf{z}",
    # Eq. 7 for the ideal D with a bare F, and with a comma
    r"D(\boldsymbol{x};\sigma) = c_{\mathrm{skip}}(\sigma)\boldsymbol{x} + c_{\mathrm{out}}(\sigma)F\left(c_{\mathrm{in}}(\sigma)\boldsymbol{x}; c_{\mathrm{noise}}(\sigma)\right)",
    r"D_\theta(x, \sigma) = c_{\text{skip}}(\sigma)x + c_{\text{out}}(\sigma)F_\theta(c_{\text{in}}(\sigma)x, c_{\text{noise}}(\sigma))",
    # the consistency function itself in σ (Song et al. 2023, Eq. 5)
    r"f_\theta(\boldsymbol{x}, \sigma) = c_{\mathrm{skip}}(\sigma)\,\boldsymbol{x} + c_{\mathrm{out}}(\sigma)\,F_\theta(\boldsymbol{x}, \sigma)",
    # a sampling statement after the loss (Ho et al. 2020's ε)
    r"\mathbb{E}_{t, \mathbf{x}_0, \boldsymbol\epsilon}\left[\left\|\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon, t)\right\|^2\right] \quad \text{where} \quad \boldsymbol\epsilon \sim \mathcal{N}(\mathbf{0}, \mathbf{I})",
])
def test_correct_forms_are_judged_right(text):
    verdict, _, vs = _worst(text)
    assert verdict in _GOOD, [(v.verdict, v.detail) for v in vs]


@pytest.mark.parametrize("text, terms", [
    (r"\boldsymbol{x}_{i+1} = \boldsymbol{x}_i + (\sigma_{i+1} - \sigma_i)\,\frac{\boldsymbol{x}_i - D_\theta(\boldsymbol{x}_i; \sigma_i)}{\sigma_i^2}", None),
    (r"x_{i+1} = \frac{\sigma_{i+1}}{\sigma_i}x_i + \left(1 - e^{h_i}\right)D_\theta(x_i;\sigma_i), \quad h_i = \ln\sigma_i - \ln\sigma_{i+1}", ["mean.x0"]),
    (r"d_i = \frac{x_i - D_\theta(x_i;\sigma_i)}{\sigma_i}, \quad x'_{i+1} = x_i + (\sigma_{i+1} - \sigma_i) d_i, \quad "
     r"x_{i+1} = x_i + (\sigma_{i+1} - \sigma_i)\left(d_i + \frac{x'_{i+1} - D_\theta(x'_{i+1};\sigma_{i+1})}{\sigma_{i+1}}\right)", None),
    (r"t_i' = (1 + \gamma_i)\,t_i, \quad \mathbf{x}_i' = \mathbf{x}_i + \sqrt{t_i' - t_i}\,\boldsymbol\epsilon_i", ["variance"]),
    (r"c_{\mathrm{skip}}(\sigma) = \frac{\sigma_{\mathrm{data}}^2}{\sigma_{\mathrm{data}}^2 + \sigma^2}, \quad "
     r"c_{\mathrm{out}}(\sigma) = \frac{\sigma_{\mathrm{data}}(\sigma - \sigma_{\min})}{\sqrt{\sigma_{\mathrm{data}}^2 + \sigma^2}}", ["rhs"]),
    (r"c_{\mathrm{skip}}(\sigma) = \frac{\sigma_{\mathrm{data}}^2}{\sigma_{\mathrm{data}}^2 + \sigma^2 - \sigma_{\min}^2}", ["rhs"]),
    ("weight = (sigma ** 2 + sigma_data ** 2) / (sigma ** 2 * sigma_data)", ["rhs"]),
    (r"D_\theta(\mathbf{x};\sigma) = c_{\mathrm{out}}(\sigma)\mathbf{x} + c_{\mathrm{skip}}(\sigma)F_\theta(c_{\mathrm{in}}(\sigma)\mathbf{x}; c_{\mathrm{noise}}(\sigma))", ["rhs"]),
    (r"D_\theta(\mathbf{x};\sigma) = c_{\mathrm{skip}}(\sigma)\mathbf{x} + c_{\mathrm{out}}(\sigma)F_\theta(\mathbf{x}; c_{\mathrm{noise}}(\sigma))", ["rhs"]),
    (r"\sigma_{\mathrm{up}} = \sqrt{\frac{\sigma_{t-1}^2\left(\sigma_t^2 - \sigma_{t-1}^2\right)}{\sigma_t^2}}, \qquad \sigma_{\mathrm{down}} = \sqrt{\sigma_{t-1}^2 + \sigma_{\mathrm{up}}^2}", ["rhs"]),
    (r"\sigma_{\text{down}} = \frac{\sigma_{i+1}}{\sigma_i}", ["rhs"]),
    (r"D(\boldsymbol{x};\sigma) = c_{\mathrm{skip}}(\sigma)F\left(c_{\mathrm{in}}(\sigma)\boldsymbol{x}; c_{\mathrm{noise}}(\sigma)\right) + c_{\mathrm{out}}(\sigma)\boldsymbol{x}", ["rhs"]),
    (r"f_\theta(\boldsymbol{x}, \sigma) = c_{\mathrm{skip}}(\sigma)\,F_\theta(\boldsymbol{x}, \sigma) + c_{\mathrm{out}}(\sigma)\,\boldsymbol{x}", ["rhs"]),
    (r"\sigma_{\mathrm{up}} = \sqrt{\frac{\sigma_{i+1}^2(\sigma_i^2 - \sigma_{i+1}^2)}{\sigma_i^2}}, \quad \sigma_{\mathrm{down}} = \frac{\sigma_{i+1}^2}{\sigma_i}, \quad "
     r"\mathbf{x}_{i+1} = \mathbf{x}_i + \frac{\mathbf{x}_i - D_\theta(\mathbf{x}_i; \sigma_i)}{\sigma_i}(\sigma_{i+1} - \sigma_i) + \sigma_{\mathrm{up}}\mathbf{z}", None),
    (r"\hat\sigma_i = \sigma_i(1 + \gamma_i), \quad \hat{\mathbf{x}}_i = \mathbf{x}_i + (\hat\sigma_i - \sigma_i)\,\boldsymbol\epsilon_i", ["variance"]),
    (r"x_{n+1} = x_n + (\sigma_{n} - \sigma_{n+1})\frac{x_n - D(x_n; \sigma_n)}{\sigma_n}", None),
])
def test_wrong_variants_stay_wrong(text, terms):
    verdict, got, vs = _worst(text)
    assert verdict == "inconsistent", [(v.verdict, v.detail) for v in vs]
    if terms is not None:
        assert got == terms


def test_sigma_levels_read_as_times_only_in_a_denoiser_step():
    text, notes = sigma_levels_as_times(r"x_{i+1} = x_i + (\sigma_{i+1} - \sigma_i)\frac{x_i - D(x_i; \sigma_i)}{\sigma_i} + \sigma_{\mathrm{data}}")
    assert "t_{i+1}" in text and r"\sigma_{\mathrm{data}}" in text and notes
    # an own t_i (EDM's own letters) or no denoiser: left alone
    for plain in (r"x_{i+1} = x_i + (t_{i+1} - t_i)\frac{x_i - D(x_i; \sigma_i)}{t_i}", r"\sigma_{i} = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^{i/N}"):
        assert sigma_levels_as_times(plain) == (plain, [])


def test_only_a_primed_time_names_the_churn():
    assert edm_time_names(r"x'_i = x_i + \epsilon s_\theta(x_i, \sigma_i)")[1] == []  # a predictor, not the churn
    assert edm_time_names(r"d'_i = (x_{i+1} - D(x_{i+1}; t_{i+1}))/t_{i+1}")[1] == []  # Alg. 1's second slope
    out, notes = edm_time_names(r"t'_i = t_i + \gamma_i t_i")
    assert r"\hat{t}_i" in out and notes


def test_trailing_sampling_statements():
    assert trailing_sampling(r"\right], \quad n \sim \mathcal{N}(0, \sigma^2 I)") == [r"n \sim \mathcal{N}(0, \sigma^2 I)"]
    assert trailing_sampling(r", \; y \sim p_{\text{data}}, \quad n \sim \mathcal{N}(0, \sigma^2 I)") is not None
    assert trailing_sampling(r"+ \lambda L_{\mathrm{vlb}}") is None and trailing_sampling("  ] ") is None


@pytest.mark.parametrize("name", ["cm.c_skip_sigma", "cm.c_out_sigma", "edm.precond_denoiser", "kdiff.up", "kdiff.down",
                                  "kdiff.down_closed_desc", "kdiff.up_eta_desc",
                                  "cm.function", "cm.function_sigma"])
def test_new_entries_are_tied(name):
    e = REGISTRY[name]
    ok, how = e.tie(e)
    assert ok, how


@pytest.mark.parametrize("text, verdict", [
    (r"\log(\sigma) \sim \mathcal{N}\left(P_{\mathrm{mean}}, P_{\mathrm{std}}^2\right)", "exact"),
    (r"\ln\sigma \sim \mathcal{N}(-1.2, 1.44)", "exact"),
    (r"\sigma = e^{P_{\text{mean}} + P_{\text{std}}\,\xi}, \quad \xi \sim \mathcal{N}(0, 1)", "exact"),
    ("sigma = (self.P_mean + self.P_std * rnd_normal).exp()", "exact"),
    (r"\log\sigma \sim \mathcal{N}(P_{\mathrm{mean}}, P_{\mathrm{std}}^2), \quad P_{\mathrm{std}} = 1.2, \quad P_{\mathrm{mean}} = -1.2", "exact"),
    (r"\log\sigma \sim \mathcal{N}(P_{\mathrm{mean}}, P_{\mathrm{std}}^2), \quad P_{\mathrm{std}} = 1.0, \quad P_{\mathrm{mean}} = -0.5", "consistent"),
    (r"\log(\sigma) \sim \mathcal{N}\left(P_{\mathrm{mean}}, P_{\mathrm{std}}\right)", "inconsistent"),
    (r"\sigma \sim \mathcal{N}\left(P_{\mathrm{mean}}, P_{\mathrm{std}}^2\right)", "inconsistent"),
    ("sigma = (rnd_normal * self.P_std ** 2 + self.P_mean).exp()", "inconsistent"),
])
def test_edm_training_noise_levels(text, verdict):
    vs = verify_formula(text, numeric=False)
    assert [v.verdict for v in vs] == [verdict], [(v.verdict, v.detail) for v in vs]
    assert vs[0].terms == ([] if verdict == "exact" else ["rhs"])


def test_the_law_read_from_code_is_the_law_of_the_draw():
    """The reader's law of ln σ for a code draw against the sample moments of running that draw (numpy, fixed seed)."""
    import numpy as np
    import sympy as sp

    from scoresde.formulas.edm_noise_draw import PM, PS, _law

    code = "sigma = (rnd_normal * P_std + P_mean).exp()"
    mean, var, drawn = _law(code)
    rng = np.random.default_rng(0)
    z = rng.standard_normal(400_000)
    pm, ps = -1.2, 1.2
    log_sigma = np.log(np.exp(z * ps + pm))
    assert drawn == "ln σ"
    assert abs(float(mean.subs({PM: pm, PS: ps})) - log_sigma.mean()) < 0.01
    assert abs(float(var.subs({PM: pm, PS: ps})) - log_sigma.var()) < 0.02
    assert sp.simplify(var - PS**2) == 0
