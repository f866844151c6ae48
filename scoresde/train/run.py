"""Build the SDE and network a config describes, and load a trained run for sampling.

``load_run(RUN_DIR)`` is how a trained model reaches every sampler (``scoresde sample``,
``scoresde compare --score RUN_DIR``): it returns the SDE, the network with EMA weights, and
``run.score_fn`` = ``ScoreModel(net, sde, kind)``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Optional

import torch

from ..nets import MLP, ScoreNet, UNet
from ..params import ScoreModel
from ..sde import SDES
from ..sde.base import LinearSDE
from . import checkpoint as ckpt
from .config import Config, load_config
from .data import Dataset
from .distributed import resolve_device

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"

_AUTOCAST = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def make_sde(cfg: Config) -> LinearSDE:
    return SDES[cfg.sde.name](**cfg.sde.params)


def max_pairwise_distance(x: torch.Tensor, n: int = 2000) -> float:
    """Largest Euclidean distance among the first ``n`` examples (float64)."""
    xf = x[:n].reshape(min(n, x.shape[0]), -1).double()
    return float(torch.cdist(xf, xf).max())


def resolve_config(cfg: Config, data: Dataset) -> Config:
    """Fill the data-dependent defaults, so the run folder records every number that was used.

    * model.arch "auto": "unet" for square images, "mlp" otherwise;
    * model.sigma_data null: the data's standard deviation (Karras et al. 2022, Sec. 5);
    * VE without sigma_max: the largest distance between data points (Song & Ermon 2020,
      "Improved techniques", Technique 1), rounded up to an integer.
    """
    over = {}
    if cfg.model.arch == "auto":
        img = data.kind == "image" and len(data.shape) == 3 and data.shape[1] == data.shape[2]
        over["model.arch"] = "unet" if img else "mlp"
    if cfg.model.sigma_data is None:
        over["model.sigma_data"] = round(data.std(), 6)
    if cfg.sde.name == "ve" and "sigma_max" not in cfg.sde.params:
        over["sde.params"] = {**cfg.sde.params, "sigma_max": float(math.ceil(max_pairwise_distance(data.x)))}
    return cfg.replace(over) if over else cfg


def make_model(cfg: Config, sde: LinearSDE, shape: tuple, precision: Optional[str] = None) -> ScoreNet:
    """The ScoreNet for ``cfg.model`` on data of event shape ``shape`` (config must be resolved)."""
    m = cfg.model
    if m.arch == "unet":
        if len(shape) != 3 or shape[1] != shape[2]:
            raise ValueError(f"model.arch: 'unet' needs square images (C, H, H); the data have shape {tuple(shape)}")
        try:
            core = UNet(shape[0], shape[1], m.channels, m.channel_mult, m.num_res_blocks, m.attention,
                        m.emb_dim, m.embedding, m.fourier_scale, m.dropout)
        except ValueError as e:
            raise ValueError(f"model.channel_mult: {e}") from None
    elif m.arch == "mlp":
        core = MLP(math.prod(shape), m.hidden, m.depth, m.emb_dim, m.embedding, m.fourier_scale, m.dropout)
    else:
        raise ValueError(f"model.arch: unresolved value {m.arch!r}; call resolve_config first")
    prec = cfg.train.precision if precision is None else precision
    return ScoreNet(core, sde, m.kind, m.precond, m.sigma_data, _AUTOCAST[prec])


@dataclass
class Run:
    """A trained run: ``score_fn`` plugs into :func:`scoresde.sample`."""

    path: str
    config: Config
    sde: LinearSDE
    net: ScoreNet
    step: int
    checkpoint: str
    shape: tuple
    ema: bool

    @property
    def score_fn(self) -> ScoreModel:
        """A fresh evaluation-counting score function score(x, t) of the network."""
        return ScoreModel(self.net, self.sde, self.net.kind)


def load_run(path: str, *, device="auto", ema: bool = True, checkpoint: Optional[str] = None,
             precision: str = "fp32") -> Run:
    """Load the latest (or the given) checkpoint of run folder ``path`` for sampling.

    ``ema=True`` uses the exponential-moving-average weights (the default for sampling);
    ``precision`` sets the network's autocast dtype ("fp32", "bf16", "fp16").
    """
    cfg_path = os.path.join(path, CONFIG_FILE)
    if not os.path.isfile(cfg_path):
        raise ValueError(f"--run: {path!r} is not a training run folder (no {CONFIG_FILE})")
    cfg = load_config(cfg_path)
    dev = resolve_device(device, option="--device") if isinstance(device, str) else torch.device(device)
    if checkpoint is None:  # the newest intact checkpoint (damaged newer ones are skipped with a warning)
        found = ckpt.latest_good(os.path.join(path, CHECKPOINT_DIR), ckpt.check_training_state)
        if found is None:
            raise ValueError(f"--run: {path!r} has no checkpoint yet")
        checkpoint, state = found
    else:
        state = ckpt.check_training_state(ckpt.load(checkpoint, map_location="cpu"), checkpoint)
    shape = tuple(state["data_shape"])
    sde = make_sde(cfg)
    net = make_model(cfg, sde, shape, precision)
    ckpt.load_state_into(net, state["model"], checkpoint)
    if ema:
        shadow = state.get("ema")
        if shadow is None:
            raise ValueError(f"--run: {path!r} was trained without EMA (train.ema = false); sample with --no-ema")
        shadow = shadow.get("shadow") if isinstance(shadow, dict) else None
        params = dict(net.named_parameters())
        if not isinstance(shadow, dict) or set(shadow) != set(params):
            raise ValueError(f"checkpoint {checkpoint!r}: its EMA weights do not name this run's parameters")
        for name, p in params.items():
            w = shadow[name]
            if not isinstance(w, torch.Tensor) or w.shape != p.shape:
                raise ValueError(f"checkpoint {checkpoint!r}: EMA weight {name!r} has shape "
                                 f"{tuple(getattr(w, 'shape', ()))}, the network needs {tuple(p.shape)}")
            p.data.copy_(w)
    net.to(dev).eval()
    net.requires_grad_(False)
    return Run(path, cfg, sde, net, int(state["step"]), checkpoint, shape, ema)


__all__ = ["make_sde", "make_model", "resolve_config", "load_run", "Run", "CONFIG_FILE", "METRICS_FILE",
           "CHECKPOINT_DIR", "max_pairwise_distance"]
