"""A score-matching weighting ``λ(t) = …`` (or ``λ(σ) = …``) judged by its value on the SDE its symbols name.

The family's weightings (each a registry entry of families/objectives.py):

* λ(t) ∝ 1/E‖∇log p_0t(x(t) | x(0))‖² = σ_t², the kernel's variance (Song et al. 2021, Sec. 3.3; Ho et al.'s
  L_simple is this weighting: ``objective.simple_weighting``);
* λ(t) = g(t)², the likelihood weighting (Song, Durkan et al. 2021, Thm. 1: ``objective.likelihood_weighting``);
* λ(σ) = σ² for a noise level σ (Song & Ermon 2019, Sec. 4.2: ``objective.ncsn_weighting``).

A side is evaluated on each SDE its symbols can belong to (β(·) and its integral: VP and sub-VP with the linear
β(t) of Song et al. 2021, App. C; σ(t) alone: VE with the geometric σ(t)), g(t), σ_t, ᾱ(t) replaced by that SDE's
diffusion, kernel std and mean coefficient (App. B, Eq. 29 and 33), at several t. Every side equal to one of the
weightings -> ``exact``; every side positive but not one of them (another valid weighting: Song et al. 2021 allow
any λ > 0) -> ``consistent``, except that a weighting written in g(t) is a claim about the likelihood weighting itself, so
another power of g is ``inconsistent`` (a λ(σ) other than σ² is left to the registry's entries: EDM's Table 1
has several); a side that is negative or two sides that differ -> ``inconsistent`` (term ``rhs``).
"""
from __future__ import annotations

import math
import re
from typing import Callable, Dict, List, Optional, Tuple

import sympy as sp

from .atoms import ParseError
from .verdict import Verdict

__all__ = ["judge_weighting"]

_T_POINTS = (0.1, 0.3, 0.55, 0.8)
_B0, _B1 = 0.1, 20.0  # Song et al. 2021, App. C: β_min, β_max
_S0, _S1 = 0.01, 50.0  # σ_min, σ_max


# each family's schedule as a function of t (a float, or a sympy symbol where a side holds d/dt: dσ(t)²/dt is g(t)² of the
# VE SDE, Song et al. 2021, Eq. 9 -- the derivative is taken of the same functions, then evaluated)
def _vp(t) -> Dict[str, float]:
    integ = _B0 * t + 0.5 * (_B1 - _B0) * t * t
    abar = sp.exp(-integ)
    beta = _B0 + (_B1 - _B0) * t
    return {"g2": beta, "var": 1 - abar, "abar": abar}


def _subvp(t) -> Dict[str, float]:
    integ = _B0 * t + 0.5 * (_B1 - _B0) * t * t
    beta = _B0 + (_B1 - _B0) * t
    return {"g2": beta * (1 - sp.exp(-2 * integ)), "var": (1 - sp.exp(-integ)) ** 2, "abar": sp.exp(-integ)}


def _ve(t) -> Dict[str, float]:
    sig = _S0 * (sp.Float(_S1) / _S0) ** t
    return {"g2": sig * sig * 2 * math.log(_S1 / _S0), "var": sig * sig, "abar": sp.Integer(1)}


_TAU = sp.Symbol("τ∘", positive=True)
_FAMILIES: Dict[str, Callable[[float], Dict[str, float]]] = {"VP": _vp, "sub-VP": _subvp, "VE": _ve}
_NAMES = {"var": ("objective.simple_weighting", "the kernel's variance σ_t² (Song et al. 2021, Sec. 3.3)"),
          "g2": ("objective.likelihood_weighting", "the likelihood weighting g(t)² (Song, Durkan et al. 2021, Thm. 1)")}


def _beta_fn(u):
    return _B0 + (_B1 - _B0) * u


def _value(expr: sp.Expr, atoms, fam: str, t: float) -> Optional[float]:
    from .atoms import DDT

    t_num, t = t, (_TAU if expr.has(DDT) else t)
    vals = _FAMILIES[fam](t)
    sub = {}
    by_name = {s_.name: s_ for s_ in expr.atoms(sp.Symbol)}  # bound integration variables included
    for s_ in expr.free_symbols:
        at = atoms.get(s_)
        if at is None:
            return None
        arg = at.args[0] if at.args else None
        if at.base == "t" and not at.sub and at.args is None:
            sub[s_] = sp.sympify(t)
        elif at.base == "β" and at.deco == "" and fam != "VE":
            if arg and arg != "t" and arg not in by_name:
                return None
            sub[s_] = _beta_fn(by_name[arg]) if arg and arg != "t" else sp.sympify(_beta_fn(t))
        elif at.base == "g" and at.deco == "" and (at.args == ("t",) or at.sub in ("t", "")):
            sub[s_] = sp.sqrt(vals["g2"])
        elif at.base == "σ" and at.deco == "" and (at.args == ("t",) or at.sub == "t"):
            sub[s_] = sp.sqrt(vals["var"])
        elif at.base == "α" and at.deco == "bar" and (at.args == ("t",) or at.sub == "t") and fam != "VE":
            sub[s_] = sp.sympify(vals["abar"])
        else:
            return None
    e = expr.xreplace(sub)
    if t is _TAU:
        e = e.replace(lambda q: isinstance(q, sp.Function) and q.func == DDT, lambda q: sp.diff(q.args[0], _TAU)).subs(_TAU, t_num)
    if e.free_symbols:
        return None
    try:
        v = complex(sp.N(e.doit(), 20))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v.real if abs(v.imag) < 1e-12 and v == v else None


