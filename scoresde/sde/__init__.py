"""Forward SDEs. Registry: name -> class; add an SDE with one file and one line here."""
from __future__ import annotations

from .base import LinearSDE, ReverseSDE
from .subvp import subVPSDE
from .ve import VESDE
from .vp import CosineVPSDE, VPSDE

#: name -> constructor (used by the CLI and the shared tests)
SDES = {
    "vp": VPSDE,
    "vp-cosine": VPSDE.cosine,
    "subvp": subVPSDE,
    "ve": VESDE,
}


def from_config(cfg: dict) -> LinearSDE:
    """Rebuild an SDE from ``sde.config()``."""
    cfg = dict(cfg)
    name = cfg.pop("name", None)
    if name not in SDES:
        raise ValueError(f"unknown SDE name {name!r}; valid: {', '.join(SDES)}")
    return SDES[name](**cfg)


__all__ = ["LinearSDE", "ReverseSDE", "VPSDE", "CosineVPSDE", "subVPSDE", "VESDE", "SDES", "from_config"]
