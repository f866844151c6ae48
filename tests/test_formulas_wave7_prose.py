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
