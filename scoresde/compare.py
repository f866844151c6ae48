"""Fair sampler comparison against exact truth: problems x SDEs x samplers x NFE, at equal NFE.

The budget is the number of score evaluations (NFE), not the number of steps: a Heun step costs 2,
a predictor-corrector step with one Langevin step costs 2, an adaptive solver costs whatever it
takes at its tolerance (tolerances are chosen per target NFE and the NFE actually counted is
recorded). NFE values a sampler cannot realise exactly are rounded to the nearest realisable value
with a warning stored in the record.

What is measured (see :mod:`scoresde.metrics`):

* deterministic samplers (probability-flow ODE): endpoint RMSE against a float64 scipy DOP853
  reference (rtol = atol = 1e-10) from the same x_T, and the number of "mode flips" (samples that
  land in another mixture component than the reference);
* every sampler: sliced W2 and unbiased MMD^2 against exact samples, each with its noise floor
  (the same estimator on independent exact samples of the same size), mode-weight total variation
  and per-mode mean/covariance errors in standard errors;
* on Gaussian data, for samplers whose step is affine in x: the exact KL from the output law to the
  data (:func:`scoresde.moments.propagate_gaussian`, no sampling noise).

The final-step floor. Fixed-step samplers stop at t = eps > 0, where a sample still carries noise
of level sigma = s/m. In EDM variables (x~ = x/m, sigma) the PF-ODE is dx~/dsigma = -sigma S(x~, sigma)
with S = m score (Karras et al. 2022, Eq. 3-4), and S is smooth in sigma^2 (heat equation), so
    x~(0) = x~(sigma) + sigma^2/2 S(x~, sigma) + O(sigma^4).
Stopping at eps therefore leaves an error |x(eps) - x(0)| = O(sigma(eps)^2) that no number of steps
removes: a floor under every fixed-step second-order sampler once the target is the data at t = 0
(on gmm2d/VP, sigma(eps) = 0.0105 and the floor is an RMSE of 1.7e-4). What a last step to 0 does
depends on the variable it is taken in:
* Tweedie's denoiser x0 = (x + s^2 score)/m (``denoise=True`` in :func:`scoresde.sample`) is the Euler
  step in sigma to 0, and so is DPM-Solver's and DDIM's x0-prediction "lower-order final step" to a
  grid point t = 0: it over-shoots by sigma^2/2 |S|, an error of the same order as the floor;
* an Euler step in t (Heun's fallback on a grid ending at 0) is second-order accurate there, since
  sigma^2 is proportional to t near 0 for VP and VE, so x(t) is smooth in t;
* the second-order final step x0 = (x + s^2/2 score(x, eps)) / m (:func:`final_step`) cancels the
  sigma^2 term and leaves O(sigma^4).
The runner measures all of them against a PF-ODE reference integrated to t = 0.
"""
from __future__ import annotations

import math
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from . import __version__
from . import grids as _grids
from . import metrics as M
from .noise import PRIOR, PerSampleNoise
from .problems import Problem, get_problem
from .sampler import check_compatible, sample
from .sde import SDES
from .sde.base import LinearSDE
from .solvers import (DDIM, Ancestral, AnnealedLangevin, DPMSolverPP2M, EulerMaruyama, Heun, Langevin,
                      NoPredictor, ODEEuler, ReverseDiffusion)
from .solvers.base import Step, interval_coeffs

ScoreFn = Callable[[Tensor, Tensor], Tensor]


# ============================================================================ the exact score, fast
# ============================================================================ samplers
@dataclass(frozen=True)
class SamplerSpec:
    """A named sampler: how to build its steps (fixed-step) or its adaptive integrator.

    ``build(sde, grid) -> (predictor, corrector or None)``; ``adaptive`` names a torchdiffeq method
    (then build is unused and the NFE is set through the tolerance).
    """

    name: str
    summary: str
    build: Optional[Callable[[LinearSDE, Tensor], Tuple[Step, Optional[Step]]]] = None
    adaptive: Optional[str] = None
    deterministic: bool = False
    order: Optional[float] = None

    def steps_for(self, sde: LinearSDE, grid: Tensor) -> Tuple[Step, Optional[Step]]:
        if self.build is None:
            raise ValueError(f"sampler {self.name!r} is adaptive: it has no steps")
        return self.build(sde, grid)


