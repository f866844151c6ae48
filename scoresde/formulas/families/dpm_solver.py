"""First-order exponential integrators of the probability-flow ODE, in DDPM notation (ᾱ): DPM-Solver-1
(Lu et al. 2022a, Eq. 3.7) = first-order DPM-Solver++ (Lu et al. 2022b, Sec. 4.1) = DDIM with η = 0
(Song, Meng & Ermon 2021, Eq. 12), and DDIM's Euler step of the VE-form probability-flow ODE (DDIM, Eq. 15),
which agrees with them only to first order.

With α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t) and h = λ_{t−1} − λ_t (λ = log α/σ), DPM-Solver-1 reads
x_{t−1} = (α_{t−1}/α_t) x_t − σ_{t−1}(e^h − 1) ε_θ, and σ_{t−1}(e^h − 1) = √(ᾱ_{t−1}(1 − ᾱ_t)/ᾱ_t) − √(1 − ᾱ_{t−1}).
The ε-coefficients become score coefficients with ε_θ = −√(1 − ᾱ_t) s_θ.

Ties: the steps of ``scoresde.solvers`` (DDIM(eta=0) and the first step of DPMSolverPP2M) on VPSDE and
CosineVPSDE grids, with ᾱ_k = m(t)², ᾱ_{k−1} = m(t_next)²; the Euler step's distance to them falls as O(Δt²).
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp
import torch

from ..entry import Entry
from ._common import a, ap, collector, s, xc

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

LU = "Lu et al. 2022a (DPM-Solver), Eq. 3.7; Lu et al. 2022b (DPM-Solver++), Sec. 4.1"
_f64 = torch.float64

_EPS_COEF = -(sp.sqrt(ap * (1 - a) / a) - sp.sqrt(1 - ap))  # coefficient of ε_θ
_EPS_EULER = sp.Rational(1, 2) * sp.sqrt(ap) * ((1 - ap) / ap - (1 - a) / a) * sp.sqrt(a / (1 - a))


def _solver_mean(step, sde, t: float, t_next: float, x: float, score: float) -> float:
    from ...solvers.base import StepContext, interval_coeffs

    ctx = StepContext(sde=sde, coeffs=interval_coeffs(sde, t, t_next), step_index=0, n_steps=2,
                      _score=lambda xx, tt: torch.full_like(xx, score), _noise=lambda like, *a_: torch.zeros_like(like),
                      stream=0)
    _, mean = step.step(ctx, torch.tensor([x], dtype=_f64))
    return float(mean[0])


def _entry_mean(entry: Entry, sde, t: float, t_next: float, x: float, score: float) -> float:
    from ..ties import _ev

    sub = {a: float(sde.mean_coeff(torch.tensor(t, dtype=_f64))) ** 2,
           ap: float(sde.mean_coeff(torch.tensor(t_next, dtype=_f64))) ** 2}
    return _ev(entry.mean[xc], sub) * x + _ev(entry.mean[s], sub) * score


def tie_first_order(entry: Entry) -> Tuple[bool, str]:
    """Mean of the entry vs DDIM(eta=0).step and the first (first-order) step of DPMSolverPP2M."""
    from ...solvers.ddim import DDIM
    from ...solvers.dpm_solver import DPMSolverPP2M
    from ..ties import _vp
    from ...sde import VPSDE

    worst = 0.0
    for sde in (_vp(), VPSDE.cosine()):
        for t, t_next in ((0.9, 0.7), (0.5, 0.45), (0.2, 0.05)):
            for x, sc in ((0.37, -0.81), (-1.2, 0.4)):
                val = _entry_mean(entry, sde, t, t_next, x, sc)
                for step in (DDIM(0.0), DPMSolverPP2M()):
                    worst = max(worst, abs(val - _solver_mean(step, sde, t, t_next, x, sc)))
    return worst < 1e-10, f"solvers DDIM(eta=0) and DPMSolverPP2M (first step) on VPSDE, CosineVPSDE: max deviation {worst:.1e}"


def tie_euler_sigma(entry: Entry) -> Tuple[bool, str]:
    """The Euler step's distance to DDIM(eta=0) over one step of size Δt falls as Δt² (first-order consistent)."""
    from ...solvers.ddim import DDIM
    from ..ties import _vp

    sde = _vp()
    errs = []
    for dt in (0.04, 0.02, 0.01):
        errs.append(max(abs(_entry_mean(entry, sde, t, t - dt, 0.37, -0.81) - _solver_mean(DDIM(0.0), sde, t, t - dt, 0.37, -0.81))
                        for t in (0.9, 0.5, 0.2)))
    rates = [errs[i] / errs[i + 1] for i in range(2)]
    ok = all(3.0 < r < 5.5 for r in rates) and errs[-1] < 1e-2
    return ok, f"distance to DDIM(eta=0) at Δt = 0.04, 0.02, 0.01: {', '.join(f'{e_:.1e}' for e_ in errs)} (ratios {rates[0]:.2f}, {rates[1]:.2f}; O(Δt²))"


_add(name="dpm_solver.first_order", title="DPM-Solver-1 (= DDIM with η = 0), DDPM notation", source=LU, kind="step",
     family="vp",
     latex=r"x_{t-1} = \sqrt{\frac{\bar\alpha_{t-1}}{\bar\alpha_t}}\,x_t - \left(\sqrt{\frac{\bar\alpha_{t-1}(1-\bar\alpha_t)}{\bar\alpha_t}} - \sqrt{1-\bar\alpha_{t-1}}\right)\epsilon_\theta(x_t, t)",
     relation="solvers.DDIM(eta=0).step and DPMSolverPP2M's first step", direction="reverse", lhs="x_prev",
     mean={xc: sp.sqrt(ap / a), s: -_EPS_COEF * sp.sqrt(1 - a)}, var=[sp.Integer(0)], tie=tie_first_order, numeric="vp")
_add(name="ddim.pf_euler", title="DDIM's Euler step of the probability-flow ODE in σ² (Eq. 15)",
     source="Song, Meng & Ermon 2021 (DDIM), Eq. 15 (α there is ᾱ here)", kind="step", family="vp",
     latex=r"x_{t-1} = \sqrt{\frac{\bar\alpha_{t-1}}{\bar\alpha_t}}\,x_t + \frac{1}{2}\sqrt{\bar\alpha_{t-1}}\left(\frac{1-\bar\alpha_{t-1}}{\bar\alpha_{t-1}} - \frac{1-\bar\alpha_t}{\bar\alpha_t}\right)\sqrt{\frac{\bar\alpha_t}{1-\bar\alpha_t}}\,\epsilon_\theta(x_t, t)",
     relation="distance to solvers.DDIM(eta=0) falls as Δt²", direction="reverse", lhs="x_prev",
     mean={xc: sp.sqrt(ap / a), s: -_EPS_EULER * sp.sqrt(1 - a)}, var=[sp.Integer(0)], tie=tie_euler_sigma, numeric="vp",
     exact_target="dpm_solver.first_order")
