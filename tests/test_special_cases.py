"""DDPM and SMLD sampling as special cases of the reverse solvers (float64, shared noise).

The reference algorithms below are written out independently from the papers, with their own
variables; they share only the noise and the score with the sampler under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S
from scoresde.noise import CORRECTOR, PREDICTOR



@pytest.fixture(autouse=True)
def _float64_default():
    """float64 inside this module only (restored afterwards, so other modules keep float32)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


class TableNoise:
    """Noise from a fixed table: Z[(stream, step)] — shared with the reference algorithm."""

    def __init__(self, shape, seed=0):
        self.shape, self.g, self.table = shape, torch.Generator().manual_seed(seed), {}

    def get(self, stream, step):
        key = (stream, step)
        if key not in self.table:
            self.table[key] = torch.randn(self.shape, generator=self.g, dtype=torch.float64)
        return self.table[key]

    def __call__(self, like, stream, step, t=0.0, t_next=0.0):
        return self.get(stream, step)


def _setup(sde_name, N, B=16):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name, N=N)
    score = prob.mixture.score_fn(sde)
    x_T = torch.randn(B, 2, generator=torch.Generator().manual_seed(9)) * sde.prior_std
    return prob, sde, score, x_T


@pytest.mark.parametrize("variance", ["posterior", "beta"])
def test_ho2020_algorithm2_is_ancestral_on_vp_twin(variance):
    N, B = 50, 16
    prob, sde, score, x_T = _setup("vp", N, B)
    noise = TableNoise((B, 2))
    res = sd.sample(sde, score, (B, 2), predictor=S.Ancestral(variance), grid=grids.twin(sde), x_T=x_T, noise=noise,
                    dtype=torch.float64)
    # Ho et al. 2020, Algorithm 2, with beta_1..beta_T of the twin and eps_theta = -sqrt(1 - abar_t) * score.
    chain = sde.chain(N)
    beta = chain.betas.tolist()
    alpha = [1 - b for b in beta]
    abar = np.cumprod(alpha).tolist()
    times = chain.times.tolist()
    x = x_T.clone()
    for t in range(N, 0, -1):  # t = T, ..., 1 (paper indexing)
        step = N - t
        z = noise.get(PREDICTOR, step) if t > 1 else torch.zeros_like(x)
        eps = -math.sqrt(1 - abar[t - 1]) * score(x, torch.full((B,), times[t]))
        if variance == "beta":
            sigma = math.sqrt(beta[t - 1])
        else:  # beta_tilde_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t, abar_0 = 1
            abar_prev = abar[t - 2] if t > 1 else 1.0
            sigma = math.sqrt((1 - abar_prev) / (1 - abar[t - 1]) * beta[t - 1])
        x = 1 / math.sqrt(alpha[t - 1]) * (x - (1 - alpha[t - 1]) / math.sqrt(1 - abar[t - 1]) * eps) + sigma * z
    torch.testing.assert_close(res.x, x, rtol=0, atol=1e-12)
    assert res.nfe == N


def test_ho2020_chain_betas_recovered_by_twin_to_first_order():
    """The VP twin at N = 1000 is Ho et al.'s chain up to O(1/N): the twin takes beta_i = 1 - exp(-int beta)
    over [t_{i-1}, t_i] (~ beta at the midpoint / N), Ho's linspace(1e-4, 0.02) is beta at the grid ends / N,
    so kernel coefficients m_i and s_i differ by ~1e-3 and the difference halves when N doubles."""
    diffs = []
    for N in (1000, 2000):
        twin = sd.VPSDE().chain(N)
        ho = sd.MarkovChain.ho2020(N=N, beta_1=0.1 / N, beta_N=20.0 / N)
        diffs.append(float(torch.maximum((twin.m - ho.m).abs().max(), (twin.s - ho.s).abs().max())))
    assert 1e-4 < diffs[0] < 2e-3
    assert abs(math.log2(diffs[0] / diffs[1]) - 1.0) < 0.15


