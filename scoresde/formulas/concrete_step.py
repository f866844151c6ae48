"""A step written at a concrete index, q(x_1 | x_0) = N(x_1; √(1 − β_1) x_0, β_1 I): the general step at t = 1.

Books and blogs write the first step of the chain with numbers (Bishop & Bishop 2024, Eq. 20.1: q(z_1 | x) =
N(z_1 | √(1 − β_1) x, β_1 I); Ho et al. 2020, Eq. 2 at t = 1). Such a formula is the instance of the step formula at
that index: every subscript n is read as t and n − 1 as t − 1 (the step from x_{t−1} to x_t at t = n), and it is
judged as that step, said in the verdict. Applied only to a formula whose every index is a number (no index letter),
as a second reading where the first one cannot tell which step the formula is.
"""
from __future__ import annotations

import re
from typing import List

__all__ = ["at_general_index"]

_SUB = re.compile(r"_\s*(?:\{\s*(\d+)\s*\}|(\d))")
_LETTER_SUB = re.compile(r"_\s*(?:\{\s*[a-zA-Z]|[a-zA-Z])")


def at_general_index(eq: str) -> List[str]:
    """``eq`` with its numeric subscripts n and n − 1 written t and t − 1 (module docstring); at n = 1 also with 0 kept,
    since x_0 is the data as well as the state before the first step (q(x_1 | x_0) is both the first step and the
    marginal at t = 1). Empty when the rule does not apply."""
    if _LETTER_SUB.search(re.sub(r"_\s*\{\s*\\(?:mathrm|text)\s*\{[^{}]*\}\s*\}", "", eq)):
        return []  # an index letter already: not a formula at a concrete step
    nums = {int(m.group(1) or m.group(2)) for m in _SUB.finditer(eq)}
    if not nums or len(nums) > 2 or max(nums) < 1 or (len(nums) == 2 and min(nums) != max(nums) - 1):
        return []
    n = max(nums)
    out = [_SUB.sub(lambda m: "_{t}" if int(m.group(1) or m.group(2)) == n else "_{t-1}", eq)]
    if n == 1 and 0 in nums:
        out.append(_SUB.sub(lambda m: "_{t}" if int(m.group(1) or m.group(2)) == n else m.group(0), eq))
    return out
