"""f_t(x) and g_t, the time written as a subscript (Su 2022, 生成扩散模型漫谈 (五); lecture notes' u_t(x), σ_t style), are
f(x, t) and g(t) in continuous time (scoresde.formulas.canon.resolve). Formulas written for this test."""
from __future__ import annotations

import pytest
from conftest import claim_verdicts



def verdict(text: str, notation=None) -> str:
    return claim_verdicts(text, notation)[0]


@pytest.mark.parametrize("text, want", [
    (r"\mathrm{d}\boldsymbol{x} = \boldsymbol{f}_t(\boldsymbol{x})\,\mathrm{d}t + g_t\,\mathrm{d}\boldsymbol{w}", "exact"),
    (r"dx = \left[f_t(x) - g_t^2 \nabla_x \log p_t(x)\right] dt + g_t d\bar w", "exact"),
    (r"\frac{dx}{dt} = f_t(x) - \tfrac{1}{2} g_t^2 \nabla_x\log p_t(x)", "exact"),
    (r"dx = \left[f_t(x) - \frac12 g_t^2 \nabla_x \log p_t(x)\right] dt + g_t d\bar w", "inconsistent"),
    (r"\frac{dx}{dt} = f_t(x) - g_t \nabla_x\log p_t(x)", "inconsistent"),
])
def test_time_subscript(text, want):
    assert verdict(text) == want
