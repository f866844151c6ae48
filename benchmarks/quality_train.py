"""Sample quality of trained score networks (CPU budgets), measured against exact truth or real data.

    python benchmarks/quality_train.py gmm2d   [--budget-s 255] [--out quality-runs]   # stopped at 4.75 min at the latest
    python benchmarks/quality_train.py digits  [--budget-s 520]                          # stopped at 9.5 min at the latest
    python benchmarks/quality_train.py mnist5k [--budget-s 520]

gmm2d: sliced-W2 of samples from the trained network against exact mixture samples, next to the
same sampler at the same NFE driven by the *exact* score (and the two-sample noise floor).
digits / mnist5k: a classifier trained on the real digits (held-out split; scoresde.train.digits_metric)
gives the mean top-class probability of samples and a Frechet distance in its feature space, next
to the real-vs-real baseline. A sample grid PNG is written. Training steps are calibrated to the
wall-clock budget from a short timing run (the machine may be shared), and a hard time limit
(285 s / 570 s) stops training early if the machine slows down. Results go to OUT/<task>/quality.json
and, with --write, to the "## Training quality" section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from scoresde import sample  # noqa: E402
from scoresde.cli.train import save_image_grid, save_scatter  # noqa: E402
from scoresde.solvers import PREDICTORS  # noqa: E402
from scoresde.train import Config, load_dataset, load_run, train  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
SECTION = "## Training quality"

CONFIGS = {
    "gmm2d": {"data.name": "gmm2d", "data.n": 100_000, "sde.name": "vp", "model.hidden": 128, "model.depth": 3,
              "train.batch_size": 256, "optim.lr": 2e-3, "optim.warmup": 200, "optim.schedule": "cosine",
              "train.ema_decay": 0.999, "train.log_every": 100, "train.ckpt_every": 100_000},
    "digits": {"data.name": "digits", "sde.name": "vp", "model.channels": 16, "model.channel_mult": [1, 2],
               "model.num_res_blocks": 1, "model.emb_dim": 64, "train.batch_size": 64, "optim.lr": 2e-3,
               "optim.warmup": 200, "optim.schedule": "cosine", "train.ema_decay": 0.999,
               "train.log_every": 20, "train.ckpt_every": 100_000},
    "mnist5k": {"data.name": "mnist5k", "sde.name": "vp", "model.channels": 32, "model.channel_mult": [1, 2, 2],
                "model.num_res_blocks": 1, "model.emb_dim": 64, "train.batch_size": 64, "optim.lr": 1e-3,
                "optim.warmup": 200, "optim.schedule": "cosine", "train.ema_decay": 0.999,
                "train.log_every": 10, "train.ckpt_every": 100_000},
}
SAMPLERS = {  # (predictor, NFE) on a uniform grid; images end with Tweedie denoising (1 of the NFE)
    "gmm2d": [("euler_maruyama", 200), ("ancestral", 100), ("heun", 100), ("dpmpp_2m", 20)],
    "digits": [("euler_maruyama", 201), ("heun", 101), ("dpmpp_2m", 31)],
    "mnist5k": [("euler_maruyama", 201), ("dpmpp_2m", 31)],
}
DENOISE = {"gmm2d": False, "digits": True, "mnist5k": True}
HARD_LIMIT_S = {"gmm2d": 285.0, "digits": 570.0, "mnist5k": 570.0}  # training stops here whatever the plan


def sliced_w2(a: torch.Tensor, b: torch.Tensor, n_proj: int = 500, seed: int = 0) -> float:
    """Sliced 2-Wasserstein distance (Rabin et al. 2011): sqrt of the mean over random directions of
    the squared W2 between 1-D projections (sorted samples; equal sample sizes)."""
    a, b = a.reshape(len(a), -1).double(), b.reshape(len(b), -1).double()
    assert len(a) == len(b)
    g = torch.Generator().manual_seed(seed)
    d = torch.randn(a.shape[1], n_proj, generator=g, dtype=torch.float64)
    d = d / d.norm(dim=0, keepdim=True)
    pa, pb = torch.sort(a @ d, 0).values, torch.sort(b @ d, 0).values
    return float(((pa - pb) ** 2).mean().sqrt())


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines()
        model = next((l.split(":", 1)[1].strip() for l in lscpu if l.startswith("Model name")), platform.processor())
    except (OSError, subprocess.SubprocessError):
        model = platform.processor() or platform.machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{model}, {os.cpu_count()} vCPUs (shared; load average {load:.1f} at the end), "
            f"python {platform.python_version()}, torch {torch.__version__}, torch threads {torch.get_num_threads()}")


def calibrated_steps(task: str, budget_s: float, out: str) -> tuple[int, float]:
    """Steps that fit in ``budget_s`` seconds, from a short timing run of the same config."""
    probe = os.path.join(out, "probe")
    shutil.rmtree(probe, ignore_errors=True)
    n = 150 if task == "gmm2d" else 40
    cfg = Config().replace({**CONFIGS[task], "train.steps": n, "train.device": "cpu", "train.log_every": n})
    res = train(cfg, probe)
    shutil.rmtree(probe, ignore_errors=True)
    rate = n / res.loop_seconds
    return max(200, int(budget_s * rate * 0.92)), rate


def run_samplers(task, run, n, seed, exact=None):
    rows = []
    for name, nfe in SAMPLERS[task]:
        pred = PREDICTORS[name]()
        dn = DENOISE[task]
        steps = (nfe - dn) // pred.nfe_per_step
        from scoresde import grids

        grid = grids.uniform(run.sde, steps)
        t0 = time.perf_counter()
        xs = []
        bs = 2000 if run.net.core.__class__.__name__ == "UNet" else n
        with torch.no_grad():
            for s in range(0, n, bs):
                b = min(bs, n - s)
                res = sample(run.sde, run.score_fn, (b,) + run.shape, predictor=pred, grid=grid, seed=seed,
                             indices=range(s, s + b), denoise=dn)
                assert res.nfe == nfe, (res.nfe, nfe)
                xs.append(res.x)
        x = torch.cat(xs)
        row = {"sampler": name, "nfe": nfe, "seconds": time.perf_counter() - t0, "x": x}
        if exact is not None:
            row["x_exact_score"] = sample(run.sde, exact, (n,) + run.shape, predictor=pred, grid=grid, seed=seed,
                                          indices=range(n), denoise=dn).x
        rows.append(row)
    return rows


def task_gmm2d(args, out):
    steps, rate = calibrated_steps("gmm2d", args.budget_s, out) if args.steps is None else (args.steps, float("nan"))
    run_dir = os.path.join(out, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = Config().replace({**CONFIGS["gmm2d"], "train.steps": steps, "train.device": "cpu"})
    res = train(cfg, run_dir, time_limit_s=HARD_LIMIT_S["gmm2d"])
    run = load_run(run_dir, device="cpu")
    data = load_dataset("gmm2d", 1000)
    mix = data.mixture
    n = args.n or 20_000
    ref = mix.sample(n, torch.Generator().manual_seed(999), dtype=torch.float32)
    floor = sliced_w2(mix.sample(n, torch.Generator().manual_seed(998)), ref)
    rows = run_samplers("gmm2d", run, n, seed=1, exact=mix.score_fn(run.sde))
    table = []
    for r in rows:
        w_model, w_exact = sliced_w2(r["x"], ref), sliced_w2(r["x_exact_score"], ref)
        table.append({"sampler": r["sampler"], "nfe": r["nfe"], "sw2_model": w_model, "sw2_exact_score": w_exact,
                      "ratio": w_model / w_exact, "seconds": r["seconds"]})
        if r["sampler"] == "heun":
            save_scatter(r["x"].numpy(), data.x.numpy(), os.path.join(out, "samples_heun100.png"),
                         f"gmm2d, trained MLP ({steps} steps), Heun NFE 100")
    return {"task": "gmm2d", "steps": res.step, "planned_steps": steps, "stopped_early": res.stopped_early, "calibrated_steps_per_s": rate, "train_seconds": res.loop_seconds,
            "final_loss": res.last_loss, "n": n, "sw2_noise_floor": floor, "samplers": table,
            "config": res.config.to_dict()}


def task_images(args, out, task):
    from scoresde.train.digits_metric import evaluate, train_classifier

    steps, rate = calibrated_steps(task, args.budget_s, out) if args.steps is None else (args.steps, float("nan"))
    run_dir = os.path.join(out, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = Config().replace({**CONFIGS[task], "train.steps": steps, "train.device": "cpu"})
    res = train(cfg, run_dir, time_limit_s=HARD_LIMIT_S[task])
    run = load_run(run_dir, device="cpu")
    data = load_dataset(task)
    t0 = time.perf_counter()
    judge = train_classifier(data)
    judge_s = time.perf_counter() - t0
    n = args.n or 1000
    rows = run_samplers(task, run, n, seed=1)
    table = []
    for r in rows:
        m = evaluate(r["x"], data, judge)
        table.append({"sampler": r["sampler"], "nfe": r["nfe"], "seconds": r["seconds"], **m})
        save_image_grid(data.to_unit(r["x"][:100]).numpy(), os.path.join(out, f"samples_{r['sampler']}{r['nfe']}.png"))
    save_image_grid(data.to_unit(data.x[:100]).numpy(), os.path.join(out, "real.png"))
    return {"task": task, "steps": res.step, "planned_steps": steps, "stopped_early": res.stopped_early, "calibrated_steps_per_s": rate, "train_seconds": res.loop_seconds,
            "final_loss": res.last_loss, "classifier_seconds": judge_s, "n": n, "samplers": table,
            "config": res.config.to_dict()}


def markdown(result: dict) -> str:
    t = result["task"]
    early = f" (of {result['planned_steps']} planned: time limit)" if result["stopped_early"] else ""
    head = (f"**{t}**: {result['steps']} steps{early} in {result['train_seconds']:.0f} s of CPU training "
            f"(final logged loss {result['final_loss']:.4f}), {result['n']} samples, EMA weights, uniform grid"
            f"{', Tweedie denoising at the end (counted in the NFE)' if DENOISE[t] else ''}.\n")
    if t == "gmm2d":
        lines = [head, f"Two-sample noise floor of sliced-W2 at n = {result['n']}: {result['sw2_noise_floor']:.4f}.", "",
                 "| sampler | NFE | sliced-W2, trained net | sliced-W2, exact score | ratio |", "|---|---:|---:|---:|---:|"]
        for r in result["samplers"]:
            lines.append(f"| {r['sampler']} | {r['nfe']} | {r['sw2_model']:.4f} | {r['sw2_exact_score']:.4f} | {r['ratio']:.2f} |")
    else:
        s0 = result["samplers"][0]
        lines = [head, f"Judge: held-out accuracy {s0['classifier_heldout_accuracy']:.3f}; real held-out digits: mean "
                       f"top-class probability {s0['real_mean_top_prob']:.3f}, Frechet distance to the training split "
                       f"{s0['frechet_real_baseline']:.2f} (n = {s0['frechet_real_n']}).", "",
                 "| sampler | NFE | mean top-class prob. | Frechet distance (n = %d) | real-vs-real FD | classes predicted |" % s0["frechet_n"],
                 "|---|---:|---:|---:|---:|---|"]
        for r in result["samplers"]:
            lines.append(f"| {r['sampler']} | {r['nfe']} | {r['mean_top_prob']:.3f} | {r['frechet']:.2f} | "
                         f"{r['frechet_real_baseline']:.2f} | {r['class_histogram']} |")
    return "\n".join(lines) + "\n"


def update_section(path: str, section: str, body: str, task: str) -> None:
    """Replace this task's block inside ``section`` of RESULTS.md (other tasks' blocks are kept)."""
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    start_tag, end_tag = f"<!-- quality:{task} -->", f"<!-- /quality:{task} -->"
    block = f"{start_tag}\n{body}{end_tag}\n"
    if section not in text:
        text = text.rstrip("\n") + f"\n\n{section}\n\n`python benchmarks/quality_train.py TASK --write` " \
                                   f"(one torch thread, CPU; see the script's docstring for what is measured). " \
                                   f"Sample pictures are written next to quality.json in --out.\n\n"
    if start_tag in text:
        a, b = text.index(start_tag), text.index(end_tag) + len(end_tag) + 1
        text = text[:a] + block + text[b:]
    else:
        i = text.index(section) + len(section)
        nxt = text.find("\n## ", i)
        nxt = len(text) if nxt < 0 else nxt + 1
        text = text[:nxt].rstrip("\n") + "\n\n" + block + ("\n" + text[nxt:] if nxt < len(text) else "")
    from scoresde.train.checkpoint import atomic_write_text

    atomic_write_text(path, text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=sorted(CONFIGS))
    ap.add_argument("--budget-s", type=float, default=None, help="planned training wall-clock time (default 255 s for gmm2d, 520 s for images)")
    ap.add_argument("--steps", type=int, default=None, help="fixed number of steps instead of a time budget")
    ap.add_argument("--n", type=int, default=None, help="samples per sampler")
    ap.add_argument("--out", default="quality-runs")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a field of the task's training config")
    ap.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    from scoresde.train.config import parse_override

    CONFIGS[args.task].update(dict(parse_override(o) for o in args.overrides))
    torch.set_num_threads(1)
    if args.budget_s is None:
        # planned with a margin: the machine is shared and its speed drifts during a run
        args.budget_s = 255.0 if args.task == "gmm2d" else 520.0
    out = os.path.join(args.out, args.task)
    os.makedirs(out, exist_ok=True)
    result = task_gmm2d(args, out) if args.task == "gmm2d" else task_images(args, out, args.task)
    result["machine"] = machine()
    with open(os.path.join(out, "quality.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = markdown(result) + f"\nMachine: {result['machine']}.\n"
    print(md)
    if args.write:
        update_section(RESULTS, SECTION, md, args.task)
        print(f"updated {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
