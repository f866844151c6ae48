"""``scoresde compare``: samplers side by side at equal NFE against exact truth (strings -> objects here).

Under ``torchrun`` every process checks the options, then joins the process group (gloo on CPU,
NCCL on ``cuda:LOCAL_RANK``); fixed-step runs are split over the processes by sample index
(:mod:`scoresde.compare.shard`) and rank 0 alone measures and writes the report.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from typing import List, Sequence

from ..compare import DEFAULT_GRIDS, DEFAULT_NFE, DEFAULT_PROBLEM, DEFAULT_SAMPLERS, DEFAULT_SDES, SAMPLERS
from . import checks



def _names(value: str, valid: Sequence[str], option: str, what: str) -> List[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ValueError(f"{option}: give at least one {what}; valid: {', '.join(valid)}")
    bad = [v for v in items if v not in valid]
    if bad:
        raise ValueError(f"{option}: unknown {what} {bad[0]!r}; valid: {', '.join(valid)}")
    if len(set(items)) != len(items):
        raise ValueError(f"{option}: {what} listed twice in {value!r}")
    return items


def _samplers(value: str) -> list:
    """--samplers -> SamplerSpec objects (built-in names, predictor registry names, SOURCE:NAME[:K=V] peers)."""
    from ..compare import resolve

    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise ValueError(f"--samplers: give at least one sampler; valid: {', '.join(SAMPLERS)}")
    if len(set(items)) != len(items):
        raise ValueError(f"--samplers: sampler listed twice in {value!r}")
    out = []
    for v in items:
        try:
            out.append(resolve(v))
        except ValueError as e:
            raise ValueError(f"--samplers: {e}") from None
    return out


def _nfes(value: str) -> List[int]:
    out = []
    for v in value.split(","):
        v = v.strip()
        try:
            k = int(v)
        except ValueError:
            raise ValueError(f"--nfe: {v!r} is not an integer (give a comma list such as 10,20,50)") from None
        if k < 1 or k > checks.MAX_NFE:
            raise ValueError(f"--nfe: NFE must be >= 1 and <= {checks.MAX_NFE:_}, got {k:_}")
        out.append(k)
    if not out:
        raise ValueError("--nfe: give at least one NFE value")
    return sorted(set(out))


def _positive_int(option: str, value: int, minimum: int = 1) -> int:
    if value < minimum:
        raise ValueError(f"{option} must be >= {minimum}, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Entry point of ``scoresde compare`` (ValueError = bad input: the CLI prints one line, exit 2)."""
    from .. import grids as _grids
    from ..compare.report import check_out_dir
    from ..distributed import init, shutdown

    for opt, value in (("--sde", args.sde), ("--problem", args.problem), ("--grid", args.grid), ("--nfe", args.nfe)):
        checks.nonempty(opt, value)
    samplers = _samplers(args.samplers)
    nfes = _nfes(args.nfe)
    if args.n is not None:
        n = _positive_int("--n", args.n, 10)
        checks.int_range("--n", n, 10, checks.MAX_N)
    checks.device("--device", args.device)
    if args.grid is not None and args.grid not in _grids.GRIDS:
        raise ValueError(f"--grid: unknown grid {args.grid!r}; valid: {', '.join(_grids.GRIDS)}")
    threads = _positive_int("--threads", args.threads, 0)
    checks.int_range("--threads", threads, 0, 1024)
    # Fail on a bad --out or --json before any work.
    checks.output_dir("--out", args.out)
    checks.output_file("--json", args.json, allow_stdout=True)
    check_out_dir(args.out, args.overwrite)
    if args.model is not None and args.score != "exact":
        raise ValueError("--model: give either --model or --score RUN, not both")
    # torchrun: every rank has checked the options above before any rank can pass this rendezvous
    world, dev = init(args.device, option="--device")
    try:
        return _compare(args, samplers, nfes, threads, world, dev)
    finally:
        shutdown(world)


def _compare(args: argparse.Namespace, samplers: list, nfes: List[int], threads: int, world, dev) -> int:
    import torch

    from .. import grids as _grids
    from ..compare import compare
    from ..compare.report import prepare_out_dir, summary_table, write_outputs
    from ..problems import PROBLEMS, get_problem
    from ..sde import SDES

    score, label = None, "exact"
    if args.model is not None:
        problem, sdes, score, label = _model(args, dev)
    elif args.score == "exact":
        problem_name = args.problem or DEFAULT_PROBLEM
        if problem_name not in PROBLEMS:
            raise ValueError(f"--problem: unknown problem {problem_name!r}; valid: {', '.join(PROBLEMS)}")
        problem = get_problem(problem_name)
        sde_names = _names(args.sde if args.sde is not None else ",".join(DEFAULT_SDES), list(SDES), "--sde", "SDE")
        sdes = [problem.sde(s) for s in sde_names]
    else:
        problem, sdes, score, label = _trained(args, PROBLEMS, get_problem, dev)
    checks.compare_runs(samplers, sdes,
                        lambda sde: _grids.GRIDS[args.grid or DEFAULT_GRIDS.get(sde.name, "uniform")](sde, 4))
    if world.is_main:
        prepare_out_dir(args.out, args.overwrite)  # checked above on every rank; rank 0 creates the folder

    # default sample size: 10000 on exact problems (cheap exact score), fewer through a network
    n = args.n if args.n is not None else (10_000 if score is None else (256 if len(getattr(problem, "shape", (2,))) > 1 else 2000))
    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = compare(problem, sdes, samplers, nfes, n=n, seed=args.seed, device=dev, grid=args.grid,
                      score=score, score_label=label, progress=True, world=world)
    if res is None:  # a rank > 0 under torchrun: its blocks are in rank 0's report
        return 0
    seen = set()
    for w in caught:  # the NFE roundings (also stored in each record's "warning")
        msg = str(w.message)
        if issubclass(w.category, UserWarning) and msg not in seen:
            seen.add(msg)
            sys.stderr.write(f"warning: {msg}\n")
    paths = write_outputs(res, args.out, overwrite=True, json_file=args.json)
    if args.json != "-":
        sys.stdout.write(summary_table(res))
        sys.stdout.write(f"\n{len(res.records)} runs in {time.perf_counter() - t0:.1f} s; report: "
                         f"{os.path.join(args.out, 'report.md')} ({len(paths)} files)\n")
    return 0


