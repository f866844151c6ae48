"""Sample-quality metrics against exact ground truth, each with a way to measure its noise floor.

* :func:`sliced_w2` / :class:`SlicedW2` -- sliced 2-Wasserstein distance (Rabin et al. 2011;
  Bonneel et al. 2015, Eq. 2): SW2(P, Q)^2 = E_u W2^2(u#P, u#Q) over unit directions u, with a fixed
  set of directions drawn from a seed. In 1-D, W2 between two equal-size samples pairs the sorted
  values (the quantile coupling is optimal; Villani 2003, Thm. 2.18).
* :func:`mmd2` / :class:`MMD` -- the unbiased estimator of the squared maximum mean discrepancy
  with an RBF kernel k(a, b) = exp(-|a - b|^2 / (2 h^2)) (Gretton et al. 2012, Lemma 6), bandwidth h
  fixed or by the median heuristic (Gretton et al. 2012, Sec. 8) on the *reference* sample, so every
  sampler is measured with the same kernel.
* :func:`noise_floor` -- the value an estimator gives for perfect samples: the same estimator on
  independent exact samples of the same size (mean and spread over repeats). A sampler whose
  metric lies within the floor is indistinguishable from exact sampling at that sample size.
* :func:`endpoint_rmse`, :func:`mode_flips` -- for deterministic samplers against a reference
  solution from the same x_T.
* :func:`mode_weight_tv`, :func:`mode_moment_errors` -- mixture structure: total variation between
  the fraction of samples in each mode and the mixture weights; per-mode mean and covariance errors
  in standard errors (the standard error of a sample covariance entry of a Gaussian is
  sqrt((S_ij^2 + S_ii S_jj)/(n - 1)); Anderson 2003, Thm. 3.4.4).
* :func:`gaussian_kl` -- KL(N(m_q, diag v_q) || N(m_p, diag v_p)) in closed form (e.g. Bishop 2006,
  Eq. 2.155 per coordinate).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, Union

import torch
from torch import Tensor

from ._util import check_int, check_positive
from .analytic import GaussianMixture


def _flat(x: Tensor, name: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"{name} must be a tensor of shape (n, ...) with n >= 1")
    x = x.detach().reshape(x.shape[0], -1).to(torch.float64)
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} has non-finite values")
    return x


def _same_dim(x: Tensor, y: Tensor) -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")


# ---------------------------------------------------------------------------- sliced W2
def projections(dim: int, n_proj: int = 128, seed: int = 0) -> Tensor:
    """``n_proj`` unit directions in R^dim (float64), uniformly distributed, fixed by ``seed``."""
    dim, n_proj = check_int("dim", dim, 1), check_int("n_proj", n_proj, 1)
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(n_proj, dim, generator=g, dtype=torch.float64)
    return u / torch.linalg.vector_norm(u, dim=1, keepdim=True)


def _quantiles(sorted_vals: Tensor, n: int) -> Tensor:
    """Empirical quantile function of each row at levels (i + 1/2)/n, i = 0..n-1 (rows sorted)."""
    m = sorted_vals.shape[1]
    if m == n:
        return sorted_vals
    pos = (torch.arange(n, dtype=torch.float64) + 0.5) * (m / n) - 0.5
    pos = pos.clamp(0, m - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=m - 1)
    w = pos - lo
    return sorted_vals[:, lo] * (1 - w) + sorted_vals[:, hi] * w


class SlicedW2:
    """Sliced W2 to a fixed reference sample ``y`` (the projections of ``y`` are sorted once).

    SW2(x, y) = sqrt(mean_u W2^2(u.x, u.y)); for samples of different sizes the 1-D distance
    compares empirical quantile functions at n = max(|x|, |y|) levels.
    """

    def __init__(self, y: Tensor, n_proj: int = 128, seed: int = 0):
        y = _flat(y, "y")
        self.dim = y.shape[1]
        self.n_proj, self.seed = n_proj, seed
        self.proj = projections(self.dim, n_proj, seed)
        self._y_sorted = torch.sort(self.proj @ y.T, dim=1).values  # (n_proj, m)

    def per_direction(self, x: Tensor) -> Tensor:
        """W2^2 along each direction (n_proj,)."""
        x = _flat(x, "x")
        if x.shape[1] != self.dim:
            raise ValueError(f"x must have dimension {self.dim}, got {x.shape[1]}")
        xs = torch.sort(self.proj @ x.T, dim=1).values
        n = max(xs.shape[1], self._y_sorted.shape[1])
        d = _quantiles(xs, n) - _quantiles(self._y_sorted, n)
        return (d * d).mean(dim=1)

    def __call__(self, x: Tensor) -> float:
        return math.sqrt(float(self.per_direction(x).mean()))


def sliced_w2(x: Tensor, y: Tensor, n_proj: int = 128, seed: int = 0) -> float:
    """Sliced 2-Wasserstein distance between samples x and y (see :class:`SlicedW2`)."""
    xf, yf = _flat(x, "x"), _flat(y, "y")
    _same_dim(xf, yf)
    return SlicedW2(yf, n_proj, seed)(xf)


# ---------------------------------------------------------------------------- MMD
def median_bandwidth(y: Tensor, max_points: int = 1000) -> float:
    """Median heuristic: the median pairwise distance among (the first ``max_points`` of) y."""
    y = _flat(y, "y")[:max_points]
    if y.shape[0] < 2:
        raise ValueError("the median heuristic needs at least 2 points")
    d = torch.cdist(y, y)
    iu = torch.triu_indices(y.shape[0], y.shape[0], offset=1)
    h = float(d[iu[0], iu[1]].median())
    if not h > 0:
        raise ValueError("median pairwise distance is 0: give a fixed bandwidth")
    return h


def _kernel_sum(a: Tensor, b: Tensor, h: float, same: bool, block: int = 2048) -> float:
    """sum_{i,j} exp(-|a_i - b_j|^2 / (2 h^2)), excluding i = j when ``same``; blockwise.

    Squared distances come from |a|^2 + |b|^2 - 2 a.b (a matrix product: much faster than cdist
    at low dimension); exponents are clamped at -600 (no denormals, which are slow on CPUs).
    """
    total = 0.0
    c = -0.5 / (h * h)
    bb = (b * b).sum(1)
    for i in range(0, a.shape[0], block):
        ai = a[i:i + block]
        d2 = torch.addmm(bb[None, :], ai, b.T, alpha=-2.0).add_((ai * ai).sum(1)[:, None]).clamp_(min=0.0)
        total += float(torch.exp(d2.mul_(c).clamp_(min=-600.0)).sum())
    if same:
        total -= a.shape[0]  # the diagonal, k(a_i, a_i) = 1
    return total


class MMD:
    """Unbiased MMD^2 (Gretton et al. 2012, Lemma 6) to a fixed reference sample ``y``.

    MMD_u^2 = 1/(n(n-1)) sum_{i!=j} k(x_i,x_j) + 1/(m(m-1)) sum_{i!=j} k(y_i,y_j) - 2/(nm) sum k(x_i,y_j).
    The estimate is unbiased, so it can be slightly negative for matching distributions.
    ``bandwidth``: a positive number, or "median" (median pairwise distance of y).
    """

    def __init__(self, y: Tensor, bandwidth: Union[str, float] = "median"):
        y = _flat(y, "y")
        if y.shape[0] < 2:
            raise ValueError("y must have at least 2 samples")
        if bandwidth == "median":
            self.bandwidth = median_bandwidth(y)
        elif isinstance(bandwidth, str):
            raise ValueError(f"bandwidth must be 'median' or a positive number, got {bandwidth!r}")
        else:
            self.bandwidth = check_positive("bandwidth", bandwidth)
        self.y = y
        m = y.shape[0]
        self._kyy = _kernel_sum(y, y, self.bandwidth, True) / (m * (m - 1))

    def __call__(self, x: Tensor) -> float:
        x = _flat(x, "x")
        _same_dim(x, self.y)
        n, m = x.shape[0], self.y.shape[0]
        if n < 2:
            raise ValueError("x must have at least 2 samples")
        kxx = _kernel_sum(x, x, self.bandwidth, True) / (n * (n - 1))
        kxy = _kernel_sum(x, self.y, self.bandwidth, False) / (n * m)
        return kxx + self._kyy - 2 * kxy


def mmd2(x: Tensor, y: Tensor, bandwidth: Union[str, float] = "median") -> float:
    """Unbiased squared MMD between samples x and y with an RBF kernel (see :class:`MMD`)."""
    return MMD(y, bandwidth)(x)


# ---------------------------------------------------------------------------- noise floor
@dataclass(frozen=True)
class NoiseFloor:
    """What a metric reads for perfect samples: mean and standard deviation over repeats."""

    mean: float
    std: float
    values: tuple

    @property
    def upper(self) -> float:
        """mean + 2 std: a value at or below this is indistinguishable from exact sampling."""
        return self.mean + 2 * self.std

    def as_dict(self) -> dict:
        return {"mean": self.mean, "std": self.std, "upper": self.upper, "values": list(self.values)}


def noise_floor(metric: Callable[[Tensor], float], draw: Callable[[int, torch.Generator], Tensor], n: int,
                *, repeats: int = 5, seed: int = 0) -> NoiseFloor:
    """Apply ``metric`` to ``repeats`` independent exact samples of size n (``draw(n, generator)``).

    ``metric`` takes one sample: a one-sample metric (mode-weight TV), or a two-sample estimator
    bound to its own exact reference sample (e.g. ``SlicedW2(y)``), which then compares two
    independent exact samples of the same size -- the estimator's noise floor.
    """
    n, repeats = check_int("n", n, 2), check_int("repeats", repeats, 1)
    vals = []
    for r in range(repeats):
        g = torch.Generator().manual_seed(int(seed) * 1000003 + r)
        vals.append(float(metric(draw(n, g))))
    t = torch.tensor(vals, dtype=torch.float64)
    std = float(t.std()) if repeats > 1 else 0.0
    return NoiseFloor(mean=float(t.mean()), std=std, values=tuple(vals))


# ---------------------------------------------------------------------------- endpoints
def endpoint_rmse(x: Tensor, ref: Tensor) -> float:
    """sqrt(mean over samples and coordinates of (x - ref)^2): distance to a reference solution."""
    xf, rf = _flat(x, "x"), _flat(ref, "ref")
    if xf.shape != rf.shape:
        raise ValueError(f"x and ref must have the same shape, got {tuple(x.shape)} and {tuple(ref.shape)}")
    return math.sqrt(float(((xf - rf) ** 2).mean()))


def mode_flips(mixture: GaussianMixture, x: Tensor, ref: Tensor) -> int:
    """How many samples land in a different mixture component than the reference from the same x_T."""
    if x.shape != ref.shape:
        raise ValueError(f"x and ref must have the same shape, got {tuple(x.shape)} and {tuple(ref.shape)}")
    a = mixture.component_of(x.detach().to(torch.float64))
    b = mixture.component_of(ref.detach().to(torch.float64))
    return int((a != b).sum())


# ---------------------------------------------------------------------------- mixture structure
def mode_weights(mixture: GaussianMixture, x: Tensor) -> Tensor:
    """Fraction of samples assigned to each component (K,) (assignment: most probable component)."""
    k = mixture.component_of(x.detach().to(torch.float64))
    return torch.bincount(k, minlength=mixture.n_components).to(torch.float64) / x.shape[0]


def mode_weight_tv(mixture: GaussianMixture, x: Tensor) -> float:
    """Total variation 1/2 sum_k |hat w_k - w_k| between the sample's mode fractions and the weights."""
    return 0.5 * float((mode_weights(mixture, x) - mixture.weights).abs().sum())


