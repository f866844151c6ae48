"""Config validation: every field rejects a bad value with an error naming its dotted path."""
from __future__ import annotations

import dataclasses
import json
from typing import get_args, get_origin, get_type_hints

import pytest

from scoresde.train.config import RESUMABLE, Config, dump_config, load_config, parse_override


def _leaf_fields():
    """(dotted name, type, metadata) for every leaf field of the config."""
    out = []
    for sec in dataclasses.fields(Config):
        cls = get_type_hints(Config)[sec.name]
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            out.append((f"{sec.name}.{f.name}", hints[f.name], dict(f.metadata)))
    return out


def _wrong_type(tp):
    origin = get_origin(tp)
    if origin is not None and type(None) in get_args(tp):
        tp = [a for a in get_args(tp) if a is not type(None)][0]
        origin = get_origin(tp)
    if origin is list:
        return "1,2"
    if origin is dict:
        return [1, 2]
    return {int: "ten", float: "small", str: 3, bool: "yes"}[tp]


def _out_of_range(meta):
    """A value that passes the type check but violates the field's choices/bounds (None if no such rule)."""
    if meta.get("choices"):
        return "definitely-not-a-choice"
    for op, delta in (("ge", -1), ("gt", 0), ("lt", 0), ("le", 1)):
        b = meta.get(op)
        if b is not None:
            return b + delta if isinstance(b, int) and not isinstance(b, bool) else float(b + delta)
    return None


def _set(path, value) -> dict:
    sec, key = path.split(".")
    return {sec: {key: value}}


LEAVES = _leaf_fields()


@pytest.mark.parametrize("path,tp,meta", LEAVES, ids=[p for p, _, _ in LEAVES])
def test_every_field_rejects_a_wrong_type(path, tp, meta):
    with pytest.raises(ValueError) as e:
        Config.from_dict(_set(path, _wrong_type(tp)))
    assert path in str(e.value)


@pytest.mark.parametrize("path,tp,meta", [l for l in LEAVES if _out_of_range(l[2]) is not None],
                         ids=[p for p, _, m in LEAVES if _out_of_range(m) is not None])
def test_every_bounded_field_rejects_an_out_of_range_value(path, tp, meta):
    with pytest.raises(ValueError) as e:
        Config.from_dict(_set(path, _out_of_range(meta)))
    assert path in str(e.value)


@pytest.mark.parametrize("path,value", [
    ("model.emb_dim", 7), ("model.channel_mult", []), ("model.channel_mult", [1, 0]),
    ("model.channel_mult", [1, 2.5]), ("train.device", "gpu"), ("train.device", "cuda:x"),
    ("optim.lr", float("nan")), ("model.sigma_data", float("inf")), ("train.steps", True),
    ("data.n", 0), ("train.ema", 1),
])
def test_semantic_rejections(path, value):
    with pytest.raises(ValueError) as e:
        Config.from_dict(_set(path, value))
    assert path.split("[")[0] in str(e.value)


def test_every_leaf_is_covered():
    names = {p for p, _, _ in LEAVES}
    assert len(names) == len(LEAVES) and "model.channel_mult" in names and "train.precision" in names


def test_unknown_keys_are_named():
    with pytest.raises(ValueError, match=r"model\.hiden: unknown key"):
        Config.from_dict({"model": {"hiden": 3}})
    with pytest.raises(ValueError, match=r"^trian: unknown key"):
        Config.from_dict({"trian": {}})
    with pytest.raises(ValueError, match=r"^model: expected a mapping"):
        Config.from_dict({"model": 3})
    with pytest.raises(ValueError, match=r"^model\.nope: unknown key; valid keys of model: arch"):
        Config().replace({"model.nope": 1})
    with pytest.raises(ValueError, match=r"^modle: unknown key"):
        Config().replace({"modle.hidden": 1})
    assert Config().replace({"sde.name": "ve", "sde.params.sigma_max": 3.0}).sde.params == {"sigma_max": 3.0}


def test_cross_field_checks():
    with pytest.raises(ValueError, match=r"model\.kind"):
        Config.from_dict({"model": {"precond": "edm", "kind": "eps"}})
    Config.from_dict({"model": {"precond": "edm", "kind": "x0"}})
    with pytest.raises(ValueError, match=r"sde\.params\.sigma_max: not a parameter of SDE 'vp'"):
        Config.from_dict({"sde": {"name": "vp", "params": {"sigma_max": 3.0}}})
    with pytest.raises(ValueError, match=r"sde\.params: .*beta_max"):
        Config.from_dict({"sde": {"name": "vp", "params": {"beta_max": 0.01}}})
    with pytest.raises(ValueError, match=r"sde\.params\.x"):
        Config.from_dict({"sde": {"params": {"x": [1]}}})
    cfg = Config.from_dict({"sde": {"name": "ve", "params": {"sigma_max": 12.0, "marginal": "smld"}}})
    assert cfg.sde.params == {"sigma_max": 12.0, "marginal": "smld"}


@pytest.mark.parametrize("ext", [".json", ".yaml"])
def test_round_trip(tmp_path, ext):
    cfg = Config().replace({"model.hidden": 64, "model.channel_mult": [1, 2, 2], "sde.name": "ve",
                            "sde.params": {"sigma_max": 5.0}, "train.ema": False, "optim.lr": 1e-3})
    path = str(tmp_path / f"c{ext}")
    dump_config(cfg, path)
    assert load_config(path) == cfg
    assert Config.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_partial_files_and_bad_files(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  hidden: 32\n")
    cfg = load_config(str(p))
    assert cfg.model.hidden == 32 and cfg.train == Config().train
    p.write_text("model: [\n")
    with pytest.raises(ValueError, match="invalid YAML"):
        load_config(str(p))
    q = tmp_path / "c.toml"
    q.write_text("")
    with pytest.raises(ValueError, match=".json, .yaml"):
        load_config(str(q))
    with pytest.raises(ValueError, match="does not exist"):
        load_config(str(tmp_path / "missing.json"))


def test_diff_lists_fields():
    a = Config()
    b = a.replace({"model.hidden": 32, "train.steps": 5, "sde.name": "ve"})
    keys = [k for k, _, _ in a.diff(b)]
    assert keys == ["model.hidden", "sde.name", "train.steps"]
    assert "train.steps" in RESUMABLE and "model.hidden" not in RESUMABLE


def test_parse_override():
    assert parse_override("model.hidden=128") == ("model.hidden", 128)
    assert parse_override("optim.lr=1e-3") == ("optim.lr", 1e-3)
    assert parse_override("model.channel_mult=[1, 2]") == ("model.channel_mult", [1, 2])
    assert parse_override("train.ema=false") == ("train.ema", False)
    assert parse_override("model.sigma_data=null") == ("model.sigma_data", None)
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_override("model.hidden")
