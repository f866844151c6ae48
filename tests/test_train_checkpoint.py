"""Checkpoints: atomic writes survive a kill, keep-last-K, and weights_only loading refuses code."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from scoresde.train import checkpoint as ckpt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _state(step: int) -> dict:
    g = torch.Generator().manual_seed(step)
    return {"step": step, "model": {"w": torch.randn(4, 4, generator=g)}, "rng": ckpt.rng_state(),
            "config": {"a": [1, 2.5, "x", None, True]}, "opt": {"betas": (0.9, 0.999)}}


def test_round_trip_and_keep_last_k(tmp_path):
    d = str(tmp_path)
    for step in (10, 20, 30, 40):
        ckpt.save(ckpt.path_for(d, step), _state(step))
        ckpt.prune(d, keep=2)
    assert [s for s, _ in ckpt.list_checkpoints(d)] == [30, 40]
    got = ckpt.load(ckpt.latest(d))
    assert got["step"] == 40 and got["config"] == _state(40)["config"]
    assert torch.equal(got["model"]["w"], _state(40)["model"]["w"])
    assert got["rng"]["torch"].dtype == torch.uint8
    assert not [n for n in os.listdir(d) if n.startswith(".tmp-")]


def test_rng_state_round_trip():
    st = ckpt.rng_state()
    a = torch.rand(3)
    ckpt.set_rng_state(st)
    assert torch.equal(torch.rand(3), a)


class _Payload:
    """Pickles to os.system(...) : loading it with a full unpickler would create the marker file."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("how", ["torch.save", "raw-pickle"])
def test_malicious_checkpoint_is_refused_and_payload_does_not_run(tmp_path, how):
    marker = tmp_path / "pwned"
    path = tmp_path / "ckpt-00000001.pt"
    evil = {"format": ckpt.FORMAT, "version": ckpt.VERSION, "step": 1, "model": _Payload(str(marker))}
    if how == "torch.save":
        torch.save(evil, str(path))
    else:
        with open(path, "wb") as f:
            pickle.dump(evil, f, protocol=2)
    # sanity: the file really carries a payload that a full unpickler would run
    assert b"system" in path.read_bytes() or b"posix" in path.read_bytes()
    with pytest.raises(ValueError, match="refused.*posix.system"):
        ckpt.load(str(path))
    assert not marker.exists()


def test_foreign_and_truncated_files_are_refused(tmp_path):
    p = tmp_path / "x.pt"
    torch.save({"w": torch.zeros(1)}, str(p))
    with pytest.raises(ValueError, match="not a scoresde-checkpoint"):
        ckpt.load(str(p))
    good = tmp_path / "g.pt"
    ckpt.save(str(good), _state(1))
    data = good.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="unreadable"):
        ckpt.load(str(p))


def test_failure_between_write_and_rename_keeps_previous(tmp_path, monkeypatch):
    d = str(tmp_path)
    ckpt.save(ckpt.path_for(d, 1), _state(1))

    def boom(src, dst):
        raise OSError("disk unplugged")

    monkeypatch.setattr(ckpt.os, "replace", boom)
    with pytest.raises(OSError, match="unplugged"):
        ckpt.save(ckpt.path_for(d, 2), _state(2))
    monkeypatch.undo()
    assert [s for s, _ in ckpt.list_checkpoints(d)] == [1]
    assert ckpt.load(ckpt.latest(d))["step"] == 1
    assert not [n for n in os.listdir(d) if n.startswith(".tmp-")]


CHILD = textwrap.dedent("""
    import os, sys, time, torch
    from scoresde.train import checkpoint as ckpt
    d, ready = sys.argv[1], sys.argv[2]
    ckpt.save(ckpt.path_for(d, 100), {"step": 100, "w": torch.ones(1000)})
    real_write = None

    class Slow:
        # wraps the temporary file: writes half of the data, then signals and hangs
        def __init__(self, f): self.f, self.n = f, 0
        def write(self, b):
            self.n += 1
            if self.n == 2:
                self.f.flush(); os.fsync(self.f.fileno())
                open(ready, "w").close()
                time.sleep(600)
            return self.f.write(b)
        def __getattr__(self, k): return getattr(self.f, k)

    orig = ckpt._atomic_write
    def patched(path, write):
        return orig(path, lambda f: write(Slow(f)))
    ckpt._atomic_write = patched
    ckpt.save(ckpt.path_for(d, 200), {"step": 200, "w": torch.full((100000,), 2.0)})
""")


def test_kill_during_checkpoint_write_leaves_previous_loadable(tmp_path):
    d, ready = str(tmp_path / "ck"), str(tmp_path / "ready")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, d, ready], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 300
        while not os.path.exists(ready):
            if proc.poll() is not None:
                raise AssertionError(f"child exited early: {proc.stderr.read().decode()}")
            assert time.time() < deadline, "child never reached the middle of the write"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    leftovers = [n for n in os.listdir(d) if n.startswith(".tmp-")]
    assert leftovers, "the kill should have left a partial temporary file"
    assert [s for s, _ in ckpt.list_checkpoints(d)] == [100]
    got = ckpt.load(ckpt.latest(d))
    assert got["step"] == 100 and torch.equal(got["w"], torch.ones(1000))
    ckpt.prune(d, keep=3)  # stale temporaries are cleaned up
    assert not [n for n in os.listdir(d) if n.startswith(".tmp-")]


def test_atomic_text(tmp_path):
    p = str(tmp_path / "a.txt")
    ckpt.atomic_write_text(p, "one")
    ckpt.atomic_write_text(p, "two")
    assert open(p).read() == "two"
