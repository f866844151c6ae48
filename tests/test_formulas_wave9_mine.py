"""Session 8's integrator rules, each with formulas written for the test (other letters and other papers than the
corpora) and wrong variants that must stay wrong."""
import pytest

from scoresde.formulas import verify_formula

_SDE = r"\mathrm{d}\mathbf{x}_t = f(t)\mathbf{x}_t\,\mathrm{d}t + g(t)\,\mathrm{d}\mathbf{w}_t"
_F = r"f(t) = \frac{\mathrm{d}\log\alpha_t}{\mathrm{d}t}"
_G2 = r"g^2(t) = \frac{\mathrm{d}\sigma_t^2}{\mathrm{d}t} - 2\frac{\mathrm{d}\log\alpha_t}{\mathrm{d}t}\sigma_t^2"


def _vt(tex):
    return [(v.verdict, v.terms) for v in verify_formula(tex, numeric=False)]


@pytest.mark.parametrize("tex,want", [
    # DPM-Solver's linear SDE with f and g² defined through (α_t, σ_t) (Lu et al. 2022a, Eq. 2.3): VDM's pair, g² = E is g = √E
    (rf"{_SDE}, \quad {_F}, \quad {_G2}", [("exact", [])]),
    (rf"{_SDE}, \quad {_F}, \quad g(t)^2 = \frac{{\mathrm{{d}}\sigma_t^2}}{{\mathrm{{d}}t}} - \frac{{\mathrm{{d}}\log\alpha_t}}{{\mathrm{{d}}t}}\sigma_t^2",
     [("inconsistent", ["diffusion"])]),
    (rf"{_SDE}, \quad f(t) = \frac{{\mathrm{{d}}\alpha_t}}{{\mathrm{{d}}t}}, \quad {_G2}", [("inconsistent", ["drift"])]),
    # the same written out in one formula: the derivative of α_t fixes VDM's notation alone
    (r"dz = \frac{d\log\alpha_t}{dt} z\,dt + \sqrt{\frac{d\sigma_t^2}{dt} - 2\frac{d\log\alpha_t}{dt}\sigma_t^2}\,dw", [("exact", [])]),
    (r"dz = \frac{d\log\alpha_t}{dt} z\,dt + \sqrt{\frac{d\sigma_t^2}{dt} + 2\frac{d\log\alpha_t}{dt}\sigma_t^2}\,dw",
     [("inconsistent", ["diffusion"])]),
])
def test_linear_sde_in_alpha_sigma(tex, want):
    assert _vt(tex) == want


@pytest.mark.parametrize("tex,want", [
    (r"\mathbf{x}_T \sim \mathcal{N}(\mathbf{0}, \tilde\sigma^2\mathbf{I})", "exact"),  # Lu et al. 2022a, Sec. 2.1
    (r"x_T \sim \mathcal{N}(1, \tilde\sigma^2 I)", "inconsistent"),
])
def test_prior_with_unnamed_terminal_std(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # Tweedie's data prediction written as a function of the state (Chung et al. 2023, Eq. 6)
    (r"\hat{\mathbf{x}}_0(\mathbf{x}_t) = \frac{1}{\sqrt{\bar\alpha_t}}\left(\mathbf{x}_t + (1-\bar\alpha_t)\nabla_{\mathbf{x}_t}\log p_t(\mathbf{x}_t)\right)", "exact"),
    (r"\hat{x}_0(x_t, t) = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\sqrt{\bar\alpha_t}}", "exact"),
    (r"\hat{x}_0(x_t, t) = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\bar\alpha_t}", "inconsistent"),
])
def test_data_prediction_as_a_function_of_the_state(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # ᾱ(t) chosen as a function of t alone: a valid schedule is consistent (never exact), an invalid one is not
    (r"\bar\alpha(t) = \exp\left(-(10^{-3} + 8t^2)\right)", "consistent"),
    (r"\bar\alpha(t) = e^{-12 t}", "consistent"),
    (r"\bar\alpha(t) = e^{+8t^2}", "inconsistent"),  # above 1
    (r"\bar\alpha(t) = e^{-0.2 t}", "inconsistent"),  # the signal is not destroyed at t = 1
])
def test_abar_as_a_function_of_time(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # a definition at t used at t − 1, and a chain of definitions (σ̃ through σ)
    (r"\tilde\sigma_t = \frac{\sigma_{t-1}}{\sigma_t}\sqrt{\beta_t}, \quad \sigma_t = \sqrt{1-\bar\alpha_t}", ("exact", [])),
    (r"\tilde\sigma_t = \frac{\sigma_{t}}{\sigma_{t-1}}\sqrt{\beta_t}, \quad \sigma_t = \sqrt{1-\bar\alpha_t}", ("inconsistent", ["rhs"])),
    (r"\tilde\mu_t = \frac{\sqrt{\alpha_t}\,\sigma_{t-1}^2 x_t + \sqrt{\bar\alpha_{t-1}}\beta_t x_0}{\sigma_t^2}, \quad \sigma_t^2 = 1-\bar\alpha_t",
     ("exact", [])),
    (r"\tilde\mu_t = \frac{\sqrt{\alpha_t}\,\sigma_{t}^2 x_t + \sqrt{\bar\alpha_{t-1}}\beta_t x_0}{\sigma_t^2}, \quad \sigma_t^2 = 1-\bar\alpha_t",
     ("inconsistent", ["mean.x"])),
])
def test_definitions_at_shifted_indices(tex, want):
    assert _vt(tex) == [want]


