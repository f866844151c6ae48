"""Checks every ``scoresde`` subcommand applies to its arguments before any work (issue 17).

Each raises ``ValueError`` whose message starts with the option as the user typed it (``--json``,
``--nfe``); ``scoresde.cli.main`` prints it as one line and exits with status 2. Also the help
formatter every subcommand uses (every default shown, no word broken at a hyphen).
"""
from __future__ import annotations

import argparse
import copy
import os
import tempfile
from typing import List, Optional, Sequence

#: the most score evaluations one run may ask for (grids.MAX_STEPS steps of one evaluation)
MAX_NFE = 10**6
#: the most samples / data points one command may ask for
MAX_N = 10**7
#: the most bytes of a text input (documents, claims files, LaTeX) read into memory
MAX_TEXT_BYTES = 20 * 2**20


# ---------------------------------------------------------------------------- output paths
def _probe_dir(option: str, path: str, folder: str) -> None:
    """Create and delete a temporary file in ``folder`` (permissions alone miss /proc and read-only mounts)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".scoresde-probe-", dir=folder)
    except OSError as e:
        raise ValueError(f"{option}: cannot write {path!r}: {e.strerror or e} in folder {folder!r}") from None
    os.close(fd)
    os.unlink(tmp)


def _existing_ancestor(path: str) -> str:
    p = os.path.abspath(path)
    while not os.path.exists(p):
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return p


def output_file(option: str, path: Optional[str], allow_stdout: bool = False) -> None:
    """``path`` can be written as a file: not a folder, in an existing writable folder ('-' = stdout if allowed)."""
    if path is None:
        return
    if path == "-" and allow_stdout:
        return
    if path == "" or path.strip() != path:
        raise ValueError(f"{option}: give a file name, got {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{option}: {path!r} is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        anc = _existing_ancestor(folder)
        why = "is not a folder" if os.path.exists(anc) and not os.path.isdir(anc) else "does not exist"
        if why == "does not exist":
            raise ValueError(f"{option}: folder {folder!r} does not exist (cannot write {path!r})")
        raise ValueError(f"{option}: cannot write {path!r}: {anc!r} is not a folder")
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(f"{option}: {path!r} exists and is not a regular file")
    _probe_dir(option, path, folder)


def output_dir(option: str, path: Optional[str]) -> None:
    """``path`` is (or can be created as) a writable folder; nothing is created here."""
    if path is None:
        return
    if path == "" or path.strip() != path:
        raise ValueError(f"{option}: give a folder name, got {path!r}")
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ValueError(f"{option}: {path!r} exists and is a file, not a folder")
        _probe_dir(option, path, path)
        return
    anc = _existing_ancestor(path)
    if not os.path.isdir(anc):
        raise ValueError(f"{option}: cannot create folder {path!r}: {anc!r} is a file, not a folder")
    _probe_dir(option, path, anc)


# ---------------------------------------------------------------------------- inputs
def existing_file(option: str, path: Optional[str]) -> None:
    """An existing regular file (binary allowed, e.g. a checkpoint); a folder is named as such."""
    if path is None:
        return
    if os.path.isdir(path):
        raise ValueError(f"{option}: {path!r} is a folder, not a file")
    if not os.path.exists(path):
        raise ValueError(f"{option}: no such file {path!r}")
    if not os.path.isfile(path):
        raise ValueError(f"{option}: {path!r} is not a regular file")


def input_file(option: str, path: str) -> None:
    """An existing, readable regular file of UTF-8 text (at most MAX_TEXT_BYTES); the message names the file."""
    if not os.path.exists(path):
        raise ValueError(f"{option}: no such file {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{option}: {path!r} is a folder, not a file")
    if not os.path.isfile(path):
        raise ValueError(f"{option}: {path!r} is not a regular file")
    size = os.path.getsize(path)
    if size > MAX_TEXT_BYTES:
        raise ValueError(f"{option}: {path!r} has {size:_} bytes; at most {MAX_TEXT_BYTES:_} are read")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise ValueError(f"{option}: cannot read {path!r}: {e.strerror or e}") from None
    if b"\x00" in data:
        raise ValueError(f"{option}: {path!r} is a binary file (it holds NUL bytes), not text")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{option}: {path!r} is not UTF-8 text (byte {e.start}: {data[e.start:e.start + 1]!r})") from None


def nonempty(option: str, value: Optional[str], what: str = "value") -> None:
    """A string option that was given must not be empty or blank (``--sde ""`` is an error, not 'all')."""
    if value is not None and not value.strip(", \t"):
        raise ValueError(f"{option}: empty {what}; give at least one (or leave {option} out for the default)")


def int_range(option: str, value: Optional[int], lo: int, hi: int) -> Optional[int]:
    """``lo <= value <= hi`` (None passes: the option was not given)."""
    if value is None:
        return None
    if value < lo or value > hi:
        raise ValueError(f"{option} must be in [{lo:_}, {hi:_}], got {value:_}")
    return value


def positive_float(option: str, value: Optional[float]) -> Optional[float]:
    import math

    if value is not None and not (math.isfinite(value) and value > 0):
        raise ValueError(f"{option} must be a finite number > 0, got {value}")
    return value


def device(option: str, value: Optional[str], allow_auto: bool = True) -> Optional[str]:
    """auto, cpu, cuda or cuda:N; CUDA must be available (and N must exist) when asked for."""
    if value is None:
        return None
    v = value.strip()
    valid = ("auto, " if allow_auto else "") + "cpu, cuda, cuda:N"
    if v in ("cpu",) or (allow_auto and v == "auto"):
        return v
    head, _, idx = v.partition(":")
    if head != "cuda" or (_ and not idx.isdigit()):
        raise ValueError(f"{option}: unknown device {value!r}; valid: {valid}")
    import torch

    if not torch.cuda.is_available():
        raise ValueError(f"{option}: {v!r} requested but CUDA is not available on this machine")
    if idx and int(idx) >= torch.cuda.device_count():
        raise ValueError(f"{option}: {v!r} requested but this machine has {torch.cuda.device_count()} CUDA device(s)")
    return v


# ---------------------------------------------------------------------------- help
class HelpFormatter(argparse.HelpFormatter):
    """Shows every option's default (ArgumentDefaultsHelpFormatter-like: flags and None defaults excepted,
    helps that already say 'default' untouched) and never breaks a word at a hyphen (``--corrector-steps``)."""

    def _format_action(self, action):
        if (action.option_strings and action.nargs != 0 and action.default is not None
                and action.default is not argparse.SUPPRESS and not action.help):
            action = copy.copy(action)
            action.help = "(default: %(default)s)"  # a help line for the default alone
        return super()._format_action(action)

    def _get_help_string(self, action):
        h = action.help or ""
        if (action.option_strings and action.nargs != 0 and action.default is not None
                and action.default is not argparse.SUPPRESS and action.default != []
                and "default" not in h.lower()):
            h = (h.strip() + " " if h.strip() else "") + "(default: %(default)s)"
        return h

    def _split_lines(self, text, width):
        import textwrap

        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)

    def _fill_text(self, text, width, indent):
        import textwrap

        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False, break_long_words=False)


class RawDescriptionHelpFormatter(HelpFormatter):
    """:class:`HelpFormatter` that keeps the description's and epilog's line breaks."""

    def _fill_text(self, text, width, indent):
        return "".join(indent + line for line in text.splitlines(keepends=True))


def formatter_for(requested) -> type:
    """The project's formatter standing in for an argparse formatter class a subcommand asked for."""
    if requested is not None and issubclass(requested, argparse.RawDescriptionHelpFormatter):
        return RawDescriptionHelpFormatter
    return HelpFormatter


