"""Training throughput: scoresde.train.train against a plain PyTorch loop of the same model and batch.

    python benchmarks/bench_train.py            # full run, updates the "## Training" section of RESULTS.md
    python benchmarks/bench_train.py --quick    # fewer steps, prints only

"plain" is the minimal hand-written loop: draw t ~ U(eps, T) and z, x_t = m x0 + s z, eps-MSE,
backward, AdamW step. "plain + same work" adds what scoresde's loop also does per step: gradient
clipping and an EMA update. scoresde's own loop additionally re-seeds its generators each step
(for bit-identical resume), checks the loss for NaN/inf, and keeps running metrics. Steps/s of
scoresde are read from its metrics.jsonl between the first and last log line (so set-up and the
final checkpoint are excluded); the plain loops are timed over the same steps after the same
warm-up. Runs are interleaved and repeated; the median is reported. One torch thread.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from scoresde.train import Config, load_dataset, train  # noqa: E402
from scoresde.train.ema import EMA  # noqa: E402
from scoresde.train.run import make_model, make_sde, resolve_config  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
SECTION = "## Training"

CASES = {
    "gmm2d MLP (128x3), batch 512": {"data.name": "gmm2d", "data.n": 50_000, "model.hidden": 128, "model.depth": 3,
                                      "train.batch_size": 512},
    "gmm2d MLP (32x2), batch 128": {"data.name": "gmm2d", "data.n": 50_000, "model.hidden": 32, "model.depth": 2,
                                     "train.batch_size": 128},
    "digits U-Net (32, [1,2], 1 block), batch 128": {"data.name": "digits", "model.channels": 32,
                                                      "model.channel_mult": [1, 2], "model.num_res_blocks": 1,
                                                      "model.emb_dim": 64, "train.batch_size": 128},
}


def ours(cfg: Config, warm: int, steps: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        cfg = cfg.replace({"train.steps": warm + steps, "train.log_every": warm if warm else steps,
                           "train.ckpt_every": 10 ** 9, "train.device": "cpu"})
        train(cfg, os.path.join(d, "run"))
        lines = [json.loads(l) for l in open(os.path.join(d, "run", "metrics.jsonl"))]
    a = next(l for l in lines if l["step"] == warm)
    b = lines[-1]
    return (b["step"] - a["step"]) / (b["elapsed_s"] - a["elapsed_s"])


def plain(cfg: Config, warm: int, steps: int, same_work: bool) -> float:
    data = load_dataset(cfg.data.name, cfg.data.n, cfg.data.seed)
    cfg = resolve_config(cfg, data)
    sde = make_sde(cfg)
    torch.manual_seed(0)
    net = make_model(cfg, sde, data.shape)
    # PyTorch's defaults otherwise (on the CPU that is the single-tensor AdamW; scoresde asks for foreach)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.optim.lr, betas=(cfg.optim.beta1, cfg.optim.beta2),
                            weight_decay=cfg.optim.weight_decay)
    ema = EMA(net, cfg.train.ema_decay) if same_work else None
    x_all, B = data.x, cfg.train.batch_size
    g = torch.Generator().manual_seed(0)
    T, eps = sde.T, sde.eps
    t_start = 0.0
    for i in range(warm + steps):
        if i == warm:
            t_start = time.perf_counter()
        idx = torch.randint(0, len(x_all), (B,), generator=g)
        x0 = x_all[idx]
        t = eps + (T - eps) * torch.rand(B, generator=g)
        z = torch.randn(x0.shape, generator=g)
        # VP kernel (Song et al. 2021, Eq. 33): m = exp(-B(t)/2), s = sqrt(1 - m^2)
        t64 = t.double()
        logm = -0.5 * (0.1 * t64 + 0.5 * (20.0 - 0.1) * t64 * t64)
        m = torch.exp(logm).float().reshape((B,) + (1,) * (x0.ndim - 1))
        s = torch.sqrt(-torch.expm1(2 * logm)).float().reshape(m.shape)
        loss = (net(m * x0 + s * z, t) - z).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if same_work:
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if same_work:
            ema.update(net)
    return steps / (time.perf_counter() - t_start)


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines()
        model = next((l.split(":", 1)[1].strip() for l in lscpu if l.startswith("Model name")), platform.processor())
    except (OSError, subprocess.SubprocessError):
        model = platform.processor() or platform.machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{model}, {os.cpu_count()} vCPUs shared with other jobs (load average {load:.1f} at the end), "
            f"python {platform.python_version()}, torch {torch.__version__}, torch threads {torch.get_num_threads()}")


def update_section(path: str, section: str, body: str) -> None:
    from scoresde.train.checkpoint import atomic_write_text

    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    block = f"{section}\n\n{body.rstrip()}\n"
    if section + "\n" in text:
        a = text.index(section + "\n")
        nxt = text.find("\n## ", a + len(section))
        text = text[:a] + block + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    atomic_write_text(path, text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    reps = 1 if args.quick else args.repeats
    rows = []
    for label, over in CASES.items():
        cfg = Config().replace(over)
        warm, steps = (10, 40) if args.quick else ((10, 60) if "U-Net" in label else (20, 200) if "128x3" in label
                                                   else (50, 1000))
        r_ours, r_plain, r_same = [], [], []
        for _ in range(reps):
            r_plain.append(plain(cfg, warm, steps, False))
            r_ours.append(ours(cfg, warm, steps))
            r_same.append(plain(cfg, warm, steps, True))
        o, p, s = statistics.median(r_ours), statistics.median(r_plain), statistics.median(r_same)
        rows.append((label, o, p, s))
        print(f"{label}: scoresde {o:.1f} steps/s, plain {p:.1f}, plain+same work {s:.1f}; "
              f"ratio {o / p:.3f} / {o / s:.3f}  (runs: {[round(x, 1) for x in r_ours]} {[round(x, 1) for x in r_plain]})",
              flush=True)
    table = ["| model, batch | scoresde steps/s | plain loop steps/s | ratio | plain + clip + EMA steps/s | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, o, p, s in rows:
        table.append(f"| {label} | {o:.1f} | {p:.1f} | {o / p:.3f} | {s:.1f} | {o / s:.3f} |")
    body = "\n".join([
        "`python benchmarks/bench_train.py` -- training steps per second of `scoresde.train.train` against a "
        "plain PyTorch loop of the same network, batch, loss and AdamW (and the same loop plus gradient clipping "
        f"and EMA, the work scoresde also does). Median of {reps} interleaved runs; CPU, one thread.", "",
        f"Machine: {machine()}.", "", *table, "",
        "Target: ratio >= 0.95 against the plain loop. scoresde's per-step extras are: re-seeding two generators "
        "(data order and noise are functions of the step, for bit-identical --resume), an isfinite check of the "
        "loss (one sync on the CPU), gradient-norm clipping and the EMA update (one fused lerp); it also asks for "
        "the multi-tensor (foreach) AdamW, which PyTorch uses by default only on CUDA. The target is met for the "
        "U-Net and against the plain loop doing the same work (clipping + EMA), where every ratio is about 1; it "
        "is missed for the small MLPs against the bare loop, because clipping and the EMA update themselves cost "
        "5-15% of a 2-10 ms step (switch them off with optim.grad_clip=0 and train.ema=false if that matters). Two fixes "
        "found with this benchmark: torch.manual_seed costs about 0.5 ms (it walks every backend's lazy seeding), "
        "so the loop re-seeds only the device's default generator; and the EMA looks its parameters up once, not "
        "every step. Numbers on this shared 2-vCPU machine move by several percent between runs. GPU throughput: "
        "not measured (no GPU was available to this work)."])
    print("\n" + body)
    if not args.quick and not args.no_write:
        update_section(RESULTS, SECTION, body)
        print(f"updated {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
