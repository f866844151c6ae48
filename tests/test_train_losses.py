"""The training objective: continuous-time DSM and its discrete special cases.

* DDPM's L_simple (Ho et al. 2020, Eq. 14) is the eps-weighted DSM at the VP twin's grid times.
* The SMLD objective (Song & Ermon 2019, Eq. 5-6 with lambda(sigma) = sigma^2) is the same DSM at
  the VE twin's noise levels (exact identity, factor 2 from their 1/2).
* With the exact score of a Gaussian the DSM loss has a closed form, checked by Monte Carlo for
  both weightings, with t ~ U(eps, T) integrated by quadrature.
"""
from __future__ import annotations

import math

import pytest
import torch
from scipy import integrate

from scoresde import VESDE, VPSDE, gaussian
from scoresde.nets import MLP, ScoreNet
from scoresde.params import convert
from scoresde.sde import SDES
from scoresde.train.losses import dsm_loss, eps_weight, perturb, sample_time


def _net(sde, kind="eps", dim=3):
    torch.manual_seed(0)
    net = ScoreNet(MLP(dim, hidden=32, depth=2), sde, kind=kind, sigma_data=1.0).double()
    # give the zero-initialised output layers a non-trivial value so the network is not constant
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return net


def test_ddpm_L_simple_is_eps_dsm_at_twin_times():
    sde = VPSDE()
    N = 100
    chain = sde.chain(N)
    # Ho et al. 2020, Eq. 4: abar_i = prod_{j<=i} (1 - beta_j), from the chain's betas (independent of m(t))
    abar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - chain.betas, 0)])
    g = torch.Generator().manual_seed(1)
    B = 64
    x0 = torch.randn(B, 3, generator=g, dtype=torch.float64)
    z = torch.randn(B, 3, generator=g, dtype=torch.float64)
    i = torch.randint(1, N + 1, (B,), generator=g)
    t = chain.times[i]
    net = _net(sde, "eps")
    x_i = abar[i].sqrt()[:, None] * x0 + (1 - abar[i]).sqrt()[:, None] * z
    L_simple = ((z - net(x_i, t)) ** 2).mean(1)  # Ho et al. 2020, Eq. 14
    ours = dsm_loss(net, sde, x0, kind="eps", weighting="eps", t=t, z=z)
    torch.testing.assert_close(ours, L_simple, rtol=1e-10, atol=1e-12)


def test_ddpm_L_simple_with_a_score_network():
    """The same objective whatever the network predicts: eps_theta = -s(t) s_theta (Song et al. 2021, Eq. 7 vs Ho Eq. 14)."""
    sde = VPSDE()
    chain = sde.chain(50)
    abar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - chain.betas, 0)])
    g = torch.Generator().manual_seed(2)
    x0 = torch.randn(16, 3, generator=g, dtype=torch.float64)
    z = torch.randn(16, 3, generator=g, dtype=torch.float64)
    i = torch.randint(1, 51, (16,), generator=g)
    net = _net(sde, "score")
    x_i = abar[i].sqrt()[:, None] * x0 + (1 - abar[i]).sqrt()[:, None] * z
    eps_theta = -(1 - abar[i]).sqrt()[:, None] * net(x_i, chain.times[i])
    L_simple = ((z - eps_theta) ** 2).mean(1)
    torch.testing.assert_close(dsm_loss(net, sde, x0, kind="score", t=chain.times[i], z=z), L_simple)


def test_smld_objective_is_dsm_at_ve_twin_noise_levels():
    sde = VESDE(sigma_min=0.01, sigma_max=10.0, marginal="smld")
    N = 10
    chain = sde.chain(N)
    sig = chain.sigmas  # sigma_1..sigma_N of the SMLD twin
    g = torch.Generator().manual_seed(3)
    B = 40
    x = torch.randn(B, 3, generator=g, dtype=torch.float64)
    z = torch.randn(B, 3, generator=g, dtype=torch.float64)
    i = torch.randint(1, N + 1, (B,), generator=g)
    s = sig[i][:, None]
    x_tilde = x + s * z
    net = _net(sde, "score")
    score = net(x_tilde, chain.times[i])
    # Song & Ermon 2019, Eq. 5: l(theta; sigma) = 1/2 || s_theta(x~, sigma) + (x~ - x)/sigma^2 ||^2, lambda = sigma^2 (Eq. 6)
    ell = 0.5 * ((score + (x_tilde - x) / s**2) ** 2).sum(1)
    smld = sig[i] ** 2 * ell
    ours = dsm_loss(net, sde, x, kind="score", weighting="eps", reduce="sum", t=chain.times[i], z=z)
    torch.testing.assert_close(ours, 2 * smld, rtol=1e-10, atol=1e-12)


