"""The public corpus of published formulas (tests/corpus/): schema, and the issue-13 targets.

The scoring lives in benchmarks/verify_corpus.py (so the test and the report agree). The default suite judges
a fixed, stratified subset with the numeric confirmation off (cheap); the whole corpus runs under -m slow.
Targets listed in PENDING are not reached yet by the verifier: they are reported as xfail with the current
figures; every other target is enforced, so a regression on a met target fails.
"""
from __future__ import annotations

import glob
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
#: targets the verifier does not reach yet (keys of vc.TARGETS); shrink this set as the engine improves. Since the
#: second session of issue 13 every target is met on this corpus (whole corpus, numeric off: correct ok 251/251,
#: false alarms 0, wrong judged exact 0, wrong with the expected verdict and terms 203/203) and enforced. This corpus
#: is the one the verifier was developed on; tests/test_corpus_extra.py measures it on an independent one.
PENDING: set = set()
#: the default suite judges 1 claim in FAST_EVERY (plus one per category and kind)
FAST_EVERY = 8


@pytest.fixture(scope="module")
def corpus():
    return vc.load_corpus()


def test_corpus_schema_and_size(corpus):
    check_schema(corpus)


def check_schema(corpus, min_correct: int = 150, min_wrong: int = 100):
    """Issue 13's sizes (≥ 150 correct, ≥ 100 wrong for tests/corpus), unique names, and each claim's fields."""
    kinds = Counter(it.kind for it in corpus)
    assert kinds["correct"] >= min_correct and kinds["wrong"] >= min_wrong, kinds
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


#: keys of a corpus claim (tests/corpus/README.md and the claims schema of docs/verify.md)
CLAIM_KEYS = {"name", "category", "source", "latex", "math", "expect", "expect_reading", "mutation", "terms", "notation",
              "target"}


def check_plain_yaml(root):
    """Each file of the corpus at ``root`` loads with the public loader and uses only the schema's keys."""
    from scoresde.formulas import load_claims

    paths = sorted(glob.glob(os.path.join(root, "*", "*.yaml")))
    assert {os.path.basename(os.path.dirname(p)) for p in paths} == {"correct", "wrong"}
    for path in paths:
        assert load_claims(path)
        with open(path, encoding="utf-8") as fh:
            claims = yaml.safe_load(fh)["claims"]
        for c in claims:
            assert set(c) <= CLAIM_KEYS, f"{path}: {c['name']}: keys {set(c) - CLAIM_KEYS}"
            assert c["source"].strip() and ("latex" in c) != ("math" in c), f"{path}: {c['name']}"


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


def _judge_and_check(items, pending=None, where="tests/corpus"):
    """Judge ``items``: targets outside ``pending`` (default PENDING) must hold; missed pending ones are xfail."""
    pending = PENDING if pending is None else pending
    vc.judge(items, numeric=False)
    table = vc.table(items)
    print("\n" + table)
    missed = vc.missed_targets(items)
    hard = [m for k, m in missed if k not in pending]
    assert not hard, f"targets met before now fail on {where}:\n" + "\n".join(hard) + "\n" + table
    if missed:
        pytest.xfail(f"issue-13 targets not reached on {where}: " + "; ".join(m for _, m in missed) + "\n" + table)


def test_corpus_targets_fast(corpus):
    """A fixed stratified subset (cheap: numeric off)."""
    _judge_and_check(vc.subset(corpus, FAST_EVERY))


@pytest.mark.slow
def test_corpus_targets_full(corpus):
    """The whole corpus."""
    _judge_and_check(list(corpus))


#: registry families written for issue 13 (one file each under scoresde/formulas/families/). They are in FAMILIES, so
#: tests/test_formulas_registry.py and `--builtin` read every registered entry back and run its tie; entries a family
#: keeps in PENDING (symbols the symbolic check cannot evaluate yet) are not registered. Here every entry's tie,
#: registered or pending, must hold and catch a perturbed form (a factor 2 or a sign on any non-zero piece).
NEW_FAMILIES = ["dpm_solver", "edm", "posteriors", "explicit", "logsnr", "objectives", "guidance", "likelihood"]


@pytest.mark.parametrize("family", NEW_FAMILIES)
def test_new_family_ties_hold_and_catch_perturbations(family):
    import importlib

    import sympy as sp

    from scoresde.formulas import REGISTRY
    from scoresde.formulas.families import FAMILIES

    assert family in FAMILIES
    mod = importlib.import_module(f"scoresde.formulas.families.{family}")
    pending = getattr(mod, "PENDING", [])
    assert mod.ENTRIES or pending
    assert all(REGISTRY[e.name] is e for e in mod.ENTRIES)
    assert not [e.name for e in pending if e.name in REGISTRY], "a pending entry is also registered"
    for e in list(mod.ENTRIES) + list(pending):
        assert e.tie is not None, e.name
        assert any(w in e.source for w in ("Eq.", "Alg.", "App.", "Sec.", "Table", "Thm.")), e.name
        ok, detail = e.tie(e)
        assert ok, f"{e.name}: {detail}"
        for key, form in e.forms().items():
            if form is None or form == 0:
                continue
            for what, new in (("factor 2", 2 * form), ("sign", -form)):
                if key == "var" and what == "sign":
                    continue
                bad = e.with_forms({key: sp.sympify(new)})
                assert not bad.tie(bad)[0], f"{e.name}: {what} on {key} still passes its tie"
