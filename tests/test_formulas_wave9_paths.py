"""Issue 13, ninth wave (paths): constructs read by rules stated for a notation or a family (never for one formula).
The formulas here are written for this test (other letters, other instances of the same construct), with wrong
variants that must stay wrong:

* the time-reversed SDE written in forward time, dY_s = [−f(Y_s, T − s) + g(T − s)² ∇log p_{T−s}(Y_s)] ds
  + g(T − s) dB_s (Haussmann & Pardoux 1986; Anderson 1982; Huang et al. 2021), read as the reverse SDE
  (forward_reversal.py);
* linear multistep combinations of model outputs, PNDM/PLMS's Adams–Bashforth e'_t = (55 e_t − 59 e_{t−1} + 37 e_{t−2}
  − 9 e_{t−3})/24 and its lower orders, also as code over a history list ``ets[-k]`` (multistep.py);
* general interpolation paths z_t = a_t x_0 + b_t ε (SD3, stochastic interpolants, rectified flow, Chen's γ(t) with an
  input scaling b) and what is defined from them: SNR, log-SNR, conditional velocity, flow-matching objective, each
  checked against its own path (interp_path.py);
* β schedules written with their end values (β_start/β_end, β_0/β_{T−1}, β_1/β_T), linear or scaled-linear (LDM), in
  either index convention, and ᾱ_t = ∏_{s=0}^{t} (1 − β_s) of a 0-indexed chain (schedule_vocab.py);
* Chen's cosine γ(t) schedule with start s, end e and temperature τ (chen_gamma.py);
* Karras's ρ-spaced levels in the ascending order of consistency training, with the curriculum's N(k)
  (karras_ascending.py);
* SD3's logit-normal density of the training times with its Jacobian 1/(t(1 − t)) (logit_normal.py).
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


def test_adams_bashforth_weights():
    from fractions import Fraction
    from scoresde.formulas.multistep import adams_bashforth

    # Hairer, Nørsett & Wanner 1993, Table III.1.1
    assert [Fraction(str(w)) for w in adams_bashforth(3)] == [Fraction(23, 12), Fraction(-16, 12), Fraction(5, 12)]
    assert [Fraction(str(w)) for w in adams_bashforth(4)] == [Fraction(55, 24), Fraction(-59, 24), Fraction(37, 24), Fraction(-9, 24)]
    for k in range(1, 6):
        assert sum(adams_bashforth(k)) == 1  # consistency: the weights of a multistep extrapolation sum to 1


@pytest.mark.parametrize("text, verdict", [
    (r"\epsilon'_{t} = \frac{1}{24}\left(55\epsilon_\theta(x_t, t) - 59\epsilon_{t-\delta} + 37\epsilon_{t-2\delta} - 9\epsilon_{t-3\delta}\right)", "exact"),
    (r"\tilde\epsilon_i = \frac{23\epsilon_i - 16\epsilon_{i-1} + 5\epsilon_{i-2}}{12}", "exact"),
    (r"\tilde\epsilon_i = \frac{23\epsilon_i - 16\epsilon_{i-1} + 5\epsilon_{i-2}}{24}", "inconsistent"),
    (r"d_n^{\prime} = \tfrac{3}{2} d_n - \tfrac{1}{2} d_{n-1}", "exact"),
    (r"d_n^{\prime} = \tfrac{3}{2} d_n + \tfrac{1}{2} d_{n-1}", "inconsistent"),
    (r"e_t' = \frac{55\,e_t - 59\,e_{t-1} + 37\,e_{t-2} - 9\,e_{t-3}}{12}", "inconsistent"),
    (r"e_t' = \frac{55\,e_t - 59\,e_{t-1} + 37\,e_{t-3} - 9\,e_{t-2}}{24}", "inconsistent"),
    ("eps = (23 * self.ets[-1] - 16 * self.ets[-2] + 5 * self.ets[-3]) / 12", "exact"),
    ("eps = (1 / 24) * (55 * ets[-1] - 59 * ets[-2] + 37 * ets[-3] - 9 * ets[-4])", "exact"),
    ("eps = (3 * ets[-1] + ets[-2]) / 2", "inconsistent"),
])
def test_adams_bashforth_combination(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, (v.verdict, v.detail)
    assert v.target == "plms_adams_bashforth"
    assert v.terms == ([] if verdict == "exact" else ["rhs"])


def _all(text):
    return [(v.verdict, sorted(v.terms)) for v in verify_formula(text, None, numeric=False)]


@pytest.mark.parametrize("text, want", [
    # named paths with other letters and layouts
    (r"\mathbf{z}_t = (1 - t)\,\mathbf{x}_0 + t\,\boldsymbol{\epsilon}", [("exact", [])]),
    (r"x_t = \cos(\pi t/2)\, x_0 + \sin(\pi t/2)\, \epsilon", [("exact", [])]),
    # another interpolant from data to noise: valid, not a named one
    (r"z_t = (1 - t)^2 x_0 + \sqrt{t}\,\epsilon", [("consistent", [])]),
    # wrong coefficients named
    (r"z_t = \cos(\pi t/2)\, x_0 + \sin(\pi t)\, \epsilon", [("inconsistent", ["variance"])]),
    (r"z_t = (1 - t^2) x_0 + (1 + t)\,\epsilon", [("inconsistent", ["variance"])]),
    (r"z_t = (1 - t) x_0 + \epsilon", [("inconsistent", ["variance"])]),
    # Chen's γ path (also with the input scaling b, also as code)
    (r"\mathbf{x}_t = \sqrt{\gamma(t)}\,\mathbf{x}_0 + \sqrt{1 - \gamma(t)}\,\boldsymbol{\epsilon}", [("exact", [])]),
    ("x_t = sqrt(gamma) * x0 + sqrt(1 - gamma) * eps", [("exact", [])]),
    ("x_t = gamma * x0 + sqrt(1 - gamma) * eps", [("inconsistent", ["mean.x0"])]),
    (r"x_t = b\,\sqrt{\gamma(t)}\,x_0 + \sqrt{1 - \gamma(t)}\,\epsilon, \quad \log\mathrm{SNR}(t) = 0", None),
    (r"x_t = b\sqrt{\gamma(t)}\,x_0 + \sqrt{1 - \gamma(t)}\,\epsilon, \quad \mathrm{SNR}_t = \frac{\gamma(t)\,b^2}{1 - \gamma(t)}", [("exact", [])]),
    (r"x_t = b\sqrt{\gamma(t)}\,x_0 + \sqrt{1 - \gamma(t)}\,\epsilon, \quad \mathrm{SNR}_t = \frac{\gamma(t)}{1 - \gamma(t)}", [("inconsistent", ["rhs"])]),
    # SD3's a_t, b_t notation without the path written: log-SNR, SNR and velocity
    (r"\lambda(t) = 2\log\frac{a_t}{b_t}", [("exact", [])]),
    (r"\lambda(t) = \log\frac{b_t^2}{a_t^2}", [("inconsistent", ["rhs"])]),
    (r"u_t(z \mid \epsilon) = \dot a_t\, \frac{z - b_t\epsilon}{a_t} + \dot b_t\,\epsilon", [("exact", [])]),
    (r"u_t(z \mid \epsilon) = \dot a_t\, \frac{z - b_t\epsilon}{a_t} - \dot b_t\,\epsilon", [("inconsistent", ["rhs"])]),
    # velocity beside an explicit path: d/dt of cos/sin
    (r"z_t = \cos(\pi t/2) x_0 + \sin(\pi t/2)\epsilon, \quad u_t(z|\epsilon) = \frac{\pi}{2}\left(\cos(\pi t/2)\epsilon - \sin(\pi t/2) x_0\right)", [("exact", [])]),
    (r"z_t = \cos(\pi t/2) x_0 + \sin(\pi t/2)\epsilon, \quad u_t(z|\epsilon) = \cos(\pi t/2)\epsilon - \sin(\pi t/2) x_0", [("inconsistent", ["rhs"])]),
    # conditional flow matching with a trailing path: the target is dz/dt
    (r"\mathcal{L} = \mathbb{E}_{t, x_0, \epsilon}\left\|u_\theta(z_t, t) - (\epsilon - x_0)\right\|^2, \quad z_t = (1-t)x_0 + t\epsilon", [("exact", [])]),
    (r"\mathcal{L} = \mathbb{E}_{t, x_0, \epsilon}\left\|u_\theta(z_t, t) - (x_0 - \epsilon)\right\|^2, \quad z_t = (1-t)x_0 + t\epsilon", [("inconsistent", ["rhs"])]),
])
def test_interpolation_paths(text, want):
    got = _all(text)
    if want is None:  # not this reading: whatever the rest of the verifier says, never a path verdict
        assert all(v.target != "interp_path" for v in verify_formula(text, None, numeric=False))
        return
    assert got == want, [(v.verdict, v.detail) for v in verify_formula(text, None, numeric=False)]


def test_interpolation_paths_leave_other_notations():
    # VDM's α_t, σ_t and DDPM's ᾱ_t are read by their own families; a VE kernel x_0 + t ε is not an interpolant
    for text in (r"z_t = \alpha_t x + \sigma_t \epsilon", r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon",
                 r"x_t = x_0 + t\epsilon"):
        assert all(v.target != "interp_path" for v in verify_formula(text, None, numeric=False))
        assert verify_formula(text, None, numeric=False)[0].verdict == "exact"


@pytest.mark.parametrize("text, verdict", [
    (r"\beta_n = \left(\sqrt{\beta_{\mathrm{start}}} + \frac{n}{N-1}\left(\sqrt{\beta_{\mathrm{end}}} - \sqrt{\beta_{\mathrm{start}}}\right)\right)^2", "exact"),
    (r"\beta_n = \sqrt{\beta_{\mathrm{start}}} + \frac{n}{N-1}\left(\sqrt{\beta_{\mathrm{end}}} - \sqrt{\beta_{\mathrm{start}}}\right)", "inconsistent"),
    (r"\beta_k = \left(\sqrt{\beta_1} + \frac{k-1}{K-1}\left(\sqrt{\beta_K} - \sqrt{\beta_1}\right)\right)^2", "exact"),
    (r"\beta_k = \left(\sqrt{\beta_1} + \frac{k}{K-1}\left(\sqrt{\beta_K} - \sqrt{\beta_1}\right)\right)^2", "consistent"),
    (r"\beta_t = \beta_0 + \frac{t}{T-1}\left(\beta_{T-1} - \beta_0\right)", "exact"),
    (r"\beta_t = \beta_0 + \frac{t-1}{T-1}\left(\beta_{T-1} - \beta_0\right)", "consistent"),
    (r"\beta_t = \beta_0 + \frac{t}{T-1}\left(\beta_{T-1} + \beta_0\right)", "inconsistent"),
    (r"\beta_t = \beta_{\text{start}} + \frac{t}{T}\left(\beta_{\text{end}} - \beta_{\text{start}}\right)", "consistent"),
    (r"\bar\alpha_k = \prod_{j=0}^{k}\left(1 - \beta_j\right)", "exact"),
    (r"\bar\alpha_k = \prod_{j=0}^{k}\alpha_j", "exact"),
    (r"\bar\alpha_k = \prod_{j=0}^{k-1}\left(1 - \beta_j\right)", "inconsistent"),
])
def test_schedules_with_end_values(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, (v.verdict, v.detail)
    assert v.terms == ([] if verdict == "exact" else ["rhs"])


@pytest.mark.parametrize("text, verdict", [
    # the same schedule written with cos^{2τ}(·) and the arguments reordered
    (r"\gamma(t) = \frac{\cos^{2\tau}\left(\frac{\pi}{2}(s + t(e-s))\right) - \cos^{2\tau}\left(\frac{\pi e}{2}\right)}{\cos^{2\tau}\left(\frac{\pi s}{2}\right) - \cos^{2\tau}\left(\frac{\pi e}{2}\right)}", "exact"),
    # the defaults s = 0, e = 1, τ = 1
    (r"\gamma(t) = \cos^2\left(\frac{\pi t}{2}\right)", "exact"),
    # τ dropped in one power: the ends are no longer 1 and 0
    (r"\gamma(t) = \frac{\cos^{\tau}\left(\frac{\pi}{2}(s + t(e-s))\right) - \cos^{2\tau}\left(\frac{\pi e}{2}\right)}{\cos^{2\tau}\left(\frac{\pi s}{2}\right) - \cos^{2\tau}\left(\frac{\pi e}{2}\right)}", "inconsistent"),
    # another schedule from 1 to 0
    (r"\gamma(t) = \cos\left(\frac{\pi t}{2}\right)", "consistent"),
    (r"\gamma(t) = \cos^2\left(\pi t\right)", "inconsistent"),
])
def test_chen_cosine_gamma(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, (v.verdict, v.detail)
    assert v.target == "chen_gamma_cosine"


@pytest.mark.parametrize("text, verdict", [
    (r"\sigma_n = \left(\sigma_{\min}^{1/\rho} + \frac{n-1}{M(s)-1}\left(\sigma_{\max}^{1/\rho} - \sigma_{\min}^{1/\rho}\right)\right)^{\rho}", "exact"),
    (r"\sigma_n = \left(\sigma_{\min}^{1/\rho} + \frac{n}{M-1}\left(\sigma_{\max}^{1/\rho} - \sigma_{\min}^{1/\rho}\right)\right)^{\rho}", "exact"),
    (r"\sigma_n = \left(\sigma_{\min}^{1/\rho} + \frac{n-1}{M(s)-1}\left(\sigma_{\max}^{1/\rho} - \sigma_{\min}^{1/\rho}\right)\right)^{1/\rho}", "inconsistent"),
    (r"\sigma_n = \left(\sigma_{\min}^{1/\rho} + \frac{n}{M}\left(\sigma_{\max}^{1/\rho} - \sigma_{\min}^{1/\rho}\right)\right)^{\rho}", "inconsistent"),
    (r"\sigma_n = \left(\sigma_{\max}^{1/\rho} + \frac{n}{M(s)-1}\left(\sigma_{\min}^{1/\rho} - \sigma_{\max}^{1/\rho}\right)\right)^{\rho}", "exact"),
])
def test_karras_levels_ascending_and_curriculum(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, (v.verdict, v.detail)
    assert v.target == "karras_ascending"


@pytest.mark.parametrize("text, want", [
    (r"\pi(t; m, s) = \frac{1}{s\sqrt{2\pi}\,t(1-t)}\exp\left(-\frac{(\log\frac{t}{1-t} - m)^2}{2s^2}\right)", [("exact", [])]),
    (r"\pi_{ln}(t; m, s) = \frac{\exp\left(-(\operatorname{logit}(t) - m)^2/(2s^2)\right)}{\sqrt{2\pi}\,s\,t\,(1-t)}", [("exact", [])]),
    # the Jacobian dropped; a wrong variance; a wrong definition of logit beside it
    (r"\pi(t; m, s) = \frac{1}{s\sqrt{2\pi}}\exp\left(-\frac{(\log\frac{t}{1-t} - m)^2}{2s^2}\right)", [("inconsistent", ["rhs"])]),
    (r"\pi(t; m, s) = \frac{1}{s\sqrt{2\pi}\,t(1-t)}\exp\left(-\frac{(\log\frac{t}{1-t} - m)^2}{s^2}\right)", [("inconsistent", ["rhs"])]),
    (r"\pi_{ln}(t; m, s) = \frac{1}{s\sqrt{2\pi}\,t(1-t)}\exp\left(-\frac{(\mathrm{logit}(t) - m)^2}{2s^2}\right), \quad \mathrm{logit}(t) = \log\frac{1-t}{t}", [("exact", []), ("inconsistent", ["rhs"])]),
])
def test_logit_normal_density(text, want):
    assert _all(text) == want, [(v.verdict, v.detail) for v in verify_formula(text, None, numeric=False)]
