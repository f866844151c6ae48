"""Measure stage: one file per metric family, each with its noise floor; :data:`FAMILIES` is the registry.

A family declares the record columns it fills (``keys``), whether it applies to a comparison
(``applies(ctx)``: e.g. mixture metrics need an exact mixture, digit metrics need labelled images),
sets itself up once per comparison (``setup(ctx) -> {key: NoiseFloor}``: its estimators and noise
floors, the value a perfect sampler would get at this sample size), and fills a record from the
samples (``measure(ctx, rec, x)``). Adding a metric = one file here + one line in :data:`FAMILIES`.

A value within its floor (``value <= floor.upper`` = mean + 2 sd of the estimator on exact/real
samples) is listed in the record's ``within_floor`` column and flagged in the report: it cannot be
told apart from perfect sampling at this n.
"""
from __future__ import annotations

from typing import Dict, List

from ...metrics import NoiseFloor
from .base import Family, MeasureContext, Target
from .digits import DigitsFamily
from .distribution import DistributionFamily
from .endpoint import EndpointFamily
from .gaussian import GaussianKLFamily
from .mixture import MixtureFamily

#: metric families in report order
FAMILIES: List[Family] = [EndpointFamily(), DistributionFamily(), MixtureFamily(), GaussianKLFamily(), DigitsFamily()]

#: every metric column a record can carry (None where not applicable)
METRIC_KEYS = tuple(k for f in FAMILIES for k in f.keys)


def setup(ctx: MeasureContext) -> Dict[str, NoiseFloor]:
    """Set up every applicable family; return the noise floors by metric key."""
    floors: Dict[str, NoiseFloor] = {}
    for fam in FAMILIES:
        if fam.applies(ctx):
            floors.update(fam.setup(ctx))
    ctx.floors = floors
    return floors


def measure(ctx: MeasureContext, rec: dict, x) -> None:
    """Fill ``rec`` with every applicable family's metrics and flag values within their floor."""
    for fam in FAMILIES:
        if fam.applies(ctx) and rec.get("status") == "ok":
            fam.measure(ctx, rec, x)
    flagged = [k for k, f in ctx.floors.items()
               if rec.get(k) is not None and f.std >= 0 and k in ctx.flaggable and rec[k] <= f.upper]
    rec["within_floor"] = ";".join(rec.pop("_flags", []) + flagged)


__all__ = ["FAMILIES", "METRIC_KEYS", "setup", "measure", "MeasureContext", "Target", "Family"]
