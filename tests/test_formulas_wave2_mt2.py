"""Wave 2 of issue 13, the multi-time reader: notations and references it lacked -- Ho & Salimans' λ-indexed
α_λ, σ_λ, z_λ (λ = log α²/σ²); the angular parametrisation φ (Salimans & Ho 2022, Sec. 4); ∇ log q and the
argument-free predictions x̂, v̂, ε̂; t_λ(λ) as the inverse of a schedule; VDM's generative step; SDE-DPM-Solver++(1);
EDM's second-order Runge-Kutta family in α.

Every formula here is written for this file (other equations of the same papers, other arrangements, perturbed
copies), none is a corpus claim."""
from __future__ import annotations

import pytest

from scoresde.formulas import verify_latex
from scoresde.formulas.mt_ties import mt_builtin_report


def verdict(latex: str):
    vs = verify_latex(latex, numeric=False)
    assert len(vs) == 1, latex
    return vs[0]


EXACT = [
    # Ho & Salimans 2022, Sec. 2: σ_λ² = 1 − α_λ² = sigmoid(−λ), and the ratio of the transition
    r"\sigma_\lambda^2 = \frac{1}{1 + e^{\lambda}}",
    r"\frac{\alpha_\lambda^2}{\sigma_\lambda^2} = e^{\lambda}",
    r"\sigma_{\lambda|\lambda'}^2 = \sigma_\lambda^2 - \frac{\alpha_\lambda^2}{\alpha_{\lambda'}^2}\sigma_{\lambda'}^2",
    r"\tilde{\sigma}_{\lambda'|\lambda}^2 = \left(1 - e^{\lambda - \lambda'}\right)\sigma_{\lambda'}^2",
    # the posterior mean in VDM's t|s labels
    r"\tilde{\mu}_{s|t}(z_t, x) = e^{\lambda_t - \lambda_s}\cdot e^{\lambda_t - \lambda_s}\frac{\alpha_s}{\alpha_t}z_t"
    r" + \left(1 - e^{2\lambda_t - 2\lambda_s}\right)\alpha_s x",
    # Salimans & Ho 2022, Sec. 4: angles; DDIM between two angles (φ_s < φ_t), v written from x and ε
    r"\mathbf{z}_{\phi_s} = \cos(\phi_t - \phi_s)\mathbf{z}_{\phi_t} - \sin(\phi_t - \phi_s)\hat{\mathbf{v}}_\theta(\mathbf{z}_{\phi_t})",
    r"\mathbf{z}_{\phi + \delta} = \cos(\delta)\mathbf{z}_{\phi} + \sin(\delta)\hat{\mathbf{v}}_\theta(\mathbf{z}_{\phi})",
    r"\frac{d\mathbf{z}_{\phi_t}}{d\phi_t} = -\sin(\phi_t)\mathbf{x} + \cos(\phi_t)\boldsymbol{\epsilon}",
    # conversions between the predictions at one state
    r"\hat{\mathbf{x}} = \alpha_t\mathbf{z}_t - \sigma_t\hat{\mathbf{v}}",
    r"\hat{\boldsymbol{\epsilon}} = \frac{\mathbf{z}_t - \alpha_t\hat{\mathbf{x}}}{\sigma_t}",
    r"\nabla_{\mathbf{x}_t}\log p_t(\mathbf{x}_t) = \frac{\alpha_t\mathbf{x}_\theta(\mathbf{x}_t, t) - \mathbf{x}_t}{1 - \alpha_t^2}",
    r"\sigma_t\nabla_{\mathbf{z}}\log q(\mathbf{z}_t) = -\boldsymbol{\epsilon}_\theta(\mathbf{z}_t, t)",
    # t_λ of the cosine schedule (s = 0), and the linear VP one in its rationalised form (Lu et al. 2022a, App.)
    r"t_\lambda(\lambda) = \frac{2}{\pi}\arctan\left(e^{-\lambda}\right)",
    r"t_{\lambda}(\lambda) = \frac{2\log(1+e^{-2\lambda})}{\beta_0 + \sqrt{\beta_0^2 + 2(\beta_1-\beta_0)\log(1+e^{-2\lambda})}}",
    # VDM's generative step in the posterior form, and with σ_Q written out
    r"z_s = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}\hat{x}_\theta(z_t; t) + \frac{\sigma_{t|s}\sigma_s}{\sigma_t}\epsilon",
    r"z_s = \frac{\alpha_s}{\alpha_t}z_t - \frac{\alpha_s\sigma_t}{\alpha_t}\left(1 - \frac{\mathrm{SNR}(t)}{\mathrm{SNR}(s)}\right)\hat\epsilon_\theta(z_t; t)"
    r" + \sigma_s\sqrt{1 - \frac{\mathrm{SNR}(t)}{\mathrm{SNR}(s)}}\,\epsilon",
    # SDE-DPM-Solver++(1) with the exponentials rearranged
    r"x_t = \frac{\sigma_t e^{-h}}{\sigma_s}x_s - \alpha_t\left(e^{-2h} - 1\right)x_\theta(x_s, s) + \sigma_t\sqrt{1 - e^{-2h}}\,z",
    # Lu et al. 2022a/b: the exact solutions as integrals in τ with the factor dλ_τ/dτ (Eq. 3.3 form)
    r"x_t = \frac{\alpha_t}{\alpha_s}x_s - \alpha_t\int_s^t \frac{d\lambda_\tau}{d\tau} e^{-\lambda_\tau}\epsilon_\theta(x_\tau, \tau) d\tau",
    r"x_t = \frac{\sigma_t}{\sigma_s}x_s + \sigma_t\int_s^t \frac{d\lambda_\tau}{d\tau}\frac{\alpha_\tau}{\sigma_\tau}x_\theta(x_\tau, \tau) d\tau",
    # Salimans & Ho 2022, Alg. 2: the distillation target, cleared of fractions, and with t' for the far point
    r"\tilde{x} = \frac{\sigma_t z_{t''} - \sigma_{t''} z_t}{\sigma_t\alpha_{t''} - \sigma_{t''}\alpha_t}",
    r"\tilde{\mathbf{x}} = \frac{\sigma_{t'}\mathbf{z}_t - \sigma_t\mathbf{z}_{t'}}{\sigma_{t'}\alpha_t - \sigma_t\alpha_{t'}}",
    # EDM's second-order family, factored
    r"x_{i+1} = x_i + \frac{t_{i+1} - t_i}{2\alpha}\left((2\alpha - 1)d_i + d'_i\right)",
]