def _closed_form(sde, t, c2):
    """E||eps_hat - z||^2 per dimension with the exact score of N(mu, c^2): m^2 c^2 / (m^2 c^2 + s^2)."""
    m2 = torch.exp(2 * sde.log_mean_coeff(t))
    s2 = sde.marginal_var(t)
    return (m2 * c2 / (m2 * c2 + s2)).mean(-1)


@pytest.mark.parametrize("name", ["vp", "ve", "subvp"])
def test_dsm_with_exact_score_matches_closed_form_at_fixed_t(name):
    sde = SDES[name]() if name != "ve" else VESDE(sigma_max=20.0)
    mix = gaussian([0.5, -1.0], [0.7, 1.5])
    score = mix.score_fn(sde)
    n = 200_000
    g = torch.Generator().manual_seed(4)
    x0 = mix.sample(n, g)
    for tv in (0.05, 0.3, 0.9):
        t = torch.full((n,), tv, dtype=torch.float64)
        per = dsm_loss(score, sde, x0, kind="score", t=t, generator=g)
        expect = float(_closed_form(sde, torch.tensor([tv], dtype=torch.float64)[:, None], mix.stds[0] ** 2))
        se = float(per.std()) / math.sqrt(n)
        assert abs(float(per.mean()) - expect) < 4 * se + 1e-12, (tv, float(per.mean()), expect, se)


@pytest.mark.parametrize("weighting", ["eps", "likelihood"])
def test_dsm_expectation_over_uniform_time_matches_quadrature(weighting):
    sde = VPSDE()
    mix = gaussian([0.0, 1.0], [0.5, 2.0])
    c2 = mix.stds[0] ** 2
    n = 400_000
    g = torch.Generator().manual_seed(5)
    per = dsm_loss(mix.score_fn(sde), sde, mix.sample(n, g), kind="score", weighting=weighting, generator=g)

    def integrand(tv):
        t = torch.tensor([tv], dtype=torch.float64)
        return float(eps_weight(sde, t, weighting) * _closed_form(sde, t[:, None], c2))

    exact = integrate.quad(integrand, sde.eps, sde.T, limit=200, points=[0.01, 0.1])[0] / (sde.T - sde.eps)
    se = float(per.std()) / math.sqrt(n)
    assert abs(float(per.mean()) - exact) < 4 * se, (float(per.mean()), exact, se)


@pytest.mark.parametrize("kind", ["eps", "x0", "v"])
def test_loss_does_not_depend_on_the_parameterisation(kind):
    """A network that predicts `kind` exactly as the exact score implies gives the same loss."""
    sde = VPSDE.cosine()
    mix = gaussian([0.3], [0.8])
    exact = mix.score_fn(sde)
    g = torch.Generator().manual_seed(6)
    x0 = mix.sample(512, g)
    t = sample_time(sde, 512, g)
    z = torch.randn(512, 1, generator=g, dtype=torch.float64)

    def as_kind(x, tt):
        return convert(exact(x, tt), "score", kind, x, tt, sde)

    ref = dsm_loss(exact, sde, x0, kind="score", t=t, z=z)
    torch.testing.assert_close(dsm_loss(as_kind, sde, x0, kind=kind, t=t, z=z), ref, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", list(SDES))
def test_likelihood_weight_is_d_log_sigma2_dt(name):
    """g^2 / s^2 = d log sigma(t)^2 / dt for a linear SDE (sigma = s/m): checked with autograd."""
    sde = SDES[name]()
    t = torch.linspace(sde.eps, sde.T * 0.99, 7, dtype=torch.float64).requires_grad_(True)
    log_sig2 = torch.log(sde.marginal_var(t)) - 2 * sde.log_mean_coeff(t)
    (d,) = torch.autograd.grad(log_sig2.sum(), t)
    torch.testing.assert_close(eps_weight(sde, t.detach(), "likelihood"), d, rtol=1e-8, atol=0)


def test_perturb_and_sample_time():
    sde = VPSDE()
    g = torch.Generator().manual_seed(7)
    t = sample_time(sde, 10_000, g)
    assert t.dtype == torch.float64 and float(t.min()) >= sde.eps and float(t.max()) <= sde.T
    assert abs(float(t.mean()) - (sde.eps + sde.T) / 2) < 0.02
    x0 = torch.ones(3, 2, 2)
    z = torch.zeros(3, 2, 2)
    tt = torch.tensor([0.1, 0.5, 1.0], dtype=torch.float64)
    out = perturb(sde, x0, tt, z)
    torch.testing.assert_close(out[:, 0, 0], torch.exp(sde.log_mean_coeff(tt)).float())


def test_bad_arguments():
    sde = VPSDE()
    x = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="weighting"):
        dsm_loss(lambda x, t: x, sde, x, weighting="nope")
    with pytest.raises(ValueError, match="reduce"):
        dsm_loss(lambda x, t: x, sde, x, reduce="max")
    with pytest.raises(ValueError, match="kind"):
        dsm_loss(lambda x, t: x, sde, x, kind="noise")
