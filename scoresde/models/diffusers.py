"""diffusers models (any eps-, v- or sample-prediction network + its scheduler config) as a score on a
continuous VP SDE, loaded from a local folder only (``from_pretrained(dir, local_files_only=True)``;
nothing is downloaded).

Folder layouts: a pipeline folder (``unet/`` or ``transformer/`` with ``config.json`` + weights, and
``scheduler/scheduler_config.json``) or a model folder holding ``config.json`` and ``scheduler_config.json``.
The schedule: diffusers' own ``DDPMScheduler.from_config`` builds ``alphas_cumprod`` from the config
(linear, scaled_linear, squaredcos_cap_v2 betas or trained_betas; N = num_train_timesteps), and
:class:`~scoresde.models.schedule.DiscreteScheduleSDE` carries it to continuous time: timestep k at
t = (k + 1)/N, the model called at k(t) = t N - 1 (float; values within 1e-3 of an integer are snapped
to it, which removes float32 time round-off at the knots). Predictions are converted to the score through
(m, s) by :func:`scoresde.params.convert` (epsilon -> eps, v_prediction -> v, sample -> x0).
"""
from __future__ import annotations

import json
import os
from typing import Optional

import torch
from torch import Tensor

from ..params import convert
from .schedule import DiscreteScheduleSDE, conversion_error

PREDICTION_KINDS = {"epsilon": "eps", "v_prediction": "v", "sample": "x0"}


def _diffusers():
    try:
        import diffusers
    except ImportError:
        raise ValueError('--model diffusers:DIR needs diffusers: pip install "scoresde[peers]"') from None
    return diffusers


def _read(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def schedule_sde(scheduler_config: dict) -> DiscreteScheduleSDE:
    """The continuous SDE of a diffusers scheduler config (its alphas_cumprod, computed by diffusers)."""
    D = _diffusers()
    cfg = {k: v for k, v in scheduler_config.items() if not k.startswith("_")}
    sched = D.DDPMScheduler.from_config(cfg)
    return DiscreteScheduleSDE(sched.alphas_cumprod, label=f"{cfg.get('beta_schedule', 'trained')} "
                                                          f"N={sched.config.num_train_timesteps}")


class DiffusersScore:
    """score(x, t) of a diffusers model on its schedule's SDE; counts calls in ``nfe``."""

    def __init__(self, model, sde: DiscreteScheduleSDE, prediction_type: str = "epsilon"):
        if prediction_type not in PREDICTION_KINDS:
            raise ValueError(f"prediction_type {prediction_type!r} not supported; valid: {', '.join(PREDICTION_KINDS)}")
        self.model, self.sde, self.kind = model, sde, PREDICTION_KINDS[prediction_type]
        self.dtype = next(model.parameters()).dtype
        self.nfe = 0

    def __call__(self, x: Tensor, t) -> Tensor:
        self.nfe += 1
        tt = torch.as_tensor(t, dtype=torch.float64)
        if tt.ndim == 0:
            tt = tt.expand(x.shape[0])
        k = self.sde.timestep(tt)
        near = torch.round(k)
        k = torch.where((k - near).abs() < 1e-3, near, k)
        out = self.model(x.to(self.dtype), k.to(torch.float32).to(x.device)).sample.to(x.dtype)
        return convert(out, self.kind, "score", x, tt.to(x.dtype), self.sde)


def find(path: str):
    """(model folder, scheduler config path) of a local diffusers folder; ValueError naming what is missing."""
    if not os.path.isdir(path):
        raise ValueError(f"--model diffusers:{path}: not a local folder (nothing is downloaded)")
    model_dir = next((os.path.join(path, d) for d in ("unet", "transformer")
                      if os.path.isfile(os.path.join(path, d, "config.json"))), path)
    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        raise ValueError(f"--model diffusers:{path}: no config.json (nor unet/config.json)")
    sched = next((p for p in (os.path.join(path, "scheduler", "scheduler_config.json"),
                              os.path.join(path, "scheduler_config.json"),
                              os.path.join(model_dir, "scheduler_config.json")) if os.path.isfile(p)), None)
    if sched is None:
        raise ValueError(f"--model diffusers:{path}: no scheduler/scheduler_config.json (the noise schedule)")
    return model_dir, sched


def load(path: str, device="cpu", dtype: Optional[torch.dtype] = None):
    """A :class:`~scoresde.models.LoadedModel` from a local diffusers folder."""
    from . import LoadedModel

    D = _diffusers()
    model_dir, sched_path = find(path)
    cfg = _read(os.path.join(model_dir, "config.json"))
    cls = getattr(D, cfg.get("_class_name", ""), None)
    if cls is None:
        raise ValueError(f"--model diffusers:{path}: unknown model class {cfg.get('_class_name')!r}")
    model = cls.from_pretrained(model_dir, local_files_only=True)
    if dtype is not None:
        model = model.to(dtype)
    model = model.to(device).eval().requires_grad_(False)
    scfg = _read(sched_path)
    sde = schedule_sde(scfg)
    pred = scfg.get("prediction_type", "epsilon")
    size = cfg.get("sample_size")
    size = tuple(size) if isinstance(size, (list, tuple)) else (size, size)
    shape = (cfg.get("in_channels"),) + size
    info = {"class": cls.__name__, "prediction_type": pred, "scheduler": scfg.get("_class_name"),
            "timestep_map": "t = (k + 1)/N, k(t) = t N - 1", "conversion_error": conversion_error(sde)}
    return LoadedModel(name=f"diffusers:{path}", sde=sde, shape=shape, score_fn=lambda: DiffusersScore(model, sde, pred),
                       kind="image" if len(shape) == 3 else "points", info=info, module=model)


__all__ = ["schedule_sde", "DiffusersScore", "load", "find", "PREDICTION_KINDS"]
