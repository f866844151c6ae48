"""A ``scoresde train`` run folder as a model source (EMA weights of the latest checkpoint)."""
from __future__ import annotations


def load(path: str, device="cpu"):
    from . import LoadedModel
    from ..train.data import load_dataset
    from ..train.run import load_run

    try:
        run = load_run(path, device=device)
    except ValueError as e:
        raise ValueError(f"--model run:{path}: {str(e).replace('--run: ', '')}") from None
    cfg = run.config.data
    data = load_dataset(cfg.name, cfg.n, cfg.seed)
    return LoadedModel(name=f"run:{path}", sde=run.sde, shape=tuple(run.shape), score_fn=lambda: run.score_fn,
                       kind=data.kind, info={"step": run.step, "ema": run.ema, "data": cfg.name}, module=run.net,
                       data=data)
