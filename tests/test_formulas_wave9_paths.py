"""Issue 13, ninth wave (paths): constructs read by rules stated for a notation or a family (never for one formula).
The formulas here are written for this test (other letters, other instances of the same construct), with wrong
variants that must stay wrong:

* the time-reversed SDE written in forward time, dY_s = [−f(Y_s, T − s) + g(T − s)² ∇log p_{T−s}(Y_s)] ds
  + g(T − s) dB_s (Haussmann & Pardoux 1986; Anderson 1982; Huang et al. 2021), read as the reverse SDE
  (forward_reversal.py).
"""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("text, verdict, terms", [
    # general (f, g), bold letters, W for the Brownian motion, ∇ with the lower-case state letter
    (r"\mathrm{d}\mathbf{Y}_s = \left[-\mathbf{f}(\mathbf{Y}_s, T-s) + g(T-s)^2\,\nabla_{\mathbf{y}} \log p_{T-s}(\mathbf{Y}_s)\right]\mathrm{d}s + g(T-s)\,\mathrm{d}\mathbf{W}_s", "exact", None),
    (r"dZ_s = \left[f(Z_s, T-s) + g(T-s)^2\,\nabla \log p_{T-s}(Z_s)\right]ds + g(T-s)\,dB_s", "inconsistent", ["drift"]),
    (r"dZ_s = \left[-f(Z_s, T-s) + \tfrac12 g(T-s)^2\,\nabla \log p_{T-s}(Z_s)\right]ds + g(T-s)\,dB_s", "inconsistent", ["drift"]),
    # VP (β) with a barred state, time letter r, the time letter t itself
    (r"d\bar{X}_r = \left[\tfrac{1}{2}\beta(T-r)\,\bar X_r + \beta(T-r)\,\nabla \log p_{T-r}(\bar X_r)\right]dr + \sqrt{\beta(T-r)}\,dW_r", "exact", None),
    (r"d\bar{X}_r = \left[\tfrac{1}{2}\beta(T-r)\,\bar X_r + \beta(T-r)\,\nabla \log p_{T-r}(\bar X_r)\right]dr + \beta(T-r)\,dW_r", "inconsistent", ["diffusion"]),
    (r"d\bar{X}_r = \left[\tfrac{1}{2}\beta(T-r)\,\bar X_r - \beta(T-r)\,\nabla \log p_{T-r}(\bar X_r)\right]dr + \sqrt{\beta(T-r)}\,dW_r", "inconsistent", ["drift"]),
    (r"\mathrm{d}V_t = \left[\tfrac{1}{2}\beta(T-t)\,V_t + \beta(T-t)\,\nabla_v \log p_{T-t}(V_t)\right]\mathrm{d}t + \sqrt{\beta(T-t)}\,\mathrm{d}\tilde{W}_t", "exact", None),
    (r"\mathrm{d}V_t = \left[-\tfrac{1}{2}\beta(T-t)\,V_t + \beta(T-t)\,\nabla_v \log p_{T-t}(V_t)\right]\mathrm{d}t + \sqrt{\beta(T-t)}\,\mathrm{d}\tilde{W}_t", "inconsistent", ["drift"]),
])
def test_forward_time_reversal(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, (v.verdict, v.detail)
    if terms is not None:
        assert sorted(v.terms) == sorted(terms), (v.terms, v.detail)
    if verdict == "exact":
        assert any("Haussmann" in n for n in v.notes), v.notes


def test_forward_time_reversal_needs_the_reversal():
    from scoresde.formulas.forward_reversal import forward_time_reversal

    # no T − s: an SDE in another letter stays as written; s outside T − s: not the reversal
    assert forward_time_reversal(r"dY_s = -Y_s ds + dB_s") == (r"dY_s = -Y_s ds + dB_s", [])
    txt = r"dY_s = [\beta(s) Y_s + \beta(T-s)\nabla \log p_{T-s}(Y_s)] ds + \sqrt{\beta(T-s)} dB_s"
    assert forward_time_reversal(txt) == (txt, [])
