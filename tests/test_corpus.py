"""The public corpus of published formulas (tests/corpus/): schema, and the issue-13 targets.

The scoring lives in benchmarks/verify_corpus.py (so the test and the report agree). The default suite judges
a fixed, stratified subset with the numeric confirmation off (cheap); the whole corpus runs under -m slow.
Targets listed in PENDING are not reached yet by the verifier: they are reported as xfail with the current
figures; every other target is enforced, so a regression on a met target fails.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("verify_corpus", os.path.join(ROOT, "benchmarks", "verify_corpus.py"))
vc = importlib.util.module_from_spec(_spec)
sys.modules["verify_corpus"] = vc
_spec.loader.exec_module(vc)

TERMS = {"drift", "diffusion", "noise", "mean.x", "mean.x0", "mean.score", "mean.eps", "mean.other", "variance", "rhs"}
MUTATIONS = {"dropped_half", "alpha_for_abar", "g_for_g2", "sign", "missing_sqrt", "wrong_index", "swapped", "other"}
#: targets the verifier does not reach yet (keys of vc.TARGETS); shrink this set as the engine improves
PENDING = {"correct_ok", "false_alarm", "wrong_exact", "wrong_right"}
#: the default suite judges 1 claim in FAST_EVERY (plus one per category and kind)
FAST_EVERY = 8


@pytest.fixture(scope="module")
def corpus():
    return vc.load_corpus()


def test_corpus_schema_and_size(corpus):
    kinds = Counter(it.kind for it in corpus)
    assert kinds["correct"] >= 150 and kinds["wrong"] >= 100, kinds
    names = Counter(it.name for it in corpus)
    assert not [n for n, c in names.items() if c > 1], "duplicate claim names across files"
    for it in corpus:
        where = f"{it.file}: {it.name}"
        assert it.category and it.category != "uncategorised", where
        assert it.source.strip(), f"{where}: no source"
        assert it.expect in ("exact", "consistent", "inconsistent", "ill-defined", "unparsed"), where
        if it.kind == "correct":
            assert it.expect in ("exact", "consistent", "unparsed"), f"{where}: a correct formula expects {it.expect}"
            assert not it.terms and not it.mutation, f"{where}: terms/mutation belong to wrong variants"
        else:
            assert it.expect != "exact", f"{where}: a wrong variant cannot expect exact"
            assert it.mutation in MUTATIONS, f"{where}: mutation {it.mutation!r}"
            assert it.terms and set(it.terms) <= TERMS, f"{where}: terms {it.terms}"
    # every wrong variant's file and category has correct counterparts in the same category
    correct_cats = {it.category for it in corpus if it.kind == "correct"}
    assert {it.category for it in corpus if it.kind == "wrong"} - correct_cats <= {"readings"}


def test_corpus_files_are_plain_yaml():
    """The corpus files load with the public loader and have no keys outside the claims schema."""
    from scoresde.formulas import load_claims

    for kind in ("correct", "wrong"):
        d = os.path.join(ROOT, "tests", "corpus", kind)
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".yaml"):
                path = os.path.join(d, fn)
                assert load_claims(path)
                with open(path, encoding="utf-8") as fh:
                    assert isinstance(yaml.safe_load(fh)["claims"], list)


def test_scoring_rules():
    """The scoring itself: a correct formula passes on exact/consistent; a wrong one needs its verdict and
    only expected terms; the targets are computed from the counts."""
    mk = lambda **kw: vc.Item(file="f", name=kw.pop("name", "n"), category="c", spec=None, **kw)  # noqa: E731
    good = mk(kind="correct", expect="exact", verdict="consistent")
    alarm = mk(kind="correct", expect="exact", verdict="inconsistent")
    w_ok = mk(kind="wrong", expect="inconsistent", verdict="inconsistent", terms=["drift"], got_terms=["drift"])
    w_terms = mk(kind="wrong", expect="inconsistent", verdict="inconsistent", terms=["drift"], got_terms=["drift", "noise"])
    w_exact = mk(kind="wrong", expect="inconsistent", verdict="exact", terms=["rhs"])
    assert good.ok and not alarm.ok and w_ok.ok and not w_terms.ok and not w_exact.ok
    r = vc.rates([good, alarm, w_ok, w_terms, w_exact])["ALL"]
    assert (r.n_correct, r.correct_ok, r.false_alarm, r.n_wrong, r.wrong_exact, r.wrong_right) == (2, 1, 1, 3, 1, 1)
    assert {k for k, _ in vc.missed_targets([good, alarm, w_ok, w_terms, w_exact])} == set(vc.TARGETS)
    assert vc.missed_targets([good, w_ok]) == []


def _judge_and_check(items):
    vc.judge(items, numeric=False)
    table = vc.table(items)
    print("\n" + table)
    missed = vc.missed_targets(items)
    hard = [m for k, m in missed if k not in PENDING]
    assert not hard, "targets met before now fail:\n" + "\n".join(hard) + "\n" + table
    if missed:
        pytest.xfail("issue-13 targets not reached yet: " + "; ".join(m for _, m in missed) + "\n" + table)


def test_corpus_targets_fast(corpus):
    """A fixed stratified subset (cheap: numeric off)."""
    _judge_and_check(vc.subset(corpus, FAST_EVERY))


@pytest.mark.slow
def test_corpus_targets_full(corpus):
    """The whole corpus."""
    _judge_and_check(list(corpus))


#: registry families written for issue 13 (one file each under scoresde/formulas/families/). Registered entries
#: (ENTRIES) are checked by tests/test_formulas_registry.py and `--builtin`; entries whose left sides the reader
#: does not produce yet (c_skip, λ(t), SNR(t), h_i, ...) wait in PENDING, and their ties are checked here.
NEW_FAMILIES = ["edm", "logsnr", "objectives", "guidance"]


@pytest.mark.parametrize("family", NEW_FAMILIES)
def test_new_family_ties_hold_and_catch_perturbations(family):
    import importlib

    from scoresde.formulas import REGISTRY

    mod = importlib.import_module(f"scoresde.formulas.families.{family}")
    assert mod.PENDING
    assert not [e.name for e in mod.PENDING if e.name in REGISTRY], "a pending entry is also registered"
    for e in mod.PENDING:
        assert e.kind == "scalar" and e.rhs is not None and e.tie is not None, e.name
        assert any(w in e.source for w in ("Eq.", "Alg.", "Sec.", "Table", "Thm.")), e.name
        ok, detail = e.tie(e)
        assert ok, f"{e.name}: {detail}"
        for what, new in (("factor 2", 2 * e.rhs), ("sign", -e.rhs), ("shift", e.rhs + 1)):
            bad = e.with_forms({"rhs": new})
            assert not bad.tie(bad)[0], f"{e.name}: {what} still passes its tie"