def _fixed(name: str, summary: str, predictor: Callable[[], Step], corrector: Optional[Callable[[], Step]] = None):
    p = predictor()
    return SamplerSpec(name, summary, build=lambda sde, grid: (predictor(), corrector() if corrector else None),
                       deterministic=bool(p.deterministic_ode) and corrector is None, order=p.order)


def _ald(sde: LinearSDE, grid: Tensor) -> Tuple[Step, Step]:
    # Song & Ermon 2019 use eps = 2e-5 at sigma_L = 0.01: a step ratio eps / sigma_L^2 = 0.2 at the
    # smallest level, which is what keeps Langevin stable; keep that ratio on our grid.
    t_min = float(grid[-1]) if float(grid[-1]) > 0 else float(grid[-2])
    sig_l = float(sde.noise_level(torch.tensor(t_min, dtype=torch.float64)))
    return NoPredictor(), AnnealedLangevin(eps=0.2 * sig_l * sig_l, n_steps=5)


#: sampler name -> spec (the CLI's vocabulary)
SAMPLERS: Dict[str, SamplerSpec] = {
    s.name: s for s in [
        _fixed("euler_maruyama", "reverse SDE, Euler-Maruyama", EulerMaruyama),
        _fixed("ancestral", "DDPM/SMLD ancestral (posterior) sampling", Ancestral),
        _fixed("reverse_diffusion", "reverse diffusion (Song et al. Eq. 46-47)", ReverseDiffusion),
        _fixed("pc", "PC: reverse diffusion + 1 Langevin step (per-sample SNR rule, snr 0.16)", ReverseDiffusion,
               lambda: Langevin(0.16, 1)),
        _fixed("pc_sigma", "PC: reverse diffusion + 1 Langevin step (x-independent step 2a(r s)^2)", ReverseDiffusion,
               lambda: Langevin(0.16, 1, rule="sigma")),
        _fixed("ode_euler", "PF-ODE, Euler", ODEEuler),
        _fixed("heun", "PF-ODE, Heun (2 NFE/step)", Heun),
        _fixed("ddim", "DDIM eta=0 (PF-ODE exponential integrator)", DDIM),
        _fixed("dpmpp_2m", "PF-ODE, DPM-Solver++(2M)", DPMSolverPP2M),
        SamplerSpec("dopri5", "PF-ODE, adaptive Dormand-Prince 5(4) (torchdiffeq)", adaptive="dopri5",
                    deterministic=True, order=5.0),
        SamplerSpec("ald", "annealed Langevin dynamics, 5 steps per level (Song & Ermon 2019), VE only",
                    build=_ald, order=None),
    ]
}

DEFAULT_SAMPLERS = ("euler_maruyama", "ancestral", "reverse_diffusion", "pc", "pc_sigma", "ode_euler", "heun", "ddim",
                    "dpmpp_2m", "dopri5")
DEFAULT_SDES = ("vp", "ve")
DEFAULT_NFE = (10, 20, 50, 100, 200, 1000)
DEFAULT_PROBLEM = "gmm2d"

#: default time grid per SDE name: uniform in t is Song et al.'s default for VP, and for VE it is
#: geometric in the schedule sigma(t) = sigma_min (sigma_max/sigma_min)^(t/T) (SMLD's spacing)
DEFAULT_GRIDS = {"vp": "uniform", "ve": "uniform", "subvp": "uniform", "vp-cosine": "uniform"}
GRID_NOTES = {
    "uniform": "uniform in t from T to eps",
    "geometric": "geometric in the noise level s/m",
    "karras": "Karras et al. 2022 rho=7 spacing of s/m",
    "log-snr": "uniform in log(m/s)",
}


def nfe_per_step(predictor: Step, corrector: Optional[Step]) -> int:
    """Score evaluations per grid interval of a (predictor, corrector) pair."""
    return predictor.nfe_per_step + (corrector.nfe_per_step if corrector is not None else 0)