def config_defaults(parser: argparse.ArgumentParser, config, fields: dict) -> None:
    """Append each config-backed option's default to its help: ``fields`` maps an option (``--steps``) to
    a dotted config field (``train.steps``) read from ``config`` (e.g. the default Config())."""
    for a in parser._actions:
        for opt in a.option_strings:
            if opt in fields:
                value = config
                for part in fields[opt].split("."):
                    value = getattr(value, part)
                a.help = f"{a.help or fields[opt]} (default: {value}, from the config)".replace("%", "%%")
    return None


def option_of(parser: argparse.ArgumentParser, name: str) -> Optional[str]:
    """The option string (``--rtol``) of the argument whose dest is ``name`` (``rtol``), if any."""
    for a in parser._actions:
        if a.dest == name and a.option_strings:
            return max(a.option_strings, key=len)
    return None


# ---------------------------------------------------------------------------- compare
def compare_runs(samplers: Sequence, sdes: Sequence, grid_of) -> None:
    """Refuse a compare run that would do nothing: every named sampler must apply to some chosen SDE."""
    from ..sampler import check_compatible

    reasons: List[str] = []
    for spec in samplers:
        why = []
        if getattr(spec, "kind", "fixed") != "fixed":  # adaptive solvers and peers' samplers: no steps to check
            continue
        for sde in sdes:
            grid = grid_of(sde)
            try:
                p, c = spec.steps_for(sde, grid)
                check_compatible(sde, grid, p, c)
                break
            except ValueError as e:
                why.append(f"{sde.name}: {e}")
        else:
            reasons.append(f"sampler {spec.name!r} applies to none of the chosen SDEs ({'; '.join(why)})")
    if reasons:
        raise ValueError("--samplers: " + "; ".join(reasons) + "; drop it or add an SDE it applies to with --sde")


__all__ = ["MAX_NFE", "MAX_N", "MAX_TEXT_BYTES", "output_file", "output_dir", "input_file", "existing_file", "nonempty", "int_range",
           "positive_float", "device", "HelpFormatter", "RawDescriptionHelpFormatter", "formatter_for", "option_of", "config_defaults",
           "compare_runs"]
