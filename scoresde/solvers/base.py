"""One interface for every reverse step: predictors, probability-flow ODE steps and correctors.

How to add a solver (keep this true; README points here):
1. Write one file in scoresde/solvers/ with a subclass of :class:`Step` that sets the class
   attributes ``name``, ``kind`` ("predictor" or "corrector"), ``order`` (declared convergence
   order: global order for ODE steps, weak order for stochastic steps, ``None`` for correctors),
   ``nfe_per_step`` (score evaluations per grid interval), ``stochastic`` and ``deterministic_ode``.
2. Implement ``step(ctx, x) -> (x_next, x_mean)``. Read the interval (ctx.t -> ctx.t_next), the
   exact coefficients (ctx.coeffs), the score (ctx.score(x, t)) and the noise (ctx.noise(x)) from
   ``ctx``; never draw random numbers yourself. Broadcast per-sample values with ``expand_like``.
3. If the step cannot work with some SDE or grid, raise ``ValueError`` in ``check(sde, grid)``;
   the sampler calls it before any work.
4. Add one line to the registry in scoresde/solvers/__init__.py. The contract tests
   (tests/test_solver_contract.py) and the order tests pick it up from the registry.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Optional

import torch
from torch import Tensor

from ..sde.base import LinearSDE


@dataclass(frozen=True)
class Coeffs:
    """Exact kernel quantities for one grid interval t -> t_next (t_next < t), as Python floats.

    m, s: m(t), s(t);  m1, s1: m(t_next), s(t_next) (s1 = 0 when t_next = 0: the data);
    a, b: the discrete-twin step t_next -> t:  x_t = a x_{t_next} + b z  (a = m/m1);
    f, g2: f(t), g(t)^2;  f1, g21: the same at t_next;  dt = t_next - t (< 0).
    """

    t: float
    t_next: float
    m: float
    s: float
    m1: float
    s1: float
    a: float
    b: float
    f: float
    g2: float
    f1: float
    g21: float

    @property
    def dt(self) -> float:
        return self.t_next - self.t



def grid_coeffs(sde: LinearSDE, grid: Tensor) -> list[Coeffs]:
    """:class:`Coeffs` for every interval of ``grid``, computed once in float64 (vectorised)."""
    tt = torch.as_tensor(grid, dtype=torch.float64)
    logm = sde.log_mean_coeff(tt)
    m = torch.exp(logm).tolist()
    s = torch.sqrt(sde.marginal_var(tt)).tolist()
    f = sde.drift_coeff(tt).tolist()
    g2 = sde.diffusion_sq(tt).tolist()
    a_t, b_t = sde._transition(tt[1:], tt[:-1])
    a, b = a_t.tolist(), b_t.tolist()
    tl = tt.tolist()
    out = []
    for i in range(len(tl) - 1):
        ai, bi, s1 = a[i], b[i], s[i + 1]
        if tl[i + 1] == 0.0:
            # The chain's x_0 is the data: s_0 = 0 and the last step adds s(t_1)^2 (see LinearSDE.chain_on).
            s1, ai, bi = 0.0, m[i] / m[i + 1], s[i]
        out.append(Coeffs(t=tl[i], t_next=tl[i + 1], m=m[i], s=s[i], m1=m[i + 1], s1=s1, a=ai, b=bi,
                          f=f[i], g2=g2[i], f1=f[i + 1], g21=g2[i + 1]))
    return out


def interval_coeffs(sde: LinearSDE, t: float, t_next: float) -> Coeffs:
    """:class:`Coeffs` for the single interval t -> t_next."""
    return grid_coeffs(sde, torch.tensor([t, t_next], dtype=torch.float64))[0]


@dataclass
class StepContext:
    """What a step sees on one interval. ``state`` persists across intervals of one run."""

    sde: LinearSDE
    coeffs: Coeffs
    step_index: int
    n_steps: int
    _score: Callable[[Tensor, float], Tensor]
    _noise: Callable[[Tensor, int, int, float, float], Tensor]
    stream: int
    state: dict = field(default_factory=dict)

    @property
    def t(self) -> float:
        return self.coeffs.t

    @property
    def t_next(self) -> float:
        return self.coeffs.t_next

    @property
    def is_last(self) -> bool:
        return self.step_index == self.n_steps - 1

    def score(self, x: Tensor, t: Optional[float] = None) -> Tensor:
        """Score at (x, t) (t defaults to the interval start); counted by the sampler."""
        return self._score(x, self.coeffs.t if t is None else t)

    def noise(self, like: Tensor, substream: int = 0) -> Tensor:
        """Standard normal noise for this step (substream distinguishes several draws per step)."""
        return self._noise(like, self.stream + substream, self.step_index, self.coeffs.t, self.coeffs.t_next)


class Step(abc.ABC):
    """A reverse-time step: (ctx, x) -> (x_next, x_mean). See the module docstring."""

    name: ClassVar[str] = "step"
    kind: ClassVar[str] = "predictor"
    #: declared order: ODE global order, or SDE weak order; None for correctors
    order: ClassVar[Optional[float]] = None
    #: score evaluations per grid interval
    nfe_per_step: ClassVar[int] = 1
    #: draws noise
    stochastic: ClassVar[bool] = False
    #: a step of the probability-flow ODE (deterministic)
    deterministic_ode: ClassVar[bool] = False
    #: keeps state across intervals (e.g. multistep methods)
    multistep: ClassVar[bool] = False
    #: the update is affine in (x, noise) whenever the score is affine in x (exact moment propagation)
    affine: ClassVar[bool] = True
    #: short description for tables
    summary: ClassVar[str] = ""
    #: the update divides by m(t) (data prediction x0 = (x + s^2 score)/m, lambda = log(m/s), sigma = s/m):
    #: the sampler refuses grids where m underflows float64 (:func:`check_mean_coeff`)
    needs_positive_m: ClassVar[bool] = False

    def check(self, sde: LinearSDE, grid: Tensor) -> None:
        """Raise ValueError if this step cannot run with ``sde`` on ``grid``."""

    def nfe(self, grid: Tensor) -> int:
        """Score evaluations this step spends on ``grid`` (declared; the sampler also counts them)."""
        return self.nfe_per_step * (len(grid) - 1)

    @abc.abstractmethod
    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        """Advance x from ctx.t to ctx.t_next; return (x_next, noise-free mean)."""

    def config(self) -> dict:
        """Constructor arguments (plain values)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{self.name}({args})" if args else self.name


