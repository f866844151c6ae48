"""Explicit, strictly decreasing time grids T = t_0 > t_1 > ... > t_n (float64).

Samplers take a grid, not a step count. Every grid lies in [eps, T]; the one exception is a final
point 0, which means "the last step lands on the data" (the DDPM/SMLD chains end at x_0, and
EDM grids end at sigma = 0). A step that would evaluate the score at t = 0 treats that interval
specially (e.g. Heun falls back to Euler, as in Karras et al. 2022, Algorithm 1 line 8).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ._util import check_finite_number, check_int
from .sde.base import LinearSDE


#: the most intervals a grid constructor builds (8 MB of float64); a sampler run at this size already
#: takes hours, and a larger request is almost always a typo
MAX_STEPS = 10**6


def _check_steps(steps) -> int:
    steps = check_int("steps", steps, 1)
    if steps > MAX_STEPS:
        raise ValueError(f"steps must be <= {MAX_STEPS:_} (grids.MAX_STEPS), got {steps:_}")
    return steps


def validate(grid, sde: LinearSDE, name: str = "grid") -> Tensor:
    """Return ``grid`` as a float64 CPU tensor, or raise ValueError naming what is wrong."""
    g = torch.as_tensor(grid, dtype=torch.float64).detach().cpu()
    if g.ndim != 1 or g.numel() < 2:
        raise ValueError(f"{name} must be 1-D with at least 2 points, got shape {tuple(g.shape)}")
    if not bool(torch.isfinite(g).all()):
        raise ValueError(f"{name} must be finite")
    if not bool((g[1:] < g[:-1]).all()):
        raise ValueError(f"{name} must be strictly decreasing (sampling runs from T down to eps)")
    inner = g if float(g[-1]) != 0.0 else g[:-1]
    tol = 1e-9 * sde.T
    if float(g[0]) > sde.T + tol or float(inner.min()) < sde.eps - tol:
        raise ValueError(
            f"{name} must lie in [eps, T] = [{sde.eps:g}, {sde.T:g}] (a final 0 is allowed), "
            f"got [{float(g.min()):g}, {float(g[0]):g}]"
        )
    return g


def uniform(sde: LinearSDE, steps: int) -> Tensor:
    """Uniform in t from T to eps (Song et al. 2021's default)."""
    steps = _check_steps(steps)
    return _strict(torch.linspace(sde.T, sde.eps, steps + 1, dtype=torch.float64), "uniform")


def geometric(sde: LinearSDE, steps: int) -> Tensor:
    """Geometric in the noise level sigma(t) = s/m (the SMLD spacing, any SDE).

    Built in log sigma = -lambda (uniform in log sigma is geometric in sigma), so it also works
    where sigma itself overflows float64 (e.g. VP with B(T) > 1400).
    """
    steps = _check_steps(steps)
    hi, lo = _log_sigma_range(sde)
    log_sig = torch.linspace(hi, lo, steps + 1, dtype=torch.float64)
    return _from_log_sigma(sde, log_sig, "geometric")


def karras(sde: LinearSDE, steps: int, rho: float = 7.0, sigma_min: float | None = None,
           sigma_max: float | None = None) -> Tensor:
    """sigma_i = (sigma_max^{1/rho} + i/n (sigma_min^{1/rho} - sigma_max^{1/rho}))^rho (Karras et al. 2022, Eq. 5).

    Evaluated in logs so no power overflows: with A = log(sigma_max)/rho, d = log(sigma_min)/rho - A,
    log sigma_i = rho (A + log1p((i/n) expm1(d))). The noise range defaults to [sigma(eps), sigma(T)];
    ``sigma_min``/``sigma_max`` narrow it as k-diffusion's ``get_sigmas_karras(n, sigma_min, sigma_max)``
    and diffusers' ``sigma_min``/``sigma_max`` do (diffusers' ``use_karras_sigmas`` spans its trained
    table: sigma(T/N) to sigma(T), then a last step to sigma = 0, i.e. ``karras(sde, n - 1,
    sigma_min=float(sde.noise_level(sde.T / sde.N)))`` with a final 0 appended). The grid then
    starts or ends at the time of that noise level.
    """
    steps = _check_steps(steps)
    rho = check_finite_number("rho", rho)
    if rho <= 0:
        raise ValueError(f"rho must be > 0, got {rho:g}")
    top, bottom = _log_sigma_range(sde)
    lo = _log_sigma_bound("sigma_min", sigma_min, bottom, top, bottom)
    hi = _log_sigma_bound("sigma_max", sigma_max, bottom, top, top)
    if not lo < hi:
        raise ValueError(f"sigma_min must be < sigma_max, got sigma_min={math.exp(lo):g} >= sigma_max={math.exp(hi):g}")
    i = torch.arange(steps + 1, dtype=torch.float64) / steps
    a = hi / rho
    log_sig = rho * (a + torch.log1p(i * math.expm1(lo / rho - a)))
    g = _strict(sde.t_from_log_snr(-log_sig), "karras")
    # the default end points exactly at T and eps (bisection leaves ~1e-15 off)
    if sigma_max is None:
        g[0] = sde.T
    if sigma_min is None:
        g[-1] = sde.eps
    return g


def _log_sigma_bound(name: str, value, lo: float, hi: float, default: float) -> float:
    """log(value) for a noise-level bound, checked to lie in [sigma(eps), sigma(T)] (the grid's range)."""
    if value is None:
        return default
    v = check_finite_number(name, value)
    if v <= 0 or not lo - 1e-12 * max(1.0, abs(lo)) <= math.log(v) <= hi + 1e-12 * max(1.0, abs(hi)):
        raise ValueError(f"{name} must lie in [sigma(eps), sigma(T)] = [{math.exp(lo):g}, {math.exp(hi):g}] "
                         f"for this SDE, got {v:g}")
    return min(max(math.log(v), lo), hi)


def log_snr(sde: LinearSDE, steps: int) -> Tensor:
    """Uniform in lambda = log(m/s) (DPM-Solver's "logSNR" spacing, Lu et al. 2022, Sec. 3.4)."""
    steps = _check_steps(steps)
    hi, lo = float(sde.log_snr(_f64(sde.eps))), float(sde.log_snr(_f64(sde.T)))
    lam = torch.linspace(lo, hi, steps + 1, dtype=torch.float64)
    return _strict(_pin(sde, sde.t_from_log_snr(lam)), "log-snr")


def twin(sde: LinearSDE, N: int | None = None) -> Tensor:
    """The discrete twin's times t_N > ... > t_1 > t_0 = 0 (t_i = iT/N): N steps of the chain."""
    N = sde.N if N is None else check_int("N", N, 1)
    if N > MAX_STEPS:
        raise ValueError(f"N must be <= {MAX_STEPS} (grids.MAX_STEPS), got {N}")
    g = torch.linspace(sde.T, 0.0, N + 1, dtype=torch.float64)
    if N > 1 and float(g[-2]) < sde.eps * (1 - 1e-9):
        raise ValueError(f"N={N} puts the twin time t_1 = T/N = {float(g[-2]):g} below eps = {sde.eps:g}; use N <= T/eps")
    return g


def _f64(t: float) -> Tensor:
    return torch.tensor(t, dtype=torch.float64)


def _log_sigma_range(sde: LinearSDE) -> tuple[float, float]:
    """(log sigma(T), log sigma(eps)) in float64, as -lambda (finite where sigma overflows)."""
    return -float(sde.log_snr(_f64(sde.T))), -float(sde.log_snr(_f64(sde.eps)))


def _from_log_sigma(sde: LinearSDE, log_sig: Tensor, what: str) -> Tensor:
    return _strict(_pin(sde, sde.t_from_log_snr(-log_sig)), what)


def _strict(t: Tensor, what: str) -> Tensor:
    """Check the constructed grid is strictly decreasing; where float64 cannot separate two times
    (adjacent noise levels closer than one ulp in t), say so instead of returning a bad grid."""
    bad = (t[1:] >= t[:-1]).nonzero()
    if bad.numel():
        i = int(bad[0, 0])
        raise ValueError(
            f"steps: a {what} grid with {len(t) - 1} steps puts t_{i} and t_{i + 1} at the same float64 time "
            f"{float(t[i]):.17g} for this SDE (its noise level changes too fast there); use fewer steps or another grid")
    return t


def _pin(sde: LinearSDE, t: Tensor) -> Tensor:
    """Set the end points exactly to T and eps (bisection leaves ~1e-15 off)."""
    t = t.clone()
    t[0], t[-1] = sde.T, sde.eps
    return t


# ---------------------------------------------------------------- Align Your Steps
#: Sabour, Fidler & Kreis 2024, "Align Your Steps" (arXiv:2404.14507): their optimised 10-step
#: schedules in the EDM noise level sigma, as published on the project's how-to page
#: (research.nvidia.com/labs/toronto-ai/AlignYourSteps/howto.html), sigma_max first.
AYS_SIGMAS = {
    "sd15": (14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520, 1.8841921177, 1.3943805092,
             0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0.0291671582),
    "sdxl": (14.6146412293, 6.3184485287, 3.7681790315, 2.1811480769, 1.3405244945, 0.8620721141,
             0.5550693289, 0.3798540708, 0.2332364134, 0.1114188177, 0.0291671582),
}


def ays_sigmas(steps: int, model: str = "sd15") -> list:
    """The published AYS noise levels, log-linearly interpolated to ``steps`` intervals.

    Sabour et al.'s rule for other step counts: log sigma is interpolated linearly against the
    normalised step index (their ``loglinear_interp``); at ``steps = 10`` the published values return.
    """
    steps = _check_steps(steps)
    if model not in AYS_SIGMAS:
        raise ValueError(f"model must be one of {', '.join(AYS_SIGMAS)}, got {model!r}")
    src = AYS_SIGMAS[model]
    if steps + 1 == len(src):
        return list(src)
    logs = [math.log(v) for v in src]
    k = len(src) - 1
    out = []
    for i in range(steps + 1):
        u = i * k / steps  # position on the published index axis
        j = min(int(u), k - 1)
        w = u - j
        out.append(math.exp((1 - w) * logs[j] + w * logs[j + 1]))
    return out


def ays(sde: LinearSDE, steps: int, model: str = "sd15") -> Tensor:
    """Align-Your-Steps grid (Sabour et al. 2024) carried over to ``sde``'s noise range.

    The published schedule spans sigma in [0.029, 14.6] (Stable Diffusion); here its log sigma is
    mapped affinely onto [log sigma(eps), log sigma(T)] of ``sde`` (so the relative spacing in
    log sigma is kept), then converted to times. With the same sigma range the published values
    are returned exactly.
    """
    sig = ays_sigmas(steps, model)
    la, lb = _log_sigma_range(sde)  # log sigma(T), log sigma(eps)
    a, b = math.log(sig[0]), math.log(sig[-1])
    log_sig = torch.tensor([lb + (math.log(v) - b) * (la - lb) / (a - b) for v in sig], dtype=torch.float64)
    return _from_log_sigma(sde, log_sig, "ays")


# ---------------------------------------------------------------- tuned grids (see grid_tuning.py)
def optimize(problem, sde: LinearSDE, predictor, nfe: int, **kwargs):
    """Tune a grid against the exact PF-ODE solution; see :func:`scoresde.grid_tuning.optimize`."""
    from . import grid_tuning

    return grid_tuning.optimize(problem, sde, predictor, nfe, **kwargs)


def load(path: str):
    """Load (and validate, and register by name) a tuned grid file; see :func:`scoresde.grid_tuning.load`."""
    from . import grid_tuning

    return grid_tuning.load(path)


def save(tuned, path: str) -> str:
    """Write a tuned grid as JSON, atomically; see :func:`scoresde.grid_tuning.save`."""
    from . import grid_tuning

    return grid_tuning.save(tuned, path)


def named(name: str, sde: LinearSDE) -> Tensor:
    """The registered tuned grid ``name`` as times for ``sde``; see :func:`scoresde.grid_tuning.named`."""
    from . import grid_tuning

    return grid_tuning.named(name).grid(sde)


#: name -> grid constructor (CLI names)
GRIDS = {"uniform": uniform, "geometric": geometric, "karras": karras, "log-snr": log_snr, "ays": ays}

__all__ = ["validate", "uniform", "geometric", "karras", "log_snr", "ays", "ays_sigmas", "AYS_SIGMAS", "twin",
           "optimize", "save", "load", "named", "GRIDS", "MAX_STEPS"]
