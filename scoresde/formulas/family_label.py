"""A cell labelled with its family (``\\text{sub-VP：} p_{0t}(…) = …``, ``VE SDE: dx = …``) claims that family.

Tables that relate DDPM, SMLD and the SDEs (seed 002; Song et al. 2021, Table 1 / App. B) label each cell with the
process it belongs to. A formula that is exactly another family's (the VP kernel under a sub-VP label: its variance
is (1 − e^{−∫β})², Song et al. 2021, Eq. 29, not 1 − e^{−∫β}) is ``inconsistent`` with its label, naming the
family it is.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from .verdict import Verdict

__all__ = ["label_family", "apply_family_label", "subscript_family"]

_WORDS = [(r"sub\s*-?\s*VP", "subvp", "sub-VP"), (r"VP|DDPM", "vp", "VP"), (r"VE|SMLD|NCSN", "ve", "VE")]
_TAIL = r"\s*(?:\\[,;: ]|\\quad|~|\s)*"
_LABEL_TEX = re.compile(r"^\s*\\(?:text|textbf|mathrm|textrm|mathbf)\s*\{\s*(?P<w>[^{}]*?)\s*\}\s*[:：]?" + _TAIL)
_LABEL_PLAIN = re.compile(r"^\s*(?P<w>[A-Za-z][A-Za-z\- ]{0,20})\s*[:：]" + _TAIL)


def label_family(text: str) -> Optional[Tuple[str, str, int]]:
    """(family, label as written, where the formula starts) of a leading family label, or None."""
    m = _LABEL_TEX.match(text) or _LABEL_PLAIN.match(text)
    if not m:
        return None
    word = m.group("w").strip().rstrip(":：").strip()
    word = re.sub(r"\s*(?:SDE|kernel|process|型|的)?\s*$", "", word, flags=re.I)
    for pat, fam, shown in _WORDS:
        if re.fullmatch(pat, word, flags=re.I):
            return fam, shown, m.end()
    return None


_SUB_LABEL = re.compile(r"^(?P<head>\s*\\?[A-Za-z]+)\s*(?P<mark>[_^])\s*\{\s*(?:\\(?:text|mathrm|textrm|rm)\s*)?\{?\s*"
                        r"(?P<w>sub\s*-?\s*VP|VP|VE|DDPM|SMLD|NCSN)\s*\}?\s*\}")


def subscript_family(text: str) -> Optional[Tuple[str, str, str]]:
    """(family, label, text without it) of a left side labelled in its subscript: ``\\sigma_{\\text{sub-VP}}(t) = …``,
    ``f_{\\mathrm{VE}}(x, t) = …`` (Song et al. 2021, App. B, names each process's coefficients so). A state (x, z)
    with a family mark is a variable of that process (diffusers' x^{VE}), not a label: None."""
    m = _SUB_LABEL.match(text)
    if not m or m.group("head").strip().lstrip("\\") in ("x", "z", "y", "mathbf", "boldsymbol", "bm"):
        return None
    for pat, fam, shown in _WORDS:
        if re.fullmatch(pat, m.group("w"), flags=re.I):
            return fam, shown, m.group("head") + text[m.end():]
    return None


def apply_family_label(verdicts: List[Verdict], label: Optional[Tuple[str, str, int]]) -> None:
    """Turn an ``exact`` verdict whose registry entry belongs to another family than the label into ``inconsistent``."""
    if label is None:
        return
    from .registry import REGISTRY

    fam, shown, _ = label
    for v in verdicts:
        entry = REGISTRY.get(v.target or "")
        if v.verdict != "exact" or entry is None or entry.family in ("generic", fam):
            continue
        other = {"vp": "VP", "ve": "VE", "subvp": "sub-VP"}.get(entry.family, entry.family)
        v.verdict, v.terms = "inconsistent", _terms(entry.kind, {fam, entry.family} == {"vp", "subvp"}, entry.name)
        v.detail = f"labelled {shown}, but it is the {other} formula: {v.detail}"


def _terms(kind: str, vp_subvp: bool, name: str = "") -> List[str]:
    """sub-VP differs from VP in the diffusion and the kernel's variance only (Song et al. 2021, Eq. 29 and App. B);
    a kernel's std σ(t) stated alone is that variance."""
    if name.endswith(".kernel_std"):
        return ["variance"]
    if kind == "sde":
        return ["diffusion"] if vp_subvp else ["drift", "diffusion"]
    if kind == "step":
        return ["variance"] if vp_subvp else ["mean.x0", "variance"]
    return ["rhs"]
