"""Grids tuned against the exact PF-ODE solution, saved and loaded; Align-Your-Steps grids."""
from __future__ import annotations

import json
import math

import pytest
import torch

import scoresde as sd
from scoresde import grid_tuning as GT
from scoresde import grids
from scoresde import solvers as S
from scoresde.problems import get_problem


@pytest.fixture(scope="module")
def tuned():
    p = get_problem("gmm2d")
    sde = p.sde("vp")
    tg = grids.optimize(p, sde, S.DPMSolverPP2M(), 5, n=32, seed=3, max_evals=30, time_limit=60)
    return p, sde, tg


def test_optimize_beats_every_standard_grid_on_the_stated_objective(tuned):
    p, sde, tg = tuned
    best_standard = min(tg.meta["rmse_standard"].values())
    assert tg.meta["rmse"] < 0.9 * best_standard
    # recompute the objective independently: sample on the saved grid, compare with DOP853 from the same x_T
    g = tg.grid(sde)
    assert g.numel() == 6 and bool((g[1:] < g[:-1]).all()) and float(g[0]) == sde.T and float(g[-1]) == sde.eps
    score = p.mixture.score_fn(sde)
    x_T = GT.prior_draws(sde, (32, 2), 3)
    assert torch.equal(x_T, sd.sample(sde, score, (32, 2), predictor=S.ODEEuler(), grid=grids.uniform(sde, 1),
                                      seed=3, dtype=torch.float64, trajectory=True).trajectory[0])
    ref = GT.reference(sde, score, x_T)
    x = sd.sample(sde, score, (32, 2), predictor=S.DPMSolverPP2M(), grid=g, x_T=x_T, dtype=torch.float64).x
    assert math.sqrt(float(((x - ref) ** 2).mean())) == pytest.approx(tg.meta["rmse"], rel=1e-9)
    for name, make in GT.standard_grids(sde, 5).items():
        assert GT.endpoint_rmse(sde, score, S.DPMSolverPP2M(), make, x_T, ref) == pytest.approx(tg.meta["rmse_standard"][name], rel=1e-9)


def test_saved_grid_round_trips_and_is_registered(tuned, tmp_path):
    p, sde, tg = tuned
    path = tmp_path / "g.json"
    GT.save(tg, str(path))
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".tmp")]
    back = grids.load(str(path))
    assert back.times == tg.times and back.sigmas == tg.sigmas and back.name == tg.name and back.meta == tg.meta
    assert torch.equal(grids.named(tg.name, sde), tg.grid(sde))
    assert torch.equal(back.grid(sde), torch.tensor(tg.times, dtype=torch.float64))
    # on another SDE the log-sigma spacing carries over, end points pinned
    ve = p.sde("ve")
    gv = back.grid(ve)
    assert float(gv[0]) == ve.T and float(gv[-1]) == ve.eps and bool((gv[1:] < gv[:-1]).all())
    ls = torch.log(ve.noise_level(gv))
    lt = torch.log(torch.tensor(tg.sigmas, dtype=torch.float64))
    rel = lambda v: (v - v[-1]) / (v[0] - v[-1])  # noqa: E731
    torch.testing.assert_close(rel(ls), rel(lt), rtol=0, atol=1e-9)


def _write(path, obj):
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


