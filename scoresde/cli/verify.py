"""``scoresde verify``: check tabulated SDE / DDPM / SMLD formulas against the registry.

    scoresde verify notes.md claims.yaml --latex '\\beta_t = 1 - \\bar\\alpha_t/\\bar\\alpha_{t-1}' --json out.json
    scoresde verify --builtin

Exit code 0 when every formula is exact or consistent (or only unparsed), 1 when some formula is
inconsistent or ill-defined (or, with --builtin, a registry entry disagrees with the package),
2 on bad input (a file that cannot be read is reported on one line naming it; the other files are still
verified). Each formula is judged within --time-budget / --memory-budget; on a terminal a progress bar
runs and each verdict is printed as soon as it is reached.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
from typing import List

__all__ = ["add_parser", "format_report", "format_summary", "format_one"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "verify", help="check formulas (markdown tables, YAML claims, LaTeX) against the registry",
        description="Judge each formula: exact, consistent (order p), inconsistent (the mismatching term), "
                    "ill-defined or unparsed. See docs/verify.md.")
    p.add_argument("paths", nargs="*", help="markdown/plain-text documents (.md, .txt) or YAML claims files (.yaml, .yml)")
    p.add_argument("--latex", action="append", default=[], metavar="STR", help="a formula in LaTeX (repeatable)")
    p.add_argument("--target", default=None, metavar="NAME", help="registry entry the --latex formulas claim to be (default: inferred)")
    p.add_argument("--builtin", action="store_true", help="check every registry entry against the package's implementation")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the records as JSON")
    p.add_argument("--numeric", choices=("auto", "always", "never"), default="auto",
                   help="run reverse steps as samplers: only where the symbolic check cannot decide (auto, default), "
                        "for every reverse step (always), or never")
    p.add_argument("--no-numeric", action="store_true", help="same as --numeric never")
    p.add_argument("--time-budget", type=float, default=2.0, metavar="S", help="seconds per formula (default 2)")
    p.add_argument("--memory-budget", type=float, default=256.0, metavar="MB", help="memory growth per formula in MB (default 256)")
    p.add_argument("--max-bytes", type=int, default=2_000_000, metavar="N", help="largest document / claims file read (default 2000000)")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="progress bar on stderr (auto: when stderr is a terminal)")
    p.add_argument("--list", action="store_true", help="list the registry entries and exit")
    p.set_defaults(func=run)


def _write_json(path: str, records) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".verify-", suffix=".json", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(records, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _wrap(label: str, text: str, width: int = 100) -> str:
    return textwrap.fill(text, width=width, initial_indent=f"    {label:<9}", subsequent_indent=" " * 13)


def verdict_cell(v) -> str:
    """The verdict as written, with the verdict under the stated reading when there is one."""
    cell = v.verdict + (f" (order {v.order})" if v.order else "")
    if v.reading_verdict:
        cell += f"; {v.reading_verdict} under a reading"
    return cell


def format_one(i: int, v) -> str:
    """One formula's block of the report."""
    lines = [f"[{i}] {v.verdict.upper()}  {(os.path.basename(v.source) + ': ') if v.source else ''}{v.location}"]
    lines.append(_wrap("formula", v.latex))
    lines.append(_wrap("read as", (v.claim or "-") + (f"  → target {v.target}" if v.target else "")))
    lines.append(_wrap("reason", v.detail))
    if v.reading:
        lines.append(_wrap("reading", f"{v.reading_verdict} if {v.reading}"))
    if v.terms:
        lines.append(_wrap("terms", ", ".join(v.terms)))
    for n in v.notes:
        lines.append(_wrap("note", n))
    if v.numeric:
        lines.append(_wrap("numeric", v.numeric))
    return "\n".join(lines) + "\n"


def format_report(verdicts) -> str:
    """Each formula's block (as printed while verifying) followed by the summary table."""
    if not verdicts:
        return "no formulas found\n"
    return "\n".join(format_one(i, v) for i, v in enumerate(verdicts, 1)) + "\n" + format_summary(verdicts)


def format_summary(verdicts) -> str:
    """A numbered table (location, read as, verdict as written; under a reading) and the counts."""
    if not verdicts:
        return "no formulas found\n"
    rows = []
    for i, v in enumerate(verdicts, 1):
        where = (os.path.basename(v.source) + ": " if v.source else "") + (v.location or "")
        rows.append((str(i), where, v.claim or "-", verdict_cell(v)))
    w = [max(len(r[k]) for r in rows) for k in range(4)]
    w[1] = min(w[1], 70)
    w[2] = min(w[2], 50)
    w[3] = min(w[3], 44)
    head = ("#", "location", "read as", "verdict")
    lines = ["  ".join(h.ljust(w[k]) for k, h in enumerate(head)), "  ".join("-" * w[k] for k in range(4))]
    for r in rows:
        lines.append("  ".join((r[k][: w[k] - 1] + "…" if len(r[k]) > w[k] else r[k]).ljust(w[k]) for k in range(4)))
    lines.append("")
    counts = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    lines.append("summary: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    return "\n".join(lines) + "\n"


class _Progress:
    """A tqdm bar on stderr (only when asked or stderr is a terminal) and each verdict printed as it comes."""

    def __init__(self, mode: str, total: int):
        self.bar = None
        if mode == "on" or (mode == "auto" and sys.stderr.isatty()):
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="formula", file=sys.stderr, dynamic_ncols=True, leave=False)
        self.n = 0

    def __call__(self, v) -> None:
        self.n += 1
        text = format_one(self.n, v)
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
            self.bar.update(1)
        else:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _total(paths, max_bytes: int) -> int:
    from ..formulas import count_formulas
    from ..formulas.files import FileProblem, read_text

    n = 0
    for path in paths:
        try:
            if path.lower().endswith((".yaml", ".yml")):
                from ..formulas.claims import load_claims

                n += len(load_claims(path, max_bytes))
            else:
                n += count_formulas(read_text(path, max_bytes))
        except (FileProblem, ValueError):
            continue
    return n


