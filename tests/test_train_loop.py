"""The training loop: it learns, resumes bit-identically in a new process, stops on a non-finite loss."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

from scoresde.train import Config, Dataset, load_dataset, load_run, train
from scoresde.train import checkpoint as ckpt
from scoresde.train.data import BatchOrder
from scoresde.train.loop import learning_rate
from scoresde.train.losses import dsm_loss, sample_time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available on this machine")


def tiny(**over) -> Config:
    base = {"data.name": "gmm2d", "data.n": 4096, "model.hidden": 32, "model.depth": 2, "model.emb_dim": 16,
            "train.batch_size": 64, "train.steps": 40, "train.log_every": 10, "train.ckpt_every": 20,
            "train.device": "cpu", "optim.warmup": 5, "optim.lr": 2e-3}
    base.update(over)
    return Config().replace(base)


def _heldout_loss(net, sde, data, seed=123, n=4096):
    g = torch.Generator().manual_seed(seed)
    x0 = data.x[torch.randint(0, len(data), (n,), generator=g)]
    t = sample_time(sde, n, g)
    z = torch.randn(x0.shape, generator=g)
    with torch.no_grad():
        return float(dsm_loss(net, sde, x0, t=t, z=z).mean())


def test_short_training_on_gmm2d_lowers_the_loss(tmp_path):
    cfg = tiny(**{"train.steps": 300, "train.ckpt_every": 300, "train.log_every": 50})
    data = load_dataset("gmm2d", 4096, 0)
    res = train(cfg, str(tmp_path / "run"), data=data)
    lines = [json.loads(l) for l in open(tmp_path / "run" / "metrics.jsonl")]
    assert [l["step"] for l in lines] == [50, 100, 150, 200, 250, 300]
    assert set(lines[0]) >= {"step", "loss", "grad_norm", "lr", "steps_per_s", "elapsed_s"}
    assert lines[-1]["loss"] < 0.8 * lines[0]["loss"]
    # the held-out DSM loss of the trained weights (EMA and raw) beats the initial network's clearly
    from scoresde.train.run import make_model

    torch.manual_seed(0)
    init = make_model(res.config, res.model.sde, data.shape)
    before = _heldout_loss(init, res.model.sde, data)
    after = _heldout_loss(res.model, res.model.sde, data)
    run = load_run(str(tmp_path / "run"), device="cpu")
    after_ema = _heldout_loss(run.net, run.sde, data)
    assert after < 0.75 * before and after_ema < 0.8 * before, (before, after, after_ema)


RESUME_SCRIPT = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    from scoresde.train import Config, train
    out, resume = sys.argv[1], sys.argv[2] == "1"
    cfg = Config().replace({"data.name": "gmm2d", "data.n": 2048, "model.hidden": 32, "model.depth": 2,
        "model.emb_dim": 16, "model.dropout": 0.1, "train.batch_size": 96, "train.steps": 45,
        "train.log_every": 5, "train.ckpt_every": 15, "train.device": "cpu", "optim.warmup": 10,
        "optim.schedule": "cosine", "optim.lr": 3e-3})
    train(cfg, out, resume=resume)
""")


def _run(*args):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, *args], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def test_resume_is_bit_identical_in_a_new_process(tmp_path):
    """A run 'crashes' after its step-30 checkpoint; a new process resumes it to step 45."""
    straight, crashed = str(tmp_path / "straight"), str(tmp_path / "crashed")
    _run(straight, "0")
    shutil.copytree(straight, crashed)
    os.unlink(os.path.join(crashed, "checkpoints", "ckpt-00000045.pt"))  # lost with the crash
    _run(crashed, "1")
    a = ckpt.load(ckpt.path_for(os.path.join(straight, "checkpoints"), 45))
    b = ckpt.load(ckpt.path_for(os.path.join(crashed, "checkpoints"), 45))
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    for k in a["ema"]["shadow"]:
        assert torch.equal(a["ema"]["shadow"][k], b["ema"]["shadow"][k]), k
    assert a["ema"]["num_updates"] == b["ema"]["num_updates"] == 45
    sa, sb = a["optimizer"]["state"], b["optimizer"]["state"]
    assert sa.keys() == sb.keys()
    for i in sa:
        for k in sa[i]:
            assert torch.equal(sa[i][k], sb[i][k]), (i, k)
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])
    keys = ("step", "loss", "grad_norm", "lr", "steps")
    ma = [tuple(json.loads(l)[k] for k in keys) for l in open(os.path.join(straight, "metrics.jsonl"))]
    mb = [tuple(json.loads(l)[k] for k in keys) for l in open(os.path.join(crashed, "metrics.jsonl"))]
    assert ma == mb and [m[0] for m in ma] == list(range(5, 50, 5))


