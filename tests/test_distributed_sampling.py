"""Sampling sharded over processes: index blocks, and 2 torchrun CPU processes (gloo) giving the
samples of 1 process (noise bit-identical per index; outputs equal up to batched round-off)."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
import torch

from scoresde.distributed import World, map_indices, shard

from _torchrun import ROOT, one_and_two


@pytest.mark.parametrize("n", [0, 1, 5, 64, 1001])
@pytest.mark.parametrize("w", [1, 2, 3, 8])
def test_shard_partitions_in_rank_order(n, w):
    blocks = [shard(n, r, w) for r in range(w)]
    assert [i for b in blocks for i in b] == list(range(n))
    sizes = [len(b) for b in blocks]
    assert max(sizes) - min(sizes) <= 1


def test_shard_rejects_bad_arguments():
    with pytest.raises(ValueError, match="rank"):
        shard(10, 2, 2)


def test_map_indices_single_process_is_the_plain_loop():
    x = map_indices(lambda idx: torch.tensor(list(idx), dtype=torch.float32)[:, None] * 2, 7, World(), batch_size=3)
    assert x.squeeze(1).tolist() == [0, 2, 4, 6, 8, 10, 12]



@pytest.mark.slow
def test_two_processes_give_the_samples_of_one(tmp_path):
    from scoresde.train import Config, train

    run = str(tmp_path / "run")
    train(Config().replace({"data.name": "gmm2d", "data.n": 1024, "model.hidden": 16, "model.depth": 1,
                            "model.emb_dim": 8, "train.batch_size": 32, "train.steps": 10, "train.log_every": 5,
                            "train.ckpt_every": 10, "train.device": "cpu"}), run)
    # --run-dir / --num-samples: torchrun's own parser would take --run and --n as its --run-path / --n...
    common = ["sample", "--run-dir", run, "--predictor", "euler_maruyama", "--nfe", "21", "--num-samples", "37",
              "--batch-size", "16", "--seed", "5", "--device", "cpu"]
    one, two = one_and_two(common, tmp_path)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = np.load(tmp_path / "one" / "samples.npz"), np.load(tmp_path / "two" / "samples.npz")
    assert a["samples"].shape == b["samples"].shape == (37, 2)
    np.testing.assert_allclose(b["samples"], a["samples"], rtol=0, atol=1e-5)
    assert json.loads(str(b["meta"]))["processes"] == 2 and json.loads(str(a["meta"]))["processes"] == 1
    assert json.loads(str(b["meta"]))["nfe"] == 21
    assert sorted(os.listdir(tmp_path / "two")) == ["samples.npz", "samples.png"]  # written once, by rank 0


def test_noise_of_sample_i_depends_only_on_seed_and_i():
    """What makes sharding exact: the noise rows of indices 20..29 are the same bits whether drawn
    alone, as a tail of a larger batch, or by another 'process' (block)."""
    from scoresde.noise import PerSampleNoise

    like_full, like_part = torch.zeros(40, 2), torch.zeros(10, 2)
    full, part = PerSampleNoise(5, range(0, 40)), PerSampleNoise(5, range(20, 30))
    for step in range(3):
        assert torch.equal(full(like_full, 0, step)[20:30], part(like_part, 0, step))


@pytest.mark.slow
def test_gpu_check_script_cpu_part(tmp_path):
    """benchmarks/gpu_check.sh on a machine without CUDA (or --cpu): the CUDA tests skip, saying so, the
    quick benchmark runs and writes its figures."""
    env = {**os.environ, "OUT_DIR": str(tmp_path), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cuda = torch.cuda.is_available()
    r = subprocess.run(["bash", os.path.join(ROOT, "benchmarks", "gpu_check.sh")] + (["--cpu"] if cuda else []),
                       env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-2000:])
    if not cuda:  # the plain command falls back to the CPU-capable part and says so
        assert "no CUDA device here" in r.stdout and "CUDA is not available" in r.stdout
    assert "GPU figures stay 'not measured'" in r.stdout and " failed" not in r.stdout
    res = json.loads((tmp_path / "gpu_bench.json").read_text())
    assert res["device"] == "cpu" and res["training"]["ratio"] > 0 and res["sampler_overhead"]["nfe"] == 5
    assert res["bf16_vs_fp32"]["fp32"] > 0 and res["bf16_vs_fp32"]["bf16"] > 0
