"""The reader's general rules (issue 13, area "reader"): LaTeX as pasted, left sides that are not one name,
iteration superscripts, time arguments as step indices, priors as Gaussians, SNR step sizes.

Formulas here are NOT copies of the corpus: other equations of the same papers, the same formula in another
LaTeX style, and perturbed copies that must not be exact.
"""
from __future__ import annotations

import pytest

from scoresde.formulas.check import verify_formula
from scoresde.formulas.normalize import normalize_latex
from scoresde.formulas.parse import parse


def _one(text: str, target=None):
    vs = verify_formula(text, target, numeric=False)
    assert len(vs) == 1, [v.verdict for v in vs]
    return vs[0]


# ----------------------------------------------------------------------------- macros
@pytest.mark.parametrize("src, want", [
    (r"\mathcal{N}(\boldsymbol{0}, \mathbf{I})", r"\mathcal{N}(0,\mathbf{I})"),
    (r"i = 1, \ldots, N", r"i=1,\dots,N"),
    (r"x_1, \cdots, x_N", r"x_1,\dots,x_N"),
    (r"x_1 + \cdot\cdot\cdot + x_N", r"x_1+\dots+x_N"),
])
def test_macro_table(src, want):
    assert normalize_latex(src).replace(" ", "") == want


def test_font_around_a_number_is_the_number():
    p = parse(normalize_latex(r"p(\mathbf{y}_T) = \mathcal{N}(\mathbf{y}_T; \bm{0}, \mathbf{I})"))
    assert len(p.sides) == 2


# ----------------------------------------------------------------------------- priors
@pytest.mark.parametrize("text, target", [
    (r"\mathbf{x}_T \sim \mathcal{N}(\mathbf{0}, \mathbf{I})", "prior.vp.logp"),               # Ho et al. Alg. 2, line 1
    (r"p_T(\mathbf{z}) := \mathcal{N}(\mathbf{z}; \boldsymbol{0}, \mathbf{I})", "prior.vp.logp"),
    (r"p(\mathbf{x}(T)) = \mathcal{N}(\mathbf{x}(T); \mathbf{0}, \sigma_{\max}^2 \mathbf{I})", "prior.ve.logp"),
    (r"\mathbf{x}_N \sim \mathcal{N}(\mathbf{0}, \sigma_{\max}^2\mathbf{I})", "prior.ve.logp"),  # Song et al. Alg. 2, line 1
])
def test_prior_gaussians_are_exact(text, target):
    v = _one(text)
    assert (v.verdict, v.target) == ("exact", target), v.detail


@pytest.mark.parametrize("text, term", [
    (r"p_T(\mathbf{x}) = \mathcal{N}(\mathbf{x}; \mathbf{0}, \sigma_{\max}\mathbf{I})", "variance"),   # σ for σ²
    (r"p_T(\mathbf{x}) = \mathcal{N}(\mathbf{x}; \mathbf{1}, \mathbf{I})", "mean.other"),              # wrong mean
    (r"\mathbf{x}_T \sim \mathcal{N}(\mathbf{0}, 2\mathbf{I})", "variance"),
    (r"\mathbf{x}_0 \sim \mathcal{N}(\mathbf{0}, t_0\,\mathbf{I})", "variance"),  # EDM Alg. 1 line 1 with t_0 for t_0²
])
def test_perturbed_priors_are_inconsistent(text, term):
    """A wrong prior names the piece of N(mean, cov) that differs, not the whole log-density."""
    v = _one(text)
    assert v.verdict == "inconsistent" and v.terms == [term], v.detail


@pytest.mark.parametrize("text", [
    r"\mathbf{x}_0 \sim \mathcal{N}(\mathbf{0}, t_0^2\,\mathbf{I})",        # Karras et al. 2022, Alg. 1-2, line 1
    r"\mathbf{x}_0 \sim \mathcal{N}(\mathbf{0}, \sigma_0^2\mathbf{I})",
])
def test_first_sample_of_a_descending_loop_is_the_prior(text):
    """x_0 ~ N(0, t_0² I): the variance's noise level has the state's own index, so x_0 is the loop's first sample."""
    v = _one(text)
    assert (v.verdict, v.target) == ("exact", "prior.ve.logp"), v.detail
    assert any("first sample" in n for n in v.notes)