def test_extending_a_finished_run_matches_a_longer_run(tmp_path):
    """--resume with a larger train.steps (constant schedule) continues exactly like one long run."""
    long, short = str(tmp_path / "long"), str(tmp_path / "short")
    train(tiny(**{"train.steps": 30}), long)
    train(tiny(**{"train.steps": 20}), short)
    res = train(tiny(**{"train.steps": 30}), short, resume=True)
    assert res.start_step == 20
    a = ckpt.load(ckpt.latest(os.path.join(long, "checkpoints")))
    b = ckpt.load(ckpt.latest(os.path.join(short, "checkpoints")))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def test_resume_refuses_a_changed_config_and_fresh_runs_refuse_a_used_folder(tmp_path):
    out = str(tmp_path / "run")
    train(tiny(**{"train.steps": 20}), out)
    with pytest.raises(ValueError, match=r"differs from the run's in 2 field\(s\): model.hidden: run has 32, now 16; optim.lr"):
        train(tiny(**{"train.steps": 30, "model.hidden": 16, "optim.lr": 1e-3}), out, resume=True)
    with pytest.raises(ValueError, match="already holds a run"):
        train(tiny(), out)
    res = train(tiny(**{"train.steps": 30, "train.keep": 1}), out, resume=True)
    assert res.start_step == 20 and res.step == 30
    assert [s for s, _ in ckpt.list_checkpoints(os.path.join(out, "checkpoints"))] == [30]
    with pytest.raises(ValueError, match="no config.json"):
        train(tiny(), str(tmp_path / "nothing"), resume=True)


def test_non_finite_loss_stops_with_the_step_number(tmp_path, monkeypatch):
    import scoresde.train.loop as loop

    calls = {"n": 0}
    real = loop.dsm_loss

    def poisoned(*a, **k):  # the 23rd step's loss overflows
        calls["n"] += 1
        out = real(*a, **k)
        return out * float("inf") if calls["n"] == 23 else out

    monkeypatch.setattr(loop, "dsm_loss", poisoned)
    with pytest.raises(FloatingPointError, match="non-finite loss at step 23:"):
        train(tiny(**{"train.steps": 60, "train.ckpt_every": 10}), str(tmp_path / "run"))
    last = ckpt.load(ckpt.latest(str(tmp_path / "run" / "checkpoints")))
    assert last["step"] == 20
    assert all(bool(torch.isfinite(v).all()) for v in last["model"].values())


def test_non_finite_data_is_rejected(tmp_path):
    x = load_dataset("gmm2d", 256, 0).x.clone()
    x[7, 1] = float("nan")
    with pytest.raises(ValueError, match="data: .*1 non-finite"):
        train(tiny(), str(tmp_path / "run"), data=Dataset("gmm2d", x, "points", "poisoned", "test"))


def test_time_limit_stops_at_a_log_boundary_with_a_checkpoint(tmp_path):
    out = str(tmp_path / "run")
    res = train(tiny(**{"train.steps": 1000, "train.log_every": 7, "train.ckpt_every": 500}), out, time_limit_s=1e-9)
    assert res.stopped_early and res.step == 7 and res.checkpoint.endswith("ckpt-00000007.pt")
    assert ckpt.load(res.checkpoint)["step"] == 7
    again = train(tiny(**{"train.steps": 14, "train.log_every": 7, "train.ckpt_every": 500}), out, resume=True)
    assert again.start_step == 7 and again.step == 14 and not again.stopped_early
    with pytest.raises(ValueError, match="time_limit_s"):
        train(tiny(), str(tmp_path / "x"), time_limit_s=0)


def test_learning_rate_schedule():
    cfg = Config().replace({"optim.lr": 1.0, "optim.warmup": 4, "train.steps": 14})
    assert [learning_rate(cfg, s) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    cos = cfg.replace({"optim.schedule": "cosine"})
    assert learning_rate(cos, 3) == 1.0 and abs(learning_rate(cos, 9) - 0.5) < 1e-12
    assert abs(learning_rate(cos, 13) - 0.5 * (1 + __import__("math").cos(__import__("math").pi * 0.9))) < 1e-12


def test_precision_checks_and_bf16_on_cpu(tmp_path):
    with pytest.raises(ValueError, match="train.precision: fp16"):
        train(tiny(**{"train.precision": "fp16"}), str(tmp_path / "a"))
    res = train(tiny(**{"train.precision": "bf16", "train.steps": 10}), str(tmp_path / "b"))
    assert res.last_loss == res.last_loss and res.last_loss < 10
    with pytest.raises(ValueError, match="batch size 5000 is larger"):
        train(tiny(**{"train.batch_size": 5000}), str(tmp_path / "c"))


def test_batch_order_is_a_pure_function_of_the_step():
    o = BatchOrder(100, 10, 7)
    epoch0 = torch.cat([o.indices(s) for s in range(10)])
    assert sorted(epoch0.tolist()) == list(range(100))
    assert not torch.equal(torch.cat([o.indices(s) for s in range(10, 20)]), epoch0)
    fresh = BatchOrder(100, 10, 7)
    assert torch.equal(fresh.indices(13), o.indices(13))
    parts = torch.cat([o.indices(13, r, 2) for r in range(2)])
    assert torch.equal(parts, o.indices(13))


@cuda
def test_cuda_training_with_autocast(tmp_path):
    res = train(tiny(**{"train.device": "auto", "train.precision": "bf16", "train.steps": 20}), str(tmp_path / "g"))
    assert next(res.model.parameters()).device.type == "cuda"
    assert res.last_loss == res.last_loss
    run = load_run(str(tmp_path / "g"), device="cuda")
    assert next(run.net.parameters()).device.type == "cuda"
