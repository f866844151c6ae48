"""Hostile input to the ``scoresde`` command (issue 17): every bad input ends in one line naming the
option as typed and exit status 2, before any work; --help shows every default. In-process (cli.main)."""
from __future__ import annotations

import os
import re

import pytest

from scoresde import cli

TINY_TRAIN = ["--set", "model.hidden=16", "--set", "model.depth=1", "--set", "model.emb_dim=8", "--set", "data.n=256",
              "--set", "train.log_every=1", "--set", "train.ckpt_every=2", "--batch-size", "16", "--device", "cpu"]
SMALL_COMPARE = ["--n", "10", "--nfe", "2", "--samplers", "ddim", "--sde", "vp"]
BAD_FILES = ["/dev/null/x", "/proc/no-such-dir/x.json"]


def run(argv, capsys):
    """(exit status, stderr) of ``scoresde ARGV``; a traceback fails the test."""
    try:
        rc = cli.main(list(argv))
    except SystemExit as e:  # argparse errors
        rc = e.code
    cap = capsys.readouterr()
    return rc, cap.err


def refused(argv, capsys, option, *words):
    rc, err = run(argv, capsys)
    lines = err.strip().splitlines()
    assert rc == 2, (argv, rc, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    assert option in lines[0], (option, lines[0])
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("hostile") / "run")
    assert cli.main(["train", "--data", "gmm2d", "--steps", "2", "--out", out, *TINY_TRAIN]) == 0
    return out


@pytest.fixture
def no_compare_work(monkeypatch):
    """compare must stop before its work starts."""
    import scoresde.compare

    def boom(*a, **k):
        raise AssertionError("compare ran before the arguments were checked")

    monkeypatch.setattr(scoresde.compare, "compare", boom)


# ---------------------------------------------------------------------------- output paths
@pytest.mark.parametrize("bad", BAD_FILES)
def test_unwritable_outputs_are_refused_before_any_work(bad, tmp_path, capsys, tiny_run, no_compare_work):
    refused(["compare", "--out", bad, *SMALL_COMPARE], capsys, "--out")
    refused(["compare", "--json", bad, "--out", str(tmp_path / "c"), *SMALL_COMPARE], capsys, "--json")
    refused(["verify", "--json", bad, "--latex", r"\beta_t = 1 - \alpha_t"], capsys, "--json")
    refused(["derive", "--out", bad, "--table-only"], capsys, "--out")
    refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--json", bad], capsys, "--json")
    refused(["train", "--out", bad, "--data", "gmm2d", "--steps", "2", *TINY_TRAIN], capsys, "--out")
    refused(["sample", "--run", tiny_run, "--nfe", "3", "--n", "4", "--out", bad], capsys, "--out")
    assert not os.path.exists(tmp_path / "c")


def test_folder_where_a_file_is_expected_and_file_where_a_folder_is(tmp_path, capsys, tiny_run, no_compare_work):
    folder, file = tmp_path / "d", tmp_path / "f.txt"
    folder.mkdir()
    file.write_text("x")
    for argv, opt in [(["verify", "--json", str(folder), "--latex", r"\beta_t"], "--json"),
                      (["likelihood", "--problem", "gmm2d", "--n", "4", "--json", str(folder)], "--json"),
                      (["compare", "--json", str(folder), "--out", str(tmp_path / "c"), *SMALL_COMPARE], "--json")]:
        assert "folder" in refused(argv, capsys, opt)
    for argv in (["compare", "--out", str(file), *SMALL_COMPARE], ["derive", "--out", str(file), "--table-only"],
                 ["train", "--out", str(file), "--steps", "2", *TINY_TRAIN],
                 ["sample", "--run", tiny_run, "--nfe", "3", "--n", "4", "--out", str(file)],
                 ["compare", "--out", str(file / "sub"), *SMALL_COMPARE]):
        assert "not a folder" in refused(argv, capsys, "--out")


# ---------------------------------------------------------------------------- bounds
def test_huge_nfe_and_sizes_never_reach_the_allocator(tmp_path, capsys, tiny_run, no_compare_work):
    huge = "10000000000"
    refused(["compare", "--nfe", huge, "--out", str(tmp_path / "c")], capsys, "--nfe")
    refused(["compare", "--n", huge, "--out", str(tmp_path / "c")], capsys, "--n")
    refused(["likelihood", "--problem", "gmm2d", "--n", huge], capsys, "--n")
    refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--probes", huge], capsys, "--probes")
    out = str(tmp_path / "s")
    refused(["sample", "--run", tiny_run, "--nfe", huge, "--out", out], capsys, "--nfe")
    refused(["sample", "--run", tiny_run, "--n", huge, "--out", out], capsys, "--n")
    refused(["sample", "--run", tiny_run, "--corrector", "langevin", "--corrector-steps", huge, "--out", out],
            capsys, "--corrector-steps")


