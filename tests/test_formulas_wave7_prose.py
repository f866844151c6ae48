"""Issue 13, seventh wave (prose): the notations of books, notes and blogs, each a reading rule stated for a notation
or a construct (never for one formula). Every formula here is written for this test (other letters, indices and
forms than any corpus claim), with wrong variants that must stay wrong:

* Su Jianlin's notation (kexue.fm, 生成扩散模型漫谈, 2022) is stated by α_t² + β_t² = 1 as well as by β̄_t, also when
  β̄_t = √(1 − ᾱ_t²) is a definition of the cell substituted into its update; the relation itself is an identity of
  the notation (identities.py), and his μ̄(x_t) is the estimate of x_0 (cell_notation.su_mu_bar).
"""
import pytest

from conftest import claim_verdicts


@pytest.mark.parametrize("text, verdicts", [
    # Su's forward step with his relation stated (other index, other noise letter)
    (r"x_{k} = \alpha_{k} x_{k-1} + \beta_{k} z_{k},\quad \beta_{k}^2 + \alpha_{k}^2 = 1", ["exact", "exact"]),
    (r"x_t = \alpha_t x_{t-1} + \beta_t^2 z_t,\quad \alpha_t^2 + \beta_t^2 = 1", ["inconsistent", "exact"]),
    (r"x_t = \alpha_t^2 x_{t-1} + \beta_t z_t,\quad \alpha_t^2 + \beta_t^2 = 1", ["inconsistent", "exact"]),
    # Ho et al.'s own relation α_t + β_t = 1 beside Ho's step: an identity in DDPM notation
    (r"x_t = \sqrt{\alpha_t} x_{t-1} + \sqrt{\beta_t} z,\quad \alpha_t + \beta_t = 1", ["exact", "exact"]),
    # without the relation the bare α_t, β_t are Ho's: the same step is wrong
    (r"x_t = \alpha_t x_{t-1} + \beta_t z_t", ["inconsistent"]),
    # β̄_t defined in the cell (and substituted into the update) still fixes Su's notation
    (r"x_t = \bar\alpha_t x_0 + \bar\beta_t z,\quad \bar\beta_t = \sqrt{1 - \bar\alpha_t^2}", ["exact"]),
    (r"x_t = \bar\alpha_t x_0 + \bar\beta_t z,\quad \bar\beta_t = \sqrt{1 - \bar\alpha_t}", ["inconsistent"]),
    # Su's μ̄(x_t): the x_0 estimate, written as one fraction
    (r"\bar{\mu}(x_t) = \frac{x_t - \bar\beta_t\,\epsilon_\theta(x_t, t)}{\bar\alpha_t}", ["exact"]),
    (r"\bar{\mu}(x_t) = \frac{x_t - \bar\beta_t^2\,\epsilon_\theta(x_t, t)}{\bar\alpha_t}", ["inconsistent"]),
    (r"\bar{\mu}(x_t) = \frac{x_t - \bar\beta_t\,\epsilon_\theta(x_t, t)}{\bar\alpha_t^2}", ["inconsistent"]),
])
def test_su_notation_from_its_relation(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # an update written as a difference: the state the right side evaluates the drift / the model at is known
    (r"x_{t+\Delta t} - x_t = f(x_t, t)\Delta t + g(t)\sqrt{\Delta t}\, z", ["exact"]),
    (r"x_{t+\Delta t} - x_t = f(x_t, t)\Delta t + g(t)\Delta t\, z", ["inconsistent"]),
    # Su's f_t(x), g_t beside a time step Δt: the SDE's f(x, t), g(t)
    (r"x_{t+\Delta t} = x_t + f_t(x_t)\Delta t + g_t\sqrt{\Delta t}\, z", ["exact"]),
    (r"x_{t+\Delta t} = x_t + f_t(x_t)\Delta t + g_t^2\sqrt{\Delta t}\, z", ["inconsistent"]),
    # DDIM written as a difference of scaled states in Su's notation (generalised: written over the step t → t−1)
    (r"\frac{x_{t-1}}{\bar\alpha_{t-1}} - \frac{x_t}{\bar\alpha_t} = \left(\frac{\bar\beta_{t-1}}{\bar\alpha_{t-1}}"
     r" - \frac{\bar\beta_t}{\bar\alpha_t}\right)\epsilon_\theta(x_t, t)", ["exact"]),
    (r"\frac{x_{t-1}}{\bar\alpha_{t-1}} - \frac{x_t}{\bar\alpha_t} = \left(\frac{\bar\beta_{t}}{\bar\alpha_{t}}"
     r" - \frac{\bar\beta_{t-1}}{\bar\alpha_{t-1}}\right)\epsilon_\theta(x_t, t)", ["inconsistent"]),
])
def test_updates_written_as_differences(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # Luo's / Chan's σ_q: the std of q(x_{t−1} | x_t, x_0), √β̃_t, in a reverse step (with β_t instead of 1 − α_t)
    (r"x_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right)"
     r" + \sigma_q z", ["exact"]),
    (r"x_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\right)"
     r" + \sigma_q^2 z", ["inconsistent"]),
    # the KL between the posterior and the reverse step is the VLB term L_{t−1} (Ho et al. 2020, Eq. 5, 8, 12)
    (r"D_{KL}(q(x_{t-1} \mid x_t, x_0) \Vert p_\theta(x_{t-1} \mid x_t)) = \frac{\beta_t^2}{2\sigma_q^2\,(1-\beta_t)"
     r"(1-\bar\alpha_t)}\|\epsilon - \epsilon_\theta(x_t, t)\|^2", ["exact"]),
    (r"D_{KL}(q(x_{t-1} \mid x_t, x_0) \Vert p_\theta(x_{t-1} \mid x_t)) = \frac{\beta_t}{2\sigma_q^2\,(1-\beta_t)"
     r"(1-\bar\alpha_t)}\|\epsilon - \epsilon_\theta(x_t, t)\|^2", ["inconsistent"]),
    (r"\mathrm{KL}\left(q(x_{t-1}|x_t, x_0)\,\|\,p_\theta(x_{t-1}|x_t)\right) = \frac{\bar\alpha_{t-1}\beta_t^2}"
     r"{2\sigma_t^2(1-\bar\alpha_t)^2}\|\hat{x}_\theta(x_t, t) - x_0\|^2", ["exact"]),
    (r"\mathrm{KL}\left(q(x_{t-1}|x_t, x_0)\,\|\,p_\theta(x_{t-1}|x_t)\right) = \frac{\bar\alpha_{t}\beta_t^2}"
     r"{2\sigma_t^2(1-\bar\alpha_t)^2}\|\hat{x}_\theta(x_t, t) - x_0\|^2", ["inconsistent"]),
])
def test_posterior_std_and_kl_term(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, notation, verdicts", [
    # the latent notation: z_k the state, x the data (Bishop & Bishop 2024, Ch. 20; Prince 2023, Ch. 18), here with k
    (r"z_k = \sqrt{1-\beta_k}\, z_{k-1} + \sqrt{\beta_k}\,\epsilon", None, ["exact"]),
    (r"z_k = (1-\beta_k)\, z_{k-1} + \sqrt{\beta_k}\,\epsilon", None, ["inconsistent"]),
    # Bishop's m_t(x, z_t): the posterior mean with the data first; α_t := ∏(1 − β) in the cell (DDIM's α = ᾱ)
    (r"m_t(x, z_t) = \frac{\sqrt{\alpha_{t-1}}\beta_t}{1-\alpha_t}x + \frac{(1-\alpha_{t-1})\sqrt{1-\beta_t}}{1-\alpha_t}z_t,"
     r"\quad \alpha_t = \prod_{s=1}^{t}(1-\beta_s)", None, ["exact", "exact"]),
    (r"m_t(x, z_t) = \frac{\sqrt{\alpha_{t}}\beta_t}{1-\alpha_t}x + \frac{(1-\alpha_{t-1})\sqrt{1-\beta_t}}{1-\alpha_t}z_t,"
     r"\quad \alpha_t = \prod_{s=1}^{t}(1-\beta_s)", None, ["inconsistent", "exact"]),
    # Bishop's noise network g(z_t, w, t) in the ε-form reverse mean
    (r"\mu(z_t, w, t) = \frac{z_t}{\sqrt{1-\beta_t}} - \frac{\beta_t}{\sqrt{1-\beta_t}\sqrt{1-\alpha_t}} g(z_t, w, t),"
     r"\quad \alpha_t = \prod_{s=1}^{t}(1-\beta_s)", None, ["exact", "exact"]),
    (r"\mu(z_t, w, t) = \frac{z_t}{\sqrt{1-\beta_t}} - \frac{\beta_t}{\sqrt{1-\beta_t}(1-\alpha_t)} g(z_t, w, t),"
     r"\quad \alpha_t = \prod_{s=1}^{t}(1-\beta_s)", None, ["inconsistent", "exact"]),
    # the data from the state and the noise, in DDIM's α (stated by the claim): the relation reader honours it
    (r"x = \frac{z_t - \sqrt{1-\alpha_t}\,\epsilon}{\sqrt{\alpha_t}}", "ddim", ["exact"]),
    (r"x = \frac{z_t - (1-\alpha_t)\,\epsilon}{\sqrt{\alpha_t}}", "ddim", ["inconsistent"]),
])
def test_latent_notation_of_books(text, notation, verdicts):
    assert claim_verdicts(text, notation) == verdicts


