"""The verdict record: one formula's result (``scoresde verify --json`` writes its ``record()``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

__all__ = ["Verdict", "VERDICTS", "RANK"]

VERDICTS = ("exact", "consistent", "inconsistent", "ill-defined", "unparsed")
RANK = {"exact": 0, "consistent": 1, "inconsistent": 2, "ill-defined": 3, "unparsed": 4}


@dataclass
class Verdict:
    """One formula's result (the JSON record of ``scoresde verify --json``)."""

    latex: str
    verdict: str
    detail: str
    claim: str = ""  # what it was read as
    target: Optional[str] = None
    order: Optional[int] = None
    source: str = ""
    location: str = ""
    notes: List[str] = field(default_factory=list)
    numeric: Optional[str] = None
    #: the offending pieces of a non-exact verdict (drift, diffusion, noise, mean.x, mean.x0, mean.score,
    #: mean.eps, mean.other, variance, rhs)
    terms: List[str] = field(default_factory=list)
    #: the charitable reading under which the formula was judged again ("F dropped"), and that verdict
    reading: Optional[str] = None
    reading_verdict: Optional[str] = None

    def record(self) -> dict:
        detail = self.detail
        if self.notes:
            detail += " [" + "; ".join(self.notes) + "]"
        if self.numeric:
            detail += " Numeric check: " + self.numeric
        return {"source": self.source, "location": self.location, "latex": self.latex, "claim": self.claim,
                "verdict": self.verdict, "order": self.order, "detail": detail, "target": self.target,
                "terms": list(self.terms), "reading": self.reading, "reading_verdict": self.reading_verdict}
