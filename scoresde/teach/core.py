"""The machinery every derivation shares: a narrated, checked derivation.

A topic module (``scoresde/teach/tNN_*.py``) defines ``KEY``, ``TITLE``, ``CLAIM``, ``SOURCES`` and
``derive(d: Derivation)``. ``derive`` prints a short derivation through ``d.step`` / ``d.say`` /
``d.show`` and records every claim it makes as a :class:`Check` through ``d.zero`` (sympy),
``d.at_most`` / ``d.between`` / ``d.holds`` (numbers). :func:`run` turns one topic into an
:class:`Outcome`; a derivation passes only if every check passes (a raised exception is a failed
check, with its traceback printed).
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import textwrap
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional, TextIO

import sympy as sp

WIDTH = 100


@dataclass
class Check:
    """One recorded claim: what was checked, the measured value, the criterion, pass or fail."""

    label: str
    passed: bool
    value: Any = None
    criterion: str = ""

    def line(self) -> str:
        mark = "[ok]  " if self.passed else "[FAIL]"
        val = "" if self.value is None else f" = {_fmt(self.value)}"
        crit = f"  ({self.criterion})" if self.criterion else ""
        return f"{mark} {self.label}{val}{crit}"

    def md_line(self) -> str:
        mark = "- ✅" if self.passed else "- ❌ **FAILED**"
        val = "" if self.value is None else f" = `{_fmt(self.value)}`"
        crit = f" ({self.criterion})" if self.criterion else ""
        return f"{mark} {self.label}{val}{crit}"


@dataclass
class Outcome:
    """The result of running one derivation."""

    key: str
    title: str
    checks: List[Check] = field(default_factory=list)
    figures: List[Path] = field(default_factory=list)
    seconds: float = 0.0
    fast: bool = False

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> List[Check]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        n_ok = sum(c.passed for c in self.checks)
        status = "PASS" if self.passed else "FAIL"
        return f"{status}  {self.key}  {self.title}  ({n_ok}/{len(self.checks)} checks, {self.seconds:.1f} s)"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == 0 or not math.isfinite(v):
            return repr(v)
        a = abs(v)
        return f"{v:.3g}" if 1e-3 <= a < 1e4 else f"{v:.2e}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, sp.Basic):
        return sp.sstr(v)
    return str(v)


FORMATS = ("text", "markdown")


#: Unicode letters used in symbol names -> LaTeX (sympy's printer leaves them as they are)
_UNICODE_TEX = {"ᾱ": r"\bar{\alpha}", "α": r"\alpha ", "β": r"\beta ", "γ": r"\gamma ", "Δ": r"\Delta ", "ε": r"\epsilon ",
                "θ": r"\theta ", "λ": r"\lambda ", "μ": r"\mu ", "ρ": r"\rho ", "σ": r"\sigma ", "τ": r"\tau ",
                "φ": r"\phi ", "ω": r"\omega "}


def latex(expr: Any) -> str:
    """LaTeX of a sympy expression, Greek symbol names included (strings are returned unchanged)."""
    if not isinstance(expr, sp.Basic):
        return str(expr)
    out = sp.latex(expr)
    for k, v in _UNICODE_TEX.items():
        out = out.replace(k, v)
    return out


class Derivation:
    """Narration and checks of one derivation (see the module docstring).

    ``fmt="text"`` prints plain text (sympy in one-line form); ``fmt="markdown"`` prints GitHub markdown:
    steps as headings, sympy expressions as ``$$...$$`` LaTeX, checks as a list, tables as markdown tables.
    """

    def __init__(self, key: str, title: str, *, fast: bool = False, figdir: Optional[Path] = None,
                 stream: Optional[TextIO] = None, fmt: str = "text"):
        if fmt not in FORMATS:
            raise ValueError(f"format: unknown {fmt!r}; valid: {', '.join(FORMATS)}")
        self.fmt = fmt
        self.key, self.title, self.fast = key, title, bool(fast)
        self.figdir = Path(figdir) if figdir is not None else None
        self.stream = stream if stream is not None else sys.stdout
        self.checks: List[Check] = []
        self.figures: List[Path] = []
        self._n_step = 0

    # ------------------------------------------------------------------ narration
    def _print(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    @property
    def md(self) -> bool:
        return self.fmt == "markdown"

    def header(self, claim: str, sources: str) -> None:
        if self.md:
            self._print(f"## {self.key}. {self.title}\n")
            self._print(f"**Claim.** {' '.join(claim.split())}\n")
            self._print(f"*Sources:* {' '.join(sources.split())}")
            if self.fast:
                self._print("\n*(fast mode: fewer samples and step counts)*")
            return
        self._print("=" * WIDTH)
        self._print(f"{self.key}. {self.title}")
        self._print("=" * WIDTH)
        self._wrap("Claim: " + claim, "")
        self._wrap("Sources: " + sources, "")
        if self.fast:
            self._print("(fast mode: fewer samples and step counts)")

    def step(self, title: str) -> None:
        """Start the next step of the derivation."""
        self._n_step += 1
        self._print("")
        self._print(f"### Step {self._n_step}. {title}\n" if self.md else f"Step {self._n_step}. {title}")

    def say(self, text: str) -> None:
        """Paragraphs of explanation (wrapped and indented; a blank line separates paragraphs)."""
        paras = [" ".join(p.split()) for p in textwrap.dedent(text).strip().split("\n\n")]
        if self.md:
            self._print("\n" + "\n\n".join(paras) + "\n")
            return
        self._wrap("\n".join(paras), "  ")

    def show(self, label: str, expr: Any) -> None:
        """Print ``label = expr`` (sympy expressions in compact one-line form, or as LaTeX in markdown)."""
        if self.md:
            if isinstance(expr, sp.Basic):
                self._print(f"{label}:\n\n$$ {latex(expr)} $$\n")
            else:
                self._print(f"{label} = `{_fmt(expr)}`\n")
            return
        self._print(f"    {label} = {_fmt(expr)}")

    def table(self, header: List[str], rows: List[List[Any]]) -> None:
        """A small aligned text table."""
        cells = [[str(h) for h in header]] + [[_fmt(c) if not isinstance(c, str) else c for c in r] for r in rows]
        if self.md:
            self._print("")
            for i, r in enumerate(cells):
                self._print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
                if i == 0:
                    self._print("|" + "---|" * len(header))
            self._print("")
            return
        w = [max(len(r[j]) for r in cells) for j in range(len(header))]
        for i, r in enumerate(cells):
            self._print("    " + "  ".join(c.ljust(w[j]) for j, c in enumerate(r)).rstrip())
            if i == 0:
                self._print("    " + "  ".join("-" * w[j] for j in range(len(header))))

    def _wrap(self, text: str, indent: str) -> None:
        for para in text.split("\n"):
            lines = textwrap.wrap(para, WIDTH - len(indent), subsequent_indent="  " if not indent else "") or [""]
            for ln in lines:
                self._print(indent + ln)

    # ------------------------------------------------------------------ checks
    def record(self, label: str, passed: bool, value: Any = None, criterion: str = "") -> bool:
        c = Check(label, bool(passed), value, criterion)
        self.checks.append(c)
        self._print(c.md_line() if self.md else "  " + c.line())
        return c.passed

    def zero(self, label: str, expr: Any, *, simplify=None) -> bool:
        """Check symbolically that ``expr`` simplifies to 0 (sympy)."""
        simp = simplify or sp.simplify
        res = simp(sp.sympify(expr))
        ok = res == 0
        return self.record(label, ok, None if ok else res, "sympy: simplifies to 0" if ok else "sympy: does not simplify to 0")

    def equal(self, label: str, lhs: Any, rhs: Any, *, simplify=None) -> bool:
        """Check symbolically that lhs == rhs."""
        return self.zero(label, sp.sympify(lhs) - sp.sympify(rhs), simplify=simplify)

    def at_most(self, label: str, value: float, bound: float) -> bool:
        value = float(value)
        return self.record(label, math.isfinite(value) and value <= bound, value, f"<= {_fmt(float(bound))}")

    def at_least(self, label: str, value: float, bound: float) -> bool:
        value = float(value)
        return self.record(label, math.isfinite(value) and value >= bound, value, f">= {_fmt(float(bound))}")

    def close(self, label: str, value: float, target: float, tol: float) -> bool:
        """Check |value - target| <= tol."""
        value = float(value)
        ok = math.isfinite(value) and abs(value - target) <= tol
        return self.record(label, ok, value, f"target {_fmt(float(target))}, tolerance {_fmt(float(tol))}")

    def between(self, label: str, value: float, lo: float, hi: float) -> bool:
        value = float(value)
        return self.record(label, math.isfinite(value) and lo <= value <= hi, value, f"in [{_fmt(float(lo))}, {_fmt(float(hi))}]")

    def holds(self, label: str, condition: bool, value: Any = None, criterion: str = "") -> bool:
        return self.record(label, bool(condition), value, criterion)

    # ------------------------------------------------------------------ figures
    @property
    def wants_figures(self) -> bool:
        return self.figdir is not None

    def savefig(self, fig, name: str) -> Optional[Path]:
        """Save a matplotlib figure as figdir/name (atomically) and close it; no-op without figdir."""
        import matplotlib.pyplot as plt

        if self.figdir is None:
            plt.close(fig)
            return None
        path = save_png(fig, self.figdir / name)
        plt.close(fig)
        self.figures.append(path)
        if self.md:
            self._print(f"\n![{name}]({path})\n")
        else:
            self._print(f"  figure: {path} ({path.stat().st_size // 1024} KB)")
        return path


def save_png(fig, path: Path, dpi: int = 100) -> Path:
    """Write a PNG atomically (temp file in the same folder, then rename); palette-quantised to stay small."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": None})
        _quantise(tmp)
        publish(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def publish(tmp: str, path: Path) -> None:
    """Give a finished temp file the usual permissions (mkstemp makes it 0600) and move it into place."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def _quantise(path: str) -> None:
    """Reduce an RGBA PNG to a 256-colour palette if Pillow is available (plots need no more)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - matplotlib depends on Pillow
        return
    with Image.open(path) as im:
        im = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        im.save(path, format="PNG", optimize=True)


def run(module, *, fast: bool = False, figdir: Optional[Path] = None, stream: Optional[TextIO] = None,
        fmt: str = "text") -> Outcome:
    """Run one topic module's derivation and return its :class:`Outcome` (``fmt``: "text" or "markdown")."""
    d = Derivation(module.KEY, module.TITLE, fast=fast, figdir=figdir, stream=stream, fmt=fmt)
    t0 = time.perf_counter()
    d.header(module.CLAIM, module.SOURCES)
    try:
        module.derive(d)
    except Exception as e:  # a derivation that crashes has failed its check
        d._print(traceback.format_exc().rstrip())
        d.record(f"derivation ran to the end (raised {type(e).__name__}: {e})", False)
    out = Outcome(module.KEY, module.TITLE, d.checks, d.figures, time.perf_counter() - t0, fast)
    d._print("")
    d._print(f"**{out.summary()}**" if d.md else out.summary())
    return out
