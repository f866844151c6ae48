"""scoresde export: safetensors out, loaded back without pickle, same scores."""
from __future__ import annotations

import json
import os

import pytest
import torch

from scoresde.cli import main


def test_export_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    loop = pytest.importorskip("scoresde.train.loop")
    from scoresde.models import load_model
    from scoresde.train.config import Config
    from scoresde.train.run import load_run

    run = tmp_path / "run"
    cfg = Config().replace({"data.name": "gmm2d", "sde.name": "vp", "train.steps": 3, "train.batch_size": 32,
                            "train.device": "cpu", "model.hidden": 32, "model.depth": 2})
    loop.train(cfg, str(run), progress=False)
    out = tmp_path / "exp"
    assert main(["export", str(run), "--format", "safetensors", "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["config.json", "model.safetensors"]
    assert json.loads((out / "config.json").read_text())["format"] == "scoresde-export"
    lm = load_model(f"safetensors:{out}")
    orig = load_run(str(run), device="cpu")
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    t = torch.full((16,), 0.4)
    assert torch.equal(lm.score_fn()(x, t), orig.score_fn(x, t))
    assert main(["export", str(run), "--out", str(out)]) == 2  # not empty, no --overwrite
    assert main(["export", str(run), "--format", "diffusers", "--out", str(tmp_path / "d")]) == 2
    # the file holds tensors and strings only: safetensors loads it, torch.load (pickle) is not needed
    from safetensors.torch import load_file

    assert all(isinstance(v, torch.Tensor) for v in load_file(str(out / "model.safetensors")).values())
