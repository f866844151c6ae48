"""Contract tests every registered step inherits (see scoresde/solvers/base.py)."""
from __future__ import annotations

import math

import pytest
import torch

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S
from scoresde.analytic import GaussianMixture
from scoresde.noise import PerSampleNoise

from _solver_cases import corrector_cases, predictor_cases, predictor_for

PRED = predictor_cases()
CORR = corrector_cases()
SDE_NAMES = list(sd.SDES)


def _image_mixture():
    g = torch.Generator().manual_seed(5)
    means = torch.randn(2, 16, generator=g, dtype=torch.float64)
    return GaussianMixture([0.5, 0.5], means, [0.3, 0.6], event_shape=(1, 4, 4))


def _run(sde, mix, shape, predictor, corrector=None, **kw):
    kw.setdefault("grid", grids.uniform(sde, 6))
    return sd.sample(sde, mix.score_fn(sde), shape, predictor=predictor, corrector=corrector, **kw)


def _ok(sde, step):
    try:
        step.check(sde, grids.uniform(sde, 6))
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("sde_name", SDE_NAMES)
@pytest.mark.parametrize("pid,predictor", PRED, ids=[p[0] for p in PRED])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_predictor_points_shape_dtype_nfe(sde_name, pid, predictor, dtype):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    res = _run(sde, prob.mixture, (7, 2), predictor, dtype=dtype)
    assert res.x.shape == (7, 2) and res.x.dtype == dtype and res.x.device.type == "cpu"
    assert res.x_mean.shape == (7, 2) and res.x_mean.dtype == dtype
    assert res.nfe == predictor.nfe(res.grid)
    assert torch.isfinite(res.x).all()


@pytest.mark.parametrize("pid,predictor", PRED, ids=[p[0] for p in PRED])
def test_predictor_images_shape(pid, predictor):
    mix = _image_mixture()
    sde = sd.VPSDE()
    res = _run(sde, mix, (3, 1, 4, 4), predictor)
    assert res.x.shape == (3, 1, 4, 4) and res.x.dtype == torch.float32


@pytest.mark.parametrize("cid,corrector", CORR, ids=[c[0] for c in CORR])
@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_corrector_contract(cid, corrector, sde_name):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde(sde_name)
    if not _ok(sde, corrector):
        with pytest.raises(ValueError, match=corrector.name):
            _run(sde, prob.mixture, (4, 2), S.EulerMaruyama(), corrector)
        return
    pred = predictor_for(corrector)
    for shape, mix in [((5, 2), prob.mixture), ((3, 1, 4, 4), _image_mixture())]:
        res = _run(sde, mix, shape, pred, corrector, dtype=torch.float64)
        assert res.x.shape == shape and res.x.dtype == torch.float64
        assert res.nfe == pred.nfe(res.grid) + corrector.nfe(res.grid)


@pytest.mark.parametrize("pid,predictor", PRED, ids=[p[0] for p in PRED])
def test_same_seed_bit_identical_and_seed_matters(pid, predictor):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    a = _run(sde, prob.mixture, (6, 2), predictor, corrector=S.Langevin(), seed=3).x
    b = _run(sde, prob.mixture, (6, 2), predictor, corrector=S.Langevin(), seed=3).x
    c = _run(sde, prob.mixture, (6, 2), predictor, corrector=S.Langevin(), seed=4).x
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("pid,predictor", PRED, ids=[p[0] for p in PRED])
@pytest.mark.parametrize("corrector", [None, S.Langevin(n_steps=2)], ids=["nocorr", "langevin"])
def test_sample_depends_on_seed_and_index_only(pid, predictor, corrector):
    """Sample i is the same whatever the batch size or the order of the batch."""
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("ve")
    full = _run(sde, prob.mixture, (9, 2), predictor, corrector, seed=11, dtype=torch.float64).x
    idx = [7, 2, 8, 0]
    part = _run(sde, prob.mixture, (4, 2), predictor, corrector, seed=11, indices=idx, dtype=torch.float64).x
    torch.testing.assert_close(part, full[idx], rtol=1e-12, atol=1e-12)


def test_per_sample_noise_chunking_is_batch_independent():
    src = PerSampleNoise(seed=2)
    big = src.randn((3000, 2), 1, 5)
    idx = torch.tensor([2999, 5, 1024, 1023, 2048])
    small = PerSampleNoise(seed=2, indices=idx).randn((5, 2), 1, 5)
    assert torch.equal(small, big[idx])
    assert not torch.equal(src.randn((10, 2), 1, 6), big[:10])  # steps get fresh noise


