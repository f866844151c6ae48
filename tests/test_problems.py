"""Built-in problems and their per-problem SDE defaults."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist

from scoresde import PROBLEMS, VESDE, VPSDE, get_problem


def test_problem_definitions():
    g = get_problem("gmm2d").mixture
    assert g.n_components == 8 and g.dim == 2
    torch.testing.assert_close(g.means.norm(dim=1), torch.full((8,), 4.0, dtype=torch.float64))
    assert torch.equal(g.stds, torch.full((8, 2), 0.5, dtype=torch.float64))
    torch.testing.assert_close(g.weights, torch.full((8,), 1 / 8, dtype=torch.float64))
    sharp = get_problem("gmm2d-sharp").mixture
    assert torch.equal(sharp.means, g.means) and torch.equal(sharp.stds, torch.full((8, 2), 0.05, dtype=torch.float64))
    h = get_problem("gmm64d").mixture
    assert h.n_components == 4 and h.dim == 64
    assert len(set(h.weights.tolist())) == 4  # unequal modes
    torch.testing.assert_close(h.weights.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert torch.equal(get_problem("gmm64d").mixture.means, h.means)  # deterministic
    assert get_problem("gaussian").mixture.dim == 2 and get_problem("gaussian1d").mixture.dim == 1
    assert set(PROBLEMS) == {"gmm2d", "gmm2d-sharp", "gmm64d", "gaussian", "gaussian1d"}


def _max_distance_lower_bound(problem) -> float:
    """Largest distance between two component means: the data certainly span at least this."""
    mu = problem.mixture.means.numpy()
    return float(pdist(mu).max()) if len(mu) > 1 else 0.0


@pytest.mark.parametrize("name", PROBLEMS)
def test_ve_sigma_max_follows_song_ermon_rule(name):
    """sigma_max ~ the largest distance between data points (Song & Ermon 2020, Technique 1):
    not smaller than the data's spread (independent sample, scipy pdist), and not far larger."""
    p = get_problem(name)
    sde = p.sde("ve")
    assert isinstance(sde, VESDE)
    x = p.mixture.sample(2000, torch.Generator().manual_seed(123)).reshape(2000, -1).numpy()
    d_max = float(pdist(x).max())
    assert sde.sigma_max >= _max_distance_lower_bound(p)
    assert sde.sigma_max >= 0.97 * d_max
    assert sde.sigma_max <= 1.5 * d_max
    if name == "gmm2d":
        assert sde.sigma_max >= d_max >= 8.0
        assert sde.sigma_max != VESDE().sigma_max  # a per-problem default, not the image default


def test_problem_sde_defaults_and_overrides():
    p = get_problem("gmm2d")
    vp = p.sde("vp")
    assert isinstance(vp, VPSDE) and (vp.beta_min, vp.beta_max) == (0.1, 20.0)
    ve = p.sde("ve", sigma_max=30.0, marginal="smld")
    assert ve.sigma_max == 30.0 and ve.marginal == "smld"
    assert p.sde("vp-cosine").name == "vp-cosine" and p.sde("subvp").name == "subvp"
    with pytest.raises(ValueError, match="SDE"):
        p.sde("nope")
    with pytest.raises(ValueError, match="problem"):
        get_problem("nope")


def test_problems_have_exact_scores_under_their_sdes():
    """Smoke check of the whole chain: every problem x every default SDE gives finite exact scores."""
    for name in PROBLEMS:
        p = get_problem(name)
        for sde_name in ("vp", "vp-cosine", "subvp", "ve"):
            sde = p.sde(sde_name)
            x = p.mixture.sample_t(sde, 0.5 * sde.T, 16, torch.Generator().manual_seed(0))
            s = p.mixture.score(x, sde, sde.eps)
            assert s.shape == x.shape and bool(torch.isfinite(s).all())
            assert np.isfinite(float(p.mixture.log_prob(x, sde, sde.T).sum()))
            assert math.isfinite(float(sde.prior_logp(x).sum()))