def test_song_ermon2019_annealed_langevin_is_corrector_only_sampler_on_ve_twin():
    L, n_steps, eps, B = 10, 5, 2e-3, 16
    prob, sde, score, x_T = _setup("ve", L, B)
    noise = TableNoise((B, 2))
    res = sd.sample(sde, score, (B, 2), predictor=S.NoPredictor(), corrector=S.AnnealedLangevin(eps=eps, n_steps=n_steps),
                    grid=grids.twin(sde), x_T=x_T, noise=noise, dtype=torch.float64)
    # Song & Ermon 2019, Algorithm 1: sigmas from largest to smallest, alpha_i = eps * sigma_i^2 / sigma_L^2.
    chain = sde.chain(L)
    sigmas = chain.sigmas.tolist()[1:][::-1]  # sigma_1 > ... > sigma_L
    times = chain.times.tolist()[1:][::-1]
    x = x_T.clone()
    for i, (sig, t) in enumerate(zip(sigmas, times)):
        alpha = eps * sig**2 / sigmas[-1] ** 2
        for k in range(n_steps):
            z = noise.get(CORRECTOR + k, i)
            x = x + alpha / 2 * score(x, torch.full((B,), t)) + math.sqrt(alpha) * z
    torch.testing.assert_close(res.x, x, rtol=0, atol=1e-12)
    assert res.nfe == L * n_steps


@pytest.mark.parametrize("sde_name", ["vp", "ve", "subvp", "vp-cosine"])
def test_ddim_eta0_is_first_order_exponential_integrator(sde_name):
    prob, sde, score, x_T = _setup(sde_name, 1000)
    g = grids.uniform(sde, 12)
    res = sd.sample(sde, score, x_T.shape, predictor=S.DDIM(0.0), grid=g, x_T=x_T, dtype=torch.float64)
    # DPM-Solver-1 (Lu et al. 2022, Eq. 3.7): x_t = (alpha_t/alpha_s) x_s - sigma_t (e^h - 1) eps_hat, h = lambda_t - lambda_s,
    # with alpha = m, sigma = s, lambda = log(alpha/sigma), eps_hat = -sigma_s * score.
    x = x_T.clone()
    ts = g.tolist()
    for s_, t_ in zip(ts[:-1], ts[1:]):
        a_s, a_t = float(sde.mean_coeff(s_)), float(sde.mean_coeff(t_))
        sg_s, sg_t = float(sde.marginal_std(s_)), float(sde.marginal_std(t_))
        h = math.log(a_t / sg_t) - math.log(a_s / sg_s)
        eps_hat = -sg_s * score(x, torch.full((x.shape[0],), s_))
        x = (a_t / a_s) * x - sg_t * math.expm1(h) * eps_hat
    torch.testing.assert_close(res.x, x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sde_name", ["vp", "ve", "subvp"])
def test_ddim_eta1_is_ddpm_posterior_sampling(sde_name):
    prob, sde, score, x_T = _setup(sde_name, 40)
    B = x_T.shape[0]
    noise = TableNoise((B, 2))
    a = sd.sample(sde, score, (B, 2), predictor=S.DDIM(1.0), grid=grids.twin(sde), x_T=x_T, noise=noise, dtype=torch.float64)
    b = sd.sample(sde, score, (B, 2), predictor=S.Ancestral(), grid=grids.twin(sde), x_T=x_T, noise=noise, dtype=torch.float64)
    torch.testing.assert_close(a.x, b.x, rtol=1e-12, atol=1e-12)


def _one_step(sde, predictor, x, t, t_next, noise_seed=0):
    score = sd.get_problem("gmm2d").mixture.score_fn(sde)
    noise = TableNoise(x.shape, noise_seed)
    return sd.sample(sde, score, x.shape, predictor=predictor, grid=torch.tensor([t, t_next]), x_T=x, noise=noise,
                     dtype=torch.float64)


def _slope(h, d):
    return float(np.polyfit(np.log(h), np.log(d), 1)[0])


def test_reverse_diffusion_and_ancestral_agree_only_to_first_order():
    """One-step difference (shared noise) shrinks like beta^2: first-order agreement, not identity."""
    sde = sd.VPSDE()
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1)) * 2
    t = 0.5
    betas, diffs = [], []
    for dt in [0.02, 0.01, 0.005, 0.0025, 0.00125]:
        rd = _one_step(sde, S.ReverseDiffusion(), x, t, t - dt).x
        an = _one_step(sde, S.Ancestral(variance="beta"), x, t, t - dt).x
        a, _ = sde.transition(t - dt, t)
        betas.append(1 - float(a) ** 2)
        diffs.append(float((rd - an).abs().max()))
    assert min(diffs) > 1e-9  # not equal to round-off
    assert abs(_slope(betas, diffs) - 2.0) < 0.15


