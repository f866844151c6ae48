"""Discrete twins: DDPM / SMLD chains as exact discretisations of the VP / VE SDEs.

* composing ``discretize`` steps reproduces the chain's closed-form q(x_i | x_0) (exact);
* ``sde.chain(N)`` matches the SDE marginals at t_i = iT/N (exact) and is valid for every N >= 1;
* score_sde's / Ho et al.'s Euler-type mapping beta_i = beta(t_i) T/N is a first-order
  approximation: its marginals approach the SDE's at rate 1/N (measured slope), and it is
  invalid (beta >= 1) for N <= 20.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from conftest import f64
from scoresde import VESDE, VPSDE, MarkovChain


def _compose(sde, N):
    """Compose the N one-step kernels of ``discretize`` into q(x_i | x_0) = N(A_i x_0, V_i):
    with x_i = x_{i-1} + f + G z and f = (a_i - 1) x_{i-1}: A_i = a_i A_{i-1}, V_i = a_i^2 V_{i-1} + G^2."""
    one = torch.ones(1, dtype=torch.float64)
    A, V = [1.0], [0.0]
    grid = torch.linspace(0, sde.T, N + 1, dtype=torch.float64)
    for i in range(1, N + 1):
        f, G = sde.discretize(one, grid[i], N=N)
        a = float(one + f)
        A.append(a * A[-1])
        V.append(a * a * V[-1] + float(G) ** 2)
    return grid, f64(A), f64(V)


@pytest.mark.parametrize("N", [1, 7, 1000])
def test_composed_discretize_steps_give_chain_marginals(sde, N):
    grid, A, V = _compose(sde, N)
    ch = sde.chain(N)
    assert ch.N == N and torch.equal(ch.times, grid)
    torch.testing.assert_close(A, ch.m, rtol=1e-12, atol=0)
    torch.testing.assert_close(V, ch.s**2, rtol=1e-12, atol=0)
    # ... and therefore the SDE's marginals at the twin times t_i (i >= 1; x_0 is the data)
    torch.testing.assert_close(A[1:], sde.mean_coeff(grid[1:]), rtol=1e-12, atol=0)
    torch.testing.assert_close(V[1:], sde.marginal_std(grid[1:]) ** 2, rtol=1e-12, atol=0)


def test_discretize_sample_path_with_shared_noise(sde):
    """x_i = x_{i-1} + f + G z_i with the same z_i as MarkovChain.step gives the same path."""
    N = 50
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(16, 2, 3, generator=gen, dtype=torch.float64)
    zs = torch.randn(N, *x0.shape, generator=gen, dtype=torch.float64)
    ch = sde.chain(N)
    x_d = x_c = x0
    for i in range(1, N + 1):
        f, G = sde.discretize(x_d, ch.times[i], N=N)
        x_d = x_d + f + G * zs[i - 1]
        x_c = ch.step(x_c, i, zs[i - 1])
    torch.testing.assert_close(x_d, x_c, rtol=1e-12, atol=1e-12)
    # the chain's closed-form marginal sample has the same law: same mean, variance s_N^2
    A = float(torch.prod(ch.a))
    assert A == pytest.approx(float(ch.m[-1]), rel=1e-12)


def test_discretize_per_sample_times_and_dtype(sde):
    N = 20
    ch = sde.chain(N)
    idx = torch.tensor([1, 5, 20, 13])
    x = torch.randn(4, 3, 2, 2, dtype=torch.float32)
    f, G = sde.discretize(x, ch.times[idx].float(), N=N)
    assert f.dtype == torch.float32 and f.shape == x.shape and G.ndim == x.ndim
    for k, i in enumerate(idx.tolist()):
        f_i, G_i = sde.discretize(x[k : k + 1], float(ch.times[i]), N=N)
        torch.testing.assert_close(f[k : k + 1], f_i)
        torch.testing.assert_close(G[k : k + 1].flatten(), G_i.flatten())
    with pytest.raises(ValueError, match="twin time"):
        sde.discretize(x, 0.5 / N * sde.T, N=N)  # between two twin times


@pytest.mark.parametrize("N", [1, 2, 10, 1000])
def test_chain_matches_sde_marginals_at_grid_times(sde, N):
    ch = sde.chain(N)
    t = ch.times[1:]
    torch.testing.assert_close(ch.m[1:], sde.mean_coeff(t), rtol=1e-12, atol=0)
    torch.testing.assert_close(ch.s[1:], sde.marginal_std(t), rtol=1e-12, atol=0)
    assert float(ch.m[0]) == 1.0 and float(ch.s[0]) == 0.0
    # the transition coefficients agree with the exact kernel between consecutive times
    a, b = sde.transition(ch.times[1:-1], ch.times[2:]) if N > 1 else (ch.a[1:], ch.b[1:])
    torch.testing.assert_close(ch.a[1:], a, rtol=1e-12, atol=0)
    torch.testing.assert_close(ch.b[1:], b, rtol=1e-12, atol=0)


def test_chain_kinds_are_ddpm_and_smld():
    vp, ve = VPSDE().chain(100), VESDE(marginal="smld").chain(100)
    assert vp.kind == "ddpm" and ve.kind == "smld"
    # DDPM (Ho et al. 2020, Eq. 2): a_i = sqrt(1 - beta_i), b_i = sqrt(beta_i), abar_i = prod(1 - beta_j)
    torch.testing.assert_close(vp.a**2 + vp.b**2, torch.ones(100, dtype=torch.float64), rtol=0, atol=1e-15)
    torch.testing.assert_close(vp.alphas_bar[1:], torch.cumprod(1 - vp.betas, 0), rtol=1e-12, atol=0)
    # SMLD (Song & Ermon 2019): a_i = 1, sigma_i geometric, b_i^2 = sigma_i^2 - sigma_{i-1}^2
    assert torch.equal(ve.a, torch.ones(100, dtype=torch.float64))
    ratio = ve.sigmas[2:] / ve.sigmas[1:-1]
    torch.testing.assert_close(ratio, torch.full_like(ratio, (50 / 0.01) ** (1 / 100)), rtol=1e-12, atol=0)
    torch.testing.assert_close(ve.b[1:] ** 2, ve.sigmas[2:] ** 2 - ve.sigmas[1:-1] ** 2, rtol=1e-12, atol=0)
    assert float(ve.b[0]) == pytest.approx(float(ve.sigmas[1]), rel=1e-15)  # sigma_0 = 0: x_0 is the data


@pytest.mark.parametrize("N", range(1, 21))
def test_twin_is_valid_for_every_small_N(N):
    """sde.chain(N) keeps 0 < beta_i < 1 for every N >= 1; score_sde's beta(t_i) T/N does not."""
    for sde in (VPSDE(), VPSDE.cosine()):
        ch = sde.chain(N)
        beta = ch.betas
        assert bool(torch.isfinite(beta).all()) and bool((beta > 0).all()) and bool((beta < 1).all())
        assert bool(torch.isfinite(ch.m).all()) and bool(torch.isfinite(ch.s).all())
    vp = VPSDE()
    t = torch.linspace(0, vp.T, N + 1, dtype=torch.float64)[1:]
    euler = vp.beta(t) * vp.T / N
    assert float(euler.max()) >= 1.0  # beta_N = beta_max/N = 20/N >= 1 for N <= 20: NaN samplers
    with pytest.raises(ValueError, match="betas"):
        MarkovChain.from_betas(euler)


