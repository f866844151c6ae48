"""DistributedDataParallel on 2 CPU processes (gloo) launched by torchrun: parameters stay identical
across ranks, and the run computes what one process computes with the same global batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from _torchrun import ROOT, free_port
from scoresde.train import Config, train

SCRIPT = textwrap.dedent("""
    import os, sys, json, torch
    torch.set_num_threads(1)
    from scoresde.train import Config, train
    out = sys.argv[1]
    cfg = Config.from_dict(json.loads(sys.argv[2]))
    res = train(cfg, os.path.join(out, "run"))
    rank = int(os.environ["RANK"])
    torch.save({k: v.detach().clone() for k, v in res.model.state_dict().items()},
               os.path.join(out, f"rank{rank}.pt"))
""")


def _cfg() -> Config:
    return Config().replace({
        "data.name": "gmm2d", "data.n": 2048, "model.hidden": 32, "model.depth": 2, "model.emb_dim": 16,
        "train.batch_size": 64, "train.steps": 12, "train.log_every": 1, "train.ckpt_every": 12,
        "train.device": "cpu", "optim.warmup": 2, "optim.lr": 1e-3})


def test_two_cpu_processes_keep_identical_parameters(tmp_path):
    cfg = _cfg()
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": "1"}
    for attempt in range(2):  # a second try on a fresh port: the free port can be taken between bind and use
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
               "--master_addr=127.0.0.1", f"--master_port={free_port()}", "--no-python",
               sys.executable, "-c", SCRIPT, str(tmp_path), json.dumps(cfg.to_dict())]
        r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if r.returncode == 0:
            break
        print(r.stderr[-3000:])
    if r.returncode != 0 and "no-python" in r.stderr:  # pragma: no cover - old torchrun
        pytest.skip("torchrun lacks --no-python")
    assert r.returncode == 0, r.stderr[-3000:]
    p0 = torch.load(str(tmp_path / "rank0.pt"), weights_only=True)
    p1 = torch.load(str(tmp_path / "rank1.pt"), weights_only=True)
    for k in p0:
        assert torch.equal(p0[k], p1[k]), k
    ddp_lines = [json.loads(l) for l in open(tmp_path / "run" / "metrics.jsonl")]
    ckpt = torch.load(str(tmp_path / "run" / "checkpoints" / "ckpt-00000012.pt"), weights_only=True)
    assert ckpt["world_size"] == 2

    # one process, same global batch: same per-step losses (up to float summation order)
    single = train(cfg, str(tmp_path / "single"))
    one_lines = [json.loads(l) for l in open(tmp_path / "single" / "metrics.jsonl")]
    assert [l["step"] for l in ddp_lines] == [l["step"] for l in one_lines] == list(range(1, 13))
    for a, b in zip(ddp_lines, one_lines):
        assert abs(a["loss"] - b["loss"]) <= 1e-5 * abs(b["loss"]), (a, b)
    sd = single.model.state_dict()
    worst = max(float((p0[k] - sd[k]).abs().max()) for k in sd)
    assert worst < 1e-5, worst
