"""Exact ground truth: a Gaussian mixture pushed through any linear SDE.

If x_0 ~ sum_k w_k N(mu_k, diag(c_k^2)) and x_t = m(t) x_0 + s(t) z, then
x_t ~ sum_k w_k N(m mu_k, diag(m^2 c_k^2 + s^2))  (Gaussian convolution; e.g. Bishop 2006,
Eq. 2.115), so log p_t, the score grad log p_t and samples of x_t are available in closed form
at every t. This is what every sampler error in the package is measured against.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from torch import Tensor

from ._util import TimeLike, as_time, check_time, expand_like
from .sde.base import LinearSDE


#: admissible magnitudes of stds (and |means|): their squares stay finite and nonzero in float64
VALUE_RANGE = (1e-150, 1e150)


class GaussianMixture:
    """sum_k w_k N(mu_k, diag(std_k^2)) on R^D (optionally reshaped to ``event_shape``).

    Args:
        weights: (K,) positive, summing to 1.
        means: (K, D).
        stds: (K,) isotropic or (K, D) diagonal standard deviations, all > 0.
        event_shape: shape of one sample (default (D,)); e.g. (1, 8, 8) for image-shaped data.
    """

    def __init__(self, weights, means, stds, event_shape: Optional[Sequence[int]] = None):
        w = torch.as_tensor(weights, dtype=torch.float64).flatten()
        mu = torch.as_tensor(means, dtype=torch.float64)
        sd = torch.as_tensor(stds, dtype=torch.float64)
        if mu.ndim != 2:
            raise ValueError(f"means must have shape (K, D), got {tuple(mu.shape)}")
        K, D = mu.shape
        if w.shape != (K,):
            raise ValueError(f"weights must have shape ({K},) to match means, got {tuple(w.shape)}")
        if not bool(torch.isfinite(w).all()) or bool((w <= 0).any()):
            raise ValueError("weights must be finite and > 0")
        if abs(float(w.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, got {float(w.sum()):.8g}")
        if not bool(torch.isfinite(mu).all()) or float(mu.abs().max()) > VALUE_RANGE[1]:
            raise ValueError(f"means must be finite with |mean| <= {VALUE_RANGE[1]:g}")
        if sd.ndim == 1 and sd.shape == (K,):
            sd = sd[:, None].expand(K, D)
        if sd.shape != (K, D):
            raise ValueError(f"stds must have shape ({K},) or ({K}, {D}), got {tuple(sd.shape)}")
        if not bool(torch.isfinite(sd).all()) or bool((sd < VALUE_RANGE[0]).any()) or bool((sd > VALUE_RANGE[1]).any()):
            raise ValueError(f"stds must be finite and in [{VALUE_RANGE[0]:g}, {VALUE_RANGE[1]:g}] (> 0)")
        self.weights, self.means, self.stds = w / w.sum(), mu, sd.contiguous()
        self.event_shape = tuple(event_shape) if event_shape is not None else (D,)
        if math.prod(self.event_shape) != D:
            raise ValueError(f"event_shape {self.event_shape} does not hold D = {D} values")

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    def mean(self) -> Tensor:
        """E[x_0] (D,), float64."""
        return self.weights @ self.means

    def covariance(self) -> Tensor:
        """Cov[x_0] (D, D), float64 (law of total covariance)."""
        mu = self.mean()
        diff = self.means - mu
        within = torch.diag((self.weights[:, None] * self.stds**2).sum(0))
        return within + (self.weights[:, None] * diff).T @ diff

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, generator: Optional[torch.Generator] = None, *, dtype=torch.float64, device=None,
               return_components: bool = False):
        """n exact samples of x_0, shaped (n, *event_shape)."""
        return self.sample_t(None, None, n, generator, dtype=dtype, device=device, return_components=return_components)

    def sample_t(self, sde: Optional[LinearSDE], t: Optional[TimeLike], n: int,
                 generator: Optional[torch.Generator] = None, *, dtype=torch.float64, device=None,
                 return_components: bool = False):
        """n exact samples of x_t under ``sde`` (x_0 when sde is None), shaped (n, *event_shape)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        gen_dev = generator.device if generator is not None else "cpu"
        k = torch.multinomial(self.weights.to(gen_dev), n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, generator=generator, dtype=torch.float64, device=gen_dev)
        k_cpu = k.cpu()
        x = self.means[k_cpu].to(gen_dev) + self.stds[k_cpu].to(gen_dev) * z
        if sde is not None:
            check_time(t, sde.T)
            tt = as_time(t, dtype=torch.float64)
            z2 = torch.randn(n, self.dim, generator=generator, dtype=torch.float64, device=gen_dev)
            m, s = torch.exp(sde.log_mean_coeff(tt)), torch.sqrt(sde.marginal_var(tt))
            x = m * x + s * z2
        x = x.to(dtype=dtype, device=device or gen_dev).reshape((n,) + self.event_shape)
        return (x, k_cpu) if return_components else x

    # ------------------------------------------------------------------ densities
    def _diffused(self, x: Tensor, m: Tensor, s: Tensor):
        """Per-sample component means (B,K,D) broadcast and variances for p_t."""
        mu = self.means.to(x)
        c2 = (self.stds**2).to(x)
        m = m.reshape(-1, 1, 1)
        var = m * m * c2 + (s * s).reshape(-1, 1, 1)  # (B or 1, K, D)
        return m * mu, var

    def _flat(self, x: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.event_shape:
            raise ValueError(f"x must have shape (B, {', '.join(map(str, self.event_shape))}), got {tuple(x.shape)}")
        return x.reshape(x.shape[0], self.dim)

    def _ms(self, sde: Optional[LinearSDE], t: Optional[TimeLike], x: Tensor):
        if sde is None:
            one = torch.ones((), dtype=x.dtype, device=x.device)
            return one, torch.zeros_like(one)
        check_time(t, sde.T)
        tt = as_time(t, x)
        return torch.exp(sde.log_mean_coeff(tt)), torch.sqrt(sde.marginal_var(tt))

    def _log_joint(self, xf: Tensor, m: Tensor, s: Tensor):
        mean, var = self._diffused(xf, m, s)
        diff = xf[:, None, :] - mean  # (B, K, D)
        logn = -0.5 * ((diff * diff) / var + torch.log(2 * math.pi * var)).sum(-1)
        return logn + torch.log(self.weights.to(xf)), diff, var

    def log_prob(self, x: Tensor, sde: Optional[LinearSDE] = None, t: Optional[TimeLike] = None) -> Tensor:
        """log p_t(x) (B,) under ``sde`` at time t (log p_0 when sde is None)."""
        xf = self._flat(x)
        m, s = self._ms(sde, t, x)
        lj, _, _ = self._log_joint(xf, m, s)
        return torch.logsumexp(lj, dim=1)

    def score(self, x: Tensor, sde: Optional[LinearSDE] = None, t: Optional[TimeLike] = None) -> Tensor:
        """grad_x log p_t(x) = sum_k r_k(x) (m mu_k - x) / var_k, same shape as x."""
        xf = self._flat(x)
        m, s = self._ms(sde, t, x)
        lj, diff, var = self._log_joint(xf, m, s)
        r = torch.softmax(lj, dim=1)[:, :, None]  # responsibilities (B, K, 1)
        # a component with r = 0 (underflow far from x) contributes 0, even where diff/var overflows
        g = -torch.where(r > 0, r * diff / var, torch.zeros_like(diff)).sum(1)
        return g.reshape(x.shape)

    def responsibilities(self, x: Tensor, sde: Optional[LinearSDE] = None, t: Optional[TimeLike] = None) -> Tensor:
        """Posterior component probabilities p(k | x_t) (B, K)."""
        xf = self._flat(x)
        m, s = self._ms(sde, t, x)
        lj, _, _ = self._log_joint(xf, m, s)
        return torch.softmax(lj, dim=1)

    def component_of(self, x: Tensor) -> Tensor:
        """Most probable mixture component of each x_0 (B,) (used to count mode flips)."""
        return self.responsibilities(x).argmax(dim=1)

    def score_fn(self, sde: LinearSDE) -> "ExactScore":
        """The exact score of p_t under ``sde`` as a callable score(x, t)."""
        return ExactScore(self, sde)


class ExactScore:
    """score(x, t) = grad log p_t(x) of a Gaussian mixture under a linear SDE (no network).

    Same value as :meth:`GaussianMixture.score`, the reference (tested to 1e-10); for a batch that
    shares one time t (what the samplers pass) the per-component constants are computed once per
    t and the log-densities come from two matrix products:
        log N_k(x) = -1/2 sum_d x_d^2/v_kd + sum_d x_d mu_kd/v_kd + c_k,
        score(x)   = sum_k r_k(x) (mu_k - x)/v_k  with responsibilities r = softmax_k(log w_k + log N_k).
    Exponents below -60 are clamped before exp (their weight < 1e-26): denormal floats make exp and
    matrix products ~50x slower on CPUs, and torch.softmax over a short last dimension is slow too.
    Batches with mixed times fall back to :meth:`GaussianMixture.score`.
    """

    def __init__(self, mixture: GaussianMixture, sde: LinearSDE):
        self.mixture, self.sde = mixture, sde
        self._cache: dict = {}

    def _consts(self, t: float, dtype, device):
        key = (t, dtype, device)
        c = self._cache.get(key)
        if c is None:
            mix = self.mixture
            tt = torch.tensor(t, dtype=torch.float64)
            m = torch.exp(self.sde.log_mean_coeff(tt))
            mu = m * mix.means
            var = m * m * mix.stds ** 2 + self.sde.marginal_var(tt)
            iv = 1.0 / var
            a = -0.5 * iv
            b = mu * iv
            c0 = torch.log(mix.weights) - 0.5 * (mu * mu * iv + torch.log(2 * math.pi * var)).sum(1)
            c = tuple(v.to(dtype=dtype, device=device).contiguous() for v in (a, b, c0[:, None], iv.T, b.T))
            if len(self._cache) > 8192:
                self._cache.clear()
            self._cache[key] = c
        return c

    def __call__(self, x: Tensor, t) -> Tensor:
        t = torch.as_tensor(t)
        t0 = t.reshape(-1)[0] if t.numel() else t
        if t.numel() > 1 and bool((t != t0).any()):
            return self.mixture.score(x, self.sde, t)
        a, b, c0, ivT, bT = self._consts(float(t0), x.dtype, x.device)
        xf = self.mixture._flat(x).T  # (D, B); checks x's shape like the reference does
        logit = torch.addmm(torch.addmm(c0, a, xf * xf), b, xf)  # (K, B)
        logit = logit - logit.amax(0)
        e = torch.exp(logit.clamp_(min=-60.0))
        r = e / e.sum(0)
        return (bT @ r - xf * (ivT @ r)).T.reshape(x.shape)


def gaussian(mean: Sequence[float], std: Sequence[float]) -> GaussianMixture:
    """A single diagonal Gaussian N(mean, diag(std^2)) as a one-component mixture."""
    mean_t = torch.as_tensor(mean, dtype=torch.float64).flatten()
    return GaussianMixture([1.0], mean_t[None], torch.as_tensor(std, dtype=torch.float64).reshape(1, -1).expand(1, mean_t.numel()))


__all__ = ["GaussianMixture", "ExactScore", "gaussian", "expand_like"]
