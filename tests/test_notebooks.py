"""The notebooks in notebooks/ (jupytext py:percent sources, paired with .ipynb by jupytext).

Default suite: every derivation has a notebook, a jupytext percent script with at least two checked
exercises; every notebook's exercises run and pass as plain Python with the derivation cell skipped (the
derivations have their own tests), and one representative notebook runs whole as a script (fast mode,
no kernel). Slow suite
(``-m slow``): every notebook is converted with jupytext and executed by nbclient in a Jupyter kernel
(needs the ``teach`` extra: jupytext, nbclient, nbformat, ipykernel; skipped without them).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def test_notebooks_are_jupytext_percent_scripts_with_checked_exercises():
    from scoresde.teach import TOPICS

    assert sorted(p.name[:2] for p in NOTEBOOKS) == sorted(TOPICS), "one notebook per derivation"
    for nb in NOTEBOOKS:
        src = nb.read_text(encoding="utf-8")
        assert "format_name: percent" in src and "formats: ipynb,py:percent" in src, nb.name
        assert src.count("# %% [markdown]") >= 3 and "FAST = True" in src, nb.name
        key = nb.name[:2]
        assert key in TOPICS and f'show_derivation("{key}"' in src, nb.name
        assert src.count('check("exercise') >= 2, f"{nb.name}: at least two checked exercises"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_exercises_pass(nb):
    src = re.sub(r'show_derivation\("\d\d", fast=FAST\)', "None", nb.read_text(encoding="utf-8"))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, str(nb), "exec"), {"__name__": "__main__"})
    assert buf.getvalue().count(": correct") >= 2, buf.getvalue()


def test_exercise_check_fails_on_a_wrong_answer():
    from scoresde.teach.notebook import check

    check("ok", 0.5, 0.5)
    with pytest.raises(AssertionError, match="differs"):
        check("wrong", 0.6, 0.5)
    with pytest.raises(AssertionError, match="no answer"):
        check("missing", None, 0.5)


def test_representative_notebook_runs_as_a_script(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(ROOT / "notebooks" / "11_notation.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "exercise 1: correct" in out and "exercise 2: correct" in out


@pytest.mark.slow
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_in_a_kernel(nb, tmp_path):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = jupytext.read(nb)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    try:
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(ROOT)}})
        client.execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    outputs = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert outputs.count(": correct") >= 2, outputs[-2000:]
    assert sys.executable  # the kernel is the one ipykernel installed for this interpreter
