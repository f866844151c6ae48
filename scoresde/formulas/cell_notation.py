"""A cell's own definition of σ_t or α_t fixes the notation of the whole cell.

σ_t and α_t mean different things in different papers (notation map: Song et al. 2021's σ(t) of the VE SDE and
Karras et al. 2022's σ(t) = √(e^{∫β} − 1) of the VP SDE written as x/s(t); VDM / DPM-Solver's α_t = √ᾱ_t,
σ_t = √(1 − ᾱ_t), Kingma et al. 2021, Eq. 1-3; Lu et al. 2022a, Sec. 2.1). A formula that states which one it
uses beside the formula that uses it (Murphy 2023, PML2 Sec. 25.4.4: ``dx/dt = …ε̂/σ_t, \\quad σ_t = √(1 − e^{−∫β})``)
is read in the notation under which its own definition holds; the definition is still judged (under that notation,
so a wrong definition stays wrong) and the inference is said in the verdicts' notes.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ["notation_from_definitions", "su_notation"]

#: a bare σ_t, σ(t), α_t, α(t) (no decoration) defined by an expression
_DEF = re.compile(r"^(?:\s|\\[ ,;:!]|\\q?quad)*\\(sigma|alpha)\s*(?:_\s*(?:\{\s*t\s*\}|t)|\(\s*t\s*\))\s*=(?!=)\s*\S")
#: the notations whose σ_t / α_t differ from the default reading, tried in this order
_TRY = ("vdm", "ddim")  # DDIM's α = ᾱ: also Bishop & Bishop 2024 (Ch. 20) and Prince 2023 (Ch. 18), α_t = ∏(1 − β_τ)


_BARE_ALPHA = re.compile(r"\\alpha\s*_")
_BARE_SIGMA = re.compile(r"\\sigma\s*_")
_NOT_VDM = re.compile(r"\\(?:bar|overline|hat|tilde|widetilde|widehat)\s*\{?\s*\\alpha|\\beta|\\eta|\\bar|"
                      r"[-+]\s*1\s*\}|_\s*\{?\s*\d|\\sigma\s*\(|\bs\s*\(|\\mathcal\s*\{?\s*N")


def vdm_pair(eqs: List[str]) -> bool:
    """A cell of several equations that writes α_t and σ_t and nothing of a discrete chain (no ᾱ, β, η, no index
    t − 1, no EDM σ(t)): the pair (α_t, σ_t) of VDM / DPM-Solver / Salimans & Ho (Kingma et al. 2021, Eq. 1-2), read in
    one notation for the whole cell (a cell is never half DDIM's α = ᾱ, half VDM's α = √ᾱ)."""
    joined = " ".join(eqs)
    if len(eqs) < 2 and not _RATE.search(joined):
        return False
    return bool(_BARE_ALPHA.search(joined) and _BARE_SIGMA.search(joined) and not _NOT_VDM.search(joined))


#: the time derivative of α_t or σ_t (d log α_t/dt, dσ_t²/dt, α̇_t): only a continuous-time pair has one (DPM-Solver's
#: f(t) = d log α_t/dt, g²(t) = dσ_t²/dt − 2 d log α_t/dt σ_t², Lu et al. 2022a, Eq. 2.3), even in a single formula
_RATE = re.compile(r"\\frac\s*\{\s*(?:\\mathrm\s*\{\s*d\s*\}|d)\s*(?:\\log\s*)?\\(?:alpha|sigma)|\\dot\s*\{?\s*\\(?:alpha|sigma)")


def notation_from_definitions(eqs: List[str], hints: Dict[str, str], judge: Callable[[str, Dict[str, str]], str]
                              ) -> Tuple[Dict[str, str], Optional[str]]:
    """(hints for the cell, note): ``judge(eq, hints)`` gives a verdict name. Only when no notation is given, the
    cell has another equation beside the definition, and the definition is not exact as read by default."""
    if hints.get("notation") or len(eqs) < 2:
        return hints, None
    defs = [eq for eq in eqs if _DEF.match(eq)]
    if not defs or len(defs) == len(eqs):
        return hints, None
    verdicts = [judge(eq, hints) for eq in defs]
    if all(v_ == "exact" for v_ in verdicts):
        return hints, None
    if all(v_.startswith("exact") for v_ in verdicts) and not any(eq not in defs and "\\sigma" in eq for eq in eqs):
        # σ(t) = √(1 − e^{−∫β}) is exact by default as the VP kernel's std ("exact:kernel_std", families/schedules.py);
        # it fixes VDM's σ_t only for other equations of the cell that use σ
        return hints, None
    for nota in _TRY:
        trial = dict(hints, notation=nota)
        if all(judge(eq, trial) == "exact" for eq in defs):
            sym = ", ".join(dict.fromkeys("σ_t" if "sigma" in eq.split("=")[0] else "α_t" for eq in defs))
            return trial, f"notation inferred from the formula's own definition of {sym}: {nota}"
    return hints, None


def vdm_sigma(p, lhs, rhs, hints):
    """σ_t = f(t) in VDM / DPM-Solver's notation (given, or inferred above) is that notation's noise scale
    σ_t = √(1 − ᾱ_t) (Kingma et al. 2021, Eq. 1-2; Lu et al. 2022a, Sec. 2.1): read as ᾱ_t = 1 − f(t)², so that
    its schedule is judged as ᾱ(t) is. Anything else is returned unchanged (with an empty note)."""
    import sympy as sp

    from .atoms import Atom

    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if (hints or {}).get("notation") != "vdm" or at is None or at.base != "σ" or at.deco or at.sup or not (
            at.sub == "t" or (not at.sub and at.args == ("t",))):
        return lhs, rhs, ""
    if any(p.atoms[q].base in ("σ", "α") for q in rhs.free_symbols if q in p.atoms):
        return lhs, rhs, ""  # a relation between the notation's own symbols, judged as such
    bar = sp.Symbol("ᾱ_t", positive=True)
    p.atoms[bar] = Atom("α", "bar", "t")
    return bar, 1 - rhs ** 2, f"{at.name} = f(t) read as VDM/DPM-Solver's σ_t = √(1 − ᾱ_t) (ᾱ_t = 1 − f(t)²)"


def ddim_alpha(p, lhs, rhs, hints):
    """α_t = f(t) in DDIM's notation (given, or inferred above; Song, Meng & Ermon 2021, Sec. 2: their α_t is Ho et
    al.'s ᾱ_t, as Bishop & Bishop 2024's and Prince 2023's α_t = ∏(1 − β_τ)) defines ᾱ_t. Anything else unchanged."""
    import sympy as sp

    from .atoms import Atom

    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if (hints or {}).get("notation") != "ddim" or at is None or at.base != "α" or at.deco or at.sup or not (
            at.sub in ("t", "s", "i", "n", "k") and at.args is None or not at.sub and at.args is not None):
        return lhs, rhs, ""
    bar = sp.Symbol(f"ᾱ_{at.sub or 't'}", positive=True)
    p.atoms[bar] = Atom("α", "bar", at.sub or "t", args=at.args)
    return bar, rhs, f"{at.name} read as DDIM's α = ᾱ (the cumulative product)"