@pytest.mark.parametrize("latex", EXACT)
def test_new_notations_read_exact(latex):
    v = verdict(latex)
    assert v.verdict == "exact", (latex, v.verdict, v.detail)


WRONG = [
    (r"\sigma_\lambda^2 = \frac{1}{1 + e^{-\lambda}}", ["rhs"]),
    # a forward kernel with the ratio of α upside down: judged against q(z_λ | z_λ'), not left as "another σ"
    (r"q(\mathbf{z}_\lambda | \mathbf{z}_{\lambda'}) = \mathcal{N}\left((\alpha_{\lambda'}/\alpha_{\lambda})\mathbf{z}_{\lambda'}, "
     r"\sigma_{\lambda|\lambda'}^2\mathbf{I}\right)", ["mean.x"]),
    (r"\tilde{\sigma}_{\lambda'|\lambda}^2 = \left(1 - e^{\lambda' - \lambda}\right)\sigma_{\lambda'}^2", ["rhs"]),
    (r"\tilde{\mu}_{s|t}(z_t, x) = e^{2\lambda_t - 2\lambda_s}\frac{\alpha_s}{\alpha_t}z_t + \left(1 - e^{2\lambda_t - 2\lambda_s}\right)\alpha_t x",
     ["mean.x0"]),
    (r"\mathbf{z}_{\phi_s} = \cos(\phi_t - \phi_s)\mathbf{z}_{\phi_t} - \cos(\phi_t - \phi_s)\hat{\mathbf{v}}_\theta(\mathbf{z}_{\phi_t})",
     ["mean.other"]),
    (r"\frac{d\mathbf{z}_{\phi_t}}{d\phi_t} = \sin(\phi_t)\mathbf{x} + \cos(\phi_t)\boldsymbol{\epsilon}", ["rhs"]),
    (r"\hat{\mathbf{x}} = \sigma_t\mathbf{z}_t - \alpha_t\hat{\mathbf{v}}", ["rhs"]),
    (r"\nabla_{\mathbf{x}_t}\log p_t(\mathbf{x}_t) = \frac{\alpha_t\mathbf{x}_\theta(\mathbf{x}_t, t) - \mathbf{x}_t}{1 - \alpha_t}", ["rhs"]),
    (r"t_\lambda(\lambda) = \frac{1}{\beta_1 - \beta_0}\left(\sqrt{\beta_0^2 + (\beta_1 - \beta_0)\log(1 + e^{-2\lambda})} - \beta_0\right)", ["rhs"]),
    (r"z_s = \frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}z_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}\hat{x}_\theta(z_t; t) + \frac{\sigma_{t|s}}{\sigma_t}\epsilon",
     ["variance"]),
    (r"x_t = \frac{\sigma_t}{\sigma_s}e^{-h}x_s + \alpha_t\left(1 - e^{-2h}\right)x_\theta(x_s, s) + \sigma_t\left(1 - e^{-2h}\right)z", ["variance"]),
    (r"x_t = \frac{\sigma_t}{\sigma_s}x_s + \sigma_t\int_s^t \frac{d\lambda_\tau}{d\tau}\frac{\sigma_\tau}{\alpha_\tau}x_\theta(x_\tau, \tau) d\tau",
     ["mean.x0"]),
    (r"x_{i+1} = x_i + (t_{i+1} - t_i)\left(\left(1 - \frac{1}{\alpha}\right)d_i + \frac{1}{2\alpha}d'_i\right)", ["mean.other"]),
]