def test_a_kernel_is_not_a_prior():
    v = _one(r"q(\mathbf{x}_t \mid \mathbf{x}_0) = \mathcal{N}(\mathbf{x}_t; \sqrt{\bar\alpha_t}\mathbf{x}_0, (1-\bar\alpha_t)\mathbf{I})")
    assert v.verdict == "exact" and v.target != "prior.vp.logp"


# ----------------------------------------------------------------------------- solving for the unknown
def test_increment_form_is_solved_for_the_new_state():
    # both states only on the left: which one it determines is ambiguous, so it is not guessed
    u = _one(r"\mathbf{x}_i - \sqrt{1-\beta_i}\,\mathbf{x}_{i-1} = \sqrt{\beta_i}\,\mathbf{z}_{i-1}")
    assert u.verdict == "unparsed"
    # Song et al. Eq. 10 written as an increment
    v = _one(r"\mathbf{x}_i - \mathbf{x}_{i-1} = (\sqrt{1-\beta_i} - 1)\,\mathbf{x}_{i-1} + \sqrt{\beta_i}\,\mathbf{z}_{i-1}")
    assert v.verdict == "exact", v.detail
    w = _one(r"\mathbf{x}_i - \mathbf{x}_{i-1} = -\beta_i\mathbf{x}_{i-1} + \sqrt{\beta_i}\,\mathbf{z}_{i-1}")
    assert w.verdict == "inconsistent" and w.terms == ["mean.x"], w.detail


def test_scaled_left_side_is_solved():
    # Ho et al. Eq. 4 reparameterised, written with the state scaled on the left
    v = _one(r"\frac{\mathbf{x}_t}{\sqrt{\bar\alpha_t}} = \mathbf{x}_0 + \sqrt{\frac{1-\bar\alpha_t}{\bar\alpha_t}}\boldsymbol{\epsilon}")
    assert v.verdict == "exact", v.detail
    w = _one(r"\frac{\mathbf{x}_t}{\sqrt{\bar\alpha_t}} = \mathbf{x}_0 + \frac{1-\bar\alpha_t}{\bar\alpha_t}\boldsymbol{\epsilon}")
    assert w.verdict != "exact"


# ----------------------------------------------------------------------------- time arguments as step indices
def test_time_arguments_are_step_indices():
    # the VE chain of Song et al. App. B, stepping backwards (x(t) from x(t − Δt))
    v = _one(r"\mathbf{x}(t) = \mathbf{x}(t-\Delta t) + \sqrt{\sigma(t)^2 - \sigma(t-\Delta t)^2}\,\mathbf{z}(t-\Delta t)")
    assert v.verdict == "exact", v.detail
    w = _one(r"\mathbf{x}(t) = \mathbf{x}(t-\Delta t) + \sqrt{\sigma(t) - \sigma(t-\Delta t)}\,\mathbf{z}(t-\Delta t)")
    assert w.verdict == "inconsistent" and w.terms == ["variance"], w.detail


def test_euler_forms_are_consistent_and_only_the_wrong_piece_is_named():
    # VP Euler–Maruyama forward step, β(t)Δt written as a product at the end
    v = _one(r"\mathbf{x}(t+\Delta t) = \left(1 - \tfrac12\beta(t)\Delta t\right)\mathbf{x}(t) + \sqrt{\Delta t\,\beta(t)}\,\mathbf{z}(t)")
    assert v.verdict == "consistent", v.detail
    w = _one(r"\mathbf{x}(t+\Delta t) = \left(1 - \tfrac12\beta(t)\Delta t\right)\mathbf{x}(t) + \sqrt{\Delta t}\,\beta(t)\,\mathbf{z}(t)")
    assert w.verdict == "inconsistent" and w.terms == ["variance"], w.detail
    # VE Euler with the derivative written with a dot
    u = _one(r"\mathbf{x}(t+\Delta t) = \mathbf{x}(t) + \sqrt{2\sigma(t)\dot\sigma(t)\Delta t}\,\mathbf{z}(t)")
    assert u.verdict == "consistent", u.detail
    y = _one(r"\mathbf{x}(t+\Delta t) = \mathbf{x}(t) + \sqrt{\sigma(t)\dot\sigma(t)\Delta t}\,\mathbf{z}(t)")
    assert y.verdict == "inconsistent", y.detail


