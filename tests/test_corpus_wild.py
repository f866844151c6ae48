"""The third, blind corpus of published formulas (tests/corpus_wild/): schema, and the issue-13 targets measured on it.

tests/corpus_wild was written by two authors who never ran the verifier nor read its code: `p3-` claims from the
papers (equations and notations the other two corpora do not use), `t3-` claims from the secondary literature people
copy tables from (Luo 2022, Weng's and Song's blogs, the CVPR 2022 tutorial, Murphy's PML2, annotated-diffusion
code, tables in the style of seed 002). Its "dev" half (zlib.crc32(name) % 2 == 0) is used to find missing
capabilities; its "held" half is kept out of development and measures generalisation
(`python benchmarks/verify_corpus.py --root tests/corpus_wild --half held`, never with --failures while developing).
The targets met on it are enforced (slow suite); the others are xfail with their figures. The schema checks are test_corpus.py's.
"""
from __future__ import annotations

import importlib.util
import os
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
WILD = os.path.join(HERE, "corpus_wild")

_spec = importlib.util.spec_from_file_location("_corpus_schema_checks_wild", os.path.join(HERE, "test_corpus.py"))
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)
vc = tc.vc


@pytest.fixture(scope="module")
def wild():
    return vc.load_corpus(root=WILD)


def test_wild_schema(wild):
    """Same schema, sizes and vocabularies as tests/corpus."""
    tc.test_corpus_schema_and_size(wild)


def test_wild_names_are_prefixed_and_new(wild):
    """Every claim is named p3-… or t3-…, and no name or formula text is copied from the other two corpora."""
    others = vc.load_corpus() + vc.load_corpus(root=os.path.join(HERE, "corpus_extra"))
    assert all(it.name.startswith(("p3-", "t3-")) for it in wild)
    assert not {it.name for it in wild} & {it.name for it in others}
    norm = lambda s: "".join(s.split())  # noqa: E731
    assert not {norm(it.spec.text) for it in wild} & {norm(it.spec.text) for it in others}


def test_wild_files_are_plain_yaml():
    """Each file loads with the public loader and uses only the schema's keys."""
    tc.check_plain_yaml(WILD)


def test_halves_split_by_name(wild, capsys):
    """--half splits by name hash into two halves of similar size, both with correct and wrong claims."""
    dev = [it for it in wild if zlib.crc32(it.name.encode()) % 2 == 0]
    held = [it for it in wild if zlib.crc32(it.name.encode()) % 2 == 1]
    assert len(dev) + len(held) == len(wild) and min(len(dev), len(held)) > 0.4 * len(wild)
    for half in (dev, held):
        assert {it.kind for it in half} == {"correct", "wrong"}
    vc.main(["--root", "tests/corpus_wild", "--half", "held", "--category", "prior"])
    n = sum(1 for it in held if it.category == "prior")
    assert f"{n} claims in" in capsys.readouterr().out


#: targets not reached on this blind corpus (keys of vc.TARGETS): reported as xfail with the current figures; every
#: other target is enforced. See benchmarks/RESULTS.md ("Formula verifier") for the figures of each half.
PENDING = {"correct_ok", "false_alarm", "wrong_exact", "wrong_right"}


@pytest.mark.slow
def test_wild_targets_full(wild):
    """The whole blind corpus."""
    tc._judge_and_check(list(wild), PENDING, "tests/corpus_wild")
