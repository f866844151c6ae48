"""Compare's runs split over ``torchrun`` processes by sample index, gathered for one report.

A fixed-step run treats each sample on its own: sample i starts from x_T[i], drawn from (seed, i)
(:func:`~scoresde.compare.run.x_T_for`), and its noise at every step depends on (seed, i) only
(:class:`~scoresde.noise.PerSampleNoise`). So process r of W runs the block
``shard(n, r, W)`` of x_T with ``indices=block``, and :func:`~scoresde.distributed.gather_rows` puts
the blocks back in index order: the noise is bit-identical to a one-process run and the samples
agree with it up to the round-off of batched arithmetic (about 1e-12 relative in float64).

Two kinds of run are *batch-coupled* and are not split: adaptive solvers (torchdiffeq keeps one error
norm, hence one step sequence, for the whole batch) and peer samplers (their noise comes from one
batch-shaped generator). Splitting would change their answer, so rank 0 runs them whole while the
other ranks go on to the next split run. The final-step study's runs (deterministic, fixed-step) are
split the same way. Measuring, references, the other studies and the report are rank 0's alone
(:func:`scoresde.compare.compare`).

Timing under W processes: ``wall_s`` of a split run is rank 0's elapsed time from the start of its
block to all blocks gathered, i.e. the time a user waits (the slowest rank's block plus the gather),
not CPU seconds summed over ranks; ``s_per_nfe`` is that time over the NFE of one sample path.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Optional, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

from ..distributed import World, gather_rows, shard
from .run import Tolerances, run_one
from .samplers import SamplerSpec

#: the failures a comparison records as a failed run (others stop the comparison)
_RECORDED = {"FloatingPointError": FloatingPointError, "AssertionError": AssertionError}


def splits(spec: SamplerSpec) -> bool:
    """Whether runs of ``spec`` are split by sample index (fixed-step: every sample on its own)."""
    return spec.kind == "fixed"


def blocks_on_ranks(run_block: Callable[[Tensor, range], Tuple[Tensor, Any]], x_T: Tensor,
                    world: World) -> Tuple[Optional[Tensor], Any]:
    """``run_block(rows of x_T, their indices) -> (samples, info)`` on this rank's block, gathered.

    Returns (all n samples in index order, rank 0's info) on rank 0 and (None, None) on the other
    ranks; one process: ``run_block(x_T, range(n))``. Every rank must call it for the same runs in the
    same order. A recorded failure (FloatingPointError, AssertionError) on any rank is raised on every
    rank, with the text of the lowest failing rank, so that the ranks stay in step.
    """
    n = x_T.shape[0]
    if not world.distributed:
        return run_block(x_T, range(n))
    block = shard(n, world.rank, world.world_size)
    x, info, err = x_T.new_zeros((0,) + tuple(x_T.shape[1:])), None, ""
    if len(block):  # rank 0's block is never empty (n >= 1)
        try:
            x, info = run_block(x_T[block.start:block.stop], block)
        except tuple(_RECORDED.values()) as e:
            err = f"{type(e).__name__}\0{e}"
    failed = torch.tensor([1.0 if err else 0.0], device=x_T.device)
    dist.all_reduce(failed, op=dist.ReduceOp.MAX)
    if failed.item():
        texts = [""] * world.world_size
        dist.all_gather_object(texts, err)
        kind, text = next(t for t in texts if t).split("\0", 1)
        raise _RECORDED[kind](text)
    x = gather_rows(x.to(x_T.dtype), n, world)
    return (x, info) if world.is_main else (None, None)


def run_on_ranks(spec: SamplerSpec, sde, score_fn, grid_fn, x_T: Tensor, nfe: int, seed: int,
                 tolerances: Optional[Tolerances], world: World) -> Tuple[Optional[Tensor], Optional[dict]]:
    """:func:`~scoresde.compare.run.run_one` over the processes of ``world``.

    Returns (all n samples, record fields) on rank 0 and (None, None) on the other ranks. Fixed-step
    runs are split (:func:`blocks_on_ranks`; every rank must call this for every one of them, in the
    same order); the others run whole on rank 0.
    """
    if not world.distributed:
        return run_one(spec, sde, score_fn, grid_fn, x_T, nfe, seed, tolerances)
    if not splits(spec):
        return run_one(spec, sde, score_fn, grid_fn, x_T, nfe, seed, tolerances) if world.is_main else (None, None)
    t0 = time.perf_counter()
    x, info = blocks_on_ranks(lambda xb, idx: run_one(spec, sde, score_fn, grid_fn, xb, nfe, seed, indices=idx),
                              x_T, world)
    if not world.is_main:
        return None, None
    wall = time.perf_counter() - t0
    info = dict(info, wall_s=wall, s_per_nfe=wall / max(info["nfe"], 1),
                s_per_step=wall / info["steps"] if info.get("steps") else None)
    return x, info


__all__ = ["splits", "blocks_on_ranks", "run_on_ranks"]