# ----------------------------------------------------------------------------- iteration superscripts
def test_iteration_superscripts_are_indices():
    # Song & Ermon 2019, Alg. 1 line 6 rewritten with Song et al.'s superscript iteration index
    v = _one(r"\tilde{\mathbf{x}}_i^{j+1} = \tilde{\mathbf{x}}_i^{j} + \frac{\alpha_i}{2}\mathbf{s}_\theta(\tilde{\mathbf{x}}_i^{j}, \sigma_i) + \sqrt{\alpha_i}\,\mathbf{z}_i^{j+1}")
    assert v.verdict == "exact", v.detail
    w = _one(r"\tilde{\mathbf{x}}_i^{j+1} = \tilde{\mathbf{x}}_i^{j} + \alpha_i\mathbf{s}_\theta(\tilde{\mathbf{x}}_i^{j}, \sigma_i) + \sqrt{\alpha_i}\,\mathbf{z}_i^{j+1}")
    # the score's α_i/2 lost its 1/2: the term off Alg. 1's published form is the score step (langevin_terms.py)
    assert w.verdict == "inconsistent" and w.terms == ["mean.score"], w.detail


def test_a_square_is_still_a_power():
    p = parse(r"y = x_i^2")
    assert "2" in str(p.sides[1]) or p.sides[1].is_Pow


# ----------------------------------------------------------------------------- SNR step size
def test_snr_step_size_with_an_indexed_epsilon():
    v = _one(r"\epsilon_j = 2\left(\frac{r\,\|\mathbf{z}\|}{\|\mathbf{s}_\theta(\mathbf{x}_i^{j-1}, \sigma_i)\|}\right)^2")
    assert (v.verdict, v.target) == ("exact", "ve.langevin_snr"), v.detail
    w = _one(r"\epsilon_j = 2\left(\frac{r\,\|\mathbf{s}_\theta\|}{\|\mathbf{z}\|}\right)^2")
    assert w.verdict == "inconsistent", w.detail


# ----------------------------------------------------------------------------- G(x, t): Song et al. Eq. 15-17
def test_forward_sde_with_a_diffusion_matrix():
    v = _one(r"d\mathbf{x} = \mathbf{f}(\mathbf{x}, t)\,dt + \mathbf{G}(\mathbf{x}, t)\,d\mathbf{w}_t")
    assert (v.verdict, v.target) == ("exact", "sde.forward_G"), v.detail


def test_reverse_sde_and_pf_ode_with_a_diffusion_matrix_in_another_style():
    # square brackets and \intercal instead of braces and \top; G G^T and the divergence written in another order
    rev = (r"d\mathbf{x} = \left[\mathbf{f}(\mathbf{x},t) - \mathbf{G}(\mathbf{x},t)\mathbf{G}(\mathbf{x},t)^\intercal"
           r"\nabla_{\mathbf{x}}\log p_t(\mathbf{x}) - \nabla\cdot\left(\mathbf{G}(\mathbf{x},t)\mathbf{G}(\mathbf{x},t)^\intercal\right)\right]dt"
           r" + \mathbf{G}(\mathbf{x},t)\,d\bar{\mathbf{w}}")
    v = _one(rev)
    assert (v.verdict, v.target) == ("exact", "reverse.sde_G"), v.detail
    w = _one(rev.replace(r"- \nabla\cdot", r"- \frac{1}{2}\nabla\cdot"))
    assert w.verdict == "inconsistent" and w.terms == ["drift"] and w.target == "reverse.sde_G", w.detail
    pf = (r"\frac{d\mathbf{x}}{dt} = \mathbf{f}(\mathbf{x},t) - \frac12\nabla\cdot[\mathbf{G}(\mathbf{x},t)\mathbf{G}(\mathbf{x},t)^\top]"
          r" - \frac12\mathbf{G}(\mathbf{x},t)\mathbf{G}(\mathbf{x},t)^\top\nabla_{\mathbf{x}}\log p_t(\mathbf{x})")
    u = _one(pf)
    assert (u.verdict, u.target) == ("exact", "pf.ode_G"), u.detail
    y = _one(pf.replace(r"- \frac12\mathbf{G}", r"- \mathbf{G}"))
    assert y.verdict == "inconsistent" and y.terms == ["drift"], y.detail