def judge_weighting(text: str) -> Optional[Verdict]:
    """The verdict of ``λ(t) = …`` / ``λ(σ) = …`` (chains allowed), or None when it is not one this module reads."""
    if not re.match(r"\s*\\lambda\s*\(\s*(?:t|\\sigma)\s*\)\s*=", text):
        return None  # (λ_t is DPM-Solver's / VDM's half log-SNR, not a weighting: Lu et al. 2022, Sec. 3.1)
    from .parse import parse

    noise_level = re.match(r"\s*\\lambda\s*\(\s*\\sigma\s*\)\s*=", text)
    try:
        p = parse(text[noise_level.end():] if noise_level else text)  # λ(σ) reads as a product: the right side alone
    except (ParseError, ValueError, RecursionError):
        return None
    if noise_level:
        rhss = p.sides
    else:
        if len(p.sides) < 2 or p.sides[0] not in p.atoms:
            return None
        rhss = p.sides[1:]
    claim = "a score-matching weighting λ"
    if noise_level:
        sig = [s_ for s_ in p.atoms if p.atoms[s_].base == "σ" and not p.atoms[s_].sub and p.atoms[s_].args is None]
        if len(rhss) != 1 or len(sig) != 1 or not rhss[0].free_symbols <= set(sig):
            return None
        ratios = [float(rhss[0].xreplace({sig[0]: v})) / v**2 for v in (0.05, 0.7, 3.0)]
        if all(abs(r_ - 1) < 1e-12 for r_ in ratios):
            return Verdict(text, "exact", "λ(σ) = σ², the NCSN weighting (Song & Ermon 2019, Sec. 4.2)", claim=claim,
                           target="objective.ncsn_weighting")
        return None  # another λ(σ) (EDM's Table 1: 1/σ², (σ² + σ_data²)/(σ σ_data)²): the registry's entries judge it
    results: List[Tuple[int, str, str, Optional[str]]] = []
    for fam in _FAMILIES:
        per_side = []
        for rhs in rhss:
            vals = [_value(rhs, p.atoms, fam, t) for t in _T_POINTS]
            if any(v is None for v in vals):
                break
            per_side.append(vals)
        else:
            names = []
            for vals in per_side:
                hit = [k for k in _NAMES if all(abs(v - _FAMILIES[fam](t)[k]) <= 1e-9 * (1 + abs(v)) for v, t in zip(vals, _T_POINTS))]
                names.append(hit[0] if hit else None)
            same = all(all(abs(a - b) <= 1e-9 * (1 + abs(a)) for a, b in zip(per_side[0], vals)) for vals in per_side)
            positive = all(v > 0 for vals in per_side for v in vals)
            if same and names[0] is not None and all(n == names[0] for n in names):
                results.append((0, fam, f"λ(t) is {_NAMES[names[0]][1]} on the {fam} SDE", names[0]))
            elif same and positive:
                results.append((1, fam, f"a positive weighting on the {fam} SDE, but neither σ_t² nor g(t)² "
                                "(Song et al. 2021, Sec. 3.3; Song, Durkan et al. 2021)", None))
            else:
                why = "the sides differ" if not same else "not positive"
                results.append((2, fam, f"{why} on the {fam} SDE: not a weighting λ(t) > 0", None))
    if not results:
        return None
    if all(r_[0] == 2 and "not positive" in r_[2] for r_ in results):
        from .logsnr_schedule import judge_logsnr_schedule  # a λ(t) in t alone that is not positive: a log-SNR

        lv = judge_logsnr_schedule(text)  # (Kingma & Gao 2023 write the schedule as λ = f_λ(t))
        if lv is not None:
            lv.notes = ["read as a log-SNR schedule: as a weighting it is not positive"] + list(lv.notes or [])
            return lv
    results.sort(key=lambda r_: r_[0])
    rank, fam, detail, name = results[0]
    same = [f for r_, f, _, n in results if r_ == rank and n == name]
    if len(same) > 1:
        detail = detail.replace(f"the {fam} SDE", "the " + ", ".join(same) + " SDEs")
    if rank == 1 and any(p.atoms[s_].base == "g" for r_ in rhss for s_ in r_.free_symbols if s_ in p.atoms):
        # written in the diffusion g: a claim about the likelihood weighting, whose value is g² (g for g² is wrong)
        rank, detail = 2, "written in g(t), but the likelihood weighting is g(t)² (Song, Durkan et al. 2021, Thm. 1)"
        name = "g2"
    verdict = ("exact", "consistent", "inconsistent")[rank]
    return Verdict(text, verdict, detail, claim=claim, target=_NAMES[name][0] if name else "objective.simple_weighting",
                   terms=[] if rank == 0 else ["rhs"])
