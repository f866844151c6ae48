"""Fair sampler comparison: plan -> run -> measure -> report, at equal NFE, against exact truth where it exists.

The budget is the number of score evaluations (NFE), not the number of steps: a Heun step costs 2,
a predictor-corrector step with one Langevin step costs 2, an adaptive solver costs whatever it takes
at its tolerance (the NFE actually counted is recorded and plotted). Stages, one module each:

* :mod:`.plan` -- SDEs x samplers x NFE, defaults, device;
* :mod:`.samplers` -- the sampler table (one line per sampler; :func:`from_predictor` for registry steps)
  and :mod:`.sources` -- peers' schedulers and sampling functions (diffusers, k-diffusion) through adapters;
* :mod:`.run` -- one sampler at one budget from a shared x_T, NFE counted;
* :mod:`.shard` -- under ``torchrun``, fixed-step runs split over processes by sample index, gathered on rank 0;
* :mod:`.measure` -- one file per metric family, each with its noise floor;
* :mod:`.studies` -- final step eps -> 0, trajectories, exact-moment orders;
* :mod:`.report` / :mod:`.plots` -- results.csv/json, report.md, figures.

Truth: an exact Gaussian mixture (:class:`~scoresde.compare.measure.Target.from_problem`), or real data with a
held-out split (:meth:`Target.from_dataset`, for trained runs without an exact answer). Deterministic samplers
are always measured against a high-accuracy DOP853 solve of the same score's PF-ODE from the same x_T; with a
network on an exact problem, the network's own reference is also compared with the exact one (model error)
so that model error and sampler error are reported apart. The final-step floor is explained in docs/compare.md.
"""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import torch

from .. import __version__
from .. import metrics as M
from ..sampler import check_compatible
from ..sde.base import LinearSDE
from . import measure as _measure
from .measure import METRIC_KEYS, MeasureContext, Target
from .plan import (DEFAULT_GRIDS, DEFAULT_NFE, DEFAULT_PROBLEM, DEFAULT_SDES, GRID_NOTES, Plan,
                   machine_description, resolve_device)
from ..distributed import World
from .run import Tolerances, final_step, x_T_for
from .samplers import (DEFAULT_SAMPLERS, SAMPLERS, SamplerSpec, from_predictor, nfe_per_step, realise_nfe,
                       resolve)
from .shard import run_on_ranks, splits
from .studies import grid_to_zero, order_study, trajectories

_order_study = order_study  # the name tests and benchmarks used

#: the columns of results.csv, in order
RECORD_KEYS = ("problem", "sde", "sampler", "source", "deterministic", "order", "nfe_requested", "nfe",
               "nfe_declared", "steps", "grid", "t_start", "t_end", "dtype", "tol", "status", "wall_s",
               "s_per_step", "s_per_nfe") + METRIC_KEYS + ("within_floor", "device", "seed", "n", "version", "warning")


