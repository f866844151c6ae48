"""Time labels of the multi-time vocabulary: the time point a token or a subscript names (t, s, t_i-1, s_2i, τ_i,
t-Δt, φ_t, λ'), index shifts, and two-point subscripts t|s (Kingma et al. 2021, Eq. 4)."""
from __future__ import annotations

import re
from typing import Optional, Tuple

__all__ = ["label_of", "_IDX", "_shift", "_sub_label", "_pair"]

_IDX = re.compile(r"^(?P<k>\d*)i(?P<o>[+-]\d+)?$")


def _shift(idx: str, by: int) -> Optional[str]:
    m = _IDX.match(idx)
    if m is None:
        return None
    o = int(m.group("o") or 0) + by
    return m.group("k") + "i" + (f"{o:+d}" if o else "")


def label_of(base: str, deco: str, sub: str) -> Optional[str]:
    """The time point a time token names: t, s, u, t_i, t_i-1, s_2i, τ_i-1, t-Δt, t̂_i, λ (None if not a time token)."""
    if base == "φ" and deco == "":  # an angle names its time point (Salimans & Ho 2022, Sec. 4)
        lab = "φ" + ("_" + sub.replace("{", "").replace("}", "") if sub else "")
        return lab if _sub_label(lab) else None
    if base not in ("t", "s", "τ", "λ", "u") or deco not in ("", "hat"):
        return None
    head = base + ("\u0302" if deco == "hat" else "")
    if not sub:
        return head
    sub = sub.replace("{", "").replace("}", "")
    if re.fullmatch(r"[\w+\-Δ|]+", sub) is None:
        return None
    return head + "_" + sub


def _sub_label(sub: str) -> Optional[str]:
    """A subscript that itself is a time point: t, s, t_i-1, s_2i, τ_i, t-Δt."""
    sub = sub.replace("{", "").replace("}", "")
    if re.fullmatch(r"[tsu]|τ|λ", sub):
        return sub
    m = re.fullmatch(r"φ(_\w+)?([+-]δ)?", sub)
    if m:  # an angle φ_t, φ_t − δ of the angular parametrisation (Salimans & Ho 2022, Sec. 4) names its time point
        return sub
    if re.fullmatch(r"[ts]'{1,2}", sub):  # t', t'' (Salimans & Ho 2022, Alg. 2: the two DDIM steps t -> t' -> t'')
        return sub
    if re.fullmatch(r"λ(?:'|′|\^′)", sub):  # λ' of Ho & Salimans 2022 (Sec. 2): another log-SNR point
        return "λ'"
    if re.fullmatch(r"t[+-]Δt|t[+-]\d", sub):
        return sub
    m = re.fullmatch(r"([tsτ])_(\d*i(?:[+-]\d+)?|\d+)", sub)
    if m:
        return m.group(1) + "_" + m.group(2)
    return None


def _pair(sub: str) -> Optional[Tuple[str, str]]:
    """The two time points of a two-point subscript t|s, λ|λ' (None otherwise)."""
    a_, bar, b_ = sub.partition("|")
    if not bar:
        return None
    la, lb = _sub_label(a_), _sub_label(b_)
    return (la, lb) if la and lb and la != lb else None
