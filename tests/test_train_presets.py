"""Presets (cpu-small / cpu-medium / gpu-paper), their layering under --config/flags/--set, captions."""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from scoresde import cli
from scoresde.cli import train as cli_train
from scoresde.train import Config, make_model, make_sde
from scoresde.train.presets import PRESET_NAMES, default_preset, preset_overrides


def _args(argv):
    parser = cli.build_parser()
    return parser.parse_args(["train", "--out", "/nonexistent/run", *argv])


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("data,shape", [("gmm2d", (2,)), ("digits", (1, 8, 8)), ("mnist5k", (1, 28, 28))])
def test_every_preset_is_a_valid_config_and_builds(preset, data, shape):
    cfg = Config().replace(preset_overrides(preset, data))
    cfg = cfg.replace({"model.sigma_data": 0.5})
    if preset != "gpu-paper":  # (the paper-sized U-Net takes seconds to build on a CPU: not here)
        net = make_model(cfg, make_sde(cfg), shape)
        assert sum(p.numel() for p in net.parameters()) > 0
    if preset == "gpu-paper" and data != "gmm2d":  # DDPM++ widths: 128 base channels, 4 blocks per level
        assert cfg.model.channels == 128 and cfg.model.num_res_blocks == 4 and cfg.train.ema_decay == 0.9999
        assert cfg.optim.lr == 2e-4 and cfg.optim.warmup == 5000 and cfg.train.batch_size == 128
        assert cfg.sde.params == {"beta_min": 0.1, "beta_max": 20.0} and cfg.model.dropout == 0.1


def test_default_preset_follows_the_device():
    assert default_preset("cpu") == "cpu-small"
    assert default_preset("cuda:1") == "gpu-paper"


def test_cli_layers_preset_config_flags_and_set(tmp_path):
    cfg = cli_train.build_train_config(_args(["--data", "digits", "--device", "cpu"]))
    assert (cfg.model.channels, cfg.model.num_res_blocks, cfg.train.batch_size, cfg.optim.schedule) == (16, 1, 64, "cosine")
    cfg = cli_train.build_train_config(_args(["--data", "digits", "--preset", "gpu-paper", "--device", "cpu",
                                              "--set", "model.channels=32"]))
    assert cfg.model.channels == 32 and cfg.model.num_res_blocks == 4
    p = tmp_path / "c.yaml"
    p.write_text("optim:\n  lr: 1e-3\nmodel:\n  channels: 24\n")
    cfg = cli_train.build_train_config(_args(["--config", str(p), "--data", "digits", "--device", "cpu"]))
    assert cfg.optim.lr == 1e-3 and cfg.model.channels == 24 and cfg.model.num_res_blocks == 1
    cfg = cli_train.build_train_config(_args(["--data", "digits", "--device", "cpu", "--sde", "ve"]))
    assert cfg.sde.name == "ve" and cfg.sde.params == {}


def test_unknown_preset_is_one_line_exit_2(capsys, tmp_path):
    assert cli.main(["train", "--out", str(tmp_path / "r"), "--preset", "huge"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--preset" in err[0] and "cpu-small" in err[0]


def test_sample_grid_caption(tmp_path):
    import matplotlib.image as mpimg

    cap = cli_train.sample_caption("runs/digits/", 1600, "heun", "none", "uniform", 101, 7)
    assert cap.startswith("digits @ step 1600") and "heun" in cap and "NFE 101" in cap and "seed 7" in cap
    imgs = np.random.default_rng(0).random((16, 1, 8, 8))
    cli_train.save_image_grid(imgs, str(tmp_path / "a.png"))
    cli_train.save_image_grid(imgs, str(tmp_path / "b.png"), title=cap)
    a, b = mpimg.imread(str(tmp_path / "a.png")), mpimg.imread(str(tmp_path / "b.png"))
    assert b.shape[1] == a.shape[1] and b.shape[0] > a.shape[0]  # a caption band above the same grid


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "cuda:99999"])
def test_sample_device_strings_are_validated_naming_the_option(tmp_path, capsys, device):
    code = cli.main(["sample", "--run", str(tmp_path), "--out", str(tmp_path / "s"), "--device", device])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--device" in err[0], err
