"""Budgets: every formula is judged within a time and memory budget, and inputs that would make sympy
(or Python's big integers) explode are refused before they are built.

* Pre-checks on the text (:func:`precheck`): length, nesting depth of ``{ ( [``, digits of a number.
* While parsing (:func:`safe_pow`): a numeric power whose result would be astronomically large
  (``10^{10^{10}}``) and any numeric exponent above :data:`LIMITS` ``max_exponent``
  (``(1-\\bar\\alpha_t)^{100000000}``) are refused before sympy evaluates or expands them.
* While judging (:func:`limited`): a periodic CPU-time timer (``signal.setitimer(ITIMER_PROF)``, main
  thread of a Unix process) checks the CPU time used, the wall time (at most ``WALL_FACTOR`` times the
  budget) and the growth of the resident memory (``/proc/self/statm``), and raises
  :class:`BudgetExceeded` (a ``BaseException``, so no ``except Exception`` in sympy or here swallows it)
  when a budget is spent. The time budget counts CPU seconds so that a loaded machine does not turn
  verdicts into "not judged"; the wall-time cap still bounds a starved process. Elsewhere (other threads,
  no ``setitimer``) only the pre-checks apply.

Measured on a shared 2-core CPU: the timer costs < 1 % (a 50 ms tick); each hostile input of
tests/test_formulas_bounds.py is answered in well under a second.
"""
from __future__ import annotations

import os
import re
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

import sympy as sp

__all__ = ["Budget", "DEFAULT_BUDGET", "BudgetExceeded", "TooLarge", "LIMITS", "precheck", "safe_pow", "limited",
           "past_soft_deadline"]

#: (soft deadline) of the formula being judged: past it, optional refinements (repair diagnoses, a second
#: candidate) are skipped so that the verdict itself is reached within the budget
_SOFT = [None]
SOFT_FRACTION = 0.6
#: the wall-clock cap, in multiples of the (CPU) time budget
WALL_FACTOR = 10.0


def past_soft_deadline() -> bool:
    """True once the current formula has used SOFT_FRACTION of its time budget (never outside ``limited``)."""
    return _SOFT[0] is not None and time.process_time() > _SOFT[0]


@dataclass(frozen=True)
class Budget:
    """Per-formula budget: wall time in seconds and resident-memory growth in MB."""

    time_s: float = 2.0
    memory_mb: float = 256.0

    def __post_init__(self):
        if not (self.time_s > 0):
            raise ValueError(f"time budget: expected seconds > 0, got {self.time_s!r}")
        if not (self.memory_mb > 0):
            raise ValueError(f"memory budget: expected MB > 0, got {self.memory_mb!r}")


DEFAULT_BUDGET = Budget()

#: limits of the pre-checks (a formula beyond them is not judged, and the reason says which limit)
LIMITS = {"max_chars": 20000, "max_depth": 100, "max_digits": 100, "max_exponent": 1000, "max_base_digits": 100}


class BudgetExceeded(BaseException):
    """The formula ran out of its time or memory budget."""


class TooLarge(ValueError):
    """The formula is beyond a pre-check limit (size, depth, digits, exponent)."""


_DIGITS = re.compile(r"\d{%d,}" % (LIMITS["max_digits"] + 1))


def precheck(text: str) -> Optional[str]:
    """The reason a formula text is refused before parsing, or None."""
    if len(text) > LIMITS["max_chars"]:
        return f"the formula is {len(text)} characters long (limit {LIMITS['max_chars']})"
    m = _DIGITS.search(text)
    if m:
        return f"a number with {len(m.group(0))} digits (limit {LIMITS['max_digits']})"
    depth = worst = 0
    for ch in text:
        if ch in "{([":
            depth += 1
            worst = max(worst, depth)
        elif ch in "})]":
            depth = max(0, depth - 1)
    if worst > LIMITS["max_depth"]:
        return f"brackets nested {worst} deep (limit {LIMITS['max_depth']})"
    return None


def safe_pow(base: sp.Expr, exp: sp.Expr) -> sp.Expr:
    """``base ** exp``, refusing numeric exponents above the limit and numeric powers with huge results."""
    if isinstance(exp, sp.Number) and exp.is_finite:
        if abs(exp) > LIMITS["max_exponent"]:
            raise TooLarge(f"an exponent {_short(exp)} (limit {LIMITS['max_exponent']})")
        if isinstance(base, sp.Number) and base.is_finite and abs(exp) > 1:
            big = sp.Integer(10) ** LIMITS["max_base_digits"]
            if abs(base) > big or (base != 0 and abs(base) < 1 / big):
                raise TooLarge(f"a power of {_short(base)} (more than {LIMITS['max_base_digits']} digits) to the {_short(exp)}")
    elif isinstance(exp, sp.Basic) and exp.is_number and not exp.free_symbols:
        try:
            val = float(sp.N(exp, 15))
        except (TypeError, ValueError, OverflowError):
            val = float("inf")
        if abs(val) > LIMITS["max_exponent"]:
            raise TooLarge(f"an exponent {_short(exp)} (limit {LIMITS['max_exponent']})")
    return base ** exp


def _short(x) -> str:
    s = sp.sstr(x)
    return s if len(s) <= 24 else s[:10] + "…" + s[-6:] + f" ({len(s)} characters)"


def _rss_mb() -> Optional[float]:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@contextmanager
def limited(budget: Optional[Budget] = None, what: str = "the formula") -> Iterator[None]:
    """Raise :class:`BudgetExceeded` inside the block once its time or memory budget is spent."""
    budget = budget or DEFAULT_BUDGET
    start = time.monotonic()
    cpu0 = time.process_time()
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return
    _SOFT[0] = cpu0 + SOFT_FRACTION * budget.time_s
    base_mem = _rss_mb()
    tick = min(0.05, budget.time_s / 4)

    def handler(signum, frame):
        if time.process_time() - cpu0 > budget.time_s:
            _stop()
            raise BudgetExceeded(f"judging {what} took longer than the time budget ({budget.time_s:g} s of CPU time)")
        if time.monotonic() - start > WALL_FACTOR * budget.time_s:
            _stop()
            raise BudgetExceeded(f"judging {what} took longer than {WALL_FACTOR * budget.time_s:g} s of wall time "
                                 f"({WALL_FACTOR:g} × the time budget)")
        if base_mem is not None:
            now = _rss_mb()
            if now is not None and now - base_mem > budget.memory_mb:
                _stop()
                raise BudgetExceeded(f"judging {what} needed more than the memory budget ({budget.memory_mb:g} MB)")

    def _stop():
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)

    old_prof = signal.signal(signal.SIGPROF, handler)
    old_real = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_PROF, tick, tick)  # CPU time: the budget
    signal.setitimer(signal.ITIMER_REAL, 5 * tick, 5 * tick)  # wall time: the cap
    try:
        yield
    finally:
        _stop()
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_real)
        _SOFT[0] = None
