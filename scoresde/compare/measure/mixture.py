"""Mixture-structure metrics (exact mixture targets): mode-weight TV, per-mode mean/covariance z-scores.

Definitions in :func:`scoresde.metrics.mode_weight_tv` and :func:`scoresde.metrics.mode_moment_errors`;
noise floor: the same statistic on ``floor_repeats`` independent exact samples of size n.
"""
from __future__ import annotations

from ... import metrics as M
from .base import Family, MeasureContext, flat64


class MixtureFamily(Family):
    name = "mixture"
    keys = ("tv", "mean_z", "cov_z", "missing_modes")
    definitions = {"tv": "total variation between the fraction of samples per mode and the mixture weights",
                   "mean_z": "per-mode mean error in standard errors (RMS)",
                   "cov_z": "per-mode covariance error in standard errors (RMS)"}

    def applies(self, ctx: MeasureContext) -> bool:
        return ctx.target.mixture is not None

    def setup(self, ctx: MeasureContext):
        mix, draw, n, r, s = ctx.target.mixture, ctx.target.draw, ctx.n, ctx.floor_repeats, ctx.seed
        ctx.flaggable |= {"tv", "mean_z", "cov_z"}
        return {"tv": M.noise_floor(lambda x: M.mode_weight_tv(mix, x), draw, n, repeats=r, seed=s + 13),
                "mean_z": M.noise_floor(lambda x: M.mode_moment_errors(mix, x)["mean_z"], draw, n, repeats=r, seed=s + 14),
                "cov_z": M.noise_floor(lambda x: M.mode_moment_errors(mix, x)["cov_z"], draw, n, repeats=r, seed=s + 15)}

    def measure(self, ctx: MeasureContext, rec: dict, x) -> None:
        mix = ctx.target.mixture
        xc = flat64(x)
        rec["tv"] = M.mode_weight_tv(mix, xc)
        mz = M.mode_moment_errors(mix, xc)
        rec.update(mean_z=mz["mean_z"], cov_z=mz["cov_z"], missing_modes=mz["missing_modes"])
