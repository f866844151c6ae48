"""Checkpoints: atomic writes, keep-last-K, and loading with ``torch.load(weights_only=True)`` only.

A checkpoint is a dict of tensors and plain values (numbers, strings, lists, dicts): model and EMA
weights, optimiser state, step, random-number-generator states (as uint8 tensors) and the
resolved config. It is written to a temporary file in the same folder, flushed and fsync'ed,
then renamed over the target (``os.replace`` is atomic on POSIX), and the folder is fsync'ed: a
crash at any point leaves either the old file or the new one, never a torn file. Temporary
files never match the checkpoint pattern, so an interrupted write is invisible to ``latest``.

Integrity: beside every ``ckpt-N.pt`` lies ``ckpt-N.pt.sha256`` (``sha256sum`` format), the SHA-256
of the file's bytes, written (atomically) *before* the checkpoint itself, so every checkpoint has its
hash; :func:`load` recomputes it and refuses a file whose bytes changed (one flipped byte in the
optimiser state would otherwise resume silently with changed tensors). :func:`latest_good` walks
back from the newest checkpoint to the newest one that loads, warning with the name of each bad file.

Loading uses PyTorch's restricted unpickler (``weights_only=True``): a file that would run code
(a pickle ``__reduce__`` payload) is refused before anything in it executes.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import tempfile
import warnings
from typing import Any, Callable, List, Optional

import torch

FORMAT = "scoresde-checkpoint"
VERSION = 1
_NAME = re.compile(r"^ckpt-(\d{8,})\.pt$")
_SIDECAR = re.compile(r"^ckpt-(\d{8,})\.pt\.sha256$")
HASH_SUFFIX = ".sha256"
_CHUNK = 1 << 16


class CheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped in favour of an older, intact one."""


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
    """Write a checkpoint dict atomically, with its SHA-256 in ``path + '.sha256'`` (written first).

    Values must be tensors or plain Python values.
    """
    payload = {"format": FORMAT, "version": VERSION, **state}
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getbuffer()
    digest = hashlib.sha256(data).hexdigest()
    atomic_write_text(path + HASH_SUFFIX, f"{digest}  {os.path.basename(path)}\n")

    def write(f):
        for i in range(0, len(data), _CHUNK):
            f.write(data[i:i + _CHUNK])

    _atomic_write(path, write)


def _stored_hash(path: str) -> Optional[str]:
    side = path + HASH_SUFFIX
    if not os.path.isfile(side):
        return None
    with open(side, "rb") as f:
        head = f.read(200).split()
    digest = head[0].decode("ascii", "replace").lower() if head else ""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"checkpoint {path!r}: its hash file {os.path.basename(side)!r} is not a SHA-256 line")
    return digest


def load(path: str, map_location: Any = "cpu") -> dict:
    """Load a checkpoint: check its SHA-256, then ``torch.load(weights_only=True)``; ValueError otherwise.

    Every refusal is one line naming the file and what is wrong with it.
    """
    if os.path.isdir(path):
        raise ValueError(f"checkpoint {path!r} is a directory, not a checkpoint file")
    if not os.path.isfile(path):
        raise ValueError(f"checkpoint {path!r} does not exist")
    with open(path, "rb") as f:
        data = f.read()
    expected = _stored_hash(path)
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        raise ValueError(f"checkpoint {path!r} is damaged: its SHA-256 differs from the one recorded in "
                         f"{os.path.basename(path) + HASH_SUFFIX!r} when it was written")
    try:
        obj = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        why = next((ln for ln in lines if "GLOBAL" in ln or "Unsupported" in ln), None)
        if why is None:
            raise ValueError(f"checkpoint {path!r} is not a PyTorch checkpoint file "
                             f"({(lines or [type(e).__name__])[0][:120]})") from None
        raise ValueError(f"checkpoint {path!r} refused: it holds objects other than tensors and plain "
                         f"values, which could run code when loaded ({why}); scoresde never loads such files") from None
    except Exception as e:  # noqa: BLE001 - torch.load raises KeyError, RuntimeError, EOFError, ... on junk
        msg = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise ValueError(f"checkpoint {path!r} is unreadable (truncated or not a PyTorch file): {msg}") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path!r} is not a {FORMAT} file")
    if obj.get("version") != VERSION:
        raise ValueError(f"checkpoint {path!r} has version {str(obj.get('version'))[:20]!r}; "
                         f"this scoresde reads version {VERSION}")
    if expected is None:
        raise ValueError(f"checkpoint {path!r} has no content hash ({os.path.basename(path) + HASH_SUFFIX!r} "
                         f"is missing), so its integrity cannot be checked; if you trust the file, write one "
                         f"with: sha256sum {os.path.basename(path)} > {os.path.basename(path) + HASH_SUFFIX}")
    return obj


