"""``scoresde derive``: run the executable derivations and write the unified table and figures.

    scoresde derive                      # run all derivations (00 on-ramp, 01-17), print them, exit 1 if a check fails
    scoresde derive --fast --only 4,6    # two of them, in seconds
    scoresde derive --only 0 --format markdown   # the on-ramp, as markdown with LaTeX
    scoresde derive --out docs/          # also write docs/unified_table.md and docs/figures/*.png
    scoresde derive --out docs/ --table-only   # just regenerate the table (no derivations)
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path


def add_parser(subparsers) -> None:
    """Register the ``derive`` subcommand on the ``scoresde`` argument parser."""
    p = subparsers.add_parser(
        "derive", help="run the executable derivations; write the unified table and figures",
        description="Run the executable derivations: 00 the on-ramp (score, Langevin, Fokker-Planck); 01-11 the unified "
                    "view (DDPM/SMLD chains -> VP/VE SDEs, reverse SDE, PF-ODE, ancestral vs reverse diffusion, annealed "
                    "Langevin, DDIM, VP<->VE, Tweedie, notation); 12-17 learning and using the score (ELBO, score "
                    "matching, EDM, guidance, DPM-Solver, likelihood). "
                    "Each states a claim, derives it with sympy and checks it against exact ground truth; the exit "
                    "status is 1 if any check fails. With --out, also write OUT/unified_table.md (seed 002's table "
                    "rebuilt from the formula registry and checked by the verifier) and OUT/figures/*.png.")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write DIR/unified_table.md and DIR/figures/*.png (e.g. docs/)")
    p.add_argument("--fast", action="store_true", help="fewer samples and steps: seconds per derivation")
    p.add_argument("--only", metavar="KEYS", default=None, help="comma-separated derivation numbers, e.g. 1,4,06 (default: all)")
    p.add_argument("--table-only", action="store_true", help="with --out: write the table only, run no derivation")
    p.add_argument("--no-figures", action="store_true", help="with --out: do not write figures")
    p.add_argument("--format", choices=("text", "markdown"), default="text",
                   help="text (default) or markdown: steps as headings, sympy shown as LaTeX ($$...$$), checks as a list")
    p.add_argument("--quiet", action="store_true", help="print one summary line per derivation instead of the derivation")
    p.set_defaults(func=run_derive)


def run_derive(args: argparse.Namespace) -> int:
    from ..teach import FIGURES, parse_keys, run_topics
    from ..teach import table

    from . import checks

    checks.nonempty("--only", args.only, "selection of derivations")
    keys = parse_keys(args.only)
    if args.table_only and args.out is None:
        raise ValueError("--table-only needs --out DIR")
    if args.no_figures and args.out is None:
        raise ValueError("--no-figures needs --out DIR")
    out = Path(args.out) if args.out is not None else None
    checks.output_dir("--out", args.out)
    import torch

    torch.set_num_threads(1)  # the derivations are many tiny tensor ops: one thread is fastest
    status = 0
    if not args.table_only:
        figdir = out / "figures" if (out is not None and not args.no_figures) else None
        stream = io.StringIO() if args.quiet else sys.stdout
        outcomes = run_topics(keys, fast=args.fast, figdir=figdir, stream=stream, fmt=args.format)
        print("Summary")
        for o in outcomes:
            print("  " + o.summary())
            for c in o.failures:
                print("      " + c.line())
        n_fail = sum(not o.passed for o in outcomes)
        if figdir is not None:
            drawn = sorted(p.name for o in outcomes for p in o.figures)
            print(f"  figures in {figdir}: {', '.join(drawn) if drawn else 'none'}"
                  + ("" if set(FIGURES) <= set(drawn) else f" (all figures: --only {','.join(sorted(set(FIGURES.values())))})"))
        status = 1 if n_fail else 0
    if out is not None:
        path = table.write(out)
        text = path.read_text(encoding="utf-8")
        print(f"  table: {path}")
        if "MISMATCH" in text.split("## How this page is checked")[0] or "<!-- MISMATCH" in text:
            print("  the table has MISMATCH flags: a verifier verdict differs from the table's expectation")
            status = 1
    return status
