"""Formula verification: a registry of named, cited formulas and a verifier for written ones.

    from scoresde.formulas import verify_latex, verify_document, verify_claims_file, builtin_report
    verify_latex(r"x_{i-1} = x_i + (\\sigma_i^2 - \\sigma_{i-1}^2) s_\\theta(x_i) + \\sqrt{\\sigma_i^2 - \\sigma_{i-1}^2} z")

See docs/verify.md for the verdicts, the notation readings and the YAML claims schema.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Tuple

from .bounds import Budget, BudgetExceeded
from .check import VERDICTS, Verdict, verify_formula
from .claims import ClaimSpec, load_claims, parse_claims
from .files import MAX_BYTES, FileProblem, read_text
from .registry import REGISTRY, Entry, get, run_ties
from .tables import find_formulas

__all__ = ["VERDICTS", "Verdict", "REGISTRY", "Entry", "get", "run_ties", "verify_latex", "verify_document",
           "verify_text", "verify_claims", "verify_claims_file", "builtin_report", "ClaimSpec", "load_claims", "parse_claims",
           "Budget", "BudgetExceeded", "FileProblem", "count_formulas"]

OnVerdict = Optional[Callable[[Verdict], None]]


def verify_latex(latex: str, target: Optional[str] = None, *, notation: Optional[str] = None, numeric=True,
                 source: str = "command line", location: str = "", budget: Optional[Budget] = None) -> List[Verdict]:
    """Judge a formula given as LaTeX (or plain math)."""
    if target is not None:
        get(target)
    hints = {"notation": notation} if notation else {}
    return verify_formula(latex, target, hints=hints, numeric=numeric, source=source, location=location, budget=budget)


def count_formulas(text: str) -> int:
    """How many formulas :func:`verify_text` will judge in ``text`` (for progress bars)."""
    from .snippets import find_snippets

    return len(find_formulas(text)) + len(find_snippets(text))


def verify_text(text: str, source: str = "", numeric=True, *, budget: Optional[Budget] = None,
                on_verdict: OnVerdict = None) -> List[Verdict]:
    """Judge every table-cell and display-math formula of a markdown / plain-text document, and every fenced
    code block that implements a sampling update (read as the update it implements). ``on_verdict`` is
    called with each verdict as soon as it is reached."""
    from .snippets import verify_snippets
    from .tables import header_hint

    out: List[Verdict] = []
    for f in find_formulas(text):
        vs = verify_formula(f.latex, None, numeric=numeric, source=source, location=f.location, column=f.column, budget=budget)
        hint = header_hint(f.row, f.column)
        for v in vs:
            if f.alternative:
                v.location += f" ({f.alternative})"
            if hint:
                v.notes.insert(0, f"headers say: {hint}")
                _header_conflict(v, hint)
            if on_verdict is not None:
                on_verdict(v)
        out.extend(vs)
    for v in verify_snippets(text, source=source, numeric=numeric, budget=budget):
        if on_verdict is not None:
            on_verdict(v)
        out.append(v)
    return out


def _header_conflict(v: Verdict, hint: str) -> None:
    c = v.claim.lower()
    if "ddpm/vp" in hint.lower() and "smld/ve" in c:
        v.notes.append("the row says DDPM but the formula uses SMLD/VE symbols")
    if "smld/ve" in hint.lower() and "ddpm/vp" in c:
        v.notes.append("the row says SMLD but the formula uses DDPM/VP symbols")
    if "reverse" in hint and ("forward" in c and "reverse" not in c):
        v.notes.append("the column says reverse but the formula reads as a forward process")
    if "forward" in hint and "reverse" in c:
        v.notes.append("the column says forward but the formula reads as a reverse process")


def verify_document(path: str, numeric=True, *, budget: Optional[Budget] = None, max_bytes: int = MAX_BYTES,
                    on_verdict: OnVerdict = None) -> List[Verdict]:
    """Judge a document's formulas; a file that is missing, over ``max_bytes`` or not UTF-8 raises
    :class:`FileProblem` (a ValueError naming the file)."""
    return verify_text(read_text(path, max_bytes), source=path, numeric=numeric, budget=budget, on_verdict=on_verdict)


def verify_claims(specs: List[ClaimSpec], source: str = "", numeric=True, *, budget: Optional[Budget] = None,
                  on_verdict: OnVerdict = None) -> List[Tuple[ClaimSpec, Verdict]]:
    out = []
    for sp_ in specs:
        text = sp_.text
        hints = {"notation": sp_.notation} if sp_.notation else {}
        for v in verify_formula(text, sp_.target, hints=hints, numeric=numeric, source=source or sp_.source,
                                location=sp_.name, ignore=tuple(sp_.symbols), budget=budget):
            if on_verdict is not None:
                on_verdict(v)
            out.append((sp_, v))
    return out


def verify_claims_file(path: str, numeric=True, *, budget: Optional[Budget] = None, max_bytes: int = MAX_BYTES,
                       on_verdict: OnVerdict = None) -> List[Tuple[ClaimSpec, Verdict]]:
    return verify_claims(load_claims(path, max_bytes), source=path, numeric=numeric, budget=budget, on_verdict=on_verdict)


def builtin_report() -> List[Tuple[str, bool, str]]:
    """Every registry entry: its tie to the package and its own LaTeX read back as exact."""
    rows = []
    for name, ok, detail in run_ties():
        e = REGISTRY[name]
        vs = verify_formula(e.latex, name, numeric=False)
        self_ok = all(v.verdict == "exact" for v in vs)
        msg = detail + ("" if self_ok else f"; its LaTeX reads back as {vs[0].verdict}: {vs[0].detail}")
        rows.append((name, ok and self_ok, msg))
    return rows
