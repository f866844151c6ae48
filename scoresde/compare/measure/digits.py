"""Image metrics for labelled digit data (trained runs on ``digits`` / ``mnist5k``): the offline digit
classifier of :mod:`scoresde.train.digits_metric` (trained here on the run's training split, no download).

* ``fd``: Frechet distance between Gaussian fits of the classifier's penultimate features of the samples
  and of the training split (Heusel et al. 2017, Eq. 6, with this classifier for Inception-v3), computed
  on the first n_eval = min(n, held-out size) samples (FD is biased upwards at small n: only equal-n values
  compare). ``fd_se``: bootstrap standard error (resampling the samples, 50 replicates).
* ``confidence``: mean top-class probability; ``confidence_se``: its standard error (sd / sqrt(n_eval)).
Noise floor of ``fd``: held-out real images (bootstrap draws of n_eval) against the training split:
real vs real at the same n. Two samplers whose FD differ by less than 2 sqrt(se_a^2 + se_b^2) cannot be
ranked at this n; the report says so.
"""
from __future__ import annotations

import torch

from ...metrics import NoiseFloor
from .base import Family, MeasureContext


class DigitsFamily(Family):
    name = "digits"
    keys = ("fd", "fd_se", "confidence", "confidence_se")
    definitions = {"fd": "Frechet distance of digit-classifier features to the training split (bootstrap se)",
                   "confidence": "mean top-class probability of the digit classifier"}
    n_boot = 50

    def applies(self, ctx: MeasureContext) -> bool:
        d = ctx.target.dataset
        return d is not None and getattr(d, "kind", "") == "image" and getattr(d, "labels", None) is not None

    def setup(self, ctx: MeasureContext):
        from ...train import digits_metric as DM

        data = ctx.target.dataset
        judge = DM.train_classifier(data, seed=0, epochs=ctx.state.get("digits_epochs"))
        ref = DM.features(judge.net, data.x[judge.train_idx])
        held = DM.features(judge.net, data.x[judge.test_idx])
        n_eval = min(ctx.n, held.shape[0])
        g = torch.Generator().manual_seed(ctx.seed + 17)
        vals = [DM.frechet_distance(held[torch.randint(0, held.shape[0], (n_eval,), generator=g)], ref)
                for _ in range(ctx.floor_repeats)]
        t = torch.tensor(vals, dtype=torch.float64)
        ctx.state["digits"] = {"judge": judge, "ref": ref, "n_eval": n_eval,
                               "accuracy": judge.heldout_accuracy}
        ctx.flaggable |= {"fd"}
        return {"fd": NoiseFloor(float(t.mean()), float(t.std()) if len(vals) > 1 else 0.0, tuple(vals))}

    def measure(self, ctx: MeasureContext, rec: dict, x) -> None:
        from ...train import digits_metric as DM

        st = ctx.state["digits"]
        xs = x.detach().cpu().float().clamp(-1, 1)[:st["n_eval"]]
        p = DM.predict(st["judge"].net, xs)
        top = p.max(1).values.double()
        f = DM.features(st["judge"].net, xs)
        g = torch.Generator().manual_seed(ctx.seed + 19)
        boots = [DM.frechet_distance(f[torch.randint(0, f.shape[0], (f.shape[0],), generator=g)], st["ref"])
                 for _ in range(self.n_boot)]
        rec["fd"] = DM.frechet_distance(f, st["ref"])
        rec["fd_se"] = float(torch.tensor(boots).std())
        rec["confidence"] = float(top.mean())
        rec["confidence_se"] = float(top.std() / max(1, top.numel()) ** 0.5)
