"""Run stage: one sampler at one NFE budget from a given x_T, with the NFE counted.

* fixed-step samplers: NFE -> steps via :func:`~scoresde.compare.samplers.fit_steps` (declared NFE, start-up included); counted NFE must
  equal the steps' declared cost (the accounting the comparison rests on);
* adaptive solvers: requested NFE -> tolerance through a calibration sweep (:class:`Tolerances`), and the
  NFE actually spent is what the record and the plots use;
* external (peer) samplers: their adapter runs them, counting every call of the score.

The final-step helper (:func:`final_step`) lives here too: the second-order step from eps to 0.
"""
from __future__ import annotations

import time
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from .. import grids as _grids
from ..noise import PRIOR, PerSampleNoise
from ..sampler import sample
from ..sde.base import LinearSDE
from ..solvers.base import interval_coeffs
from .samplers import SamplerSpec, fit_steps


def final_step(sde: LinearSDE, score_fn, x: Tensor, t: float, kind: str = "second_order") -> Tensor:
    """From x at time t (the grid's last point, t = eps) to an estimate of the PF-ODE endpoint at t = 0.

    kind "tweedie": x0 = (x + s^2 score)/m (Tweedie; Efron 2011), the Euler step in sigma to 0;
    kind "second_order": x0 = (x + s^2/2 score)/m, exact up to O(sigma^4) (docs/compare.md, "The final step").
    One score evaluation.
    """
    c = interval_coeffs(sde, t, t * 0.5)
    k = {"tweedie": 1.0, "second_order": 0.5}.get(kind)
    if k is None:
        raise ValueError(f"kind must be 'tweedie' or 'second_order', got {kind!r}")
    s = score_fn(x, torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device))
    return (x + (k * c.s * c.s) * s) / c.m


def x_T_for(sde: LinearSDE, shape, seed: int, dtype, device) -> Tensor:
    """The prior draw sample() would make for this seed (float64, then cast: every sampler and the
    reference start from the same numbers)."""
    z = PerSampleNoise(seed).randn(shape, PRIOR, 0, dtype=torch.float64)
    return (sde.prior_std * z).to(dtype=dtype).to(device)


class Tolerances:
    """Map a requested NFE to a tolerance (rtol = atol) of an adaptive solver, monotonically.

    One calibration sweep per SDE on a small batch (the error norm is an RMS over the batch, so the
    step count barely depends on its size): tol = 10^-1, 10^-1.5, ... until the NFE exceeds 1.5x the
    largest target (or tol reaches 1e-12 for float64 states, 1e-6 for float32 ones: a float32 network
    cannot be integrated tighter). NFE(tol) is a staircase, so interpolating it can pick a
    tolerance that spends the same NFE for two targets, or a looser one for the larger target (the
    earlier search did: dopri5 spent 14 NFE for both the NFE-10 and NFE-20 requests, and the tighter
    tolerance had the worse error). Here the tolerance of target k is the loosest swept tolerance
    whose calibration NFE is >= k (the tightest one if none is), so tol never loosens as the target
    grows. Targets below the solver's minimum spend all get the loosest tolerance: the same run,
    reported with its spent NFE (the x-coordinate everywhere) and a note.
    """

    def __init__(self, sde, score_fn, x_cal: Tensor, method: str):
        self.sde, self.score_fn, self.x_cal, self.method = sde, score_fn, x_cal, method
        self.min_tol = 1e-12 if x_cal.dtype == torch.float64 else 1e-6
        self.table: List[Tuple[float, int]] = []  # (tol, nfe), tol decreasing

    def _nfe(self, tol: float) -> int:
        from ..integrators import pf_ode_torchdiffeq

        return pf_ode_torchdiffeq(self.sde, self.score_fn, self.x_cal, method=self.method, rtol=tol, atol=tol).nfe

    def sweep(self, max_target: int) -> None:
        k = len(self.table)
        while True:
            tol = 10.0 ** (-1 - 0.5 * k)
            if tol < self.min_tol * (1 - 1e-9) or (self.table and self.table[-1][1] > 1.5 * max_target):
                break
            self.table.append((tol, self._nfe(tol)))
            k += 1

    @property
    def min_nfe(self) -> int:
        return min(n for _, n in self.table)

    def __call__(self, target: int) -> Tuple[float, int]:
        """(tol, calibration NFE) for a requested NFE."""
        if not self.table or self.table[-1][1] < target:
            self.sweep(target)
        for tol, nfe in self.table:
            if nfe >= target:
                return tol, nfe
        return self.table[-1]