@pytest.mark.parametrize("tex,want", [
    # an objective and, after \quad, the sample its network is evaluated at (Ho et al. 2020, Eq. 14 with Eq. 4)
    (r"\mathcal{L} = \mathbb{E}_{t,\mathbf{x}_0,\boldsymbol\epsilon}\left[\|\boldsymbol\epsilon - \boldsymbol\epsilon_\theta(\mathbf{x}_t, t)\|^2\right],"
     r" \quad \mathbf{x}_t = \sqrt{\bar\alpha_t}\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon", "exact"),
    (r"J = \mathbb{E}_{t,y,n}\left[\left\|\sigma_t s_\theta(y_t,t) + n\right\|^2\right], \quad y_t = \alpha_t y + \sigma_t n", None),
    (r"\mathcal{L} = \mathbb{E}_{t,x_0,z}\left[\left\|\sigma_t s_\theta(x_t,t) + z\right\|^2\right], \quad x_t = \alpha_t x_0 + \sigma_t z", "exact"),
    (r"\mathcal{L} = \mathbb{E}_{t,x_0,z}\left[\left\|\sigma_t s_\theta(x_t,t) - z\right\|^2\right], \quad x_t = \alpha_t x_0 + \sigma_t z", "inconsistent"),
    (r"\mathcal{L} = \mathbb{E}_{t,x_0,\epsilon}\left[\|\epsilon - \epsilon_\theta(x_t, t)\|^2\right], \quad x_t = \sqrt{\bar\alpha_t}x_0 + (1-\bar\alpha_t)\epsilon",
     "inconsistent"),
])
def test_objective_with_its_sample_defined_after_it(tex, want):
    if want is None:  # a state letter other than x, z is not a sample this rule reads
        from scoresde.formulas.objective_sample_def import inline_sample_definition

        assert inline_sample_definition(tex) is None
        return
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # a trailing domain with a Greek variable is not an equation (Song & Dhariwal 2023 write σ ∈ [σ_min, σ_max])
    (r"\frac{dx_\sigma}{d\sigma} = -\sigma\nabla_x\log p_\sigma(x_\sigma), \quad \sigma \in [\sigma_{\min}, \sigma_{\max}]", "exact"),
    (r"\frac{dx_\sigma}{d\sigma} = \sigma\nabla_x\log p_\sigma(x_\sigma), \quad \sigma \in [\sigma_{\min}, \sigma_{\max}]", "inconsistent"),
    # Sohl-Dickstein et al. 2015's time superscripts and π\left(…\right) as the prior
    (r"\pi\left(\mathbf{x}^{(T)}\right) = \mathcal{N}\left(\mathbf{x}^{(T)}; \mathbf{0}, \mathbf{I}\right)", "exact"),
    (r"\pi\left(\mathbf{x}^{(T)}\right) = \mathcal{N}\left(\mathbf{x}^{(T)}; \mathbf{0}, \beta_T\mathbf{I}\right)", "inconsistent"),
    (r"q\left(\mathbf{x}^{(t)}\middle|\mathbf{x}^{(t-1)}\right) = \mathcal{N}\left(\mathbf{x}^{(t)}; \sqrt{1-\beta_t}\,\mathbf{x}^{(t-1)}, \beta_t\mathbf{I}\right)", "exact"),
    (r"q\left(\mathbf{x}^{(t)}\middle|\mathbf{x}^{(t-1)}\right) = \mathcal{N}\left(\mathbf{x}^{(t)}; (1-\beta_t)\,\mathbf{x}^{(t-1)}, \beta_t\mathbf{I}\right)", "inconsistent"),
    # a primed state on the left: the step before a correction (Chung et al. 2023, Alg. 1)
    (r"x'_{k-1} = \frac{1}{\sqrt{\alpha_k}}\left(x_k - \frac{\beta_k}{\sqrt{1-\bar\alpha_k}}\epsilon_\theta(x_k, k)\right) + \sigma_k z", "exact"),
    (r"x'_{k-1} = \frac{1}{\sqrt{\alpha_k}}\left(x_k - \frac{\beta_k}{1-\bar\alpha_k}\epsilon_\theta(x_k, k)\right) + \sigma_k z", "inconsistent"),
])
def test_notations_of_older_and_newer_papers(tex, want):
    assert _vt(tex)[0][0] == want


@pytest.mark.parametrize("tex,want", [
    # the noise of a mean written z (notes that write x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) z_t)
    (r"\boldsymbol\mu_\theta(\mathbf{x}_t, t) = \frac{1}{\sqrt{\alpha_t}}\left(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\mathbf{z}_t\right)",
     ("exact", [])),
    (r"\boldsymbol\mu_\theta(\mathbf{x}_t, t) = \frac{1}{\sqrt{\alpha_t}}\left(\mathbf{x}_t - \frac{\beta_t}{\sqrt{1-\alpha_t}}\mathbf{z}_t\right)",
     ("inconsistent", ["mean.eps"])),
])
def test_noise_of_a_mean_written_z(tex, want):
    assert _vt(tex) == [want]


