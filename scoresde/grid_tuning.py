"""Time grids tuned against the exact solution of the probability-flow ODE, saved as named files.

Objective (stated, measured, never guessed): for a problem with exact score, a deterministic
predictor and an NFE budget, the endpoint RMSE

    E(grid) = sqrt( mean_{j,d} (x_j^grid(eps) - x_j^*(eps))_d^2 )

of the sampler run on ``grid`` against the PF-ODE solution x^* from the same x_T (scipy DOP853,
rtol = atol = 1e-10, float64; :func:`scoresde.integrators.pf_ode_scipy`), on n prior draws fixed
by ``seed``. ``optimize`` minimises log E over grids with n_steps = nfe / nfe_per_step intervals.

Parameterisation (monotone by construction): in the coordinate k(t) = sigma(t)^(1/rho) (Karras et
al. 2022, Eq. 5; rho = 7), the grid is k_i = k(T) - (k(T) - k(eps)) * sum_{j<i} softmax(u)_j, so
any u gives a strictly decreasing grid from T to eps. u starts from the best of the standard grids
(uniform, log-SNR, Karras, AYS) at this budget and is improved with scipy's Nelder-Mead under a
bounded number of evaluations and wall time; the best grid seen is returned, so the result is never
worse than the start on the tuning draws. The tuned grid is also scored on fresh draws
(``seed + 1``) to show whether it over-fits the tuning set.

A :class:`TunedGrid` stores the noise levels sigma_i and the times t_i with the SDE's config; on
the same SDE the times are used as saved, on another SDE the log-sigma spacing is carried over
(the rule :func:`scoresde.grids.ays` uses). Files are small JSON, written atomically, loaded
without pickle and validated (any defect raises ValueError naming the file).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from . import grids as _grids
from ._util import check_int, check_positive
from .noise import PRIOR, PerSampleNoise
from .problems import Problem
from .sde.base import LinearSDE
from .solvers.base import Step

FORMAT = "scoresde-tuned-grid"
VERSION = 1
RHO = 7.0


@dataclass(frozen=True)
class TunedGrid:
    """A named grid: noise levels ``sigmas`` (sigma = s/m, decreasing), ``times`` on the SDE ``sde``
    (its config dict), and how it was made (``meta``: problem, predictor, nfe, objective values)."""

    name: str
    sigmas: tuple
    times: tuple
    sde: dict
    meta: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.times) - 1

    def grid(self, sde: LinearSDE) -> Tensor:
        """Times for ``sde``: as saved on the same SDE, else the saved log-sigma spacing mapped
        affinely onto sde's [sigma(eps), sigma(T)]."""
        if _same_config(sde.config(), self.sde):
            return _grids.validate(torch.tensor(self.times, dtype=torch.float64), sde, self.name)
        la, lb = _grids._log_sigma_range(sde)  # log sigma(T), log sigma(eps)
        a, b = math.log(self.sigmas[0]), math.log(self.sigmas[-1])
        log_sig = torch.tensor([lb + (math.log(v) - b) * (la - lb) / (a - b) for v in self.sigmas],
                               dtype=torch.float64)
        return _grids._from_log_sigma(sde, log_sig, self.name)

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "name": self.name, "sigmas": list(self.sigmas),
                "times": list(self.times), "sde": self.sde, "meta": self.meta}


def _same_config(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
            if not math.isclose(float(x), float(y), rel_tol=1e-12, abs_tol=0.0):
                return False
        elif x != y:
            return False
    return True


# ------------------------------------------------------------------ objective
def prior_draws(sde: LinearSDE, shape, seed: int) -> Tensor:
    """The x_T that :func:`scoresde.sample` would draw for ``seed`` (float64)."""
    return sde.prior_std * PerSampleNoise(seed).randn(tuple(shape), PRIOR, 0, dtype=torch.float64)


def reference(sde: LinearSDE, score_fn, x_T: Tensor) -> Tensor:
    """PF-ODE solution at eps from x_T: scipy DOP853, rtol = atol = 1e-10, float64."""
    from .integrators import pf_ode_scipy

    return pf_ode_scipy(sde, score_fn, x_T, rtol=1e-10, atol=1e-10).x


def endpoint_rmse(sde: LinearSDE, score_fn, predictor: Step, grid: Tensor, x_T: Tensor, ref: Tensor) -> float:
    """E(grid): RMSE of the sampler's endpoint against ``ref`` (same x_T, float64)."""
    from .sampler import sample

    res = sample(sde, score_fn, tuple(x_T.shape), predictor=predictor, grid=grid, x_T=x_T, dtype=torch.float64)
    return math.sqrt(float(((res.x - ref) ** 2).mean()))


def standard_grids(sde: LinearSDE, steps: int) -> Dict[str, Tensor]:
    """The grids a tuned grid is compared with (and started from)."""
    return {name: make(sde, steps) for name, make in _grids.GRIDS.items() if name != "geometric"}


# ------------------------------------------------------------------ parameterisation
def _kappa(sde: LinearSDE, t: Tensor) -> Tensor:
    return sde.noise_level(t) ** (1.0 / RHO)


def _to_params(sde: LinearSDE, grid: Tensor) -> list:
    k = _kappa(sde, grid)
    inc = (k[:-1] - k[1:]).clamp_min(1e-300)
    return torch.log(inc / inc.sum()).tolist()


def _from_params(sde: LinearSDE, u, k_hi: float, k_lo: float) -> Tensor:
    w = torch.softmax(torch.as_tensor(u, dtype=torch.float64), 0)
    frac = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(w, 0)])
    k = k_hi - (k_hi - k_lo) * frac
    sig = k.clamp_min(k_lo) ** RHO
    return _grids._pin(sde, sde.t_from_noise_level(sig))


