"""Markdown tables: the seed-002 table gets the hand-checked verdicts; the CLI writes the report and JSON."""
import json
import os
import subprocess
import sys

import pytest

from scoresde.formulas import verify_text
from scoresde.formulas.tables import find_formulas, split_row

HERE = os.path.dirname(__file__)
TABLE = os.path.join(HERE, "data", "seed002_table.md")

# (row, column word, alternative, verdict, target, order, must-appear-in-detail) -- checked by hand, see docs/verify.md
EXPECTED = [
    # (row, column word, alternative, verdict as written, verdict under the stated reading, target, order, phrase)
    ("SDE", "正向", "", "exact", None, "sde.forward", None, "identical"),
    ("SDE", "逆向", "", "inconsistent", "exact", "reverse.sde", None, "dw is read as dw̄"),
    ("DDPM微分方程", "正向", "", "ill-defined", "exact", "vp.sde", None, "F is dropped"),
    ("DDPM微分方程", "逆向", "", "ill-defined", "exact", "vp.reverse_sde", None, "F is dropped"),
    ("DDPM迭代方程", "正向", "", "exact", None, "ddpm.forward_step", None, "identical"),
    ("DDPM迭代方程", "逆向", "alternative 1 of 2", "exact", None, "vp.ancestral", None, "identical"),
    ("DDPM迭代方程", "逆向", "alternative 2 of 2", "consistent", None, "vp.ancestral", 1, "reverse-diffusion predictor"),
    ("SMLD微分方程", "正向", "", "ill-defined", "exact", "ve.sde", None, "F is dropped"),
    ("SMLD微分方程", "逆向", "", "ill-defined", "exact", "ve.reverse_sde", None, "F is dropped"),
    ("SMLD迭代方程", "正向", "", "exact", None, "smld.forward_step", None, "identical"),
    ("SMLD迭代方程", "逆向", "", "consistent", None, "ve.ancestral", 1, "reverse-diffusion predictor"),
]


def test_split_row_keeps_bars_inside_math():
    assert split_row(r"| a | $q(x_t|x_0)$ | b |") == ["a", r"$q(x_t|x_0)$", "b"]


def test_finds_every_formula_cell():
    fs = find_formulas(open(TABLE, encoding="utf-8").read())
    assert len(fs) == len(EXPECTED)
    assert [f.alternative for f in fs].count("alternative 1 of 2") == 1


@pytest.fixture(scope="module")
def seed002():
    return verify_text(open(TABLE, encoding="utf-8").read(), source="seed002", numeric=False)


def test_seed002_hand_checked_verdicts(seed002):
    assert len(seed002) == len(EXPECTED)
    for v, (row, col, alt, verdict, reading_verdict, target, order, phrase) in zip(seed002, EXPECTED):
        assert f'row "{row}"' in v.location and col in v.location and alt in v.location
        assert (v.verdict, v.reading_verdict, v.target, v.order) == (verdict, reading_verdict, target, order), (v.location, v.detail)
        assert phrase in v.detail
        assert v.claim  # what it was read as
        assert bool(v.reading) == (reading_verdict is not None)
        assert bool(v.terms) == (verdict != "exact"), (v.location, v.terms)
    # the stray F sits in the drift and the diffusion of the VP SDE; the plain dw is the noise term
    assert seed002[2].terms == ["drift", "diffusion"] and seed002[1].terms == ["noise"]
    # the DDPM reverse SDE needs F dropped AND eps_0 read as the prediction: both are stated
    assert "F is dropped" in seed002[3].reading and "ε_0 is read as ε_θ" in seed002[3].reading
    # the DDPM reverse SDE reads eps_0 as the noise prediction and abar_i as abar(t): said in the notes
    notes = " ".join(seed002[3].notes)
    assert "ε_0" in notes and "ᾱ_i" in notes


def _cli(*args, cwd=None):
    code = ("import sys; from scoresde.cli import _Parser; from scoresde.cli import verify as cli_verify\n"
            "p = _Parser(prog='scoresde'); sub = p.add_subparsers(dest='command', parser_class=_Parser)\n"
            "cli_verify.add_parser(sub); a = p.parse_args(sys.argv[1:])\n"
            "try:\n    sys.exit(a.func(a))\nexcept ValueError as e:\n"
            "    sys.stderr.write(f'scoresde verify: error: {e}\\n'); sys.exit(2)\n")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.path.dirname(HERE))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_cli_report_and_json(tmp_path):
    out = tmp_path / "v.json"
    r = _cli("verify", TABLE, "--no-numeric", "--json", str(out),
             "--latex", r"\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}(x_t - \frac{\beta_t}{\sqrt{1-\alpha_t}}\epsilon_\theta(x_t, t))")
    assert r.returncode == 1, r.stderr  # inconsistent / ill-defined formulas
    assert "read as" in r.stdout and "CONSISTENT" in r.stdout and "INCONSISTENT" in r.stdout
    recs = json.loads(out.read_text(encoding="utf-8"))
    assert len(recs) == len(EXPECTED) + 1
    assert set(recs[0]) >= {"source", "location", "latex", "claim", "verdict", "order", "detail", "terms", "reading", "reading_verdict"}
    assert recs[2]["verdict"] == "ill-defined" and recs[2]["reading_verdict"] == "exact" and "F" in recs[2]["reading"]
    assert recs[-1]["verdict"] == "inconsistent" and recs[6]["order"] == 1


def test_cli_bad_input_exit_2(tmp_path):
    r = _cli("verify", "--target", "no.such.entry", "--latex", "x = 1")
    assert r.returncode == 2 and "no.such.entry" in r.stderr and "Traceback" not in r.stderr
    r = _cli("verify", str(tmp_path / "missing.md"))
    assert r.returncode == 2 and "missing.md" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("claims:\n  - name: a\n    latex: 'x = 1'\n    expect: maybe\n", encoding="utf-8")
    r = _cli("verify", str(bad))
    assert r.returncode == 2 and "'expect'" in r.stderr
    r = _cli("verify")
    assert r.returncode == 2


def test_readme_verify_example_is_inside_the_repository():
    root = os.path.dirname(HERE)
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    paths = [ln.split()[2] for ln in readme.splitlines() if ln.startswith("scoresde verify ") and ln.split()[2].endswith(".md")]
    assert paths and not any(p.startswith("..") for p in paths), paths  # ../shared does not exist in a clone
    assert all(os.path.isfile(os.path.join(root, p)) for p in paths if p.startswith("examples/")), paths
    example = os.path.join(root, "examples", "seed002_table.md")
    assert "examples/seed002_table.md" in paths
    # the example is seed 002's table (the hand-checked verdicts above are asserted on the same formulas)
    assert [f.latex for f in find_formulas(open(example, encoding="utf-8").read())] == \
        [f.latex for f in find_formulas(open(TABLE, encoding="utf-8").read())]
