"""Two-sample distribution metrics against the truth: sliced W2 and unbiased MMD^2 (:mod:`scoresde.metrics`).

The comparison sample is n exact draws (mixture targets) or the held-out real data (trained runs
without exact truth). Noise floor: the same estimator on ``floor_repeats`` independent samples of
the truth of the same size (exact draws, or real training-split draws: real vs real).
"""
from __future__ import annotations

from ... import metrics as M
from .base import Family, MeasureContext, flat64


class DistributionFamily(Family):
    name = "distribution"
    keys = ("sw2", "mmd2")
    definitions = {"sw2": "sliced W2 to the truth sample, 128 fixed directions",
                   "mmd2": "unbiased MMD^2, RBF kernel, bandwidth = median distance of the truth sample"}

    def applies(self, ctx: MeasureContext) -> bool:
        return ctx.target.exact or ctx.target.heldout is not None

    def setup(self, ctx: MeasureContext):
        t = ctx.target
        y = t.reference_sample(ctx.n, ctx.seed)
        n_floor = ctx.n if t.exact else min(ctx.n, t.pool.shape[0], y.shape[0])
        ctx.state["sw2"] = sw2 = M.SlicedW2(y, n_proj=ctx.n_proj, seed=ctx.seed)
        ctx.n_mmd = min(ctx.n_mmd, ctx.n, y.shape[0])
        ctx.state["mmd"] = mmd = M.MMD(y[:ctx.n_mmd])
        ctx.state["y"] = y
        ctx.flaggable |= {"sw2", "mmd2"}
        return {"sw2": M.noise_floor(sw2, t.draw, n_floor, repeats=ctx.floor_repeats, seed=ctx.seed + 11),
                "mmd2": M.noise_floor(mmd, t.draw, ctx.n_mmd, repeats=ctx.floor_repeats, seed=ctx.seed + 12)}

    def measure(self, ctx: MeasureContext, rec: dict, x) -> None:
        xc = flat64(x)
        rec["sw2"] = ctx.state["sw2"](xc)
        rec["mmd2"] = ctx.state["mmd"](xc[:ctx.n_mmd])
