"""Studies beside the main grid of runs: the final step eps -> 0, SDE-vs-ODE trajectories, and the
exact-moment order study on Gaussian data (every affine fixed-step sampler, no sampling noise)."""
from __future__ import annotations

import math
from typing import List, Optional

import torch

from .. import grids as _grids
from .. import metrics as M
from ..problems import Problem, get_problem
from ..sampler import check_compatible, sample
from ..sde import SDES
from ..solvers import EulerMaruyama, Heun
from .measure.gaussian import gauss_kl
from ..distributed import World
from .plan import DEFAULT_GRIDS
from .samplers import nfe_per_step, realise_nfe
from .shard import blocks_on_ranks


def grid_to_zero(sde, score_fn, grid_fn, x_T, nfes, samplers, ref0, problem_name,
                 world: Optional[World] = None) -> List[dict]:
    """Second-order samplers on grids that end with a final step eps -> 0 (lower-order final step).

    Under ``torchrun`` (``world``) every rank calls it; the runs are split by sample index
    (:func:`~scoresde.compare.shard.blocks_on_ranks`) and rank 0 alone measures and returns the rows.
    """
    world = world or World()
    rows = []
    for spec in samplers:
        if not spec.deterministic or spec.kind != "fixed" or (spec.order or 0) < 2:
            continue
        for nfe in nfes:
            p, c = spec.steps_for(sde, _grids.GRIDS["uniform"](sde, 2))
            per = nfe_per_step(p, c)
            # T .. eps on (steps) intervals, then eps -> 0 (one evaluation: Euler / x0-prediction)
            steps = max(1, int(math.floor((nfe - 1) / per + 0.5)))
            g = torch.cat([grid_fn(sde, steps), torch.zeros(1, dtype=torch.float64)])
            p, c = spec.steps_for(sde, g)

            def run(xb, idx, p=p, c=c, g=g):
                with torch.no_grad():
                    r = sample(sde, score_fn, tuple(xb.shape), predictor=p, corrector=c, grid=g, x_T=xb,
                               dtype=xb.dtype, device=xb.device)
                return r.x, r.nfe

            x, spent = blocks_on_ranks(run, x_T, world)
            if world.is_main:
                rows.append({"problem": problem_name, "sde": sde.name, "sampler": spec.name, "variant": "grid_to_0",
                             "nfe_requested": nfe, "nfe": spent,
                             "rmse_t0": M.endpoint_rmse(x.detach().cpu().to(torch.float64), ref0)})
    return rows


def trajectories(sde, score_fn, x_T, grid_fn, n_paths: int = 24, steps: int = 200) -> dict:
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


def order_study(problem: Problem, sdes, samplers, nfes, grid) -> List[dict]:
    """Exact-moment KL of every affine fixed-step sampler on Gaussian data, per SDE and NFE."""
    gp = problem if problem.mixture.n_components == 1 else get_problem("gaussian")
    rows = []
    for sde in sdes:
        # the problem's own SDE when it is Gaussian; else the registry SDE of that name with the
        # Gaussian problem's defaults (e.g. VE's sigma_max follows the data's spread)
        gsde = sde if gp is problem else (gp.sde(sde.name) if sde.name in SDES else sde)
        grid_fn = _grids.GRIDS[grid or DEFAULT_GRIDS.get(sde.name, "uniform")]
        for spec in samplers:
            if spec.kind != "fixed":
                why = ("adaptive step sizes depend on the state: not affine" if spec.kind == "adaptive" else
                       "external sampler: its steps are not visible to the moment propagation")
                rows.append({"sde": sde.name, "sampler": spec.name, "nfe": None, "kl_disc": None, "note": why})
                continue
            for nfe in nfes:
                try:
                    p, c = spec.steps_for(gsde, _grids.GRIDS["uniform"](gsde, 2))
                    steps, real, _ = realise_nfe(spec.name, nfe_per_step(p, c), nfe)
                    g = grid_fn(gsde, steps)
                    p, c = spec.steps_for(gsde, g)
                    check_compatible(gsde, g, p, c)
                    kl = gauss_kl(gp.mixture, gsde, p, c, g, "exact")
                    rows.append({"sde": sde.name, "sampler": spec.name, "nfe": real, "kl_disc": kl, "note": "",
                                 "problem": gp.name})
                except ValueError as e:
                    rows.append({"sde": sde.name, "sampler": spec.name, "nfe": None, "kl_disc": None, "note": str(e)})
                    break
    return rows


__all__ = ["grid_to_zero", "trajectories", "order_study"]
