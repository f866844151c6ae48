"""A leading family label (\\text{sub-VP：}, "VE SDE:") is a claim about the family (family_label.py)."""
import pytest

from scoresde.formulas import verify_claims
from scoresde.formulas.claims import ClaimSpec
from scoresde.formulas.family_label import label_family

_VP_SDE = r"\mathrm{d}\mathbf{x} = -\tfrac{1}{2}\beta(t)\mathbf{x}\,\mathrm{d}t + \sqrt{\beta(t)}\,\mathrm{d}\mathbf{w}"
_VE_SDE = r"\mathrm{d}\mathbf{x} = \sqrt{\frac{\mathrm{d}[\sigma^2(t)]}{\mathrm{d}t}}\,\mathrm{d}\mathbf{w}"


def _one(text):
    (v,) = [v for _, v in verify_claims([ClaimSpec(name="c", text=text)], numeric=False)]
    return v


@pytest.mark.parametrize("label, sde, verdict, terms", [
    (r"\text{VP SDE:}\ ", _VP_SDE, "exact", []),
    (r"\textbf{VE}：", _VE_SDE, "exact", []),
    ("VE SDE: ", _VE_SDE, "exact", []),
    (r"\text{sub-VP：}\quad ", _VP_SDE, "inconsistent", ["diffusion"]),   # sub-VP's g² is β(1 − e^{−2∫β}) (Eq. 29)
    (r"\mathrm{SMLD}: ", _VP_SDE, "inconsistent", ["drift", "diffusion"]),
    (r"\text{DDPM}: ", _VE_SDE, "inconsistent", ["drift", "diffusion"]),
])
def test_label_claims_the_family(label, sde, verdict, terms):
    v = _one(label + sde)
    assert (v.verdict, v.terms) == (verdict, terms), v.detail


@pytest.mark.parametrize("text", [r"\text{Forward: } x_t = x_0", "where: x = 1", r"\text{VPN}: x = 1", "x_t = y"])
def test_not_a_family_label(text):
    assert label_family(text) is None


@pytest.mark.parametrize("tex,verdict,terms", [
    # the family in the left side's subscript (Song et al. 2021, App. B names each process's coefficients so)
    (r"\sigma_{\text{sub-VP}}(t) = 1 - e^{-\frac12 t^2(\beta_1-\beta_0) - t\beta_0}", "exact", []),
    (r"\sigma_{\text{sub-VP}}(t) = \sqrt{1 - e^{-\frac12 t^2(\beta_1-\beta_0) - t\beta_0}}", "inconsistent", ["variance"]),
    (r"\sigma_{\mathrm{VP}}(t) = \sqrt{1 - e^{-\frac12 t^2(\beta_1-\beta_0) - t\beta_0}}", "exact", []),
    (r"\sigma_{\text{VE}}(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^t", "exact", []),
])
def test_family_in_the_left_sides_subscript(tex, verdict, terms):
    from scoresde.formulas import verify_formula

    vs = verify_formula(tex, numeric=False)
    assert [(v.verdict, v.terms) for v in vs] == [(verdict, terms)], vs[0].detail


def test_a_state_with_a_family_mark_is_not_a_label():
    from scoresde.formulas.family_label import subscript_family

    assert subscript_family(r"x^{\mathrm{VE}} = x_t/\sqrt{\bar\alpha_t}") is None
    assert subscript_family(r"\sigma_{\text{VE}}(t) = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^t")[0] == "ve"
