"""An objective written with a weight function λ(·) and, beside it, the choice of that function: ``…, λ(σ_i) = σ_i²``.

Song & Ermon 2019 (Eq. 6 and Sec. 4.2) state the NCSN objective with a generic λ(σ_i) and then choose λ(σ) = σ²; Song et
al. 2021 (Eq. 7) do the same with λ(t). The two are separate claims: the objective with its generic weight (the registry
writes it so) and the weighting (objective_weighting.py judges λ(σ) = σ², λ(t) = σ_t², g(t)²). Rule: a trailing
``λ(arg) = value`` after an objective that uses λ is split off; the objective and the weighting are each judged, and
the worse verdict decides (a wrong weighting is named ``rhs`` like a wrong objective; a weighting outside the family's
is judged by the registry's weights, EDM's Table 1). A noise level with an index,
σ_i, is the noise level σ of that term (the weighting is a function of the level, not of the index).
"""
from __future__ import annotations

import re
from typing import Callable, Optional

from .verdict import Verdict

__all__ = ["judge_with_weight_definition"]

_DEF = re.compile(r"^\s*(?:\\q?quad\s*)?(?:\\text\s*\{\s*(?:with|where)\s*\}\s*)?\\lambda\s*\((?P<arg>[^()=]*)\)\s*=\s*(?P<val>[^=]+?)\s*[.,;]?\s*$")
_INDEXED_SIGMA = re.compile(r"\\sigma\s*_\s*(?:\{\s*[a-z]\s*\}|[a-z])")
_WORST = {"ill-defined": 4, "inconsistent": 3, "unparsed": 2, "consistent": 1, "exact": 0}


def judge_with_weight_definition(text: str, target: Optional[str], judge: Callable[[str, Optional[str]], Optional[Verdict]]
                                 ) -> Optional[Verdict]:
    """The worse of the objective's and its weighting's verdicts (module docstring), or None when ``text`` is not an
    objective followed by the choice of its λ."""
    from .objective_text import split_top
    from .objective_weighting import judge_weighting

    if r"\lambda" not in text:
        return None
    parts = split_top(text.rstrip(" .,;"), (",", r"\quad", r"\qquad"))
    if len(parts) < 2:
        return None
    m = _DEF.match(parts[-1])
    main = text[:len(text.rstrip(" .,;")) - len(parts[-1])].rstrip().rstrip(",").rstrip()
    main = re.sub(r"(?:\\q?quad|,)\s*$", "", main).rstrip()
    if m is None or not re.search(r"\\lambda\s*\(", main) or "=" not in main and r"\triangleq" not in main and r"\coloneqq" not in main:
        return None
    ov = judge(main, target)
    if ov is None:
        return None
    definition = re.sub(r"^\\q?quad\s*", "", parts[-1].strip())
    definition = _INDEXED_SIGMA.sub(r"\\sigma", definition)
    wv = judge_weighting(definition)
    if wv is None:  # a weighting outside the family's (1, σ², g²): the registry's weights judge it (EDM's Table 1)
        from .check import verify_formula  # (imported here: check imports the objective readers)

        got = verify_formula(definition, None, numeric=False)
        wv = got[0] if len(got) == 1 and got[0].verdict != "unparsed" else None
    if wv is None:
        return None
    worst = max((ov, wv), key=lambda v: _WORST.get(v.verdict, 5))
    return Verdict(text, worst.verdict, f"the objective: {ov.verdict}: {ov.detail} | its weighting {definition.strip()}: "
                   f"{wv.verdict}: {wv.detail}", claim=ov.claim, target=ov.target if worst is ov else wv.target,
                   terms=list(worst.terms or []) if worst.verdict != "exact" else [])
