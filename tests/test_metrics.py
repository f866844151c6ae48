"""Metrics against known answers (scoresde/metrics.py)."""
from __future__ import annotations

import math

import mpmath
import pytest
import torch

from scoresde import metrics as M
from scoresde.problems import get_problem


def _g(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- sliced W2
def test_sliced_w2_identical_samples_is_zero():
    x = torch.randn(500, 3, generator=_g(0), dtype=torch.float64)
    assert M.sliced_w2(x, x.clone()) == 0.0


def test_sliced_w2_of_a_shift_is_exact_per_direction():
    # A shift moves every sorted projection by u.delta, so W2^2 along u is (u.delta)^2 exactly.
    x = torch.randn(400, 3, generator=_g(1), dtype=torch.float64)
    delta = torch.tensor([0.3, -1.2, 0.5], dtype=torch.float64)
    sw = M.SlicedW2(x, n_proj=64, seed=3)
    expect = math.sqrt(float(((sw.proj @ delta) ** 2).mean()))
    assert M.sliced_w2(x + delta, x, n_proj=64, seed=3) == pytest.approx(expect, rel=1e-12)


def test_sliced_w2_of_a_shift_averages_to_norm_over_sqrt_d():
    # E_u (u.delta)^2 = |delta|^2 / d over uniform unit directions u in R^d.
    d = 4
    x = torch.randn(300, d, generator=_g(2), dtype=torch.float64)
    delta = torch.tensor([1.0, 2.0, -2.0, 0.5], dtype=torch.float64)
    got = M.sliced_w2(x + delta, x, n_proj=20000, seed=0)
    assert got == pytest.approx(float(delta.norm()) / math.sqrt(d), rel=0.02)


def test_sliced_w2_between_isotropic_gaussians_is_difference_of_stds():
    # Every projection of N(0, a^2 I) is N(0, a^2): 1-D W2 = |a - b| on each direction.
    a, b, n = 1.0, 1.5, 40000
    x = a * torch.randn(n, 2, generator=_g(3), dtype=torch.float64)
    y = b * torch.randn(n, 2, generator=_g(4), dtype=torch.float64)
    assert M.sliced_w2(x, y, n_proj=32) == pytest.approx(b - a, abs=0.03)


def test_sliced_w2_unequal_sizes_and_bad_input():
    x = torch.randn(300, 2, generator=_g(5), dtype=torch.float64)
    y = torch.randn(700, 2, generator=_g(6), dtype=torch.float64) + torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert M.sliced_w2(x, y, n_proj=4000) == pytest.approx(1 / math.sqrt(2), rel=0.1)
    with pytest.raises(ValueError, match="dimension"):
        M.sliced_w2(x, torch.zeros(10, 3))
    with pytest.raises(ValueError, match="non-finite"):
        M.sliced_w2(torch.full((5, 2), float("nan")), x)


# ---------------------------------------------------------------- MMD
def _mmd2_gauss(delta2: float, s: float, h: float, d: int) -> float:
    """Population MMD^2 of N(mu1, s^2 I) and N(mu2, s^2 I) with k = exp(-|x-y|^2/(2h^2)).

    E k(X, X') = (h^2/(h^2 + 2 s^2))^(d/2) and E k(X, Y) adds exp(-|delta|^2 / (2 (h^2 + 2 s^2))).
    """
    c = (h * h / (h * h + 2 * s * s)) ** (d / 2)
    return 2 * c * (1 - math.exp(-delta2 / (2 * (h * h + 2 * s * s))))


def test_mmd2_matches_the_gaussian_closed_form():
    n, d, s, h = 3000, 2, 1.0, 1.5
    delta = torch.tensor([0.8, 0.0], dtype=torch.float64)
    x = s * torch.randn(n, d, generator=_g(7), dtype=torch.float64)
    y = s * torch.randn(n, d, generator=_g(8), dtype=torch.float64) + delta
    got = M.mmd2(x, y, bandwidth=h)
    want = _mmd2_gauss(float(delta @ delta), s, h, d)
    assert got == pytest.approx(want, rel=0.1)


def test_mmd2_matches_brute_force_and_is_unbiased_near_zero():
    x = torch.randn(200, 2, generator=_g(9), dtype=torch.float64)
    y = torch.randn(250, 2, generator=_g(10), dtype=torch.float64) + 0.3
    h = 0.9
    k = lambda a, b: torch.exp(-torch.cdist(a, b) ** 2 / (2 * h * h))  # noqa: E731
    kxx, kyy = k(x, x), k(y, y)
    want = ((kxx.sum() - kxx.trace()) / (200 * 199) + (kyy.sum() - kyy.trace()) / (250 * 249) - 2 * k(x, y).mean())
    assert M.mmd2(x, y, bandwidth=h) == pytest.approx(float(want), rel=1e-10)
    # same distribution: the unbiased estimate scatters around 0 (it may be negative)
    vals = [M.mmd2(torch.randn(300, 2, generator=_g(20 + i), dtype=torch.float64),
                   torch.randn(300, 2, generator=_g(40 + i), dtype=torch.float64), bandwidth=1.0) for i in range(8)]
    assert abs(sum(vals) / len(vals)) < 3 * (torch.tensor(vals).std() / math.sqrt(8)) + 1e-4
    assert min(vals) < 0 < max(vals) or abs(sum(vals)) < 1e-3


def test_mmd_median_bandwidth_and_bad_bandwidth():
    y = torch.randn(400, 2, generator=_g(11), dtype=torch.float64)
    m = M.MMD(y)
    assert 1.0 < m.bandwidth < 2.5  # median distance of two N(0, I_2) points is sqrt(2) * 1.18 ~ 1.67
    with pytest.raises(ValueError, match="bandwidth"):
        M.MMD(y, bandwidth="silverman")
    with pytest.raises(ValueError, match="bandwidth"):
        M.MMD(y, bandwidth=-1.0)


# ---------------------------------------------------------------- noise floor
def test_noise_floor_is_reproducible_and_shrinks_with_n():
    mix = get_problem("gmm2d").mixture
    draw = lambda k, g: mix.sample(k, g)  # noqa: E731
    small = M.noise_floor(M.SlicedW2(mix.sample(200, _g(1))), draw, 200, repeats=4, seed=1)
    again = M.noise_floor(M.SlicedW2(mix.sample(200, _g(1))), draw, 200, repeats=4, seed=1)
    large = M.noise_floor(M.SlicedW2(mix.sample(5000, _g(1))), draw, 5000, repeats=4, seed=1)
    assert small.values == again.values and len(small.values) == 4
    assert small.std > 0 and small.upper == pytest.approx(small.mean + 2 * small.std)
    assert large.mean < small.mean / 2  # ~ 1/sqrt(n)
    d = small.as_dict()
    assert set(d) == {"mean", "std", "upper", "values"}


# ---------------------------------------------------------------- endpoints and modes
def test_endpoint_rmse_and_mode_flips():
    ref = torch.zeros(4, 2, dtype=torch.float64)
    x = torch.tensor([[3.0, 4.0], [0, 0], [0, 0], [0, 0]], dtype=torch.float64)
    assert M.endpoint_rmse(x, ref) == pytest.approx(math.sqrt(25 / 8))
    assert M.endpoint_rmse(ref, ref) == 0.0
    mix = get_problem("gmm2d").mixture
    mu = mix.means
    assert M.mode_flips(mix, mu[[0, 1, 2]], mu[[0, 2, 2]]) == 1
    with pytest.raises(ValueError, match="shape"):
        M.endpoint_rmse(x, ref[:2])


def test_mode_weight_tv_known_answers():
    mix = get_problem("gmm2d").mixture  # 8 equal modes
    all_in_one = mix.means[[0] * 16]
    assert M.mode_weight_tv(mix, all_in_one) == pytest.approx(1 - 1 / 8)
    one_each = mix.means
    assert M.mode_weight_tv(mix, one_each) == pytest.approx(0.0, abs=1e-15)


def test_mode_moment_errors_are_about_one_for_exact_samples_and_large_when_wrong():
    mix = get_problem("gmm2d").mixture
    x = mix.sample(20000, _g(12))
    e = M.mode_moment_errors(mix, x)
    assert 0.5 < e["mean_z"] < 1.8 and 0.5 < e["cov_z"] < 1.8 and e["missing_modes"] == 0
    bad = M.mode_moment_errors(mix, x * 1.1)  # means and spread 10% off
    assert bad["mean_z"] > 5 and bad["cov_z"] > 3
    few = M.mode_moment_errors(mix, mix.means[[0] * 30] + 0.1 * torch.randn(30, 2, generator=_g(3), dtype=torch.float64))
    assert few["missing_modes"] == 7


# ---------------------------------------------------------------- KL
def test_gaussian_kl_matches_torch_and_is_zero_for_equal():
    mq, vq = torch.tensor([0.5, -1.0]), torch.tensor([0.3, 2.0])
    mp, vp = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.5])
    want = torch.distributions.kl_divergence(torch.distributions.Normal(mq.double(), vq.double().sqrt()),
                                             torch.distributions.Normal(mp.double(), vp.double().sqrt())).sum()
    assert M.gaussian_kl(mq, vq, mp, vp) == pytest.approx(float(want), rel=1e-12)
    assert M.gaussian_kl(mp, vp, mp, vp) == 0.0
    with pytest.raises(ValueError, match="variances"):
        M.gaussian_kl(mq, -vq, mp, vp)


@pytest.mark.parametrize("rel", [1e-9, 1e-6, 3e-4, 1e-2])
def test_gaussian_kl_stays_accurate_for_tiny_variance_errors(rel):
    vp = torch.tensor([0.25], dtype=torch.float64)
    vq = vp * (1 + rel)
    mpmath.mp.dps = 50
    r = mpmath.mpf(1) + mpmath.mpf(rel)
    want = float((r - 1 - mpmath.log(r)) / 2)
    assert M.gaussian_kl(torch.zeros(1), vq, torch.zeros(1), vp) == pytest.approx(want, rel=1e-6)

