"""Issue 13, eighth wave (defs): vocabulary the registry lacked, each read by a rule stated for a notation or a family
(never for one formula). The formulas here are written for this test (other letters, other instances of the same
construct), with wrong variants that must stay wrong:

* markup with no mathematics: ``\\color``/``\\textcolor``, an implication ``A \\Rightarrow B`` between two formulas,
  the per-step α clipped from below ``\\max(ᾱ_{k−1}/ᾱ_k, C_1)`` (defs_text.py);
* ``σ^{*2}``: a label and a power in one superscript (parse.py);
* a score network with another parameter letter, s_φ / s_ψ (canon.is_score);
* Tweedie's formula in the denoising notation 𝔼[x | x̃] (defs_text.py);
* a process indexed by its log-SNR, z_λ, α_λ, σ_λ (defs_text.py);
* t(λ), p(λ) = −dt/dλ and the shifted log-SNR of a resolution (logsnr_inverse.py); sech/csch/coth (named_functions.py).
"""
import pytest

from scoresde.formulas import verify_formula


def _verdicts(text):
    return [(v.verdict, list(v.terms)) for v in verify_formula(text, None, numeric=False)]


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


@pytest.mark.parametrize("text, verdict, terms", [
    # colour markup around a whole side or one factor (Ho et al. 2020, Eq. 11, rearranged)
    (r"\mu_\theta(x_t, t) = \textcolor{red}{\frac{1}{\sqrt{\alpha_t}}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right)", "exact", None),
    (r"\mu_\theta(x_t, t) = {\color{blue} \frac{1}{\sqrt{\bar\alpha_t}}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right)", "inconsistent", ["mean.x", "mean.eps"]),
    # s_φ, s_ψ: a score network named by another parameter letter (VP probability-flow ODE, Song et al. 2021, Eq. 13)
    (r"dx = -\frac{1}{2}\beta(t)\left[x + s_\psi(x, t)\right]dt", "exact", None),
    (r"dx = -\frac{1}{2}\beta(t)\left[x + 2 s_\varphi(x, t)\right]dt", "inconsistent", ["drift"]),
    (r"\frac{dx}{dt} = -t\, s_\phi(x, t)", "exact", None),
    # Tweedie in the denoising notation (x clean, x̃ noisy): the score term with σ², not σ
    (r"\mathbb{E}[x \mid \tilde{x}] = \tilde{x} + \sigma^2 s_\theta(\tilde{x}, \sigma)", "exact", None),
    (r"\mathbb{E}\left[\mathbf{x} \mid \tilde{\mathbf{x}}\right] = \tilde{\mathbf{x}} - \sigma^2\nabla_{\tilde{\mathbf{x}}}\log q_\sigma(\tilde{\mathbf{x}})", "inconsistent", ["rhs"]),
    # a process indexed by λ only: z_λ = α_λ x + σ_λ ε is VDM's forward marginal
    (r"\mathbf{z}_\lambda = \alpha_\lambda \mathbf{x} + \sigma_\lambda\boldsymbol{\epsilon}", "exact", None),
    (r"q(z_{\lambda} \mid x) = \mathcal{N}(z_{\lambda}; \alpha_{\lambda} x, \sigma_{\lambda} I)", "inconsistent", ["variance"]),
])
def test_vocabulary_rules(text, verdict, terms):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if terms is not None:
        assert v.terms and set(v.terms) <= set(terms), v.terms


def test_an_implication_separates_two_formulas():
    # dx = √(2t) dw (any g(t)) ⇒ its VE kernel; the arrow is no factor: two formulas, the kernel judged on its own
    got = _verdicts(r"dx_t = \sqrt{2\beta(t)}\, dw \;\Longrightarrow\; z_t = \alpha_t x_0 + \sigma_t \epsilon")
    assert len(got) == 2


def test_star_label_with_a_power_is_read():
    # Bao et al. 2022's σ_n^{*2}: no "cannot read '*'"
    v = _one(r"\sigma_n^{*2} = \lambda_n^2 + 1")
    assert "cannot read" not in v.detail