@pytest.mark.parametrize("tex,want", [
    # DDIM (η = 0) in VDM's (α, σ) and in the angular notation, ε̂ the model's estimate at the state stepped from
    (r"z_s = \alpha_s\frac{z_t - \sigma_t\hat\epsilon}{\alpha_t} + \sigma_s\hat\epsilon", ("exact", [])),
    (r"z_s = \alpha_s\frac{z_t - \sigma_t\hat\epsilon}{\alpha_t} + \sigma_t\hat\epsilon", ("inconsistent", ["mean.eps"])),
    (r"x_s = \cos(\phi_s)\frac{x_t - \sin(\phi_t)\hat\epsilon}{\cos(\phi_t)} + \sin(\phi_s)\hat\epsilon", ("exact", [])),
    (r"x_s = \cos(\phi_s)\frac{x_t - \sin(\phi_t)\hat\epsilon}{\cos(\phi_t)} + \sin(\phi_t)\hat\epsilon", ("inconsistent", ["mean.eps"])),
    (r"z_t = \cos(\phi_t)\,x + \sin(\phi_t)\,\epsilon", ("exact", [])),
    (r"z_t = \cos(\phi_t)\,x + \cos(\phi_t)\,\epsilon", ("inconsistent", ["mean.x0", "variance"])),
])
def test_ddim_with_a_hatted_estimate_and_angles(tex, want):
    assert _vt(tex) == [want]


@pytest.mark.parametrize("tex,want", [
    # μ(t) of the data alone: the perturbation kernel's mean (score_sde's marginal_prob mean)
    (r"\boldsymbol\mu(t) = e^{-\frac12\int_0^t\beta(u)\,du}\,\mathbf{x}(0)", ("exact", [])),
    (r"\mu(t) = e^{-\frac14 t^2(\beta_{\max}-\beta_{\min}) - \frac12 t\beta_{\min}}\,x(0)", ("exact", [])),
    (r"\mu(t) = e^{-\frac12 t^2(\beta_{\max}-\beta_{\min}) - \frac12 t\beta_{\min}}\,x(0)", ("inconsistent", ["mean.x0"])),
    (r"\boldsymbol\mu(t) = e^{-\int_0^t\beta(u)\,du}\,\mathbf{x}(0)", ("inconsistent", ["mean.x0"])),
])
def test_mu_of_the_data_is_the_kernel_mean(tex, want):
    assert _vt(tex) == [want]


@pytest.mark.parametrize("tex,want", [
    # k-diffusion's ancestral split written with arrows and get_ancestral_step's from/to names
    (r"\sigma_{\uparrow} = \sqrt{\sigma_{\text{to}}^2(\sigma_{\text{from}}^2-\sigma_{\text{to}}^2)/\sigma_{\text{from}}^2}", ("exact", [])),
    (r"\sigma_{\downarrow} = \sqrt{\sigma_{\text{to}}^2-\sigma_{\uparrow}^2}, \quad \sigma_{\text{from}} > \sigma_{\text{to}}", ("exact", [])),
    (r"\sigma_{\downarrow} = \sqrt{\sigma_{\text{to}}^2+\sigma_{\uparrow}^2}, \quad \sigma_{\text{from}} > \sigma_{\text{to}}", ("inconsistent", ["rhs"])),
])
def test_ancestral_split_with_arrows(tex, want):
    assert _vt(tex) == [want]


@pytest.mark.parametrize("tex,want", [
    # the evidence lower bound (Ho et al. 2020, Eq. 3), other letters and both sign conventions
    (r"\mathbb{E}\left[-\log p_\theta(\mathbf{z}_0)\right] \leq \mathbb{E}_q\left[-\log\frac{p_\theta(\mathbf{z}_{0:N})}{q(\mathbf{z}_{1:N}|\mathbf{z}_0)}\right] =: L",
     ("exact", [])),
    (r"\log p_\phi(z_0) \ge \mathbb{E}_{q}\left[\log\frac{p_\phi(z_{0:N})}{q(z_{1:N}\mid z_0)}\right]", ("exact", [])),
    (r"\log p_\phi(z_0) \le \mathbb{E}_{q}\left[\log\frac{p_\phi(z_{0:N})}{q(z_{1:N}\mid z_0)}\right]", ("inconsistent", ["rhs"])),
    (r"\log p_\phi(z_0) \ge \mathbb{E}_{q}\left[\log\frac{q(z_{1:N}\mid z_0)}{p_\phi(z_{0:N})}\right]", ("inconsistent", ["rhs"])),
    (r"\log p_\phi(z_0) \ge \mathbb{E}_{q}\left[\log\frac{p_\phi(z_{0:N})}{q(z_{0:N})}\right]", ("inconsistent", ["rhs"])),
])
def test_evidence_lower_bound(tex, want):
    assert _vt(tex) == [want]