# ----------------------------------------------------------------------------- moments (Särkkä & Solin; Song App. B)
@pytest.mark.parametrize("text, target", [
    (r"\frac{\mathrm{d}\mathbf{m}(t)}{\mathrm{d}t} = f(t)\,\mathbf{m}(t)", "moments.mean_ode"),
    (r"\frac{d\mathbf{P}(t)}{dt} = 2f(t)\mathbf{P}(t) + g(t)^2\mathbf{I}", "moments.cov_ode"),
    (r"\dot{\boldsymbol\Sigma}(t) = \beta(t)\left(1 - e^{-2\int_0^t\beta(s)ds}\right)\mathbf{I} - \beta(t)\boldsymbol\Sigma(t)", "subvp.moments.cov_ode"),
    (r"\frac{d\boldsymbol\Sigma_{\text{VE}}(t)}{dt} = \frac{d[\sigma(t)^2]}{dt}\mathbf{I}", "ve.moments.cov_ode"),
    (r"\mathbf{e}_{\text{VP}}(t) = e^{-\frac12\int_0^t\beta(s)ds}\,\mathbf{e}_{\text{VP}}(0)", "vp.moments.mean"),
    (r"\boldsymbol\Sigma_{\text{VP}}(t) = e^{-\int_0^t\beta(s)ds}\boldsymbol\Sigma_{\text{VP}}(0) + \left(1 - e^{-\int_0^t\beta(s)ds}\right)\mathbf{I}", "vp.moments.cov"),
])
def test_moment_equations_are_exact(text, target):
    v = _one(text)
    assert (v.verdict, v.target) == ("exact", target), v.detail


@pytest.mark.parametrize("text", [
    r"\frac{d\boldsymbol\Sigma_{\text{VP}}(t)}{dt} = \beta(t)(\mathbf{I} - 2\boldsymbol\Sigma_{\text{VP}}(t))",
    r"\frac{d\mathbf{e}_{\text{VP}}(t)}{dt} = \frac{1}{2}\beta(t)\mathbf{e}_{\text{VP}}(t)",
    r"\boldsymbol\Sigma_{\text{VE}}(t) = \boldsymbol\Sigma_{\text{VE}}(0) + \sigma(t)^2\mathbf{I}",
    r"\boldsymbol\Sigma_{\text{VP}}(t) = \mathbf{I} + e^{-\frac12\int_0^t\beta(s)ds}(\boldsymbol\Sigma_{\text{VP}}(0) - \mathbf{I})",
])
def test_perturbed_moment_equations_are_inconsistent(text):
    v = _one(text)
    assert v.verdict == "inconsistent" and v.terms == ["rhs"], v.detail


def test_a_dotted_symbol_is_not_the_undotted_one():
    p = parse(r"\dot{\Sigma}(t) = \Sigma(t)")
    assert p.sides[0] != p.sides[1]


def test_g_ties_catch_a_wrong_divergence_term():
    from scoresde.formulas import canon as C
    from scoresde.formulas.registry import REGISTRY

    for name in ("reverse.sde_G", "pf.ode_G"):
        e = REGISTRY[name]
        assert e.tie(e)[0]
        assert not e.tie(e.with_forms({"drift": e.drift + C.DIVGG}))[0]


# ----------------------------------------------------------------------------- pieces of an SDE, each judged
def test_drift_and_diffusion_pair_is_judged_piece_by_piece():
    # the sub-VP SDE's pair (Song et al. Eq. 12) in plain style
    vs = verify_formula(r"f(x, t) = -\tfrac12\beta(t)x,\qquad g(t) = \sqrt{\beta(t)\left(1 - e^{-2\int_0^t\beta(s)\,ds}\right)}", numeric=False)
    assert [v.verdict for v in vs] == ["exact", "exact"], [v.detail for v in vs]
    assert vs[1].target == "subvp.sde.g2"
    ws = verify_formula(r"f(x, t) = -\tfrac12\beta(t)x,\qquad g(t) = \beta(t)\left(1 - e^{-2\int_0^t\beta(s)\,ds}\right)", numeric=False)
    assert [w.verdict for w in ws] == ["exact", "inconsistent"] and ws[1].terms == ["diffusion"], [w.detail for w in ws]
    ys = verify_formula(r"\mathbf{f}(\mathbf{x}, t) = \tfrac12\beta(t)\mathbf{x}, \quad g(t)^2 = \beta(t)", numeric=False)
    assert [y.verdict for y in ys] == ["inconsistent", "exact"] and ys[0].terms == ["drift"], [y.detail for y in ys]


