"""The multi-time reader (scoresde.formulas.multitime): solver lines with several time points, VDM's two-time
identities, conversions between model parametrisations, EDM Alg. 1/2 lines.

The formulas here are other lines of the same algorithms, other notations for the same steps and perturbed copies
-- not the corpus's claims (tests/corpus/)."""
from __future__ import annotations

import dataclasses

import pytest

from scoresde.formulas import verify_latex
from scoresde.formulas.multitime import judge
from scoresde.formulas.mt_refs import REFS, by_name
from scoresde.formulas.mt_ties import mt_builtin_report, ties
from scoresde.formulas.normalize import normalize_latex

X1 = r"\tilde{x}_{t_{i-1}}"
E1 = r"\epsilon_\theta(\tilde{x}_{t_{i-1}}, t_{i-1})"
D1 = r"x_\theta(\tilde{x}_{t_{i-1}}, t_{i-1})"
D2 = r"x_\theta(\tilde{x}_{t_{i-2}}, t_{i-2})"


def mt(latex: str, notation=None):
    v = judge(normalize_latex(latex), {"notation": notation} if notation else {})
    assert v is not None, latex
    return v


EXACT = [
    # DPM-Solver-2's intermediate value in DDPM notation (ᾱ, square roots), Lu et al. 2022a Alg. 1
    (r"u_i = \sqrt{\frac{\bar\alpha_{s_i}}{\bar\alpha_{t_{i-1}}}}\,x_{t_{i-1}} - \sqrt{1-\bar\alpha_{s_i}}\left(e^{h_i/2}-1\right)"
     r"\epsilon_\theta(x_{t_{i-1}}, t_{i-1})", None),
    # DPM-Solver-3, Alg. 2 lines 4, 5, 7
    (r"u_{2i-1} = \frac{\alpha_{s_{2i-1}}}{\alpha_{t_{i-1}}}" + X1 + r" - \sigma_{s_{2i-1}}(e^{r_1 h_i}-1)" + E1, "vdm"),
    (r"D_{2i-1} = \epsilon_\theta(u_{2i-1}, s_{2i-1}) - " + E1, "vdm"),
    (r"D_{2i} = -" + E1 + r" + \epsilon_\theta(u_{2i}, s_{2i})", "vdm"),
    # DPM-Solver-1 with e^{λ_{t_i} - λ_{t_{i-1}}} written out, and rearranged in the data prediction
    (r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + X1 + r" + \sigma_{t_i}\left(1 - e^{\lambda_{t_i} - \lambda_{t_{i-1}}}\right)" + E1, "vdm"),
    (r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + X1 + r" + \alpha_{t_i}\left(1 - e^{-h_i}\right)" + D1, "vdm"),
    # DPM-Solver++(2M) update with 1/(2 r_i) written as h_i/(2 h_{i-1}), and (2S) D_i rearranged
    (r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + X1 + r" - \alpha_{t_i}(e^{-h_i}-1)\left(" + D1
     + r" + \frac{h_i}{2h_{i-1}}\left(" + D1 + " - " + D2 + r"\right)\right)", "vdm"),
    (r"D_i = " + D1 + r" + \frac{1}{2r_i}\left(x_\theta(u_i, s_i) - " + D1 + r"\right)", "vdm"),
    # VDM (Kingma et al. 2021): SNR, γ, λ, the transition with α_{t|s}, σ_{t|s}
    (r"\mathrm{SNR}(t) = \frac{\alpha_t^2}{1-\alpha_t^2}", "vdm"),
    (r"\gamma(t) = \log\frac{\sigma_t^2}{\alpha_t^2}", "vdm"),
    (r"\lambda_t = -\frac{1}{2}\gamma(t)", "vdm"),
    (r"q(z_t \mid z_s) = \mathcal{N}(\alpha_{t|s} z_s, \sigma_{t|s}^2 I)", "vdm"),
    # conversions (Salimans & Ho 2022; Lu et al. 2022b)
    (r"\hat{\epsilon}_\theta(z_t) = \sigma_t z_t + \alpha_t \hat{v}_\theta(z_t)", "vdm"),
    (r"x_\theta(x_t, t) = \frac{x_t + \sigma_t^2 s_\theta(x_t, t)}{\alpha_t}", "vdm"),
    (r"s_\theta(x_t, t) = -\frac{\epsilon_\theta(x_t, t)}{\sigma_t}", None),
    # DDIM on a sub-sequence, DDPM notation; Eq. 13 solved for x_{t-Δt}
    (r"x_{\tau_{i-1}} = \sqrt{\bar\alpha_{\tau_{i-1}}}\,\frac{x_{\tau_i} - \sqrt{1-\bar\alpha_{\tau_i}}\,\epsilon_\theta(x_{\tau_i}, \tau_i)}"
     r"{\sqrt{\bar\alpha_{\tau_i}}} + \sqrt{1-\bar\alpha_{\tau_{i-1}}}\,\epsilon_\theta(x_{\tau_i}, \tau_i)", None),
    (r"x_{t-\Delta t} = \sqrt{\frac{\alpha_{t-\Delta t}}{\alpha_t}}x_t + \left(\sqrt{1-\alpha_{t-\Delta t}} - "
     r"\sqrt{\frac{\alpha_{t-\Delta t}(1-\alpha_t)}{\alpha_t}}\right)\epsilon_\theta^{(t)}(x_t)", "ddim"),
    # EDM (Karras et al. 2022): Heun with the half outside, t̂ factored
    (r"x_{i+1} = x_i + \frac{1}{2}(t_{i+1} - t_i)(d_i + d'_i)", None),
    (r"\hat{t}_i = (1 + \gamma_i)\,t_i", None),
    (r"d_i = \frac{\hat{x}_i - D_\theta(\hat{x}_i; \hat{t}_i)}{\hat{t}_i}", None),
    # EDM Alg. 1 line 7 with the general σ(t), s(t)
    (r"d'_i = \left(\frac{\dot\sigma(t_{i+1})}{\sigma(t_{i+1})} + \frac{\dot s(t_{i+1})}{s(t_{i+1})}\right)x_{i+1} - "
     r"\frac{\dot\sigma(t_{i+1})s(t_{i+1})}{\sigma(t_{i+1})}D_\theta\left(\frac{x_{i+1}}{s(t_{i+1})}; \sigma(t_{i+1})\right)", None),
    # DPM-Solver's intermediate time points through t_λ, the inverse of λ (Alg. 1 line 3, Alg. 2 line 3)
    (r"s_i = t_\lambda\left(\frac{\lambda_{t_{i-1}} + \lambda_{t_i}}{2}\right)", None),
    (r"s_{2i} = t_\lambda(\lambda_{t_{i-1}} + r_2 h_i)", None),
    # VDM's posterior written with its named mean and variance; DDIM Eq. 12 with f_θ^{(t)} (η = 0)
    (r"q(z_s \mid z_t, x) = \mathcal{N}(\mu_Q(z_t, x; s, t), \sigma_Q^2(s, t) I)", "vdm"),
    (r"x_{t-1} = \sqrt{\alpha_{t-1}}\,f_\theta^{(t)}(x_t) + \sqrt{1-\alpha_{t-1}}\,\epsilon_\theta^{(t)}(x_t)", "ddim"),
    # DPM-Solver++(2S) update with D_i written out; schedules as functions of the time value t
    (r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + X1 + r" - \alpha_{t_i}(e^{-h_i}-1)\left(\left(1-\frac{1}{2r_i}\right)" + D1
     + r" + \frac{1}{2r_i}x_\theta(u_i, s_i)\right)", "vdm"),
    (r"\alpha_t = \cos\left(\frac{\pi t}{2}\right)", "vdm"),
    (r"\log\alpha_t = -\frac{\beta_1-\beta_0}{4}t^2 - \frac{\beta_0}{2}t", "vdm"),
    # DPM-Solver++(2M)'s first step with concrete indices; DDIM on τ with its noise; DDPM's forward step (α = 1 − β)
    (r"\tilde{x}_{t_1} = \frac{\sigma_{t_1}}{\sigma_{t_0}}\tilde{x}_{t_0} - \alpha_{t_1}(e^{-h_1}-1)x_\theta(\tilde{x}_{t_0}, t_0)", "vdm"),
    (r"x_{\tau_{i-1}} = \sqrt{\alpha_{\tau_{i-1}}}\,\frac{x_{\tau_i} - \sqrt{1-\alpha_{\tau_i}}\epsilon_\theta^{(\tau_i)}(x_{\tau_i})}{\sqrt{\alpha_{\tau_i}}}"
     r" + \sqrt{1-\alpha_{\tau_{i-1}}-\sigma_{\tau_i}^2}\,\epsilon_\theta^{(\tau_i)}(x_{\tau_i}) + \sigma_{\tau_i}\epsilon_{\tau_i}", "ddim"),
    (r"x_t = \sqrt{\alpha_t}\,x_{t-1} + \sqrt{1-\alpha_t}\,z", None),
    # DDIM's Eq. 14 (x̄ = x/√α, σ = √((1 − α)/α)) with the time as a second argument
    (r"d\bar{x}(t) = \epsilon_\theta\left(\frac{\bar{x}(t)}{\sqrt{1 + \sigma(t)^2}}, t\right)\,d\sigma(t)", None),
    # DDIM's Eq. 7 on the τ sub-sequence (Sec. 4.2)
    (r"q_\sigma(x_{\tau_{i-1}} \mid x_{\tau_i}, x_0) = \mathcal{N}\left(\sqrt{\alpha_{\tau_{i-1}}}x_0 + \sqrt{1-\alpha_{\tau_{i-1}}-\sigma_{\tau_i}^2}"
     r"\cdot\frac{x_{\tau_i} - \sqrt{\alpha_{\tau_i}}x_0}{\sqrt{1-\alpha_{\tau_i}}}, \sigma_{\tau_i}^2 I\right)", "ddim"),
    # DPM-Solver's α_t, σ_t beside DDPM's ᾱ_t in one chain
    (r"\lambda_{t_i} = \log\frac{\alpha_{t_i}}{\sigma_{t_i}} = \frac{1}{2}\log\frac{\bar\alpha_{t_i}}{1-\bar\alpha_{t_i}}", None),
]


