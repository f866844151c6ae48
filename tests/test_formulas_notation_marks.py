"""Small notational marks that mean nothing new: a transpose written ^{\\mathsf T} / ^{\\mathrm T} (as ^\\top), VDM's
γ_η(t) (γ(t) with its parameters named, Kingma et al. 2021, Eq. 3), and a cell in Su's notation (β̄_t) read as such by
every reader (check._cell_notation). Formulas written for this test."""
from __future__ import annotations

import pytest
from conftest import claim_verdicts

from scoresde.formulas.cell_notation import su_notation


def verdict(text: str, notation=None) -> str:
    return claim_verdicts(text, notation)[0]


HUTCH = r"\nabla\cdot\tilde{f}_\theta(x, t) = \mathbb{E}_{p(v)}\left[v^{%s}\,\nabla\tilde{f}_\theta(x, t)\,v\right]"


@pytest.mark.parametrize("mark", [r"\mathsf T", r"\mathsf{T}", r"\mathrm T", r"\top"])
def test_transpose_marks(mark):
    assert verdict(HUTCH % mark) == "exact"


VDM = r"\mathcal{L}_\infty = \tfrac{1}{2}\mathbb{E}_{t\sim\mathcal{U}(0,1)}\left[%s\,\|\epsilon - \hat\epsilon_\theta(z_t; t)\|^2\right]"


def test_vdm_gamma_eta_is_gamma():
    assert verdict(VDM % r"\gamma'(t)") == "exact"
    assert verdict(VDM % r"\gamma_\eta'(t)") == "exact"
    assert verdict(VDM % r"\gamma_{\eta}(t)") == "inconsistent"  # γ, not its derivative


def test_su_cells_are_recognised_by_beta_bar_with_a_step_index():
    assert su_notation([r"x_t = \bar\alpha_t x_0 + \bar\beta_t \varepsilon"])
    assert su_notation([r"\frac{\bar{\beta}_{t-1}}{\bar\beta_{t}}"])
    assert not su_notation([r"\beta(t) = \bar\beta_{\min} + t(\bar\beta_{\max} - \bar\beta_{\min})"])
    assert not su_notation([r"\beta_i = \bar\beta_i / N"])