@pytest.mark.parametrize(
    "bad,match",
    [
        (torch.tensor([1.0, 0.5, 0.7, 0.001]), "decreasing"),
        (torch.tensor([1.5, 0.5, 0.001]), r"\[eps, T\]"),
        (torch.tensor([1.0, 0.5, 1e-6]), r"\[eps, T\]"),
        (torch.tensor([1.0]), "at least 2"),
        (torch.tensor([1.0, float("nan"), 0.001]), "finite"),
    ],
)
@pytest.mark.parametrize("pid,predictor", PRED[:3], ids=[p[0] for p in PRED[:3]])
def test_bad_grids_rejected_before_work(bad, match, pid, predictor):
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    calls = sd.CountingScore(prob.mixture.score_fn(sde))
    with pytest.raises(ValueError, match="grid") as e:
        sd.sample(sde, calls, (4, 2), predictor=predictor, grid=bad)
    assert __import__("re").search(match, str(e.value))
    assert calls.nfe == 0


def test_incompatible_pair_rejected_at_construction():
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    calls = sd.CountingScore(prob.mixture.score_fn(sde))
    with pytest.raises(ValueError, match="variance-exploding"):
        sd.sample(sde, calls, (4, 2), predictor=S.NoPredictor(), corrector=S.AnnealedLangevin())
    assert calls.nfe == 0
    with pytest.raises(ValueError, match="predictor"):
        sd.sample(sde, calls, (4, 2), predictor=S.Langevin())
    with pytest.raises(ValueError, match="corrector"):
        sd.sample(sde, calls, (4, 2), predictor=S.EulerMaruyama(), corrector=S.Heun())


@pytest.mark.parametrize("pid,predictor", PRED, ids=[p[0] for p in PRED])
def test_non_finite_stops_with_step_time_and_sampler(pid, predictor):
    if predictor.nfe_per_step == 0:
        pytest.skip("never evaluates the score")
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    exact = prob.mixture.score_fn(sde)
    grid = grids.uniform(sde, 10)
    t_bad = float(grid[4])

    def score(x, t):
        out = exact(x, t)
        return out * float("nan") if abs(float(t[0]) - t_bad) < 1e-6 else out

    with pytest.raises(FloatingPointError) as e:
        sd.sample(sde, score, (4, 2), predictor=predictor, grid=grid)
    msg = str(e.value)
    assert "step 4" in msg or "step 3" in msg  # Heun evaluates at t_next of step 3
    assert predictor.name in msg and "t =" in msg


def test_denoise_costs_one_nfe_and_applies_tweedie():
    prob = sd.get_problem("gaussian")
    sde = prob.sde("vp")
    sc = prob.mixture.score_fn(sde)
    g = grids.uniform(sde, 5)
    a = sd.sample(sde, sc, (4, 2), predictor=S.ODEEuler(), grid=g, dtype=torch.float64)
    b = sd.sample(sde, sc, (4, 2), predictor=S.ODEEuler(), grid=g, dtype=torch.float64, denoise=True)
    assert b.nfe == a.nfe + 1
    t = float(g[-1])
    expect = sd.tweedie(a.x, sc(a.x, torch.full((4,), t, dtype=torch.float64)), t, sde)
    torch.testing.assert_close(b.x, expect, rtol=1e-12, atol=1e-12)


def test_trajectory_and_callback():
    prob = sd.get_problem("gmm2d")
    sde = prob.sde("vp")
    seen = []
    res = sd.sample(sde, prob.mixture.score_fn(sde), (3, 2), predictor=S.EulerMaruyama(), grid=grids.uniform(sde, 4),
                    trajectory=True, callback=lambda i, t, x, xm: seen.append((i, t)))
    assert len(res.trajectory) == 5 and torch.equal(res.trajectory[-1], res.x)
    assert [i for i, _ in seen] == [0, 1, 2, 3] and math.isclose(seen[-1][1], sde.eps)


def test_registry_declarations():
    for name, cls in {**S.PREDICTORS, **S.CORRECTORS}.items():
        assert cls.name == name
        step = cls()
        assert step.nfe_per_step >= 0
        assert step.kind in ("predictor", "corrector")
        if step.kind == "predictor" and name != "none":
            assert step.order in (1.0, 2.0, 3.0, 4.0)


def test_batch_noise_is_reproducible_but_batch_dependent():
    src_a, src_b = sd.BatchNoise(3), sd.BatchNoise(3)
    like = torch.empty(6, 2)
    a1, a2 = src_a(like, 1, 0), src_a(like, 1, 1)
    assert torch.equal(a1, src_b(like, 1, 0)) and not torch.equal(a1, a2)
    small = sd.BatchNoise(3)
    s1, s2 = small(torch.empty(3, 2), 1, 0), small(torch.empty(3, 2), 1, 1)
    assert torch.equal(s1, a1[:3])
    # batch-dependent: sample 0's second draw in a batch of 3 is sample 3's first draw in a batch of 6
    assert torch.equal(s2, a1[3:]) and not torch.equal(s2, a2[:3])