def realise_nfe(name: str, per_step: int, nfe: int) -> Tuple[int, int, str]:
    """(steps, realised NFE, warning) for a fixed-step sampler costing ``per_step`` per step.

    NFE values that are not a multiple of ``per_step`` are rounded to the nearest multiple (at least
    one step), and the warning says so.
    """
    if per_step < 1:
        raise ValueError(f"sampler {name!r} spends no score evaluations per step")
    steps = max(1, int(math.floor(nfe / per_step + 0.5)))
    real = steps * per_step
    msg = ""
    if real != nfe:
        msg = (f"{name}: NFE {nfe} is not a multiple of its {per_step} evaluations per step; "
               f"rounded to {steps} steps = NFE {real}")
    return steps, real, msg


# ============================================================================ final step
def final_step(sde: LinearSDE, score_fn: ScoreFn, x: Tensor, t: float, kind: str = "second_order") -> Tensor:
    """From x at time t (the grid's last point, t = eps) to an estimate of the PF-ODE endpoint at t = 0.

    kind "tweedie": x0 = (x + s^2 score)/m (Tweedie; Efron 2011), the Euler step in sigma to 0;
    kind "second_order": x0 = (x + s^2/2 score)/m, exact up to O(sigma^4) (module docstring).
    One score evaluation.
    """
    c = interval_coeffs(sde, t, t * 0.5)
    k = {"tweedie": 1.0, "second_order": 0.5}.get(kind)
    if k is None:
        raise ValueError(f"kind must be 'tweedie' or 'second_order', got {kind!r}")
    s = score_fn(x, torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device))
    return (x + (k * c.s * c.s) * s) / c.m


# ============================================================================ records
@dataclass
class Floors:
    """Noise floors of the distribution metrics at one sample size."""

    sw2: M.NoiseFloor
    mmd2: M.NoiseFloor
    tv: M.NoiseFloor
    mean_z: M.NoiseFloor
    cov_z: M.NoiseFloor

    def as_dict(self) -> dict:
        return {k: getattr(self, k).as_dict() for k in ("sw2", "mmd2", "tv", "mean_z", "cov_z")}


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
    plot_data: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"meta": self.meta, "records": self.records, "skipped": self.skipped, "floors": self.floors,
                "final_step": self.final_step, "orders": self.orders, "references": self.references}


#: metric columns of a record (None where not applicable)
METRIC_KEYS = ("rmse", "mode_flips", "rmse_t0", "rmse_t0_tweedie", "rmse_t0_second_order", "sw2", "mmd2",
               "tv", "mean_z", "cov_z", "missing_modes", "kl", "kl_disc")
#: the columns of results.csv, in order
RECORD_KEYS = ("problem", "sde", "sampler", "deterministic", "order", "nfe_requested", "nfe", "nfe_declared",
               "steps", "grid", "dtype", "tol", "status", "wall_s", "s_per_step", "s_per_nfe") + METRIC_KEYS + (
               "device", "seed", "n", "version", "warning")


def _device(device) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but CUDA is not available")
    return dev


def machine_description(device: torch.device) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    s = f"{cpu}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, Python {platform.python_version()}"
    if device.type == "cuda":
        s += f", GPU {torch.cuda.get_device_name(device)}"
    return s


# ============================================================================ the runner
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


def _x_T(sde: LinearSDE, shape, seed: int, dtype, device) -> Tensor:
    """The prior draw sample() would make for this seed (float64, then cast: every sampler and the
    reference start from the same numbers)."""
    z = PerSampleNoise(seed).randn(shape, PRIOR, 0, dtype=torch.float64)
    return (sde.prior_std * z).to(dtype=dtype).to(device)


