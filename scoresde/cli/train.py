"""``scoresde train`` and ``scoresde sample``: strings become objects here and nowhere else.

    scoresde train --data gmm2d --steps 20000 --out runs/gmm2d
    scoresde train --config my.yaml --set model.hidden=512 --out runs/x
    scoresde train --out runs/gmm2d --resume --steps 40000
    torchrun --nproc_per_node=2 -m scoresde train --data digits --out runs/digits
    scoresde sample --run runs/gmm2d --predictor heun --nfe 100 --n 5000 --out samples/gmm2d
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
from typing import Optional

_TRAIN_EPILOG = """\
Every config field can be set with --set SECTION.FIELD=VALUE (VALUE parsed as YAML), e.g.
--set model.kind=x0 --set model.precond=edm --set loss.weighting=likelihood --set sde.params.beta_max=10.
The run folder gets config.json (resolved), metrics.jsonl and checkpoints/.
On --resume only train.steps/log_every/ckpt_every/keep/device may change.
"""


def add_parser(subparsers) -> None:
    """Register the ``train`` and ``sample`` subcommands on an argparse subparsers object."""
    t = subparsers.add_parser(
        "train", help="train a score network on toy, mixture or real digit data",
        description="Train a score network by denoising score matching (Song et al. 2021, Eq. 7). "
                    "Works under torchrun --nproc_per_node=K -m scoresde train ... (DDP).",
        epilog=_TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("--out", required=True, help="run folder (created; must not hold a run unless --resume)")
    t.add_argument("--config", help="a .json/.yaml config (partial configs take defaults)")
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config field (repeatable)")
    t.add_argument("--preset", default=None,
                   help="cpu-small | cpu-medium | gpu-paper (default: gpu-paper on CUDA, else cpu-small); "
                        "applied first, so --config, flags and --set override it")
    t.add_argument("--data", help="data.name (gmm2d, moons, digits, mnist5k, ...)")
    t.add_argument("--sde", help="sde.name (vp, vp-cosine, subvp, ve)")
    t.add_argument("--steps", type=int, help="train.steps")
    t.add_argument("--batch-size", type=int, help="train.batch_size (global)")
    t.add_argument("--lr", type=float, help="optim.lr")
    t.add_argument("--seed", type=int, help="train.seed")
    t.add_argument("--device", help="train.device: auto, cpu, cuda, cuda:N")
    t.add_argument("--precision", help="train.precision: fp32, bf16, fp16 (network only)")
    t.add_argument("--threads", type=int, default=None,
                   help="CPU threads of torch (default: the idle cores, at least 1: on a loaded machine "
                        "extra threads wait on each other and small networks train many times slower)")
    t.add_argument("--resume", action="store_true", help="continue the newest checkpoint in --out")
    t.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop with a checkpoint at the first log line after this much training time (resume later; "
                        "default: no limit)")
    t.set_defaults(func=cmd_train)
    from ..train.config import Config
    from .checks import config_defaults

    config_defaults(t, Config(), {"--data": "data.name", "--sde": "sde.name", "--steps": "train.steps",
                                  "--batch-size": "train.batch_size", "--lr": "optim.lr", "--seed": "train.seed",
                                  "--device": "train.device", "--precision": "train.precision"})

    s = subparsers.add_parser(
        "sample", help="draw samples from a trained run with any sampler",
        description="Sample a trained run (EMA weights) with a predictor and optional corrector at a given NFE; "
                    "writes samples.npz and samples.png (an image grid, or a scatter against the data).")
    s.add_argument("--run", "--run-dir", dest="run", default=None,
                   help="run folder written by 'scoresde train', or give --model (--run-dir: the same, for use under "
                        "torchrun, whose own option --run-path would swallow --run)")
    s.add_argument("--model", default=None, metavar="SOURCE:ARG",
                   help="instead of --run: a model from scoresde.models, e.g. diffusers:DIR (local folder)")
    s.add_argument("--predictor", default="euler_maruyama", help="predictor name (default euler_maruyama)")
    s.add_argument("--corrector", default="none", help="corrector name or none (default none)")
    s.add_argument("--corrector-steps", type=int, default=1, help="corrector iterations per grid step")
    s.add_argument("--snr", type=float, default=None, help="Langevin corrector signal-to-noise ratio (default: the corrector's)")
    s.add_argument("--nfe", type=int, default=200, help="score evaluations in total, the denoising step included (default 200)")
    s.add_argument("--grid", default="uniform", help="time grid: uniform, geometric, karras, log-snr")
    s.add_argument("--no-denoise", dest="denoise", action="store_false",
                   help="skip the final Tweedie denoising step (which costs one NFE)")
    s.add_argument("--n", "--num-samples", dest="n", type=int, default=None,
                   help="number of samples (default 64 images / 5000 points; --num-samples under torchrun)")
    s.add_argument("--batch-size", type=int, default=1000, help="samples per batch")
    s.add_argument("--seed", type=int, default=0, help="sample i depends only on (seed, i)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out")
    s.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    s.add_argument("--no-ema", dest="ema", action="store_false", help="use the raw weights instead of the EMA")
    s.add_argument("--checkpoint", default=None, help="a specific checkpoint file (default: the newest)")
    s.set_defaults(func=cmd_sample)


# ---------------------------------------------------------------------------- train
def build_train_config(args: argparse.Namespace):
    """The config the arguments describe (on --resume the run's stored config is the base)."""
    from ..train.config import Config, load_config, parse_override
    from ..train.run import CONFIG_FILE

    from ..train.config import mapping_overrides, read_config_mapping
    from ..train.presets import default_preset, preset_overrides

    over, file_over = {}, {}
    if args.resume and not args.config and os.path.isfile(os.path.join(args.out, CONFIG_FILE)):
        cfg = load_config(os.path.join(args.out, CONFIG_FILE))  # the run's own config is the base
        if args.preset:
            raise ValueError("--preset: a resumed run keeps its stored config; drop --preset")
    else:  # Config() <- preset <- --config <- flags <- --set
        cfg = Config()
        if args.config:
            file_over = mapping_overrides(read_config_mapping(args.config), args.config)
        sets = dict(parse_override(item) for item in args.overrides)
        data = args.data or sets.get("data.name") or file_over.get("data.name") or cfg.data.name
        device = args.device or sets.get("train.device") or file_over.get("train.device") or "auto"
        preset = args.preset or default_preset(str(device))
        over.update(preset_overrides(preset, str(data)))
    base_sde = over.get("sde.name", cfg.sde.name)
    user = dict(file_over)
    for key, val in (("data.name", args.data), ("sde.name", args.sde), ("train.steps", args.steps),
                     ("train.batch_size", args.batch_size), ("optim.lr", args.lr), ("train.seed", args.seed),
                     ("train.device", args.device), ("train.precision", args.precision)):
        if val is not None:
            user[key] = val
    for item in args.overrides:
        k, v = parse_override(item)
        user[k] = v
    if "sde.name" in user and user["sde.name"] != base_sde and not any(k.startswith("sde.params") for k in user):
        user["sde.params"] = {}  # parameters of the previous SDE (or the preset's) do not carry over
    over.update(user)
    return cfg.replace(over) if over else cfg


def cmd_train(args: argparse.Namespace) -> int:
    from ..train.loop import train
    from . import checks

    checks.output_dir("--out", args.out)
    checks.device("--device", args.device)
    if args.config is not None:
        checks.input_file("--config", args.config)
    cfg = build_train_config(args)
    _set_threads(args.threads)
    ctx = _warnings_as_lines("train")
    try:
        res = train(cfg, args.out, resume=args.resume, time_limit_s=args.time_limit)
    finally:
        ctx.__exit__(None, None, None)
    if os.environ.get("RANK", "0") == "0":
        what = "resumed at step %d, " % res.start_step if args.resume else ""
        stop = " (time limit reached; continue with --resume)" if res.stopped_early else ""
        print(f"scoresde train: {what}trained to step {res.step} of {res.config.train.steps}{stop} "
              f"({res.loop_seconds:.1f} s); last logged loss {res.last_loss:.5g}; checkpoint {res.checkpoint}")
    return 0


def _warnings_as_lines(command: str):
    """Within the returned context, CheckpointWarnings print as one line 'scoresde CMD: warning: ...'."""
    import sys
    import warnings

    from ..train.checkpoint import CheckpointWarning

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    orig = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, CheckpointWarning):
            sys.stderr.write(f"scoresde {command}: warning: {message}\n")
        else:
            orig(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    return ctx


def _set_threads(threads: Optional[int]) -> None:
    """torch's CPU threads: ``threads``, or the cores not already busy (load average), at least 1."""
    import torch

    if threads is not None:
        if not 1 <= threads <= 1024:
            raise ValueError(f"--threads must be in [1, 1024], got {threads}")
        torch.set_num_threads(threads)
        return
    if "OMP_NUM_THREADS" in os.environ or not hasattr(os, "getloadavg"):
        return  # the user (or torchrun) chose
    idle = (os.cpu_count() or 1) - os.getloadavg()[0]
    torch.set_num_threads(max(1, min(torch.get_num_threads(), int(idle))))


# ---------------------------------------------------------------------------- sample
def _steps(name: str, registry: dict, kind: str):
    if name not in registry:
        raise ValueError(f"--{kind}: unknown {kind} {name!r}; valid: {', '.join(registry)}")
    return registry[name]


def build_sampler(args: argparse.Namespace, sde):
    """(predictor, corrector, grid, expected NFE) from the arguments; ValueError on bad input."""
    from .. import grids
    from ..solvers import CORRECTORS, PREDICTORS

    pred = _steps(args.predictor, PREDICTORS, "predictor")()
    corr = None
    if args.corrector != "none":
        cls = _steps(args.corrector, CORRECTORS, "corrector")
        if args.corrector_steps < 1:
            raise ValueError(f"--corrector-steps must be >= 1, got {args.corrector_steps}")
        kw = {"n_steps": args.corrector_steps}
        if args.snr is not None:
            if "snr" not in inspect.signature(cls).parameters:
                raise ValueError(f"--snr applies to the langevin corrector, not {args.corrector!r}")
            kw["snr"] = args.snr
        corr = cls(**kw)
    elif args.snr is not None:
        raise ValueError("--snr needs --corrector langevin")
    if args.grid not in grids.GRIDS:
        raise ValueError(f"--grid: unknown grid {args.grid!r}; valid: {', '.join(grids.GRIDS)}")
    per = pred.nfe_per_step + (corr.nfe_per_step if corr is not None else 0)
    budget = args.nfe - (1 if args.denoise else 0)
    if per < 1:
        raise ValueError("--predictor none needs a corrector")
    if budget < per or budget % per:
        extra = " plus 1 for the denoising step" if args.denoise else ""
        raise ValueError(f"--nfe: {args.nfe} cannot be spent exactly: one step of {args.predictor}"
                         f"{' + ' + args.corrector if corr else ''} costs {per} evaluations{extra}; "
                         f"use a multiple of {per}{' plus 1' if args.denoise else ''}")
    steps = budget // per
    grid = grids.GRIDS[args.grid](sde, steps)
    return pred, corr, grid, args.nfe


def cmd_sample(args: argparse.Namespace) -> int:
    import torch

    from ..train.data import load_dataset
    from ..train.run import load_run

    for name in ("n", "batch_size"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {v}")
    if args.nfe < 1:
        raise ValueError(f"--nfe must be >= 1, got {args.nfe}")
    from . import checks

    checks.int_range("--nfe", args.nfe, 1, checks.MAX_NFE)
    checks.int_range("--n", args.n, 1, checks.MAX_N)
    checks.int_range("--batch-size", args.batch_size, 1, 10**6)
    checks.int_range("--corrector-steps", args.corrector_steps, 1, 1000)
    checks.device("--device", args.device)
    checks.output_dir("--out", args.out)
    checks.existing_file("--checkpoint", args.checkpoint)
    if os.path.isdir(args.out) and os.listdir(args.out) and not args.overwrite:
        raise ValueError(f"--out: {args.out!r} is not empty; pass --overwrite to write into it")
    if (args.run is None) == (args.model is None):
        raise ValueError("--run: give exactly one of --run RUN_DIR and --model SOURCE:ARG")
    if args.model is not None:  # any model source (scoresde.models): no data set to plot against
        return _sample_model(args)
    from ..distributed import init, sample_sharded, shutdown

    _set_threads(None)  # idle cores only: oversubscribed threads slow small networks many times
    world, dev = init(args.device, option="--device")  # torchrun: join the group (gloo on CPU, NCCL on cuda:LOCAL_RANK)
    try:
        ctx = _warnings_as_lines("sample")
        try:
            run = load_run(args.run, device=dev, ema=args.ema, checkpoint=args.checkpoint)
        finally:
            ctx.__exit__(None, None, None)
        pred, corr, grid, _ = build_sampler(args, run.sde)
        data = load_dataset(run.config.data.name, run.config.data.n, run.config.data.seed)
        image = data.kind == "image"
        n = args.n or (64 if image else 5000)
        with torch.no_grad():  # sample i depends only on (seed, i): each process draws its block of indices
            x, nfe, secs = sample_sharded(run.sde, run.score_fn, run.shape, n, world=world,
                                          batch_size=args.batch_size, seed=args.seed, device=dev,
                                          predictor=pred, corrector=corr, grid=grid, denoise=args.denoise)
    finally:
        shutdown(world)
    if not world.is_main:
        return 0
    x = x.float().cpu()
    os.makedirs(args.out, exist_ok=True)
    meta = {"run": os.path.abspath(args.run), "checkpoint": run.checkpoint, "step": run.step, "ema": run.ema,
            "predictor": repr(pred), "corrector": repr(corr) if corr else None, "grid": args.grid,
            "nfe": nfe, "denoise": args.denoise, "seed": args.seed, "n": n, "seconds": secs,
            "processes": world.world_size}
    _save_npz(os.path.join(args.out, "samples.npz"), x.numpy(), meta)
    png = os.path.join(args.out, "samples.png")
    title = sample_caption(args.run, run.step, args.predictor, args.corrector, args.grid, nfe, args.seed, run.ema)
    if image:
        save_image_grid(data.to_unit(x).numpy(), png, title=title)
    else:
        save_scatter(x.numpy(), data.x.numpy(), png, title)
    print(f"scoresde sample: {n} samples, NFE {nfe} per sample, {secs:.1f} s -> {png}, "
          f"{os.path.join(args.out, 'samples.npz')}")
    return 0


def _sample_model(args: argparse.Namespace) -> int:
    """``scoresde sample --model SOURCE:ARG``: the same sampling loop on a model from scoresde.models."""
    import torch

    from ..models import load_model
    from ..sampler import sample

    dev = "cuda" if args.device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    lm = load_model(args.model, device=dev)
    pred, corr, grid, _ = build_sampler(args, lm.sde)
    image = len(lm.shape) == 3
    n = args.n or (64 if image else 5000)
    score = lm.score_fn()
    xs, secs, nfe = [], 0.0, 0
    with torch.no_grad():
        for start in range(0, n, args.batch_size):
            b = min(args.batch_size, n - start)
            res = sample(lm.sde, score, (b,) + tuple(lm.shape), predictor=pred, corrector=corr, grid=grid,
                         denoise=args.denoise, seed=args.seed, indices=range(start, start + b), device=dev)
            xs.append(res.x.float().cpu())
            nfe, secs = res.nfe, secs + res.seconds
    x = torch.cat(xs)
    os.makedirs(args.out, exist_ok=True)
    meta = {"model": args.model, "sde": lm.sde.config(), "predictor": repr(pred), "corrector": repr(corr) if corr else None,
            "grid": args.grid, "nfe": nfe, "denoise": args.denoise, "seed": args.seed, "n": n, "seconds": secs}
    _save_npz(os.path.join(args.out, "samples.npz"), x.numpy(), meta)
    png = os.path.join(args.out, "samples.png")
    if image:
        save_image_grid(((x + 1) / 2).clamp(0, 1).numpy(), png)
    else:
        save_scatter(x.numpy(), x.numpy()[:0], png, f"{args.model}: {pred!r}, NFE {nfe}")
    print(f"scoresde sample: {n} samples, NFE {nfe} per sample, {secs:.1f} s -> {png}, "
          f"{os.path.join(args.out, 'samples.npz')}")
    return 0


def sample_caption(run: str, step: int, predictor: str, corrector: str, grid: str, nfe: int, seed: int,
                   ema: bool = True) -> str:
    """The caption of a sample picture: run, training step, sampler, grid, NFE, seed."""
    name = os.path.basename(os.path.normpath(run)) or run
    sampler = predictor + (f" + {corrector}" if corrector and corrector != "none" else "")
    return (f"{name} @ step {step}{' (EMA)' if ema else ''} | {sampler}, {grid} grid | "
            f"NFE {nfe} | seed {seed}")


def _save_npz(path: str, x, meta: dict) -> None:
    import io

    import numpy as np

    from ..train.checkpoint import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, samples=x, meta=np.array(json.dumps(meta)))
    atomic_write_bytes(path, buf.getvalue())


def save_image_grid(images, path: str, ncol: Optional[int] = None, scale: Optional[int] = None,
                    title: str = "") -> None:
    """Tile (N, C, H, W) images in [0, 1] into one PNG (1-pixel gaps; nearest upscaling for small images),
    with ``title`` as a caption above the grid."""
    import io
    import math

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..train.checkpoint import atomic_write_bytes

    N, C, H, W = images.shape
    ncol = ncol or int(math.ceil(math.sqrt(N)))
    nrow = int(math.ceil(N / ncol))
    scale = scale or max(1, 64 // H)
    grid = np.ones((nrow * (H + 1) + 1, ncol * (W + 1) + 1, C), dtype=np.float32)
    for i in range(N):
        r, c = divmod(i, ncol)
        grid[1 + r * (H + 1):1 + r * (H + 1) + H, 1 + c * (W + 1):1 + c * (W + 1) + W] = images[i].transpose(1, 2, 0)
    grid = np.repeat(np.repeat(grid, scale, 0), scale, 1)
    if C == 1:
        grid = np.repeat(grid, 3, 2)
    buf = io.BytesIO()
    if not title:
        plt.imsave(buf, np.clip(grid, 0, 1), format="png")
    else:  # a caption band above the grid, the grid pixels unscaled
        import textwrap

        h, w = grid.shape[:2]
        lines = textwrap.wrap(title, width=max(20, w // 7)) or [""]
        cap = 16 * len(lines) + 8
        fig = plt.figure(figsize=(w / 100, (h + cap) / 100), dpi=100)
        ax = fig.add_axes((0, 0, 1, h / (h + cap)))
        ax.imshow(np.clip(grid, 0, 1), interpolation="nearest")
        ax.set_axis_off()
        fig.text(0.5, 1 - cap / 2 / (h + cap), "\n".join(lines), ha="center", va="center", fontsize=9)
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def save_scatter(x, data, path: str, title: str = "") -> None:
    """Scatter 2-D samples over the training data (first two coordinates for higher dimensions)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..train.checkpoint import atomic_write_bytes

    x, data = x.reshape(len(x), -1), data.reshape(len(data), -1)
    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=110)
    ax.scatter(data[:5000, 0], data[:5000, 1], s=2, c="0.7", label="data", rasterized=True)
    ax.scatter(x[:, 0], x[:, 1], s=2, c="tab:blue", alpha=0.6, label="samples", rasterized=True)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", markerscale=4)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


__all__ = ["add_parser", "cmd_train", "cmd_sample", "build_train_config", "build_sampler", "save_image_grid", "save_scatter",
           "sample_caption"]