class _Budget(Exception):
    pass


def optimize(
    problem: Problem,
    sde: LinearSDE,
    predictor: Step,
    nfe: int,
    *,
    name: Optional[str] = None,
    n: int = 256,
    seed: int = 0,
    max_evals: int = 400,
    time_limit: float = 60.0,
    score: Optional[Callable[[LinearSDE], Callable]] = None,
    path: Optional[str] = None,
) -> TunedGrid:
    """Find the grid with ``nfe`` score evaluations that minimises the endpoint RMSE of ``predictor``
    against the exact PF-ODE solution on ``problem`` (see the module docstring for the objective).

    Args:
        problem: a :class:`~scoresde.problems.Problem` (its exact mixture score is used).
        sde: the forward process.
        predictor: a deterministic PF-ODE step (``deterministic_ode``), e.g. ``solvers.DPMSolverPP2M()``.
        nfe: score evaluations; must be a multiple of the predictor's ``nfe_per_step``.
        name: the grid's name (default ``"{problem}-{sde}-{predictor}-nfe{nfe}"``).
        n, seed: how many prior draws (x_T from ``seed``) the objective averages over.
        max_evals, time_limit: bounds on objective evaluations and wall seconds of the search.
        score: ``score(sde) -> score_fn`` (default the exact mixture score).
        path: if given, save the result there (atomically) as JSON.
    Returns the :class:`TunedGrid` (also registered under its name).
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a scoresde.problems.Problem, got {problem!r}")
    if not isinstance(predictor, Step) or predictor.kind != "predictor" or not predictor.deterministic_ode:
        raise ValueError(f"predictor must be a deterministic PF-ODE step (deterministic_ode), got {predictor!r}")
    nfe = check_int("nfe", nfe, 1)
    per = int(predictor.nfe_per_step)
    if per < 1 or nfe % per:
        raise ValueError(f"nfe must be a multiple of {predictor.name}'s nfe_per_step = {per}, got {nfe}")
    steps = nfe // per
    if steps < 2:
        raise ValueError(f"nfe = {nfe} gives {steps} step(s) of {predictor.name}; a grid to tune needs at least 2")
    n = check_int("n", n, 1)
    max_evals = check_int("max_evals", max_evals, 1)
    time_limit = check_positive("time_limit", time_limit)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    name = name or f"{problem.name}-{sde.name}-{predictor.name}-nfe{nfe}"
    _check_name(name, "name")
    score_fn = (score or problem.mixture.score_fn)(sde)
    shape = (n,) + tuple(problem.mixture.means.shape[1:])

    x_T = prior_draws(sde, shape, seed)
    ref = reference(sde, score_fn, x_T)
    base = {k: endpoint_rmse(sde, score_fn, predictor, g, x_T, ref) for k, g in standard_grids(sde, steps).items()}
    start = min(base, key=base.get)
    k_hi, k_lo = (float(v) for v in _kappa(sde, torch.tensor([sde.T, sde.eps], dtype=torch.float64)))
    best = {"value": base[start], "grid": standard_grids(sde, steps)[start], "evals": 0}
    t0 = time.perf_counter()

    def f(u) -> float:
        if best["evals"] >= max_evals or time.perf_counter() - t0 > time_limit:
            raise _Budget
        best["evals"] += 1
        g = _from_params(sde, u, k_hi, k_lo)
        try:
            e = endpoint_rmse(sde, score_fn, predictor, g, x_T, ref)
        except (ValueError, FloatingPointError):  # a degenerate grid (points merged by rounding)
            return math.inf
        if e < best["value"]:
            best.update(value=e, grid=g)
        return math.log(e) if e > 0 else -math.inf

    from scipy.optimize import minimize

    u0 = _to_params(sde, best["grid"])
    try:
        minimize(f, u0, method="Nelder-Mead",
                 options={"maxfev": max_evals, "xatol": 1e-4, "fatol": 1e-5, "adaptive": True,
                          "initial_simplex": _simplex(u0)})
    except _Budget:
        pass
    g = best["grid"]
    x_test = prior_draws(sde, shape, seed + 1)
    ref_test = reference(sde, score_fn, x_test)
    meta = {
        "problem": problem.name, "predictor": repr(predictor), "nfe": nfe, "steps": steps,
        "objective": "endpoint RMSE vs scipy DOP853 (rtol=atol=1e-10) PF-ODE solution, float64",
        "n": n, "seed": seed, "start": start, "evals": best["evals"],
        "seconds": round(time.perf_counter() - t0, 3),
        "rmse": best["value"], "rmse_standard": base,
        "rmse_test": endpoint_rmse(sde, score_fn, predictor, g, x_test, ref_test),
        "rmse_test_start": endpoint_rmse(sde, score_fn, predictor, standard_grids(sde, steps)[start], x_test, ref_test),
    }
    tg = TunedGrid(name=name, sigmas=tuple(sde.noise_level(g).tolist()), times=tuple(g.tolist()),
                   sde=sde.config(), meta=meta)
    register(tg)
    if path is not None:
        save(tg, path)
    return tg


def _simplex(u0) -> list:
    """A start simplex around u0: one vertex per coordinate, moved by +-0.5 in log-increment."""
    pts = [list(u0)]
    for i in range(len(u0)):
        p = list(u0)
        p[i] += 0.5 if i % 2 == 0 else -0.5
        pts.append(p)
    return pts


# ------------------------------------------------------------------ files and the registry
_REGISTRY: Dict[str, TunedGrid] = {}


def _check_name(name, what: str) -> None:
    if not isinstance(name, str) or not name or len(name) > 200 or any(c in name for c in "/\\\n"):
        raise ValueError(f"{what} must be a non-empty string without '/', got {name!r}")


def register(tg: TunedGrid) -> None:
    """Make ``tg`` available as ``named(tg.name)`` in this process."""
    if not isinstance(tg, TunedGrid):
        raise ValueError(f"expected a TunedGrid, got {tg!r}")
    _REGISTRY[tg.name] = tg


def named(name: str) -> TunedGrid:
    """A registered tuned grid (registered by :func:`optimize` or :func:`load`)."""
    if name not in _REGISTRY:
        valid = ", ".join(sorted(_REGISTRY)) or "none registered; load a file first"
        raise ValueError(f"unknown tuned grid {name!r}; valid: {valid}")
    return _REGISTRY[name]


def save(tg: TunedGrid, path: str) -> str:
    """Write ``tg`` as JSON atomically (temporary file in the same folder, then os.replace)."""
    text = json.dumps(tg.to_json(), indent=1, sort_keys=True) + "\n"
    from .train.checkpoint import atomic_write_text  # the package's one atomic writer (creates the folder)

    atomic_write_text(path, text)
    return path


MAX_BYTES = 1 << 20


def load(path: str) -> TunedGrid:
    """Read a tuned grid file, validate it and register it; any defect is a ValueError naming ``path``."""
    def bad(why: str) -> ValueError:
        return ValueError(f"tuned grid file {path!r}: {why}")

    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise bad(f"{size} bytes is more than a grid file can be ({MAX_BYTES})")
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad(f"cannot be read as JSON ({e})") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise bad(f"not a {FORMAT!r} file")
    if d.get("version") != VERSION:
        raise bad(f"version {d.get('version')!r} is not supported (expected {VERSION})")
    for key in ("name", "sigmas", "times", "sde"):
        if key not in d:
            raise bad(f"missing field {key!r}")
    try:
        _check_name(d["name"], "name")
    except ValueError as e:
        raise bad(str(e)) from None
    seqs = {}
    for key in ("sigmas", "times"):
        v = d[key]
        if (not isinstance(v, list) or len(v) < 2
                or not all(isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in v)):
            raise bad(f"{key} must be a list of at least 2 finite numbers")
        if not all(a > b for a, b in zip(v, v[1:])):
            raise bad(f"{key} must be strictly decreasing")
        seqs[key] = tuple(float(a) for a in v)
    if len(seqs["sigmas"]) != len(seqs["times"]):
        raise bad("sigmas and times must have the same length")
    if seqs["sigmas"][-1] <= 0:
        raise bad("sigmas must be positive")
    if not isinstance(d["sde"], dict) or "name" not in d["sde"]:
        raise bad("sde must be an SDE config dict with a 'name'")
    meta = d.get("meta", {})
    if not isinstance(meta, dict):
        raise bad("meta must be an object")
    try:
        from .sde import from_config

        sde = from_config(dict(d["sde"]))
        _grids.validate(torch.tensor(seqs["times"], dtype=torch.float64), sde, "times")
    except (ValueError, TypeError, KeyError) as e:
        raise bad(str(e)) from None
    tg = TunedGrid(name=d["name"], sigmas=seqs["sigmas"], times=seqs["times"], sde=dict(d["sde"]), meta=meta)
    register(tg)
    return tg


__all__ = ["TunedGrid", "optimize", "endpoint_rmse", "reference", "prior_draws", "standard_grids",
           "save", "load", "register", "named", "FORMAT"]
