"""A cell writing α_t and σ_t (no ᾱ, β, η, t − 1) is read in VDM's notation throughout (cell_notation.vdm_pair)."""
import pytest
from conftest import claim_verdicts

from scoresde.formulas.cell_notation import vdm_pair


@pytest.mark.parametrize("text, want", [
    # Kingma et al. 2021, Eq. 3 / Kingma & Gao 2023: α_λ² = sigmoid(λ), σ_λ² = sigmoid(−λ)
    (r"\alpha_t^2 = \mathrm{sigmoid}(\lambda_t), \quad \sigma_t^2 = \mathrm{sigmoid}(-\lambda_t)", None),
    (r"\alpha_t = \mathrm{sigmoid}(\log\mathrm{SNR}(t)),\ \sigma_t^2 = \mathrm{sigmoid}(-\log\mathrm{SNR}(t))", "inconsistent"),
    (r"\sigma_t^2 = 1 - \alpha_t^2, \quad \alpha_t = \cos(\pi t/2)", None),
])
def test_one_notation_per_cell(text, want):
    got = claim_verdicts(text)
    if want is None:
        assert "inconsistent" not in got and "ill-defined" not in got and "exact" in got, got
    else:
        assert want in got and "exact" != got[0], got


@pytest.mark.parametrize("eqs, pair", [
    ([r"\alpha_t = \cos(\pi t/2)", r"\sigma_t = \sin(\pi t/2)"], True),
    ([r"\alpha_t = 1 - \beta_t", r"\sigma_t^2 = \beta_t"], False),                       # DDPM: β
    ([r"\sigma_t = \eta\sqrt{\frac{1-\alpha_{t-1}}{1-\alpha_t}}", r"\alpha_t = 0.5"], False),  # DDIM: η, t − 1
    ([r"\alpha_t = \cos(\pi t/2)"], False),                                               # one equation
])
def test_vdm_pair_rule(eqs, pair):
    assert vdm_pair(eqs) is pair


@pytest.mark.parametrize("text, want", [
    (r"\lambda_t = \log\left(\alpha_t^2/\sigma_t^2\right)", "exact"),   # Salimans & Ho 2022, Sec. 2 (whole log-SNR)
    (r"\lambda_t = \log\frac{\alpha_t}{\sigma_t}", "exact"),            # Lu et al. 2022a, Sec. 3.1 (half)
    (r"\lambda_t = \log\frac{\alpha_t}{\sigma_t^2}", "inconsistent"),   # in neither convention
])
def test_lambda_in_either_log_snr_convention(text, want):
    assert claim_verdicts(text) == [want]
