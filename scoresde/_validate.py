"""Checks of the sampling API's arguments (issue 17: "nothing silent"): batch shapes, dtypes,
devices, the score function's output, and whether a reduced-precision dtype can hold an SDE's scales.

Each raises ``ValueError`` naming the argument as the caller wrote it, before any work.
"""
from __future__ import annotations

import math
import operator
from typing import Sequence

import torch
from torch import Tensor

#: dtypes a sampler state may have
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
#: the most elements one batch may hold (8 GiB of float32): a larger request is almost always a typo
MAX_ELEMENTS = 2**31


def check_shape(shape, name: str = "shape") -> tuple:
    """``shape`` as a tuple of positive Python ints (B, ...); rejects 4.7, True, 0 and huge batches."""
    if isinstance(shape, (int, torch.SymInt)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        items = list(shape)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers (B, ...), got {shape!r}") from None
    out = []
    for s in items:
        if isinstance(s, bool):
            raise ValueError(f"{name} must hold positive integers, got {s!r} in {tuple(items)}")
        try:
            out.append(operator.index(s))  # ints and integer tensors; 4.7 and 4.0 are refused, not truncated
        except TypeError:
            raise ValueError(f"{name} must hold positive integers, got {s!r} in {tuple(items)}") from None
    if not out or any(s < 1 for s in out):
        raise ValueError(f"{name} must be (B, ...) with positive sizes, got {tuple(out)}")
    if math.prod(out) > MAX_ELEMENTS:
        raise ValueError(f"{name} {tuple(out)} has {math.prod(out):_} elements; at most {MAX_ELEMENTS:_} per batch "
                         f"(split the work into batches)")
    return tuple(out)


def check_dtype(dtype, name: str = "dtype") -> torch.dtype:
    """A floating dtype a sampler can run in (integer, complex and bool states are refused)."""
    if not isinstance(dtype, torch.dtype) or dtype not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be one of torch.float16, torch.bfloat16, torch.float32, torch.float64; got {dtype!r}")
    return dtype


def check_device(device, name: str = "device") -> torch.device:
    """A usable torch.device: parses strings, refuses 'meta' (no values) and unavailable CUDA devices."""
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name}: not a device: {device!r} (use 'cpu', 'cuda' or 'cuda:N')") from None
    if dev.type == "meta":
        raise ValueError(f"{name}: 'meta' tensors hold no values; sampling needs a real device such as 'cpu' or 'cuda'")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name}: {str(dev)!r} requested but CUDA is not available")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}: {str(dev)!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    return dev


def check_score_output(out, x: Tensor, name: str = "score_fn") -> None:
    """The score must be a tensor of x's shape, dtype and device (no silent broadcasting or promotion)."""
    if not isinstance(out, Tensor):
        raise ValueError(f"{name} must return a tensor of shape {tuple(x.shape)}, got {type(out).__name__}")
    if tuple(out.shape) != tuple(x.shape):
        raise ValueError(f"{name} returned shape {tuple(out.shape)} for x of shape {tuple(x.shape)}; "
                         f"the score must have the shape of x (no broadcasting)")
    if out.dtype != x.dtype:
        raise ValueError(f"{name} returned dtype {out.dtype} for x of dtype {x.dtype}; return the dtype of x "
                         f"(or sample with dtype={out.dtype})")
    if out.device != x.device:
        raise ValueError(f"{name} returned a tensor on {out.device} for x on {x.device}")


def check_dtype_range(sde, grid: Tensor, dtype: torch.dtype, name: str = "dtype") -> None:
    """Refuse a reduced-precision dtype that cannot hold the SDE's variances on this grid.

    The steps multiply the state by s(t)^2, g(t)^2 |dt|, sigma(t) = s/m and 1/m; if one of them exceeds
    the dtype's largest value the step overflows (float16 holds at most 65504: a VE with sigma_max = 300
    has s(T)^2 = 9e4).
    """
    if dtype not in (torch.float16, torch.bfloat16):
        return
    g = torch.as_tensor(grid, dtype=torch.float64)
    t = g[g > 0]
    s2 = sde.marginal_var(t)
    logm = sde.log_mean_coeff(t)
    sig = torch.exp(0.5 * torch.log(s2) - logm)
    g2dt = sde.diffusion_sq(g[:-1]) * (g[:-1] - g[1:])
    big = max(float(s2.max()), float(sig.max()), float(torch.exp(-logm).max()), float(g2dt.max()),
              float(sde.prior_std) ** 2)
    limit = torch.finfo(dtype).max
    if not big <= limit:
        raise ValueError(f"{name}: {dtype} cannot hold this SDE's variances on this grid (largest of s(t)^2, "
                         f"g(t)^2 dt, sigma(t), 1/m(t) is {big:.3g} > {limit:.6g}); sample in torch.float32 or torch.float64")


__all__ = ["check_shape", "check_dtype", "check_device", "check_score_output", "check_dtype_range",
           "FLOAT_DTYPES", "MAX_ELEMENTS"]
