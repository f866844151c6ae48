"""``scoresde verify``: check tabulated SDE / DDPM / SMLD formulas against the registry.

    scoresde verify notes.md claims.yaml --latex '\\beta_t = 1 - \\bar\\alpha_t/\\bar\\alpha_{t-1}' --json out.json
    scoresde verify --builtin

Exit code 0 when every formula is exact or consistent (or only unparsed), 1 when some formula is
inconsistent or ill-defined (or, with --builtin, a registry entry disagrees with the package),
2 on bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
from typing import List

__all__ = ["add_parser", "format_report"]


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
    p.add_argument("--no-numeric", action="store_true", help="skip running step formulas as samplers")
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


def format_report(verdicts) -> str:
    """A numbered summary table (location, read as, verdict) followed by each formula's reason."""
    if not verdicts:
        return "no formulas found\n"
    rows = []
    for i, v in enumerate(verdicts, 1):
        where = (os.path.basename(v.source) + ": " if v.source else "") + (v.location or "")
        rows.append((str(i), where, v.claim or "-", v.verdict + (f" (order {v.order})" if v.order else "")))
    w = [max(len(r[k]) for r in rows) for k in range(4)]
    w[1] = min(w[1], 70)
    w[2] = min(w[2], 50)
    head = ("#", "location", "read as", "verdict")
    lines = ["  ".join(h.ljust(w[k]) for k, h in enumerate(head)), "  ".join("-" * w[k] for k in range(4))]
    for r in rows:
        lines.append("  ".join((r[k][: w[k] - 1] + "…" if len(r[k]) > w[k] else r[k]).ljust(w[k]) for k in range(4)))
    lines.append("")
    for i, v in enumerate(verdicts, 1):
        lines.append(f"[{i}] {v.verdict.upper()}  {(os.path.basename(v.source) + ': ') if v.source else ''}{v.location}")
        lines.append(_wrap("formula", v.latex))
        lines.append(_wrap("read as", (v.claim or "-") + (f"  → target {v.target}" if v.target else "")))
        lines.append(_wrap("reason", v.detail))
        for n in v.notes:
            lines.append(_wrap("note", n))
        if v.numeric:
            lines.append(_wrap("numeric", v.numeric))
        lines.append("")
    counts = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    lines.append("summary: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from ..formulas import REGISTRY, builtin_report, verify_claims_file, verify_document, verify_latex

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
    for path in args.paths:
        checks.input_file("PATHS", path)
    checks.output_file("--json", args.json)
    if args.target is not None and args.target not in REGISTRY:
        raise ValueError(f"--target: unknown registry entry {args.target!r}; run 'scoresde verify --list'")
    if args.target is not None and not args.latex:
        raise ValueError("--target applies to --latex formulas; give at least one --latex")
    if not args.paths and not args.latex and not args.builtin:
        raise ValueError("nothing to verify: give PATHS, --latex or --builtin")
    numeric = not args.no_numeric
    records: List[dict] = []
    failed = False
    if args.builtin:
        rows = builtin_report()
        width = max(len(n) for n, _, _ in rows)
        sys.stdout.write("registry entries against the package (tie) and their own LaTeX read back:\n")
        for name, ok, detail in rows:
            sys.stdout.write(f"  {'ok  ' if ok else 'FAIL'} {name:<{width}}  {detail}\n")
            records.append({"source": "builtin", "location": name, "latex": REGISTRY[name].latex, "claim": REGISTRY[name].title,
                            "verdict": "exact" if ok else "inconsistent", "order": None, "detail": detail})
            failed |= not ok
        sys.stdout.write(f"{sum(ok for _, ok, _ in rows)}/{len(rows)} entries agree with the implementation\n\n")
    verdicts = []
    for path in args.paths:
        if not os.path.isfile(path):
            raise ValueError(f"paths: no such file {path!r}")
        if path.lower().endswith((".yaml", ".yml")):
            for spec, v in verify_claims_file(path, numeric=numeric):
                if spec.expect is not None and spec.expect != v.verdict:
                    v.notes.append(f"the claims file expects {spec.expect}")
                verdicts.append(v)
        else:
            found = verify_document(path, numeric=numeric)
            if not found:
                sys.stdout.write(f"{path}: no table-cell or display formulas found\n")
            verdicts.extend(found)
    for k, tex in enumerate(args.latex, 1):
        verdicts.extend(verify_latex(tex, args.target, numeric=numeric, location=f"--latex {k}"))
    if verdicts:
        sys.stdout.write(format_report(verdicts))
    records.extend(v.record() for v in verdicts)
    failed |= any(v.verdict in ("inconsistent", "ill-defined") for v in verdicts)
    if args.json:
        _write_json(args.json, records)
    return 1 if failed else 0