@pytest.mark.parametrize("edit, why", [
    (lambda d: "{not json", "JSON"),
    (lambda d: {**d, "format": "other"}, "not a"),
    (lambda d: {**d, "version": 99}, "version"),
    (lambda d: {k: v for k, v in d.items() if k != "times"}, "times"),
    (lambda d: {**d, "times": list(reversed(d["times"]))}, "strictly decreasing"),
    (lambda d: {**d, "times": [2.0] + d["times"][1:]}, r"\[eps, T\]"),
    (lambda d: {**d, "sigmas": d["sigmas"][:-1]}, "same length"),
    (lambda d: {**d, "sigmas": [float("nan")] + d["sigmas"][1:]}, "finite"),
    (lambda d: {**d, "sde": {"name": "nope"}}, "unknown SDE"),
    (lambda d: {**d, "name": "a/b"}, "name"),
])
def test_bad_file_raises_valueerror_naming_the_file(tuned, tmp_path, edit, why):
    tg = tuned[2]
    path = _write(tmp_path / "bad grid.json", edit(tg.to_json()))
    with pytest.raises(ValueError, match=why) as e:
        grids.load(path)
    assert "bad grid.json" in str(e.value)
    with pytest.raises(ValueError, match="missing.json"):
        grids.load(str(tmp_path / "missing.json"))


def test_optimize_rejects_bad_requests():
    p = get_problem("gmm2d")
    sde = p.sde("vp")
    with pytest.raises(ValueError, match="nfe"):
        grids.optimize(p, sde, S.Heun(), 5)
    with pytest.raises(ValueError, match="predictor"):
        grids.optimize(p, sde, S.EulerMaruyama(), 6)
    with pytest.raises(ValueError, match="at least 2"):
        grids.optimize(p, sde, S.ODEEuler(), 1)
    with pytest.raises(ValueError, match="unknown tuned grid"):
        grids.named("no-such-grid", sde)


# ------------------------------------------------------------------ Align Your Steps
PUBLISHED_SD15 = [14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520, 1.8841921177, 1.3943805092,
                  0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0.0291671582]


def test_ays_matches_the_published_schedule_at_its_nfe():
    assert grids.ays_sigmas(10, "sd15") == PUBLISHED_SD15
    # on an SDE with Stable Diffusion's noise range the grid reproduces the published sigmas
    # (VE's sigma(eps) = sigma_min^(1 - eps/T) sigma_max^(eps/T): choose sigma_min so that it is 0.0291671582)
    eps, hi, lo = 1e-5, PUBLISHED_SD15[0], PUBLISHED_SD15[-1]
    ve = sd.VESDE(sigma_min=math.exp((math.log(lo) - eps * math.log(hi)) / (1 - eps)), sigma_max=hi, marginal="smld", eps=eps)
    torch.testing.assert_close(ve.noise_level(grids.ays(ve, 10)), torch.tensor(PUBLISHED_SD15, dtype=torch.float64),
                               rtol=1e-9, atol=0)


def test_ays_log_linear_interpolation_rule():
    s20 = grids.ays_sigmas(20, "sdxl")
    pub = list(grids.AYS_SIGMAS["sdxl"])
    for i in range(0, 21, 2):  # every other point is a published value
        assert s20[i] == pytest.approx(pub[i // 2], rel=1e-12)
    for i in range(1, 20, 2):  # the others are geometric means of their neighbours (linear in log sigma)
        assert s20[i] == pytest.approx(math.sqrt(pub[i // 2] * pub[i // 2 + 1]), rel=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 5, 10, 20, 50])
@pytest.mark.parametrize("model", ["sd15", "sdxl"])
def test_ays_grids_strictly_decreasing_on_every_sde(sde, steps, model):
    g = grids.ays(sde, steps, model)
    assert g.numel() == steps + 1 and bool((g[1:] < g[:-1]).all())
    assert float(g[0]) == sde.T and float(g[-1]) == sde.eps
    assert torch.equal(grids.validate(g, sde), g)
    with pytest.raises(ValueError, match="model"):
        grids.ays(sde, steps, "sd3")


def test_docs_example_runs(tmp_path):
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "grids.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1).replace("/tmp/", str(tmp_path) + "/")
    ns: dict = {}
    exec(compile(code, "docs/grids.md", "exec"), ns)
    assert ns["tg"].meta["rmse"] <= min(ns["tg"].meta["rmse_standard"].values())
    assert ns["res"].x.shape == (1000, 2) and ns["ays"].numel() == 11
