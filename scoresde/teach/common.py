"""Numerical helpers shared by the derivations: exact diffused mixtures, reference ODE solves,
convergence slopes and two-sample statistics against exact densities."""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ..analytic import GaussianMixture
from ..sde.base import LinearSDE

F64 = torch.float64


def f64(x) -> Tensor:
    return torch.as_tensor(x, dtype=F64)


def ms(sde: LinearSDE, t: float) -> tuple[float, float]:
    """(m(t), s(t)) as Python floats computed in float64 (``sde.mean_coeff(0.3)`` would use the default dtype)."""
    tt = f64(t)
    return float(torch.exp(sde.log_mean_coeff(tt))), math.sqrt(float(sde.marginal_var(tt)))


def marginal(mixture: GaussianMixture, sde: LinearSDE, t: float) -> GaussianMixture:
    """p_t of ``mixture`` under ``sde`` as a GaussianMixture (exact)."""
    m, s = ms(sde, t)
    return diffused(mixture, m, s)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def diffused(mixture: GaussianMixture, m: float, s: float) -> GaussianMixture:
    """The law of m x_0 + s z for x_0 ~ mixture: again a Gaussian mixture (Bishop 2006, Eq. 2.115)."""
    stds = torch.sqrt(m * m * mixture.stds**2 + s * s)
    return GaussianMixture(mixture.weights, m * mixture.means, stds, event_shape=mixture.event_shape)


def mixture_1d() -> GaussianMixture:
    """A three-mode 1-D mixture used for the pictures and the 1-D checks."""
    return GaussianMixture([0.3, 0.45, 0.25], [[-2.0], [0.6], [2.6]], [0.35, 0.3, 0.45])


def slope(ns: Sequence[float], errs: Sequence[float]) -> float:
    """Least-squares slope of -log(err) against log(n): the measured convergence order in n."""
    return float(-np.polyfit(np.log(np.asarray(ns, float)), np.log(np.asarray(errs, float)), 1)[0])


def pf_drift(sde: LinearSDE, score: Callable, x: Tensor, t: float) -> Tensor:
    """Probability-flow ODE drift f(t) x - g(t)^2 score(x, t) / 2 (Song et al. 2021, Eq. 13)."""
    tt = f64(t)
    B = x.shape[0]
    return sde.drift_coeff(tt) * x - 0.5 * sde.diffusion_sq(tt) * score(x, torch.full((B,), t, dtype=x.dtype))


def ode_solve(drift: Callable[[Tensor, float], Tensor], x: Tensor, t0: float, t1: float,
              rtol: float = 1e-10, atol: float = 1e-10, t_eval: Optional[Sequence[float]] = None):
    """Integrate dx/dt = drift(x, t) from t0 to t1 with scipy's DOP853 (float64, whole batch at once).

    Returns x(t1), or the list of x at ``t_eval`` if given.
    """
    from scipy.integrate import solve_ivp

    shape = x.shape

    def rhs(t, y):
        return drift(torch.from_numpy(y).reshape(shape), float(t)).reshape(-1).numpy()

    sol = solve_ivp(rhs, (t0, t1), x.reshape(-1).numpy().astype(np.float64), method="DOP853", rtol=rtol, atol=atol,
                    t_eval=t_eval)
    if not sol.success:
        raise RuntimeError(f"reference ODE solve failed: {sol.message}")
    if t_eval is None:
        return torch.from_numpy(sol.y[:, -1].copy()).reshape(shape)
    return [torch.from_numpy(sol.y[:, j].copy()).reshape(shape) for j in range(sol.y.shape[1])]


def loglik_z(target: GaussianMixture, x: Tensor, n_ref: int, seed: int) -> float:
    """Two-sample z-score of the mean exact log-density: sampler output x vs exact samples of ``target``.

    |z| < 4 is what agreement in distribution looks like at this sample size (a wrong sampler gives
    |z| of tens to hundreds on these problems).
    """
    ref = target.sample(n_ref, gen(seed))
    a = target.log_prob(x.to(F64))
    b = target.log_prob(ref)
    se = torch.sqrt(a.var() / a.numel() + b.var() / b.numel())
    return float((a.mean() - b.mean()) / se)


def weights_chi2(target: GaussianMixture, x: Tensor) -> float:
    """Pearson chi^2 of the mode counts of x against the mixture weights (K - 1 degrees of freedom)."""
    counts = torch.bincount(target.component_of(x.to(F64)), minlength=target.n_components).to(F64)
    exp = target.weights * counts.sum()
    return float(((counts - exp) ** 2 / exp).sum())


#: chi^2 quantiles at p = 0.001 for K - 1 degrees of freedom (scipy.stats.chi2.ppf(0.999, k))
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 7: 24.32}


def gaussian_moments_at(sde: LinearSDE, data: GaussianMixture, t: float) -> tuple[Tensor, Tensor]:
    """Exact mean and variance per coordinate of p_t for one-component (Gaussian) data."""
    tt = f64(t)
    m = float(torch.exp(sde.log_mean_coeff(tt)))
    v = float(sde.marginal_var(tt))
    return m * data.means[0], m * m * data.stds[0] ** 2 + v


def moment_error(mv: tuple[Tensor, Tensor], target: tuple[Tensor, Tensor]) -> float:
    """max |mean error| + max |variance error| (the weak error of the exact output law)."""
    return float((mv[0] - target[0]).abs().max() + (mv[1] - target[1]).abs().max())


def plt():
    """matplotlib.pyplot with the non-interactive Agg backend and a small, readable style."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as _plt

    _plt.rcParams.update({"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
                          "figure.dpi": 100, "axes.spines.top": False, "axes.spines.right": False})
    return _plt



def taylor(expr, var, order: int):
    """Taylor coefficients [c_0, ..., c_order] of ``expr`` at var = 0 (by differentiation; faster than
    sympy's series for the rational-and-sqrt expressions of one sampler step)."""
    import sympy as sp

    out, d = [], expr
    for k in range(order + 1):
        out.append(sp.simplify(d.subs(var, 0) / sp.factorial(k)))
        d = sp.diff(d, var)
    return out
