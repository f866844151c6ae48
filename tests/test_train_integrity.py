"""Checkpoint integrity and strict configs (issue 17): content hashes, fall-back to the newest intact
checkpoint, one-line refusals of foreign files, runs that died before their first checkpoint,
bounded numeric fields, YAML 1.2 floats, bounded YAML."""
from __future__ import annotations

import dataclasses
import os
import random
import time
import warnings
from typing import get_args, get_origin, get_type_hints

import pytest
import torch

from scoresde import cli
from scoresde._yaml import safe_load_bounded, short
from scoresde.train import Config, load_run, train
from scoresde.train import checkpoint as ckpt
from scoresde.train import config as C
from scoresde.train import loop as L

TINY = {"data.name": "gmm2d", "data.n": 1024, "model.hidden": 16, "model.depth": 1, "model.emb_dim": 8,
        "train.batch_size": 32, "train.steps": 20, "train.log_every": 10, "train.ckpt_every": 10,
        "train.device": "cpu", "optim.warmup": 2, "train.ckpt_every_s": 0.0, "train.log_every_s": 0.0}


def tiny(**over) -> Config:
    return Config().replace({**TINY, **over})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("integrity") / "run")
    train(tiny(), out)
    return out


def _ckdir(run):
    return os.path.join(run, "checkpoints")


