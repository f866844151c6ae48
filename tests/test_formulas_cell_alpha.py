"""A cell that defines α_t = ∏(1 − β_τ) beside a formula is read in DDIM's notation, α = ᾱ (Bishop & Bishop 2024,
Ch. 20; Prince 2023, Ch. 18; scoresde.formulas.cell_notation). Formulas written for this test."""
from __future__ import annotations

import pytest
from conftest import claim_verdicts


DEF = r",\quad \alpha_t = \prod_{\tau=1}^{t}(1-\beta_\tau)"


@pytest.mark.parametrize("text, want", [
    (r"\sigma_t^2 = \frac{1-\alpha_{t-1}}{1-\alpha_t}\beta_t" + DEF, "exact"),
    (r"\mathbf z_t = \sqrt{\alpha_t}\,\mathbf x + \sqrt{1-\alpha_t}\,\boldsymbol\epsilon" + DEF, "exact"),
    (r"\sigma_t^2 = \frac{1-\alpha_{t}}{1-\alpha_{t-1}}\beta_t" + DEF, "inconsistent"),
    (r"\mathbf z_t = \alpha_t\,\mathbf x + \sqrt{1-\alpha_t}\,\boldsymbol\epsilon" + DEF, "inconsistent"),
])
def test_alpha_defined_as_product(text, want):
    vs = claim_verdicts(text)
    assert vs[-1] == "exact"  # the definition itself, read as ᾱ_t
    assert vs[0] == want


def test_product_over_a_greek_dummy():
    """∏_{τ=1}^{t}: the bound variable written as a command (\\tau) names the factors' subscript τ."""
    assert claim_verdicts(r"\bar\alpha_t = \prod_{\tau=1}^{t}(1-\beta_\tau)") == ["exact"]
    assert claim_verdicts(r"\bar\alpha_t = \prod_{\tau=1}^{t}(1-\beta_\tau)^2") != ["exact"]