def mode_moment_errors(mixture: GaussianMixture, x: Tensor, min_count: int = 10) -> Dict[str, float]:
    """Per-mode mean and covariance errors in standard errors, pooled as root mean squares.

    Each sample is assigned to its most probable component k (n_k samples). Then
    z_mean = (mean_k - mu_k) / (c_k / sqrt(n_k)) per coordinate, and for the covariance entries
    i <= j, z_cov = (S_k,ij - C_k,ij) / sqrt((C_ij^2 + C_ii C_jj)/(n_k - 1)) with C_k = diag(c_k^2).
    Returns {"mean_z": RMS of z_mean, "cov_z": RMS of z_cov, "missing_modes": modes with fewer
    than ``min_count`` samples (left out)}. For exact samples both RMS values are about 1 (a little
    more where the assignment cuts overlapping tails), so read them against the noise floor.
    """
    xf = _flat(x, "x")
    k = mixture.component_of(xf)
    zm, zc, missing = [], [], 0
    D = mixture.dim
    iu = torch.triu_indices(D, D)
    for c in range(mixture.n_components):
        xs = xf[k == c]
        n = xs.shape[0]
        if n < max(2, min_count):
            missing += 1
            continue
        sd = mixture.stds[c]
        zm.append((xs.mean(0) - mixture.means[c]) / (sd / math.sqrt(n)))
        S = torch.cov(xs.T).reshape(D, D)
        C = torch.diag(sd * sd)
        se = torch.sqrt((C * C + torch.outer(sd * sd, sd * sd)) / (n - 1))
        zc.append(((S - C) / se)[iu[0], iu[1]])
    if not zm:
        return {"mean_z": float("nan"), "cov_z": float("nan"), "missing_modes": missing}
    zm_t, zc_t = torch.cat(zm), torch.cat(zc)
    return {"mean_z": float(zm_t.pow(2).mean().sqrt()), "cov_z": float(zc_t.pow(2).mean().sqrt()),
            "missing_modes": missing}