def test_euler_mapping_valid_from_N_21():
    vp = VPSDE()
    t = torch.linspace(0, 1, 22, dtype=torch.float64)[1:]
    assert float((vp.beta(t) / 21).max()) < 1.0


def _euler_chain_error(N: int) -> float:
    vp = VPSDE()
    t = torch.linspace(0, vp.T, N + 1, dtype=torch.float64)
    ch = MarkovChain.from_betas(vp.beta(t[1:]) * vp.T / N, times=t)
    return max(float((ch.m[1:] - vp.mean_coeff(t[1:])).abs().max()), float((ch.s[1:] - vp.marginal_std(t[1:])).abs().max()))


def test_euler_mapping_converges_at_rate_one_over_N():
    """beta_i = beta(t_i) T/N (score_sde, Ho et al.) is first-order: log-log slope 1 +- 0.15."""
    Ns = np.array([25, 50, 100, 200, 400])
    errs = np.array([_euler_chain_error(int(n)) for n in Ns])
    slope = -np.polyfit(np.log(Ns), np.log(errs), 1)[0]
    assert abs(slope - 1.0) < 0.15, (slope, errs)
    assert errs[-1] < 1e-2  # and it does converge (to the exact twin, whose error is 0)


def test_ho2020_is_the_vp_twin_to_first_order():
    """Ho et al.'s betas linspace(1e-4, 0.02, 1000) are score_sde's linspace(beta_min/N, beta_max/N, N)
    for VPSDE(0.1, 20): its marginals differ from the SDE's at t_i = i/N by O(1/N)."""
    ho = MarkovChain.ho2020()
    assert ho.N == 1000 and float(ho.betas[0]) == pytest.approx(1e-4) and float(ho.betas[-1]) == pytest.approx(0.02)
    torch.testing.assert_close(ho.betas, torch.linspace(0.1 / 1000, 20 / 1000, 1000, dtype=torch.float64))
    vp, t = VPSDE(), torch.linspace(0, 1, 1001, dtype=torch.float64)
    err = float((ho.s[1:] - vp.marginal_std(t[1:])).abs().max())
    assert 1e-4 < err < 10.0 / 1000  # first order, not exact
    exact = vp.chain(1000)
    assert float((exact.s - vp.marginal_std(t)).abs()[1:].max()) < 1e-14


