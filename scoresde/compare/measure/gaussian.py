"""Exact KL on Gaussian data (one-component targets, exact score, fixed-step affine samplers).

``kl``: KL from the output law (exact moment propagation from the prior, :func:`scoresde.moments.propagate_gaussian`)
to the data; ``kl_disc``: from the exact p_T, against the exact law at the last grid time -- discretisation
error alone. No sampling noise: the noise floor is 0 (float64 round-off).
"""
from __future__ import annotations

from typing import Optional

import torch

from ... import metrics as M
from .base import Family, MeasureContext


def gauss_kl(mix, sde, predictor, corrector, grid, start: str) -> Optional[float]:
    from ...moments import propagate_gaussian

    mean, var = propagate_gaussian(sde, mix, predictor, corrector, grid, start=start)
    if start == "exact":  # discretisation error only: against the exact law at the last grid time
        t = torch.tensor(float(grid[-1]), dtype=torch.float64)
        m, s2 = torch.exp(sde.log_mean_coeff(t)), sde.marginal_var(t)
        return M.gaussian_kl(mean, var, m * mix.means[0], m * m * mix.stds[0] ** 2 + s2)
    return M.gaussian_kl(mean, var, mix.means[0], mix.stds[0] ** 2)


class GaussianKLFamily(Family):
    name = "gaussian"
    keys = ("kl", "kl_disc")
    definitions = {"kl": "exact KL(output law || data) by moment propagation (Gaussian data)",
                   "kl_disc": "exact KL to the law at the last grid time, started from the exact p_T"}

    def applies(self, ctx: MeasureContext) -> bool:
        mix = ctx.target.mixture
        return mix is not None and mix.n_components == 1 and ctx.exact_score

    def measure(self, ctx: MeasureContext, rec: dict, x) -> None:
        spec = ctx.spec
        if spec.kind != "fixed" or rec.get("steps") is None:
            return
        grid = ctx.state["grid_fn"](ctx.sde, rec["steps"])
        p, c = spec.steps_for(ctx.sde, grid)
        try:
            rec["kl"] = gauss_kl(ctx.target.mixture, ctx.sde, p, c, grid, "prior")
            rec["kl_disc"] = gauss_kl(ctx.target.mixture, ctx.sde, p, c, grid, "exact")
        except ValueError as e:  # not affine (e.g. the SNR-rule Langevin corrector)
            rec["warning"] = (rec["warning"] + "; " if rec["warning"] else "") + f"no exact KL: {e}"
