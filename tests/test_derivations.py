"""The executable derivations (scoresde/teach, derivations/) and the generated unified table.

Every derivation runs in fast mode, in-process, and must pass all of its checks; the unified table is
regenerated from the registry and must equal the committed docs/unified_table.md.
"""
from __future__ import annotations

import ast
import io
import types
from pathlib import Path

import pytest
import sympy as sp

from scoresde.teach import FIGURES, TOPICS, core, parse_keys, run_topic, topic_module

ROOT = Path(__file__).resolve().parents[1]


#: derivations whose fast mode takes > 10 s on a loaded 2-core machine: run in the slow suite (-m slow)
SLOW_IN_FAST_MODE = {"00", "13", "14", "17"}


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW_IN_FAST_MODE else k for k in TOPICS])
def test_derivation_passes_in_fast_mode(key):
    buf = io.StringIO()
    out = run_topic(key, fast=True, stream=buf)
    assert out.checks, "a derivation must record checks"
    assert out.passed, "failed checks:\n" + "\n".join(c.line() for c in out.failures) + "\n--- output ---\n" + buf.getvalue()[-4000:]


def test_a_wrong_implementation_makes_a_derivation_fail(monkeypatch):
    """The checks can fail: a 0.1 % error in the EDM noise level breaks the notation map."""
    from scoresde.sde.base import LinearSDE

    orig = LinearSDE.noise_level
    monkeypatch.setattr(LinearSDE, "noise_level", lambda self, t: orig(self, t) * 1.001)
    out = run_topic("11", fast=True, stream=io.StringIO())
    assert not out.passed
    assert any("EDM" in c.label for c in out.failures)


def test_core_records_failures_and_crashes():
    d = core.Derivation("xx", "test", stream=io.StringIO())
    x = sp.Symbol("x")
    assert d.zero("true identity", (x + 1) ** 2 - x**2 - 2 * x - 1)
    assert not d.zero("false identity", (x + 1) ** 2 - x**2 - 1)
    assert not d.at_most("too big", 2.0, 1.0)
    assert not d.between("nan is never in range", float("nan"), 0.0, 1.0)
    assert [c.passed for c in d.checks] == [True, False, False, False]

    def boom(d):
        d.holds("fine so far", True)
        raise RuntimeError("broken")

    mod = types.SimpleNamespace(KEY="xx", TITLE="t", CLAIM="c", SOURCES="s", derive=boom)
    out = core.run(mod, stream=io.StringIO())
    assert not out.passed and "RuntimeError" in out.failures[0].label
    empty = types.SimpleNamespace(KEY="xx", TITLE="t", CLAIM="c", SOURCES="s", derive=lambda d: None)
    assert not core.run(empty, stream=io.StringIO()).passed  # no checks recorded: not a pass


def test_scripts_exist_and_state_their_module_claim():
    for key, (mod_name, script) in TOPICS.items():
        path = ROOT / "derivations" / script
        assert path.exists(), path
        src = path.read_text(encoding="utf-8")
        doc = " ".join(ast.get_docstring(ast.parse(src)).split())
        assert " ".join(topic_module(key).CLAIM.split()) in doc, f"{script}: docstring claim out of date"
        assert f'script_main("{key}")' in src


def test_parse_keys():
    assert parse_keys(None) == list(TOPICS)
    assert parse_keys("1, 06,6") == ["01", "06"]
    assert parse_keys("0,17") == ["00", "17"]
    with pytest.raises(ValueError, match="--only"):
        parse_keys("18")


def test_unified_table_is_regenerated_identically():
    from scoresde.teach import table

    text = table.build(rel="../")
    committed = (ROOT / "docs" / "unified_table.md").read_text(encoding="utf-8")
    assert "MISMATCH" not in text.split("## How this page is checked")[0] and "<!-- MISMATCH" not in text
    assert text == committed, "docs/unified_table.md is stale: run `scoresde derive --out docs/ --table-only`"


def test_unified_table_covers_every_cell_of_seed_002():
    from scoresde.formulas.registry import REGISTRY
    from scoresde.teach import table

    cells = table._seed_cells()
    for rk, _, _ in table.ROWS:
        for ck, _, _ in table.COLUMNS:
            assert cells[(rk, ck)], (rk, ck)
            assert table.CELLS[(rk, ck)]
            assert all(it.entry in REGISTRY for it in table.CELLS[(rk, ck)])
    assert sum(len(v) for v in cells.values()) == 11  # 10 cells, one with two alternatives


def test_committed_figures_exist_and_are_small():
    for name in FIGURES:
        p = ROOT / "docs" / "figures" / name
        assert p.exists(), p
        assert p.stat().st_size < 200 * 1024, f"{name} is {p.stat().st_size // 1024} KB"


def test_cli_derive(tmp_path, capsys):
    import argparse

    from scoresde.cli import derive as cli_derive

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_derive.add_parser(sub)
    args = parser.parse_args(["derive", "--out", str(tmp_path), "--table-only"])
    assert args.func(args) == 0
    assert (tmp_path / "unified_table.md").read_text(encoding="utf-8").startswith("# The unified table")
    args = parser.parse_args(["derive", "--fast", "--quiet", "--only", "11"])
    assert args.func(args) == 0
    assert "PASS  11" in capsys.readouterr().out
    for bad in (["derive", "--only", "0,19"], ["derive", "--table-only"]):
        args = parser.parse_args(bad)
        with pytest.raises(ValueError):
            args.func(args)
    f = tmp_path / "file"
    f.write_text("x")
    args = parser.parse_args(["derive", "--out", str(f), "--table-only"])
    with pytest.raises(ValueError, match="--out"):
        args.func(args)


def test_markdown_format_renders_sympy_as_latex():
    x, t, b = sp.symbols("x t beta")
    p = sp.Function("p")(x, t)
    for fmt in ("text", "markdown"):
        buf = io.StringIO()
        d = core.Derivation("xx", "demo", stream=buf, fmt=fmt)
        d.header("a claim", "a source")
        d.step("one step")
        d.show("second derivative", sp.diff(p, x, 2) + b**2)
        d.table(["n", "error"], [[10, 0.5]])
        d.zero("an identity", (x + 1) ** 2 - x**2 - 2 * x - 1)
        text = buf.getvalue()
        if fmt == "text":
            assert "Derivative(p(x, t), (x, 2))" in text and "beta**2" in text
        else:
            assert text.startswith("## xx. demo") and "### Step 1. one step" in text
            assert "$$ \\beta^{2} + \\frac{\\partial^{2}}{\\partial x^{2}} p{\\left(x,t \\right)} $$" in text
            assert "Derivative" not in text and "**2" not in text
            assert "| n | error |" in text and "- ✅ an identity" in text
    with pytest.raises(ValueError, match="format"):
        core.Derivation("xx", "t", fmt="html")


def test_cli_derive_markdown(capsys):
    import argparse

    from scoresde.cli import derive as cli_derive

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_derive.add_parser(sub)
    args = parser.parse_args(["derive", "--fast", "--only", "11", "--format", "markdown"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("## 11.") and "- ✅" in out and "**PASS  11" in out
