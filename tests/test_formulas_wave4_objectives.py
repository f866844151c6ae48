"""Issue 13, wave 4 (objectives, guidance, likelihood): formulas as people write them, read by general rules.

Every formula here is written for this test (other letters, other papers' conventions, code spellings); none is
copied from a corpus. Guidance: a guided prediction or score is −σ(s + κg) / s + κg with a guidance weight κ that
must be a positive, increasing, schedule-free function of the written weight (guidance_weight.py)."""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [v.verdict for v in vs]
    return vs[0]


@pytest.mark.parametrize("text", [
    # diffusers' spelling: the unconditional prediction plus the scale times the difference (κ = scale)
    "noise_pred = noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond)",
    # Ho & Salimans's Eq. 6 as code, the two terms in the other order
    "eps_guided = -w * eps_uncond + (1 + w) * eps_cond",
    # a hat-decorated guided prediction with the classifier named q_ψ and weight ω (κ = ω)
    r"\hat{\epsilon}_\theta(\mathbf{z}_t, t) = \epsilon_\theta(\mathbf{z}_t, t) - \omega\sqrt{1 - \bar\alpha_t}\,\nabla_{\mathbf{z}_t}\log q_\psi(c \mid \mathbf{z}_t)",
    # a tempered conditional score with η (Dhariwal & Nichol 2021, Sec. 4.3, written as Luo does)
    r"\nabla_{\mathbf{z}}\log p(\mathbf{z}\mid c) = \nabla_{\mathbf{z}}\log p(\mathbf{z}) + \eta\,\nabla_{\mathbf{z}}\log p(c\mid\mathbf{z})",
    # a bar-decorated CFG prediction in the difference form, the scale s defined beside it
    r"\bar{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t, c) + (s - 1)\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right), \quad s = 1 + w",
    # the implicit classifier's gradient chained with Bayes' rule, in bm bold
    r"\nabla\log p(c|\bm{z}_t) = \nabla\log p(\bm{z}_t|c) - \nabla\log p(\bm{z}_t) = -\frac{1}{\sigma_t}\left(\epsilon_\theta(\bm{z}_t, c) - \epsilon_\theta(\bm{z}_t)\right)",
])
def test_guidance_forms_are_exact(text):
    v = _one(text)
    assert v.verdict == "exact", v.detail


@pytest.mark.parametrize("text", [
    # the difference subtracted: κ = −scale, guiding away from the class
    "noise_pred = noise_pred_uncond - guidance_scale * (noise_pred_text - noise_pred_uncond)",
    # conditional and unconditional swapped in code: κ = −w
    "eps_guided = (1 + w) * eps_uncond - w * eps_cond",
    # a classifier weight that changes with the schedule (σ² for σ): not a guidance scale
    r"\hat{\epsilon}_\theta(\mathbf{z}_t, t) = \epsilon_\theta(\mathbf{z}_t, t) - \omega(1 - \bar\alpha_t)\nabla_{\mathbf{z}_t}\log q_\psi(c \mid \mathbf{z}_t)",
    # the tempered score with the classifier's gradient subtracted
    r"\nabla_{\mathbf{z}}\log p(\mathbf{z}\mid c) = \nabla_{\mathbf{z}}\log p(\mathbf{z}) - \eta\,\nabla_{\mathbf{z}}\log p(c\mid\mathbf{z})",
    # the unconditional score counted twice (coefficient of s is 1 + 2w)
    r"\bar{\epsilon}_\theta(z_t, c) = (1 + w)\epsilon_\theta(z_t, c) + w\,\epsilon_\theta(z_t)",
    # the overall sign of the score form lost: ε = +σ(s + κg)
    r"\bar{\epsilon}^*(z_t, c) = \sigma_t\left[\nabla_{z_t}\log p(z_t) + (1 + w)\nabla_{z_t}\log p(c \mid z_t)\right]",
    # the scale defined as 1 − w beside the formula: κ = 1 − w decreases with w
    r"\bar{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t) + s\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right), \quad s = 1 - w",
])
def test_wrong_guidance_forms_are_inconsistent(text):
    v = _one(text)
    assert v.verdict == "inconsistent", v.detail
    assert "rhs" in v.terms


def test_ho_salimans_tilde_with_w_as_scale_is_consistent_not_exact():
    # Ho & Salimans's ε̃ with their w means κ = 1 + w; w used as the scale itself is valid guidance, another convention
    v = _one(r"\tilde{\epsilon}_\theta(z_t, c) = \epsilon_\theta(z_t) + w\left(\epsilon_\theta(z_t, c) - \epsilon_\theta(z_t)\right)")
    assert v.verdict == "consistent", v.detail


def test_sampled_in_words_step():
    v = _one(r"x_{k-1} \gets \text{sample from } \mathcal{N}(\mu + s\Sigma\nabla_{x_k}\log p_\phi(y \mid x_k), \Sigma)")
    assert v.verdict == "exact", v.detail
    v = _one(r"x_{k-1} \gets \text{sample from } \mathcal{N}(\mu - s\Sigma\nabla_{x_k}\log p_\phi(y \mid x_k), \Sigma)")
    assert v.verdict == "inconsistent", v.detail
