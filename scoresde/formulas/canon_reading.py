"""How a formula's written symbols are read: the :class:`Reading` (mode, family, notation, step index), step
subscripts as index offsets, and the roles of written atoms (state, noise, score, ε_θ, classifier gradient)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import sympy as sp

from .parse import Atom


# ----------------------------------------------------------------------------- readings
@dataclass
class Reading:
    """How to read the written symbols of one formula."""

    mode: str  # "discrete", "continuous", "function" (a schedule defined as a function of t)
    family: str = "vp"  # "vp", "ve", "generic"
    notation: str = "ddpm"  # "ddpm", "ddim", "vdm", "su"
    index: str = "t"  # the index letter (t, i, n, k)
    k_offset: int = 0  # the current index is letter + k_offset (1 for Song's x_i = ... x_{i+1})
    noise_in_drift: bool = False
    drop: Tuple[str, ...] = ()  # stray symbols read as 1
    notes: List[str] = field(default_factory=list)
    unknown: List[str] = field(default_factory=list)
    noises: Dict[str, sp.Symbol] = field(default_factory=dict)
    #: readings that change what is written (ε_0 read as ε_θ): (what was assumed, offending term)
    charity: List[Tuple[str, str]] = field(default_factory=list)

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)

    def charitable(self, msg: str, term: str) -> None:
        """A reading that is not what is written: the as-written verdict is no better than inconsistent."""
        self.note(msg)
        if (msg, term) not in self.charity:
            self.charity.append((msg, term))

    def copy(self, **kw) -> "Reading":
        r = Reading(self.mode, self.family, self.notation, self.index, self.k_offset, self.noise_in_drift, self.drop)
        for k, val in kw.items():
            setattr(r, k, val)
        return r


INDEX_LETTERS = ("t", "i", "n", "k", "j", "l", "m")
C_IDX_ANY = re.compile(r"^[tinkjlm]([+-]\d+)?$")
_IDX = re.compile(r"^([a-zA-Z])\s*([+-]\s*\d+)?$")


def norm_index(sub: str) -> str:
    """A step subscript in the k±1 form: t−Δt -> t-1, t+h -> t+1, t_i -> i, t_{i-1} -> i-1, τ_i -> i."""
    s = sub.replace(" ", "")
    s = re.sub(r"([+-])(?:Δt|h|Δ)$", r"\g<1>1", s)
    m = re.match(r"^(?:t|τ|s)_\(?([a-z](?:[+-]\d+)?)\)?$", s)
    return m.group(1) if m else s


def index_offset(sub: str, reading: Reading) -> Optional[int]:
    """Offset of a subscript relative to the current index, or None if it is not an index."""
    m = _IDX.match(norm_index(sub))
    if not m or m.group(1) != reading.index:
        return None
    off = int(m.group(2).replace(" ", "")) if m.group(2) else 0
    return off - reading.k_offset


CONST_SUBS = {"min", "max", "d", "data", "L", "1", "T", "0", "N"}


def is_noise_atom(at: Atom) -> bool:
    """Fresh noise: z, z_i, ε, ε_i, ξ, Luo 2022's ε*_t, Weng 2021's merged ε̄_t (no θ, hat or model arguments)."""
    if at.base in ("z", "ξ", "n", "Z") and at.args is None and at.deco == "":
        return True
    if at.base == "ε" and at.sub not in ("θ",) and "θ" not in at.sub and at.deco in ("", "bar") and at.sup in ("", "*") and at.args is None:
        return True
    return False


def is_model_eps(at: Atom) -> bool:
    return at.base == "ε" and ("θ" in at.sub or at.deco == "hat" or at.args is not None or at.sup in ("(t)", "θ"))


def is_classifier_grad(at: Atom) -> bool:
    """∇ₓ log p(y | x): the gradient of a classifier's log-likelihood (the variable before '|' is not the state)."""
    if at.base != "score" or not at.args or "|" not in at.args:
        return False
    head = at.args[0].replace(" ", "")
    return not re.match(r"^(x|X|z|x\(t\)|x_\w+|z_\w+|x̃)", head)


def is_score(at: Atom) -> bool:
    if at.base == "score":
        return not is_classifier_grad(at)
    # s_φ, s_ψ: a score network with another parameter letter (Song et al. 2023, Eq. 3 distils s_φ), the same role as s_θ
    return at.base == "s" and ("θ" in at.sub or at.sub in ("*", "φ", "ψ", "ϑ") or at.sup in ("*", "⋆")) and at.deco == ""


def is_state(at: Atom) -> bool:
    return at.base in ("x", "X") and at.deco in ("", "tilde", "bar") and at.sup == ""