# ---------------------------------------------------------------------------- Gaussians
def gaussian_kl(mean_q: Tensor, var_q: Tensor, mean_p: Tensor, var_p: Tensor) -> float:
    """KL(q || p) of diagonal Gaussians: 1/2 sum_d [v_q/v_p + (m_q - m_p)^2/v_p - 1 + log(v_p/v_q)]."""
    mq, vq, mp, vp = (torch.as_tensor(a, dtype=torch.float64).flatten() for a in (mean_q, var_q, mean_p, var_p))
    if not (mq.shape == vq.shape == mp.shape == vp.shape):
        raise ValueError("means and variances must all have the same number of coordinates")
    if bool((vq <= 0).any()) or bool((vp <= 0).any()):
        raise ValueError("variances must be > 0")
    # v_q/v_p - 1 - log(v_q/v_p) = d - log1p(d) with d = (v_q - v_p)/v_p, by its series for small |d|
    # (the direct form loses everything below ~1e-16 relative to 1: KL ~ 1e-12 would read as noise).
    d = (vq - vp) / vp
    small = d.abs() < 1e-3
    series = d * d * (0.5 - d * (1 / 3 - d * (0.25 - d / 5)))
    g = torch.where(small, series, d - torch.log1p(torch.where(small, torch.zeros_like(d), d)))
    return float(0.5 * (g + (mq - mp) ** 2 / vp).sum())


__all__ = [
    "projections", "SlicedW2", "sliced_w2", "median_bandwidth", "MMD", "mmd2", "NoiseFloor", "noise_floor",
    "endpoint_rmse", "mode_flips", "mode_weights", "mode_weight_tv", "mode_moment_errors", "gaussian_kl",
]