def test_z_as_state_rule_keeps_noise_z():
    from scoresde.formulas.latent_state import z_as_state

    assert z_as_state(r"x_{t-1} = x_t + \sigma_t z") is None  # x is the state: z is noise
    assert z_as_state(r"z_t = a z_{t-1} + b z") is None  # a bare z beside indexed ones is a noise sample
    assert z_as_state(r"z_t = a z_{t-1} + b\epsilon") == r"x_t = a x_{t-1} + b\epsilon"


@pytest.mark.parametrize("text, notation, verdicts", [
    # Prince's Norm_z[μ, Σ] and square-bracket arguments (here a forward step and a posterior in Ho's own symbols)
    (r"q(z_t \mid z_{t-1}) = \mathrm{Norm}_{z_t}\left[\sqrt{1-\beta_t}\, z_{t-1}, \beta_t I\right]", None, ["exact"]),
    (r"q(z_t \mid z_{t-1}) = \mathrm{Norm}_{z_t}\left[\sqrt{1-\beta_t}\, z_{t-1}, \sqrt{\beta_t} I\right]", None,
     ["inconsistent"]),
    (r"z_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\left(z_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}} g_t[z_t, \phi_t]\right) "
     r"+ \sqrt{\beta_t}\,\epsilon", None, ["exact"]),
    (r"z_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\left(z_t - \frac{\beta_t}{1-\bar\alpha_t} g_t[z_t, \phi_t]\right) "
     r"+ \sqrt{\beta_t}\,\epsilon", None, ["inconsistent"]),
    # a noise-network loss whose input has the signal and noise coefficients swapped is wrong (never "a valid kernel")
    (r"L(w) = \|g(\sqrt{\alpha_t}\, x + \sqrt{1-\alpha_t}\,\epsilon, w, t) - \epsilon\|^2", "ddim", ["exact"]),
    (r"L(w) = \|g(\sqrt{1-\alpha_t}\, x + \sqrt{\alpha_t}\,\epsilon, w, t) - \epsilon\|^2", "ddim", ["inconsistent"]),
    (r"L = \mathbb{E}\left[\|\epsilon - \epsilon_\theta(\sqrt{1-\bar\alpha_t}\, x_0 + \sqrt{\bar\alpha_t}\,\epsilon, t)\|^2\right]",
     None, ["inconsistent"]),
])
def test_prince_brackets_and_book_networks(text, notation, verdicts):
    assert claim_verdicts(text, notation) == verdicts


