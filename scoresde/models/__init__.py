"""Models in: any score source as score(x, t) on a ``LinearSDE``, one adapter file per source + a registry line.

| source | file | what it wraps |
|---|---|---|
| ``run`` | :mod:`.run` | a ``scoresde train`` run folder (EMA weights) |
| ``diffusers`` | :mod:`.diffusers` | a local diffusers folder: eps/v/sample model + scheduler config (alpha_bar table -> :class:`~.schedule.DiscreteScheduleSDE`) |
| ``kdiffusion`` | :mod:`.kdiffusion` | denoisers D(x~, sigma) in EDM coordinates (:class:`~.kdiffusion.DenoiserScore`) |
| ``score_sde`` | :mod:`.score_sde` | score_sde-style networks s(x, labels) (:class:`~.score_sde.ScoreSdeScore`) |
| ``safetensors`` | :mod:`.export` | a run exported by ``scoresde export`` (no pickle) |
| ``python`` | :mod:`.python` | ``MODULE:ATTR``, a callable returning a :class:`LoadedModel` (plain callables) |

``load_model("diffusers:DIR")`` returns a :class:`LoadedModel`: its SDE, event shape and a factory of fresh
evaluation-counting score functions. The CLI (``scoresde compare --model``, ``scoresde sample --model``) calls
:func:`load_model`; nothing here downloads anything.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from ..params import KINDS, ScoreModel

#: source name -> module with ``load(arg, device) -> LoadedModel``
MODEL_SOURCES = {
    "run": "scoresde.models.run",
    "diffusers": "scoresde.models.diffusers",
    "python": "scoresde.models.python",
    "safetensors": "scoresde.models.export",
}


@dataclass
class LoadedModel:
    """A score source ready for sampling: ``score_fn()`` makes a fresh counting score(x, t) on ``sde``."""

    name: str
    sde: object
    shape: tuple
    score_fn: Callable[[], Callable]
    kind: str = "points"
    info: dict = field(default_factory=dict)
    module: object = None
    data: object = None


def from_callable(fn: Callable, sde, shape, kind: str = "score", name: str = "callable") -> LoadedModel:
    """A plain callable fn(x, t) predicting ``kind`` (score, eps, x0, v) on ``sde``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return LoadedModel(name, sde, tuple(shape), lambda: ScoreModel(fn, sde, kind))


def load_model(spec: str, device="cpu") -> LoadedModel:
    """``SOURCE:ARG`` -> :class:`LoadedModel` (ValueError naming ``--model`` for bad input)."""
    src, _, arg = spec.partition(":")
    if src not in MODEL_SOURCES or not arg:
        raise ValueError(f"--model: give SOURCE:ARG with SOURCE one of {', '.join(MODEL_SOURCES)} "
                         f"(e.g. diffusers:DIR), got {spec!r}")
    return importlib.import_module(MODEL_SOURCES[src]).load(arg, device=device)


__all__ = ["LoadedModel", "MODEL_SOURCES", "load_model", "from_callable"]
