"""Exact moment propagation: the output mean and variance of a sampler on Gaussian data.

When the data are N(mu, diag(c^2)) the exact score is affine in x, so every step that is affine
in (x, noise) maps a Gaussian to a Gaussian. Running the sampler's own loop on a few probe rows
gives the exact output law with no sampling noise:

* deterministic samplers (any number of steps, multistep included): x_out = A x_T + c, so two
  probe rows x_T = mu_T and mu_T + 1 give c and A, and var_out = A^2 var_T;
* stochastic single-step samplers: after every interval the rows are reset to
  (mu_i, mu_i + 1, mu_i + 2, mu_i, ...), and the noise source sets draw k to 1 in row 3 + k only,
  so mu_{i+1} = row_0, A_i = row_1 - row_0, C_{i,k} = row_{3+k} - row_0 and
  var_{i+1} = A_i^2 var_i + sum_k C_{i,k}^2.
* stochastic multistep samplers (whose history carries earlier noise) and steps that draw noise
  several times per interval (``joint_noise``): the output is x_out = c + A x_T + sum_k C_k z_k over
  every draw k of the run; a first pass counts the draws, a second runs rows mu_T, mu_T + 1, mu_T + 2
  and one row per draw with that draw set to 1 (all others 0), so var_out = A^2 var_T + sum_k C_k^2.
The third row checks that the step really is affine (otherwise ValueError).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .analytic import GaussianMixture
from .noise import CORRECTOR, PREDICTOR
from .sampler import sample
from .sde.base import LinearSDE
from .solvers.base import Step


def propagate_gaussian(
    sde: LinearSDE,
    data: GaussianMixture,
    predictor: Step,
    corrector: Optional[Step] = None,
    grid: Optional[Tensor] = None,
    *,
    start: str = "exact",
    denoise: bool = False,
) -> tuple[Tensor, Tensor]:
    """Exact (mean, variance) per coordinate of the sampler's output on Gaussian ``data``.

    Args:
        data: a one-component GaussianMixture (diagonal Gaussian).
        start: "exact" starts from the exact p_T (isolates discretisation error), "prior" from
            N(0, prior_std^2).
    Returns float64 tensors of shape (D,).
    """
    if data.n_components != 1:
        raise ValueError("data must be a single Gaussian (a one-component mixture)")
    for step in (predictor, corrector):
        if step is not None and not step.affine:
            raise ValueError(f"{step.name} is not affine in x when the score is linear: no exact moments")
    if start not in ("exact", "prior"):
        raise ValueError(f"start must be 'exact' or 'prior', got {start!r}")
    D = data.dim
    T = torch.tensor(sde.T, dtype=torch.float64)
    if start == "exact":
        m, s2 = torch.exp(sde.log_mean_coeff(T)), sde.marginal_var(T)
        mu = m * data.means[0]
        var = m * m * data.stds[0] ** 2 + s2
    else:
        mu = torch.zeros(D, dtype=torch.float64)
        var = torch.full((D,), sde.prior_std**2, dtype=torch.float64)
    score = data.score_fn(sde)
    shape = (-1,) + data.event_shape
    stochastic = predictor.stochastic or (corrector is not None and corrector.stochastic)

    if not stochastic:
        x_T = torch.stack([mu, mu + 1, mu + 2]).reshape(shape)
        out = sample(sde, score, x_T.shape, predictor=predictor, corrector=corrector, grid=grid,
                     x_T=x_T, dtype=torch.float64, denoise=denoise).x.reshape(3, D)
        a = out[1] - out[0]
        _check_affine(out, predictor)
        return out[0], a * a * var

    if predictor.multistep or getattr(predictor, "joint_noise", False):
        return _propagate_joint(sde, score, shape, D, predictor, corrector, grid, mu, var, denoise)

    k_corr = getattr(corrector, "n_steps", 1) if corrector is not None else 0
    R = 3 + 1 + k_corr
    state = {"mu": mu, "var": var}

    def rows(mu_i: Tensor) -> Tensor:
        x = mu_i.expand(R, D).clone()
        x[1] += 1
        x[2] += 2
        return x.reshape(shape)

    def noise(like: Tensor, stream: int, step: int, t: float = 0.0, t_next: float = 0.0) -> Tensor:
        k = 0 if stream == PREDICTOR else 1 + (stream - CORRECTOR)
        z = torch.zeros_like(like)
        z.reshape(R, D)[3 + k] = 1.0
        return z

    def update(x: Tensor) -> None:
        out = x.reshape(R, D)
        _check_affine(out, predictor)
        a = out[1] - out[0]
        c = out[3:] - out[0]
        state["mu"] = out[0].clone()
        state["var"] = a * a * state["var"] + (c * c).sum(0)
        x.copy_(rows(state["mu"]))

    def callback(i: int, t_next: float, x: Tensor, x_mean: Tensor) -> None:
        update(x)

    x_T = rows(mu)
    res = sample(sde, score, x_T.shape, predictor=predictor, corrector=corrector, grid=grid, x_T=x_T,
                 noise=noise, dtype=torch.float64, callback=callback, denoise=denoise)
    if denoise:
        update(res.x)
    return state["mu"], state["var"]


def _propagate_joint(sde, score, shape, D, predictor, corrector, grid, mu, var, denoise):
    keys: dict = {}

    def count(like: Tensor, stream: int, step: int, t: float = 0.0, t_next: float = 0.0) -> Tensor:
        keys.setdefault((stream, step), len(keys))
        return torch.zeros_like(like)

    probe = torch.stack([mu, mu + 1, mu + 2]).reshape(shape)
    sample(sde, score, probe.shape, predictor=predictor, corrector=corrector, grid=grid, x_T=probe, noise=count,
           dtype=torch.float64, denoise=denoise)
    R = 3 + len(keys)

    def noise(like: Tensor, stream: int, step: int, t: float = 0.0, t_next: float = 0.0) -> Tensor:
        z = torch.zeros_like(like)
        z.reshape(R, D)[3 + keys[(stream, step)]] = 1.0
        return z

    x_T = mu.expand(R, D).clone()
    x_T[1] += 1
    x_T[2] += 2
    out = sample(sde, score, (R,) + tuple(shape[1:]), predictor=predictor, corrector=corrector, grid=grid,
                 x_T=x_T.reshape(shape), noise=noise, dtype=torch.float64, denoise=denoise).x.reshape(R, D)
    _check_affine(out, predictor)
    a = out[1] - out[0]
    c = out[3:] - out[0]
    return out[0], a * a * var + (c * c).sum(0)


def _check_affine(out: Tensor, step: Step) -> None:
    lin = (out[2] - out[1]) - (out[1] - out[0])
    scale = 1e-9 * (1 + out[:3].abs().max())
    if bool((lin.abs() > scale).any()):
        raise ValueError(f"{step.name}: output is not affine in x_T (second difference {float(lin.abs().max()):.3g})")


__all__ = ["propagate_gaussian"]
