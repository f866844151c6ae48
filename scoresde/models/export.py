"""Export a trained run's weights as safetensors, and load them back without pickle.

``export_run(RUN, OUT)`` writes OUT/model.safetensors: the network's state dict (EMA weights by default)
with the resolved training config, SDE, data shape and output kind in the file's string metadata, plus a
readable OUT/config.json copy. :func:`load_exported` rebuilds the network from that metadata and reads the
tensors with ``safetensors.torch.load_file`` (no pickle, no code execution). Files are written atomically.

A diffusers-style folder is not written: scoresde's networks (``scoresde.nets`` MLP / U-Net with a
continuous-time Fourier or sinusoidal embedding, wrapped by ``ScoreNet`` for the output kind and the optional
EDM preconditioning) have no counterpart class in diffusers whose parameters they map onto one to one --
``UNet2DModel`` has a different block layout and takes integer-scale timesteps -- so such a folder would need
custom model code (remote code in diffusers' terms), which defeats the point of a code-free export.
"""
from __future__ import annotations

import json
import os

FILE = "model.safetensors"


def _safetensors():
    try:
        import safetensors.torch as st
    except ImportError:
        raise ValueError("safetensors is not installed: pip install safetensors") from None
    return st


def export_run(run_dir: str, out: str, *, ema: bool = True, checkpoint=None) -> str:
    """Write OUT/model.safetensors (+ config.json) for run folder ``run_dir``; return the file's path."""
    st = _safetensors()
    from ..train.checkpoint import atomic_write_bytes
    from ..train.run import load_run

    run = load_run(run_dir, device="cpu", ema=ema, checkpoint=checkpoint)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in run.net.state_dict().items()}
    meta = {"format": "scoresde-export", "version": "1", "config": json.dumps(run.config.to_dict()),
            "sde": json.dumps(run.sde.config()), "data_shape": json.dumps(list(run.shape)), "kind": run.net.kind,
            "step": str(run.step), "ema": str(bool(run.ema)).lower()}
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, FILE)
    atomic_write_bytes(path, st.save(tensors, metadata=meta))
    cfg_text = json.dumps({k: json.loads(v) if k in ("config", "sde", "data_shape") else v for k, v in meta.items()},
                          indent=1).encode()
    atomic_write_bytes(os.path.join(out, "config.json"), cfg_text)
    return path


def load_exported(path: str, device="cpu"):
    """A :class:`~scoresde.models.LoadedModel` from an exported folder or .safetensors file (no pickle)."""
    st = _safetensors()
    from safetensors import safe_open

    from ..sde import from_config
    from ..train.config import Config
    from ..train.run import make_model
    from . import LoadedModel

    file = os.path.join(path, FILE) if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise ValueError(f"--model safetensors:{path}: no {FILE} there")
    with safe_open(file, framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != "scoresde-export":
        raise ValueError(f"--model safetensors:{path}: not a scoresde export (metadata format "
                         f"{meta.get('format')!r})")
    cfg = Config.from_dict(json.loads(meta["config"]))
    sde = from_config(json.loads(meta["sde"]))
    shape = tuple(json.loads(meta["data_shape"]))
    net = make_model(cfg, sde, shape, "fp32")
    net.load_state_dict(st.load_file(file))
    net.to(device).eval().requires_grad_(False)
    from ..params import ScoreModel

    return LoadedModel(name=f"safetensors:{path}", sde=sde, shape=shape,
                       score_fn=lambda: ScoreModel(net, sde, net.kind), kind="image" if len(shape) == 3 else "points",
                       info={"step": int(meta.get("step", 0)), "ema": meta.get("ema") == "true"}, module=net)


def load(arg: str, device="cpu"):
    """Model source ``safetensors:PATH``."""
    return load_exported(arg, device=device)


__all__ = ["export_run", "load_exported", "FILE"]