def test_probability_flow_drift_definition():
    v = _one(r"\tilde{\mathbf{f}}(\mathbf{x}, t) = -\frac{1}{2}\frac{d[\sigma^2(t)]}{dt}\nabla_{\mathbf{x}}\log p_t(\mathbf{x})")
    assert (v.verdict, v.target) == ("exact", "ve.pf_ode.drift"), v.detail
    w = _one(r"\tilde{\mathbf{f}}(\mathbf{x}, t) = -\frac{d[\sigma^2(t)]}{dt}\nabla_{\mathbf{x}}\log p_t(\mathbf{x})")
    assert w.verdict == "inconsistent" and w.terms == ["drift"], w.detail


def test_log_density_along_the_flow():
    v = _one(r"\frac{d}{dt}\log p_t(\mathbf{x}(t)) = -\nabla\cdot\tilde{\mathbf{f}}_\theta(\mathbf{x}(t), t)")
    assert (v.verdict, v.target) == ("exact", "likelihood.logp_ode"), v.detail
    w = _one(r"\frac{d}{dt}\log p_t(\mathbf{x}(t)) = \nabla\cdot\tilde{\mathbf{f}}_\theta(\mathbf{x}(t), t)")
    assert w.verdict == "inconsistent", w.detail


# ----------------------------------------------------------------------------- what must not be judged
@pytest.mark.parametrize("text", [
    r"\mathbf{x}_i \leftarrow \mathbf{x}_i + \sqrt{\beta_{i+1}}\,\mathbf{z}",           # second half of a predictor line
    r"\mathbf{g} \leftarrow \mathbf{s}_{\theta^*}(\mathbf{x}_i^{j-1}, \sigma_i)",        # Alg. 4 names the score g
    r"p_t(\mathbf{x}) = \mathcal{N}(\mathbf{x}; \mathbf{0}, (1 + \sigma^2(t))\mathbf{I})",  # a marginal, not a kernel
])
def test_lines_that_are_not_a_whole_claim_are_not_judged(text):
    assert _one(text).verdict == "unparsed"


def test_where_data_come_from_is_a_declaration():
    vs = verify_formula(r"\mathbf{x}(0) \sim p_{\text{data}}, \quad d\mathbf{x} = \sqrt{2\sigma(t)\dot\sigma(t)}\,d\mathbf{w}", numeric=False)
    assert [v.verdict for v in vs] == ["exact"]


# ----------------------------------------------------------------------------- prior log-densities in other styles
@pytest.mark.parametrize("text, target", [
    (r"\log p_T(\mathbf{x}) = -\frac{d}{2}\log(2\pi) - \frac{1}{2}\mathbf{x}^\top\mathbf{x}", "prior.vp.logp"),
    (r"\log p_T(\mathbf{x}) = -\frac{D}{2}\log(2\pi) - \frac{1}{2}\sum_{i=1}^{D} x_i^2", "prior.vp.logp"),
    # Song et al.'s code (VESDE.prior_logp) in LaTeX, N the dimension
    (r"\log p_T(\mathbf{z}) = -\frac{N}{2}\log(2\pi\sigma_{\max}^2) - \frac{\sum_i z_i^2}{2\sigma_{\max}^2}", "prior.ve.logp"),
])
def test_prior_log_density_styles(text, target):
    v = _one(text)
    assert (v.verdict, v.target) == ("exact", target), v.detail


def test_prior_log_density_perturbed():
    v = _one(r"\log p_T(\mathbf{x}) = -\frac{d}{2}\log(2\pi) - \mathbf{x}^\top\mathbf{x}")
    assert v.verdict == "inconsistent" and v.terms == ["rhs"], v.detail


def test_squared_norm_spellings():
    assert normalize_latex(r"\frac{\sum_i z_i^2}{2}") == r"\frac{\|z\|^2}{2}"
    assert normalize_latex(r"\mathbf{x}^\top\mathbf{x}_0") == r"\mathbf{x}\mathbf{x}_0"  # not a norm: another vector


