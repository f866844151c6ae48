"""Injected randomness. Sample i's noise depends only on (seed, i), never on its batch-mates.

``PerSampleNoise`` is a counter-based scheme: the noise of stream ``stream`` at step ``step`` for
sample index i comes from a generator seeded with hash(seed, stream, step, i // C), where C
depends only on the size of one sample. Any batch (any size, any order of indices) therefore
draws the same numbers for the same sample (bit for bit; a sampler's output then still differs across
batch sizes by the round-off of batched arithmetic, see ``sampler.sample``). ``BrownianNoise`` takes the predictor's increments
from one torchsde Brownian path, so runs at different step counts share the path.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from torch import Tensor

_MASK = (1 << 64) - 1


def _mix(*values: int) -> int:
    """splitmix64-style hash of integers into a 63-bit seed."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        h = (h ^ (v & _MASK)) & _MASK
        h = (h + 0x9E3779B97F4A7C15) & _MASK
        z = h
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        h = z ^ (z >> 31)
    return h & ((1 << 63) - 1)


#: stream ids
PRIOR, PREDICTOR, CORRECTOR = 0, 1, 2


class PerSampleNoise:
    """Standard normal noise keyed by (seed, stream, step, sample index).

    Args:
        seed: the run's seed.
        indices: global index of each row of the batch (default 0..B-1).
    """

    def __init__(self, seed: int = 0, indices: Optional[Sequence[int] | Tensor] = None):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an int, got {seed!r}")
        self.seed = seed
        self.indices = None if indices is None else torch.as_tensor(indices, dtype=torch.int64).flatten().cpu()
        if self.indices is not None and bool((self.indices < 0).any()):
            raise ValueError("indices must be >= 0")

    def __call__(self, like: Tensor, stream: int, step: int, t: float = 0.0, t_next: float = 0.0) -> Tensor:
        return self.randn(tuple(like.shape), stream, step, dtype=like.dtype, device=like.device)

    def randn(self, shape: Sequence[int], stream: int, step: int, *, dtype=None, device=None) -> Tensor:
        shape = tuple(shape)
        per = max(1, math.prod(shape[1:]))
        chunks, chunk, gather = self._plan(shape[0], per)
        device = device if isinstance(device, torch.device) else torch.device(device if device is not None else "cpu")
        dtype = dtype or torch.get_default_dtype()
        gens = self.__dict__.setdefault("_gens", {})  # one generator per device, re-seeded per chunk
        gen = gens.get(device)
        if gen is None:
            gen = gens[device] = torch.Generator(device=device)
        n_rows = sum(hi - lo for _, lo, hi in chunks)
        out = torch.empty((n_rows, per), device=device, dtype=dtype)
        row = 0
        for c, lo, hi in chunks:
            gen.manual_seed(_mix(self.seed, stream, step, c))
            if lo == 0 and hi == chunk:  # a whole chunk: draw straight into the output
                out[row:row + chunk].normal_(generator=gen)
            elif lo == 0 and _prefix_ok(device, dtype, hi * per, chunk * per):
                # the first rows of a chunk: draw only a 16-aligned prefix (the same numbers, see _prefix_ok)
                need = -(-hi * per // 16) * 16
                out[row:row + hi] = torch.randn(need, generator=gen, device=device, dtype=dtype)[:hi * per].view(hi, per)
            else:  # draw the whole chunk (same numbers), keep rows lo:hi
                out[row:row + hi - lo] = torch.randn((chunk, per), generator=gen, device=device, dtype=dtype)[lo:hi]
            row += hi - lo
        if gather is not None:
            out = out[gather.to(device)]
        return out.reshape(shape)

    def _plan(self, B: int, per: int):
        """Which chunks to draw, which rows of each to keep, and (for non-contiguous indices) a gather."""
        key = (B, per)
        cache = self.__dict__.setdefault("_plans", {})
        if key in cache:
            return cache[key]
        idx = torch.arange(B) if self.indices is None else self.indices
        if idx.numel() != B:
            raise ValueError(f"indices has {idx.numel()} entries but the batch has {B} samples")
        chunk = max(1, min(4096, (1 << 14) // per))
        if bool((idx[1:] - idx[:-1] == 1).all()):  # contiguous: slice chunk blocks, no gather
            first, last = int(idx[0]), int(idx[-1])
            chunks = [(c, (first - c * chunk) if c == first // chunk else 0,
                       (last - c * chunk + 1) if c == last // chunk else chunk)
                      for c in range(first // chunk, last // chunk + 1)]
            gather = None
        else:
            ids = idx // chunk
            uniq = torch.unique(ids)
            chunks = [(int(c), 0, chunk) for c in uniq.tolist()]
            gather = torch.searchsorted(uniq, ids) * chunk + idx % chunk
        cache[key] = (chunks, chunk, gather)
        return cache[key]


_PREFIX_OK: dict = {}


def _prefix_ok(device: torch.device, dtype: torch.dtype, n: int, total: int) -> bool:
    """Whether the first n of ``total`` normals can be drawn as a shorter 16-aligned draw.

    PyTorch's CPU normal_ (``normal_fill``) draws all uniforms first and maps them in blocks of 16
    by Box-Muller, so for a 16-aligned draw the first 16k numbers do not depend on its length. That
    is an implementation detail, so it is verified once per (device type, dtype) in this process
    against full draws; if it does not hold the caller draws the whole chunk as before.
    """
    if device.type != "cpu" or total % 16 or n < 16 or -(-n // 16) * 16 >= total:
        return False
    key = dtype
    ok = _PREFIX_OK.get(key)
    if ok is None:
        g = torch.Generator()
        ok = True
        for full, part in ((4096, 3616), (48, 32), (1024, 16)):
            a = torch.randn(full, generator=g.manual_seed(12345), dtype=dtype)
            b = torch.randn(part, generator=g.manual_seed(12345), dtype=dtype)
            ok = ok and torch.equal(a[:part], b)
        _PREFIX_OK[key] = ok
    return ok


class BatchNoise:
    """One generator for the whole batch, advanced draw by draw: the fastest source, but a sample
    then depends on the batch it was drawn in (use only where that does not matter)."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._gen: dict = {}

    def __call__(self, like: Tensor, stream: int, step: int, t: float = 0.0, t_next: float = 0.0) -> Tensor:
        gen = self._gen.get(like.device)
        if gen is None:
            gen = self._gen[like.device] = torch.Generator(device=like.device).manual_seed(self.seed)
        return torch.randn(like.shape, generator=gen, device=like.device, dtype=like.dtype)


class BrownianNoise:
    """Predictor noise from one Brownian path W on [0, T] (torchsde.BrownianInterval).

    The predictor's standard normal on the interval [t_next, t] is (W(t) - W(t_next)) / sqrt(t - t_next),
    so grids with different step counts see increments of the same path. Prior and corrector
    noise come from ``PerSampleNoise``. The path is drawn for the whole batch jointly, so with this
    source a sample does depend on the batch it was drawn in.
    """

    def __init__(self, seed: int = 0, T: float = 1.0, tol: float = 1e-6):
        self.seed, self.T, self.tol = seed, float(T), tol
        self._fallback = PerSampleNoise(seed)
        self._bm = None

    def __call__(self, like: Tensor, stream: int, step: int, t: float = 0.0, t_next: float = 0.0) -> Tensor:
        if stream != PREDICTOR:
            return self._fallback(like, stream, step)
        import torchsde

        B = like.shape[0]
        per = like[0].numel()
        if self._bm is None or self._bm_shape != (B, per) or self._bm_dtype != like.dtype:
            self._bm = torchsde.BrownianInterval(
                t0=0.0, t1=self.T, size=(B, per), dtype=like.dtype, device=like.device,
                entropy=self.seed, tol=self.tol, levy_area_approximation="none", halfway_tree=True,
            )
            self._bm_shape, self._bm_dtype = (B, per), like.dtype
        lo, hi = min(t, t_next), max(t, t_next)
        dw = self._bm(lo, hi)
        return (dw / math.sqrt(hi - lo)).reshape(like.shape)


__all__ = ["PerSampleNoise", "BatchNoise", "BrownianNoise", "PRIOR", "PREDICTOR", "CORRECTOR"]
