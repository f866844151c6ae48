"""``scoresde export RUN --format safetensors --out DIR``: a trained run's weights without pickle."""
from __future__ import annotations

import argparse
import os

FORMATS = ("safetensors",)


def run(args: argparse.Namespace) -> int:
    from ..models.export import export_run, load_exported

    if args.format not in FORMATS:
        raise ValueError(f"--format: unknown format {args.format!r}; valid: {', '.join(FORMATS)} "
                         "(a diffusers-style folder is not offered: see scoresde/models/export.py)")
    out = args.out or os.path.join(args.run, "export")
    if os.path.isdir(out) and os.listdir(out) and not args.overwrite:
        raise ValueError(f"--out: folder {out!r} exists and is not empty; pass --overwrite to replace it")
    if not os.path.isdir(args.run):
        raise ValueError(f"RUN: {args.run!r} is not a folder")
    try:
        path = export_run(args.run, out, ema=args.ema)
    except ValueError as e:
        raise ValueError(str(e).replace("--run: ", "RUN: ")) from None
    lm = load_exported(out)  # read back without pickle: the export is usable
    print(f"scoresde export: {path} ({sum(p.numel() for p in lm.module.parameters())} parameters, "
          f"step {lm.info['step']}, {'EMA' if lm.info['ema'] else 'raw'} weights); "
          f"use it with --model safetensors:{out}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("export", help="export a trained run's weights (safetensors, loaded without pickle)",
                              description="Write RUN's network weights (EMA by default) and its config as "
                                          "model.safetensors + config.json; load them with --model safetensors:DIR.")
    p.add_argument("run", metavar="RUN", help="run folder written by 'scoresde train'")
    p.add_argument("--format", default="safetensors", help="safetensors (default)")
    p.add_argument("--out", default=None, help="output folder (default RUN/export)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing non-empty --out")
    p.add_argument("--no-ema", dest="ema", action="store_false", help="export the raw weights instead of the EMA")
    p.set_defaults(func=run)


__all__ = ["add_parser", "run"]