@pytest.mark.parametrize("latex,notation", EXACT)
def test_other_lines_and_notations_are_exact(latex, notation):
    v = mt(latex, notation)
    assert v.verdict == "exact", (latex, v.verdict, v.detail)


WRONG = [
    # (latex, notation, expected verdict, expected terms)
    (r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + X1 + r" - \sigma_{t_i}(e^{h_i}+1)" + E1, "vdm", "inconsistent", ["mean.eps"]),
    (r"u_{2i-1} = \frac{\alpha_{s_{2i-1}}}{\alpha_{t_{i-1}}}" + X1 + r" - \sigma_{s_{2i-1}}(e^{r_2 h_i}-1)" + E1, "vdm", "inconsistent", ["mean.eps"]),
    (r"D_{2i-1} = \epsilon_\theta(u_{2i-1}, s_{2i-1}) + " + E1, "vdm", "inconsistent", ["rhs"]),
    # DPM-Solver-2 with 1/r_1 for 1/(2 r_1): still first order (the difference is O(h²)), not DPM-Solver-2
    (r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + X1 + r" - \sigma_{t_i}(e^{h_i} - 1)" + E1
     + r" - \frac{\sigma_{t_i}}{r_1}(e^{h_i} - 1)(\epsilon_\theta(u_i, s_i) - " + E1 + ")", "vdm", "consistent", ["mean.eps"]),
    # DPM-Solver++(1) with -h_i for e^{-h_i} - 1: first order
    (r"\tilde{x}_{t_i} = \frac{\sigma_{t_i}}{\sigma_{t_{i-1}}}" + X1 + r" + \alpha_{t_i} h_i" + D1, "vdm", "consistent", ["mean.x0"]),
    # the data-prediction exact solution with e^{-λ}, and with its bounds swapped
    (r"x_t = \frac{\sigma_t}{\sigma_s}x_s + \sigma_t\int_{\lambda_s}^{\lambda_t} e^{-\lambda}\hat{x}_\theta(\hat{x}_\lambda, \lambda)\,d\lambda", "vdm",
     "inconsistent", ["mean.x0"]),
    (r"x_t = \frac{\alpha_t}{\alpha_s}x_s - \alpha_t\int_{\lambda_t}^{\lambda_s} e^{-\lambda}\hat{\epsilon}_\theta(\hat{x}_\lambda, \lambda)\,d\lambda", "vdm",
     "inconsistent", ["mean.eps"]),
    (r"\sigma_{t|s}^2 = \sigma_t^2 + \alpha_{t|s}^2\sigma_s^2", "vdm", "inconsistent", ["rhs"]),
    (r"\mathrm{SNR}(t) = \exp(\gamma(t))", "vdm", "inconsistent", ["rhs"]),
    (r"x_\theta(x_t, t) = \frac{x_t + \sigma_t s_\theta(x_t, t)}{\alpha_t}", "vdm", "inconsistent", ["rhs"]),
    (r"q(z_t \mid z_s) = \mathcal{N}(\alpha_{t|s} z_s, \sigma_{t|s} I)", "vdm", "inconsistent", ["variance"]),
    (r"x_{\tau_{i-1}} = \sqrt{\alpha_{\tau_{i-1}}}\,\frac{x_{\tau_i} - \sqrt{1-\alpha_{\tau_i}}\,\epsilon_\theta(x_{\tau_i}, \tau_i)}"
     r"{\sqrt{\alpha_{\tau_i}}} + \sqrt{1-\alpha_{\tau_i}}\,\epsilon_\theta(x_{\tau_i}, \tau_i)", "ddim", "inconsistent", ["mean.eps"]),
    (r"x_{i+1} = x_i + (t_{i+1} - t_i)\left(\frac{1}{2}d_i + d'_i\right)", None, "inconsistent", ["mean.other"]),
    (r"\hat{t}_i = \gamma_i t_i", None, "inconsistent", ["rhs"]),
    (r"d\bar{x}(t) = \sigma(t)\,\epsilon_\theta\left(\frac{\bar{x}(t)}{\sqrt{1 + \sigma(t)^2}}, t\right)\,d\sigma(t)", None, "inconsistent", ["drift"]),
    (r"q_\sigma(x_{\tau_{i-1}} \mid x_{\tau_i}, x_0) = \mathcal{N}\left(\sqrt{\alpha_{\tau_{i-1}}}x_0 + \sqrt{1-\alpha_{\tau_{i-1}}-\sigma_{\tau_i}^2}"
     r"\cdot\frac{x_{\tau_i} - \sqrt{\alpha_{\tau_i}}x_0}{\sqrt{1-\alpha_{\tau_i}}}, \sigma_{\tau_i} I\right)", "ddim", "inconsistent", ["variance"]),
    (r"s_i = t_\lambda(\lambda_{t_i} + r_1 h_i)", None, "inconsistent", ["rhs"]),
    (r"d'_i = \left(\frac{\dot\sigma(t_{i+1})}{\sigma(t_{i+1})} - \frac{\dot s(t_{i+1})}{s(t_{i+1})}\right)x_{i+1} - "
     r"\frac{\dot\sigma(t_{i+1})s(t_{i+1})}{\sigma(t_{i+1})}D_\theta\left(\frac{x_{i+1}}{s(t_{i+1})}; \sigma(t_{i+1})\right)", None,
     "inconsistent", ["mean.x"]),
    (r"d_i = \frac{\hat{x}_i - D_\theta(\hat{x}_i; \hat{t}_i)}{t_i}", None, "inconsistent", ["mean.x", "mean.x0"]),
]