def _trained(args, PROBLEMS, get_problem, dev):
    """(problem, [sde], score(sde), label) for --score RUN_DIR."""
    if not os.path.isdir(args.score):
        raise ValueError(f"--score: give 'exact' or a training run folder; {args.score!r} is neither")
    try:
        from ..train.run import load_run
    except ImportError as e:  # pragma: no cover - the training package ships with scoresde
        raise ValueError(f"--score: trained models need scoresde.train ({e})") from None
    try:
        run = load_run(args.score, device=dev)
    except ValueError as e:
        raise ValueError(f"--score: {str(e).replace('--run: ', '')}") from None
    data = run.config.data.name
    if args.problem is not None and args.problem != data:
        raise ValueError(f"--problem: the run was trained on {data!r}, not {args.problem!r}")
    if args.sde is not None and args.sde != run.sde.name:
        raise ValueError(f"--sde: the run's SDE is {run.sde.name!r}; a trained score fits only its own SDE")
    label = f"trained run {args.score} (step {run.step}, {'EMA' if run.ema else 'raw'} weights)"
    if data not in PROBLEMS:  # no exact answer: held-out real data is the truth
        from ..compare import Target
        from ..train.data import load_dataset

        ds = load_dataset(data, run.config.data.n, run.config.data.seed)
        return Target.from_dataset(ds), [run.sde], (lambda s: run.score_fn), label
    problem = get_problem(data)
    if tuple(run.shape) != tuple(problem.mixture.event_shape):
        raise ValueError(f"--score: the run's data shape {tuple(run.shape)} does not match {data!r}")
    return problem, [run.sde], (lambda s: run.score_fn), label


def _model(args, dev):
    """(target, [sde], score(sde), label) for --model SOURCE:ARG (no exact truth; a run's data if it has one)."""
    from ..compare import Target
    from ..models import load_model

    if args.problem is not None or args.sde is not None:
        raise ValueError("--model: the model fixes its data and SDE; leave out --problem and --sde")
    lm = load_model(args.model, device=str(dev))
    if lm.data is not None:
        target = Target.from_dataset(lm.data)
    else:
        target = Target(lm.name, f"{lm.name} (no data: deterministic samplers only, against the model's own PF-ODE)",
                        tuple(lm.shape), lm.kind)
    return target, [lm.sde], (lambda s: lm.score_fn()), f"model {lm.name}"


def add_parser(subparsers) -> None:
    """Register ``compare`` on the ``scoresde`` command's subparsers."""
    p = subparsers.add_parser(
        "compare", help="compare samplers at equal NFE against exact truth (tables, plots, report)",
        description="Run samplers x SDEs x NFE budgets on a problem with an exact answer and measure them: "
                    "endpoint RMSE vs a high-accuracy PF-ODE reference (deterministic samplers), sliced W2 and "
                    "MMD with their noise floors, mode weights and per-mode moments, exact KL on Gaussian data. "
                    "Writes results.csv, results.json, report.md and PNG plots into --out.")
    p.add_argument("--problem", default=None, help=f"problem with exact ground truth (default {DEFAULT_PROBLEM})")
    p.add_argument("--sde", default=None, help=f"comma list of SDEs (default {','.join(DEFAULT_SDES)})")
    p.add_argument("--samplers", default=",".join(DEFAULT_SAMPLERS),
                   help=f"comma list (default: {','.join(DEFAULT_SAMPLERS)}; also: "
                        f"{','.join(s for s in SAMPLERS if s not in DEFAULT_SAMPLERS)}, any predictor of "
                        "scoresde.solvers, and peers as diffusers:SCHEDULER or kdiffusion:NAME[:KEY=VALUE])")
    p.add_argument("--nfe", default=",".join(map(str, DEFAULT_NFE)), help="comma list of NFE budgets")
    p.add_argument("--n", "--num-samples", dest="n", type=int, default=None,
                   help="samples per run (default 10000 with the exact score; 2000 points / 256 images through a "
                        "network; --num-samples under torchrun, whose own parser takes --n)")
    p.add_argument("--seed", type=int, default=0, help="seed of the prior draws and the noise")
    p.add_argument("--out", default="compare-out", help="output folder (default ./compare-out)")
    p.add_argument("--overwrite", action="store_true", help="replace the results in an existing non-empty --out")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--score", default="exact", help="'exact' (analytic score) or a training run folder")
    p.add_argument("--model", default=None, metavar="SOURCE:ARG",
                   help="a model from scoresde.models: diffusers:DIR (local folder), run:DIR, python:MODULE:ATTR")
    p.add_argument("--json", default=None, metavar="FILE", help="also write results.json here ('-': stdout)")
    p.add_argument("--grid", default=None, help="time grid for every SDE (default: per-SDE default, uniform in t)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: the work is many small ops, where extra threads cost "
                        "more than they give on a shared machine; 0 keeps torch's default)")
    p.set_defaults(func=run)


__all__ = ["add_parser", "run"]