def test_square_brackets_that_are_not_calls():
    from scoresde.formulas.book_notation import square_bracket_calls

    for text in (r"t \in [0, T]", r"\mathbb{E}_{t \sim \mathcal{U}[1, T]}\left[\|x\|^2\right]", r"\sqrt[3]{x}", r"a[b]"):
        assert square_bracket_calls(text) == text
    assert square_bracket_calls(r"f_t[x, \phi]") == r"f_t(x, \phi)"


@pytest.mark.parametrize("notation, verdicts", [
    ("ddpm", ["inconsistent"]),  # stated DDPM notation: α_t = 1 − β_t is one step's coefficient
    ("ddim", ["exact"]),  # DDIM's α = ᾱ: the same formula is the DDPM objective
])
def test_objective_kernel_in_the_stated_notation(notation, verdicts):
    text = r"\mathcal{L} = \mathbb{E}_{k, x_0, \xi}\left[\|\xi - \epsilon_\theta(\sqrt{\alpha_k}\, x_0 + \sqrt{1-\alpha_k}\,\xi, k)\|^2\right]"
    assert claim_verdicts(text, notation) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # the SDEs with the marginals of dx = f dt + g dw, one per diffusion σ(t) (Su 2022, 生成扩散模型漫谈（六）)
    (r"dx = \left[f(x, t) - \frac{1}{2}\left(g(t)^2 - \sigma(t)^2\right)\nabla_x \log p_t(x)\right]dt + \sigma(t)\,dw", ["exact"]),
    (r"dx = \left[f(x, t) - \frac{1}{2}\left(g(t)^2 + \sigma(t)^2\right)\nabla_x \log p_t(x)\right]dt + \sigma(t)\,d\bar{w}", ["exact"]),
    (r"dx = \left[f(x, t) - \frac{1}{2}\left(g(t)^2 - \sigma(t)^2\right)\nabla_x \log p_t(x)\right]dt + \sigma(t)\,d\bar{w}",
     ["inconsistent"]),
    (r"dx = \left[f(x, t) - \left(g(t)^2 - \sigma(t)^2\right)\nabla_x \log p_t(x)\right]dt + \sigma(t)\,dw", ["inconsistent"]),
    (r"dx = \left[f(x, t) - \frac{1}{2}\left(g(t)^2 - \sigma(t)^2\right)\nabla_x \log p_t(x)\right]dt + \sigma(t)^2\,dw",
     ["inconsistent"]),
])
def test_marginal_preserving_sde_family(text, verdicts):
    assert claim_verdicts(text) == verdicts