def run(args: argparse.Namespace) -> int:
    from ..formulas import REGISTRY, Budget, FileProblem, builtin_report, verify_claims_file, verify_document, verify_latex

    if args.list:
        for e in REGISTRY.values():
            sys.stdout.write(f"{e.name:<32} {e.title}  [{e.source}]\n")
        return 0
    from . import checks

    checks.nonempty("--target", args.target, "registry entry")
    for k, tex in enumerate(args.latex, 1):
        if not tex.strip():
            raise ValueError(f"--latex: formula {k} is empty; give a LaTeX formula such as '\\beta_t = 1 - \\alpha_t'")
        if len(tex) > 10_000:
            raise ValueError(f"--latex: formula {k} has {len(tex):_} characters; at most 10_000")
    for path in args.paths:  # a wrong path is refused before any work ...
        checks.existing_file("PATHS", path)
    # ... while binary, non-UTF-8 or oversized files are reported one line each, naming the file, and the
    # other files are still judged (scoresde.formulas' bounded reader); the exit code is then 2
    checks.output_file("--json", args.json)
    if args.target is not None and args.target not in REGISTRY:
        raise ValueError(f"--target: unknown registry entry {args.target!r}; run 'scoresde verify --list'")
    if args.target is not None and not args.latex:
        raise ValueError("--target applies to --latex formulas; give at least one --latex")
    if not args.paths and not args.latex and not args.builtin:
        raise ValueError("nothing to verify: give PATHS, --latex or --builtin")
    if not args.time_budget > 0:
        raise ValueError(f"--time-budget: expected seconds > 0, got {args.time_budget}")
    if not args.memory_budget > 0:
        raise ValueError(f"--memory-budget: expected MB > 0, got {args.memory_budget}")
    if args.max_bytes <= 0:
        raise ValueError(f"--max-bytes: expected a positive number of bytes, got {args.max_bytes}")
    for path in args.paths:
        if not os.path.isfile(path):
            raise ValueError(f"paths: no such file {path!r}")
    numeric = "never" if args.no_numeric else args.numeric
    budget = Budget(args.time_budget, args.memory_budget)
    records: List[dict] = []
    failed = False
    bad_files = []
    if args.builtin:
        rows = builtin_report()
        width = max(len(n) for n, _, _ in rows)
        sys.stdout.write("registry entries against the package (tie) and their own LaTeX read back:\n")
        for name, ok, detail in rows:
            sys.stdout.write(f"  {'ok  ' if ok else 'FAIL'} {name:<{width}}  {detail}\n")
            records.append({"source": "builtin", "location": name, "latex": REGISTRY[name].latex, "claim": REGISTRY[name].title,
                            "verdict": "exact" if ok else "inconsistent", "order": None, "detail": detail})
            failed |= not ok
        from ..formulas.mt_ties import mt_builtin_report
        from ..formulas.mt_refs import by_name

        for name, ok, detail in mt_builtin_report():  # the multi-time references (solver algorithm lines)
            sys.stdout.write(f"  {'ok  ' if ok else 'FAIL'} {name:<{width}}  {detail}\n")
            records.append({"source": "builtin", "location": name, "latex": by_name(name).latex, "claim": by_name(name).title,
                            "verdict": "exact" if ok else "inconsistent", "order": None, "detail": detail})
            rows.append((name, ok, detail))
            failed |= not ok
        sys.stdout.write(f"{sum(ok for _, ok, _ in rows)}/{len(rows)} entries agree with the implementation\n\n")
    verdicts = []
    progress = _Progress(args.progress, _total(args.paths, args.max_bytes) + len(args.latex))
    try:
        for path in args.paths:
            try:
                if path.lower().endswith((".yaml", ".yml")):
                    for spec, v in verify_claims_file(path, numeric=numeric, budget=budget, max_bytes=args.max_bytes,
                                                      on_verdict=progress):
                        if spec.expect is not None and spec.expect != v.verdict:
                            v.notes.append(f"the claims file expects {spec.expect}")
                        verdicts.append(v)
                else:
                    found = verify_document(path, numeric=numeric, budget=budget, max_bytes=args.max_bytes, on_verdict=progress)
                    if not found:
                        sys.stdout.write(f"{path}: no table-cell, display or code-block formulas found\n")
                    verdicts.extend(found)
            except FileProblem as err:  # one line naming the file; the other files go on
                sys.stderr.write(f"scoresde verify: error: {err}\n")
                bad_files.append(path)
                records.append({"source": path, "location": "file", "latex": "", "claim": "", "verdict": "unparsed",
                                "order": None, "detail": f"file not read: {err}", "target": None, "terms": [],
                                "reading": None, "reading_verdict": None})
        for k, tex in enumerate(args.latex, 1):
            for v in verify_latex(tex, args.target, numeric=numeric, location=f"--latex {k}", budget=budget):
                progress(v)
                verdicts.append(v)
    finally:
        progress.close()
    if verdicts:
        sys.stdout.write(format_summary(verdicts))
    records.extend(v.record() for v in verdicts)
    failed |= any(v.verdict in ("inconsistent", "ill-defined") for v in verdicts)
    if args.json:
        _write_json(args.json, records)
    if bad_files:
        return 2
    return 1 if failed else 0
