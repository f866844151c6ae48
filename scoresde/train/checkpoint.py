"""Checkpoints: atomic writes, keep-last-K, and loading with ``torch.load(weights_only=True)`` only.

A checkpoint is a dict of tensors and plain values (numbers, strings, lists, dicts): model and EMA
weights, optimiser state, step, random-number-generator states (as uint8 tensors) and the
resolved config. It is written to a temporary file in the same folder, flushed and fsync'ed,
then renamed over the target (``os.replace`` is atomic on POSIX), and the folder is fsync'ed: a
crash at any point leaves either the old file or the new one, never a torn file. Temporary
files never match the checkpoint pattern, so an interrupted write is invisible to ``latest``.

Loading uses PyTorch's restricted unpickler (``weights_only=True``): a file that would run code
(a pickle ``__reduce__`` payload) is refused before anything in it executes.
"""
from __future__ import annotations

import os
import pickle
import re
import tempfile
from typing import Any, List, Optional

import torch

FORMAT = "scoresde-checkpoint"
VERSION = 1
_NAME = re.compile(r"^ckpt-(\d{8,})\.pt$")


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: str, write) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".partial", dir=folder)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
    _atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save(path: str, state: dict) -> None:
    """Write a checkpoint dict atomically. Values must be tensors or plain Python values."""
    payload = {"format": FORMAT, "version": VERSION, **state}
    _atomic_write(path, lambda f: torch.save(payload, f))


def load(path: str, map_location: Any = "cpu") -> dict:
    """Load a checkpoint with ``torch.load(weights_only=True)``; anything else is refused (ValueError)."""
    if not os.path.isfile(path):
        raise ValueError(f"checkpoint {path!r} does not exist")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        why = next((ln for ln in lines if "GLOBAL" in ln or "Unsupported" in ln), type(e).__name__)
        raise ValueError(f"checkpoint {path!r} refused: it holds objects other than tensors and plain "
                         f"values, which could run code when loaded ({why}); scoresde never loads such files") from None
    except (RuntimeError, EOFError, OSError) as e:
        raise ValueError(f"checkpoint {path!r} is unreadable (truncated or not a PyTorch file): {e}") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path!r} is not a {FORMAT} file")
    if obj.get("version") != VERSION:
        raise ValueError(f"checkpoint {path!r} has version {obj.get('version')!r}; this scoresde reads version {VERSION}")
    return obj


def path_for(folder: str, step: int) -> str:
    return os.path.join(folder, f"ckpt-{step:08d}.pt")


def list_checkpoints(folder: str) -> List[tuple[int, str]]:
    """[(step, path)] of complete checkpoints in ``folder``, oldest first."""
    if not os.path.isdir(folder):
        return []
    out = []
    for name in os.listdir(folder):
        m = _NAME.match(name)
        if m:
            out.append((int(m.group(1)), os.path.join(folder, name)))
    return sorted(out)


def latest(folder: str) -> Optional[str]:
    """Path of the newest checkpoint in ``folder`` (None if there is none)."""
    found = list_checkpoints(folder)
    return found[-1][1] if found else None


def prune(folder: str, keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints (and stale temporary files)."""
    found = list_checkpoints(folder)
    for _, path in found[:-keep] if keep > 0 else found:
        os.unlink(path)
    for name in os.listdir(folder):
        if name.startswith(".tmp-") and name.endswith(".partial"):
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:  # pragma: no cover - raced with another cleaner
                pass


# ---------------------------------------------------------------------------- RNG states
def rng_state() -> dict:
    """Global torch RNG states as uint8 tensors (CPU, and every CUDA device if initialised)."""
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        cuda = [s.cpu() for s in state["cuda"]]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


__all__ = ["save", "load", "latest", "list_checkpoints", "prune", "path_for", "atomic_write_bytes",
           "atomic_write_text", "rng_state", "set_rng_state"]