@pytest.mark.parametrize("text, verdict", [
    # the cosine schedule's inverse and density (Kingma & Gao 2023), other spellings
    (r"t(\lambda) = \frac{2}{\pi}\tan^{-1}\left(\exp(-\lambda/2)\right)", "exact"),
    (r"t(\lambda) = \frac{2}{\pi}\arctan\left(e^{\lambda/2}\right)", "inconsistent"),
    (r"t(\lambda) = \frac{1}{\pi}\arctan\left(e^{-\lambda/2}\right)", "inconsistent"),
    # EDM's σ(t) = t: λ = −2 log t, so t(λ) = e^{−λ/2} on λ > 0 only -- leaves (0, 1) on the test grid
    (r"p(\lambda) = \frac{1}{2\pi\cosh(\lambda/2)}", "exact"),
    (r"p(\lambda) = -\frac{dt}{d\lambda} = \frac{1}{2\pi}\mathrm{sech}(\lambda/2)", "exact"),
    (r"p(\lambda) = \frac{1}{\pi}\mathrm{sech}(\lambda/2)", "inconsistent"),
    (r"p(\lambda) = \frac{1}{4}\operatorname{sech}^2(\lambda/2)", "consistent"),
    # Hoogeboom et al. 2023's shift for resolution d (base 32 here: another instance of the same rule)
    (r"\log\mathrm{SNR}_{\mathrm{shift}\ 32/d}(t) = -2\log\tan\left(\frac{\pi t}{2}\right) + 2\log\frac{32}{d}", "exact"),
    (r"\log\mathrm{SNR}_{\mathrm{shift}\ 32/d}(t) = -2\log\tan\left(\frac{\pi t}{2}\right) + \log\frac{32}{d}", "inconsistent"),
])
def test_log_snr_relatives(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdicts", [
    # Song et al. 2023's scalings, written one per formula and with the data scale as \sigma_d
    (r"c_{\mathrm{out}}(t) = \frac{\sigma_{\text{data}}\,(t - \epsilon)}{\sqrt{t^2 + \sigma_{\text{data}}^2}}", ["exact"]),
    (r"c_{\mathrm{skip}}(t) = \frac{\sigma_{\text{data}}^2}{\sigma_{\text{data}}^2 + (t - \epsilon)^2}", ["exact"]),
    (r"c_{\mathrm{skip}}(t) = \frac{\sigma_{\text{data}}^2}{t^2 + \sigma_{\text{data}}^2}", ["inconsistent"]),
    (r"c_{\mathrm{out}}(t) = \frac{\sigma_{\text{data}}\, t}{\sqrt{t^2 + \sigma_{\text{data}}^2}}", ["inconsistent"]),
    # the signal-to-noise ratio of a Gaussian, in its bare symbols
    (r"\mathrm{SNR} = \frac{\alpha^2}{\sigma^2}", ["exact"]),
    (r"\mathrm{SNR} = \mu^2 / \sigma", ["inconsistent"]),
])
def test_consistency_scalings_and_the_snr_definition(text, verdicts):
    assert [v for v, _ in _verdicts(text)] == verdicts


def test_consistency_entries_are_tied():
    from scoresde.formulas.registry import REGISTRY

    for name in ("cm.c_skip", "cm.c_out"):
        ok, how = REGISTRY[name].tie(REGISTRY[name])
        assert ok, how


