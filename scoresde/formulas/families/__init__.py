"""The registry's families: one module per family, each exporting ``ENTRIES: list[Entry]``.

A new family is one file in this package plus one line in :data:`FAMILIES` (see NOTES in docs/verify.md).
The registry is the concatenation of the families' entries, in this order.
"""
from __future__ import annotations

from importlib import import_module
from typing import List

from ..entry import Entry

#: the family modules, in registry order (a new family = one file + one line here)
FAMILIES: List[str] = [
    "forward_sde",
    "reverse_sde",
    "kernels",
    "chains",
    "reverse_steps",
    "samplers",
    "schedules",
    "prior",
    "params",
    "dpm_solver",
    "edm",
    "edm_sde",
    "edm_table",
    "consistency",
    "kdiff_ancestral",
    "posteriors",
    "explicit",
    "ve_tutorial",
    "logsnr",
    "objectives",
    "guidance",
    "likelihood",
    "noise_levels",
    "general_sde",
    "moments",
    "sde_parts",
    "likelihood_ode",
    "sde_family",
]


def all_entries() -> List[Entry]:
    """Every family's ENTRIES, in FAMILIES order."""
    out: List[Entry] = []
    for name in FAMILIES:
        out.extend(import_module(f"{__name__}.{name}").ENTRIES)
    return out