def test_log_of_a_gaussian_is_its_log_density_not_a_kernel():
    # read as the log-density written out (gauss_logpdf.py, session 8), never as a kernel of x
    v = _one(r"\log \mathcal{N}(\mathbf{x}; \mathbf{0}, \mathbf{I}) = -\frac{d}{2}\log(2\pi) - \frac{\|\mathbf{x}\|^2}{2}")
    assert v.verdict == "exact" and "kernel" not in (v.claim or ""), (v.claim, v.detail)
    v = _one(r"\log \mathcal{N}(\mathbf{x}; \mathbf{0}, \mathbf{I}) = -\frac{d}{2}\log(2\pi) - \|\mathbf{x}\|^2")
    assert v.verdict == "inconsistent", v.detail


def test_ve_marginal_with_sigma0_neglected():
    v = _one(r"\mathbf{x}(t) = \mathbf{x}(0) + \sigma(t)\,\mathbf{z}")
    assert (v.verdict, v.target) == ("exact", "ve.kernel_smld"), v.detail
    w = _one(r"\mathbf{x}(t) = \mathbf{x}(0) + \sigma(t)^2\,\mathbf{z}")
    assert w.verdict == "inconsistent" and w.terms == ["variance"], w.detail


def test_distributed_as_a_gaussian_is_a_step():
    # Song & Ermon 2019, Sec. 4.2: x̃ ~ N(x, σ² I) (was read without its noise)
    v = _one(r"\tilde{\mathbf{x}} \sim \mathcal{N}(\mathbf{x}, \sigma^2\mathbf{I})")
    assert v.verdict == "exact", v.detail
    w = _one(r"\tilde{\mathbf{x}} \sim \mathcal{N}(\mathbf{x}, \sigma\mathbf{I})")
    assert w.verdict == "inconsistent" and w.terms == ["variance"], w.detail


def test_geometric_sigma_next_to_its_parameters():
    # Song et al. App. C: g(t) = σ(t)√(2 log(σ_max/σ_min)) for the geometric σ(t)
    v = _one(r"d\mathbf{x} = \sigma(t)\sqrt{2\log\frac{\sigma_{\max}}{\sigma_{\min}}}\,d\mathbf{w}")
    assert v.verdict == "exact" and v.target in ("ve.sde.geometric", "ve.sde") and "geometric" in (v.target + v.detail), v.detail
    w = _one(r"d\mathbf{x} = \sigma(t)\sqrt{\log\frac{\sigma_{\max}}{\sigma_{\min}}}\,d\mathbf{w}")
    assert w.verdict == "inconsistent" and w.terms == ["diffusion"], w.detail


# ----------------------------------------------------------------------------- Song et al. App. E: f_i, G_i
def test_discretised_sde_and_its_reverse_diffusion_step():
    fwd = r"\mathbf{x}_{i} = \mathbf{x}_{i-1} + \mathbf{f}_{i-1}(\mathbf{x}_{i-1}) + \mathbf{G}_{i-1}\mathbf{z}_{i-1}"
    v = _one(fwd)
    assert (v.verdict, v.target) == ("exact", "chain.discrete_general"), v.detail
    w = _one(fwd.replace(r"\mathbf{G}_{i-1}\mathbf{z}", r"\mathbf{G}_{i-1}^2\mathbf{z}"))
    assert w.verdict == "inconsistent" and w.terms == ["variance"], w.detail
    rev = (r"\mathbf{x}_{i-1} = \mathbf{x}_i - \mathbf{f}_i(\mathbf{x}_i) + \mathbf{G}_i\mathbf{G}_i^\top"
           r"\nabla_{\mathbf{x}}\log p_i(\mathbf{x}_i) + \mathbf{G}_i\mathbf{z}_i")
    u = _one(rev)
    assert (u.verdict, u.target) == ("exact", "reverse_diffusion.general"), u.detail
    y = _one(rev.replace(r"- \mathbf{f}_i", r"+ \mathbf{f}_i"))
    assert y.verdict == "inconsistent" and y.terms == ["mean.other"], y.detail
    pf = _one(r"\mathbf{x}_{i-1} = \mathbf{x}_i - \mathbf{f}_i(\mathbf{x}_i) + \tfrac12\mathbf{G}_i\mathbf{G}_i^\top\mathbf{s}_\theta(\mathbf{x}_i, i)")
    assert (pf.verdict, pf.target) == ("exact", "pf.discrete_general"), pf.detail


