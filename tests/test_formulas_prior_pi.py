"""π(x), the prior of Song et al. 2021 (Sec. 3.1, p_T ≈ π), is a density; the number π is still a number."""
import pytest
from conftest import claim_verdicts


@pytest.mark.parametrize("text, want", [
    (r"\pi(\mathbf{x}) = \mathcal{N}(\mathbf{x}; \mathbf{0}, \mathbf{I})", "exact"),                 # VP prior
    (r"\pi(\mathbf{z}) = \mathcal{N}(\mathbf{z}; \mathbf{0}, \sigma_{\max}^2\mathbf{I})", "exact"),   # VE prior
    (r"\pi(\mathbf{x}) = \mathcal{N}(\mathbf{x}; \mathbf{0}, 2\mathbf{I})", "inconsistent"),
    (r"\log\pi(\mathbf{x}) = -\frac{d}{2}\log(2\pi) - \frac{\|\mathbf{x}\|_2^2}{2}", "exact"),      # App. D.2
    (r"\log\pi(\mathbf{x}) = -\frac{d}{2}\log(2\pi) - \|\mathbf{x}\|_2^2", "inconsistent"),         # dropped ½
    (r"\log p_T(\mathbf{x}) = -\frac{d}{2}\log 2\pi - \frac{\|\mathbf{x}\|^2}{2}", "exact"),        # log 2π unchanged
    (r"\mathrm{SNR}(t) = \frac{\cos^2(\pi t/2)}{\sin^2(\pi t/2)}", "exact"),                       # π a number
])
def test_prior_pi(text, want):
    assert claim_verdicts(text) == [want]
