"""Su Jianlin's notation (kexue.fm, 生成扩散模型漫谈, 2022): α_t² + β_t² = 1, ᾱ_t = α_1⋯α_t, β̄_t = √(1 − ᾱ_t²);
his α_t, β_t, ᾱ_t, β̄_t are Ho et al.'s √α_t, √β_t, √ᾱ_t, √(1 − ᾱ_t) (scoresde.formulas.canon.su_symbol). Read when β̄
carries a step index beside the states, or when a claim says ``notation: su``. Formulas written for this test."""
from __future__ import annotations

import pytest
from conftest import claim_verdicts



def verdict(text: str, notation=None) -> str:
    return claim_verdicts(text, notation)[0]


@pytest.mark.parametrize("text", [
    r"x_t = \bar\alpha_t x_0 + \bar\beta_t \bar\varepsilon_t",
    r"x_{t-1} = \frac{1}{\alpha_t}\left(x_t - \frac{\beta_t^2}{\bar\beta_t}\epsilon_\theta(x_t, t)\right) + \frac{\bar\beta_{t-1}\beta_t}{\bar\beta_t} z",
])
def test_su_correct(text):
    assert verdict(text) == "exact"


@pytest.mark.parametrize("text", [
    r"x_t = \bar\alpha_t x_0 + \bar\beta_t^2 \bar\varepsilon_t",                      # β̄ squared
    r"x_{t-1} = \frac{1}{\alpha_t}\left(x_t - \frac{\beta_t}{\bar\beta_t}\epsilon_\theta(x_t, t)\right) + \frac{\bar\beta_{t-1}\beta_t}{\bar\beta_t} z",
    r"x_t = \bar\alpha_{t-1} x_0 + \bar\beta_t \bar\varepsilon_t",                    # index slip
])
def test_su_wrong(text):
    assert verdict(text) == "inconsistent"


def test_su_by_claim_and_song_beta_bar_untouched():
    assert verdict(r"x_t = \alpha_t x_{t-1} + \beta_t \varepsilon_t", notation="su") == "exact"
    su_marginal = r"\boldsymbol{x}_{t} = \bar{\alpha}_{t}\boldsymbol{x}_0 + \sqrt{1 - \bar\alpha_t^2}\,\boldsymbol{\varepsilon}"
    assert verdict(su_marginal, notation="su") == "exact"
    assert verdict(su_marginal) == "inconsistent"  # without β̄ or the claim's word, ᾱ is Ho et al.'s
    assert verdict(r"x_t = \alpha_t x_{t-1} + \beta_t \varepsilon_t") == "inconsistent"  # Ho's α_t, β_t as written


@pytest.mark.parametrize("text, want", [
    (r"\nabla_{x_t}\log p(x_t|x_0) = -\frac{x_t - \bar{\alpha}_t x_0}{\bar{\beta}_t^2} = -\frac{\varepsilon}{\bar{\beta}_t}", "exact"),
    (r"\hat x_0 = \frac{x_t - \bar\beta_t \epsilon_\theta(x_t, t)}{\bar\alpha_t}", "exact"),
    (r"\nabla_{x_t}\log p(x_t|x_0) = -\frac{\varepsilon}{\bar{\beta}_t^2}", "inconsistent"),
    (r"\hat x_0 = \frac{x_t - \bar\beta_t \epsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}}", "inconsistent"),
])
def test_su_parameterisation_identities(text, want):
    """The relation reader (x̂₀, ε, score) reads Su's ᾱ_t, β̄_t too."""
    assert verdict(text) == want
