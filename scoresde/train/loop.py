"""The training loop: data -> SDE -> weighted denoising score matching -> checkpoints (+ EMA).

AdamW (Loshchilov & Hutter 2019) with linear warm-up (and optional cosine decay), global
gradient-norm clipping, an EMA of the weights, metrics as JSON lines, atomic checkpoints.

Reproducibility: every random draw is a pure function of (train.seed, step): the batch order
(:class:`~scoresde.train.data.BatchOrder`), the times and noise of the global batch (a generator
re-seeded each step; rank r takes its rows), and the global RNG (re-seeded each step, for
dropout). ``--resume`` therefore continues bit-identically on CPU; the checkpoint also carries the
optimiser, EMA and RNG states. Under torchrun each process takes B/W rows of the same global
batch, so K processes compute what one process with the full batch computes, up to the order of
the gradient all-reduce.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from .._yaml import short
from ..noise import _mix
from . import checkpoint as ckpt
from . import distributed as D
from .config import RESUMABLE, Config, dump_config, load_config
from .data import BatchOrder, Dataset, load_dataset
from .ema import EMA
from .losses import dsm_loss, sample_time
from .run import CHECKPOINT_DIR, CONFIG_FILE, METRICS_FILE, make_model, make_sde, resolve_config

_NONE = 1 << 62  # "no non-finite loss yet" for the min-reduction over ranks


@dataclass
class TrainResult:
    run_dir: str
    step: int
    start_step: int
    model: nn.Module
    ema: Optional[EMA]
    last_loss: float
    loop_seconds: float
    checkpoint: str
    config: Config
    stopped_early: bool = False


def learning_rate(cfg: Config, step: int) -> float:
    """lr at 0-based ``step``: linear warm-up over optim.warmup steps, then constant or cosine to 0."""
    o = cfg.optim
    f = min(1.0, (step + 1) / o.warmup) if o.warmup > 0 else 1.0
    if o.schedule == "cosine":
        span = max(1, cfg.train.steps - o.warmup)
        p = min(1.0, max(0.0, (step - o.warmup) / span))
        f *= 0.5 * (1.0 + math.cos(math.pi * p))
    return o.lr * f


def _check_resume(cfg: Config, out: str) -> Optional[tuple]:
    """(path, state) of the newest intact checkpoint of run ``out``; None if it has none yet (the run
    stopped before its first checkpoint: resuming then starts at step 0 with the stored config)."""
    cfg_path = os.path.join(out, CONFIG_FILE)
    if not os.path.isfile(cfg_path):
        raise ValueError(f"--resume: {out!r} is not a training run folder (no {CONFIG_FILE})")
    stored = load_config(cfg_path)
    diffs = [d for d in stored.diff(cfg) if d[0] not in RESUMABLE]
    if diffs:
        listed = "; ".join(f"{k}: run has {short(a)}, now {short(b)}" for k, a, b in diffs[:5])
        raise ValueError(f"--resume: the config differs from the run's in {len(diffs)} field(s): {listed}"
                         f"{'; ...' if len(diffs) > 5 else ''}")
    return ckpt.latest_good(os.path.join(out, CHECKPOINT_DIR), ckpt.check_training_state)


def _fresh_run_refusal(out: str, ck_dir: str) -> str:
    if ckpt.list_checkpoints(ck_dir):
        return f"--out: {out!r} already holds a run; continue it with --resume or choose a new folder"
    return (f"--out: {out!r} already holds a run that has no checkpoint yet (it stopped before its first one, "
            f"e.g. on a non-finite loss); --resume restarts it from step 0 with its stored config, "
            f"or choose a new folder (or delete this one) to train with a different config")


def _truncate_metrics(path: str, step: int) -> None:
    """Drop metric lines past ``step`` (written after the checkpoint we resume from)."""
    if not os.path.isfile(path):
        return
    keep = []
    with open(path) as f:
        for line in f:
            try:
                if json.loads(line)["step"] <= step:
                    keep.append(line if line.endswith("\n") else line + "\n")
            except (ValueError, KeyError, TypeError):
                continue
    ckpt.atomic_write_text(path, "".join(keep))


def train(cfg: Config, out: str, *, resume: bool = False, progress: Optional[bool] = None,
          data: Optional[Dataset] = None, time_limit_s: Optional[float] = None) -> TrainResult:
    """Train a score network as ``cfg`` says, in run folder ``out``.

    A fresh run refuses a folder that already holds a run; ``resume=True`` continues the newest
    checkpoint there, refusing a config that differs outside ``config.RESUMABLE``.
    ``progress``: tqdm bar (default: only when stdout is a TTY). Raises FloatingPointError naming
    the step if the loss becomes non-finite. ``time_limit_s``: stop (with a checkpoint) at the first
    log boundary after this many seconds of training; ``--resume`` continues the run later.
    """
    if time_limit_s is not None and not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
    world, device = D.init(cfg.train.device)
    try:
        return _train(cfg, out, resume, progress, data, world, device, time_limit_s)
    finally:
        D.shutdown(world)


def _train(cfg, out, resume, progress, data, world, device, time_limit_s=None) -> TrainResult:
    tc = cfg.train
    if tc.precision == "fp16" and device.type != "cuda":
        raise ValueError("train.precision: fp16 autocast needs CUDA; use bf16 (or fp32) on the CPU")
    if tc.batch_size % world.world_size:
        raise ValueError(f"train.batch_size: {tc.batch_size} is not divisible by the {world.world_size} processes")
    data = load_dataset(cfg.data.name, cfg.data.n, cfg.data.seed) if data is None else data
    bad = int((~torch.isfinite(data.x)).sum())
    if bad:
        raise ValueError(f"data: data set {data.name!r} contains {bad} non-finite value(s)")
    cfg = resolve_config(cfg, data)
    order = BatchOrder(len(data), tc.batch_size, _mix(tc.seed, 0x0D))  # raises if batch > data

    ck_dir = os.path.join(out, CHECKPOINT_DIR)
    metrics_path = os.path.join(out, METRICS_FILE)
    resume_path, state = None, None
    if resume:
        found = _check_resume(cfg, out)
        if found is not None:
            resume_path, state = found
        elif world.is_main:
            print(f"scoresde train: {out!r} has no checkpoint yet; starting it again from step 0", file=sys.stderr)
    elif os.path.exists(os.path.join(out, CONFIG_FILE)) or ckpt.list_checkpoints(ck_dir):
        raise ValueError(_fresh_run_refusal(out, ck_dir))
    D.barrier(world)  # every rank has checked the folder before rank 0 writes into it (else rank 1 sees rank 0's run)
    if world.is_main:
        os.makedirs(ck_dir, exist_ok=True)
        dump_config(cfg, os.path.join(out, CONFIG_FILE))
    D.barrier(world)

    sde = make_sde(cfg)
    torch.manual_seed(_mix(tc.seed, 0x1417))  # initialisation: identical on every rank
    model = make_model(cfg, sde, data.shape).to(device)
    ema = EMA(model, tc.ema_decay, tc.ema_warmup) if tc.ema else None
    o = cfg.optim
    # foreach (multi-tensor) updates: PyTorch picks them by default only for CUDA tensors
    opt = torch.optim.AdamW(model.parameters(), lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps,
                            weight_decay=o.weight_decay, foreach=True)
    scaler = torch.amp.GradScaler("cuda") if tc.precision == "fp16" else None
    start = 0
    if resume_path is not None:
        ckpt.load_state_into(model, state["model"], resume_path)
        ckpt.load_state_into(opt, state.get("optimizer"), resume_path, "optimizer")
        if ema is not None:
            ckpt.load_state_into(ema, state.get("ema"), resume_path, "EMA")
        if scaler is not None and state.get("scaler") is not None:
            ckpt.load_state_into(scaler, state["scaler"], resume_path, "GradScaler")
        try:
            ckpt.set_rng_state(state["rng"])
        except (KeyError, TypeError, RuntimeError) as e:
            raise ValueError(f"checkpoint {resume_path!r}: unusable random-number-generator state ({type(e).__name__})") from None
        start = int(state["step"])
        if start > tc.steps:
            raise ValueError(f"--steps: the run is already at step {start}; ask for more steps than that to resume")
    if world.is_main:
        if resume_path is not None:
            _truncate_metrics(metrics_path, start)
        else:
            ckpt.atomic_write_text(metrics_path, "")

    fwd = model
    if world.distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        # buffers (the fixed Fourier frequencies) never change: no need to broadcast them every step
        fwd = DDP(model, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=False)
    params = [p for p in model.parameters() if p.requires_grad]
    x_all = data.x.to(device)
    B, b, r = tc.batch_size, tc.batch_size // world.world_size, world.rank
    rows = slice(r * b, (r + 1) * b)
    gen = torch.Generator(device=device)
    # re-seed only the default generator of this device (torch.manual_seed would also walk every
    # backend's lazy seeding, about half a millisecond per step)
    global_gen = torch.cuda.default_generators[device.index or 0] if device.type == "cuda" else torch.default_generator
    max_norm = o.grad_clip if o.grad_clip > 0 else math.inf
    sync_each_step = device.type == "cpu"

    acc = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, grad-norm sum, steps
    first_bad = torch.full((), _NONE, dtype=torch.int64, device=device)
    show = (sys.stdout.isatty() if progress is None else progress) and world.is_main
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=tc.steps, initial=start, desc="train", dynamic_ncols=True)
    last_loss, last_ckpt, stopped, done = float("nan"), resume_path or "", False, start
    t_loop = time.perf_counter()
    t_int, step_int = t_loop, start
    t_ckpt = t_say = t_loop
    say_line = False
    model.train()
    for step in range(start, tc.steps):
        done = step + 1
        idx = order.indices(step, r, world.world_size).to(device, non_blocking=True)
        x0 = x_all[idx]
        gen.manual_seed(_mix(tc.seed, 0x7E, step))
        t = sample_time(sde, B, gen, device=device)[rows]
        z = torch.randn((B,) + data.shape, generator=gen, device=device, dtype=x0.dtype)[rows]
        global_gen.manual_seed(_mix(tc.seed, 0xD0, step, r))  # the generator dropout draws from
        lr = learning_rate(cfg, step)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = dsm_loss(fwd, sde, x0, kind=cfg.model.kind, weighting=cfg.loss.weighting,
                        reduce=cfg.loss.reduce, t=t, z=z).mean()
        if sync_each_step:  # CPU: check before the update touches the weights
            ok = bool(torch.isfinite(loss))
            _raise_first_bad(torch.full((), _NONE if ok else step, dtype=torch.int64), world, out)
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
        else:
            loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        if scaler is not None:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        if ema is not None:
            ema.update(model)
        ld = loss.detach()
        if not sync_each_step:
            first_bad = torch.where(torch.isfinite(ld) | (first_bad < _NONE), first_bad, torch.full_like(first_bad, step))
        acc += torch.stack([ld.double(), gnorm.detach().double(), torch.ones((), dtype=torch.float64, device=device)])
        at_log = done % tc.log_every == 0
        at_ckpt = done % tc.ckpt_every == 0 or done == tc.steps or done == tc.first_ckpt
        # time-based decisions: every step on one process (a clock read), at log boundaries under DDP
        # (one all-reduce, so every rank takes the same decision at the same step)
        if done < tc.steps and (at_log or not world.distributed):
            now = time.perf_counter()
            flags = [at_log and time_limit_s is not None and now - t_loop >= time_limit_s,
                     tc.ckpt_every_s > 0 and now - t_ckpt >= tc.ckpt_every_s,
                     tc.log_every_s > 0 and now - t_say >= tc.log_every_s]
            if any(flags) or world.distributed:
                if world.distributed:
                    f = D.all_reduce(torch.tensor([float(v) for v in flags], device=device), world, op="max")
                    flags = [bool(v) for v in f.tolist()]
                if flags[0]:
                    stopped, at_ckpt = True, True
                at_ckpt = at_ckpt or flags[1]
                if flags[2]:
                    at_log, t_say, say_line = True, now, True
        if at_log or at_ckpt:
            if not sync_each_step:
                _raise_first_bad(first_bad, world, out)
            tot = D.all_reduce(acc.clone(), world)
            n = tot[2].item()
            last_loss = tot[0].item() / n
            now = time.perf_counter()
            if world.is_main:
                line = {"step": done, "loss": last_loss, "grad_norm": tot[1].item() / n, "lr": lr,
                        "steps": int(round(n / world.world_size)), "steps_per_s": (done - step_int) / (now - t_int),
                        "elapsed_s": now - t_loop}
                with open(metrics_path, "a") as f:
                    f.write(json.dumps(line) + "\n")
                if bar is not None:
                    bar.set_postfix(loss=f"{last_loss:.4g}")
                elif say_line:  # piped output: a progress line every train.log_every_s seconds
                    eta = (tc.steps - done) / max(line["steps_per_s"], 1e-9)
                    print(f"train: step {done}/{tc.steps} loss {last_loss:.4g} {line['steps_per_s']:.3g} steps/s "
                          f"elapsed {line['elapsed_s']:.0f} s eta {eta:.0f} s", file=sys.stderr, flush=True)
            say_line = False
            acc.zero_()
            t_int, step_int = now, done
        if at_ckpt:
            last_ckpt, t_ckpt = ckpt.path_for(ck_dir, done), time.perf_counter()
        if at_ckpt and world.is_main:
            ckpt.save(last_ckpt, {
                "step": done,
                "model": model.state_dict(),
                "ema": ema.state_dict() if ema is not None else None,
                "optimizer": opt.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
                "rng": ckpt.rng_state(),
                "config": cfg.to_dict(),
                "data_shape": list(data.shape),
                "world_size": world.world_size,
            })
            ckpt.prune(ck_dir, tc.keep)
        if bar is not None:
            bar.update(1)
        if stopped:
            break
    loop_s = time.perf_counter() - t_loop
    if bar is not None:
        bar.close()
    D.barrier(world)
    return TrainResult(out, done, start, model, ema, last_loss, loop_s, last_ckpt, cfg, stopped)


def _raise_first_bad(first_bad: torch.Tensor, world, out: str = "") -> None:
    fb = D.all_reduce(first_bad.clone(), world, op="min").item()
    if fb < _NONE:
        where = os.path.join(out, CHECKPOINT_DIR)
        kept = ("its last checkpoint is unaffected" if ckpt.list_checkpoints(where) else
                "no checkpoint was written yet (--resume would restart it from step 0 with the same config)")
        raise FloatingPointError(f"non-finite loss at step {fb + 1}: training stopped; {kept}. Lower optim.lr "
                                 f"or set optim.grad_clip and train into a new --out folder (or delete {out!r})")


__all__ = ["train", "TrainResult", "learning_rate"]
