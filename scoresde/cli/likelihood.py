"""``scoresde likelihood``: log-likelihoods through the probability-flow ODE (scoresde.likelihood).

    scoresde likelihood --problem gmm2d [--sde vp] [--n 256] [--divergence exact] [--json out.json]
    scoresde likelihood --run RUN_DIR [--data NAME] [--n 256] [--probes 4] [--json out.json]

With ``--problem`` the score is the exact mixture score and the report includes the exact
log p_0(x) of the mixture and the error per dimension. With ``--run`` the score is a trained
network (scoresde.train.load_run); for mixture data sets the exact density is reported too, and
for image data sets bits/dim of uniformly dequantised data (levels inferred from the data).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time

import torch

DIVERGENCE_CHOICES = ("auto", "exact", "hutchinson")
#: largest dimension for which ``--divergence auto`` uses the exact divergence
AUTO_EXACT_MAX_DIM = 64


def add_parser(subparsers) -> None:
    """Register the ``likelihood`` subcommand."""
    p = subparsers.add_parser(
        "likelihood", help="log-likelihoods through the probability-flow ODE (exact or Hutchinson divergence)",
        description="Per-sample log p(x) by the instantaneous change of variables along the PF-ODE "
                    "(Song et al. 2021, Eq. 39), checked against the exact mixture density when known.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--problem", help="built-in problem with an exact score (gmm2d, gmm64d, gaussian, ...)")
    src.add_argument("--run", metavar="RUN_DIR", help="trained run folder (scoresde train)")
    p.add_argument("--data", help="with --run: data set to evaluate (default: the run's)")
    p.add_argument("--sde", help="with --problem: forward SDE name (default vp)")
    p.add_argument("--n", type=int, default=256, help="number of data points (default 256)")
    p.add_argument("--divergence", default="auto", help="exact, hutchinson, or auto (exact up to 64 dims)")
    p.add_argument("--probes", type=int, default=1, help="Hutchinson probes K per point (default 1)")
    p.add_argument("--probe-dist", default="rademacher", help="rademacher or gaussian")
    p.add_argument("--method", default="dopri5", help="torchdiffeq adaptive method (default dopri5)")
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5, as score_sde)")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance (default 1e-5)")
    p.add_argument("--eps", type=float, default=None, help="lower integration time (default: the SDE's eps)")
    p.add_argument("--correct-eps", action="store_true", help="add the second-order eps-truncation correction")
    p.add_argument("--prior", default="gaussian", help="with --problem: gaussian (the SDE's prior) or exact (mixture p_T)")
    p.add_argument("--seed", type=int, default=0, help="seed of the data draw and the probes")
    p.add_argument("--device", default="auto", help="with --run: auto, cpu, cuda or cuda:N")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON (atomically)")
    p.set_defaults(func=run)


def _atomic_write_text(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"--json: folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _levels_of(x: torch.Tensor) -> int:
    """Quantisation levels of data scaled to [-1, 1] from integers 0..L-1: L = 2 / spacing + 1."""
    vals = torch.unique(x.double().flatten())
    if vals.numel() < 2:
        raise ValueError("--run: cannot infer the quantisation of image data with a single value")
    step = float((vals[1:] - vals[:-1]).min())
    levels = round(2.0 / step) + 1
    if abs((levels - 1) * step - 2.0) > 1e-3 or float(vals.min()) < -1 - 1e-6 or float(vals.max()) > 1 + 1e-6:
        raise ValueError("--run: image data are not evenly quantised in [-1, 1]; cannot compute bits/dim")
    return levels


def _resolve(args: argparse.Namespace):
    """(sde, score_fn, x, mixture or None, levels or None, description) from the arguments."""
    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    gen = torch.Generator().manual_seed(args.seed)
    if args.problem is not None:
        from ..problems import get_problem

        if args.data is not None:
            raise ValueError("--data: only with --run (a --problem is its own data)")
        prob = get_problem(args.problem)
        sde = prob.sde(args.sde or "vp")
        x = prob.mixture.sample(args.n, gen, dtype=torch.float64)
        return sde, prob.mixture.score_fn(sde), x, prob.mixture, None, f"problem={prob.name}"
    if args.sde is not None:
        raise ValueError("--sde: not used with --run (the run fixes its SDE)")
    if args.prior != "gaussian":
        raise ValueError("--prior exact: only with --problem (a trained run has no exact p_T)")
    try:
        from ..train import load_dataset, load_run
    except ImportError as e:  # pragma: no cover - the training package ships with scoresde
        raise ValueError(f"--run: training support is unavailable ({e})") from None
    run_ = load_run(args.run, device=args.device)
    device = next(run_.net.parameters()).device
    name = args.data or run_.config.data.name
    data = load_dataset(name, seed=run_.config.data.seed)
    if data.shape != tuple(run_.shape):
        raise ValueError(f"--data: {name!r} has shape {data.shape}, the run was trained on {tuple(run_.shape)}")
    levels = None
    if data.mixture is not None:  # fresh exact samples (test data)
        x = data.mixture.sample(args.n, gen, dtype=torch.float32)
    else:
        idx = torch.randperm(len(data), generator=gen)[: args.n]
        x = data.x[idx].float()
        if data.kind == "image":
            from ..likelihood import dequantize

            levels = _levels_of(data.x)
            k = torch.round((x.double() + 1) * (levels - 1) / 2)
            x = dequantize(k, levels=levels, centered=True, generator=gen, dtype=torch.float32)
    return run_.sde, run_.score_fn, x.to(device), data.mixture, levels, f"run={args.run} data={name} step={run_.step}"


def run(args: argparse.Namespace) -> int:
    """Entry point of ``scoresde likelihood``."""
    from ..likelihood import likelihood

    if args.divergence not in DIVERGENCE_CHOICES:
        raise ValueError(f"--divergence must be one of {DIVERGENCE_CHOICES}, got {args.divergence!r}")
    if args.prior not in ("gaussian", "exact"):
        raise ValueError(f"--prior must be gaussian or exact, got {args.prior!r}")
    if args.probes < 1:
        raise ValueError(f"--probes must be >= 1, got {args.probes}")
    from . import checks

    checks.output_file("--json", args.json)
    checks.int_range("--n", args.n, 1, checks.MAX_N)
    checks.int_range("--probes", args.probes, 1, 10_000)
    for opt in ("--rtol", "--atol", "--eps"):
        checks.positive_float(opt, getattr(args, opt[2:]))
    for opt in ("--problem", "--run", "--data", "--sde"):
        checks.nonempty(opt, getattr(args, opt[2:]))
    checks.device("--device", args.device)
    sde, score_fn, x, mixture, levels, what = _resolve(args)
    D = x[0].numel()
    div = args.divergence if args.divergence != "auto" else ("exact" if D <= AUTO_EXACT_MAX_DIM else "hutchinson")
    prior = None
    if args.prior == "exact":
        prior = lambda z: mixture.log_prob(z, sde, sde.T)  # noqa: E731
    t0 = time.perf_counter()
    res = likelihood(sde, score_fn, x, method=args.method, rtol=args.rtol, atol=args.atol, divergence=div,
                     probes=args.probes, probe_dist=args.probe_dist, eps=args.eps, seed=args.seed,
                     correct_eps=args.correct_eps, prior_logp=prior, bits_per_dim=levels is not None,
                     levels=levels or 256, data_scale=2.0, progress=True)
    seconds = time.perf_counter() - t0
    logp = res.logp.double().cpu()
    out = {
        "command": "likelihood", "source": what, "sde": sde.config(), "n": int(x.shape[0]), "dim": D,
        "divergence": div, "probes": res.probes, "probe_dist": args.probe_dist if div == "hutchinson" else None,
        "method": args.method, "rtol": args.rtol, "atol": args.atol, "eps": res.eps, "correct_eps": args.correct_eps,
        "prior": args.prior, "seed": args.seed, "nfe": res.nfe, "seconds": round(seconds, 4),
        "logp_mean": float(logp.mean()), "logp_se": float(logp.std() / math.sqrt(len(logp))) if len(logp) > 1 else None,
        "nats_per_dim_mean": float(logp.mean()) / D,
    }
    lines = [f"likelihood  {what}  sde={sde.name}  n={out['n']}  D={D}  divergence={div}"
             + (f" (K={res.probes} {args.probe_dist})" if div == "hutchinson" else "")
             + f"  {args.method} rtol={args.rtol:g} atol={args.atol:g}  eps={res.eps:g}"
             + ("  +eps correction" if args.correct_eps else "") + f"  prior={args.prior}",
             f"  NFE {res.nfe}   {seconds:.2f} s",
             f"  log p (nats)        mean {out['logp_mean']:.5f}  (s.e. {out['logp_se'] or 0:.2g})   per dim {out['nats_per_dim_mean']:.5f}"]
    if res.bpd is not None:
        bpd = res.bpd.double().cpu()
        out.update(bits_per_dim_mean=float(bpd.mean()), levels=levels,
                   bpd_offset=math.log2(levels) - 1.0)
        lines.append(f"  bits/dim            mean {out['bits_per_dim_mean']:.4f}  ({levels} levels, uniform dequantisation,"
                     f" offset log2({levels}) - log2(2) = {out['bpd_offset']:.4f})")
    if mixture is not None:
        exact0 = mixture.log_prob(x.double().cpu())
        err = (logp - exact0) / D
        out.update(exact_logp0_mean=float(exact0.mean()), error_per_dim_mean=float(err.mean()),
                   error_per_dim_max_abs=float(err.abs().max()))
        lines.append(f"  exact log p_0       mean {out['exact_logp0_mean']:.5f}  (mixture ground truth)")
        lines.append(f"  error (nats/dim)    mean {out['error_per_dim_mean']:+.2e}   max |.| {out['error_per_dim_max_abs']:.2e}")
    sys.stdout.write("\n".join(lines) + "\n")
    if args.json:
        out["logp"] = [float(v) for v in logp]
        _atomic_write_text(args.json, json.dumps(out, indent=2) + "\n")
    return 0


__all__ = ["add_parser", "run"]