def run_one(spec: SamplerSpec, sde: LinearSDE, score_fn, grid_fn, x_T: Tensor, nfe: int, seed: int,
            tolerances: Optional[Tolerances] = None, indices: Optional[range] = None) -> Tuple[Tensor, dict]:
    """Run one sampler at one NFE budget; return (samples, record fields).

    ``indices``: the sample indices of ``x_T``'s rows (default 0..B-1), which fix each row's noise
    (fixed-step samplers only: :mod:`.shard` runs a block of a comparison's samples this way).
    """
    if indices is not None and spec.kind != "fixed":
        raise ValueError(f"{spec.name}: indices= is for fixed-step samplers; a {spec.kind} run is batch-coupled")
    if spec.external is not None:
        t0 = time.perf_counter()
        x, info = spec.external(sde, score_fn, x_T, nfe, seed, grid_fn)
        wall = time.perf_counter() - t0
        info = dict(info)
        info.setdefault("warning", "")
        info.update(wall_s=wall, s_per_nfe=wall / max(info["nfe"], 1),
                    s_per_step=wall / info["steps"] if info.get("steps") else None)
        return x, info
    if spec.adaptive is not None:
        from ..integrators import pf_ode_torchdiffeq

        if tolerances is None:
            tolerances = Tolerances(sde, score_fn, x_T[:256], spec.adaptive)
        tol, cal_nfe = tolerances(nfe)
        t0 = time.perf_counter()
        r = pf_ode_torchdiffeq(sde, score_fn, x_T, method=spec.adaptive, rtol=tol, atol=tol)
        wall = time.perf_counter() - t0
        warn = ""
        if nfe < cal_nfe and cal_nfe == tolerances.min_nfe:
            warn = (f"{spec.name}: adaptive; NFE {nfe} is below its minimum spend: the loosest tolerance "
                    f"(rtol = atol = {tol:.3g}) spent NFE {r.nfe}")
        elif abs(r.nfe - nfe) > 0.1 * nfe:
            warn = (f"{spec.name}: adaptive; requested NFE {nfe}, spent {r.nfe} at rtol = atol = {tol:.3g} "
                    f"(the NFE a tolerance buys is a staircase)")
        return r.x, {"nfe": r.nfe, "nfe_declared": None, "steps": None, "tol": tol, "wall_s": wall,
                     "s_per_step": None, "s_per_nfe": wall / max(r.nfe, 1), "warning": warn}
    steps, grid, warn = fit_steps(spec, sde, grid_fn, nfe)
    p, c = spec.steps_for(sde, grid)  # fresh steps (some read the grid)
    declared = p.nfe(grid) + (c.nfe(grid) if c is not None else 0)
    t0 = time.perf_counter()
    with torch.no_grad():
        r = sample(sde, score_fn, tuple(x_T.shape), predictor=p, corrector=c, grid=grid, x_T=x_T, seed=seed,
                   indices=indices, dtype=x_T.dtype, device=x_T.device)
    wall = time.perf_counter() - t0
    if r.nfe != declared:  # the accounting the comparison rests on
        raise RuntimeError(f"{spec.name}: counted NFE {r.nfe} != declared {declared}")
    return r.x, {"nfe": r.nfe, "nfe_declared": declared, "steps": steps, "wall_s": wall,
                 "s_per_step": wall / steps, "s_per_nfe": wall / max(r.nfe, 1), "warning": warn}


__all__ = ["final_step", "x_T_for", "Tolerances", "run_one"]
