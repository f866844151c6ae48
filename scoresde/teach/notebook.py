"""Helpers for the notebooks in ``notebooks/`` (jupytext py:percent sources, one per derivation).

``show_derivation`` runs a derivation and shows it as rendered markdown (LaTeX) inside Jupyter, as text
elsewhere, and raises if a check failed; ``check`` verifies an exercise's answer.
"""
from __future__ import annotations

import io
import math
from typing import Any

from . import run_topic
from .core import Outcome


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def show_derivation(key: str, *, fast: bool = True) -> Outcome:
    """Run derivation ``key``; display its markdown (Jupyter) or print it; AssertionError if a check failed."""
    buf = io.StringIO()
    out = run_topic(key, fast=fast, stream=buf, fmt="markdown")
    if _in_kernel():
        from IPython.display import Markdown, display

        display(Markdown(buf.getvalue()))
    else:
        print(buf.getvalue())
    if not out.passed:
        raise AssertionError("failed checks:\n" + "\n".join(c.line() for c in out.failures))
    return out


def check(name: str, answer: Any, expected: float, *, rel: float = 1e-6, abs_tol: float = 1e-12) -> None:
    """Check an exercise answer against the expected number: AssertionError (with both values) if it is off."""
    if answer is None:
        raise AssertionError(f"{name}: no answer yet (replace None with your answer)")
    a = float(answer)
    if not math.isclose(a, float(expected), rel_tol=rel, abs_tol=abs_tol):
        raise AssertionError(f"{name}: your answer {a!r} differs from the expected {float(expected)!r} (rel. tolerance {rel:g})")
    print(f"{name}: correct ({a:.6g})")
