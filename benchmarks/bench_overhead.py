"""Per-step overhead of the samplers with a near-free score, as a CPU-time ratio to bare loops.

The score is score(x, t) = -x (one negation), so the time is the sampler's own work: coefficient
lookups, the update arithmetic, noise generation, bookkeeping. Two bare loops are timed in the same
process with precomputed float coefficients and no checks:
* bare PF-ODE Euler:  x = x + dt (f x - g^2/2 score)               (reference for ODE samplers)
* bare Euler-Maruyama: x = x + dt (f x - g^2 score) + sqrt(g^2 |dt|) torch.randn  (for SDE samplers)
Every fixed-step predictor in ``scoresde.solvers.PREDICTORS`` is measured (default constructor), so a
new solver is picked up with its registry line, plus predictor-corrector "pc" and the torchdiffeq /
torchsde paths. A ratio is CPU seconds (``time.process_time``) per score evaluation of the sampler
over the same for its bare loop (a Heun step is 2 evaluations).

Method: ``--rounds`` interleaved rounds in one process; each round runs every path once (order
rotated per round), so slow phases of a shared machine hit all paths alike. Per path we report
* best: min over rounds of its time / min over rounds of the bare loop's time (the "best of N" method
  of the earlier RESULTS.md table), and
* median [min - max] of the per-round ratio (path time / bare time in the same round): the spread
  says how noisy the machine was. The row "bare ... (again)" times the bare loop a second time, so its
  spread around 1.00 is the noise floor of the method.

    python benchmarks/bench_overhead.py [--rounds 15] [--threads 1] [--markdown] [--only ddim,heun]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # time this checkout's scoresde

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S
from scoresde.integrators import pf_ode_torchdiffeq, reverse_sdeint


def neg(x, t):
    return -x


def bare_ode_euler(sde, grid, x):
    c = S.grid_coeffs(sde, grid)
    B = x.shape[0]
    for k in c:
        t = torch.full((B,), k.t, dtype=x.dtype)
        x = x + k.dt * (k.f * x - 0.5 * k.g2 * neg(x, t))
    return x


def bare_em(sde, grid, x, gen):
    c = S.grid_coeffs(sde, grid)
    B = x.shape[0]
    for k in c:
        t = torch.full((B,), k.t, dtype=x.dtype)
        x = x + k.dt * (k.f * x - k.g2 * neg(x, t)) + math.sqrt(-k.g2 * k.dt) * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    return x


def fixed_step_predictors():
    """(name, factory) for every registered fixed-step predictor that spends score evaluations."""
    out = []
    for name, cls in S.PREDICTORS.items():
        try:
            p = cls()
        except TypeError:  # needs arguments: not measurable with defaults
            continue
        if p.nfe_per_step == 0 or getattr(p, "adaptive", False):
            continue
        out.append((name, cls))
    return out


def build_paths(sde, grid, x0, steps):
    """name -> (callable, nfe, reference kind)."""
    gen = torch.Generator().manual_seed(1)
    paths = {
        "bare PF-ODE Euler loop": (lambda: bare_ode_euler(sde, grid, x0), steps, "ode"),
        "bare PF-ODE Euler loop (again)": (lambda: bare_ode_euler(sde, grid, x0), steps, "ode"),
        "bare Euler-Maruyama loop": (lambda: bare_em(sde, grid, x0, gen), steps, "sde"),
    }
    shape = tuple(x0.shape)
    for name, cls in fixed_step_predictors():
        p = cls()
        try:  # a step that cannot run on this SDE/grid (its check() refuses) is left out, with a note
            p.check(sde, grid)
        except ValueError as e:
            print(f"note: {name} not measured: {e}")
            continue
        kind = "ode" if p.deterministic_ode else "sde"
        paths[name] = ((lambda cls=cls: sd.sample(sde, neg, shape, predictor=cls(), grid=grid, x_T=x0)), p.nfe(grid), kind)
    pc_nfe = S.ReverseDiffusion().nfe(grid) + S.Langevin(0.16, 1).nfe(grid)
    paths["pc (reverse_diffusion + langevin)"] = (
        lambda: sd.sample(sde, neg, shape, predictor=S.ReverseDiffusion(), corrector=S.Langevin(0.16, 1), grid=grid, x_T=x0),
        pc_nfe, "sde")
    paths["torchdiffeq euler (fixed grid)"] = (lambda: pf_ode_torchdiffeq(sde, neg, x0, method="euler", grid=grid), steps, "ode")
    span = sde.T - sde.eps
    paths["torchsde euler (reverse_sdeint)"] = (lambda: reverse_sdeint(sde, neg, x0, method="euler", dt=span / steps, seed=0), steps, "sde")
    return paths


REF = {"ode": "bare PF-ODE Euler loop", "sde": "bare Euler-Maruyama loop"}


def run_case(shape, steps, rounds, only=None):
    """Interleaved rounds; returns rows (name, ms per NFE (best), NFE, best ratio, median, lo, hi)."""
    sde = sd.VPSDE()
    grid = grids.uniform(sde, steps)
    x0 = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    paths = build_paths(sde, grid, x0, steps)
    if only:
        keep = set(only) | set(REF.values()) | {"bare PF-ODE Euler loop (again)"}
        paths = {k: v for k, v in paths.items() if k in keep}
    names = list(paths)
    for n in names:  # warm-up (allocator, caches, lazy imports)
        paths[n][0]()
    times = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            t0 = time.process_time()
            paths[n][0]()
            times[n].append(time.process_time() - t0)
    rows = []
    for n in names:
        _, nfe, kind = paths[n]
        ref = REF[kind]
        per = [t / nfe for t in times[n]]
        ref_per = [t / paths[ref][1] for t in times[ref]]
        ratios = [a / b for a, b in zip(per, ref_per)]
        rows.append((n, min(per), nfe, min(per) / min(ref_per), statistics.median(ratios), min(ratios), max(ratios)))
    return rows


CASES = [((10_000, 2), 200), ((256, 3, 32, 32), 20)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated path names (the bare loops are always timed)")
    ap.add_argument("--case", default="all", choices=["all", "2d", "image"])
    a = ap.parse_args(argv)
    if a.rounds < 1:
        raise SystemExit("--rounds must be >= 1")
    torch.set_num_threads(a.threads)
    only = [s for s in a.only.split(",") if s] or None
    cpu = "cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} torch threads; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    cases = CASES if a.case == "all" else [CASES[0] if a.case == "2d" else CASES[1]]
    for shape, steps in cases:
        rows = run_case(shape, steps, a.rounds, only)
        title = (f"batch {'x'.join(map(str, shape))}, VP, {steps} steps, score = -x, float32, "
                 f"{a.rounds} interleaved rounds, load average at end {os.getloadavg()[0]:.1f}")
        if a.markdown:
            print(f"\n**{title}**\n\n| path | CPU ms per NFE (best) | NFE | ratio, best of {a.rounds} | "
                  f"ratio, median [min - max] per round |\n|---|---:|---:|---:|---:|")
            for n, t, nfe, rb, med, lo, hi in rows:
                print(f"| {n} | {t * 1e3:.3f} | {nfe} | {rb:.2f}x | {med:.2f}x [{lo:.2f} - {hi:.2f}] |")
        else:
            print(f"\n{title}")
            for n, t, nfe, rb, med, lo, hi in rows:
                print(f"  {n:36s} {t * 1e3:9.3f} ms/NFE  NFE {nfe:5d}  best {rb:5.2f}x  median {med:5.2f}x [{lo:.2f}-{hi:.2f}]")


if __name__ == "__main__":
    main()