@pytest.mark.parametrize("latex,notation,verdict,terms", WRONG)
def test_perturbed_lines_are_not_exact_and_name_the_term(latex, notation, verdict, terms):
    v = mt(latex, notation)
    assert v.verdict == verdict, (latex, v.verdict, v.detail)
    assert v.terms and set(v.terms) <= set(terms), (v.terms, v.detail)
    if verdict == "consistent":
        assert v.order and v.order >= 1


def test_a_bar_fixes_the_ddpm_reading():
    # ᾱ beside a bare α: DDPM's α_t = 1 − β_t, so DDIM's step with one α left unbarred is not exact
    latex = (r"x_{t-1} = \sqrt{\bar\alpha_{t-1}}\frac{x_t - \sqrt{1-\alpha_t}\epsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}} + "
             r"\sqrt{1-\bar\alpha_{t-1}}\epsilon_\theta(x_t, t)")
    v = judge(normalize_latex(latex), {})
    assert v is None or v.verdict != "exact"


def test_not_read_means_not_judged():
    # a value given to a quantity, a symbol with no meaning, an SDE: left to the other readers
    for latex in (r"\lambda = 0.001", r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + X1 + r" + Q_i",
                  r"dx = -\frac{1}{2}\beta(t) x\,dt + \sqrt{\beta(t)}\,dw",
                  r"\epsilon = \frac{x_t - \sqrt{\bar\alpha_t}x_0}{\sqrt{1-\bar\alpha_t}}",
                  # another valid schedule is not this reader's to judge; a free noise scale given a value
                  r"\alpha_t = \cos\left(\frac{\pi t}{4}\right)", r"\sigma_t^2 = 1 - \bar\alpha_t",
                  # σ_t alone may be a VE noise level; λ(t) a loss weight (Song, Durkan et al. 2021)
                  r"x_t = x_0 + \sigma_t\epsilon", r"\lambda(t) = g(t)^2"):
        assert judge(normalize_latex(latex), {}) is None, latex