@pytest.mark.parametrize("text, verdicts", [
    # consistency models' multistep sampling: noise from level ε up to τ_k (another index letter, another noise letter)
    (r"\hat{x}_{\tau_k} \gets x + \sqrt{\tau_k^2 - \epsilon^2}\, \xi", ["exact"]),
    (r"\hat{x}_{\tau_k} = x + \sqrt{\tau_k^2 + \epsilon^2}\, z", ["inconsistent"]),
    (r"\hat{x}_{\tau_k} = x + (\tau_k - \epsilon)\, z", None),  # no ε² beside τ²: not read as that step
    # EDM's iDDPM column: ᾱ_j from the noisy end, written with \tfrac and the offset inside
    (r"\bar\alpha_j = \sin^2\left(\tfrac{\pi}{2}\cdot\tfrac{j}{M(1 + C_2)}\right)", ["consistent"]),
    (r"\bar\alpha_j = \sin\left(\frac{\pi}{2}\frac{j}{M(C_2 + 1)}\right)", None),
    # its noise levels, written with \frac for the ratio and the clip at 0.001
    (r"u_{j-1} = \left(\frac{u_j^2 + 1}{\max\left(\frac{\bar\alpha_{j-1}}{\bar\alpha_j}, 0.001\right)} - 1\right)^{1/2}", ["exact"]),
    (r"u_{j-1} = \sqrt{\frac{u_j^2 + 1}{\max(\bar\alpha_j/\bar\alpha_{j-1}, C_1)} - 1}", ["inconsistent"]),
    (r"u_{j-1} = \sqrt{\frac{u_j + 1}{\bar\alpha_{j-1}/\bar\alpha_j} - 1}", ["inconsistent"]),
])
def test_consistency_sampling_and_edm_iddpm(text, verdicts):
    got = [v for v, _ in _verdicts(text)]
    if verdicts is None:
        assert "exact" not in got, got
    else:
        assert got == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # a VE SDE written with g(t) in t alone defines its own schedule; its kernel must be its own (Song et al. 2021, Eq. 29)
    (r"dx = \sqrt{2}\, e^{t}\, dw", ["consistent"]),
    (r"dx = \sqrt{3t^2}\, dw \Rightarrow p_{0t}(x(t) \mid x(0)) = \mathcal{N}(x(t); x(0), t^3 I)", ["exact", "exact"]),
    (r"dx = \sqrt{3t^2}\, dw \implies p_{0t}(x(t) \mid x(0)) = \mathcal{N}(x(t); x(0), 3t^3 I)", ["consistent", "inconsistent"]),
    (r"p_{0t}(x(t) \mid x(0)) = \mathcal{N}(x(t); x(0), (e^{t} - 1) I)", ["consistent"]),
    (r"p_{0t}(x(t) \mid x(0)) = \mathcal{N}(x(t); x(0), e^{t} I)", ["inconsistent"]),  # v(0) = 1: not a kernel from x(0)
    # a constant times EDM's g² = 2t is EDM's SDE with a factor slipped in, not a new schedule
    (r"dx = 2\sqrt{t}\, dw", ["inconsistent"]),
])
def test_explicit_ve_sde_and_its_kernel(text, verdicts):
    assert [v for v, _ in _verdicts(text)] == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # a registry function called with the step index k: its definition is written out in k too (applied._reindexed)
    (r"\mu_k(x_k) = \tilde{\mu}_k\left(x_k, \frac{x_k + (1 - \bar\alpha_k)\, s_\theta(x_k, k)}{\sqrt{\bar\alpha_k}}\right)", ["exact"]),
    (r"\mu_k(x_k) = \tilde{\mu}_k\left(x_k, \frac{x_k + (1 - \bar\alpha_k)^2\, s_\theta(x_k, k)}{\sqrt{\bar\alpha_k}}\right)", ["inconsistent"]),
    # Analytic-DPM's β̄_n = 1 − ᾱ_n (Bao et al. 2022, Sec. 2)
    (r"\tilde\beta_n = \frac{\bar\beta_{n-1}}{\bar\beta_n}\,\beta_n", ["exact"]),
    (r"\tilde\beta_n = \frac{\bar\beta_{n-1}}{\bar\beta_n}", ["inconsistent"]),
])
def test_analytic_dpm_notation(text, verdicts):
    assert [v for v, _ in _verdicts(text)] == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # EDM's objective as Kingma & Gao's weighting w(λ), the density named p(λ) and σ_data written as a symbol
    (r"w(\lambda) = p(\lambda)\left(1 + e^{-\lambda}/\sigma_{\text{data}}^2\right), \quad p(\lambda) = \mathcal{N}(\lambda; 2.4, 5.76)", ["exact"]),
    (r"w(\lambda) = p(\lambda)\left(1 + e^{-\lambda}/\sigma_{\text{data}}\right), \quad p(\lambda) = \mathcal{N}(\lambda; 2.4, 5.76)", ["inconsistent"]),
    (r"w(\lambda) = \mathcal{N}(\lambda; 1.2, 1.2^2)\,\frac{e^{-\lambda} + 0.25}{0.25}", ["inconsistent"]),
])
def test_edm_weighting_over_log_snr(text, verdicts):
    assert [v for v, _ in _verdicts(text)] == verdicts


