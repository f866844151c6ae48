"""GPU throughput and precision checks (the CPU can run a --quick version of each).

    python benchmarks/gpu_bench.py --device cuda [--json out.json]     # about 3 minutes on one GPU
    python benchmarks/gpu_bench.py --device cpu --quick                  # the slow test suite's smoke run

1. Training throughput: ``scoresde.train.train`` (steps/s from its metrics, set-up excluded) against a
   plain PyTorch loop with the same network, batch, AdamW (foreach), clipping and EMA on the same device
   and precision. Target on a GPU: ratio >= 0.95.
2. Sampler overhead at batch 256: the time of ``scoresde.sample`` (Euler-Maruyama, uniform grid) minus
   NFE x the time of one bare network call at the same batch, relative to the latter. Target < 3 %.
3. bf16 vs fp32: the same gmm2d training in both precisions, sliced-W2 of Heun (NFE 100) samples against
   exact mixture samples, with the two-sample noise floor as the yardstick ("within noise").
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from scoresde import grids, sample  # noqa: E402
from scoresde.solvers import PREDICTORS  # noqa: E402
from scoresde.train import Config, load_dataset, load_run, make_model, make_sde, train  # noqa: E402
from scoresde.train.ema import EMA  # noqa: E402
from scoresde.train.losses import dsm_loss, sample_time  # noqa: E402
from scoresde.train.presets import preset_overrides  # noqa: E402
from scoresde.train.run import resolve_config  # noqa: E402


def _sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def throughput(cfg: Config, dev: torch.device, warm: int, steps: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        c = cfg.replace({"train.steps": warm + steps, "train.log_every": warm, "train.ckpt_every": 10**9,
                         "train.first_ckpt": 0, "train.ckpt_every_s": 0.0, "train.log_every_s": 0.0,
                         "train.device": str(dev)})
        train(c, os.path.join(d, "run"))
        lines = [json.loads(x) for x in open(os.path.join(d, "run", "metrics.jsonl"))]
    a, b = next(x for x in lines if x["step"] == warm), lines[-1]
    ours = (b["step"] - a["step"]) / (b["elapsed_s"] - a["elapsed_s"])
    data = load_dataset(cfg.data.name, cfg.data.n, cfg.data.seed)
    cfg = resolve_config(cfg, data)
    sde = make_sde(cfg)
    torch.manual_seed(0)
    net = make_model(cfg, sde, data.shape).to(dev)
    o = cfg.optim
    opt = torch.optim.AdamW(net.parameters(), lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps, foreach=True)
    ema = EMA(net, cfg.train.ema_decay)
    scaler = torch.amp.GradScaler("cuda") if cfg.train.precision == "fp16" else None
    x_all, B = data.x.to(dev), cfg.train.batch_size
    g = torch.Generator(device=dev).manual_seed(0)
    t0 = 0.0
    for i in range(warm + steps):
        if i == warm:
            _sync(dev)
            t0 = time.perf_counter()
        x0 = x_all[torch.randint(0, len(x_all), (B,), generator=g, device=dev)]
        loss = dsm_loss(net, sde, x0, t=sample_time(sde, B, g, device=dev),
                        z=torch.randn(x0.shape, generator=g, device=dev)).mean()
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
        else:
            loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), o.grad_clip)
        if scaler is not None:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        ema.update(net)
    _sync(dev)
    plain = steps / (time.perf_counter() - t0)
    return {"scoresde_steps_per_s": ours, "plain_steps_per_s": plain, "ratio": ours / plain}


def sampler_overhead(cfg: Config, dev: torch.device, batch: int, nfe: int) -> dict:
    data = load_dataset(cfg.data.name, cfg.data.n, cfg.data.seed)
    cfg = resolve_config(cfg, data)
    sde = make_sde(cfg)
    net = make_model(cfg, sde, data.shape).to(dev).eval().requires_grad_(False)
    from scoresde.params import ScoreModel

    score = ScoreModel(net, sde, net.kind)
    x = torch.randn((batch,) + tuple(data.shape), device=dev)
    t = torch.full((batch,), 0.5, device=dev)
    with torch.no_grad():
        for _ in range(3):
            score(x, t)
        _sync(dev)
        t0 = time.perf_counter()
        for _ in range(nfe):
            score(x, t)
        _sync(dev)
        net_s = time.perf_counter() - t0
        grid = grids.uniform(sde, nfe)
        sample(sde, score, (batch,) + tuple(data.shape), predictor=PREDICTORS["euler_maruyama"](), grid=grid,
               denoise=False, device=dev)  # warm-up
        _sync(dev)
        t0 = time.perf_counter()
        res = sample(sde, score, (batch,) + tuple(data.shape), predictor=PREDICTORS["euler_maruyama"](), grid=grid,
                     denoise=False, device=dev)
        _sync(dev)
        samp_s = time.perf_counter() - t0
    return {"batch": batch, "nfe": res.nfe, "network_s": net_s, "sampler_s": samp_s,
            "overhead": (samp_s - net_s) / net_s}


def _sliced_w2(a, b, n_proj=500, seed=0):
    """Sliced 2-Wasserstein distance (Rabin et al. 2011) between equal-size samples."""
    a, b = a.reshape(len(a), -1).double().cpu(), b.reshape(len(b), -1).double().cpu()
    g = torch.Generator().manual_seed(seed)
    d = torch.randn(a.shape[1], n_proj, generator=g, dtype=torch.float64)
    d = d / d.norm(dim=0, keepdim=True)
    return float(((torch.sort(a @ d, 0).values - torch.sort(b @ d, 0).values) ** 2).mean().sqrt())


def bf16_vs_fp32(dev: torch.device, steps: int, n: int) -> dict:
    out = {}
    mix = load_dataset("gmm2d", 1000).mixture
    ref = mix.sample(n, torch.Generator().manual_seed(999), dtype=torch.float32)
    out["noise_floor"] = _sliced_w2(mix.sample(n, torch.Generator().manual_seed(998)), ref)
    with tempfile.TemporaryDirectory() as d:
        for prec in ("fp32", "bf16"):
            cfg = Config().replace({**preset_overrides("cpu-small", "gmm2d"), "train.steps": steps,
                                    "train.device": str(dev), "train.precision": prec, "train.log_every": steps,
                                    "train.log_every_s": 0.0, "train.ckpt_every_s": 0.0})
            train(cfg, os.path.join(d, prec))
            run = load_run(os.path.join(d, prec), device=dev, precision=prec)
            with torch.no_grad():
                x = sample(run.sde, run.score_fn, (n, 2), predictor=PREDICTORS["heun"](),
                           grid=grids.uniform(run.sde, 50), seed=1, device=dev, denoise=False).x
            out[prec] = _sliced_w2(x, ref)
    out["difference"] = abs(out["bf16"] - out["fp32"])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="CPU-sized smoke run (seconds)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from scoresde.train.distributed import resolve_device

    dev = resolve_device(args.device, option="--device")
    if dev.type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)  # a shared CPU: extra threads wait on each other
    q = args.quick
    img = Config().replace({**preset_overrides("cpu-small" if q else "gpu-paper", "digits"),
                            "train.precision": "bf16" if dev.type == "cuda" else "fp32"})
    result = {"device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
              "torch": torch.__version__, "quick": q}
    t0 = time.perf_counter()
    result["training"] = throughput(img, dev, warm=3 if q else 20, steps=5 if q else 100)
    result["sampler_overhead"] = sampler_overhead(img, dev, batch=8 if q else 256, nfe=5 if q else 100)
    result["bf16_vs_fp32"] = bf16_vs_fp32(dev, steps=30 if q else 4000, n=500 if q else 20_000)
    result["seconds"] = time.perf_counter() - t0
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
