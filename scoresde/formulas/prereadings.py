"""Text-level readings applied to a cell before it is parsed, each said in the verdict's notes: Song et al.'s
auxiliary β̄_i/N, indices on a sub-sequence S_t."""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["song_bar_beta", "strided_indices", "isotropic_covariance", "isotropic_covariances"]


_BARBETA = r"\\bar\s*\{?\s*\\beta\s*\}?\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])"
_BARBETA_OVER_N = re.compile(r"\\frac\s*\{\s*" + _BARBETA + r"\s*\}\s*\{\s*N\s*\}|" + _BARBETA + r"\s*/\s*N(?![A-Za-z_])")


_STEP_INDEX = re.compile(r"\{?\s*[a-z]\s*(?:[-+]\s*1)?\s*\}?")


def song_bar_beta(text: str) -> Tuple[str, List[str]]:
    """Song et al. 2021 (App. B) write the DDPM chain with the auxiliary β̄_i = Nβ_i (so that β̄_i → β(t) as N → ∞):
    β̄_i/N is their β_i, read as β_i (and said so); a β̄_i beside it that is not divided by N is Nβ_i."""
    if not _BARBETA_OVER_N.search(text):
        return text, []
    out = _BARBETA_OVER_N.sub(lambda m: r"\beta_" + (m.group(1) or m.group(2)), text)
    notes = ["β̄_i/N read as β_i (Song et al. 2021, App. B: β̄_i = Nβ_i)"]
    left = [m.group(1) for m in re.finditer(_BARBETA, out)]
    if left and all(_STEP_INDEX.fullmatch(sub_) for sub_ in left):
        # a β̄_i not divided by N in the same formula: by the same definition, Nβ_i
        out = re.sub(_BARBETA, lambda m: r"(N\beta_" + m.group(1) + ")", out)
        notes.append("a β̄_i not divided by N read as Nβ_i (the same definition)")
    elif left:  # β̄_min, β̄_max: another notation (the continuous schedule's ends), left as written
        return text, []
    return out, notes


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


_COV_LHS = re.compile(r"^\s*(?:\\(?:boldsymbol|mathbf|bm)\s*\{\s*\\Sigma\s*\}|\\(?:boldsymbol|mathbf|bm)\s*\\Sigma|\\Sigma)"
                      r"\s*_\s*(?P<sub>\{[^{}]*\}|[A-Za-z0-9])\s*(?P<args>\((?:[^()]|\([^()]*\))*\))?\s*=(?!=)\s*(?P<rhs>.+?)\s*$",
                      re.S)
_EYE = r"(?:\\(?:mathbf|boldsymbol|bm|mathrm|mathbb)\s*\{\s*I\s*\}|\\(?:mathbf|boldsymbol|bm)\s+I|I)(?:\s*_\s*(?:\{[^{}]*\}|[a-zA-Z0-9]))?"
_TRAILING_EYE = re.compile(r"^(?P<c>.+?)\s*(?:\\cdot\s*)?" + _EYE + r"\s*$", re.S)


def isotropic_covariance(eq: str) -> Tuple[str, List[str]]:
    """Σ_q(t) = c·I: a covariance named on the left that is c times the identity is the variance c of each coordinate,
    read as σ_q²(t) = c (Chan 2024, Eq. 2.50 and Luo 2022, Eq. 85 write the posterior covariance Σ_q(t) = σ_q²(t) I; Ho
    et al. 2020, Sec. 3.2 set Σ_θ(x_t, t) = σ_t² I). Only when I is the right side's last factor and appears nowhere
    else (a sum of matrices, I + e^{…}I, is no scalar multiple written so)."""
    m = _COV_LHS.match(eq)
    if m is None:
        return eq, []
    t = _TRAILING_EYE.match(m.group("rhs"))
    if t is None or re.search(r"(?<![A-Za-z\\])I(?![A-Za-z])|\\mathbf\s*\{\s*I|\\boldsymbol\s*\{\s*I", t.group("c")) \
            or re.search(r"(?<![{(\\])[+-]\s*$", t.group("c")):
        return eq, []
    c = t.group("c").strip()
    bare = c.lstrip("-+ ")
    for _ in range(8):  # the groups removed from the innermost out: what is left is the top level
        bare, k = re.subn(r"\{[^{}]*\}|\([^()]*\)", "", bare)
        if not k:
            break
    if re.search(r"[+-]", bare):
        return eq, []  # 1 − ᾱ_t I: a sum with I on one term only is no multiple of I as written
    out = r"\sigma_%s^2%s = %s" % (m.group("sub"), m.group("args") or "", c)
    return out, [f"the covariance Σ_{m.group('sub').strip('{}')} = c·I read as its variance σ² = c (Chan 2024, Eq. 2.50; "
                 "Luo 2022, Eq. 85: Σ_q(t) = σ_q²(t) I)"]


def isotropic_covariances(eqs: List[Tuple[str, str]], notes: List[str]) -> Tuple[List[Tuple[str, str]], List[str]]:
    """:func:`isotropic_covariance` on each (label, equation) of a cell: (the equations, ``notes`` with its notes)."""
    read = [(lab, isotropic_covariance(e_)) for lab, e_ in eqs]
    return [(lab, r_[0]) for lab, r_ in read], notes + [n_ for _, r_ in read for n_ in r_[1]]
