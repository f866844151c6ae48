"""A loss defined as a sum of losses with one of them written out: ``L_hybrid = E[‖ε − ε_θ(x_t, t)‖²] + λ L_vlb``
(Nichol & Dhariwal 2021, Sec. 3.1 write L_simple + λ L_vlb and define L_simple beside it, Ho et al. 2020, Eq. 14).

Rule: the right side is split at its top-level + and −; a term that is itself an objective (an expectation of a
squared norm) and that the objective judge finds *identical* to a registry loss with a name (L_simple) is replaced
by that name, and the whole is judged as the combination of named losses it then is. A written-out term that is not
identical to a named registry loss is left as written (the combination is then not read: nothing is guessed).
"""
from __future__ import annotations

import re
from typing import Optional

from .objective_text import clean, split_top

__all__ = ["name_written_terms"]


def _latex_name(name: str) -> Optional[str]:
    m = re.fullmatch(r"([LJ])_([A-Za-z]{2,})", name)
    return rf"{m.group(1)}_{{\mathrm{{{m.group(2)}}}}}" if m else None


def _terms(rhs: str):
    """(sign, term) at the top level of rhs."""
    out, buf, depth, sign = [], "", 0, "+"
    for ch in rhs:
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and ch in "+-" and buf.strip() and not buf.rstrip().endswith(("^", "_")):
            out.append((sign, buf))
            buf, sign = "", ch
            continue
        buf += ch
    out.append((sign, buf))
    return out


def name_written_terms(text: str, target: Optional[str]) -> Optional[str]:
    """The text with each written-out registry loss replaced by its name, or None when nothing was replaced."""
    from .families.objectives import OBJECTIVE_REFS
    from .objective_judge import judge_objective
    from .objective_reader import _LOSS_LHS

    sides = split_top(text.strip().rstrip(".,;"), ("=",))
    if len(sides) != 2 or not _LOSS_LHS.match(sides[0].strip()):
        return None
    terms = _terms(sides[1])
    if len(terms) < 2 or not any(re.search(r"(?<![A-Za-z\\])[LJ]\s*_", t_) and "‖" not in clean(t_) for _, t_ in terms):
        return None  # no named loss beside the written-out one: an ordinary objective
    out, changed = [], False
    for sign, term in terms:
        if "‖" in clean(term) and re.search(r"\\mathbb\s*\{?\s*E", term):
            v = judge_objective(term.strip())
            ref = OBJECTIVE_REFS.get(v.target) if v is not None and v.verdict == "exact" and v.target else None
            name = next((n_ for n_ in (ref.names if ref else ()) if _latex_name(n_)), None)
            if name is None:
                return None
            term, changed = _latex_name(name), True
        out.append(f" {sign} {term.strip()}")
    if not changed:
        return None
    return f"{sides[0].strip()} = " + "".join(out).strip().lstrip("+ ").strip()
