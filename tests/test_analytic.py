"""Exact ground truth: a Gaussian mixture pushed through every linear SDE."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.stats import multivariate_normal

from conftest import f64
from scoresde import ExactScore, GaussianMixture, gaussian


def _mixture_2d() -> GaussianMixture:
    """Three unequal components with diagonal (anisotropic) stds."""
    return GaussianMixture(
        [0.5, 0.3, 0.2],
        [[-2.0, 0.5], [1.5, 1.0], [0.3, -2.5]],
        [[0.3, 0.8], [0.6, 0.2], [1.0, 0.5]],
    )


def _random_xt(sde, n=100, seed=0):
    gen = torch.Generator().manual_seed(seed)
    t = sde.eps + (sde.T - sde.eps) * torch.rand(n, generator=gen, dtype=torch.float64)
    m, s = sde.mean_coeff(t), sde.marginal_std(t)
    x = m[:, None] * 3 * torch.randn(n, 2, generator=gen, dtype=torch.float64) + s[:, None] * torch.randn(
        n, 2, generator=gen, dtype=torch.float64
    )
    return x, t


def test_score_is_gradient_of_log_prob(sde):
    """At 100 random (x, t) per SDE: score == autograd of log p_t, relative error < 1e-10 (float64)."""
    mix = _mixture_2d()
    x, t = _random_xt(sde)
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(mix.log_prob(xg, sde, t).sum(), xg)
    score = mix.score(x, sde, t)
    rel = ((score - grad).norm(dim=1) / grad.norm(dim=1)).max()
    assert float(rel) < 1e-10, float(rel)
    # the callable form is the same function
    fn = mix.score_fn(sde)
    assert isinstance(fn, ExactScore) and torch.equal(fn(x, t), score)


def test_log_prob_matches_scipy(sde):
    """log p_t is the log-density of sum_k w_k N(m mu_k, m^2 C_k + s^2 I) (independent scipy evaluation)."""
    mix = _mixture_2d()
    x, t = _random_xt(sde, n=20, seed=1)
    lp = mix.log_prob(x, sde, t)
    for i in range(20):
        m, s = float(sde.mean_coeff(t[i])), float(sde.marginal_std(t[i]))
        dens = sum(
            float(w) * multivariate_normal(mean=(m * mu).numpy(), cov=np.diag((m * c).numpy() ** 2 + s**2)).pdf(x[i].numpy())
            for w, mu, c in zip(mix.weights, mix.means, mix.stds)
        )
        assert float(lp[i]) == pytest.approx(math.log(dens), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("frac", [0.0, 0.01, 0.5, 1.0])
def test_log_prob_normalises_in_1d(sde, frac):
    """int p_t(x) dx = 1 and int x p_t(x) dx = m E[x_0] by quadrature (1-D mixture)."""
    mix = GaussianMixture([0.25, 0.75], [[-1.0], [2.0]], [0.3, 0.6])
    t = frac * sde.T
    m, s = float(sde.mean_coeff(f64(t))), float(sde.marginal_std(f64(t)))
    half = 2.5 * m + 12 * math.sqrt(m * m * 0.36 + s * s)

    def p(x):
        return math.exp(float(mix.log_prob(torch.tensor([[x]], dtype=torch.float64), sde, t)))

    pts = [m * -1.0, m * 2.0]
    mass, _ = integrate.quad(p, -half, half, points=pts, limit=200, epsabs=1e-13, epsrel=1e-11)
    first, _ = integrate.quad(lambda x: x * p(x), -half, half, points=pts, limit=200, epsabs=1e-13, epsrel=1e-11)
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert first == pytest.approx(m * (0.25 * -1.0 + 0.75 * 2.0), abs=1e-8 * max(1.0, half))


def test_sample_t_moments(sde):
    """Whitened by the closed-form moments m E[x_0] and m^2 Cov[x_0] + s^2 I, samples of x_t have mean 0
    and unit variance (pooled over coordinates) within 4 standard errors (Bonferroni over the ~30
    comparisons of this test's parametrisation)."""
    mix = _mixture_2d()
    n = 40000
    gen = torch.Generator().manual_seed(2)
    for frac in (0.0, 0.3, 1.0):
        t = frac * sde.T
        x = mix.sample_t(sde, t, n, gen)
        assert x.shape == (n, 2) and x.dtype == torch.float64
        m, s = float(sde.mean_coeff(f64(t))), float(sde.marginal_std(f64(t)))
        mean = m * mix.mean()
        cov = m * m * mix.covariance() + s * s * torch.eye(2, dtype=torch.float64)
        u = torch.linalg.solve_triangular(torch.linalg.cholesky(cov), (x - mean).T, upper=False).T
        # per-coordinate moments E[u] = 0, E[u u^T] = I, with standard errors from the sample itself
        z_mean = u.mean(0) / (u.std(0) / math.sqrt(n))
        uu = u[:, :, None] * u[:, None, :]
        z_cov = (uu.mean(0) - torch.eye(2, dtype=torch.float64)) / (uu.std(0) / math.sqrt(n))
        assert float(z_mean.abs().max()) < 4 and float(z_cov.abs().max()) < 4, (frac, z_mean, z_cov)


def test_sample_without_sde_is_the_data():
    mix = _mixture_2d()
    gen = torch.Generator().manual_seed(3)
    n = 30000
    x, k = mix.sample(n, gen, return_components=True)
    counts = torch.bincount(k, minlength=3).double() / n
    se = torch.sqrt(mix.weights * (1 - mix.weights) / n)
    assert bool(((counts - mix.weights).abs() < 3 * se).all())
    # standardised within the drawn component, all 2n coordinates are iid N(0, 1)
    u = ((x - mix.means[k]) / mix.stds[k]).flatten()
    assert abs(float(u.mean())) * math.sqrt(u.numel()) < 3
    assert abs(float(u.var()) - 1) / math.sqrt(2 / u.numel()) < 3
    # seeded: reproducible; dtype follows the request
    a = mix.sample(5, torch.Generator().manual_seed(9), dtype=torch.float32)
    b = mix.sample(5, torch.Generator().manual_seed(9), dtype=torch.float32)
    assert a.dtype == torch.float32 and torch.equal(a, b)


def test_responsibilities_and_component_of(sde):
    mix = _mixture_2d()
    x, t = _random_xt(sde, n=50)
    r = mix.responsibilities(x, sde, t)
    torch.testing.assert_close(r.sum(1), torch.ones(50, dtype=torch.float64), rtol=0, atol=1e-14)
    # Bayes: r_k = w_k N_k / p
    lp = mix.log_prob(x, sde, t)
    for k in range(3):
        one = GaussianMixture([1.0], mix.means[k : k + 1], mix.stds[k : k + 1])
        torch.testing.assert_close(r[:, k], torch.exp(torch.log(mix.weights[k]) + one.log_prob(x, sde, t) - lp), rtol=1e-10, atol=1e-14)
    assert torch.equal(mix.component_of(mix.means.clone()), torch.arange(3))


def test_image_shaped_mixture_and_per_sample_time(sde):
    """Event shape (1, 2, 2): scores keep the image shape and agree with the flat mixture."""
    gen = torch.Generator().manual_seed(4)
    means = torch.randn(2, 4, generator=gen, dtype=torch.float64)
    img = GaussianMixture([0.4, 0.6], means, [0.5, 1.5], event_shape=(1, 2, 2))
    flat = GaussianMixture([0.4, 0.6], means, [0.5, 1.5])
    x = img.sample_t(sde, 0.5 * sde.T, 6, gen)
    assert x.shape == (6, 1, 2, 2)
    t = torch.linspace(sde.eps, sde.T, 6, dtype=torch.float64)
    s_img = img.score(x, sde, t)
    assert s_img.shape == x.shape
    torch.testing.assert_close(s_img.reshape(6, 4), flat.score(x.reshape(6, 4), sde, t), rtol=1e-14, atol=0)
    # a float t broadcasts like a tensor of equal times
    torch.testing.assert_close(img.score(x, sde, 0.5 * sde.T), img.score(x, sde, torch.full((6,), 0.5 * sde.T, dtype=torch.float64)))
    with pytest.raises(ValueError, match="x must have shape"):
        img.score(x.reshape(6, 4), sde, t)


def test_float32_inputs_follow_dtype(sde):
    mix = _mixture_2d()
    x, t = _random_xt(sde, n=10)
    s32 = mix.score(x.float(), sde, t.float())
    assert s32.dtype == torch.float32
    torch.testing.assert_close(s32.double(), mix.score(x, sde, t), rtol=1e-4, atol=1e-4)


def test_gaussian_helper():
    g = gaussian([1.0, -0.5], [0.5, 1.5])
    assert g.n_components == 1 and g.dim == 2
    torch.testing.assert_close(g.mean(), f64([1.0, -0.5]))
    torch.testing.assert_close(g.covariance(), torch.diag(f64([0.25, 2.25])))
    x = f64([[0.3, 0.7]])
    ref = multivariate_normal(mean=[1.0, -0.5], cov=np.diag([0.25, 2.25])).logpdf([0.3, 0.7])
    assert float(g.log_prob(x)) == pytest.approx(ref, rel=1e-13)
    torch.testing.assert_close(g.score(x), -(x - g.mean()) / f64([0.25, 2.25]))


def test_covariance_law_of_total_covariance():
    mix = _mixture_2d()
    x = mix.sample(200000, torch.Generator().manual_seed(5))
    emp = torch.cov(x.T)
    torch.testing.assert_close(emp, mix.covariance(), rtol=0, atol=0.05)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(weights=[0.5, 0.6], means=[[0.0], [1.0]], stds=[1.0, 1.0]), "weights"),
        (dict(weights=[1.0, 0.0], means=[[0.0], [1.0]], stds=[1.0, 1.0]), "weights"),
        (dict(weights=[math.nan, 1.0], means=[[0.0], [1.0]], stds=[1.0, 1.0]), "weights"),
        (dict(weights=[0.5, 0.5], means=[[0.0], [math.inf]], stds=[1.0, 1.0]), "means"),
        (dict(weights=[0.5, 0.5], means=[0.0, 1.0], stds=[1.0, 1.0]), "means"),
        (dict(weights=[0.5, 0.5], means=[[0.0], [1.0]], stds=[1.0, 0.0]), "stds"),
        (dict(weights=[0.5, 0.5], means=[[0.0], [1.0]], stds=[1.0, -1.0]), "stds"),
        (dict(weights=[0.5, 0.5], means=[[0.0], [1.0]], stds=[1.0, math.nan]), "stds"),
        (dict(weights=[0.5, 0.5], means=[[0.0], [1.0]], stds=[1.0, 1.0, 1.0]), "stds"),
        (dict(weights=[1.0], means=[[0.0, 1.0]], stds=[1.0], event_shape=(3,)), "event_shape"),
    ],
)
def test_mixture_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GaussianMixture(**kwargs)
