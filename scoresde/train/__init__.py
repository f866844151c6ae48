"""Training score networks on real data: losses, data, EMA, checkpoints, config, the loop, DDP.

    from scoresde.train import Config, train, load_run
    cfg = Config.from_dict({"data": {"name": "gmm2d"}, "train": {"steps": 2000}})
    result = train(cfg, "runs/gmm2d")
    run = load_run("runs/gmm2d")            # EMA weights; run.score_fn plugs into scoresde.sample
"""
from __future__ import annotations

from .config import Config, dump_config, load_config
from .data import DATASETS, Dataset, MissingDataPackage, load_dataset
from .ema import EMA
from .loop import TrainResult, train
from .losses import dsm_loss, eps_weight
from .run import Run, load_run, make_model, make_sde

__all__ = ["Config", "load_config", "dump_config", "DATASETS", "Dataset", "MissingDataPackage", "load_dataset",
           "EMA", "train", "TrainResult", "dsm_loss", "eps_weight", "Run", "load_run", "make_model", "make_sde"]
