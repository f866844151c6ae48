"""Cells as Chinese notes and older TeX write them: words in \\text{…} with full-width punctuation separate
formulas, a lone symbol they name is skipped, DDIM's η = 0 is a choice, {\\cal N} is 𝒩, ⊙ scales, ε_θ(x, ∅) is
the unconditional model (Ho & Salimans 2022, Sec. 3.2)."""
import pytest
from conftest import claim_verdicts


@pytest.mark.parametrize("text, want", [
    (r"\bar\alpha_t=\prod_{s=1}^{t}(1-\beta_s)\quad(\text{累积乘积})", ["exact"]),
    (r"\bar\alpha_t=\prod_{s=1}^{t}\beta_s\quad(\text{累积乘积})", ["inconsistent"]),
    (r"\sigma_t=\eta\sqrt{\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}}\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{t-1}}}，\text{取}\ \eta=1\ \text{即得 DDPM}", ["exact"]),
    (r"\mathrm{d}\mathbf{x}=-\tfrac12\beta(t)\mathbf{x}\,\mathrm{d}t+\sqrt{\beta(t)}\,\mathrm{d}\mathbf{w}，\text{其中}\ \beta(t)\ \text{为噪声调度}", ["exact"]),
    (r"L=\mathbb{E}_{t,\mathbf{x}_0,\boldsymbol\epsilon}\left\|\boldsymbol\epsilon-\boldsymbol\epsilon_\theta(\sqrt{\bar\alpha_t}\mathbf{x}_0+\sqrt{1-\bar\alpha_t}\boldsymbol\epsilon,t)\right\|^2\ \text{（噪声预测）}", ["exact"]),
    (r"q(x_t\mid x_{t-1}) = {\cal N}(x_t; \sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)", ["exact"]),
    (r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\odot\epsilon", ["exact"]),
    (r"x_t = \sqrt{\bar\alpha_t}\,x_0 + (1-\bar\alpha_t)\odot\epsilon", ["inconsistent"]),
])
def test_prose_cells(text, want):
    assert claim_verdicts(text) == want
