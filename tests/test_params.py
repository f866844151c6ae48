"""Score parameterisations (score, eps, x0, v) through the SDE's (m, s), Tweedie, and the model wrappers."""
from __future__ import annotations

import itertools

import pytest
import torch

from conftest import f64
from scoresde import CountingScore, ScoreModel, convert, gaussian, tweedie
from scoresde.params import KINDS


def _batch(sde, n=64, shape=(3, 4), seed=0):
    gen = torch.Generator().manual_seed(seed)
    t = sde.eps + (sde.T - sde.eps) * torch.rand(n, generator=gen, dtype=torch.float64)
    x0 = torch.randn(n, *shape, generator=gen, dtype=torch.float64)
    eps = torch.randn(n, *shape, generator=gen, dtype=torch.float64)
    m = sde.mean_coeff(t).reshape(n, *([1] * len(shape)))
    s = sde.marginal_std(t).reshape(n, *([1] * len(shape)))
    return t, x0, eps, m * x0 + s * eps, m, s


def test_round_trip_score_eps_x0_v_score(sde):
    """score -> eps -> x0 -> v -> score is the identity to 1e-12 (float64, random per-sample t in [eps, T]).

    The x0 -> eps step, eps = (x - m x0)/s, is conditioned like 1/s: no formula can do better than
    unit roundoff times |x|/s. So the bound is 1e-12 wherever s(t) >= 0.01 and 1e-12 * (0.01/s)
    below (only sub-VP and VE-exact reach s ~ 1e-4 near t = eps).
    """
    t, _, _, x, _, s = _batch(sde)
    t = torch.cat([t, f64([sde.eps, sde.T])])  # both ends of the range, too
    x = torch.cat([x, x[:2]])
    s = sde.marginal_std(t)
    score = -torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64) / s[:, None, None]
    eps = convert(score, "score", "eps", x, t, sde)
    x0 = convert(eps, "eps", "x0", x, t, sde)
    v = convert(x0, "x0", "v", x, t, sde)
    back = convert(v, "v", "score", x, t, sde)
    rel = (back - score).flatten(1).norm(dim=1) / score.flatten(1).norm(dim=1)
    bound = 1e-12 * torch.clamp(0.01 / s, min=1.0)
    assert bool((rel < bound).all()), float((rel / bound).max())
    assert float(rel[s >= 0.01].max()) < 1e-12


def test_conversions_match_their_definitions(sde):
    """With x = m x0 + s eps: eps-pred eps gives x0, v = m eps - s x0 (Salimans & Ho 2022) and
    score = -eps/s (Song et al. 2021, Eq. 7) -- from the definitions, not the code's formulas."""
    t, x0, eps, x, m, s = _batch(sde, seed=2)
    truth = {"eps": eps, "x0": x0, "v": m * eps - s * x0, "score": -eps / s}
    for a, b in itertools.permutations(KINDS, 2):
        got = convert(truth[a], a, b, x, t, sde)
        torch.testing.assert_close(got, truth[b], rtol=1e-9, atol=1e-9 * float(truth[b].abs().max()))
        assert got.shape == x.shape and got.dtype == x.dtype


def test_tweedie_on_a_gaussian(sde):
    """For x0 ~ N(mu, c^2): E[x0 | x_t] = mu + m c^2 (x - m mu)/(m^2 c^2 + s^2) equals tweedie(x, exact score)."""
    mu, c = f64([1.0, -0.5]), f64([0.5, 1.5])
    g = gaussian(mu, c)
    gen = torch.Generator().manual_seed(3)
    t = sde.eps + (sde.T - sde.eps) * torch.rand(32, generator=gen, dtype=torch.float64)
    x = g.sample_t(sde, 0.5 * sde.T, 32, gen)
    m, s = sde.mean_coeff(t)[:, None], sde.marginal_std(t)[:, None]
    post_mean = mu + m * c**2 * (x - m * mu) / (m * m * c**2 + s * s)
    got = tweedie(x, g.score(x, sde, t), t, sde)
    torch.testing.assert_close(got, post_mean, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_score_model_wraps_any_kind(sde, kind):
    """A network predicting ``kind`` exactly becomes the exact score; nfe counts calls; t arrives as (B,)."""
    g = gaussian([1.0, -0.5], [0.5, 1.5])
    seen = []

    def net(x, t):
        seen.append(tuple(t.shape))
        return convert(g.score(x, sde, t), "score", kind, x, t, sde)

    model = ScoreModel(net, sde, kind)
    x = g.sample_t(sde, 0.5 * sde.T, 10, torch.Generator().manual_seed(4))
    out = model(x, 0.5 * sde.T)
    torch.testing.assert_close(out, g.score(x, sde, 0.5 * sde.T), rtol=1e-10, atol=1e-12)
    model(x, torch.full((10,), 0.3 * sde.T, dtype=torch.float64))
    assert model.nfe == 2 and seen == [(10,), (10,)]


def test_counting_score_and_float32(sde):
    g = gaussian([0.0], [1.0])
    fn = CountingScore(g.score_fn(sde))
    x = torch.randn(5, 1, dtype=torch.float32)
    for _ in range(3):
        out = fn(x, 0.5 * sde.T)
    assert fn.nfe == 3 and out.dtype == torch.float32
    t = torch.full((5,), 0.5 * sde.T, dtype=torch.float32)
    e = convert(out, "score", "eps", x, t, sde)
    assert e.dtype == torch.float32


def test_bad_kinds_are_rejected(sde):
    x = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="from_kind"):
        convert(x, "noise", "eps", x, 0.5, sde)
    with pytest.raises(ValueError, match="to_kind"):
        convert(x, "eps", "noise", x, 0.5, sde)
    with pytest.raises(ValueError, match="kind"):
        ScoreModel(lambda x, t: x, sde, "epsilon")
    with pytest.raises(ValueError, match="t must lie"):
        convert(x, "eps", "score", x, 2 * sde.T, sde)
