"""A chain A = B = C is judged on its middle sides too (chain_sides.py)."""
import pytest

from scoresde.formulas import verify_claims
from scoresde.formulas.chain_sides import chain_sides
from scoresde.formulas.claims import ClaimSpec


def _verdicts(text):
    return [v for _, v in verify_claims([ClaimSpec(name="c", text=text)], numeric=False)]


@pytest.mark.parametrize("text, verdict", [
    # Ho et al. 2020, Eq. 7: β̃_t written twice; the middle with the ratio inverted is the slip
    (r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t = \frac{(1-\bar\alpha_{t-1})(1-\alpha_t)}{1-\bar\alpha_t}", "exact"),
    (r"\tilde\beta_t = \frac{1-\bar\alpha_{t}}{1-\bar\alpha_{t-1}}\beta_t = \frac{(1-\bar\alpha_{t-1})(1-\alpha_t)}{1-\bar\alpha_t}", "inconsistent"),
    # the score of the DDPM kernel (Ho et al. 2020, Eq. 4): −(x_t − √ᾱ x_0)/(1 − ᾱ) = −ε/√(1 − ᾱ); a middle with √ is wrong
    (r"\nabla_{\mathbf{x}_t}\log q(\mathbf{x}_t\mid\mathbf{x}_0) = -\frac{\mathbf{x}_t-\sqrt{\bar\alpha_t}\mathbf{x}_0}{1-\bar\alpha_t}"
     r" = -\frac{\boldsymbol\epsilon}{\sqrt{1-\bar\alpha_t}}", "exact"),
    (r"\nabla_{\mathbf{x}_t}\log q(\mathbf{x}_t\mid\mathbf{x}_0) = -\frac{\mathbf{x}_t-\sqrt{\bar\alpha_t}\mathbf{x}_0}{\sqrt{1-\bar\alpha_t}}"
     r" = -\frac{\boldsymbol\epsilon}{\sqrt{1-\bar\alpha_t}}", "inconsistent"),
    (r"g(t)^2 = \frac{d\sigma^2(t)}{dt} = 2\sigma(t)\dot\sigma(t)", "exact"),  # Song et al. 2021, Eq. 9 (VE)
])
def test_chain_middles(text, verdict):
    got = _verdicts(text)
    assert [v.verdict for v in got] == [verdict], got[0].detail
    if verdict == "inconsistent":
        assert "side 2 of the chain" in got[0].detail and got[0].terms


@pytest.mark.parametrize("text, n", [("a = b = c", 3), ("a = b", 1), (r"a := b = c", 1), (r"a \leq b = c", 1),
                                     (r"f(x = 1) = y", 1), (r"a = b, c = d = e", 1)])
def test_chain_sides_split(text, n):
    assert len(chain_sides(text)) == n
