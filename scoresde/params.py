"""Score parameterisations, converted in one place through the SDE's (m, s).

With x_t = m x_0 + s eps (m = m(t), s = s(t)):

* score  = grad log p_t(x)            = -eps / s              (Song et al. 2021, Eq. 7; Vincent 2011)
* eps    (noise prediction, Ho et al. 2020, Eq. 11)
* x0     = E[x_0 | x_t] = (x + s^2 score) / m                 (Tweedie's formula; Efron 2011, Eq. 2.8)
* v      = m eps - s x0                                         (Salimans & Ho 2022, Sec. 4; for VP, m^2 + s^2 = 1)

Inverses: eps = (m v + s x)/(m^2 + s^2), x0 = (m x - s v)/(m^2 + s^2).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ._util import TimeLike, as_time, check_time, expand_like
from .sde.base import LinearSDE

KINDS = ("score", "eps", "x0", "v")


def _ms(sde: LinearSDE, x: Tensor, t: TimeLike):
    check_time(t, sde.T)
    tt = as_time(t, x)
    return expand_like(torch.exp(sde.log_mean_coeff(tt)), x), expand_like(torch.sqrt(sde.marginal_var(tt)), x)


def to_eps(pred: Tensor, kind: str, x: Tensor, t: TimeLike, sde: LinearSDE) -> Tensor:
    """Convert a prediction of ``kind`` into the noise prediction eps."""
    m, s = _ms(sde, x, t)
    if kind == "eps":
        return pred
    if kind == "score":
        return -s * pred
    if kind == "x0":
        return (x - m * pred) / s
    if kind == "v":
        return (m * pred + s * x) / (m * m + s * s)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def from_eps(eps: Tensor, kind: str, x: Tensor, t: TimeLike, sde: LinearSDE) -> Tensor:
    """Convert a noise prediction eps into a prediction of ``kind``."""
    m, s = _ms(sde, x, t)
    if kind == "eps":
        return eps
    if kind == "score":
        return -eps / s
    if kind == "x0":
        return (x - s * eps) / m
    if kind == "v":
        return m * eps - s * (x - s * eps) / m
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def convert(pred: Tensor, from_kind: str, to_kind: str, x: Tensor, t: TimeLike, sde: LinearSDE) -> Tensor:
    """Convert between score, eps, x0 and v predictions at (x, t)."""
    if from_kind not in KINDS:
        raise ValueError(f"from_kind must be one of {KINDS}, got {from_kind!r}")
    if to_kind not in KINDS:
        raise ValueError(f"to_kind must be one of {KINDS}, got {to_kind!r}")
    if from_kind == to_kind:
        return pred
    if from_kind == "score" and to_kind == "x0":  # Tweedie, without the eps round trip
        m, s = _ms(sde, x, t)
        return (x + s * s * pred) / m
    return from_eps(to_eps(pred, from_kind, x, t, sde), to_kind, x, t, sde)


def tweedie(x: Tensor, score: Tensor, t: TimeLike, sde: LinearSDE) -> Tensor:
    """E[x_0 | x_t] = (x_t + s(t)^2 score) / m(t) (Tweedie's formula)."""
    return convert(score, "score", "x0", x, t, sde)


class ScoreModel:
    """Turn a network predicting ``kind`` into score_fn(x, t) and count its evaluations.

    ``net(x, t)`` receives t as a per-sample tensor of shape (B,). ``nfe`` counts calls of
    this wrapper (one call = one network evaluation for the whole batch).
    """

    def __init__(self, net: Callable[[Tensor, Tensor], Tensor], sde: LinearSDE, kind: str = "score"):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.net, self.sde, self.kind = net, sde, kind
        self.nfe = 0

    def __call__(self, x: Tensor, t: TimeLike) -> Tensor:
        self.nfe += 1
        tt = as_time(t, x)
        if tt.ndim == 0:
            tt = tt.expand(x.shape[0])
        pred = self.net(x, tt)
        return convert(pred, self.kind, "score", x, tt, self.sde)


class CountingScore:
    """Wrap any score_fn(x, t) and count its calls in ``nfe``."""

    def __init__(self, score_fn: Callable[[Tensor, Tensor], Tensor]):
        self.score_fn = score_fn
        self.nfe = 0

    def __call__(self, x: Tensor, t: TimeLike) -> Tensor:
        self.nfe += 1
        return self.score_fn(x, t)


__all__ = ["KINDS", "convert", "to_eps", "from_eps", "tweedie", "ScoreModel", "CountingScore"]
