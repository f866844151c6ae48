"""Issue 13, seventh wave (prose): the notations of books, notes and blogs, each a reading rule stated for a notation
or a construct (never for one formula). Every formula here is written for this test (other letters, indices and
forms than any corpus claim), with wrong variants that must stay wrong:

* Su Jianlin's notation (kexue.fm, 生成扩散模型漫谈, 2022) is stated by α_t² + β_t² = 1 as well as by β̄_t, also when
  β̄_t = √(1 − ᾱ_t²) is a definition of the cell substituted into its update; the relation itself is an identity of
  the notation (identities.py), and his μ̄(x_t) is the estimate of x_0 (cell_notation.su_mu_bar).
"""
import pytest

from conftest import claim_verdicts


@pytest.mark.parametrize("text, verdicts", [
    # Su's forward step with his relation stated (other index, other noise letter)
    (r"x_{k} = \alpha_{k} x_{k-1} + \beta_{k} z_{k},\quad \beta_{k}^2 + \alpha_{k}^2 = 1", ["exact", "exact"]),
    (r"x_t = \alpha_t x_{t-1} + \beta_t^2 z_t,\quad \alpha_t^2 + \beta_t^2 = 1", ["inconsistent", "exact"]),
    (r"x_t = \alpha_t^2 x_{t-1} + \beta_t z_t,\quad \alpha_t^2 + \beta_t^2 = 1", ["inconsistent", "exact"]),
    # Ho et al.'s own relation α_t + β_t = 1 beside Ho's step: an identity in DDPM notation
    (r"x_t = \sqrt{\alpha_t} x_{t-1} + \sqrt{\beta_t} z,\quad \alpha_t + \beta_t = 1", ["exact", "exact"]),
    # without the relation the bare α_t, β_t are Ho's: the same step is wrong
    (r"x_t = \alpha_t x_{t-1} + \beta_t z_t", ["inconsistent"]),
    # β̄_t defined in the cell (and substituted into the update) still fixes Su's notation
    (r"x_t = \bar\alpha_t x_0 + \bar\beta_t z,\quad \bar\beta_t = \sqrt{1 - \bar\alpha_t^2}", ["exact"]),
    (r"x_t = \bar\alpha_t x_0 + \bar\beta_t z,\quad \bar\beta_t = \sqrt{1 - \bar\alpha_t}", ["inconsistent"]),
    # Su's μ̄(x_t): the x_0 estimate, written as one fraction
    (r"\bar{\mu}(x_t) = \frac{x_t - \bar\beta_t\,\epsilon_\theta(x_t, t)}{\bar\alpha_t}", ["exact"]),
    (r"\bar{\mu}(x_t) = \frac{x_t - \bar\beta_t^2\,\epsilon_\theta(x_t, t)}{\bar\alpha_t}", ["inconsistent"]),
    (r"\bar{\mu}(x_t) = \frac{x_t - \bar\beta_t\,\epsilon_\theta(x_t, t)}{\bar\alpha_t^2}", ["inconsistent"]),
])
def test_su_notation_from_its_relation(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # an update written as a difference: the state the right side evaluates the drift / the model at is known
    (r"x_{t+\Delta t} - x_t = f(x_t, t)\Delta t + g(t)\sqrt{\Delta t}\, z", ["exact"]),
    (r"x_{t+\Delta t} - x_t = f(x_t, t)\Delta t + g(t)\Delta t\, z", ["inconsistent"]),
    # Su's f_t(x), g_t beside a time step Δt: the SDE's f(x, t), g(t)
    (r"x_{t+\Delta t} = x_t + f_t(x_t)\Delta t + g_t\sqrt{\Delta t}\, z", ["exact"]),
    (r"x_{t+\Delta t} = x_t + f_t(x_t)\Delta t + g_t^2\sqrt{\Delta t}\, z", ["inconsistent"]),
    # DDIM written as a difference of scaled states in Su's notation (generalised: written over the step t → t−1)
    (r"\frac{x_{t-1}}{\bar\alpha_{t-1}} - \frac{x_t}{\bar\alpha_t} = \left(\frac{\bar\beta_{t-1}}{\bar\alpha_{t-1}}"
     r" - \frac{\bar\beta_t}{\bar\alpha_t}\right)\epsilon_\theta(x_t, t)", ["exact"]),
    (r"\frac{x_{t-1}}{\bar\alpha_{t-1}} - \frac{x_t}{\bar\alpha_t} = \left(\frac{\bar\beta_{t}}{\bar\alpha_{t}}"
     r" - \frac{\bar\beta_{t-1}}{\bar\alpha_{t-1}}\right)\epsilon_\theta(x_t, t)", ["inconsistent"]),
])
def test_updates_written_as_differences(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # Luo's / Chan's σ_q: the std of q(x_{t−1} | x_t, x_0), √β̃_t, in a reverse step (with β_t instead of 1 − α_t)
    (r"x_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right)"
     r" + \sigma_q z", ["exact"]),
    (r"x_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right)"
     r" + \sigma_q^2 z", ["inconsistent"]),
    # the KL between the posterior and the reverse step is the VLB term L_{t−1} (Ho et al. 2020, Eq. 5, 8, 12)
    (r"D_{KL}(q(x_{t-1} \mid x_t, x_0) \Vert p_\theta(x_{t-1} \mid x_t)) = \frac{\beta_t^2}{2\sigma_q^2\,(1-\beta_t)"
     r"(1-\bar\alpha_t)}\|\epsilon - \epsilon_\theta(x_t, t)\|^2", ["exact"]),
    (r"D_{KL}(q(x_{t-1} \mid x_t, x_0) \Vert p_\theta(x_{t-1} \mid x_t)) = \frac{\beta_t}{2\sigma_q^2\,(1-\beta_t)"
     r"(1-\bar\alpha_t)}\|\epsilon - \epsilon_\theta(x_t, t)\|^2", ["inconsistent"]),
    (r"\mathrm{KL}\left(q(x_{t-1}|x_t, x_0)\,\|\,p_\theta(x_{t-1}|x_t)\right) = \frac{\bar\alpha_{t-1}\beta_t^2}"
     r"{2\sigma_t^2(1-\bar\alpha_t)^2}\|\hat{x}_\theta(x_t, t) - x_0\|^2", ["exact"]),
    (r"\mathrm{KL}\left(q(x_{t-1}|x_t, x_0)\,\|\,p_\theta(x_{t-1}|x_t)\right) = \frac{\bar\alpha_{t}\beta_t^2}"
     r"{2\sigma_t^2(1-\bar\alpha_t)^2}\|\hat{x}_\theta(x_t, t) - x_0\|^2", ["inconsistent"]),
])
def test_posterior_std_and_kl_term(text, verdicts):
    assert claim_verdicts(text) == verdicts
