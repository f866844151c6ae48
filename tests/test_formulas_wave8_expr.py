"""Issue 13, eighth wave (expr): equations whose left side is not a single name, each reading rule stated for a
notation or a construct (never for one formula). Every formula here is written for this test (other letters, other
equations than any corpus claim), with wrong variants that must stay wrong.
"""
import pytest

from scoresde.formulas import verify_formula


def _one(text, notation=None):
    vs = verify_formula(text, None, hints={"notation": notation} if notation else None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


# --- the model's density p_θ^ODE(x(0)) and the prior π(x(T)) in the integrated change of variables
# (Song, Durkan, Murray & Ermon 2021, Eq. 8; Song et al. 2021, Eq. 39)
@pytest.mark.parametrize("text, verdict", [
    (r"\log p_\theta^{\mathrm{ODE}}(x(0)) = \log\pi(x(T)) + \int_0^T \nabla\cdot\tilde f_\theta(x(t), t)\,dt", "exact"),
    (r"\log p_\theta(\mathbf{x}(0)) = \log \pi(\mathbf{x}(T)) + \int_0^T \nabla\cdot\left[f(\mathbf{x}(t), t) - \tfrac{1}{2}g(t)^2 s_\theta(\mathbf{x}(t), t)\right]dt", "exact"),
    (r"\log p_\theta^{\mathrm{ODE}}(x(0)) = \log\pi(x(T)) - \int_0^T \nabla\cdot\tilde f_\theta(x(t), t)\,dt", "inconsistent"),
    (r"\log p_\theta(\mathbf{x}(0)) = \log \pi(\mathbf{x}(T)) + \int_0^T \nabla\cdot\left[f(\mathbf{x}(t), t) - g(t)^2 s_\theta(\mathbf{x}(t), t)\right]dt", "inconsistent"),
])
def test_model_density_and_prior_pi(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict == "inconsistent":
        assert v.terms == ["rhs"]


def test_sde_density_is_not_the_ode_one():
    # p_θ^SDE differs from p_θ^ODE in general (Song, Durkan et al. 2021, Sec. 4): not read as the change of variables
    v = _one(r"\log p_\theta^{\mathrm{SDE}}(x(0)) = \log\pi(x(T)) + \int_0^T \nabla\cdot\tilde f_\theta(x(t), t)\,dt")
    assert v.verdict not in ("exact", "consistent")


# --- an accented state in a differential equation: dx̂ = …, dx̃/dt = … (Song, Durkan, Murray & Ermon 2021, Eq. 4, 6)
@pytest.mark.parametrize("text, verdict, terms", [
    (r"d\hat{x} = \left[f(\hat x, t) - g(t)^2\nabla_{\hat x}\log p_t(\hat x)\right]dt + g(t)\,d\bar w", "exact", []),
    (r"d\hat{x} = \left[f(\hat x, t) - \tfrac12 g(t)^2\nabla_{\hat x}\log p_t(\hat x)\right]dt + g(t)\,d\bar w", "inconsistent", ["drift"]),
    (r"\mathrm{d}\tilde{\boldsymbol x} = -\tfrac{1}{2}\beta(t)\tilde{\boldsymbol x}\,\mathrm{d}t + \sqrt{\beta(t)}\,\mathrm{d}\mathbf w", "exact", []),
    (r"\frac{d\hat{\mathbf x}}{dt} = f(\hat{\mathbf x}, t) - \frac{1}{2}g(t)^2 s_\theta(\hat{\mathbf x}, t)", "exact", []),
    (r"\frac{d\hat{\mathbf x}}{dt} = f(\hat{\mathbf x}, t) - g(t)^2 s_\theta(\hat{\mathbf x}, t)", "inconsistent", None),
])
def test_accented_state_of_a_differential_equation(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms == terms


def test_accent_beside_the_plain_state_is_not_renamed():
    from scoresde.formulas.state_decoration import undecorated_state

    assert undecorated_state(r"d\hat x = (x - \hat x)\,dt") is None  # two quantities
    assert undecorated_state(r"d x = \hat x_0\,dt") is None  # no accented differential
    assert undecorated_state(r"d\tilde x = \hat x\,dt") is None  # two accents: two processes
    assert undecorated_state(r"\frac{d\tilde x}{dt} = -\tilde x") == r"\frac{d x}{dt} = - x"
