"""Plan stage: which (SDE, sampler, NFE) runs a comparison makes, and the defaults of ``scoresde compare``."""
from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import List, Optional, Sequence

import torch

from .. import grids as _grids

DEFAULT_SDES = ("vp", "ve")
DEFAULT_NFE = (10, 20, 50, 100, 200, 1000)
DEFAULT_PROBLEM = "gmm2d"

#: default time grid per SDE name: uniform in t is Song et al.'s default for VP, and for VE it is
#: geometric in the schedule sigma(t) = sigma_min (sigma_max/sigma_min)^(t/T) (SMLD's spacing)
DEFAULT_GRIDS = {"vp": "uniform", "ve": "uniform", "subvp": "uniform", "vp-cosine": "uniform"}
GRID_NOTES = {
    "uniform": "uniform in t from T to eps",
    "geometric": "geometric in the noise level s/m",
    "karras": "Karras et al. 2022 rho=7 spacing of s/m",
    "log-snr": "uniform in log(m/s)",
}


@dataclass
class Plan:
    """Problems x SDEs x samplers x NFE, validated before any work."""

    sdes: Sequence
    samplers: Sequence
    nfes: List[int]
    grid: Optional[str] = None

    def __post_init__(self):
        self.nfes = [int(v) for v in self.nfes]
        if not self.nfes or any(v < 1 for v in self.nfes):
            raise ValueError(f"nfe values must be positive integers, got {self.nfes}")
        if self.grid is not None and self.grid not in _grids.GRIDS:
            raise ValueError(f"grid must be one of {', '.join(_grids.GRIDS)}, got {self.grid!r}")

    def grid_name(self, sde) -> str:
        return self.grid or DEFAULT_GRIDS.get(sde.name, "uniform")

    def grid_fn(self, sde):
        return _grids.GRIDS[self.grid_name(sde)]

    @property
    def total(self) -> int:
        return len(self.sdes) * len(self.samplers) * len(self.nfes)


def resolve_device(device) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available")
    return dev


def machine_description(device: torch.device) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    s = f"{cpu}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, Python {platform.python_version()}"
    if device.type == "cuda":
        s += f", GPU {torch.cuda.get_device_name(device)}"
    return s


__all__ = ["Plan", "DEFAULT_SDES", "DEFAULT_NFE", "DEFAULT_PROBLEM", "DEFAULT_GRIDS", "GRID_NOTES",
           "resolve_device", "machine_description"]
