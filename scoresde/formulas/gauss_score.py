"""A Gaussian and its score stated in the same cell: ∇_x log N(x; m, v I) = −(x − m)/v, whatever the symbols.

Lecture notes state a conditional path and its score side by side in their own notation (Holderrieth & Erives 2025,
MIT 6.S184, Sec. 4: p_t(x | z) = N(x; α_t z, β_t² I_d), ∇log p_t(x | z) = −(x − α_t z)/β_t²; Song & Ermon 2019,
Sec. 4.2; Vincent 2011). The score of a Gaussian density in its own variable follows from the density alone
(d/dx log N(x; m, v) = −(x − m)/v), so the pair is checked as it stands, with every schedule symbol left free: the
score equation is ``exact`` when its right side is −(x − m)/v, else ``inconsistent`` (term ``rhs``); the Gaussian
itself is the definition the check uses (no verdict of its own). A cell without such a pair is left to the usual reader.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import sympy as sp

from .atoms import NORMAL, ParseError
from .verdict import Verdict

__all__ = ["gaussian_score_pairs"]


def gaussian_score_pairs(eqs: List[str]) -> Dict[int, Optional[Verdict]]:
    """{index of an equation: its verdict (the score equation) or None (the Gaussian it uses)}; empty when none."""
    if len(eqs) < 2 or not any("nabla" in e_ for e_ in eqs) or not any(r"\mathcal" in e_ or "N(" in e_ for e_ in eqs):
        return {}
    from .parse import parse

    parsed = {}
    for i, e_ in enumerate(eqs):
        try:
            parsed[i] = parse(e_)
        except (ParseError, ValueError, TypeError, RecursionError):
            continue
    gauss = {}
    for i, p in parsed.items():
        if len(p.sides) == 2 and p.relation == "=" and isinstance(p.sides[0], sp.Symbol) and isinstance(p.sides[1], sp.Function) \
                and p.sides[1].func == NORMAL:
            at = p.atoms.get(p.sides[0])
            if at is not None and at.base in ("p", "q") and at.args and "|" in at.args:
                gauss[(at.base, at.sub, at.args)] = (i, p)
    out: Dict[int, Optional[Verdict]] = {}
    for i, p in parsed.items():
        if i in out or len(p.sides) != 2 or p.relation != "=" or not isinstance(p.sides[0], sp.Symbol):
            continue
        at = p.atoms.get(p.sides[0])
        if at is None or at.base != "score" or (at.font, at.sub, at.args) not in gauss:
            continue
        j, g = gauss[(at.font, at.sub, at.args)]
        y, mean, cov = g.sides[1].args
        if y.name.replace(" ", "") != at.args[0].replace(" ", ""):
            continue
        ones = {s_: 1 for s_ in cov.free_symbols if s_ in g.atoms and g.atoms[s_].base == "I"}
        cov = cov.xreplace(ones)
        names = {s_.name: s_ for s_ in (mean.free_symbols | cov.free_symbols | {y})}
        rhs = p.sides[1].xreplace({s_: names[s_.name] for s_ in p.sides[1].free_symbols if s_.name in names})
        if rhs.free_symbols - set(names.values()):
            continue  # a symbol the Gaussian does not define: not this pair
        want = -(y - mean) / cov
        pos = {s_: sp.Symbol(s_.name, positive=True) for s_ in cov.free_symbols}
        diff = sp.simplify((rhs - want).xreplace(pos))
        if diff == 0:
            v = Verdict(eqs[i], "exact", f"the score of the Gaussian N({y}; {mean}, {cov}) stated beside it: −({y} − m)/v",
                        claim="score of a Gaussian stated in the same cell")
        else:
            v = Verdict(eqs[i], "inconsistent", f"the score of N({y}; {mean}, {cov}) is {sp.sstr(want)}, found "
                        f"{sp.sstr(rhs)}", claim="score of a Gaussian stated in the same cell", terms=["rhs"])
        out[i], out[j] = v, None
    return out
