"""Session 8's integrator rules, each with formulas written for the test (other letters and other papers than the
corpora) and wrong variants that must stay wrong."""
import pytest

from scoresde.formulas import verify_formula

_SDE = r"\mathrm{d}\mathbf{x}_t = f(t)\mathbf{x}_t\,\mathrm{d}t + g(t)\,\mathrm{d}\mathbf{w}_t"
_F = r"f(t) = \frac{\mathrm{d}\log\alpha_t}{\mathrm{d}t}"
_G2 = r"g^2(t) = \frac{\mathrm{d}\sigma_t^2}{\mathrm{d}t} - 2\frac{\mathrm{d}\log\alpha_t}{\mathrm{d}t}\sigma_t^2"


def _vt(tex):
    return [(v.verdict, v.terms) for v in verify_formula(tex, numeric=False)]


@pytest.mark.parametrize("tex,want", [
    # DPM-Solver's linear SDE with f and g² defined through (α_t, σ_t) (Lu et al. 2022a, Eq. 2.3): VDM's pair, g² = E is g = √E
    (rf"{_SDE}, \quad {_F}, \quad {_G2}", [("exact", [])]),
    (rf"{_SDE}, \quad {_F}, \quad g(t)^2 = \frac{{\mathrm{{d}}\sigma_t^2}}{{\mathrm{{d}}t}} - \frac{{\mathrm{{d}}\log\alpha_t}}{{\mathrm{{d}}t}}\sigma_t^2",
     [("inconsistent", ["diffusion"])]),
    (rf"{_SDE}, \quad f(t) = \frac{{\mathrm{{d}}\alpha_t}}{{\mathrm{{d}}t}}, \quad {_G2}", [("inconsistent", ["drift"])]),
    # the same written out in one formula: the derivative of α_t fixes VDM's notation alone
    (r"dz = \frac{d\log\alpha_t}{dt} z\,dt + \sqrt{\frac{d\sigma_t^2}{dt} - 2\frac{d\log\alpha_t}{dt}\sigma_t^2}\,dw", [("exact", [])]),
    (r"dz = \frac{d\log\alpha_t}{dt} z\,dt + \sqrt{\frac{d\sigma_t^2}{dt} + 2\frac{d\log\alpha_t}{dt}\sigma_t^2}\,dw",
     [("inconsistent", ["diffusion"])]),
])
def test_linear_sde_in_alpha_sigma(tex, want):
    assert _vt(tex) == want


@pytest.mark.parametrize("tex,want", [
    (r"\mathbf{x}_T \sim \mathcal{N}(\mathbf{0}, \tilde\sigma^2\mathbf{I})", "exact"),  # Lu et al. 2022a, Sec. 2.1
    (r"x_T \sim \mathcal{N}(1, \tilde\sigma^2 I)", "inconsistent"),
])
def test_prior_with_unnamed_terminal_std(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # Tweedie's data prediction written as a function of the state (Chung et al. 2023, Eq. 6)
    (r"\hat{\mathbf{x}}_0(\mathbf{x}_t) = \frac{1}{\sqrt{\bar\alpha_t}}\left(\mathbf{x}_t + (1-\bar\alpha_t)\nabla_{\mathbf{x}_t}\log p_t(\mathbf{x}_t)\right)", "exact"),
    (r"\hat{x}_0(x_t, t) = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\sqrt{\bar\alpha_t}}", "exact"),
    (r"\hat{x}_0(x_t, t) = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\bar\alpha_t}", "inconsistent"),
])
def test_data_prediction_as_a_function_of_the_state(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # ᾱ(t) chosen as a function of t alone: a valid schedule is consistent (never exact), an invalid one is not
    (r"\bar\alpha(t) = \exp\left(-(10^{-3} + 8t^2)\right)", "consistent"),
    (r"\bar\alpha(t) = e^{-12 t}", "consistent"),
    (r"\bar\alpha(t) = e^{+8t^2}", "inconsistent"),  # above 1
    (r"\bar\alpha(t) = e^{-0.2 t}", "inconsistent"),  # the signal is not destroyed at t = 1
])
def test_abar_as_a_function_of_time(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # a definition at t used at t − 1, and a chain of definitions (σ̃ through σ)
    (r"\tilde\sigma_t = \frac{\sigma_{t-1}}{\sigma_t}\sqrt{\beta_t}, \quad \sigma_t = \sqrt{1-\bar\alpha_t}", ("exact", [])),
    (r"\tilde\sigma_t = \frac{\sigma_{t}}{\sigma_{t-1}}\sqrt{\beta_t}, \quad \sigma_t = \sqrt{1-\bar\alpha_t}", ("inconsistent", ["rhs"])),
    (r"\tilde\mu_t = \frac{\sqrt{\alpha_t}\,\sigma_{t-1}^2 x_t + \sqrt{\bar\alpha_{t-1}}\beta_t x_0}{\sigma_t^2}, \quad \sigma_t^2 = 1-\bar\alpha_t",
     ("exact", [])),
    (r"\tilde\mu_t = \frac{\sqrt{\alpha_t}\,\sigma_{t}^2 x_t + \sqrt{\bar\alpha_{t-1}}\beta_t x_0}{\sigma_t^2}, \quad \sigma_t^2 = 1-\bar\alpha_t",
     ("inconsistent", ["mean.x"])),
])
def test_definitions_at_shifted_indices(tex, want):
    assert _vt(tex) == [want]
