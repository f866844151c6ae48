"""Bounded in time and memory: hostile formulas and files each get one clear verdict or error naming the file."""
import os
import subprocess
import sys
import time

import pytest

from scoresde.formulas import Budget, BudgetExceeded, FileProblem, verify_document, verify_latex, verify_text
from scoresde.formulas.bounds import limited
from scoresde.formulas.claims import load_claims

HERE = os.path.dirname(__file__)


def one(tex):
    t0 = time.monotonic()
    vs = verify_latex(tex, numeric=False)
    assert time.monotonic() - t0 < 10
    assert len(vs) == 1
    return vs[0]


@pytest.mark.parametrize("tex, why", [
    (r"\bar\alpha_t = 10^{10^{10}}", "exponent"),
    (r"\bar\alpha_t = (1-\bar\alpha_t)^{100000000}", "exponent 100000000"),
    (r"\beta_t = " + "{" * 9000 + "x" + "}" * 9000, "nested"),
    (r"\beta_t = " + "(" * 9000 + "x" + ")" * 9000, "nested"),
    (r"\beta_t = " + "7" * 5000, "5000 digits"),
    (r"\beta_t = " + r"\sqrt" * 3000 + " x", "nested too deeply"),
    (r"\beta_t = " + "+".join(["x"] * 15000), "characters long"),
])
def test_hostile_formula_gets_one_clear_verdict(tex, why):
    v = one(tex)
    assert v.verdict == "unparsed" and "not judged" in v.detail and why in v.detail
    assert len(v.latex) < 400  # the report quotes a clipped formula


def test_one_bad_formula_does_not_abort_the_document():
    doc = "| a | b |\n|---|---|\n| $\\bar\\alpha_t = 10^{10^{10}}$ | $\\beta_t = 1 - \\frac{\\bar\\alpha_t}{\\bar\\alpha_{t-1}}$ |\n"
    vs = verify_text(doc, numeric=False)
    assert [v.verdict for v in vs] == ["unparsed", "exact"]


def test_time_budget_interrupts_a_runaway_computation():
    t0 = time.monotonic()
    with pytest.raises(BudgetExceeded, match="time budget"):
        with limited(Budget(time_s=0.3)):
            while True:
                pass
    assert time.monotonic() - t0 < 3


def test_memory_budget_interrupts_a_runaway_allocation():
    hog = []
    with pytest.raises(BudgetExceeded, match="memory budget"):
        with limited(Budget(time_s=30, memory_mb=64)):
            while True:
                hog.append(bytearray(8 * 2**20))
    del hog


def test_bad_budget_is_a_value_error():
    with pytest.raises(ValueError, match="time budget"):
        Budget(time_s=0)


def test_non_utf8_and_oversized_files_name_the_file(tmp_path):
    bad = tmp_path / "latin1.md"
    bad.write_bytes("| a |\n|---|\n| $\\beta_t = 1$ caf\xe9 |\n".encode("latin-1"))
    with pytest.raises(FileProblem, match=r"latin1\.md: not UTF-8 text \(byte 0xe9"):
        verify_document(str(bad))
    big = tmp_path / "big.md"
    big.write_bytes(b"$x_t = 1$ " * 2_000_000)  # 20 MB
    t0 = time.monotonic()
    with pytest.raises(FileProblem, match=r"big\.md: 20\.0 MB is over the size limit"):
        verify_document(str(big))
    assert time.monotonic() - t0 < 2


def test_yaml_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 16):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("claims: *a15")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    t0 = time.monotonic()
    with pytest.raises(FileProblem, match=r"bomb\.yaml: more than 100 YAML aliases"):
        load_claims(str(bomb))
    assert time.monotonic() - t0 < 5


def test_cli_reports_bad_file_and_goes_on(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe $x$")
    good = tmp_path / "good.md"
    good.write_text("$$\\beta_t = 1 - \\frac{\\bar\\alpha_t}{\\bar\\alpha_{t-1}}$$\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE), OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "scoresde", "verify", str(bad), str(good), "--time-budget", "5"],
                       capture_output=True, text=True, env=env, cwd=os.path.dirname(HERE))
    assert r.returncode == 2
    assert "bad.md: not UTF-8" in r.stderr and r.stderr.count("\n") == 1
    assert "EXACT" in r.stdout and "summary: exact 1" in r.stdout
