"""`scoresde compare` over torchrun processes: fixed-step runs split by sample index give the samples of
one process (noise bit-identical, outputs equal to round-off); 2 gloo CPU processes give the report of 1."""
from __future__ import annotations

import json
import os

import pytest
import torch

from scoresde import grids
from scoresde.compare import SAMPLERS, resolve, shard as S
from scoresde.compare.run import run_one, x_T_for
from scoresde.distributed import World, shard
from scoresde.problems import get_problem

from _torchrun import one_and_two


def _setup(n=37, sde_name="vp"):
    prob = get_problem("gmm2d")
    sde = prob.sde(sde_name)
    return sde, prob.mixture.score_fn(sde), grids.GRIDS["uniform"], x_T_for(sde, (n, 2), 4, torch.float64, "cpu")


@pytest.mark.parametrize("name", ["euler_maruyama", "pc", "heun", "sde_dpmpp_2m", "dpmpp_3m"])
@pytest.mark.parametrize("world_size", [2, 3])
def test_blocks_of_a_fixed_step_run_give_the_whole_run(name, world_size):
    """What each rank computes (its block of x_T, its indices' noise) is the one-process run, row for row."""
    sde, score, grid_fn, x_T = _setup()
    spec = resolve(name)
    whole, info = run_one(spec, sde, score, grid_fn, x_T, 12, 4)
    parts = []
    for r in range(world_size):
        b = shard(x_T.shape[0], r, world_size)
        x, part_info = run_one(spec, sde, score, grid_fn, x_T[b.start:b.stop], 12, 4, indices=b)
        assert (part_info["nfe"], part_info["steps"]) == (info["nfe"], info["steps"])  # NFE per sample path
        parts.append(x)
    torch.testing.assert_close(torch.cat(parts), whole, rtol=1e-12, atol=1e-12)
    if not spec.deterministic:  # without the indices, a block would reuse the noise of samples 0..B-1
        b = shard(x_T.shape[0], 1, world_size)
        wrong, _ = run_one(spec, sde, score, grid_fn, x_T[b.start:b.stop], 12, 4)
        assert not torch.allclose(wrong, whole[b.start:b.stop])


def test_only_fixed_step_runs_are_split():
    assert S.splits(SAMPLERS["heun"]) and S.splits(resolve("dpmpp_2m"))
    assert not S.splits(SAMPLERS["dopri5"])  # one error norm for the whole batch
    sde, score, grid_fn, x_T = _setup()
    with pytest.raises(ValueError, match="dopri5.*batch-coupled"):
        run_one(SAMPLERS["dopri5"], sde, score, grid_fn, x_T, 20, 4, indices=range(37))


def test_one_process_is_the_plain_run():
    sde, score, grid_fn, x_T = _setup()
    a, ia = S.run_on_ranks(SAMPLERS["euler_maruyama"], sde, score, grid_fn, x_T, 10, 4, None, World())
    b, ib = run_one(SAMPLERS["euler_maruyama"], sde, score, grid_fn, x_T, 10, 4)
    assert torch.equal(a, b) and ia["nfe"] == ib["nfe"] == 10


def test_a_failure_on_one_rank_is_raised_on_every_rank(monkeypatch):
    """Rank 1's block ran fine, rank 0's failed: rank 1 raises rank 0's error too (the ranks stay in step)."""
    def all_reduce(t, op=None):
        t.fill_(1.0)

    def all_gather_object(out, obj):
        out[:] = ["FloatingPointError\0m(t) underflows at t=1e-9", obj]

    monkeypatch.setattr(S.dist, "all_reduce", all_reduce)
    monkeypatch.setattr(S.dist, "all_gather_object", all_gather_object)
    sde, score, grid_fn, x_T = _setup()
    with pytest.raises(FloatingPointError, match="underflows"):
        S.run_on_ranks(SAMPLERS["heun"], sde, score, grid_fn, x_T, 10, 4, None, World(1, 2, 1, "gloo"))
    # a batch-coupled run is rank 0's alone: the other ranks return at once
    assert S.run_on_ranks(SAMPLERS["dopri5"], sde, score, grid_fn, x_T, 10, 4, None, World(1, 2, 1, "gloo")) \
        == (None, None)



#: fields that are timings or describe the launch, not results
_TIMING = {"wall_s", "s_per_step", "s_per_nfe"}


def _close(a, b, path="") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            if k not in _TIMING and not (path == "/meta" and k in ("timing_s", "processes", "machine")):
                _close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}/{i}")
    elif isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


@pytest.mark.slow
def test_two_processes_give_the_report_of_one(tmp_path):
    """torchrun, 2 gloo CPU processes: one report (rank 0's files only), equal to the 1-process report."""
    # --num-samples: torchrun's own parser would take --n (an abbreviation of its --nnodes / --nproc-per-node)
    common = ["compare", "--problem", "gmm2d", "--sde", "vp", "--samplers", "euler_maruyama,pc,heun,dpmpp_2m,dopri5",
              "--nfe", "10,20", "--num-samples", "203", "--seed", "3", "--device", "cpu"]
    one, two = one_and_two(common, tmp_path)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-3000:]
    assert two.stdout.count("runs in") == 1  # one summary, from rank 0
    assert sorted(os.listdir(tmp_path / "two")) == sorted(os.listdir(tmp_path / "one"))  # no temporary files
    a = json.loads((tmp_path / "one" / "results.json").read_text())
    b = json.loads((tmp_path / "two" / "results.json").read_text())
    assert a["meta"]["processes"] == 1 and b["meta"]["processes"] == 2
    assert [r["nfe"] for r in b["records"]] == [r["nfe"] for r in a["records"]]
    assert all(r["status"] == "ok" for r in b["records"]) and len(b["records"]) == 10
    _close(a, b)
    assert "| processes | 2 (torchrun)" in (tmp_path / "two" / "report.md").read_text()