def test_hooked_into_verify_with_the_notation_it_inferred():
    vs = verify_latex(r"\tilde{x}_{t_i} = \frac{\alpha_{t_i}}{\alpha_{t_{i-1}}}" + X1 + r" - \sigma_{t_i}(e^{h_i} - 1)"
                      + r"\epsilon_\theta(u_i, s_i)", numeric=False)
    assert [v.verdict for v in vs] == ["exact"]
    assert any("notation inferred" in n for n in vs[0].notes) and vs[0].target == "mt.dpm2.x"


def test_every_reference_is_cited_tied_and_reads_back():
    for r_ in REFS:
        assert any(w in r_.source for w in ("Eq.", "Alg.", "Sec.")), r_.name
    rows = mt_builtin_report()
    assert all(ok for _, ok, _ in rows), [r_ for r_ in rows if not r_[1]]
    assert sum("max deviation" in d for _, _, d in rows) >= 10


@pytest.mark.parametrize("name,old,new", [("mt.dpm2.x", r"\frac{\sigma_{t_i}}{2 r_1}", r"\frac{\sigma_{t_i}}{r_1}"),
                                          ("mt.edm2.heun", r"\frac{1}{2}d'_i", r"d'_i")])
def test_a_perturbed_reference_fails_its_tie(name, old, new):
    ref = by_name(name)
    assert old in ref.latex
    ok, _ = ties()[name](dataclasses.replace(ref, latex=ref.latex.replace(old, new)))
    assert not ok
