"""The likelihood bound of score-based models: ``KL(p_0 ‖ p_θ) ≤ J_SM(θ; g²) + KL(p_T ‖ π)`` (Song, Durkan, Murray &
Ermon 2021, Thm. 1; Song 2021's blog writes J_SM as (T/2) E_{t ∼ U(0, T)} E_{p_t(x)}[g(t)² ‖∇log p_t(x) − s_θ(x, t)‖²]).

Read as: a KL divergence from the data to the model on the left, ``≤``, then the right side's terms: exactly one
prior-matching term KL(p_T ‖ π) (any prior name: π, p_prior, N(0, I)) and an objective, which is judged by the
objective reader against the registry's J_SM with the likelihood weighting g² (``objective.jsm``; E over
t ∼ U(0, T) is read as ∫_0^T dt / T). The bound holds for that weighting and normalisation only, so anything but an
identical objective, a missing prior term or the inequality reversed is ``inconsistent`` (term ``rhs``).
"""
from __future__ import annotations

import re
from typing import Optional

from .objective_text import clean, split_top
from .verdict import Verdict

__all__ = ["judge_bound"]

_KL = r"(?:D\s*_\s*\{?\s*(?:\\mathrm\s*\{\s*KL\s*\}|\\text\s*\{\s*KL\s*\}|KL)\s*\}?|\\mathrm\s*\{\s*KL\s*\}|\\text\s*\{\s*KL\s*\}|\\operatorname\s*\{\s*KL\s*\}|KL)"
_LEFT = re.compile(r"^\s*" + _KL + r"\s*\(\s*p\s*(?:_\s*\{?\s*(?:0|\\mathrm\s*\{\s*data\s*\}|\\text\s*\{\s*data\s*\}|data)\s*\}?)?"
                   r"\s*(?:\([^()]*\))?\s*(?P<sep>‖|∥|\|)\s*p\s*_\s*\{?\s*\\theta\s*\}?.*\)\s*$")
_PRIOR = re.compile(r"^\s*" + _KL + r"\s*\(\s*p\s*_\s*\{?\s*T\s*\}?\s*(?:\([^()]*\))?\s*(?:‖|∥|\|)\s*(?:\\pi|π|p\s*_\s*\{?\s*(?:\\mathrm|\\text)?\s*\{?\s*prior\s*\}?\s*\}?|\\mathcal\s*\{\s*N\s*\}).*\)\s*$")
_SOURCE = "Song, Durkan, Murray & Ermon 2021, Thm. 1"


def judge_bound(text: str) -> Optional[Verdict]:
    """The verdict of the KL bound, or None when the text is not one."""
    if not re.search(r"KL", text) or not re.search(r"\\le(?:q|qslant)?(?![a-zA-Z])|\\ge(?:q|qslant)?(?![a-zA-Z])|≤|≥", text):
        return None
    s = clean(text)
    m = re.search(r"\\(le|ge)(?:q|qslant)?(?![a-zA-Z])|(≤)|(≥)", s)
    if m is None:
        return None
    left, right = s[:m.start()], s[m.end():]
    if _LEFT.match(left) is None:
        return None
    claim = "the likelihood bound KL(p_0 ‖ p_θ) ≤ J_SM(θ; g²) + KL(p_T ‖ π)"
    if m.group(1) == "ge" or m.group(3):
        return Verdict(text, "inconsistent", f"the inequality is reversed: the KL divergence is bounded above ({_SOURCE})",
                       claim=claim, target="objective.jsm", terms=["rhs"])
    terms = [t_ for t_ in split_top(right, ("+",)) if t_.strip()]
    prior = [t_ for t_ in terms if _PRIOR.match(t_)]
    rest = [t_ for t_ in terms if not _PRIOR.match(t_)]
    if len(prior) != 1:
        return Verdict(text, "inconsistent", f"the prior term KL(p_T ‖ π) is missing from the bound ({_SOURCE})", claim=claim,
                       target="objective.jsm", terms=["rhs"])
    if len(rest) != 1:
        return None
    from .families.objectives import OBJECTIVE_REFS
    from .objective_judge import compare_objectives
    from .objective_reader import ObjectiveError, read_objective

    try:
        ob = read_objective(rest[0])
    except ObjectiveError:
        return None
    got = compare_objectives(ob, OBJECTIVE_REFS["objective.jsm"].objective)
    if got is None:
        return None
    verdict, detail, _ = got
    if verdict == "exact":
        return Verdict(text, "exact", f"J_SM(θ; g²) + KL(p_T ‖ π), {detail} ({_SOURCE})", claim=claim, target="objective.jsm")
    if verdict == "unparsed":
        return None
    return Verdict(text, "inconsistent", f"the score-matching term is not J_SM(θ; g²): {detail} ({_SOURCE})", claim=claim,
                   target="objective.jsm", terms=["rhs"])
