"""Small shared helpers: rank-agnostic broadcasting, time handling and argument validation.

Every formula in the package multiplies a per-sample coefficient (shape ``()`` or ``(B,)``) with a
state of any rank ``(B, ...)``. :func:`expand_like` is the one place where that broadcasting
happens, so no module writes ``[:, None, None, None]``.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Union

import torch
from torch import Tensor

TimeLike = Union[float, Tensor]


def expand_like(c: Tensor, x: Tensor) -> Tensor:
    """Append trailing singleton dims to a per-sample coefficient so it broadcasts against ``x``.

    ``c`` has shape ``()`` or ``(B,)`` (or any prefix of ``x.shape``); the result has ``x.ndim``
    dimensions. This is k-diffusion's ``append_dims`` idea, used everywhere instead of
    rank-specific indexing.
    """
    if c.ndim > x.ndim:
        raise ValueError(f"coefficient of shape {tuple(c.shape)} has more dims than x {tuple(x.shape)}")
    return c.reshape(tuple(c.shape) + (1,) * (x.ndim - c.ndim))


def as_time(t: TimeLike, x: Tensor | None = None, *, dtype=None, device=None) -> Tensor:
    """Turn ``t`` (a float or a tensor of shape ``()``/``(B,)``) into a tensor.

    With ``x``: on x's device and dtype. Without ``x`` (and no explicit ``dtype``/``device``), a
    floating tensor ``t`` keeps its own dtype and device; a Python float gets the default dtype.
    """
    if x is not None:
        dtype = dtype or (x.dtype if x.is_floating_point() else torch.get_default_dtype())
        device = device or x.device
    elif isinstance(t, Tensor) and t.is_floating_point():
        dtype = dtype or t.dtype
        device = device or t.device
    return torch.as_tensor(t, dtype=dtype or torch.get_default_dtype(), device=device)


def sum_except_batch(x: Tensor) -> Tensor:
    """Sum over every dimension but the first."""
    return x.reshape(x.shape[0], -1).sum(dim=1)


def check_finite_number(name: str, value) -> float:
    """Return ``value`` as float, or raise ``ValueError`` naming ``name`` if it is not a finite real."""
    if isinstance(value, bool) or not isinstance(value, (Real, Tensor)):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(name: str, value) -> float:
    v = check_finite_number(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {v}")
    return v


def check_nonnegative(name: str, value) -> float:
    v = check_finite_number(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v}")
    return v


def check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        isinstance(value, float) and value.is_integer()
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    return v


def check_time(t: TimeLike, T: float, name: str = "t", lower: float = 0.0) -> None:
    """Raise ``ValueError`` if any entry of ``t`` is non-finite or outside ``[lower, T]``."""
    if isinstance(t, Tensor):
        if t.numel() == 0:
            return
        tt = t.detach()
        if not bool(torch.isfinite(tt).all()):
            raise ValueError(f"{name} must be finite")
        lo, hi = float(tt.min()), float(tt.max())
    else:
        lo = hi = check_finite_number(name, t)
    # A relative slack of a few ulps accepts grids that were built in float32.
    slack = 1e-6 * max(1.0, abs(T))
    if lo < lower - slack or hi > T + slack:
        raise ValueError(f"{name} must lie in [{lower:g}, {T:g}], got values in [{lo:g}, {hi:g}]")


def finite_or_raise(x: Tensor, what: str) -> None:
    """Raise ``FloatingPointError`` with ``what`` (step, time, sampler) if ``x`` has NaN/inf."""
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise FloatingPointError(f"non-finite value ({bad} entries) {what}")
