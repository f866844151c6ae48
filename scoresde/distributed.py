"""Sampling (and anything indexed by sample) sharded over processes under ``torchrun``.

Sample i's noise depends only on (seed, i) (:mod:`scoresde.noise`), so the N samples of a run can be
split into contiguous blocks of indices, one per process, and gathered afterwards: W processes
draw bit-identical noise to one process, and their outputs agree with a one-process run up to the
round-off of batched arithmetic (different batch shapes sum in a different order; about 1e-6
relative in float32).

    torchrun --nproc_per_node=K -m scoresde sample --run R --n 10000 --out S   # one samples.npz, from rank 0

Launched without torchrun (no WORLD_SIZE), everything is a single process and nothing is initialised.
Backend: NCCL when the device is CUDA (every process on ``cuda:LOCAL_RANK``), gloo on CPU.

For any per-sample computation: ``map_indices(fn, n, world)`` calls ``fn(range)`` on this process's
block, returning rows, and gathers the rows of all processes in index order. ``scoresde compare``
splits its runs this way (:mod:`scoresde.compare.shard`).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.distributed as dist

from .train.distributed import World, init, shutdown  # one place joins the process group


def shard(n: int, rank: int, world_size: int) -> range:
    """Contiguous block of ``range(n)`` for ``rank``: sizes differ by at most one, in rank order."""
    if n < 0 or world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"shard: need n >= 0 and 0 <= rank < world_size, got n={n}, rank={rank}, "
                         f"world_size={world_size}")
    q, r = divmod(n, world_size)
    start = rank * q + min(rank, r)
    return range(start, start + q + (1 if rank < r else 0))


def gather_rows(x: torch.Tensor, n: int, world: World) -> torch.Tensor:
    """Concatenate every process's rows (rank order) into the full (n, ...) tensor, on every process.

    ``x`` holds this process's ``shard(n, rank, W)`` rows. Blocks are padded to equal size for
    ``all_gather`` (NCCL needs it), then trimmed.
    """
    if not world.distributed:
        return x
    sizes = [len(shard(n, r, world.world_size)) for r in range(world.world_size)]
    if x.shape[0] != sizes[world.rank]:
        raise ValueError(f"gather_rows: rank {world.rank} holds {x.shape[0]} rows, its block has {sizes[world.rank]}")
    m = max(sizes)
    pad = torch.zeros((m,) + tuple(x.shape[1:]), dtype=x.dtype, device=x.device)
    pad[:x.shape[0]] = x
    parts = [torch.empty_like(pad) for _ in range(world.world_size)]
    dist.all_gather(parts, pad.contiguous())
    return torch.cat([p[:s] for p, s in zip(parts, sizes)])


def map_indices(fn: Callable[[range], torch.Tensor], n: int, world: World, *, batch_size: Optional[int] = None,
                template: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``fn`` over this process's block of ``range(n)`` (in batches of ``batch_size``), gathered in order.

    ``fn(indices)`` returns ``len(indices)`` rows; a process whose block is empty contributes an empty
    tensor shaped like ``template`` (needed only when n < W).
    """
    block = shard(n, world.rank, world.world_size)
    bs = batch_size or max(1, len(block))
    rows = [fn(block[i:i + bs]) for i in range(0, len(block), bs)]
    if rows:
        local = torch.cat(rows)
    elif template is not None:
        local = template.new_zeros((0,) + tuple(template.shape[1:]))
    else:
        raise ValueError("map_indices: this process has no indices; pass template= (a tensor with the row shape)")
    return gather_rows(local, n, world)


def sample_sharded(sde, score_fn, event_shape: tuple, n: int, *, world: World, batch_size: int = 1000,
                   seed: int = 0, device=None, dtype=torch.float32, **sampler_kwargs):
    """:func:`scoresde.sample` of samples ``0..n-1`` split over the processes of ``world``.

    Returns ``(x, nfe, seconds)``: all n samples on every process (rank order = index order), the
    NFE per sample and this process's sampling seconds.
    """
    from .sampler import sample

    info = {"nfe": 0, "seconds": 0.0}

    def fn(idx: range) -> torch.Tensor:
        res = sample(sde, score_fn, (len(idx),) + tuple(event_shape), seed=seed, indices=idx, device=device,
                     dtype=dtype, **sampler_kwargs)
        info["nfe"] = res.nfe
        info["seconds"] += res.seconds
        return res.x.to(dtype)

    template = torch.zeros((1,) + tuple(event_shape), dtype=dtype, device=device)
    x = map_indices(fn, n, world, batch_size=batch_size, template=template)
    nfe = torch.tensor(float(info["nfe"]), device=template.device)
    if world.distributed:
        dist.all_reduce(nfe, op=dist.ReduceOp.MAX)
    return x, int(nfe.item()), info["seconds"]


__all__ = ["World", "init", "shutdown", "shard", "gather_rows", "map_indices", "sample_sharded"]
