"""Text-level readings applied to a cell before it is parsed, each said in the verdict's notes: Song et al.'s
auxiliary β̄_i/N, indices on a sub-sequence S_t."""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["song_bar_beta", "strided_indices"]


_BARBETA = r"\\bar\s*\{?\s*\\beta\s*\}?\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])"
_BARBETA_OVER_N = re.compile(r"\\frac\s*\{\s*" + _BARBETA + r"\s*\}\s*\{\s*N\s*\}|" + _BARBETA + r"\s*/\s*N(?![A-Za-z_])")


def song_bar_beta(text: str) -> Tuple[str, List[str]]:
    """Song et al. 2021 (App. B) write the DDPM chain with the auxiliary β̄_i = Nβ_i (so that β̄_i → β(t) as N → ∞):
    β̄_i/N is their β_i. Every β̄_i appears divided by N in such a formula; it is then read as β_i (and said so)."""
    if not _BARBETA_OVER_N.search(text):
        return text, []
    out = _BARBETA_OVER_N.sub(lambda m: r"\beta_" + (m.group(1) or m.group(2)), text)
    if re.search(_BARBETA, out):  # a β̄_i not divided by N: another notation, left as written
        return text, []
    return out, ["β̄_i/N read as β_i (Song et al. 2021, App. B: β̄_i = Nβ_i)"]


_STRIDE = re.compile(r"_\s*\{\s*S\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])\s*\}")


def strided_indices(text: str) -> Tuple[str, List[str]]:
    """ᾱ_{S_t}, β_{S_t}, β̃_{S_{t−1}}: a schedule re-indexed on a sub-sequence S of the steps (Nichol & Dhariwal 2021,
    Sec. 4: β_{S_t} = 1 − ᾱ_{S_t}/ᾱ_{S_{t−1}}). The chain's relations hold on any sub-sequence with its own β, so the
    formula is read with S_t as the step t (and S_{t−1} as t − 1), and said so; only when every index is on S."""
    if not _STRIDE.search(text):
        return text, []
    out = _STRIDE.sub(lambda m: "_{" + m.group(1).strip("{}") + "}", text)
    if re.search(r"(?:alpha|beta)\s*\}?\s*_\s*(?:\{\s*)?[tk]", out) and re.search(
            r"(?:alpha|beta)\s*\}?\s*_\s*(?:\{\s*)?[tk]", re.sub(_STRIDE, "", text)):
        return text, []  # indices on S next to indices on the full chain: not re-indexed
    return out, ["S_t read as a step of the sub-sequence S (Nichol & Dhariwal 2021, Sec. 4: the schedule re-indexed on S)"]