def test_euler_maruyama_and_ddpm_chain_agree_to_first_order():
    """EM on the reverse VP SDE vs the DDPM ancestral step: one-step means and variances differ by O(dt^2)."""
    sde = sd.VPSDE()
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1)) * 2
    t = 0.5
    dts, dmean, dvar = [], [], []
    for dt in [0.02, 0.01, 0.005, 0.0025, 0.00125]:
        em = _one_step(sde, S.EulerMaruyama(), x, t, t - dt)
        an = _one_step(sde, S.Ancestral(variance="beta"), x, t, t - dt)
        dts.append(dt)
        dmean.append(float((em.x_mean - an.x_mean).abs().max()))
        # noise std per step: EM g(t) sqrt(dt), ancestral sqrt(beta_i); compare variances
        a, b = sde.transition(t - dt, t)
        dvar.append(abs(float(sde.diffusion_sq(torch.tensor(t))) * dt - float(b) ** 2))
    assert abs(_slope(dts, dmean) - 2.0) < 0.15
    assert abs(_slope(dts, dvar) - 2.0) < 0.15


def test_ve_ancestral_and_reverse_diffusion_share_mean_differ_in_variance():
    prob, sde, score, x_T = _setup("ve", 20)
    g = grids.twin(sde)
    a = sd.sample(sde, score, x_T.shape, predictor=S.Ancestral(), grid=g[:2], x_T=x_T, dtype=torch.float64)
    r = sd.sample(sde, score, x_T.shape, predictor=S.ReverseDiffusion(), grid=g[:2], x_T=x_T, dtype=torch.float64)
    torch.testing.assert_close(a.x_mean, r.x_mean, rtol=1e-12, atol=1e-12)
    # noise: ancestral std^2 = sigma_{i-1}^2 (sigma_i^2 - sigma_{i-1}^2)/sigma_i^2 < reverse diffusion's sigma_i^2 - sigma_{i-1}^2
    da, dr = (a.x - a.x_mean), (r.x - r.x_mean)
    ch = sde.chain(20)
    s_i, s_im1 = float(ch.sigmas[-1]), float(ch.sigmas[-2])
    ratio = (da / dr).flatten()
    torch.testing.assert_close(ratio, torch.full_like(ratio, s_im1 / s_i), rtol=1e-10, atol=0)


def test_score_sde_beta_mapping_breaks_for_small_N_but_twin_does_not():
    """score_sde's beta_i = beta(t_i)/N gives beta >= 1 at small N (NaN samplers); the twin never does."""
    sde = sd.VPSDE()
    for N in range(1, 21):
        ch = sde.chain(N)
        assert bool(((ch.betas > 0) & (ch.betas < 1)).all())
        if N >= 2:  # score_sde: discrete_betas = linspace(beta_min/N, beta_max/N, N) -> sqrt(1 - beta) is NaN
            naive = torch.linspace(sde.beta_min / N, sde.beta_max / N, N)
            assert float(naive.max()) >= 1.0 and bool(torch.isnan(torch.sqrt(1 - naive)).any() or (naive == 1).any())
        prob = sd.get_problem("gmm2d")
        res = sd.sample(sde, prob.mixture.score_fn(sde), (8, 2), predictor=S.Ancestral(), grid=grids.twin(sde, N))
        assert torch.isfinite(res.x).all()