def test_euler_maruyama_with_indexed_times():
    v = _one(r"\mathbf{x}_{i} = \mathbf{x}_{i+1} - [\mathbf{f}(\mathbf{x}_{i+1}, t_{i+1}) - g(t_{i+1})^2\mathbf{s}_\theta(\mathbf{x}_{i+1}, t_{i+1})]\Delta t + g(t_{i+1})\sqrt{\Delta t}\,\mathbf{z}_{i+1}")
    assert (v.verdict, v.target) == ("exact", "euler_maruyama"), v.detail


def test_a_mean_coefficient_is_not_a_moment_solution():
    # m(t) is also the kernel's mean coefficient (the marginal mean is m(t) x(0)): not read as e(t) = e(0)·…
    assert _one(r"m(t) = e^{-\frac{1}{2}\int_0^t\beta(s)\,ds}").verdict != "inconsistent"


def test_written_out_product_is_a_product():
    assert normalize_latex(r"\bar\alpha_t = \alpha_1\alpha_2\cdots\alpha_t") == r"\bar\alpha_t = \prod_{s=1}^{t}\alpha_s"
    assert normalize_latex(r"\beta_1 + \beta_2 + \ldots + \beta_{t}") == r"\sum_{s=1}^{t}\beta_s"
    assert _one(r"\bar{\alpha}_t = \alpha_1\cdot\alpha_2\cdots\alpha_t").verdict == "exact"
    assert _one(r"\bar{\alpha}_t = \alpha_1\alpha_2\cdots\alpha_{t-1}").verdict == "inconsistent"


def test_named_upright_function_of_time_is_one_symbol():
    p = parse(normalize_latex(r"\mathrm{SNR}(t) = \frac{\bar\alpha_t}{1-\bar\alpha_t}"))
    assert isinstance(p.sides[0], type(p.sides[0])) and p.sides[0].is_Symbol
    q = parse(normalize_latex(r"\text{sigmoid}(\gamma_\eta(t))"))
    assert not q.sides[0].is_Symbol  # not a time argument: left to the families that define such functions


def test_invertible_left_side_is_peeled():
    # log ᾱ(t) = −∫β (Song et al. App. B) is ᾱ(t) = e^{−∫β}; a log-density keeps its own reading
    v = _one(r"\log\bar\alpha(t) = -\int_0^t\beta(s)\,ds")
    assert (v.verdict, v.target) == ("exact", "vp.abar_continuous"), v.detail
    w = _one(r"\log\bar\alpha(t) = -\frac12\int_0^t\beta(s)\,ds")
    assert w.verdict == "inconsistent", w.detail


def test_noise_with_a_time_argument_is_a_sample():
    v = _one(r"\mathbf{x}(t) = \mathbf{x}(0) + \sqrt{\sigma^2(t) - \sigma^2(0)}\,\mathbf{z}(t)")
    assert (v.verdict, v.target) == ("exact", "ve.kernel"), v.detail


def test_trailing_time_direction_and_subscripted_nabla_and_bar_in_gaussian():
    vs = verify_formula(r"d\mathbf{x} = [\mathbf{f}(\mathbf{x}, t) - g(t)^2 \nabla_\mathbf{x}\log p_t(\mathbf{x})]\,dt + g(t)\,d\bar{\mathbf{w}}, \quad t: T \to 0", numeric=False)
    assert [v.verdict for v in vs] == ["exact"], [v.detail for v in vs]
    v = _one(r"p(\mathbf{x}_T) = \mathcal{N}(\mathbf{x}_T \mid \mathbf{0}, \mathbf{I})")
    assert (v.verdict, v.target) == ("exact", "prior.vp.logp"), v.detail
    assert normalize_latex(r"g(x, t) = 1, \quad y \to 0") == "g(x, t) = 1"
    assert normalize_latex(r"f(x, t \to 0) = 1") == r"f(x, t \to 0) = 1"


def test_plain_math_differentials():
    v = _one("dx = [-0.5*beta(t)*x - beta(t)*score] dt + sqrt(beta(t)) dwbar")
    assert (v.verdict, v.target) == ("exact", "vp.reverse_sde"), v.detail
    w = _one("dx = [-0.5*beta(t)*x - 0.5*beta(t)*score] dt + sqrt(beta(t)) dwbar")
    assert w.verdict == "inconsistent" and w.terms == ["drift"], w.detail
