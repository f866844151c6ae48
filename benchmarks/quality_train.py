"""Sample quality of trained score networks, measured against exact truth or real data.

    python benchmarks/quality_train.py gmm2d   [--preset cpu-small] [--out quality-runs]   # trains the preset
    python benchmarks/quality_train.py digits  --run runs/digits                         # evaluates a run
    python benchmarks/quality_train.py mnist5k --steps 500 --time-limit 600

The training config is the preset ``scoresde train --preset PRESET --data TASK`` uses
(scoresde.train.presets), so the figures are those of the command in the README; or evaluate a
run folder written by ``scoresde train`` (``--run``).
gmm2d: sliced-W2 of samples from the trained network against exact mixture samples, next to the
same sampler at the same NFE driven by the *exact* score (and the two-sample noise floor).
digits / mnist5k: a classifier trained on the real digits (held-out split; scoresde.train.digits_metric)
gives the mean top-class probability of samples and a Frechet distance in its feature space, next
to the real-vs-real baseline, each with a bootstrap standard error. Captioned sample grids are
written. Results go to OUT/<task>/quality.json and, with --write, to the "## Training quality"
section of benchmarks/RESULTS.md.
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
from scoresde.cli.train import sample_caption, save_image_grid, save_scatter  # noqa: E402
from scoresde.solvers import PREDICTORS  # noqa: E402
from scoresde.train import Config, load_dataset, load_run, train  # noqa: E402
from scoresde.train.presets import PRESET_NAMES, preset_overrides  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
SECTION = "## Training quality"

TASKS = ("gmm2d", "digits", "mnist5k")


def task_config(task: str, preset: str, extra: dict) -> Config:
    """The training config of ``task``: the preset that ``scoresde train --preset PRESET`` uses, plus
    ``extra`` (the --set overrides); only checkpoint/log cadence is changed here."""
    over = {**preset_overrides(preset, task), "train.device": "cpu", "train.ckpt_every": 100_000,
            "train.log_every_s": 60.0, **extra}
    return Config().replace(over)


SAMPLERS = {  # (predictor, NFE) on a uniform grid; images end with Tweedie denoising (1 of the NFE)
    "gmm2d": [("euler_maruyama", 200), ("ancestral", 100), ("heun", 100), ("dpmpp_2m", 20)],
    "digits": [("euler_maruyama", 201), ("heun", 101), ("dpmpp_2m", 31)],
    "mnist5k": [("euler_maruyama", 201), ("dpmpp_2m", 31)],
}
DENOISE = {"gmm2d": False, "digits": True, "mnist5k": True}


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


def train_or_load(task: str, args, out: str):
    """Train the preset's config (``--steps`` overrides its step count) or use the run in ``--run``."""
    if args.run:
        run = load_run(args.run, device="cpu")
        lines = [json.loads(x) for x in open(os.path.join(args.run, "metrics.jsonl")) if x.strip()]
        info = {"steps": run.step, "planned_steps": run.config.train.steps, "stopped_early": False,
                "train_seconds": lines[-1]["elapsed_s"] if lines else float("nan"),
                "final_loss": lines[-1]["loss"] if lines else float("nan"), "config": run.config.to_dict(),
                "run": os.path.abspath(args.run)}
        return run, info
    extra = dict(args.extra)
    if args.steps is not None:
        extra["train.steps"] = args.steps
    cfg = task_config(task, args.preset, extra)
    run_dir = os.path.join(out, "run")
    shutil.rmtree(run_dir, ignore_errors=True)
    res = train(cfg, run_dir, time_limit_s=args.time_limit)
    info = {"steps": res.step, "planned_steps": cfg.train.steps, "stopped_early": res.stopped_early,
            "train_seconds": res.loop_seconds, "final_loss": res.last_loss, "config": res.config.to_dict()}
    return load_run(run_dir, device="cpu"), info


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
    run, info = train_or_load("gmm2d", args, out)
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
                         sample_caption("gmm2d", run.step, "heun", "none", "uniform", r["nfe"], 1))
    return {"task": "gmm2d", **info, "n": n, "sw2_noise_floor": floor, "samplers": table}


def task_images(args, out, task):
    from scoresde.train.digits_metric import evaluate, train_classifier

    run, info = train_or_load(task, args, out)
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
        save_image_grid(data.to_unit(r["x"][:100]).numpy(), os.path.join(out, f"samples_{r['sampler']}{r['nfe']}.png"),
                        title=sample_caption(task, run.step, r["sampler"], "none", "uniform", r["nfe"], 1))
    save_image_grid(data.to_unit(data.x[:100]).numpy(), os.path.join(out, "real.png"))
    return {"task": task, **info, "classifier_seconds": judge_s, "n": n, "samplers": table}


def markdown(result: dict) -> str:
    t = result["task"]
    early = f" (of {result['planned_steps']} planned: time limit)" if result["stopped_early"] else ""
    src = f" (run {result['run']})" if result.get("run") else ""
    head = (f"**{t}**{src}: preset `{result.get('preset', '?')}`, {result['steps']} steps{early} in "
            f"{result['train_seconds']:.0f} s of CPU training "
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
                 "| sampler | NFE | mean top-class prob. (± bootstrap SE) | Frechet distance (n = %d, ± bootstrap SE) "
                 "| real-vs-real FD | classes predicted |" % s0["frechet_n"],
                 "|---|---:|---:|---:|---:|---|"]
        for r in result["samplers"]:
            lines.append(f"| {r['sampler']} | {r['nfe']} | {r['mean_top_prob']:.3f} ± {r['mean_top_prob_se']:.3f} | "
                         f"{r['frechet']:.2f} ± {r['frechet_se']:.2f} | "
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
    ap.add_argument("task", choices=TASKS)
    ap.add_argument("--preset", default="cpu-small", choices=PRESET_NAMES, help="training preset (default cpu-small)")
    ap.add_argument("--run", default=None, help="evaluate this run folder (e.g. from 'scoresde train') instead of training")
    ap.add_argument("--steps", type=int, default=None, help="train.steps instead of the preset's")
    ap.add_argument("--time-limit", type=float, default=None, help="stop training after this many seconds")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    ap.add_argument("--n", type=int, default=None, help="samples per sampler")
    ap.add_argument("--samplers", default=None, help="comma-separated subset of the task's samplers")
    ap.add_argument("--out", default="quality-runs")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a field of the preset's training config")
    ap.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    from scoresde.train.config import parse_override

    args.extra = dict(parse_override(o) for o in args.overrides)
    if args.samplers:
        keep = args.samplers.split(",")
        SAMPLERS[args.task] = [r for r in SAMPLERS[args.task] if r[0] in keep]
        if not SAMPLERS[args.task]:
            ap.error(f"--samplers: none of {keep} is a sampler of {args.task}")
    torch.set_num_threads(args.threads)
    out = os.path.join(args.out, args.task)
    os.makedirs(out, exist_ok=True)
    result = task_gmm2d(args, out) if args.task == "gmm2d" else task_images(args, out, args.task)
    result["preset"] = args.preset if not args.run else "see run config"
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
