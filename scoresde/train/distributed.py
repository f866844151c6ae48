"""Multi-process training on an existing engine: ``torchrun`` + DistributedDataParallel.

``torchrun --nproc_per_node=K -m scoresde train ...`` sets RANK, WORLD_SIZE and LOCAL_RANK; this
module joins the process group (gloo on CPU, NCCL on CUDA) and exposes the few collectives the
training loop needs. Without those variables everything runs as a single process.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def env_world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise ValueError(f"WORLD_SIZE must be an integer, got {os.environ['WORLD_SIZE']!r}") from None


_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d{1,4})?)$")


def resolve_device(spec: str, local_rank: int = 0, option: str = "train.device") -> torch.device:
    """'auto' -> cuda:<local_rank> when CUDA is available, else cpu; 'cuda' -> cuda:<local_rank>.

    ``spec`` must be auto, cpu, cuda or cuda:N (ValueError naming ``option`` otherwise, or when the
    CUDA device does not exist).
    """
    if not isinstance(spec, str) or not _DEVICE.match(spec):
        raise ValueError(f"{option}: expected auto, cpu, cuda or cuda:N, got {str(spec)[:40]!r}")
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"{option}: {spec!r} requested but CUDA is not available (use cpu or auto)")
        if spec == "cuda":
            spec = f"cuda:{local_rank}"
        idx = int(spec.split(":")[1])
        if idx >= torch.cuda.device_count():
            raise ValueError(f"{option}: {spec!r} but only {torch.cuda.device_count()} CUDA device(s)")
    return torch.device(spec)


def init(device_spec: str, option: str = "train.device") -> tuple[World, torch.device]:
    """Join the process group if launched by torchrun; return the world and this process's device."""
    ws = env_world_size()
    if ws <= 1:
        return World(), resolve_device(device_spec, option=option)
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    device = resolve_device(device_spec, local, option)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return World(rank, ws, local, backend), device


def shutdown(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def all_reduce(t: torch.Tensor, world: World, op: str = "sum") -> torch.Tensor:
    """In-place all-reduce (sum, min or max); identity on a single process."""
    if world.distributed:
        dist.all_reduce(t, op={"sum": dist.ReduceOp.SUM, "min": dist.ReduceOp.MIN, "max": dist.ReduceOp.MAX}[op])
    return t


def broadcast_object(obj, world: World):
    """Rank 0's ``obj`` on every rank (used to share one error message)."""
    if not world.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


__all__ = ["World", "init", "shutdown", "barrier", "all_reduce", "broadcast_object", "resolve_device", "env_world_size"]
