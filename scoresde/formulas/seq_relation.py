"""Relations between members of a registered sequence: ``σ_{i−1}/σ_i = (σ_1/σ_L)^{1/(L−1)}`` (Song & Ermon 2019,
Sec. 4.1: the noise levels are a geometric sequence, so the ratio of neighbours is constant).

A formula whose every symbol is the sequence's letter at some index (σ_i, σ_{i−1}, σ_1, σ_L) or the count (L, N) is
read with the registry's closed form substituted for each member that is not one of the entry's own parameters (σ_1,
σ_L stay as written); both sides are then compared at random admissible values (i and the count real, the end
values positive): equal -> ``exact``, else ``inconsistent`` (term ``rhs``). Anything else: None (not this reader's).
"""
from __future__ import annotations

import random
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_sequence_relation"]

_INDEX = ("i", "k", "n", "j")


def _entries():
    from .families.noise_levels import ENTRIES, I_, L_, N_

    return [(e, I_, L_ if e.rhs.has(L_) else N_) for e in ENTRIES]


def judge_sequence_relation(eq: str) -> Optional[Verdict]:
    from .parse import parse

    try:
        p = parse(eq)
    except Exception:  # noqa: BLE001 -- not readable here: the usual reader's verdict stands
        return None
    if len(p.sides) != 2:
        return None
    members = {s_: at for s_, at in p.atoms.items() if at.args is None and not at.deco}
    if len(members) != len(p.atoms):
        return None
    letters = {at.base for at in members.values()}
    for entry, idx, count in _entries():
        params = {s_.name: s_ for s_ in entry.rhs.free_symbols if s_ not in (idx, count)}
        params.update({f"{q.split('_')[0]}_{{{q.split('_', 1)[1]}}}": s_ for q, s_ in list(params.items()) if "_" in q})
        base = next(iter(params.values())).name.split("_")[0]
        if letters - {base, count.name} or not any(at.base == base and at.name in params for at in members.values()):
            continue
        sub, ok, index_letter = {}, True, None
        for s_, at in members.items():
            if at.base == count.name and not at.sub:
                sub[s_] = count
            elif at.base == base and at.name in params:
                sub[s_] = params[at.name]
            elif at.base == base:
                try:
                    k = sp.sympify(at.sub.replace(count.name, "COUNT"), locals={"COUNT": count})
                except (sp.SympifyError, SyntaxError, TypeError):
                    ok = False
                    break
                letters_k = {q.name for q in k.free_symbols} - {count.name}
                if not letters_k <= set(_INDEX) or len(letters_k) > 1:
                    ok = False
                    break
                if letters_k:
                    index_letter = index_letter or letters_k.pop()
                k = k.xreplace({sp.Symbol(index_letter): idx}) if index_letter else k
                sub[s_] = entry.rhs.xreplace({idx: k})
            else:
                ok = False
                break
        if not ok or index_letter is None:
            continue
        lhs, rhs = p.sides[0].xreplace(sub), p.sides[1].xreplace(sub)
        rng = random.Random(5)
        same = True
        for _ in range(5):
            vals = {q: rng.uniform(0.2, 3.0) for q in params.values()}
            vals[count] = rng.uniform(5, 30)
            vals[idx] = rng.uniform(2, 4)
            a_, b_ = complex(sp.N(lhs.xreplace(vals))), complex(sp.N(rhs.xreplace(vals)))
            if abs(a_ - b_) > 1e-9 * (1 + abs(a_) + abs(b_)):
                same = False
                break
        claim = f"a relation between members of {entry.title}"
        if same:
            return Verdict(eq, "exact", f"holds for {entry.title} ({entry.source}) at random i and {count.name}", claim=claim,
                           target=entry.name)
        return Verdict(eq, "inconsistent", f"does not hold for {entry.title} ({entry.source}): with the closed form "
                       f"substituted the sides are {sp.sstr(sp.simplify(lhs))} and {sp.sstr(sp.simplify(rhs))}", claim=claim,
                       target=entry.name, terms=["rhs"])
    return None
