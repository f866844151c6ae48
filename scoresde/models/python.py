"""``python:MODULE:ATTR``: import a module the user wrote and call ATTR() -> LoadedModel (plain callables,
k-diffusion denoisers, score_sde networks built in the user's own code; see :func:`scoresde.models.from_callable`)."""
from __future__ import annotations

import importlib


def load(arg: str, device="cpu"):
    from . import LoadedModel

    mod, _, attr = arg.partition(":")
    if not mod or not attr:
        raise ValueError(f"--model python:{arg}: give python:MODULE:ATTR")
    try:
        obj = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"--model python:{arg}: {e}") from None
    out = obj() if callable(obj) and not isinstance(obj, LoadedModel) else obj
    if not isinstance(out, LoadedModel):
        raise ValueError(f"--model python:{arg}: {attr} must be (or return) a scoresde.models.LoadedModel")
    return out
