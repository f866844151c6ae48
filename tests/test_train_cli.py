"""`scoresde train` and `scoresde sample` end to end on tiny configurations."""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from scoresde import cli
from scoresde.cli import train as cli_train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--set", "model.hidden=32", "--set", "model.depth=2", "--set", "model.emb_dim=16",
        "--set", "data.n=2048", "--set", "train.log_every=10", "--set", "train.ckpt_every=20",
        "--batch-size", "64", "--device", "cpu"]


def run_cli(argv) -> int:
    """cli.main with the train/sample subcommands registered (whether or not cli.py wires them yet)."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "train" not in sub.choices:
        cli_train.add_parser(sub)
    orig = cli.build_parser
    cli.build_parser = lambda: parser
    try:
        return cli.main(argv)
    finally:
        cli.build_parser = orig


@pytest.fixture(scope="module")
def gmm_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("cli") / "run")
    assert run_cli(["train", "--data", "gmm2d", "--steps", "40", "--out", out, *TINY]) == 0
    return out


def test_train_writes_a_run_folder(gmm_run, capsys):
    assert sorted(os.listdir(gmm_run)) == ["checkpoints", "config.json", "metrics.jsonl"]
    cfg = json.load(open(os.path.join(gmm_run, "config.json")))
    assert cfg["model"]["arch"] == "mlp" and cfg["model"]["sigma_data"] > 2  # resolved
    assert sorted(n for n in os.listdir(os.path.join(gmm_run, "checkpoints")) if n.endswith(".pt")) == ["ckpt-00000020.pt", "ckpt-00000040.pt"]


@pytest.mark.parametrize("pred,corr,nfe", [("heun", "none", 21), ("euler_maruyama", "langevin", 21),
                                           ("ddim", "none", 10)])
def test_sample_writes_npz_and_scatter(gmm_run, tmp_path, capsys, pred, corr, nfe):
    out = str(tmp_path / "s")
    args = ["sample", "--run", gmm_run, "--predictor", pred, "--corrector", corr, "--nfe", str(nfe),
            "--n", "300", "--batch-size", "128", "--seed", "1", "--out", out, "--device", "cpu"]
    if pred == "ddim":
        args.append("--no-denoise")
    assert run_cli(args) == 0
    z = np.load(os.path.join(out, "samples.npz"))
    assert z["samples"].shape == (300, 2) and np.isfinite(z["samples"]).all()
    meta = json.loads(str(z["meta"]))
    assert meta["nfe"] == nfe and meta["step"] == 40 and meta["ema"] is True
    assert os.path.getsize(os.path.join(out, "samples.png")) > 5000
    assert f"NFE {nfe}" in capsys.readouterr().out
    # per-sample noise: the same seed gives the same samples whatever the batch size
    out2 = str(tmp_path / "s2")
    args2 = [a if a != "128" else "300" for a in args]
    args2[args2.index(out)] = out2
    assert run_cli(args2) == 0
    np.testing.assert_allclose(np.load(os.path.join(out2, "samples.npz"))["samples"], z["samples"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("argv,msg", [
    (["--predictor", "rk4"], "--predictor: unknown predictor 'rk4'"),
    (["--predictor", "heun", "--nfe", "20"], "--nfe: 20 cannot be spent exactly"),
    (["--corrector", "langevin", "--snr", "-1", "--nfe", "21"], "snr"),
    (["--grid", "cosine"], "--grid: unknown grid"),
    (["--n", "0"], "--n must be >= 1"),
])
def test_sample_bad_input_exits_2_with_one_line(gmm_run, tmp_path, capsys, argv, msg):
    rc = run_cli(["sample", "--run", gmm_run, "--out", str(tmp_path / "x"), "--device", "cpu", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and err.count("\n") == 1, err


def test_sample_refuses_a_non_run_and_a_used_folder(gmm_run, tmp_path, capsys):
    assert run_cli(["sample", "--run", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "not a training run folder" in capsys.readouterr().err
    used = tmp_path / "used"
    used.mkdir()
    (used / "f").write_text("x")
    assert run_cli(["sample", "--run", gmm_run, "--out", str(used)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_train_bad_input_and_resume(gmm_run, tmp_path, capsys):
    out = str(tmp_path / "r")
    assert run_cli(["train", "--out", out, "--set", "model.hiden=3"]) == 2
    assert "model.hiden: unknown key" in capsys.readouterr().err
    assert run_cli(["train", "--out", out, "--data", "cifar"]) == 2
    assert "data.name" in capsys.readouterr().err
    assert run_cli(["train", "--out", gmm_run, "--steps", "50", "--resume", "--set", "model.hidden=64"]) == 2
    err = capsys.readouterr().err
    assert "model.hidden: run has 32, now 64" in err and err.count("\n") == 1
    assert run_cli(["train", "--out", gmm_run, "--data", "gmm2d", *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_resume_from_the_cli_extends_the_run(tmp_path, capsys):
    out = str(tmp_path / "r")
    assert run_cli(["train", "--data", "moons", "--steps", "20", "--out", out, *TINY]) == 0
    assert run_cli(["train", "--out", out, "--resume", "--steps", "30"]) == 0
    assert "resumed at step 20, trained to step 30 of 30" in capsys.readouterr().out
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert cfg["train"]["steps"] == 30 and cfg["data"]["name"] == "moons"


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="sklearn not installed (pip install 'scoresde[data]')")
def test_digits_unet_train_and_image_grid(tmp_path):
    out = str(tmp_path / "d")
    assert run_cli(["train", "--data", "digits", "--steps", "3", "--batch-size", "16", "--device", "cpu",
                    "--set", "model.channels=8", "--set", "model.num_res_blocks=1", "--set", "model.emb_dim=16",
                    "--set", "model.precond=edm", "--set", "model.kind=x0", "--out", out]) == 0
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert cfg["model"]["arch"] == "unet"
    s = str(tmp_path / "s")
    assert run_cli(["sample", "--run", out, "--predictor", "dpmpp_2m", "--nfe", "5", "--n", "9", "--out", s,
                    "--device", "cpu"]) == 0
    assert np.load(os.path.join(s, "samples.npz"))["samples"].shape == (9, 1, 8, 8)
    import matplotlib.image as mpimg

    img = mpimg.imread(os.path.join(s, "samples.png"))
    assert img.shape[1] == 3 * (8 + 1) * 8 + 8 < img.shape[0]  # the grid, and a caption band above it


def test_python_m_scoresde_train_help():
    """Once cli.py registers these subcommands, `python -m scoresde train` is the entry point."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "train" not in sub.choices:
        pytest.skip("cli.py does not register cli_train yet")
    r = subprocess.run([sys.executable, "-m", "scoresde", "train", "--help"], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": ROOT})
    assert r.returncode == 0 and "torchrun" in r.stdout
