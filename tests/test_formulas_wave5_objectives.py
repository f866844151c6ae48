"""Issue 13, wave 5 (objectives, guidance, likelihood, and the parser): formulas as people write them, read by
general rules.

Every formula here is written for this test (other letters, other papers' spellings, wrong variants that must stay
wrong); none is copied from a corpus."""
import pytest

from scoresde.formulas import verify_formula


def _one(text):
    vs = verify_formula(text, None, numeric=False)
    assert len(vs) == 1, [(v.verdict, v.detail) for v in vs]
    return vs[0]


# ------------------------------------------------------------------ the variational bound as an inequality
_REC = r"\mathbb{E}_{q(x_1 \mid x_0)}\left[\log p_\theta(x_0 \mid x_1)\right]"
_PRIOR = r"D_{\mathrm{KL}}\left(q(x_T \mid x_0) \,\|\, p(x_T)\right)"
_DEN = r"\mathbb{E}_{q(x_t \mid x_0)}\left[D_{\mathrm{KL}}\left(q(x_{t-1} \mid x_t, x_0) \,\|\, p_\theta(x_{t-1} \mid x_t)\right)\right]"


@pytest.mark.parametrize("text, verdict", [
    # Ho et al. 2020, Eq. 5 as a bound on the negative log-likelihood, the sum written t ≥ 2
    (rf"-\log p_\theta(x_0) \le -{_REC} + {_PRIOR} + \sum_{{t \geq 2}} {_DEN}", "exact"),
    # the ELBO (Luo 2022's form) with the sum written 2 ≤ t ≤ T and the log-likelihood on the right
    (rf"{_REC} - {_PRIOR} - \sum_{{2 \le t \le T}} {_DEN} \leq \log p(x)", "exact"),
    # the inequality reversed
    (rf"\log p(x_0) \le {_REC} - {_PRIOR} - \sum_{{t=2}}^{{T}} {_DEN}", "inconsistent"),
    # the denoising terms counted from t = 1 (L_0 counted twice)
    (rf"\log p(x_0) \ge {_REC} - {_PRIOR} - \sum_{{t=1}}^{{T}} {_DEN}", "inconsistent"),
    # the reconstruction term with the wrong sign
    (rf"\log p(x_0) \ge -{_REC} - {_PRIOR} - \sum_{{t>1}} {_DEN}", "inconsistent"),
])
def test_variational_bound_inequality(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    if verdict != "exact":
        assert v.terms == ["rhs"]


# ------------------------------------------------------------------ code losses: a mean of summed squares
@pytest.mark.parametrize("text, verdict", [
    # the noise-form DSM loss (λ = σ²) with the sum and the mean as methods, the noise named `noise`
    ("loss = ((score * std[:, None, None, None] + noise) ** 2).sum(dim=(1, 2, 3)).mean()", "exact"),
    ("loss = torch.mean(torch.sum(torch.square(std[:, None] * score + eps), dim=1))", "exact"),
    # the noise scaled by σ instead of the score
    ("loss = ((score + noise * std[:, None, None, None]) ** 2).sum(dim=(1, 2, 3)).mean()", "inconsistent"),
    # the noise divided by σ: σ s + z/σ does not vanish at the ideal network
    ("loss = torch.mean(torch.sum((std * score + noise / std) ** 2, dim=(1, 2, 3)))", "inconsistent"),
])
def test_code_mean_of_summed_squares(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail
    assert "read from the code" in v.detail


# ------------------------------------------------------------------ parser constructs
@pytest.mark.parametrize("text, verdict", [
    # a range after a thin or medium space: the formula's index range, not a second equation
    (r"x_{n+1} = x_n + \sqrt{\sigma_{n+1}^2 - \sigma_n^2}\, z_n,\; n = 0, \dots, N-1", "exact"),
    (r"x_{n+1} = x_n + \sqrt{\sigma_{n+1}^2 - \sigma_n^2}\, z_n \: n = 0, \ldots, N-1", "exact"),
    (r"x_{n+1} = x_n + (\sigma_{n+1}^2 - \sigma_n^2)\, z_n,\; n = 0, \dots, N-1", "inconsistent"),
    # a density proportional to one whole Gaussian density in its variable is that Gaussian
    (r"q(x_{t-1} \mid x_t, x_0) \propto \mathcal{N}\left(x_{t-1}; \tilde\mu_t(x_t, x_0), \tilde\beta_t \mathbf{I}\right)", "exact"),
    (r"q(x_{t-1} \mid x_t, x_0) \propto \mathcal{N}\left(x_{t-1}; \tilde\mu_t(x_t, x_0), \beta_t \mathbf{I}\right)", "inconsistent"),
    # |Δt| after a factor: the absolute value of the (positive) step size
    (r"x_{t-\Delta t} = x_t - [f(x_t, t) - g(t)^2 s_\theta(x_t, t)]\Delta t + g(t)\sqrt{\left|\Delta t\right|}\, z", "exact"),
    (r"x_{t-\Delta t} = x_t - [f(x_t, t) - g(t)^2 s_\theta(x_t, t)]\Delta t + g(t) |\Delta t| z", "inconsistent"),
])
def test_parser_constructs(text, verdict):
    v = _one(text)
    assert v.verdict == verdict, v.detail


def test_proportional_to_something_else_is_not_an_equation():
    # Bayes' rule up to a constant: ∝ is kept (nothing is read as an equality)
    v = _one(r"p(x \mid y) \propto p(y \mid x)\, p(x)")
    assert v.verdict != "exact"
