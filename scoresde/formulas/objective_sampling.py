"""A sampling statement written after a loss: ``E[λ(σ)‖D(y + n; σ) − y‖²], \\quad n ∼ N(0, σ² I)``.

Karras et al. 2022 (EDM) write Eq. 2 and Eq. 8 as an expectation over σ, y, n and state n ∼ N(0, σ² I) after it
("where"), as do many notes; the statement is the distribution the expectation draws that variable from, exactly as if
it were written in the subscript (E_{n ∼ N(0, σ² I)}). A tail made only of such statements (separated by commas,
``\\quad``, ``\\text{where}``/``\\text{with}``) is read that way; anything else after the norm stays unread.
"""
from __future__ import annotations

import re
from typing import List, Optional

__all__ = ["trailing_sampling"]

_SEP = re.compile(r"^(?:\s|,|;|\\[,;:! ]|\\q?quad(?![A-Za-z])|\\(?:text|mathrm)\s*\{\s*(?:where|with|and|for)?\s*\}|"
                  r"(?<![A-Za-z])(?:where|with|and)(?![A-Za-z]))*")
_STATEMENT = re.compile(r"^(?P<var>(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?\\?[A-Za-z]+\s*\}?(?:\s*_\s*(?:\{[^{}]*\}|\w))?)"
                        r"\s*\\sim\s*(?P<dist>\\mathcal\s*\{?\s*N\s*\}?\s*\(.*|\\mathcal\s*\{?\s*U\s*\}?.*|p_\{?\s*\\(?:text|mathrm)\s*\{\s*data\s*\}\s*\}?.*)$",
                        re.S)


def trailing_sampling(post: str) -> Optional[List[str]]:
    """The statements ``var ∼ dist`` that make up ``post`` (the text after a loss's norm), or None."""
    s = post.lstrip(" ]})").strip()
    s = re.sub(r"^\\right\s*[\]\)]", "", s).strip()
    s = s.rstrip(" .")
    if not s:
        return None
    out = []
    for part in re.split(r",\s*(?:\\q?quad\s*)?(?=(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?\\?[A-Za-z]+\s*\}?(?:\s*_\s*(?:\{[^{}]*\}|\w))?\s*\\sim)", s):
        part = _SEP.sub("", part.strip(), count=1).strip()
        if not part:
            continue
        m = _STATEMENT.match(part)
        if not m:
            return None
        out.append(m.group("var").strip() + r" \sim " + m.group("dist").strip())
    return out or None
