"""Training configuration: dataclasses <-> JSON/YAML, strictly validated.

Every field is checked for type and range when a config is built from a mapping; an unknown key
or a bad value raises ``ValueError`` naming the dotted field (e.g. ``model.channel_mult``).
The run folder stores the *resolved* config (data-dependent defaults such as ``model.sigma_data``
filled in); ``--resume`` refuses a config that differs from it outside ``RESUMABLE``.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union, get_args, get_origin, get_type_hints

from .._yaml import safe_load_bounded, short
from ..nets import EMBEDDINGS, PRECONDS
from ..params import KINDS
from ..sde import SDES
from .data import DATASETS

ARCHS = ("auto", "mlp", "unet")
WEIGHTINGS = ("eps", "likelihood")
REDUCTIONS = ("mean", "sum")
SCHEDULES = ("constant", "cosine")
PRECISIONS = ("fp32", "bf16", "fp16")
_DEVICE_RE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")

#: fields that may differ on --resume (they do not change what is computed up to the saved step)
RESUMABLE = frozenset({"train.steps", "train.log_every", "train.ckpt_every", "train.keep", "train.device",
                       "train.log_every_s", "train.ckpt_every_s", "train.first_ckpt"})
_STEPS_MAX = 10**9
_SEED_MAX = 2**63 - 1
MAX_CONFIG_BYTES = 1 << 20


def _f(default, help: str = "", *, choices=None, ge=None, gt=None, lt=None, le=None, check=None):
    meta = {"help": help, "choices": choices, "ge": ge, "gt": gt, "lt": lt, "le": le, "check": check}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def _device_ok(v: str) -> Optional[str]:
    return None if _DEVICE_RE.match(v) else "expected 'auto', 'cpu', 'cuda' or 'cuda:N'"


def _even(v: int) -> Optional[str]:
    return None if v % 2 == 0 else "must be even"


def _mults(v: list) -> Optional[str]:
    if not v:
        return "must be a non-empty list"
    if len(v) > 8:
        return "at most 8 resolution levels"
    return None if all(1 <= m <= 64 for m in v) else "entries must be in [1, 64]"


@dataclass
class DataConfig:
    name: str = _f("gmm2d", "data set", choices=tuple(DATASETS))
    n: Optional[int] = _f(None, "examples used (synthetic: drawn; real: first n after shuffling); null: default/all",
                          ge=1, le=10**8)
    seed: int = _f(0, "seed of the data draw / shuffle", ge=0, le=_SEED_MAX)


@dataclass
class SDEConfig:
    name: str = _f("vp", "forward SDE", choices=tuple(SDES))
    params: Dict[str, Any] = _f({}, "constructor arguments of the SDE (e.g. beta_max, sigma_max)")


@dataclass
class ModelConfig:
    arch: str = _f("auto", "network: mlp, unet, or auto (unet for images, mlp otherwise)", choices=ARCHS)
    kind: str = _f("eps", "what the network predicts", choices=KINDS)
    precond: str = _f("none", "output preconditioning ('edm': Karras et al. 2022 denoiser, kind x0)", choices=PRECONDS)
    sigma_data: Optional[float] = _f(None, "data std for c_in/c_skip/c_out; null: measured on the data", gt=0.0, le=1e6)
    embedding: str = _f("fourier", "time embedding", choices=EMBEDDINGS)
    emb_dim: int = _f(128, "time embedding width", ge=2, le=8192, check=_even)
    fourier_scale: float = _f(16.0, "std of the Fourier frequencies", gt=0.0, le=1e4)
    hidden: int = _f(256, "MLP width", ge=1, le=16384)
    depth: int = _f(3, "MLP residual blocks", ge=1, le=256)
    channels: int = _f(64, "U-Net base channels", ge=4, le=4096)
    channel_mult: List[int] = _f([1, 2], "U-Net channel multiplier per resolution level", check=_mults)
    num_res_blocks: int = _f(2, "U-Net residual blocks per level", ge=1, le=64)
    attention: bool = _f(True, "U-Net self-attention at the lowest resolution")
    dropout: float = _f(0.0, "dropout probability", ge=0.0, lt=1.0)


@dataclass
class LossConfig:
    weighting: str = _f("eps", "lambda(t): 'eps' = s(t)^2 (the eps-loss), 'likelihood' = g(t)^2", choices=WEIGHTINGS)
    reduce: str = _f("mean", "reduce the squared error over data dimensions by mean or sum", choices=REDUCTIONS)


@dataclass
class OptimConfig:
    lr: float = _f(2e-4, "AdamW learning rate", gt=0.0, le=10.0)
    weight_decay: float = _f(0.0, "AdamW decoupled weight decay", ge=0.0, le=100.0)
    beta1: float = _f(0.9, "AdamW beta1", ge=0.0, lt=1.0)
    beta2: float = _f(0.999, "AdamW beta2", ge=0.0, lt=1.0)
    eps: float = _f(1e-8, "AdamW epsilon", gt=0.0, le=1.0)
    warmup: int = _f(100, "linear learning-rate warm-up steps", ge=0, le=_STEPS_MAX)
    schedule: str = _f("constant", "learning rate after warm-up", choices=SCHEDULES)
    grad_clip: float = _f(1.0, "max global gradient norm (0: off)", ge=0.0, le=1e9)


@dataclass
class TrainConfig:
    steps: int = _f(10_000, "optimisation steps", ge=1, le=_STEPS_MAX)
    batch_size: int = _f(256, "global batch size (split over processes)", ge=1, le=1 << 20)
    seed: int = _f(0, "seed of initialisation, data order and noise", ge=0, le=_SEED_MAX)
    ema: bool = _f(True, "keep an exponential moving average of the weights (used for sampling)")
    ema_decay: float = _f(0.999, "EMA decay", ge=0.0, lt=1.0)
    ema_warmup: bool = _f(True, "ramp the EMA decay up as min(decay, (1+n)/(10+n))")
    log_every: int = _f(100, "steps between metrics lines", ge=1, le=_STEPS_MAX)
    log_every_s: float = _f(30.0, "seconds between progress lines on stderr when it is not a TTY (0: off)",
                            ge=0.0, le=1e6)
    ckpt_every: int = _f(1000, "steps between checkpoints", ge=1, le=_STEPS_MAX)
    ckpt_every_s: float = _f(60.0, "also checkpoint when this many seconds passed since the last one (0: off)",
                             ge=0.0, le=1e6)
    first_ckpt: int = _f(50, "an early first checkpoint at this step (0: off)", ge=0, le=_STEPS_MAX)
    keep: int = _f(3, "checkpoints kept", ge=1, le=10_000)
    device: str = _f("auto", "auto, cpu, cuda or cuda:N", check=_device_ok)
    precision: str = _f("fp32", "autocast dtype of the network (bf16/fp16; fp16 needs CUDA)", choices=PRECISIONS)


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    sde: SDEConfig = field(default_factory=SDEConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    # -------------------------------------------------------------- conversions
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        """Build and validate a config from a (possibly partial) mapping; missing keys take defaults."""
        return _build(cls, d, "")

    def replace(self, overrides: Dict[str, Any]) -> "Config":
        """A validated copy with dotted-key overrides, e.g. {"model.hidden": 128}."""
        d = self.to_dict()
        for key, value in overrides.items():
            parts = key.split(".")
            node, where = d, "config"
            for i, p in enumerate(parts[:-1]):
                if not isinstance(node, dict) or p not in node:
                    raise ValueError(f"{'.'.join(parts[:i + 1])}: unknown key; valid keys of {where}: {', '.join(node)}")
                node, where = node[p], ".".join(parts[:i + 1])
            free = where == "sde.params"  # SDE arguments are checked against the SDE's constructor
            if not isinstance(node, dict) or (parts[-1] not in node and not free):
                valid = ", ".join(node) if isinstance(node, dict) else "(none: not a section)"
                raise ValueError(f"{key}: unknown key; valid keys of {where}: {valid}")
            node[parts[-1]] = value
        return Config.from_dict(d)

    def diff(self, other: "Config") -> List[tuple]:
        """[(dotted field, self value, other value)] for every leaf that differs."""
        a, b = _flatten(self.to_dict()), _flatten(other.to_dict())
        return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


# ---------------------------------------------------------------------------- validation
def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and (v or key != "sde.params"):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _describe(tp) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _check_scalar(path: str, value, tp):
    if tp is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{path}: expected true or false, got {short(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{path}: expected an integer, got {short(value)}")
        return int(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{path}: expected a number, got {short(value)}")
        if not math.isfinite(float(value)):
            raise ValueError(f"{path}: expected a finite number, got {short(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ValueError(f"{path}: expected a string, got {short(value)}")
        return value
    raise TypeError(f"unsupported config type {tp}")  # pragma: no cover - programming error


def _check_field(path: str, value, tp, meta: dict):
    origin = get_origin(tp)
    if origin is Union:
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        tp, origin = args[0], get_origin(args[0])
    if origin in (list, List):
        (item,) = get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{path}: expected a list of {_describe(item)}s, got {short(value)}")
        value = [_check_scalar(f"{path}[{i}]", v, item) for i, v in enumerate(value)]
    elif origin in (dict, Dict):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"{path}: expected a mapping with string keys, got {short(value)}")
        for k, v in value.items():
            if not (v is None or isinstance(v, (bool, int, float, str))):
                raise ValueError(f"{path}.{k}: expected a number, string, boolean or null, got {short(v)}")
        value = dict(value)
    else:
        value = _check_scalar(path, value, tp)
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ValueError(f"{path}: expected one of {', '.join(map(str, choices))}; got {short(value)}")
    for op, bad, word in (("ge", lambda v, b: v < b, ">="), ("gt", lambda v, b: v <= b, ">"),
                          ("le", lambda v, b: v > b, "<="), ("lt", lambda v, b: v >= b, "<")):
        bound = meta.get(op)
        if bound is not None and bad(value, bound):
            shown = f"{bound:g}" if isinstance(bound, float) else str(bound)
            raise ValueError(f"{path}: must be {word} {shown}, got {short(value)}")
    check = meta.get("check")
    if check is not None:
        msg = check(value)
        if msg:
            raise ValueError(f"{path}: {msg}, got {short(value)}")
    return value


def _build(cls, d, prefix: str):
    where = prefix.rstrip(".") or "config"
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(d).__name__}")
    hints = get_type_hints(cls)
    names = {f.name: f for f in dataclasses.fields(cls)}
    for key in d:
        if key not in names:
            raise ValueError(f"{prefix}{key}: unknown key; valid keys of {where}: {', '.join(names)}")
    kwargs = {}
    for name, f in names.items():
        if name not in d:
            continue
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, d[name], f"{prefix}{name}.")
        else:
            kwargs[name] = _check_field(f"{prefix}{name}", d[name], tp, dict(f.metadata))
    obj = cls(**kwargs)
    if cls is Config:
        _cross_check(obj)
    return obj


def _cross_check(cfg: Config) -> None:
    """Checks that involve several fields (single-field checks ran while building)."""
    if cfg.model.precond == "edm" and cfg.model.kind != "x0":
        raise ValueError(f"model.kind: the EDM preconditioning (model.precond = edm) predicts x0; "
                         f"set model.kind to x0, got {cfg.model.kind!r}")
    ctor = SDES[cfg.sde.name]
    allowed = [p for p in inspect.signature(ctor).parameters if p not in ("self", "cls")]
    for k in cfg.sde.params:
        if k not in allowed:
            raise ValueError(f"sde.params.{k}: not a parameter of SDE {cfg.sde.name!r}; valid: {', '.join(allowed)}")
    try:
        ctor(**cfg.sde.params)
    except (TypeError, ValueError) as e:
        raise ValueError(f"sde.params: {e}") from None


# ---------------------------------------------------------------------------- files
def read_config_mapping(path: str) -> dict:
    """The raw mapping of a .json/.yaml/.yml config file (bounded size, bounded YAML; not yet validated)."""
    ext = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        raise ValueError(f"config file {path!r} is a directory")
    if not os.path.isfile(path):
        raise ValueError(f"config file {path!r} does not exist")
    if ext not in (".json", ".yaml", ".yml"):
        raise ValueError(f"config file {path!r}: expected a .json, .yaml or .yml file")
    size = os.path.getsize(path)
    if size > MAX_CONFIG_BYTES:
        raise ValueError(f"config file {path!r}: {size} bytes; a config is at most {MAX_CONFIG_BYTES} bytes")
    with open(path, "rb") as f:
        raw = f.read(MAX_CONFIG_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"config file {path!r} is not UTF-8 text") from None
    if ext == ".json":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"config file {path!r}: invalid JSON: {e}") from None
        except RecursionError:
            raise ValueError(f"config file {path!r}: JSON nested too deeply") from None
    else:
        import yaml

        try:
            d = safe_load_bounded(text)
        except yaml.YAMLError as e:
            raise ValueError(f"config file {path!r}: invalid YAML: {short(str(e).splitlines()[0], 200)}") from None
        except ValueError as e:
            raise ValueError(f"config file {path!r}: {e}") from None
        d = {} if d is None else d
    if not isinstance(d, dict):
        raise ValueError(f"config file {path!r}: expected a mapping of sections, got {type(d).__name__}")
    return d


def load_config(path: str) -> Config:
    """Read a config from .json, .yaml or .yml (partial configs take defaults).

    At most ``MAX_CONFIG_BYTES`` are read; YAML is parsed with bounded alias expansion and YAML 1.2
    numbers (``lr: 1e-3`` is a float), see :mod:`scoresde._yaml`.
    """
    d = read_config_mapping(path)
    try:
        return Config.from_dict(d)
    except ValueError as e:
        raise ValueError(f"config file {path!r}: {e}") from None


def mapping_overrides(d: dict, where: str = "config") -> Dict[str, Any]:
    """A (partial) nested config mapping as dotted-key overrides for :meth:`Config.replace`."""
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(d).__name__}")
    return _flatten(d)


def dump_config(cfg: Config, path: str) -> None:
    """Write ``cfg`` as JSON or YAML (by extension), atomically."""
    from .checkpoint import atomic_write_text

    ext = os.path.splitext(path)[1].lower()
    if ext == ".json":
        text = json.dumps(cfg.to_dict(), indent=2, sort_keys=False) + "\n"
    elif ext in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(cfg.to_dict(), sort_keys=False)
    else:
        raise ValueError(f"config file {path!r}: expected a .json, .yaml or .yml file")
    atomic_write_text(path, text)


def parse_override(item: str) -> tuple[str, Any]:
    """'model.hidden=128' -> ('model.hidden', 128); the value is parsed as YAML (so 1e-3, true, [1, 2] work)."""
    import yaml

    if "=" not in item:
        raise ValueError(f"--set expects KEY=VALUE, got {short(item)}")
    key, raw = item.split("=", 1)
    if len(raw) > 10_000:
        raise ValueError(f"--set {key.strip()}: value of {len(raw)} characters; at most 10000")
    try:
        value = safe_load_bounded(raw, max_nodes=10_000) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    except ValueError as e:
        raise ValueError(f"--set {key.strip()}: {e}") from None
    return key.strip(), value


__all__ = ["Config", "DataConfig", "SDEConfig", "ModelConfig", "LossConfig", "OptimConfig", "TrainConfig",
           "RESUMABLE", "load_config", "read_config_mapping", "mapping_overrides", "dump_config", "parse_override"]
