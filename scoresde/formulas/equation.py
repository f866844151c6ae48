"""One equation ``A = B`` parsed for a reader that handles only that shape (or None, never an exception)."""
from __future__ import annotations

from typing import Optional

from .atoms import Parsed, ParseError

__all__ = ["two_sided"]


def two_sided(text: str) -> Optional[Parsed]:
    """The parse of ``text`` when it is one equation with two sides; None when it is not, or cannot be read."""
    from .parse import parse  # (parse imports the readers that call this)

    try:
        p = parse(text)
    except (ParseError, ValueError, TypeError, RecursionError):
        return None
    return p if len(p.sides) == 2 and p.relation == "=" else None
