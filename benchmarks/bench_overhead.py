"""Per-step overhead of the samplers with a near-free score, as a ratio to bare hand-written loops.

The score is score(x, t) = -x (one negation), so the time is the sampler's own work: coefficient
lookups, the update arithmetic, noise generation, bookkeeping. Two bare loops are timed in the same
run with precomputed float coefficients and no checks:
* bare PF-ODE Euler:  x = x + dt (f x - g^2/2 score)               (reference for ODE samplers)
* bare Euler-Maruyama: x = x + dt (f x - g^2 score) + sqrt(g^2 |dt|) torch.randn  (for SDE samplers)
Ratios are seconds per score evaluation of the sampler over the same for its bare loop (a Heun step
is 2 evaluations). The torchdiffeq (fixed-grid euler) and torchsde (euler) paths are timed too.
Timing: best of ``--repeats`` runs (robust against other load on a shared machine).

    python benchmarks/bench_overhead.py [--repeats 5] [--threads 1] [--markdown]
"""
from __future__ import annotations

import argparse
import math
import time

import torch

import scoresde as sd
from scoresde import grids
from scoresde import solvers as S
from scoresde.compare import machine_description
from scoresde.integrators import pf_ode_torchdiffeq, reverse_sdeint


def neg(x, t):
    return -x


def _best(fn, repeats):
    fn()  # warm-up
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


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


SAMPLERS = {
    "ode_euler": (S.ODEEuler, None, "ode"),
    "heun": (S.Heun, None, "ode"),
    "ddim": (S.DDIM, None, "ode"),
    "dpmpp_2m": (S.DPMSolverPP2M, None, "ode"),
    "euler_maruyama": (S.EulerMaruyama, None, "sde"),
    "reverse_diffusion": (S.ReverseDiffusion, None, "sde"),
    "ancestral": (S.Ancestral, None, "sde"),
    "pc": (S.ReverseDiffusion, lambda: S.Langevin(0.16, 1), "sde"),
}


def run_case(shape, steps, repeats):
    sde = sd.VPSDE()
    grid = grids.uniform(sde, steps)
    x0 = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(1)
    rows = []
    base = {
        "ode": _best(lambda: bare_ode_euler(sde, grid, x0), repeats) / steps,
        "sde": _best(lambda: bare_em(sde, grid, x0, gen), repeats) / steps,
    }
    rows.append(("bare PF-ODE Euler loop", base["ode"], steps, 1.0))
    rows.append(("bare Euler-Maruyama loop", base["sde"], steps, 1.0))
    for name, (pred, corr, kind) in SAMPLERS.items():
        p = pred()
        c = corr() if corr else None
        nfe = p.nfe(grid) + (c.nfe(grid) if c else 0)
        t = _best(lambda: sd.sample(sde, neg, shape, predictor=pred(), corrector=corr() if corr else None,
                                    grid=grid, x_T=x0), repeats)
        rows.append((name, t / nfe, nfe, (t / nfe) / base[kind]))
    t = _best(lambda: pf_ode_torchdiffeq(sde, neg, x0, method="euler", grid=grid), repeats)
    rows.append(("torchdiffeq euler (fixed grid)", t / steps, steps, (t / steps) / base["ode"]))
    span = sde.T - sde.eps
    t = _best(lambda: reverse_sdeint(sde, neg, x0, method="euler", dt=span / steps, seed=0), repeats)
    rows.append(("torchsde euler (reverse_sdeint)", t / steps, steps, (t / steps) / base["sde"]))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    print(f"machine: {machine_description(torch.device('cpu'))}")
    cases = [((10_000, 2), 200), ((256, 3, 32, 32), 20)]
    for shape, steps in cases:
        rows = run_case(shape, steps, a.repeats)
        title = f"batch {'x'.join(map(str, shape))}, VP, {steps} steps, score = -x, float32"
        if a.markdown:
            print(f"\n**{title}**\n\n| path | ms per NFE | NFE | ratio to bare loop |\n|---|---|---|---|")
            for n, t, nfe, r in rows:
                print(f"| {n} | {t * 1e3:.3f} | {nfe} | {r:.2f}x |")
        else:
            print(f"\n{title}")
            for n, t, nfe, r in rows:
                print(f"  {n:34s} {t * 1e3:9.3f} ms/NFE  NFE {nfe:5d}  ratio {r:5.2f}x")


if __name__ == "__main__":
    main()
