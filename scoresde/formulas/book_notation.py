"""Prince's square-bracket notation (Prince 2023, *Understanding Deep Learning*, Sec. 1 notation and Ch. 18).

Prince writes a function's arguments in square brackets, f[x, φ], and the normal distribution of a variable z as
Norm_z[μ, Σ] (Eq. 18.4: q(z_t | x) = Norm_{z_t}[√α_t x, (1 − α_t) I]). Rules (text level, before parsing):

* ``\\mathrm{Norm}_{z}[μ, Σ]`` is N(z; μ, Σ);
* a name followed by a square bracket that holds a top-level comma, ``g_t[z_t, φ_t]``, is that name applied to the
  arguments (a product with a pair of values means nothing), written with parentheses. The uniform distribution
  U[a, b] (𝒰, ``\\mathcal{U}``) and an expectation's bracket are not function calls and are left alone;
* a loss's name opening the formula takes its parameters in square brackets too, ``L[φ] = …`` (Prince 2023, Eq. 18.41).
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from .paper_notation import prince_normal

__all__ = ["square_bracket_calls"]

#: the end of a name just before a bracket: a letter, or the closing brace of a font / subscript group
_NAME_END = re.compile(r"(?:[A-Za-z]|\})\s*$")


def _bracket(s: str, i: int) -> Optional[Tuple[str, int, bool]]:
    """(inside, index after, top-level comma?) of ``[…]`` or ``\\left[…\\right]`` starting at ``s[i]`` (spaces skipped)."""
    while i < len(s) and s[i] == " ":
        i += 1
    left = s.startswith(r"\left[", i)
    if not left and not s.startswith("[", i):
        return None
    start = i + (6 if left else 1)
    depth, comma = 0, False
    j = start
    while j < len(s):
        if s.startswith(r"\right]", j) and depth == 0 and left:
            return s[start:j], j + 7, comma
        c = s[j]
        if c == "\\" and j + 1 < len(s) and s[j + 1] in "{}[]":
            j += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return (s[start:j], j + 1, comma) if c == "]" and not left else None
            depth -= 1
        elif c == "," and depth == 0:
            comma = True
        j += 1
    return None


def square_bracket_calls(s: str) -> str:
    """The rules of the module docstring applied to LaTeX text ``s``."""
    if "[" not in s:
        return s
    s = prince_normal(s)  # Norm_z[μ, Σ]: one reader for it (paper_notation.py)
    out, i = [], 0
    for m in re.finditer(r"\\left\[|\[", s):
        if m.start() < i:
            continue
        before = s[:m.start()]
        if not _NAME_END.search(before) or re.search(r"(?:\\mathcal\s*\{\s*U\s*\}|\\mathbb\s*\{\s*E\s*\}|(?<![A-Za-z\\])[UE])"
                                                     r"(?:_\s*(?:\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|\S))?\s*$", before):
            continue
        if re.search(r"\\[A-Za-z]+\s*$", before):
            continue  # \in [0, T], \sqrt[n]{…}: a command before the bracket, not a name
        br = _bracket(s, m.start())
        if br is not None and (":" in br[0] or "None" in br[0]):
            continue  # a Python slice, std[:, None]: indexing, not a call
        loss = re.fullmatch(r"\s*(?:L|J|\\mathcal\s*\{\s*[LJ]\s*\})\s*", before) is not None
        if br is None or not (br[2] or loss):
            continue
        out.append(s[i:m.start()] + "(" + br[0] + ")")
        i = br[1]
    return "".join(out) + s[i:]