class NoPredictor(Step):
    """Leave x unchanged (corrector-only sampling, e.g. annealed Langevin dynamics)."""

    name = "none"
    order = None
    nfe_per_step = 0
    summary = "identity; time advances, x does not"

    def step(self, ctx: StepContext, x: Tensor) -> tuple[Tensor, Tensor]:
        return x, x


#: log of the smallest normal float64: below it m(t) = exp(log m) is not representable
LOG_TINY = math.log(2.2250738585072014e-308)


def check_mean_coeff(step: "Step", sde: LinearSDE, grid: Tensor) -> None:
    """Refuse, naming the grid time, a grid where m(t) underflows float64 for a step that divides by m."""
    g = torch.as_tensor(grid, dtype=torch.float64)
    pos = g[g > 0]
    logm = sde.log_mean_coeff(pos)
    if bool((logm < LOG_TINY).any()):
        k = int(torch.argmin(logm))
        raise ValueError(
            f"predictor {step.name}: m(t) = exp({float(logm[k]):.4g}) underflows float64 at grid time "
            f"t = {float(pos[k]):.6g}, so its data prediction x0 = (x + s^2 score)/m is not representable; "
            f"start the grid where log m(t) > {LOG_TINY:.0f}, or use a noise-prediction sampler (ddim, heun)")
