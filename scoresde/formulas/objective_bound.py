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

__all__ = ["judge_bound", "judge_elbo"]

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


# ------------------------------------------------------------------------------- the evidence lower bound
# −log p_θ(x_0) ≤ L, i.e. log p(x) ≥ −L (Ho et al. 2020, Eq. 3 and 5; Sohl-Dickstein et al. 2015, Eq. 14; Luo 2022,
# Eq. 58 writes the ELBO, −L, term by term): the side that is the (negative) log-likelihood of the data fixes which
# way the inequality must point, the other side is read as L (negated when the log-likelihood is bounded below)
# and judged against the registry's L = E_q[KL(q(x_T|x_0) ‖ p(x_T)) + Σ_{t>1} KL(q(x_{t−1}|x_t, x_0) ‖ p_θ(x_{t−1}|x_t))
# − log p_θ(x_0|x_1)] (``objective.vlb_kl``).
_LOGLIK = re.compile(r"^\s*(?:\\mathbb\s*\{?\s*E\s*\}?\s*(?:_\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|[A-Za-z]))?\s*\[)?"
                     r"\s*(?P<neg>-)?\s*\\log\s*p\s*(?:_\s*(?:\{\s*\\theta\s*\}|\\theta))?\s*\(\s*x\s*(?:_\s*\{?\s*0\s*\}?)?\s*\)\s*\]?\s*$")
_REL = re.compile(r"\\(le|ge)(?:q|qslant)?(?![a-zA-Z])|(≤)|(≥)")
_ELBO_SOURCE = "Ho et al. 2020 (DDPM), Eq. 3 and 5"


def judge_elbo(text: str) -> Optional[Verdict]:
    """The verdict of a variational bound on the log-likelihood, or None when the text is not one."""
    if not re.search(r"\\log", text) or not _REL.search(text):
        return None
    s = clean(text)
    rels = [m_ for m_ in _REL.finditer(s) if _top(s, m_.start())]  # not Σ_{t ≥ 2}'s
    if len(rels) != 1:
        return None
    m = rels[0]
    left, right = s[:m.start()], s[m.end():]
    upper = m.group(1) == "le" or bool(m.group(3))  # left ≤ right
    lik, other, lik_left = _LOGLIK.match(left), right, True
    if lik is None:
        lik, other, lik_left = _LOGLIK.match(right), left, False
    if lik is None:
        return None
    negative = bool(lik.group("neg"))
    # −log p ≤ L and log p ≥ −L are the valid directions (the likelihood's side swapped turns the relation round)
    nll_bounded_above = (upper == lik_left) == negative
    # the other side is L when it bounds −log p, −L when it bounds log p
    as_l = other if negative else f"-\\left({other}\\right)"
    got = _vlb_verdict(as_l)
    if got is None:
        return None
    verdict, detail = got
    claim = "the variational bound −log p_θ(x_0) ≤ L"
    if verdict == "exact" and not nll_bounded_above:
        return Verdict(text, "inconsistent", "the inequality is reversed: the negative log-likelihood is bounded above by L "
                       f"(the log-likelihood below by −L) ({_ELBO_SOURCE})", claim=claim, target="objective.vlb_kl", terms=["rhs"])
    if verdict == "exact":
        return Verdict(text, "exact", f"the bound's other side is L: {detail} ({_ELBO_SOURCE})", claim=claim, target="objective.vlb_kl")
    return Verdict(text, "inconsistent", f"the bound is not −log p_θ(x_0) ≤ L: {detail} ({_ELBO_SOURCE})", claim=claim,
                   target="objective.vlb_kl", terms=["rhs"])


def _top(s: str, i: int) -> bool:
    """Whether position i is outside every bracket."""
    depth = 0
    for ch in s[:i]:
        depth += (ch in "([{") - (ch in ")]}")
    return depth == 0


def _vlb_verdict(rhs: str):
    from .families.objectives import OBJECTIVE_REFS
    from .objective_judge import compare_objectives
    from .objective_reader import ObjectiveError, read_objective

    try:
        ob = read_objective("L = " + rhs)
    except ObjectiveError:
        return None
    got = compare_objectives(ob, OBJECTIVE_REFS["objective.vlb_kl"].objective)
    if got is None or got[0] in ("unparsed", "consistent"):
        return None
    return got[0], got[1]
