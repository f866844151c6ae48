"""A KL divergence between the forward posterior and the reverse step, read as the VLB term it is.

Ho et al. 2020, Eq. 5 define L_{t−1} := D_KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)); books and tutorials write
the term by its definition on the left (Luo 2022, Eq. 58 and 99-100; Chan 2024, Sec. 2.6; Kingma et al. 2021, Eq. 13
write the same KL with VDM's SNR). Rule: a formula whose left side is that KL, with the same step index in both
densities (the posterior conditioned on x_t and x_0, the model on x_t), is the value of L_{t−1}; the KL's own step
variance σ_q(t) (Luo 2022, Eq. 85: the std of q(x_{t−1} | x_t, x_0), to which p_θ's variance is set) is the σ_t of
Ho et al.'s Eq. 8/12. Anything else is returned unchanged.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

__all__ = ["kl_as_vlb_term"]

_FONT = re.compile(r"\\(?:mathbf|boldsymbol|bm|mathrm|rm|operatorname|text|mathit)\s*")
_SPACE = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])|\\[,;:! ]|\\q?quad|[\s{}]")
_KL = re.compile(r"^(?:D_?)?KL\(q\(x_(?P<k>[a-z])-1\|x_(?P=k),x_0\)‖p_?θ\(x_(?P=k)-1\|x_(?P=k)\)\)$")
_SIGMA_Q = re.compile(r"\\sigma\s*_\s*(?:\{\s*q\s*\}|q)\s*(?P<pow>\^\s*(?:\{\s*2\s*\}|2))?\s*(?:\(\s*(?P<arg>[a-z])\s*\))?")


def _flat(lhs: str) -> str:
    s = _FONT.sub("", lhs)
    s = s.replace(r"\mid", "|").replace(r"\vert", "|").replace(r"\Vert", "‖").replace(r"\parallel", "‖").replace(r"\|", "‖")
    s = s.replace(r"\theta", "θ")
    s = _SPACE.sub("", s)
    return s.replace("||", "‖")


def kl_as_vlb_term(text: str) -> Tuple[str, Optional[str]]:
    """(text with its left side read as L_{k−1}, note) when the left side is the KL above; else (text, None)."""
    depth, cut = 0, -1
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "=" and depth == 0:
            cut = i
            break
    if cut < 0:
        return text, None
    m = _KL.match(_flat(text[:cut]))
    if m is None:
        return text, None
    k = m.group("k")
    rhs = _SIGMA_Q.sub(lambda q: r"\sigma_{" + (q.group("arg") or k) + "}" + (q.group("pow") or ""), text[cut + 1:])
    return (f"L_{{{k}-1}} = {rhs}",
            f"D_KL(q(x_{k}−1 | x_{k}, x_0) ‖ p_θ(x_{k}−1 | x_{k})) read as the VLB term L_{k}−1 (Ho et al. 2020, Eq. 5)"
            + (", σ_q as the reverse step's σ_" + k + " (Luo 2022, Eq. 85)" if rhs != text[cut + 1:] else ""))