def _copy_run(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


# ---------------------------------------------------------------------------- content hash
def test_every_checkpoint_has_a_hash_and_every_flipped_byte_is_caught(run_dir, tmp_path):
    path = ckpt.latest(_ckdir(run_dir))
    assert os.path.isfile(path + ".sha256")
    data = open(path, "rb").read()
    rng = random.Random(0)
    for k in range(40):
        off = rng.randrange(len(data))
        bad = bytearray(data)
        bad[off] ^= 1 << rng.randrange(8)
        p = tmp_path / f"ckpt-{k:08d}.pt"
        p.write_bytes(bytes(bad))
        (tmp_path / (p.name + ".sha256")).write_text(open(path + ".sha256").read())
        with pytest.raises(ValueError, match=r"damaged: its SHA-256 differs"):
            ckpt.load(str(p))


def test_missing_hash_is_refused_with_the_remedy(run_dir, tmp_path):
    p = tmp_path / "ckpt-00000001.pt"
    p.write_bytes(open(ckpt.latest(_ckdir(run_dir)), "rb").read())
    with pytest.raises(ValueError, match=r"no content hash.*sha256sum ckpt-00000001.pt"):
        ckpt.load(str(p))


def _damage(path):
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(path, "wb").write(bytes(data))


def test_sample_and_resume_fall_back_to_the_newest_intact_checkpoint(run_dir, tmp_path):
    run = _copy_run(run_dir, str(tmp_path / "run"))
    newest = ckpt.latest(_ckdir(run))
    _damage(newest)
    with pytest.warns(ckpt.CheckpointWarning, match=os.path.basename(newest)):
        r = load_run(run, device="cpu")
    assert r.step == 10 and r.checkpoint.endswith("ckpt-00000010.pt")
    with pytest.warns(ckpt.CheckpointWarning, match=os.path.basename(newest)):
        res = train(tiny(**{"train.steps": 30}), run, resume=True)
    assert res.start_step == 10 and res.step == 30


def test_all_checkpoints_damaged_is_one_clear_error(run_dir, tmp_path):
    run = _copy_run(run_dir, str(tmp_path / "run"))
    for _, p in ckpt.list_checkpoints(_ckdir(run)):
        _damage(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="no intact checkpoint"):
            load_run(run, device="cpu")


# ---------------------------------------------------------------------------- foreign files via the CLI
def _with_hash(p):
    import hashlib

    open(str(p) + ".sha256", "w").write(hashlib.sha256(open(p, "rb").read()).hexdigest() + "  x\n")
    return str(p)


@pytest.mark.parametrize("kind", ["text", "no-model", "wrong-shape", "directory"])
def test_foreign_checkpoint_is_one_line_exit_2(run_dir, tmp_path, capsys, kind):
    p = tmp_path / "ckpt-00000099.pt"
    good = ckpt.load(ckpt.latest(_ckdir(run_dir)))
    if kind == "text":
        p.write_text("hello, not a checkpoint\n")
        _with_hash(p)
        want = "not a PyTorch|unreadable"
    elif kind == "no-model":
        ckpt.save(str(p), {k: v for k, v in good.items() if k not in ("model", "format", "version")})
        want = "no 'model' weights"
    elif kind == "wrong-shape":
        state = {k: v for k, v in good.items() if k not in ("format", "version")}
        state["model"] = {k: torch.zeros(3, *v.shape) for k, v in state["model"].items()}
        ckpt.save(str(p), state)
        want = "do not fit"
    else:
        p.mkdir()
        want = "is a (directory|folder)"
    code = cli.main(["sample", "--run", run_dir, "--checkpoint", str(p), "--nfe", "5", "--n", "8",
                     "--out", str(tmp_path / "s"), "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert str(p) in err[0] and __import__("re").search(want, err[0]), err[0]


def test_wrong_shape_on_resume_names_the_file(run_dir, tmp_path):
    run = _copy_run(run_dir, str(tmp_path / "run"))
    path = ckpt.latest(_ckdir(run))
    state = {k: v for k, v in ckpt.load(path).items() if k not in ("format", "version")}
    state["model"] = {k: torch.zeros(2, *v.shape) for k, v in state["model"].items()}
    ckpt.save(path, state)
    with pytest.raises(ValueError, match=r"ckpt-00000020\.pt.*do not fit"):
        train(tiny(**{"train.steps": 30}), run, resume=True)


# ---------------------------------------------------------------------------- a run that died early
def test_run_stopped_before_its_first_checkpoint_can_be_resumed(tmp_path, monkeypatch):
    out = str(tmp_path / "run")
    real = L.dsm_loss
    monkeypatch.setattr(L, "dsm_loss", lambda *a, **k: real(*a, **k) * float("nan"))
    with pytest.raises(FloatingPointError, match="no checkpoint was written yet.*--resume"):
        train(tiny(), out)
    monkeypatch.setattr(L, "dsm_loss", real)
    assert not ckpt.list_checkpoints(_ckdir(out))
    with pytest.raises(ValueError, match="no checkpoint yet.*--resume restarts it from step 0"):
        train(tiny(), out)
    res = train(tiny(), out, resume=True)
    assert res.start_step == 0 and res.step == 20
    fresh = train(tiny(), str(tmp_path / "fresh"))
    for k, v in fresh.model.state_dict().items():
        assert torch.equal(v, res.model.state_dict()[k])


def test_first_checkpoint_comes_early_by_step_and_by_time(tmp_path):
    res = train(tiny(**{"train.steps": 12, "train.ckpt_every": 1000, "train.first_ckpt": 7}), str(tmp_path / "a"))
    assert [s for s, _ in ckpt.list_checkpoints(_ckdir(res.run_dir))] == [7, 12]
    res = train(tiny(**{"train.steps": 8, "train.ckpt_every": 1000, "train.first_ckpt": 0,
                        "train.ckpt_every_s": 1e-9}), str(tmp_path / "b"))
    assert len(ckpt.list_checkpoints(_ckdir(res.run_dir))) == 3  # keep = 3: one per step, pruned


def test_progress_lines_when_piped(tmp_path, capsys):
    train(tiny(**{"train.log_every_s": 1e-9}), str(tmp_path / "a"), progress=False)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("train: step")]
    assert len(lines) >= 10 and "steps/s" in lines[0] and "eta" in lines[0]


# ---------------------------------------------------------------------------- config ranges and YAML
def _numeric_fields():
    for section in dataclasses.fields(Config):
        cls = get_type_hints(Config)[section.name]
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            if get_origin(tp) is list:
                if get_args(tp)[0] in (int, float):
                    yield f"{section.name}.{f.name}", "list"
                continue
            args = [a for a in get_args(tp) if a is not type(None)] or [tp]
            if args[0] in (int, float):
                yield f"{section.name}.{f.name}", "scalar"


@pytest.mark.parametrize("field,tp", list(_numeric_fields()))
def test_every_numeric_field_has_an_upper_bound(field, tp):
    section, name = field.split(".")
    meta = next(f for f in dataclasses.fields(get_type_hints(Config)[section]) if f.name == name).metadata
    bounded = meta.get("le") is not None or meta.get("lt") is not None or meta.get("choices")
    assert bounded or (tp == "list" and meta.get("check")), field  # lists: entries bounded by their check
    value = [10**30] if tp == "list" else 10**30
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        Config().replace({field: value})
    assert time.perf_counter() - t0 < 1.0


def test_yaml_reads_exponent_floats_and_bounds_documents(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("optim:\n  lr: 1e-3\n  eps: 1E-8\ntrain:\n  steps: 10\n")
    cfg = C.load_config(str(p))
    assert cfg.optim.lr == 1e-3 and cfg.optim.eps == 1e-8 and cfg.train.steps == 10
    assert C.parse_override("optim.lr=1e-3") == ("optim.lr", 1e-3)
    # a 'billion laughs' alias bomb: refused fast, message short
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for p_, q in zip("bcdefghi", "abcdefgh"):
        bomb += f"{p_}: &{p_} [" + ",".join([f"*{q}"] * 9) + "]\n"
    (tmp_path / "bomb.yaml").write_text(bomb)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="alias bomb") as e:
        C.load_config(str(tmp_path / "bomb.yaml"))
    assert time.perf_counter() - t0 < 2.0 and len(str(e.value)) < 300
    with pytest.raises(ValueError, match="alias bomb"):
        C.parse_override("model.channel_mult=" + bomb.replace("\n", ", ").join("{}"))
    (tmp_path / "big.yaml").write_text("a: " + "x" * (C.MAX_CONFIG_BYTES + 10) + "\n")
    with pytest.raises(ValueError, match="at most"):
        C.load_config(str(tmp_path / "big.yaml"))


def test_errors_never_print_a_whole_value(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  hidden: " + "9" * 5000 + "x\n")
    with pytest.raises(ValueError) as e:
        C.load_config(str(p))
    assert "model.hidden" in str(e.value) and len(str(e.value)) < 300
    assert len(short(list(range(10**6)))) < 100 and len(short("y" * 10**6)) <= 80
    assert safe_load_bounded("x: 1.5") == {"x": 1.5}


def test_cli_fallback_warning_is_one_line_naming_the_bad_file(run_dir, tmp_path, capsys):
    run = _copy_run(run_dir, str(tmp_path / "run"))
    newest = ckpt.latest(_ckdir(run))
    _damage(newest)
    code = cli.main(["sample", "--run", run, "--nfe", "5", "--n", "4", "--out", str(tmp_path / "s"), "--device", "cpu"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 0 and len(err) == 1, err
    assert err[0].startswith("scoresde sample: warning:") and newest in err[0] and "ckpt-00000010.pt" in err[0]