@pytest.mark.parametrize("text, verdict", [
    # SNR written in italics or with its time as a subscript (Kingma et al. 2021, Eq. 2)
    (r"SNR(t) = \frac{\alpha_t^2}{\sigma_t^2}", "exact"),
    (r"\mathrm{SNR}_s = \frac{\bar\alpha_s}{1 - \bar\alpha_s}", "exact"),
    (r"SNR(t) = \frac{\alpha_t}{\sigma_t^2}", "inconsistent"),
    # a registry function at an index argument: its subscripts follow the argument (applied._index_args)
    (r"\mathrm{SNR}(t+1) = \frac{\alpha_{t+1}^2}{\sigma_{t+1}^2}", "exact"),
    (r"\mathrm{SNR}(t+1) = \frac{\alpha_{t}^2}{\sigma_{t+1}^2}", "inconsistent"),
])
def test_snr_spellings(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdict", [
    # Analytic-DPM's optimal variance (Bao et al. 2022, Thm. 1), written with Γ_n, with the expectation, and the DDPM case
    (r"\sigma_n^{*2} = \lambda_n^2 + \left(1 - \bar\beta_n\Gamma_n\right)\left(\sqrt{\bar\beta_n/\alpha_n} - \sqrt{\bar\beta_{n-1} - \lambda_n^2}\right)^2", "exact"),
    (r"\sigma_n^{*2} = \lambda_n^2 + \left(\sqrt{\frac{\bar\beta_n}{\alpha_n}} - \sqrt{\bar\beta_{n-1} - \lambda_n^2}\right)^2"
     r"\left(1 - \bar\beta_n\mathbb{E}_{q_n(x_n)}\frac{\|\nabla_{x_n}\log q_n(x_n)\|_2^2}{d}\right)", "exact"),
    (r"\sigma_n^{*2} = \tilde\beta_n + \left(\sqrt{\frac{\bar\beta_n}{\alpha_n}} - \sqrt{\bar\beta_{n-1} - \tilde\beta_n}\right)^2\left(1 - \bar\beta_n\Gamma_n\right)", "exact"),
    (r"\sigma_n^{*2} = \lambda_n^2 + \left(\sqrt{\frac{\bar\beta_n}{\alpha_n}} - \sqrt{\bar\beta_{n-1} - \lambda_n^2}\right)^2\left(1 - \Gamma_n\right)", "inconsistent"),
    (r"\sigma_n^{*2} = \lambda_n^2 + \left(\sqrt{\frac{\bar\beta_n}{\alpha_n}} - \sqrt{\lambda_n^2 - \bar\beta_{n-1}}\right)^2\left(1 - \bar\beta_n\Gamma_n\right)", "ill-defined"),
])
def test_analytic_dpm_optimal_variance(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


@pytest.mark.parametrize("text, verdicts", [
    # σ_d for σ_data in the preconditioning (EDM's Eq. 7 and consistency models' scalings)
    (r"c_{\mathrm{in}}(\sigma) = \left(\sigma^2 + \sigma_d^2\right)^{-1/2}", ["exact"]),
    (r"c_{\mathrm{out}}(t) = \frac{\sigma_{d}(t - \epsilon)}{\sqrt{\sigma_d^2 + t^2}}", ["exact"]),
    (r"c_{\mathrm{in}}(\sigma) = \left(\sigma^2 + \sigma_d\right)^{-1/2}", ["inconsistent"]),
])
def test_sigma_d_is_sigma_data_in_the_preconditioning(text, verdicts):
    assert [v for v, _ in _verdicts(text)] == verdicts


@pytest.mark.parametrize("text, verdict", [
    # EDM's σ(t) = t: λ = −2 log t, t(λ) = e^{−λ/2} (time on (0, ∞)); a bare t on the left
    (r"t(\lambda) = \exp(-\lambda/2)", "exact"),
    (r"t = \frac{2}{\pi}\arctan\left(e^{-\lambda/2}\right)", "exact"),
    (r"t(\lambda) = e^{\lambda/2}", "inconsistent"),
    # the shifted schedule stated through the unshifted one
    (r"\log\mathrm{SNR}_{\text{shift } 128/d}(t) = \log\mathrm{SNR}(t) + 2\log\left(\frac{128}{d}\right)", "exact"),
    (r"\log\mathrm{SNR}_{\text{shift } 128/d}(t) = \log\mathrm{SNR}(t) + 2\log\left(\frac{d}{128}\right)", "inconsistent"),
])
def test_more_log_snr_relatives(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_a_vdm_definition_at_an_index_argument_in_ddpm_symbols():
    # VLB weights are written SNR(t − 1) − SNR(t) with SNR = ᾱ/(1 − ᾱ): the definition in VDM's notation, the side in DDPM's
    assert _one(r"\mathrm{SNR}(t+1) = \frac{\bar\alpha_{t+1}}{1 - \bar\alpha_{t+1}}").verdict == "exact"
    assert _one(r"\mathrm{SNR}(t+1) = \frac{\bar\alpha_{t}}{1 - \bar\alpha_{t+1}}").verdict == "inconsistent"
