"""Continuous-time denoising score matching (Song et al. 2021, Eq. 7; Vincent 2011):

    L(theta) = E_{t ~ U(eps, T)} E_{x_0} E_{z ~ N(0, I)} [ lambda(t) || s_theta(x_t, t) + z / s(t) ||^2 ],
    x_t = m(t) x_0 + s(t) z,

since grad log p_{0t}(x_t | x_0) = -z / s(t). With eps_theta = -s(t) s_theta (:mod:`scoresde.params`)
this is  E[ lambda(t)/s(t)^2 || eps_theta(x_t, t) - z ||^2 ], for any network parameterisation.

Weightings lambda(t):
* ``"eps"``: lambda = s(t)^2, so the weight on the eps-error is 1: Ho et al. 2020's L_simple
  (Eq. 14) in continuous time; at the discrete twin's times it *is* L_simple (for the VP twin) and
  the SMLD objective with lambda(sigma) = sigma^2 (Song & Ermon 2019, Eq. 5-6; for the VE twin).
* ``"likelihood"``: lambda = g(t)^2 (Song, Durkan, Murray & Ermon 2021, Theorem 1: the weighted loss
  bounds the negative log-likelihood). The eps-weight is g^2/s^2 = d log sigma(t)^2 / dt, where
  sigma = s/m is the noise level (because g^2 = m^2 d sigma^2/dt for a linear SDE).

The squared error is averaged (``reduce="mean"``) or summed (``"sum"``, as in Song et al.'s code)
over data dimensions; the result is one loss per sample.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor

from .._util import expand_like
from ..params import to_eps
from ..sde.base import LinearSDE

WEIGHTINGS = ("eps", "likelihood")


def eps_weight(sde: LinearSDE, t: Tensor, weighting: str) -> Tensor:
    """lambda(t)/s(t)^2, the weight on ||eps_theta - z||^2 (float64 in, float64 out)."""
    if weighting == "eps":
        return torch.ones_like(t)
    if weighting == "likelihood":
        return sde.diffusion_sq(t) / sde.marginal_var(t)
    raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")


def sample_time(sde: LinearSDE, n: int, generator: Optional[torch.Generator] = None, *, device=None) -> Tensor:
    """t ~ U(eps, T), float64, shape (n,)."""
    u = torch.rand(n, generator=generator, dtype=torch.float64, device=device)
    return sde.eps + (sde.T - sde.eps) * u


def perturb(sde: LinearSDE, x0: Tensor, t: Tensor, z: Tensor) -> Tensor:
    """x_t = m(t) x_0 + s(t) z (Song et al. 2021, Eq. 29/33), coefficients computed in float64."""
    m = torch.exp(sde.log_mean_coeff(t)).to(x0.dtype)
    s = torch.sqrt(sde.marginal_var(t)).to(x0.dtype)
    return expand_like(m, x0) * x0 + expand_like(s, x0) * z


def dsm_loss(
    net: Callable[[Tensor, Tensor], Tensor],
    sde: LinearSDE,
    x0: Tensor,
    *,
    kind: str = "eps",
    weighting: str = "eps",
    reduce: str = "mean",
    t: Optional[Tensor] = None,
    z: Optional[Tensor] = None,
    generator: Optional[torch.Generator] = None,
) -> Tensor:
    """Per-sample denoising score matching loss (B,) (see the module docstring).

    Args:
        net: net(x_t, t) predicting ``kind`` ("eps", "score", "x0" or "v"); t has shape (B,).
        x0: a batch of data (B, ...).
        t, z: times (B,) and noise (like x0); drawn from ``generator`` when omitted
            (t ~ U(eps, T), z ~ N(0, I)).
    """
    if reduce not in ("mean", "sum"):
        raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
    B = x0.shape[0]
    if t is None:
        t = sample_time(sde, B, generator, device=x0.device)
    # the network sees t in x0's dtype; round t to it first so that every coefficient uses the same t
    t_x = t.to(device=x0.device, dtype=x0.dtype)
    t = t_x.to(torch.float64)
    if z is None:
        z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
    x_t = perturb(sde, x0, t, z)
    pred = net(x_t, t_x)
    pred = pred.to(x0.dtype)
    eps_hat = pred if kind == "eps" else to_eps(pred, kind, x_t, t_x, sde)
    err = (eps_hat - z).reshape(B, -1).square()
    per = err.mean(1) if reduce == "mean" else err.sum(1)
    return eps_weight(sde, t, weighting).to(per.dtype) * per


__all__ = ["dsm_loss", "eps_weight", "sample_time", "perturb", "WEIGHTINGS"]
