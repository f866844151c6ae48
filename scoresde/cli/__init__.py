"""The ``scoresde`` command. Strings become objects here and nowhere else."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .. import __version__


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, exit code 2, and help that shows every default (cli.checks)."""

    def __init__(self, *args, **kwargs):
        from .checks import formatter_for

        kwargs["formatter_class"] = formatter_for(kwargs.get("formatter_class"))
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D401
        self.exit(2, f"{self.prog}: error: {message}\n")


def _cmd_table(args: argparse.Namespace) -> int:
    from ..sde import SDES
    from ..table import format_table

    names = [n.strip() for n in args.sde.split(",")] if args.sde is not None else list(SDES)
    if not any(names):
        raise ValueError(f"--sde: empty selection; valid: {', '.join(SDES)} (leave --sde out for all)")
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


def _unknown_top_level_option(parser: argparse.ArgumentParser, argv: List[str]) -> None:
    """``scoresde --bogus``: name the option (argparse would only say that COMMAND is missing)."""
    known = {o for a in parser._actions for o in a.option_strings}
    for tok in argv:
        if not tok.startswith("-") or tok == "-":
            return  # the subcommand: its own parser judges the rest
        if tok.split("=", 1)[0] not in known:
            parser.error(f"unrecognized arguments: {tok}")


def _as_typed(sub: Optional[argparse.ArgumentParser], message: str) -> str:
    """A message from the library names its parameter ('rtol must be > 0'); say the option ('--rtol ...')."""
    from .checks import option_of

    head = message.split(" ", 1)[0].rstrip(":")
    if sub is None or not head.isidentifier():
        return message
    opt = option_of(sub, head)
    return opt + message[len(head):] if opt else message


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    _unknown_top_level_option(parser, argv)
    args = parser.parse_args(argv)
    sub = parser._subparsers._group_actions[0].choices.get(args.command) if parser._subparsers else None
    try:
        return int(args.func(args) or 0)
    except ValueError as e:  # bad input: one clear line, exit code 2, no traceback
        msg = " ".join(str(e).split("\n"))
        sys.stderr.write(f"scoresde {args.command}: error: {_as_typed(sub, msg)}\n")
        return 2
    except FloatingPointError as e:
        sys.stderr.write(f"scoresde {args.command}: error: {e}\n")
        return 1
