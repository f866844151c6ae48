"""Judge a DSM target ∇_x̃ log q(x̃ | x) = expr against the registry's (families/objectives.py), the kernel's letters
renamed where needed (moved out of objective_judge.py)."""
from __future__ import annotations

import random
import re
from typing import Optional

import sympy as sp

from .objective_adapt import _show
from .objective_reader import ObjectiveError
from .objective_compare import _close, _ev, _point
from .verdict import Verdict


def _kernel_letters(lhs: str, rhs: sp.Expr, roles):
    """∇_z log q(z | x, σ), ∇_y log q_σ(y | x): the score of the Gaussian kernel under other letters (Bishop & Bishop
    2024, Eq. 20.49 write the noisy sample z and the noise level as a conditioning argument) is the same relation as
    the registry's ∇_x̃ log q_σ(x̃ | x): the two plain variables renamed x̃ and x, a conditioning σ moved to the
    subscript (a renaming of bound letters, so the relation is unchanged). Anything else is returned unchanged."""
    m = re.fullmatch(r"∇logp(?:_(σ))?\(([a-zA-Z])\|([a-zA-Z])(?:,(σ))?\)", lhs)
    if m is None or bool(m.group(1)) == bool(m.group(4)) or m.group(2) == m.group(3):
        return lhs, rhs, roles
    v, w = m.group(2), m.group(3)
    names = {s_.name for s_ in rhs.free_symbols}
    if not names <= {v, w, "σ"} or any(roles.get(n_) != "var" for n_ in (v, w) if n_ in roles):
        return lhs, rhs, roles
    ren = {s_: sp.Symbol({v: "x̃", w: "x"}[s_.name], real=True) for s_ in rhs.free_symbols if s_.name in (v, w)}
    roles = dict(roles, **{"x̃": "var", "x": "var"})
    return "∇logp_σ(x̃|x)", rhs.xreplace(ren), roles


def judge_score_relation(text: str, target: Optional[str] = None) -> Optional[Verdict]:
    """``∇_x̃ log q(x̃ | x) = expr`` against the registry's DSM targets with the same left side; None if none has it."""
    from .families.objectives import RELATION_REFS, read_score_relation

    if target is not None and target not in RELATION_REFS:
        return None
    text = re.sub(r"\\ln(?![a-zA-Z])", r"\\log", text)  # ln is the natural log (Bishop & Bishop 2024)
    if r"\nabla" not in text or r"\log" not in text:
        return None
    try:
        lhs, rhs, roles = read_score_relation(text)
    except (ValueError, ObjectiveError):
        return None
    cands = [r_ for r_ in RELATION_REFS.values() if r_.lhs == lhs and (target is None or r_.name == target)]
    if not cands:
        lhs, rhs, roles = _kernel_letters(lhs, rhs, roles)
        cands = [r_ for r_ in RELATION_REFS.values() if r_.lhs == lhs and (target is None or r_.name == target)]
    best = None
    for ref in cands:
        names = {s_.name for s_ in rhs.free_symbols}
        if not names <= {s_.name for s_ in ref.rhs.free_symbols}:
            continue
        allr = dict(ref.roles)
        allr.update({k: v for k, v in roles.items() if k not in allr})
        rng = random.Random(99)
        pts = [_point(allr, rng) for _ in range(5)]
        if all(_close(_ev(rhs, p), _ev(ref.rhs, p)) for p in pts):
            return Verdict(text, "exact", f"identical to {ref.title} ({ref.source})", claim="score of a perturbation kernel",
                           target=ref.name)
        best = best or Verdict(text, "inconsistent", f"expected {_show(ref.rhs)}, found {_show(rhs)} ({ref.title}, {ref.source})",
                               claim="score of a perturbation kernel", target=ref.name, terms=["rhs"])
    return best
