"""Issue 13, fifth wave (continuous families): general reading rules, each on formulas that are not in any corpus.

* EDM's direction marker: in ``dx_−`` time runs backward, so its Wiener increment dω_t is the backward-time one
  (Karras et al. 2022, Eq. 6 and its footnote; Song et al. 2021, Eq. 6's dw̄), and a marker that contradicts the
  sign of the Langevin term is inconsistent at σ(t) = t too.
* a formula's own definition of σ_t beside the formula that uses it fixes the notation of the whole formula
  (VDM / DPM-Solver's σ_t = √(1 − ᾱ_t), Kingma et al. 2021, Eq. 1-2; Lu et al. 2022a, Sec. 2.1); the definition is
  still judged under it.
* an SDE and a perturbation kernel in one formula describe one process: the kernel must be the kernel of that
  SDE (Song et al. 2021, Eq. 29 and App. B), else it is inconsistent with the pieces in which they differ named;
  a caption in parentheses before a formula of the list (``\\text{(VP SDE)}\\ dx = …``) is prose.
* EDM's Alg. 1 is written for a general σ(t) (and s(t)): its Euler and Heun lines with the slope of Eq. 1 at
  s(t) = 1, d = σ̇/σ (x − D(x; σ)), are Alg. 1, not only at σ(t) = t.
* 𝔼[x(t) | x(0)] = m(t) x(0) is the mean of the perturbation kernel (Song et al. 2021, Eq. 29, App. B), judged
  without the variance it does not state.
* ``\\operatorname{expm1}``, ``log1p``, ``softplus`` (the numerically stable functions of VDM's code, written in
  LaTeX) are their definitions.
* a bare σ raised to a power in t is a constant base (σ^t), not σ(t); Song's tutorial SDE dx = σ^t dw and its
  kernel are a registry family (VESDE with σ_min = 1/√(2 log σ), tied).
* an Euler–Maruyama step written as assignments (Δx = …, x = x + Δx) is the step x_{t+Δt} = x_t + …; a |Δt| marks a
  signed step, backward in time when the drift holds the score.
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


def _all(latex, notation=None):
    return verify_latex(latex, notation=notation, numeric=False)


def _worst(latex, notation=None):
    return max(_all(latex, notation), key=lambda v: {"exact": 0, "consistent": 1}.get(v.verdict, 2))


@pytest.mark.parametrize("latex", [
    r"d x_{-} = -2\sigma(t)\dot\sigma(t)\nabla_x\log p_t(x)\,dt + \sqrt{2\sigma(t)\dot\sigma(t)}\,d\omega_t",
    r"\mathrm{d}\mathbf{x}_- = -2t\,\nabla_{\mathbf{x}}\log p(\mathbf{x}; t)\,\mathrm{d}t + \sqrt{2t}\,\mathrm{d}\mathbf{w}",
])
def test_backward_marker_makes_the_wiener_increment_backward(latex):
    assert _worst(latex).verdict == "exact"


def test_backward_marker_keeps_wrong_variants_wrong():
    v = _worst(r"d x_{-} = -\sigma(t)\dot\sigma(t)\nabla_x\log p_t(x)\,dt + \sqrt{2\sigma(t)\dot\sigma(t)}\,d\omega_t")
    assert v.verdict == "inconsistent" and v.terms == ["drift"]
    # the forward marker on Eq. 6's backward SDE at σ(t) = t
    v = _worst(r"d x_{+} = -2t\nabla_x\log p(x;t)\,dt + \sqrt{2t}\,d\omega_t")
    assert v.verdict == "inconsistent" and v.terms == ["drift"]


# the reverse SDE / PF-ODE with the noise predictor ε̂ = −σ_t ∇log p_t and σ_t defined beside it
_SIG_VP = r"\sigma(t) = \sqrt{1 - \exp\left(-\int_0^t \beta(u)\,du\right)}"


def test_own_definition_of_sigma_fixes_the_notation():
    vs = _all(r"\mathrm{d}\mathbf{x} = \left[-\tfrac12\beta(t)\mathbf{x} + \frac{\beta(t)}{\sigma(t)}\boldsymbol\epsilon_\theta(\mathbf{x}, t)\right]"
              r"\mathrm{d}t + \sqrt{\beta(t)}\,\mathrm{d}\bar{\mathbf{w}}, \quad " + _SIG_VP)
    assert [v.verdict for v in vs] == ["exact", "exact"]
    assert any("notation inferred" in n for n in vs[0].notes)


def test_own_definition_of_sigma_keeps_wrong_variants_wrong():
    # the ODE wrong (σ_t² for σ_t), the definition right: only the drift is named
    vs = _all(r"\frac{dx}{dt} = -\tfrac12\beta(t)\Big(x - \frac{\epsilon_\theta(x, t)}{\sigma(t)^2}\Big), \quad " + _SIG_VP)
    assert [v.verdict for v in vs] == ["inconsistent", "exact"] and vs[0].terms == ["drift"]
    # a definition that is no notation's σ_t fixes nothing: the formula stays as read by default
    vs = _all(r"\frac{dx}{dt} = -\tfrac12\beta(t)\Big(x - \frac{\epsilon_\theta(x, t)}{\sigma(t)}\Big), \quad"
              r" \sigma(t) = \sqrt{1 - \exp\left(-\tfrac12\int_0^t \beta(u)\,du\right)}")
    assert all(v.verdict == "inconsistent" for v in vs)


_VP_SDE = r"dx = -\frac12\beta(t)\,x\,dt + \sqrt{\beta(t)}\,dw"
_SUBVP_SDE = r"dx = -\frac12\beta(t)\,x\,dt + \sqrt{\beta(t)\big(1 - e^{-2\int_0^t\beta(u)du}\big)}\,dw"
_VP_KERNEL = r"x(t) = e^{-\frac12\int_0^t\beta(u)du}\,x(0) + \sqrt{1 - e^{-\int_0^t\beta(u)du}}\,z"
_SUBVP_KERNEL = r"x(t) = e^{-\frac12\int_0^t\beta(u)du}\,x(0) + \big(1 - e^{-\int_0^t\beta(u)du}\big)\,z"


@pytest.mark.parametrize("sde, kernel", [(_VP_SDE, _VP_KERNEL), (_SUBVP_SDE, _SUBVP_KERNEL)])
def test_sde_beside_its_own_kernel(sde, kernel):
    assert [v.verdict for v in _all(kernel + r", \quad " + sde)] == ["exact", "exact"]
    assert [v.verdict for v in _all(r"\text{(forward SDE)}\ " + sde + r", \quad \text{(kernel)}\ " + kernel)] == ["exact", "exact"]


@pytest.mark.parametrize("sde, kernel", [(_VP_SDE, _SUBVP_KERNEL), (_SUBVP_SDE, _VP_KERNEL)])
def test_sde_beside_another_familys_kernel(sde, kernel):
    vs = _all(sde + r", \quad " + kernel)
    assert vs[0].verdict == "exact" and vs[1].verdict == "inconsistent" and vs[1].terms == ["variance"]


def test_edm_alg1_with_a_general_noise_level():
    euler = r"x_{k+1} = x_k + (t_{k+1} - t_k)\,\frac{\sigma'(t_k)}{\sigma(t_k)}\left(x_k - D_\theta(x_k; \sigma(t_k))\right)"
    assert _worst(euler.replace("k", "i")).verdict == "exact"
    wrong = r"x_{i+1} = x_i + (t_{i+1} - t_i)\,\dot\sigma(t_i)\sigma(t_i)\left(x_i - D_\theta(x_i; \sigma(t_i))\right)"
    v = _worst(wrong)
    assert v.verdict == "inconsistent"


@pytest.mark.parametrize("latex", [
    r"\mathbb{E}\left[\mathbf{x}(t) \mid \mathbf{x}(0)\right] = e^{-\frac{1}{2}\int_0^t \beta(u)\,du}\,\mathbf{x}(0)",
    r"\mathbb{E}[x(t) | x(0)] = x(0)",  # VE
    r"\mathbb{E}[x(t) \mid x(0)] = e^{-\frac{t}{2}\beta_{\min} - \frac{t^2}{4}(\beta_{\max} - \beta_{\min})}\,x(0)",  # linear β(t)
])
def test_conditional_mean_is_the_kernel_mean(latex):
    assert _worst(latex).verdict == "exact"


@pytest.mark.parametrize("latex", [
    r"\mathbb{E}[x(t) \mid x(0)] = e^{-\int_0^t \beta(u)\,du}\,x(0)",  # square root missing
    r"\mathbb{E}[x(t) \mid x(0)] = e^{-\frac{t}{2}\beta_{\min} - \frac{t^2}{2}(\beta_{\max} - \beta_{\min})}\,x(0)",
])
def test_wrong_conditional_mean_names_the_mean(latex):
    v = _worst(latex)
    assert v.verdict == "inconsistent" and v.terms == ["mean.x0"]


@pytest.mark.parametrize("latex, verdict", [
    (r"\log\sigma_t^2 = -\operatorname{softplus}(-\gamma(t))", "exact"),  # σ² = sigmoid(γ) (Kingma et al. 2021, Eq. 3)
    (r"\log\alpha_t^2 = -\mathrm{softplus}\left(\gamma(t)\right)", "exact"),
    (r"\alpha_{t|s}^2 = \exp\big(\operatorname{log1p}(e^{\gamma(s)}) - \operatorname{log1p}(e^{\gamma(t)})\big)", "exact"),
    (r"\log\sigma_t^2 = -\operatorname{softplus}(\gamma(t))", "inconsistent"),
    (r"\sigma_{t|s}^2 = -\operatorname{expm1}\big(\gamma(s) - \gamma(t)\big)", "inconsistent"),
])
def test_named_numerical_functions(latex, verdict):
    assert _worst(latex, "vdm").verdict == verdict


def test_constant_base_sigma_tutorial_sde():
    v = _worst(r"d x = \sigma^{t}\, d w")
    assert v.verdict == "exact" and any("constant base" in n for n in v.notes)
    # the kernel written as a sample, and with ln
    assert _worst(r"x(t) = x(0) + \sqrt{\frac{\sigma^{2t} - 1}{2\ln\sigma}}\,z").verdict == "exact"
    v = _worst(r"x(t) = x(0) + \sqrt{\frac{\sigma^{t} - 1}{2\ln\sigma}}\,z")
    assert v.verdict == "inconsistent" and v.terms == ["variance"]
    assert _worst(r"d x = \sigma^{2t}\, d w").verdict == "inconsistent"
    # σ(t) beside a power: the noise level, as before
    assert _worst(r"dx = \sigma(t)\sqrt{2\log\sigma^{t}}\,dw").verdict != "exact"


def test_assignment_updates_with_a_signed_time_step():
    rev = r"\Delta x = [f(x, t) - g(t)^2 s_\theta(x, t)]\Delta t + g(t)\sqrt{|\Delta t|}\,z, \quad x = x + \Delta x"
    assert _worst(rev).verdict == "exact"
    assert _worst(r"x \gets x + f(x, t)\Delta t + g(t)\sqrt{|\Delta t|}\,z").verdict == "exact"  # forward: |Δt| = Δt
    v = _worst(rev.replace("g(t)^2 s", r"\frac12 g(t)^2 s"))
    assert v.verdict == "inconsistent" and v.terms == ["mean.score"]
    v = _worst(r"\Delta x = [f(x, t) - g(t)^2 \nabla_x\log p_t(x)]\Delta t + g(t)\,|\Delta t|\,z")
    assert v.verdict == "inconsistent" and "variance" in v.terms
