"""Reading documents and claims files within bounds: size limit, strict UTF-8, YAML without alias bombs.

Every problem is a :class:`FileProblem` (a ``ValueError``) whose message starts with the path, so the
CLI can report it on one line and go on with the other files.
"""
from __future__ import annotations

import os

import yaml

__all__ = ["FileProblem", "MAX_BYTES", "MAX_YAML_ALIASES", "read_text", "load_yaml"]

#: default size limit of one document or claims file (``scoresde verify --max-bytes``)
MAX_BYTES = 2_000_000
#: YAML aliases (``*anchor``) allowed in a claims file; "billion laughs" files use thousands
MAX_YAML_ALIASES = 100


class FileProblem(ValueError):
    """A file that cannot be verified (missing, too large, not UTF-8, hostile YAML); the message names it."""


def read_text(path: str, max_bytes: int = MAX_BYTES) -> str:
    """The file's text, refusing files over ``max_bytes`` and bytes that are not UTF-8."""
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise FileProblem(f"{path}: cannot read it ({err.strerror})") from None
    if size > max_bytes:
        raise FileProblem(f"{path}: {size / 1e6:.1f} MB is over the size limit of {max_bytes / 1e6:.1f} MB "
                          "(raise it with --max-bytes, or split the document)")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as err:
        raise FileProblem(f"{path}: cannot read it ({err.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise FileProblem(f"{path}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}, line {line}); "
                          "save it as UTF-8") from None


def load_yaml(path: str, max_bytes: int = MAX_BYTES):
    """``yaml.safe_load`` of a bounded UTF-8 file, refusing more than :data:`MAX_YAML_ALIASES` aliases."""
    text = read_text(path, max_bytes)
    try:
        aliases = 0
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise FileProblem(f"{path}: more than {MAX_YAML_ALIASES} YAML aliases (*anchor references); "
                                      "a claims file needs none (alias bombs are refused)")
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise FileProblem(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