def check_training_state(state: dict, path: str) -> dict:
    """Refuse (ValueError naming ``path``) a checkpoint dict that lacks what a training run writes."""
    model = state.get("model")
    if not isinstance(model, dict) or not model:
        raise ValueError(f"checkpoint {path!r} has no 'model' weights (a dict of tensors)")
    bad = next((k for k, v in model.items() if not isinstance(v, torch.Tensor)), None)
    if bad is not None:
        raise ValueError(f"checkpoint {path!r}: model entry {str(bad)[:80]!r} is not a tensor")
    step = state.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"checkpoint {path!r}: 'step' must be a non-negative integer, got {str(step)[:40]!r}")
    shape = state.get("data_shape")
    if not (isinstance(shape, list) and shape and all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 1 << 16
                                                      for d in shape)):
        raise ValueError(f"checkpoint {path!r}: 'data_shape' must be a list of positive integers")
    return state


def load_state_into(module: torch.nn.Module, weights: dict, path: str, what: str = "model") -> None:
    """``module.load_state_dict(weights)``, with a mismatch reported as one line naming ``path``."""
    try:
        module.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError, ValueError) as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        detail = "; ".join(lines[1:3]) if len(lines) > 1 else (lines[0] if lines else type(e).__name__)
        raise ValueError(f"checkpoint {path!r}: its {what} weights do not fit this run's network: {detail[:300]}") from None


def latest_good(folder: str, check: Optional[Callable[[dict, str], Any]] = None,
                map_location: Any = "cpu") -> Optional[tuple[str, dict]]:
    """(path, state) of the newest checkpoint in ``folder`` that loads (and passes ``check``).

    Each damaged newer checkpoint is skipped with a :class:`CheckpointWarning` naming the file and the
    reason. None if the folder has no checkpoint; ValueError if it has some but none is intact.
    """
    found = list_checkpoints(folder)
    bad = []
    for _, path in reversed(found):
        try:
            state = load(path, map_location=map_location)
            if check is not None:
                check(state, path)
        except ValueError as e:
            bad.append(str(e))
            continue
        for reason in bad:  # one line per damaged file, naming it and the checkpoint used instead
            warnings.warn(f"{reason}; using the older checkpoint {os.path.basename(path)!r} instead",
                          CheckpointWarning, stacklevel=2)
        return path, state
    if bad:
        raise ValueError(f"no intact checkpoint in {folder!r}: {len(bad)} damaged; the newest: {bad[0]}")
    return None


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
    """Delete all but the newest ``keep`` checkpoints (with their hash files), stale temporary files
    and hash files whose checkpoint is gone."""
    found = list_checkpoints(folder)
    for _, path in found[:-keep] if keep > 0 else found:
        os.unlink(path)
    for name in os.listdir(folder):
        stale = name.startswith(".tmp-") and name.endswith(".partial")
        if _SIDECAR.match(name) and not os.path.exists(os.path.join(folder, name[:-len(HASH_SUFFIX)])):
            stale = True
        if stale:
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


__all__ = ["save", "load", "latest", "latest_good", "check_training_state", "load_state_into", "CheckpointWarning", "list_checkpoints", "prune", "path_for", "atomic_write_bytes",
           "atomic_write_text", "rng_state", "set_rng_state"]