# ---------------------------------------------------------------------------- empty selections, runs doing nothing
def test_empty_selections_are_errors(tmp_path, capsys, no_compare_work):
    out = str(tmp_path / "c")
    refused(["compare", "--sde", "", "--out", out, "--n", "10", "--nfe", "2", "--samplers", "ddim"], capsys, "--sde")
    refused(["compare", "--sde", ",", "--out", out, "--n", "10", "--nfe", "2", "--samplers", "ddim"], capsys, "--sde")
    refused(["compare", "--problem", "", "--out", out, *SMALL_COMPARE], capsys, "--problem")
    refused(["table", "--sde", ""], capsys, "--sde")
    refused(["derive", "--only", ""], capsys, "--only")
    refused(["verify", "--latex", ""], capsys, "--latex")
    refused(["verify", "--latex", "  "], capsys, "--latex")


def test_a_sampler_that_does_not_apply_to_the_sde_is_an_error(tmp_path, capsys, no_compare_work):
    line = refused(["compare", "--samplers", "ald", "--sde", "vp", "--out", str(tmp_path / "c"), "--n", "10",
                    "--nfe", "2"], capsys, "--samplers", "ald")
    assert "variance-exploding" in line
    assert not os.path.exists(tmp_path / "c")


# ---------------------------------------------------------------------------- messages
def test_messages_name_the_option_as_typed(capsys):
    refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--rtol", "-1"], capsys, "--rtol")
    refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--atol", "0"], capsys, "--atol")
    assert refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--eps", "nan"], capsys, "--eps").startswith(
        "scoresde likelihood: error: --eps")
    # a library message naming its parameter (probe_dist) is reported with the option (--probe-dist)
    line = refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--divergence", "hutchinson",
                    "--probe-dist", "bogus"], capsys, "--probe-dist")
    assert "probe_dist" not in line


def test_binary_and_non_utf8_files_are_named(tmp_path, capsys):
    latin = tmp_path / "notes.md"
    latin.write_bytes("| \\beta_t | caf\xe9 |\n".encode("latin-1"))
    binary = tmp_path / "claims.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert "UTF-8" in refused(["verify", str(latin)], capsys, str(latin))
    assert "binary" in refused(["verify", str(binary)], capsys, str(binary))
    assert "folder" in refused(["verify", str(tmp_path)], capsys, str(tmp_path))


def test_config_and_checkpoint_inputs_are_named(tmp_path, capsys, tiny_run):
    latin = tmp_path / "c.yaml"
    latin.write_bytes("train:\n  steps: 2 # caf\xe9\n".encode("latin-1"))
    out = str(tmp_path / "t")
    assert "UTF-8" in refused(["train", "--out", out, "--config", str(latin)], capsys, "--config", str(latin))
    assert "folder" in refused(["train", "--out", out, "--config", str(tmp_path)], capsys, "--config")
    assert "folder" in refused(["sample", "--run", tiny_run, "--nfe", "3", "--checkpoint", str(tmp_path),
                                "--out", str(tmp_path / "s")], capsys, "--checkpoint")


def test_unknown_top_level_option_is_named(capsys):
    refused(["--bogus"], capsys, "--bogus")
    refused(["--bogus", "table"], capsys, "--bogus")


def test_device_accepts_cuda_n_everywhere_with_a_clear_message(tmp_path, capsys, tiny_run, no_compare_work):
    import torch

    if torch.cuda.is_available():
        pytest.skip("checks the message on machines without CUDA")
    for argv in (["compare", "--device", "cuda:0", "--out", str(tmp_path / "c"), *SMALL_COMPARE],
                 ["likelihood", "--problem", "gmm2d", "--n", "4", "--device", "cuda:1"],
                 ["sample", "--run", tiny_run, "--nfe", "3", "--n", "4", "--device", "cuda:0", "--out", str(tmp_path / "s")],
                 ["train", "--out", str(tmp_path / "t"), "--steps", "2", *TINY_TRAIN[:-2], "--device", "cuda:0"]):
        assert "CUDA is not available" in refused(argv, capsys, "--device")
    assert "unknown device" in refused(["likelihood", "--problem", "gmm2d", "--n", "4", "--device", "gpu"], capsys, "--device")


# ---------------------------------------------------------------------------- help
SUBCOMMANDS = ["table", "compare", "verify", "derive", "likelihood", "train", "sample"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_shows_every_default_without_breaking_words(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")  # narrow: hyphenated names would be broken here
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    text = capsys.readouterr().out
    assert not re.search(r"[A-Za-z]-\n", text), "a word broken at a hyphen:\n" + text
    blocks = re.split(r"\n  (?=-)", text.split("options:", 1)[1])
    for action in sub._actions:
        if not action.option_strings or action.nargs == 0 or action.required or action.dest == "help":
            continue
        if action.default == [] or action.default is None and (command != "train" or action.dest == "config"):
            continue  # [] / None = "not given" (e.g. --json: no file); train's None means "from the config"
        block = next(b for b in blocks if b.startswith(tuple(action.option_strings)))
        assert "default" in block.lower(), f"{command} {action.option_strings[0]}: no default shown:\n{block}"