@pytest.mark.parametrize("latex,terms", WRONG)
def test_wrong_variants_named(latex, terms):
    v = verdict(latex)
    assert v.verdict == "inconsistent" and sorted(v.terms) == sorted(terms), (latex, v.verdict, v.terms, v.detail)


UNJUDGED = [
    # a t_λ with parameters of no known schedule: another valid schedule may exist
    r"t_\lambda(\lambda) = \frac{1}{k}\log(1 + e^{-2\lambda})",
    # an integral in dτ without the factor dλ_τ/dτ (not the exact solution's change of variables)
    r"x_t = \frac{\alpha_t}{\alpha_s}x_s - \alpha_t\int_s^t \frac{\sigma_\tau}{\alpha_\tau}\epsilon_\theta(x_\tau, \tau) d\tau",
    # a distillation target that inverts no DDIM step: not guessed at (another step's inverse may be meant)
    r"\tilde{x} = \frac{\sigma_t z_{t''} + \sigma_{t''} z_t}{\sigma_t\alpha_{t''} - \sigma_{t''}\alpha_t}",
    # a gradient in another variable than the density's argument
    r"\nabla_{\mathbf{y}}\log q(\mathbf{z}_t) = \frac{\alpha_t\hat{\mathbf{x}}_\theta(\mathbf{z}_t; t) - \mathbf{z}_t}{\sigma_t^2}",
]


@pytest.mark.parametrize("latex", UNJUDGED)
def test_not_guessed(latex):
    assert verdict(latex).verdict not in ("exact", "inconsistent"), latex


def test_new_references_tied():
    rows = {name: (ok, detail) for name, ok, detail in mt_builtin_report()
            if name in ("mt.vdm.ancestral", "mt.sdedpmpp1.x", "mt.edmrk.x")}
    assert set(rows) == {"mt.vdm.ancestral", "mt.sdedpmpp1.x", "mt.edmrk.x"}
    for name, (ok, detail) in rows.items():
        assert ok, (name, detail)
    assert "DDIM(eta=1)" in rows["mt.vdm.ancestral"][1] and "SDEDPMSolverPP2M" in rows["mt.sdedpmpp1.x"][1]