def test_song_ermon2019_chain():
    ch = MarkovChain.song_ermon2019()
    assert ch.kind == "smld" and ch.N == 10
    sig = ch.sigmas[1:]
    assert float(sig[0]) == pytest.approx(0.01, rel=1e-6) and float(sig[-1]) == pytest.approx(1.0, rel=1e-6)
    r = sig[1:] / sig[:-1]
    torch.testing.assert_close(r, torch.full_like(r, 100 ** (1 / 9)), rtol=1e-6, atol=0)


def test_chain_constructors_reject_bad_input():
    with pytest.raises(ValueError, match="betas"):
        MarkovChain.from_betas([0.1, 1.0])
    with pytest.raises(ValueError, match="betas"):
        MarkovChain.from_betas([0.0, 0.5])
    with pytest.raises(ValueError, match="betas"):
        MarkovChain.from_betas([math.nan])
    with pytest.raises(ValueError, match="betas"):
        MarkovChain.from_betas([])
    with pytest.raises(ValueError, match="sigmas"):
        MarkovChain.from_sigmas([0.5, 0.2])
    with pytest.raises(ValueError, match="sigmas"):
        MarkovChain.from_sigmas([-1.0, 2.0])
    with pytest.raises(ValueError, match="N"):
        VPSDE().chain(0)
    with pytest.raises(ValueError, match="times"):
        VPSDE().chain_on(f64([0.1, 0.5]))
    with pytest.raises(ValueError, match="times"):
        VPSDE().chain_on(f64([0.0, 0.5, 0.4]))


def test_chain_on_arbitrary_grid_is_exact(sde):
    times = f64([0.0, 1e-4, 0.01, 0.3, 0.31, 1.0]) * sde.T
    ch = sde.chain_on(times)
    torch.testing.assert_close(ch.s[1:], sde.marginal_std(times[1:]), rtol=1e-12, atol=0)
    torch.testing.assert_close(torch.cumprod(ch.a, 0), ch.m[1:], rtol=1e-12, atol=0)