@dataclass
class CompareResult:
    """Everything a comparison produced: records plus the data the plots need."""

    meta: dict
    records: List[dict]
    skipped: List[dict]
    floors: Dict[str, dict]
    final_step: List[dict] = field(default_factory=list)
    orders: List[dict] = field(default_factory=list)
    references: List[dict] = field(default_factory=list)
    samplers: List[dict] = field(default_factory=list)
    model_error: List[dict] = field(default_factory=list)
    plot_data: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"meta": self.meta, "records": self.records, "skipped": self.skipped, "floors": self.floors,
                "final_step": self.final_step, "orders": self.orders, "references": self.references,
                "samplers": self.samplers, "model_error": self.model_error}


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and sys.stdout.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="compare", leave=False)

    def update(self, desc: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(desc, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def compare(
    problem,
    sdes: Sequence[LinearSDE],
    samplers: Sequence[SamplerSpec],
    nfes: Sequence[int] = DEFAULT_NFE,
    *,
    n: int = 10_000,
    seed: int = 0,
    device=None,
    dtype: Optional[torch.dtype] = None,
    grid: Optional[str] = None,
    score: Optional[Callable[[LinearSDE], Callable]] = None,
    score_label: str = "exact",
    n_mmd: int = 1000,
    n_proj: int = 128,
    floor_repeats: int = 5,
    orders: bool = True,
    final_step_study: bool = True,
    plot_nfes: Optional[Sequence[int]] = None,
    n_plot: int = 2000,
    progress: bool = True,
    model_error: bool = True,
    digits_epochs: Optional[int] = None,
    world: Optional[World] = None,
) -> Optional[CompareResult]:
    """Run every sampler on every SDE at every NFE and measure it.

    Args:
        problem: a :class:`~scoresde.problems.Problem` (exact mixture) or a :class:`Target`
            (e.g. ``Target.from_dataset(data)`` for a trained run on real data).
        sdes: forward processes (each sampled with its own reference and x_T).
        samplers: :class:`SamplerSpec` objects (:data:`SAMPLERS`, :func:`resolve`).
        nfes: NFE budgets (score evaluations per sample path).
        n: samples per run; n_mmd of them enter the (quadratic-cost) MMD.
        grid: a name from :data:`scoresde.grids.GRIDS`, or None for :data:`DEFAULT_GRIDS`.
        score: ``score(sde) -> score_fn``; default the exact mixture score.
        dtype: state dtype (default float64 for the exact score, float32 otherwise).
        orders: exact-moment order study on Gaussian data (exact score only).
        final_step_study: the sigma(eps) floor and the final-step treatments (exact score only).
        model_error: with a network on an exact target, compare the network's PF-ODE endpoint with the
            exact score's from the same x_T (model error, reported apart from sampler error).
        digits_epochs: training epochs of the digit classifier (image targets; default that of
            :func:`scoresde.train.digits_metric.train_classifier`).
        world: the ``torchrun`` processes (:func:`scoresde.distributed.init`); every rank calls
            ``compare`` with the same arguments. Fixed-step runs are split by sample index over the
            ranks (:mod:`.shard`); rank 0 runs the rest, measures and returns the result, the other
            ranks return None. Default: one process.
    """
    t_start = time.perf_counter()
    timing: Dict[str, float] = {}
    n = int(n)
    if n < 10:
        raise ValueError(f"n must be >= 10, got {n}")
    target = problem if isinstance(problem, Target) else Target.from_problem(problem)
    plan = Plan(list(sdes), list(samplers), nfes, grid)
    dev = resolve_device(device)
    exact = score is None
    if exact and not target.exact:
        raise ValueError(f"target {target.name!r} has no exact score: pass score=")
    dtype = dtype or (torch.float64 if exact else torch.float32)
    final_step_study = final_step_study and exact
    shape = (n,) + tuple(target.shape)
    plot_nfes = list(plot_nfes) if plot_nfes is not None else _pick_plot_nfes(plan.nfes)
    world = world or World()
    if not world.is_main:
        _follow(plan, target, score, shape, seed, dtype, dev, world,
                final_step_study and any(s.deterministic for s in plan.samplers))
        return None

    # ---- measure setup: estimators and their noise floors (once per comparison)
    ctx = MeasureContext(target=target, n=n, seed=seed, n_mmd=n_mmd, n_proj=n_proj, floor_repeats=floor_repeats,
                         exact_score=exact, ref_tol=1e-10 if exact else 1e-6)
    ctx.state["digits_epochs"] = digits_epochs
    floors = _measure.setup(ctx)
    timing["floors"] = time.perf_counter() - t_start

    meta = {
        "problem": target.name, "problem_description": target.description, "exact_truth": target.exact,
        "sdes": [s.config() for s in plan.sdes], "samplers": [s.name for s in plan.samplers], "nfe": plan.nfes,
        "n": n, "n_mmd": ctx.n_mmd, "n_proj": n_proj, "seed": seed, "device": str(dev),
        "dtype": str(dtype).replace("torch.", ""), "score": score_label, "version": __version__,
        "machine": machine_description(dev), "grid": {s.name: plan.grid_name(s) for s in plan.sdes},
        "reference": (f"scipy solve_ivp DOP853, rtol = atol = {ctx.ref_tol:g}, float64"
                      + ("" if exact else " (float32 network called from float64)") + ", same x_T"),
        "truth": ("exact mixture samples" if target.exact else
                  "no data: deterministic samplers against the score's own PF-ODE only" if target.heldout is None else
                  f"real data: a seeded split of {target.heldout.shape[0]} samples of the run's data set (the model "
                  f"may have trained on them); floors: draws from the other {target.pool.shape[0]} against that split"),
        "mmd_bandwidth": ctx.state["mmd"].bandwidth if "mmd" in ctx.state else None,
        "floor_repeats": floor_repeats, "processes": world.world_size,
    }
    if "digits" in ctx.state:
        meta["digits"] = {"n_eval": ctx.state["digits"]["n_eval"], "classifier_accuracy": ctx.state["digits"]["accuracy"]}
    records: List[dict] = []
    skipped: List[dict] = []
    final_rows: List[dict] = []
    model_rows: List[dict] = []
    y = ctx.state.get("y")
    plot = {"samples": {}, "trajectories": {}, "exact": None if y is None else y[:n_plot].clone(),
            "plot_nfes": plot_nfes, "mixture": target.mixture, "kind": target.kind}
    bar = _Progress(plan.total, progress)  # rank 0 only
    need_ref = any(s.deterministic for s in plan.samplers)

    for sde in plan.sdes:
        score_fn = score(sde) if score is not None else target.mixture.score_fn(sde)
        grid_fn = plan.grid_fn(sde)
        ctx.sde, ctx.score_fn, ctx.state["grid_fn"] = sde, score_fn, grid_fn
        ctx.x_T = x_T = x_T_for(sde, shape, seed, dtype, dev)
        ctx.ref = ctx.ref0 = ctx.ref_error = None
        ctx._refs = {}
        if need_ref:
            ctx.ref = ctx.reference(sde.T, sde.eps)
            ctx.ref_error = ctx.reference_error()
            ctx.references[-1].update(ref_error=ctx.ref_error)
            if final_step_study:
                ctx.ref0 = ctx.reference(sde.T, 0.0)
                ctx.references[-1].update(
                    floor_rmse_eps_to_0=M.endpoint_rmse(ctx.ref, ctx.ref0),
                    sigma_eps=float(sde.noise_level(torch.tensor(sde.eps, dtype=torch.float64))))
            if not exact and target.exact and model_error:
                model_rows.append(_model_error(ctx, sde))
        tolerances = {s.name: Tolerances(sde, score_fn, x_T[: min(n, 256)], s.adaptive)
                      for s in plan.samplers if s.adaptive}
        for spec in plan.samplers:
            base = {"problem": target.name, "sde": sde.name, "sampler": spec.name, "grid": plan.grid_name(sde),
                    "source": spec.origin}
            reason = _cannot_run(spec, sde, grid_fn)
            if reason:
                skipped.append({**base, "reason": reason})
                for _ in plan.nfes:
                    bar.update(f"{sde.name} {spec.name} skipped")
                continue
            ctx.spec = spec
            for nfe in plan.nfes:
                rec = dict(base)
                rec.update(deterministic=spec.deterministic, order=spec.order, nfe_requested=nfe,
                           dtype=meta["dtype"], device=str(dev), seed=seed, n=n, version=__version__,
                           warning="", status="ok", tol=None, t_start=None, t_end=None, nfe_declared=None)
                for k in METRIC_KEYS:
                    rec[k] = None
                try:
                    x, info = run_on_ranks(spec, sde, score_fn, grid_fn, x_T, nfe, seed, tolerances.get(spec.name),
                                           world)
                except (FloatingPointError, AssertionError) as e:  # torchdiffeq asserts on dt underflow
                    rec.update(status="failed", warning=f"{type(e).__name__}: {e}", nfe=None, steps=None,
                               wall_s=None, within_floor="")
                    records.append(rec)
                    bar.update(f"{sde.name} {spec.name} {nfe} failed")
                    continue
                rec.update(info)
                if rec["warning"]:
                    warnings.warn(rec["warning"], stacklevel=2)
                if not bool(torch.isfinite(x).all()):
                    rec.update(status="failed", warning="non-finite samples", within_floor="")
                else:
                    _measure.measure(ctx, rec, x)
                if nfe in plot_nfes:
                    plot["samples"][(sde.name, spec.name, nfe)] = x[:n_plot].detach().cpu().to(torch.float64)
                records.append(rec)
                bar.update(f"{sde.name} {spec.name} {nfe}")
        t0 = time.perf_counter()
        if final_step_study and ctx.ref0 is not None:
            final_rows += grid_to_zero(sde, score_fn, grid_fn, x_T, plan.nfes, plan.samplers, ctx.ref0, target.name,
                                       world)
        timing["final_step"] = timing.get("final_step", 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter()
        if target.kind == "points":
            plot["trajectories"][sde.name] = trajectories(sde, score_fn, x_T, grid_fn)
        timing["trajectories"] = timing.get("trajectories", 0.0) + time.perf_counter() - t0
    bar.close()

    t0 = time.perf_counter()
    order_rows = order_study(target.problem, plan.sdes, plan.samplers, plan.nfes, grid) \
        if (orders and exact and target.problem is not None) else []
    timing["orders"] = time.perf_counter() - t0
    timing["references"] = sum(r["wall_s"] for r in ctx.references)
    timing["sampling"] = sum(r["wall_s"] or 0.0 for r in records)
    meta["wall_s"] = time.perf_counter() - t_start
    timing["metrics_and_other"] = meta["wall_s"] - sum(timing.values())
    meta["timing_s"] = timing
    fl = {"n": n, "n_mmd": ctx.n_mmd, **{k: f.as_dict() for k, f in floors.items()}}
    return CompareResult(meta=meta, records=records, skipped=skipped, floors={target.name: fl},
                         final_step=final_rows, orders=order_rows, references=ctx.references,
                         samplers=[_definition(s) for s in plan.samplers], model_error=model_rows, plot_data=plot)


def _follow(plan: Plan, target: Target, score, shape, seed: int, dtype, dev, world: World, final: bool) -> None:
    """Ranks > 0: their blocks of every split run and (``final``) of the final-step study, in rank 0's
    order (:mod:`.shard`); nothing else."""
    for sde in plan.sdes:
        score_fn = score(sde) if score is not None else target.mixture.score_fn(sde)
        grid_fn = plan.grid_fn(sde)
        x_T = x_T_for(sde, shape, seed, dtype, dev)
        for spec in plan.samplers:
            if not splits(spec) or _cannot_run(spec, sde, grid_fn):
                continue
            for nfe in plan.nfes:
                try:
                    run_on_ranks(spec, sde, score_fn, grid_fn, x_T, nfe, seed, None, world)
                except (FloatingPointError, AssertionError):
                    pass  # rank 0 records it
        if final:
            grid_to_zero(sde, score_fn, grid_fn, x_T, plan.nfes, plan.samplers, None, target.name, world)


def _cannot_run(spec: SamplerSpec, sde, grid_fn) -> str:
    """The reason a sampler cannot run on this SDE ('' if it can), before any work."""
    try:
        if spec.kind == "fixed":
            p, c = spec.steps_for(sde, grid_fn(sde, 4))
            check_compatible(sde, grid_fn(sde, 4), p, c)
        elif spec.kind == "external" and hasattr(spec.external, "check"):
            spec.external.check(sde)
    except ValueError as e:
        return str(e)
    return ""


def _model_error(ctx: MeasureContext, sde) -> dict:
    """The network's PF-ODE endpoint vs the exact score's, from the same x_T (no sampler involved)."""
    from ..integrators import pf_ode_scipy

    exact_score = ctx.target.mixture.score_fn(sde)
    ex = pf_ode_scipy(sde, exact_score, ctx.x_T.to(torch.float64), rtol=1e-10, atol=1e-10).x
    row = {"sde": sde.name, "model_rmse": M.endpoint_rmse(ctx.ref, ex),
           "model_mode_flips": M.mode_flips(ctx.target.mixture, ctx.ref, ex),
           "network_reference_sw2": ctx.state["sw2"](ctx.ref), "exact_reference_sw2": ctx.state["sw2"](ex),
           "reference_error": ctx.ref_error}
    return row


def _definition(spec: SamplerSpec) -> dict:
    return {"name": spec.name, "kind": spec.kind, "origin": spec.origin, "summary": spec.summary,
            "formula": spec.formula, "source": spec.source, "order": spec.order, "deterministic": spec.deterministic}


def _pick_plot_nfes(nfes: Sequence[int]) -> List[int]:
    s = sorted(set(nfes))
    if len(s) <= 3:
        return s
    return [s[0], s[len(s) // 2 - (1 if len(s) % 2 == 0 else 0)], s[-1]]


__all__ = ["compare", "CompareResult", "SamplerSpec", "SAMPLERS", "DEFAULT_SAMPLERS", "DEFAULT_SDES",
           "DEFAULT_NFE", "DEFAULT_GRIDS", "DEFAULT_PROBLEM", "GRID_NOTES", "final_step", "realise_nfe",
           "nfe_per_step", "RECORD_KEYS", "METRIC_KEYS", "machine_description", "from_predictor", "resolve",
           "Target", "Tolerances"]
