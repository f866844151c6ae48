"""Training presets: configs sized for the machine, as dotted-key overrides of :class:`Config`.

* ``cpu-small``  -- the default on a CPU: minutes on 2 cores (measured figures in README / RESULTS.md).
  Images: the small U-Net that reproduced the RESULTS.md digits quality (16 channels, one residual
  block per level, batch 64, cosine learning rate).
* ``cpu-medium`` -- about 4-8x the compute of ``cpu-small``: a wider/deeper network and more steps.
* ``gpu-paper``  -- the default on CUDA: the DDPM++ (continuous VP) configuration of Song et al. 2021
  ("Score-Based Generative Modeling through SDEs", App. H; score_sde ``configs/vp/cifar10_ddpmpp_continuous.py``):
  base width 128, 4 residual blocks per resolution, dropout 0.1, batch 128, Adam lr 2e-4 with 5000
  warm-up steps, gradient clipping at 1, EMA 0.9999, VP SDE beta 0.1 -> 20, 1.3M iterations. Adapted to
  our small images: channel multipliers (1, 2, 2) (8x8 and 28x28 allow two down-samplings, CIFAR-10's
  32x32 uses (1, 2, 2, 2)); self-attention at the lowest resolution (DDPM++ attends at 16x16); no FIR
  resampling or skip rescaling (our U-Net is the DDPM one). 2-D data: a 512-wide, 6-block MLP.

``preset_overrides(name, data)`` gives the overrides; ``default_preset(device)`` picks ``gpu-paper``
on CUDA and ``cpu-small`` otherwise. A preset is applied before ``--config``/flags/``--set``, so every
field can still be changed.
"""
from __future__ import annotations

from typing import Any, Dict

PRESET_NAMES = ("cpu-small", "cpu-medium", "gpu-paper")

_COMMON = {"sde.name": "vp", "optim.schedule": "cosine", "train.ema_decay": 0.999, "optim.warmup": 200}

_POINTS = {  # synthetic 2-D / low-dimensional data (MLP)
    "cpu-small": {**_COMMON, "data.n": 100_000, "model.arch": "mlp", "model.hidden": 128, "model.depth": 3,
                  "train.batch_size": 256, "optim.lr": 2e-3, "train.steps": 6000, "train.log_every": 500,
                  "train.ckpt_every": 5000},
    "cpu-medium": {**_COMMON, "data.n": 100_000, "model.arch": "mlp", "model.hidden": 256, "model.depth": 4,
                   "train.batch_size": 512, "optim.lr": 1e-3, "train.steps": 40_000, "train.log_every": 500,
                   "train.ckpt_every": 10_000},
    "gpu-paper": {"sde.name": "vp", "data.n": 1_000_000, "model.arch": "mlp", "model.hidden": 512, "model.depth": 6,
                  "model.dropout": 0.0, "train.batch_size": 4096, "optim.lr": 2e-4, "optim.warmup": 5000,
                  "optim.schedule": "constant", "optim.grad_clip": 1.0, "train.ema_decay": 0.9999,
                  "train.steps": 200_000, "train.log_every": 1000, "train.ckpt_every": 10_000},
}

_IMAGES = {
    "cpu-small": {"digits": {**_COMMON, "model.arch": "unet", "model.channels": 16, "model.channel_mult": [1, 2],
                             "model.num_res_blocks": 1, "model.emb_dim": 64, "train.batch_size": 64, "optim.lr": 2e-3,
                             "train.steps": 1600, "train.log_every": 50, "train.ckpt_every": 500},
                  "mnist5k": {**_COMMON, "model.arch": "unet", "model.channels": 32, "model.channel_mult": [1, 2, 2],
                              "model.num_res_blocks": 1, "model.emb_dim": 64, "train.batch_size": 64, "optim.lr": 1e-3,
                              "train.steps": 2500, "train.log_every": 25, "train.ckpt_every": 500}},
    "cpu-medium": {"digits": {**_COMMON, "model.arch": "unet", "model.channels": 32, "model.channel_mult": [1, 2],
                              "model.num_res_blocks": 2, "model.emb_dim": 128, "train.batch_size": 128, "optim.lr": 1e-3,
                              "train.steps": 5000, "train.log_every": 50, "train.ckpt_every": 1000},
                   "mnist5k": {**_COMMON, "model.arch": "unet", "model.channels": 64, "model.channel_mult": [1, 2, 2],
                               "model.num_res_blocks": 2, "model.emb_dim": 128, "train.batch_size": 128, "optim.lr": 5e-4,
                               "train.steps": 10_000, "train.log_every": 50, "train.ckpt_every": 1000}},
}
_PAPER_IMAGES = {"sde.name": "vp", "sde.params": {"beta_min": 0.1, "beta_max": 20.0}, "model.arch": "unet",
                 "model.channels": 128, "model.channel_mult": [1, 2, 2], "model.num_res_blocks": 4,
                 "model.attention": True, "model.dropout": 0.1, "model.emb_dim": 512, "train.batch_size": 128,
                 "optim.lr": 2e-4, "optim.warmup": 5000, "optim.schedule": "constant", "optim.grad_clip": 1.0,
                 "train.ema_decay": 0.9999, "train.steps": 1_300_000, "train.log_every": 1000,
                 "train.ckpt_every": 50_000}


def default_preset(device: str) -> str:
    """``gpu-paper`` when ``device`` resolves to CUDA, else ``cpu-small``."""
    import torch

    cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    return "gpu-paper" if cuda else "cpu-small"


def preset_overrides(name: str, data: str) -> Dict[str, Any]:
    """Dotted-key overrides of preset ``name`` for data set ``data`` (ValueError naming --preset)."""
    from .data import DATASETS

    if name not in PRESET_NAMES:
        raise ValueError(f"--preset: unknown preset {name!r}; valid: {', '.join(PRESET_NAMES)}")
    if data not in DATASETS:
        return {}  # the config's own validation names data.name
    if data in ("digits", "mnist5k"):
        over = dict(_PAPER_IMAGES) if name == "gpu-paper" else dict(_IMAGES[name][data])
    else:
        over = dict(_POINTS[name])
    over["data.name"] = data
    return over


__all__ = ["PRESET_NAMES", "default_preset", "preset_overrides"]
