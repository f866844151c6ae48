"""The Restart sampler (Xu et al. 2023, "Restart sampling for improving generative processes",
Alg. 1 / Eq. 4): deterministic ODE steps, and inside a restart interval [t_min, t_max] K times a jump
back along the forward process followed by ODE steps down again.

Main steps: Heun in sigma = s/m (Karras et al. 2022, Alg. 1), as ``edm`` with S_churn = 0. When the
main grid reaches j_min (the first grid time <= t_min), for k = 1..K:
    x_{t_max} = (m(t_max)/m(t_min)) x + m(t_max) sqrt(sigma(t_max)^2 - sigma(t_min)^2) z_k   (the exact
forward kernel, Xu et al. 2023, Eq. 4 "restart forward"), then Heun steps over the main grid's own
points from j_max (the last grid time >= t_max) down to j_min ("restart backward"). The restart
interval is given in the SDE's time (Xu et al. state it in EDM noise levels: convert with
``sde.t_from_noise_level``); with fewer than one grid interval inside it no restart happens.
Because the backward passes walk the main grid, refining the grid refines them too: the sampler
converges with Heun's order, declared weak order 2 and measured on Gaussian data with exact
moments (tests/test_orders.py). NFE: 2 per main interval (1 for one ending at t = 0) plus
K * 2 * (j_min - j_max), from :meth:`Restart.nfe`.
"""
from __future__ import annotations

import math
from typing import Optional

from torch import Tensor

from .._util import check_int, check_positive
from .base import Step, StepContext
from .edm import heun_sigma
from .multistep import ms_at

#: restart k draws from predictor substream 100 + k (clear of the corrector's streams)
RESTART_SUBSTREAM = 100


def restart_indices(times: list[float], t_min: float, t_max: float) -> Optional[tuple[int, int]]:
    """(j_max, j_min) on the grid ``times`` (decreasing), or None if no interval lies inside."""
    j_min = next((j for j, t in enumerate(times) if t <= t_min), None)
    if j_min is None:
        return None
    above = [j for j, t in enumerate(times[:j_min]) if t >= t_max]
    if not above:
        return None
    j_max = above[-1]
    return (j_max, j_min) if j_max < j_min else None


class Restart(Step):
    needs_positive_m = True
    name = "restart"
    order = 2.0
    nfe_per_step = 2
    stochastic = True
    #: several draws per interval (exact moments propagate all draws jointly, scoresde.moments)
    joint_noise = True
    summary = "Restart sampler (Heun in sigma + K forward-backward restarts)"

    def __init__(self, t_min: float = 0.1, t_max: float = 0.3, K: int = 2):
        self.t_min = check_positive("t_min", t_min)
        self.t_max = check_positive("t_max", t_max)
        if self.t_max <= self.t_min:
            raise ValueError(f"t_max must be > t_min, got t_min = {self.t_min:g}, t_max = {self.t_max:g}")
        self.K = check_int("K", K, 1)

    def config(self) -> dict:
        return {"t_min": self.t_min, "t_max": self.t_max, "K": self.K}

    def nfe(self, grid) -> int:
        times = [float(t) for t in grid]
        n = 2 * (len(times) - 1) - (1 if times[-1] == 0.0 else 0)
        idx = restart_indices(times, self.t_min, self.t_max)
        if idx is not None:
            j_max, j_min = idx
            n += self.K * (2 * (j_min - j_max) - (1 if times[j_min] == 0.0 else 0))
        return n

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        c = ctx.coeffs
        times = ctx.state.setdefault("restart_times", [c.t])
        times.append(c.t_next)
        xt = heun_sigma(ctx, x / c.m, c.t, c.m, c.s, c.t_next, c.m1, c.s1)
        x1 = c.m1 * xt
        if not (c.t_next <= self.t_min < c.t):  # j_min is the first grid time <= t_min
            return x1, x1
        idx = restart_indices(times, self.t_min, self.t_max)
        if idx is None:
            return x1, x1
        j_max, j_min = idx
        pts = [(t,) + ms_at(ctx.sde, t) for t in times[j_max:j_min + 1]]
        pts[-1] = (c.t_next, c.m1, c.s1)  # s = 0 at a final t = 0 (the data)
        t_hi, m_hi, s_hi = pts[0]
        sig_lo = c.s1 / c.m1
        for k in range(self.K):
            xt = xt + math.sqrt(max((s_hi / m_hi) ** 2 - sig_lo * sig_lo, 0.0)) * ctx.noise(x, substream=RESTART_SUBSTREAM + k)
            for (ta, ma, sa), (tb, mb, sb) in zip(pts[:-1], pts[1:]):
                xt = heun_sigma(ctx, xt, ta, ma, sa, tb, mb, sb)
        x1 = c.m1 * xt
        return x1, x1