class _Tolerances:
    """Choose the tolerance (rtol = atol) at which an adaptive solver spends about a target NFE.

    NFE(tol) of an order-5 pair grows roughly like tol^(-1/5). Every trial solve (on a small
    calibration batch; the error norm is an RMS over the batch, so the step count barely depends
    on its size) is kept in a table shared by all targets of one SDE; the next trial interpolates
    log tol against log NFE in that table. At most ``tries`` solves per target.
    """

    def __init__(self, sde, score_fn, x_cal: Tensor, method: str, tries: int = 4):
        self.sde, self.score_fn, self.x_cal, self.method, self.tries = sde, score_fn, x_cal, method, tries
        self.table: List[Tuple[float, int]] = []  # (tol, nfe)

    def _nfe(self, tol: float) -> int:
        from .integrators import pf_ode_torchdiffeq

        nfe = pf_ode_torchdiffeq(self.sde, self.score_fn, self.x_cal, method=self.method, rtol=tol, atol=tol).nfe
        self.table.append((tol, nfe))
        return nfe

    def _guess(self, target: int) -> float:
        pts = sorted(set(self.table), key=lambda p: p[1])
        if not pts:
            return 1e-3 * (40.0 / target) ** 5.5
        below = [p for p in pts if p[1] <= target]
        above = [p for p in pts if p[1] > target]
        if below and above:
            (t0, n0), (t1, n1) = below[-1], above[0]
            if n1 == n0:
                return math.sqrt(t0 * t1)
            w = (math.log(target) - math.log(n0)) / (math.log(n1) - math.log(n0))
            return math.exp(math.log(t0) + w * (math.log(t1) - math.log(t0)))
        t0, n0 = (below[-1] if below else above[0])
        return t0 * (n0 / target) ** 5.5

    def __call__(self, target: int) -> Tuple[float, int]:
        best = None
        for _ in range(self.tries):
            tol = min(max(self._guess(target), 1e-13), 1.0)
            if any(t == tol for t, _ in self.table):
                nfe = next(n for t, n in self.table if t == tol)
            else:
                nfe = self._nfe(tol)
            if best is None or abs(nfe - target) < abs(best[1] - target):
                best = (tol, nfe)
            if abs(nfe - target) <= 0.1 * target or (nfe > target and tol >= 1.0):
                break
        return best


def _gauss_kl(problem: Problem, sde, predictor, corrector, grid, start: str) -> Optional[float]:
    from .moments import propagate_gaussian

    mix = problem.mixture
    mean, var = propagate_gaussian(sde, mix, predictor, corrector, grid, start=start)
    if start == "exact":  # discretisation error only: against the exact law at the last grid time
        t = torch.tensor(float(grid[-1]), dtype=torch.float64)
        m, s2 = torch.exp(sde.log_mean_coeff(t)), sde.marginal_var(t)
        return M.gaussian_kl(mean, var, m * mix.means[0], m * m * mix.stds[0] ** 2 + s2)
    return M.gaussian_kl(mean, var, mix.means[0], mix.stds[0] ** 2)


