"""A schedule pair assigned in code as functions of the time: ``alpha, sigma = cos(t·π/2), sin(t·π/2)``.

v-diffusion (Crowson, ``t_to_alpha_sigma``) and the code of Salimans & Ho 2022 (Sec. 4, α_φ = cos φ, σ_φ = sin φ) write
the signal and noise scales of one time as ``alpha``, ``sigma`` (a tuple assignment or two statements), without the
time subscript the papers write. Beside each other, and both functions of the time t, they are VDM's α_t and
σ_t (Kingma et al. 2021, Eq. 1), not EDM's noise level σ(t): the pair gets the subscript t, and a
tuple assignment is read as its two assignments.
"""
from __future__ import annotations

import re
from typing import List, Optional

__all__ = ["code_schedule_pair"]

_TUPLE = re.compile(r"^\s*(alpha|sigma)\s*,\s*(alpha|sigma)\s*=\s*(.+?)\s*$")
_ONE = re.compile(r"^\s*(alpha|sigma)\s*=\s*(.+?)\s*$")


def _split_pair(rhs: str) -> Optional[List[str]]:
    depth, cut = 0, []
    for k, ch in enumerate(rhs):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            cut.append(k)
    if len(cut) != 1:
        return None
    return [rhs[:cut[0]].strip(), rhs[cut[0] + 1:].strip()]


def code_schedule_pair(text: str) -> str:
    """The code with alpha/sigma given the time subscript (module docstring), or as written."""
    if "alpha" not in text or "sigma" not in text or "\\" in text:
        return text
    stmts: List[tuple] = []
    for line in re.split(r"\s*(?:;|\n)\s*", text.strip()):
        if not line:
            continue
        m = _TUPLE.match(line)
        if m and m.group(1) != m.group(2):
            parts = _split_pair(m.group(3))
            if parts is None:
                return text
            stmts += [(m.group(1), parts[0]), (m.group(2), parts[1])]
            continue
        m = _ONE.match(line)
        if m is None:
            return text
        stmts.append((m.group(1), m.group(2)))
    if sorted(n for n, _ in stmts) != ["alpha", "sigma"]:
        return text
    if not all(re.search(r"(?<![A-Za-z_.])t(?![A-Za-z0-9_(])", e) for _, e in stmts):
        return text
    return "; ".join(f"{n}_t = {e}" for n, e in stmts)
