"""The ``scoresde`` command. Strings become objects here and nowhere else."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .. import __version__


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str):  # noqa: D401
        self.exit(2, f"{self.prog}: error: {message}\n")


def _cmd_table(args: argparse.Namespace) -> int:
    from ..sde import SDES
    from ..table import format_table

    names = args.sde.split(",") if args.sde else list(SDES)
    bad = [n for n in names if n not in SDES]
    if bad:
        raise ValueError(f"--sde: unknown SDE {bad[0]!r}; valid: {', '.join(SDES)}")
    sys.stdout.write(format_table([SDES[n]() for n in names]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="scoresde", description="Diffusion models as one family: compare samplers, verify formulas, learn the unified view.")
    p.add_argument("--version", action="version", version=f"scoresde {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("table", help="print the unified table of the built-in SDEs and their discrete twins",
                       description="Print every registered SDE with its (f, g^2), kernel (m, s), EDM view, prior and discrete twin.")
    t.add_argument("--sde", default=None, help="comma-separated SDE names (default: all)")
    t.set_defaults(func=_cmd_table)

    # Each feature module registers its own subcommand(s).
    from . import compare as cli_compare, derive as cli_derive, likelihood as cli_likelihood, train as cli_train, verify as cli_verify
    from . import export as cli_export

    for module in (cli_compare, cli_verify, cli_train, cli_likelihood, cli_derive, cli_export):
        module.add_parser(sub)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as e:  # bad input: one clear line, exit code 2, no traceback
        sys.stderr.write(f"scoresde {args.command}: error: {e}\n")
        return 2
    except FloatingPointError as e:
        sys.stderr.write(f"scoresde {args.command}: error: {e}\n")
        return 1