def compare(
    problem: Problem,
    sdes: Sequence[LinearSDE],
    samplers: Sequence[SamplerSpec],
    nfes: Sequence[int] = DEFAULT_NFE,
    *,
    n: int = 10_000,
    seed: int = 0,
    device=None,
    dtype: Optional[torch.dtype] = None,
    grid: Optional[str] = None,
    score: Optional[Callable[[LinearSDE], ScoreFn]] = None,
    score_label: str = "exact",
    n_mmd: int = 1000,
    n_proj: int = 128,
    floor_repeats: int = 5,
    orders: bool = True,
    final_step_study: bool = True,
    plot_nfes: Optional[Sequence[int]] = None,
    n_plot: int = 2000,
    progress: bool = True,
) -> CompareResult:
    """Run every sampler on every SDE at every NFE and measure it against exact truth.

    Args:
        problem: the data (its exact mixture is the ground truth).
        sdes: forward processes (each sampled with its own reference and x_T).
        samplers: :class:`SamplerSpec` objects (e.g. from :data:`SAMPLERS`).
        nfes: NFE budgets (score evaluations per sample path).
        n: samples per run; n_mmd of them enter the (quadratic-cost) MMD.
        grid: a name from :data:`scoresde.grids.GRIDS`, or None for :data:`DEFAULT_GRIDS`.
        score: ``score(sde) -> score_fn``; default the exact mixture score (:class:`~scoresde.analytic.ExactScore`).
        dtype: state dtype (default float64 for the exact score, float32 otherwise).
        orders: also measure each affine sampler's exact-moment KL on Gaussian data (the
            built-in "gaussian" problem, or the problem itself if Gaussian) to read off its order.
        final_step_study: measure the sigma(eps) floor and the final-step treatments.
    """
    t_start = time.perf_counter()
    timing: Dict[str, float] = {}
    n = int(n)
    if n < 10:
        raise ValueError(f"n must be >= 10, got {n}")
    nfes = [int(v) for v in nfes]
    if not nfes or any(v < 1 for v in nfes):
        raise ValueError(f"nfe values must be positive integers, got {nfes}")
    if grid is not None and grid not in _grids.GRIDS:
        raise ValueError(f"grid must be one of {', '.join(_grids.GRIDS)}, got {grid!r}")
    dev = _device(device)
    exact = score is None
    dtype = dtype or (torch.float64 if exact else torch.float32)
    # a network's score at t = 0 is undefined (eps/s(0)): the t = 0 reference needs the exact score
    final_step_study = final_step_study and exact
    ref_tol = 1e-10 if exact else 1e-6
    mix = problem.mixture
    shape = (n,) + tuple(mix.event_shape)
    plot_nfes = list(plot_nfes) if plot_nfes is not None else _pick_plot_nfes(nfes)

    # ---- exact samples, estimators and their noise floors (once per problem)
    g_ref = torch.Generator().manual_seed(seed * 7919 + 1)
    y = mix.sample(n, g_ref)
    sw2 = M.SlicedW2(y, n_proj=n_proj, seed=seed)
    n_mmd = min(n_mmd, n)
    mmd = M.MMD(y[:n_mmd])
    draw = lambda k, g: mix.sample(k, g)  # noqa: E731
    fl = Floors(
        sw2=M.noise_floor(sw2, draw, n, repeats=floor_repeats, seed=seed + 11),
        mmd2=M.noise_floor(mmd, draw, n_mmd, repeats=floor_repeats, seed=seed + 12),
        tv=M.noise_floor(lambda x: M.mode_weight_tv(mix, x), draw, n, repeats=floor_repeats, seed=seed + 13),
        mean_z=M.noise_floor(lambda x: M.mode_moment_errors(mix, x)["mean_z"], draw, n, repeats=floor_repeats, seed=seed + 14),
        cov_z=M.noise_floor(lambda x: M.mode_moment_errors(mix, x)["cov_z"], draw, n, repeats=floor_repeats, seed=seed + 15),
    )
    gaussian_data = mix.n_components == 1
    timing["floors"] = time.perf_counter() - t_start

    meta = {
        "problem": problem.name, "problem_description": problem.description,
        "sdes": [s.config() for s in sdes], "samplers": [s.name for s in samplers], "nfe": nfes, "n": n,
        "n_mmd": n_mmd, "n_proj": n_proj, "seed": seed, "device": str(dev), "dtype": str(dtype).replace("torch.", ""),
        "score": score_label, "version": __version__, "machine": machine_description(dev),
        "grid": {s.name: grid or DEFAULT_GRIDS.get(s.name, "uniform") for s in sdes},
        "reference": ("scipy solve_ivp DOP853, rtol = atol = 1e-10, float64, same x_T" if exact else
                      "scipy solve_ivp DOP853, rtol = atol = 1e-6 (float32 network called from float64), same x_T"),
        "mmd_bandwidth": mmd.bandwidth, "floor_repeats": floor_repeats,
    }
    records: List[dict] = []
    skipped: List[dict] = []
    refs: List[dict] = []
    final_rows: List[dict] = []
    plot = {"samples": {}, "trajectories": {}, "exact": y[:n_plot].clone(), "plot_nfes": plot_nfes}
    total = len(sdes) * len(samplers) * len(nfes)
    bar = _Progress(total, progress)
    need_ref = any(s.deterministic for s in samplers)

    for sde in sdes:
        score_fn = score(sde) if score is not None else mix.score_fn(sde)
        ref_score = score_fn if exact else _float32_in_float64(score_fn)
        grid_name = grid or DEFAULT_GRIDS.get(sde.name, "uniform")
        grid_fn = _grids.GRIDS[grid_name]
        x_T = _x_T(sde, shape, seed, dtype, dev)
        ref = ref0 = None
        if need_ref:
            from .integrators import pf_ode_scipy

            t0 = time.perf_counter()
            # a float32 network cannot be solved to 1e-10: the reference tolerance follows the score
            r = pf_ode_scipy(sde, ref_score, x_T.to(torch.float64), rtol=ref_tol, atol=ref_tol)
            ref = r.x.cpu()
            refs.append({"sde": sde.name, "t_end": sde.eps, "nfe": r.nfe, "wall_s": time.perf_counter() - t0})
            if final_step_study:
                t0 = time.perf_counter()
                r0 = pf_ode_scipy(sde, ref_score, x_T.to(torch.float64), t_end=0.0)
                ref0 = r0.x.cpu()
                refs.append({"sde": sde.name, "t_end": 0.0, "nfe": r0.nfe, "wall_s": time.perf_counter() - t0,
                             "floor_rmse_eps_to_0": M.endpoint_rmse(ref, ref0),
                             "sigma_eps": float(sde.noise_level(torch.tensor(sde.eps, dtype=torch.float64)))})
        tolerances = {s.name: _Tolerances(sde, score_fn, x_T[: min(n, 256)], s.adaptive) for s in samplers if s.adaptive}
        for spec in samplers:
            base = {"problem": problem.name, "sde": sde.name, "sampler": spec.name, "grid": grid_name}
            if spec.adaptive is None:
                try:
                    p, c = spec.steps_for(sde, grid_fn(sde, 4))
                    check_compatible(sde, grid_fn(sde, 4), p, c)
                except ValueError as e:
                    skipped.append({**base, "reason": str(e)})
                    for _ in nfes:
                        bar.update(f"{sde.name} {spec.name} skipped")
                    continue
            for nfe in nfes:
                rec = dict(base)
                rec.update(deterministic=spec.deterministic, order=spec.order, nfe_requested=nfe,
                           dtype=meta["dtype"], device=str(dev), seed=seed, n=n, version=__version__,
                           warning="", status="ok", tol=None)
                for k in METRIC_KEYS:
                    rec[k] = None
                try:
                    x, info = _run_one(spec, sde, score_fn, grid_fn, x_T, nfe, seed, tolerances.get(spec.name))
                except FloatingPointError as e:
                    rec.update(status="failed", warning=str(e), nfe=None, steps=None, wall_s=None)
                    records.append(rec)
                    bar.update(f"{sde.name} {spec.name} {nfe} failed")
                    continue
                rec.update(info)
                if rec["warning"]:
                    warnings.warn(rec["warning"], stacklevel=2)
                _measure(rec, x, mix, spec, sde, score_fn, ref, ref0, sw2, mmd, n_mmd)
                if gaussian_data and exact and spec.adaptive is None:
                    _kl_into(rec, problem, spec, sde, grid_fn)
                if nfe in plot_nfes:
                    plot["samples"][(sde.name, spec.name, nfe)] = x[:n_plot].detach().cpu().to(torch.float64)
                records.append(rec)
                bar.update(f"{sde.name} {spec.name} {nfe}")
        t0 = time.perf_counter()
        if final_step_study and ref0 is not None:
            final_rows += _grid_to_zero(sde, score_fn, grid_fn, x_T, nfes, samplers, ref0, problem.name)
        timing["final_step"] = timing.get("final_step", 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter()
        plot["trajectories"][sde.name] = _trajectories(sde, score_fn, x_T, grid_fn)
        timing["trajectories"] = timing.get("trajectories", 0.0) + time.perf_counter() - t0
    bar.close()

    t0 = time.perf_counter()
    order_rows = _order_study(problem, sdes, samplers, nfes, grid) if (orders and exact) else []
    timing["orders"] = time.perf_counter() - t0
    timing["references"] = sum(r["wall_s"] for r in refs)
    timing["sampling"] = sum(r["wall_s"] or 0.0 for r in records)
    meta["wall_s"] = time.perf_counter() - t_start
    timing["metrics_and_other"] = meta["wall_s"] - sum(timing.values())
    meta["timing_s"] = timing
    res = CompareResult(meta=meta, records=records, skipped=skipped,
                        floors={problem.name: {"n": n, "n_mmd": n_mmd, **fl.as_dict()}},
                        final_step=final_rows, orders=order_rows, references=refs, plot_data=plot)
    res.plot_data["mixture"] = mix
    res.plot_data["floors_obj"] = fl
    return res


def _pick_plot_nfes(nfes: Sequence[int]) -> List[int]:
    s = sorted(set(nfes))
    if len(s) <= 3:
        return s
    return [s[0], s[len(s) // 2 - (1 if len(s) % 2 == 0 else 0)], s[-1]]


def _float32_in_float64(score_fn: ScoreFn) -> ScoreFn:
    """A float32 network called from a float64 solver (scipy): cast in and out."""
    def f(x, t):
        return score_fn(x.float(), torch.as_tensor(t).float()).double()
    return f


def _run_one(spec: SamplerSpec, sde, score_fn, grid_fn, x_T, nfe, seed, tolerances=None):
    """Run one sampler at one NFE budget; return (samples, record fields)."""
    t0 = time.perf_counter()
    if spec.adaptive is not None:
        from .integrators import pf_ode_torchdiffeq

        if tolerances is None:
            tolerances = _Tolerances(sde, score_fn, x_T[:256], spec.adaptive)
        tol, cal_nfe = tolerances(nfe)
        t0 = time.perf_counter()
        r = pf_ode_torchdiffeq(sde, score_fn, x_T, method=spec.adaptive, rtol=tol, atol=tol)
        wall = time.perf_counter() - t0
        warn = ""
        if abs(r.nfe - nfe) > 0.1 * nfe:
            warn = (f"{spec.name}: adaptive; NFE {nfe} not reachable by its tolerance "
                    f"(rtol = atol = {tol:.3g} gave NFE {r.nfe})")
        return r.x, {"nfe": r.nfe, "nfe_declared": None, "steps": None, "tol": tol, "wall_s": wall,
                     "s_per_step": None, "s_per_nfe": wall / max(r.nfe, 1), "warning": warn}
    p, c = spec.steps_for(sde, _grids.GRIDS["uniform"](sde, 2))
    steps, real, warn = realise_nfe(spec.name, nfe_per_step(p, c), nfe)
    grid = grid_fn(sde, steps)
    p, c = spec.steps_for(sde, grid)  # fresh steps (some read the grid)
    declared = p.nfe(grid) + (c.nfe(grid) if c is not None else 0)
    t0 = time.perf_counter()
    with torch.no_grad():
        r = sample(sde, score_fn, tuple(x_T.shape), predictor=p, corrector=c, grid=grid, x_T=x_T, seed=seed,
                   dtype=x_T.dtype, device=x_T.device)
    wall = time.perf_counter() - t0
    if r.nfe != declared:  # the accounting the comparison rests on
        raise RuntimeError(f"{spec.name}: counted NFE {r.nfe} != declared {declared}")
    return r.x, {"nfe": r.nfe, "nfe_declared": declared, "steps": steps, "wall_s": wall,
                 "s_per_step": wall / steps, "s_per_nfe": wall / max(r.nfe, 1), "warning": warn}


def _measure(rec, x, mix, spec, sde, score_fn, ref, ref0, sw2, mmd, n_mmd) -> None:
    xc = x.detach().cpu().to(torch.float64)
    if not bool(torch.isfinite(xc).all()):
        rec.update(status="failed", warning="non-finite samples")
        return
    if spec.deterministic and ref is not None:
        rec["rmse"] = M.endpoint_rmse(xc, ref)
        rec["mode_flips"] = M.mode_flips(mix, xc, ref)
        if ref0 is not None:
            rec["rmse_t0"] = M.endpoint_rmse(xc, ref0)
            with torch.no_grad():
                for kind in ("tweedie", "second_order"):
                    x0 = final_step(sde, score_fn, x, sde.eps, kind)
                    rec[f"rmse_t0_{kind}"] = M.endpoint_rmse(x0.detach().cpu().to(torch.float64), ref0)
    rec["sw2"] = sw2(xc)
    rec["mmd2"] = mmd(xc[:n_mmd])
    rec["tv"] = M.mode_weight_tv(mix, xc)
    mz = M.mode_moment_errors(mix, xc)
    rec.update(mean_z=mz["mean_z"], cov_z=mz["cov_z"], missing_modes=mz["missing_modes"])


def _kl_into(rec, problem, spec, sde, grid_fn) -> None:
    if rec.get("steps") is None:
        return
    grid = grid_fn(sde, rec["steps"])
    p, c = spec.steps_for(sde, grid)
    try:
        rec["kl"] = _gauss_kl(problem, sde, p, c, grid, "prior")
        rec["kl_disc"] = _gauss_kl(problem, sde, p, c, grid, "exact")
    except ValueError as e:  # not affine (e.g. the SNR-rule Langevin corrector)
        rec["warning"] = (rec["warning"] + "; " if rec["warning"] else "") + f"no exact KL: {e}"


def _grid_to_zero(sde, score_fn, grid_fn, x_T, nfes, samplers, ref0, problem_name) -> List[dict]:
    """Second-order samplers on grids that end with a final step eps -> 0 (lower-order final step)."""
    rows = []
    for spec in samplers:
        if not spec.deterministic or spec.adaptive is not None or (spec.order or 0) < 2:
            continue
        for nfe in nfes:
            p, c = spec.steps_for(sde, _grids.GRIDS["uniform"](sde, 2))
            per = nfe_per_step(p, c)
            # T .. eps on (steps) intervals, then eps -> 0 (one evaluation: Euler / x0-prediction)
            steps = max(1, int(math.floor((nfe - 1) / per + 0.5)))
            g = torch.cat([grid_fn(sde, steps), torch.zeros(1, dtype=torch.float64)])
            p, c = spec.steps_for(sde, g)
            with torch.no_grad():
                r = sample(sde, score_fn, tuple(x_T.shape), predictor=p, corrector=c, grid=g, x_T=x_T,
                           dtype=x_T.dtype, device=x_T.device)
            rows.append({"problem": problem_name, "sde": sde.name, "sampler": spec.name, "variant": "grid_to_0",
                         "nfe_requested": nfe, "nfe": r.nfe,
                         "rmse_t0": M.endpoint_rmse(r.x.detach().cpu().to(torch.float64), ref0)})
    return rows


def _trajectories(sde, score_fn, x_T, grid_fn, n_paths: int = 24, steps: int = 200) -> dict:
    """Reverse-SDE (Euler-Maruyama) and PF-ODE (Heun) paths from the same starting points."""
    xs = x_T[:n_paths]
    g = grid_fn(sde, steps)
    out = {"t": g.clone()}
    with torch.no_grad():
        for label, step in (("sde", EulerMaruyama()), ("ode", Heun())):
            r = sample(sde, score_fn, tuple(xs.shape), predictor=step, grid=g, x_T=xs, dtype=xs.dtype,
                       device=xs.device, trajectory=True, seed=1)
            out[label] = torch.stack([v.detach().cpu().to(torch.float64) for v in r.trajectory])  # (steps+1, B, ...)
    return out


def _order_study(problem: Problem, sdes, samplers, nfes, grid) -> List[dict]:
    """Exact-moment KL of every affine fixed-step sampler on Gaussian data, per SDE and NFE."""
    gp = problem if problem.mixture.n_components == 1 else get_problem("gaussian")
    rows = []
    for sde in sdes:
        # the problem's own SDE when it is Gaussian; else the registry SDE of that name with the
        # Gaussian problem's defaults (e.g. VE's sigma_max follows the data's spread)
        gsde = sde if gp is problem else (gp.sde(sde.name) if sde.name in SDES else sde)
        grid_fn = _grids.GRIDS[grid or DEFAULT_GRIDS.get(sde.name, "uniform")]
        for spec in samplers:
            if spec.adaptive is not None:
                rows.append({"sde": sde.name, "sampler": spec.name, "nfe": None, "kl_disc": None,
                             "note": "adaptive step sizes depend on the state: not affine"})
                continue
            for nfe in nfes:
                try:
                    p, c = spec.steps_for(gsde, _grids.GRIDS["uniform"](gsde, 2))
                    steps, real, _ = realise_nfe(spec.name, nfe_per_step(p, c), nfe)
                    g = grid_fn(gsde, steps)
                    p, c = spec.steps_for(gsde, g)
                    check_compatible(gsde, g, p, c)
                    kl = _gauss_kl(gp, gsde, p, c, g, "exact")
                    rows.append({"sde": sde.name, "sampler": spec.name, "nfe": real, "kl_disc": kl, "note": "",
                                 "problem": gp.name})
                except ValueError as e:
                    rows.append({"sde": sde.name, "sampler": spec.name, "nfe": None, "kl_disc": None, "note": str(e)})
                    break
    return rows


__all__ = ["compare", "CompareResult", "SamplerSpec", "SAMPLERS", "DEFAULT_SAMPLERS", "DEFAULT_SDES",
           "DEFAULT_NFE", "DEFAULT_GRIDS", "final_step", "realise_nfe", "nfe_per_step",
           "RECORD_KEYS", "METRIC_KEYS", "machine_description"]
