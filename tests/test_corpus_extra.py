"""The second corpus of published formulas (tests/corpus_extra/): schema, and the issue-13 targets measured on it.

tests/corpus_extra holds claims written independently of tests/corpus (other equations of the same papers, the
same formulas in another paper's notation or another LaTeX style, and wrong variants of them) to measure whether
the verifier generalises beyond the corpus it is tuned on. Its figures are reported by
`python benchmarks/verify_corpus.py --root tests/corpus_extra [--failures]`. The targets met on it are enforced
(no wrong formula judged exact); the others are xfail with their figures. The schema checks are test_corpus.py's.
"""
from __future__ import annotations

import importlib.util
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXTRA = os.path.join(HERE, "corpus_extra")

# tests/test_corpus.py's checks, loaded under another module name so pytest does not collect its tests twice here
_spec = importlib.util.spec_from_file_location("_corpus_schema_checks", os.path.join(HERE, "test_corpus.py"))
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)
vc = tc.vc


@pytest.fixture(scope="module")
def extra():
    return vc.load_corpus(root=EXTRA)


def test_extra_schema(extra):
    """Same schema, sizes and vocabularies as tests/corpus (tests/test_corpus.py's check)."""
    tc.test_corpus_schema_and_size(extra)


def test_extra_names_are_prefixed_and_new(extra):
    """Every claim is named x-... and no name or formula text is copied from tests/corpus."""
    main = vc.load_corpus()
    assert all(it.name.startswith("x-") for it in extra), [it.name for it in extra if not it.name.startswith("x-")]
    assert not {it.name for it in extra} & {it.name for it in main}
    assert not {it.spec.text for it in extra} & {it.spec.text for it in main}


def test_extra_files_are_plain_yaml():
    """Each file loads with the public loader and uses only the schema's keys."""
    tc.check_plain_yaml(EXTRA)


def test_verify_corpus_root_option(capsys):
    """benchmarks/verify_corpus.py --root reads another corpus (relative to the repository root or the current
    folder) and refuses a folder without claims, naming the option."""
    assert vc.corpus_root("tests/corpus_extra") == os.path.abspath(EXTRA)
    assert vc.corpus_root(EXTRA) == os.path.abspath(EXTRA)
    assert vc.corpus_root(os.path.join(EXTRA, "no-such-folder")) is None
    with pytest.raises(SystemExit) as err:
        vc.main(["--root", os.path.join(EXTRA, "no-such-folder")])
    assert err.value.code == 2 and "--root" in capsys.readouterr().err
    vc.main(["--root", "tests/corpus_extra", "--category", "likelihood"])
    out = capsys.readouterr().out
    n = sum(1 for it in vc.load_corpus(root=EXTRA, categories=["likelihood"]))
    assert out.startswith("category") and "likelihood" in out and f"{n} claims in" in out


#: targets not reached on this independent corpus (keys of vc.TARGETS): reported as xfail with the current figures;
#: every other target is enforced. All four are met now (benchmarks/RESULTS.md, "Formula verifier").
PENDING: set = set()


def test_extra_targets_fast(extra):
    """A fixed stratified subset of the independent corpus: no wrong formula judged exact."""
    tc._judge_and_check(vc.subset(extra, 8), PENDING, "tests/corpus_extra")


@pytest.mark.slow
def test_extra_targets_full(extra):
    """The whole independent corpus."""
    tc._judge_and_check(list(extra), PENDING, "tests/corpus_extra")