def test_sde_family_tie_rejects_a_wrong_member():
    import sympy as sp

    from scoresde.formulas import canon as C
    from scoresde.formulas.registry import REGISTRY

    e = REGISTRY["sde_family.forward"]
    assert e.tie(e)[0]
    bad = e.with_forms({"drift": C.FX - (C.G(C.t) ** 2 + C.SIGMA(C.t) ** 2) / 2 * C.s})
    ok, detail = bad.tie(bad)
    assert not ok and "Fokker–Planck" in detail
    assert sp.simplify(REGISTRY["sde_family.reverse"].diff2 - C.SIGMA(C.t) ** 2) == 0


@pytest.mark.parametrize("text, verdicts", [
    # a guided score named by its arguments (state, label, scale), with ln for log (Bishop & Bishop 2024, Sec. 20.4)
    (r"\mathrm{score}(z, y, \gamma) = \nabla_{z}\ln p(z) + \gamma\nabla_{z}\ln p(y \mid z)", ["exact"]),
    (r"\mathrm{score}(z, y, \gamma) = \nabla_{z}\ln p(z) - \gamma\nabla_{z}\ln p(y \mid z)", ["inconsistent"]),
    (r"\mathrm{score}(z, y, \gamma) = (1-\gamma)\nabla_{z}\ln p(z) + \gamma\nabla_{z}\ln p(z \mid y)", ["exact"]),
    (r"\mathrm{score}(z, y, \gamma) = \gamma\nabla_{z}\ln p(z) + (1-\gamma)\nabla_{z}\ln p(z \mid y)", ["inconsistent"]),
])
def test_guided_score_named_by_its_arguments(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # the product written from the top down (Su 2022), read in DDPM's or Su's notation, whichever the cell fits
    (r"x_k = \sqrt{\alpha_k\alpha_{k-1}\cdots\alpha_1}\, x_0 + \sqrt{1 - \alpha_k\cdots\alpha_1}\,\xi", ["exact"]),
    (r"x_k = (\alpha_k\cdots\alpha_1)\, x_0 + \sqrt{1 - (\alpha_k\cdots\alpha_1)^2}\,\xi", ["exact"]),
    (r"x_k = (\alpha_k\cdots\alpha_1)\, x_0 + \sqrt{1 - \alpha_k\cdots\alpha_1}\,\xi", ["inconsistent"]),
    (r"x_k = (\alpha_k\cdots\alpha_1)\, x_0 + (1 - (\alpha_k\cdots\alpha_1)^2)\,\xi", ["inconsistent"]),
    # with β beside it the product is Ho's ᾱ (α_s = 1 − β_s): Su's reading is not tried
    (r"x_k = (\alpha_k\cdots\alpha_1)\, x_0 + \sqrt{1 - (\alpha_k\cdots\alpha_1)^2}\,\xi,\quad \alpha_s = 1 - \beta_s",
     ["inconsistent"]),
    # Bishop's Langevin iterations z^{(τ)}: the bracketed superscript is the iteration index
    (r"z^{(\tau+1)} = z^{(\tau)} + \delta\nabla_{z}\ln p(z^{(\tau)}) + \sqrt{2\delta}\,\epsilon^{(\tau)}", ["exact"]),
    (r"z^{(\tau+1)} = z^{(\tau)} + \delta\nabla_{z}\ln p(z^{(\tau)}) + \sqrt{\delta}\,\epsilon^{(\tau)}", ["inconsistent"]),
])
def test_products_from_the_top_and_iteration_superscripts(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # the Gaussian kernel's score under other letters, σ as a conditioning argument, ln for log
    (r"\nabla_{y}\ln q(y \mid x, \sigma) = \frac{x - y}{\sigma^2}", ["exact"]),
    (r"\nabla_{y}\ln q_\sigma(y \mid x) = -\frac{y - x}{\sigma}", ["inconsistent"]),
    (r"\nabla_{y}\ln q(y \mid x, \sigma) = \frac{y - x}{\sigma^2}", ["inconsistent"]),
])
def test_kernel_score_under_other_letters(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # a Gaussian and its score stated in one cell, in the cell's own symbols (here a_s, b_s and y)
    (r"q_s(y \mid x_0) = \mathcal{N}(y; a_s x_0, b_s^2 I),\quad \nabla_y \log q_s(y \mid x_0) = \frac{a_s x_0 - y}{b_s^2}", ["exact"]),
    (r"q_s(y \mid x_0) = \mathcal{N}(y; a_s x_0, b_s^2 I),\quad \nabla_y \log q_s(y \mid x_0) = \frac{a_s x_0 - y}{b_s}",
     ["inconsistent"]),
    (r"q_s(y \mid x_0) = \mathcal{N}(y; a_s x_0, b_s^2 I),\quad \nabla_y \log q_s(y \mid x_0) = \frac{x_0 - y}{b_s^2}",
     ["inconsistent"]),
])
def test_gaussian_and_its_score_in_one_cell(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # the flow-matching notation: X_{t+h} with step h, the vector field u_t(X_t) and the diffusion σ_t beside it
    (r"Y_{t+h} = Y_t + h\,u_t(Y_t) + \sigma_t\sqrt{h}\,\xi", ["unparsed"]),  # Y is no state of the vocabulary
    (r"X_{t+h} = X_t + u_t(X_t)\,h + \sigma_t\sqrt{h}\,z", ["exact"]),
    (r"X_{t+h} = X_t + u_t(X_t)\,h + \sigma_t^2\sqrt{h}\,z", ["inconsistent"]),
    (r"X_{t+h} = X_t + u_t(X_t)\,\sqrt{h} + \sigma_t\sqrt{h}\,z", ["inconsistent"]),
])
def test_flow_matching_euler_maruyama(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # a step or a marginal written at a concrete index is the general formula at that index
    (r"q(x_3 \mid x_2) = \mathcal{N}(x_3; \sqrt{1-\beta_3}\,x_2, \beta_3 I)", ["exact"]),
    (r"q(x_3 \mid x_2) = \mathcal{N}(x_3; (1-\beta_3)\,x_2, \beta_3 I)", ["inconsistent"]),
    (r"x_1 = \sqrt{\bar\alpha_1}\, x_0 + \sqrt{1-\bar\alpha_1}\,\xi", ["exact"]),  # x_0: the data (the marginal at t = 1)
    (r"x_1 = \sqrt{\bar\alpha_1}\, x_0 + (1-\bar\alpha_1)\,\xi", ["inconsistent"]),
    # Bishop's first step in the latent notation (z_1 from the data x), with an equation tag
    (r"q(z_1 \mid x) = \mathcal{N}(z_1 \mid \sqrt{1-\beta_1}\,x, \beta_1 I) \tag{3}", ["exact"]),
    (r"q(z_1 \mid x) = \mathcal{N}(z_1 \mid \sqrt{1-\beta_1}\,x, \beta_1^2 I) \tag{3}", ["inconsistent"]),
])
def test_formulas_at_a_concrete_index(text, verdicts):
    assert claim_verdicts(text) == verdicts


