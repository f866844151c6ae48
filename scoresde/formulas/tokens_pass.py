"""Token-level LaTeX usage read before parsing (general rules of LaTeX typesetting, each with its reason):

* ``~`` is LaTeX's tie, an unbreakable space (Lamport, *LaTeX*, 2nd ed., Sec. 2.2.1; "distributed as" is
  ``\\sim``): in a formula that states an equation (``=``) a ``~`` is that space
  (``\\sqrt{2\\epsilon}~ \\mathbf{z}_i``); only a formula with no ``=`` may use a bare ``~`` for ``\\sim``
  (``x ~ N(0, I)`` as typed in plain text);
* an ellipsis standing for a whole side of a chain of equalities (``a &= b \\\\ &= \\dots \\\\ &= c``: steps left
  out) is no formula of its own: the chain is read without it (``a = b = c``).
"""
from __future__ import annotations

from typing import List

from .tokens import Tok

__all__ = ["prepare_tokens"]

_REL = {"=", "approx", "coloneqq", "triangleq", "equiv", "doteq", "simeq"}
_ELLIPSIS = {"dots", "ldots", "cdots", "vdots"}
_SPACE = {",", ";", ":", "!", " ", "quad", "qquad"}


def _is_eq(t: Tok) -> bool:
    return (t.kind == "op" and t.val == "=") or (t.kind == "cmd" and t.val in _REL)


def prepare_tokens(toks: List[Tok]) -> List[Tok]:
    """The token list with ties read as spaces and elided chain sides removed (module docstring)."""
    if any(_is_eq(t) for t in toks):
        toks = [t for t in toks if not (t.kind == "op" and t.val == "~")]
    out: List[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if _is_eq(t):
            j = i + 1
            while j < len(toks) and toks[j].kind == "cmd" and toks[j].val in _SPACE:
                j += 1
            k = j
            while k < len(toks) and toks[k].kind == "cmd" and toks[k].val in _ELLIPSIS:
                k += 1
            while k < len(toks) and toks[k].kind == "cmd" and toks[k].val in _SPACE:
                k += 1
            if k > j and out and (k == len(toks) or _is_eq(toks[k])):
                i = k  # "= \dots =" -> "=" (the next '=' is kept); "= \dots" at the end -> nothing
                if k == len(toks):
                    break
                continue
        out.append(t)
        i += 1
    return out