#: β̄ with a step index t, s, t−1 (not Song's β̄_min/β̄_max or β̄_i = Nβ_i): Su Jianlin's β̄_t = √(1 − ᾱ_t²)
_SU_BETA = re.compile(r"\\(?:bar|overline)\s*\{?\s*\\beta\s*\}?\s*_\s*(?:\{\s*)?[ts](?:\s*-\s*1)?\s*(?:\}|(?![a-zA-Z0-9]))")


#: Su's defining relation α_t² + β_t² = 1 (either order, any step index; 生成扩散模型漫谈（一）, x_t = α_t x_{t−1} + β_t ε_t):
#: in Ho et al.'s notation α_t + β_t = 1, so a cell that states the squares is written in Su's
_IDX = r"_\s*(?:\{\s*[a-z](?:\s*-\s*1)?\s*\}|[a-z])"
_SU_PAIR = re.compile(r"^\s*\\(alpha|beta)\s*" + _IDX + r"\s*\^\s*\{?\s*2\s*\}?\s*\+\s*\\(alpha|beta)\s*" + _IDX
                      + r"\s*\^\s*\{?\s*2\s*\}?\s*=\s*1\s*$")


def su_relation(eq: str) -> bool:
    """Whether ``eq`` is Su's α_t² + β_t² = 1 (or β_t² + α_t² = 1) at one index."""
    m = _SU_PAIR.match(eq)
    if not m or m.group(1) == m.group(2):
        return False
    subs = re.findall(r"\\(?:alpha|beta)\s*" + _IDX, eq)
    return len({re.sub(r"\\(?:alpha|beta)|[\s{}_]", "", s_) for s_ in subs}) == 1


def su_notation(eqs: List[str]) -> bool:
    """Whether a cell writes Su's β̄_t or states his α_t² + β_t² = 1 (kexue.fm, 生成扩散模型漫谈; canon.su_symbol): then
    the whole cell is read in his notation, as its β̄ (and that relation) mean nothing in the others."""
    return any(_SU_BETA.search(eq) or su_relation(eq) for eq in eqs)


def su_mu_bar(p, lhs, hints):
    """μ̄(x_t) in Su's notation (given, or inferred from β̄_t) is his estimate of x_0: 生成扩散模型漫谈（三）and（四）write
    p(x_0 | x_t) ≈ N(x_0; μ̄(x_t), σ̄_t² I) with μ̄(x_t) = (x_t − β̄_t ε_θ(x_t, t))/ᾱ_t, and p(x_{t−1} | x_t) ≈
    p(x_{t−1} | x_t, x_0 = μ̄(x_t)). The atom is re-read as x̂_0(x_t) (a parameterisation identity); anything else is
    left as it is. Returns whether it re-read the left side."""
    import sympy as sp

    from .atoms import Atom

    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if (hints or {}).get("notation") != "su" or at is None or at.base != "μ" or at.deco != "bar" or not at.args or at.sup:
        return False
    p.atoms[lhs] = Atom("x", "hat", "0", args=at.args)
    return True