@pytest.mark.parametrize("text, verdicts", [
    # Su's ᾱ_t, β̄_t as the kernel of dx = f_t x dt + g_t dw: its relations to f_t, g_t, written other ways round
    (r"\ln\bar\alpha_t = \int_0^t f_s\,ds,\quad \frac{d}{dt}\left(\frac{\bar\beta_t^2}{\bar\alpha_t^2}\right) = \frac{g_t^2}{\bar\alpha_t^2}",
     ["exact", "exact"]),
    (r"\ln\bar\alpha_t = \int_0^t f_s\,ds,\quad \frac{d}{dt}\left(\frac{\bar\beta_t^2}{\bar\alpha_t^2}\right) = \frac{g_t^2}{\bar\alpha_t}",
     ["exact", "inconsistent"]),
    (r"\frac{d\bar\beta_t}{dt} = f_t\bar\beta_t + \frac{g_t^2}{2\bar\beta_t},\quad \bar\alpha_t^2 = 1 - \bar\beta_t^2",
     ["exact", "exact"]),  # the second is Su's VP relation: an identity of his notation (identities.py)
    (r"\frac{d\bar\beta_t}{dt} = f_t\bar\beta_t + \frac{g_t^2}{\bar\beta_t},\quad \bar\alpha_t^2 = 1 - \bar\beta_t^2",
     ["inconsistent", "exact"]),
])
def test_su_linear_sde_kernel_relations(text, verdicts):
    assert claim_verdicts(text) == verdicts


def test_latent_reading_keeps_the_gradient_variable():
    from scoresde.formulas.latent_state import z_as_state

    assert z_as_state(r"\nabla_{y}\log q(z_t) = \frac{a_t w - z_t}{b_t^2}") is None  # a gradient in another variable
    assert z_as_state(r"\nabla_{z_t}\log q(z_t) = -\epsilon/b_t") == r"\nabla_{x_t}\log q(x_t) = -\epsilon/b_t"


def test_python_slices_are_not_calls():
    from scoresde.formulas.book_notation import square_bracket_calls

    assert square_bracket_calls(r"std[:, None, None] \cdot x") == r"std[:, None, None] \cdot x"
