"""Black-box integrators beside the native sampler loop.

* :func:`pf_ode_torchdiffeq` -- the probability-flow ODE dx/dt = f(t) x - g(t)^2 score(x, t) / 2
  (Song et al. 2021, Eq. 13) through ``torchdiffeq.odeint`` over *decreasing* time, adaptive
  (dopri5, dopri8, bosh3, ...) or fixed-step (euler, midpoint, rk4, ...).
* :func:`pf_ode_scipy` -- the same ODE in float64 through ``scipy.integrate.solve_ivp`` on the
  flattened batch (one state vector): the high-accuracy reference (DOP853, rtol = atol = 1e-10).
* :func:`reverse_sdeint` -- the reverse-time SDE dx = [f(t) x - g(t)^2 score] dt + g(t) dw̄
  (Anderson 1982; Song et al. 2021, Eq. 6) through ``torchsde.sdeint``. torchsde integrates
  forward in time on (batch, channels) states, so the solve runs in tau = -t on flattened states:
  dy = -[f(-tau) y - g(-tau)^2 score(y, -tau)] dtau + g(-tau) dW(tau), with y(tau) = x(-tau).

The reverse SDE of a linear SDE has *additive* noise (g depends on t only), so its Itô and
Stratonovich forms coincide (the Itô-Stratonovich drift correction 1/2 g dg/dx vanishes;
Kloeden & Platen 1992, Eq. 4.9.7) and the additive-noise schemes apply: SRK of strong order 1.5
(Rößler 2010, SRA1), Milstein (= Euler-Maruyama here), and the Stratonovich midpoint/Heun schemes.

Every integrator counts score evaluations by wrapping the score (:class:`scoresde.params.CountingScore`);
NFE is never computed from a formula. A non-finite state or drift stops the solve with a
``FloatingPointError`` naming t and the evaluation count.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import torch
from torch import Tensor

from ._util import check_finite_number, check_positive
from .params import CountingScore
from .sde.base import LinearSDE

ScoreFn = Callable[[Tensor, Tensor], Tensor]

#: torchdiffeq methods with adaptive step size (take rtol/atol)
ODE_ADAPTIVE = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
#: torchdiffeq fixed-grid methods (need step_size or grid)
ODE_FIXED = ("euler", "midpoint", "heun2", "heun3", "rk4", "explicit_adams", "implicit_adams")
#: scipy.integrate.solve_ivp explicit methods
SCIPY_METHODS = ("RK23", "RK45", "DOP853")
#: torchsde methods usable on the reverse SDE, with the SDE type they are written for. Because the
#: noise is additive, Itô and Stratonovich forms are the same SDE and every one of these applies.
SDE_METHODS: Dict[str, str] = {
    "euler": "ito",
    "milstein": "ito",
    "srk": "ito",
    "midpoint": "stratonovich",
    "heun": "stratonovich",
    "euler_heun": "stratonovich",
    "log_ode": "stratonovich",
    "reversible_heun": "stratonovich",
}
#: torchsde noise types exposed here ("additive" avoids dense (B, d, d) diffusion matrices by
#: supplying the diffusion-vector product g(t) v directly)
NOISE_TYPES = ("additive", "diagonal")
_NEEDS_G = ("reversible_heun",)  # torchsde calls the full diffusion g(t, y) (diagonal noise only)
_LEVY_AREA = {"srk": "space-time", "log_ode": "foster"}


@dataclass
class IntegratorResult:
    """Result of a black-box solve.

    Attributes:
        x: final state (shape of the input; float64 for :func:`pf_ode_scipy`).
        nfe: score evaluations counted by wrapping the score function.
        method: the integrator's method name.
        t_start, t_end: the time span (t_start > t_end).
        steps: number of solver steps where known (fixed-step methods, scipy), else None.
        info: integrator-specific extras (e.g. scipy's ``nfev``, torchsde's noise/sde type, dt).
    """

    x: Tensor
    nfe: int
    method: str
    t_start: float
    t_end: float
    steps: Optional[int] = None
    info: Dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- validation
def check_state(x: Tensor, name: str = "x_T") -> None:
    """Raise ``ValueError`` naming ``name`` unless x is a finite floating tensor (B, ...) with B >= 1."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim < 1 or x.shape[0] < 1 or x.numel() == 0:
        raise ValueError(f"{name} must have shape (B, ...) with B >= 1 and at least one value, got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite ({int((~torch.isfinite(x)).sum())} non-finite entries)")


def check_span(sde: LinearSDE, t_start, t_end) -> Tuple[float, float]:
    """Resolve defaults (t_start = T, t_end = eps) and check T >= t_start > t_end >= 0."""
    if not isinstance(sde, LinearSDE):
        raise ValueError(f"sde must be a LinearSDE, got {type(sde).__name__}")
    t0 = sde.T if t_start is None else check_finite_number("t_start", t_start)
    t1 = sde.eps if t_end is None else check_finite_number("t_end", t_end)
    slack = 1e-9 * sde.T
    if not 0.0 <= t0 <= sde.T + slack:
        raise ValueError(f"t_start must lie in [0, T] = [0, {sde.T:g}], got {t0:g}")
    if not 0.0 <= t1 <= sde.T + slack:
        raise ValueError(f"t_end must lie in [0, T] = [0, {sde.T:g}], got {t1:g}")
    if not t0 > t1:
        raise ValueError(f"t_start must be > t_end (time runs from T down to eps), got t_start={t0:g}, t_end={t1:g}")
    return min(t0, sde.T), t1


def _check_score(score_fn) -> None:
    if not callable(score_fn):
        raise ValueError(f"score_fn must be callable as score_fn(x, t), got {type(score_fn).__name__}")


def _check_score_shape(s, x: Tensor) -> None:
    if not isinstance(s, Tensor) or s.shape != x.shape:
        raise ValueError(f"score_fn returned shape {tuple(getattr(s, 'shape', ()))} for x of shape {tuple(x.shape)}")


def _check_finite(x: Tensor, what: str, t: float, nfe: int) -> None:
    # one fused reduction on the fast path (NaN/inf propagate through the sum), as the sampler does
    if not math.isfinite(float(x.sum())):
        bad = int((~torch.isfinite(x)).sum())
        raise FloatingPointError(f"non-finite {what} ({bad} entries) at t={t:.6g} (score evaluation {nfe})")


# ---------------------------------------------------------------------------- the PF-ODE
class PFODEFunc:
    """dx/dt = f(t) x - 1/2 g(t)^2 score(x, t)  (Song et al. 2021, Eq. 13), for ODE solvers.

    ``t`` arrives as a scalar tensor; it is clamped to [lo, hi] (solvers nudge the end point by
    one ulp, and torchdiffeq's initial step-size probe can land far outside the interval) and
    passed to the score as a per-sample tensor (B,) in x's dtype. Counts score calls.
    """

    def __init__(self, sde: LinearSDE, score_fn: ScoreFn, lo: float, hi: float):
        self.sde = sde
        self.score = CountingScore(score_fn)  # always a fresh counter: nfe counts this solve only
        self.lo, self.hi = lo, hi

    @property
    def nfe(self) -> int:
        return self.score.nfe

    def drift(self, t: Tensor, x: Tensor) -> Tensor:
        tt = torch.clamp(torch.as_tensor(t, dtype=torch.float64), self.lo, self.hi).to(dtype=x.dtype, device=x.device)
        s = self.score(x, tt.expand(x.shape[0]))
        _check_score_shape(s, x)
        dx = self.sde.drift_coeff(tt) * x - 0.5 * self.sde.diffusion_sq(tt) * s
        _check_finite(dx, "PF-ODE drift (state or score)", float(tt), self.nfe)
        return dx

    __call__ = drift


def uniform_grid(t_start: float, t_end: float, step_size: float) -> Tensor:
    """Equal steps from t_start down to t_end, no longer than ``step_size`` (float64).

    The step is span / ceil(span / step_size) so that the grid lands exactly on t_end; a
    relative slack of 1e-9 keeps span / step_size = n (up to round-off) at n steps.
    """
    h = check_positive("step_size", step_size)
    span = t_start - t_end
    n = max(1, math.ceil(span / h - 1e-9))
    g = torch.linspace(t_start, t_end, n + 1, dtype=torch.float64)
    g[0], g[-1] = t_start, t_end
    return g


def _odeint_pf(func: Callable, y0, t0: float, t1: float, *, method: str, rtol, atol, options: Optional[dict],
               step_size: Optional[float], grid: Optional[Tensor]):
    """Integrate dy/dt = func(t, y) from t0 to t1 (either direction) with torchdiffeq.

    ``y0`` is a tensor or a tuple of tensors; returns (y(t1), steps) with steps known for fixed-step methods.
    """
    import torchdiffeq

    device = (y0[0] if isinstance(y0, tuple) else y0).device

    opts = dict(options or {})
    steps = None
    if method in ODE_FIXED:
        if grid is None:
            if step_size is None:
                if "step_size" in opts or "grid_constructor" in opts:
                    raise ValueError("pass step_size/grid as arguments, not through options")
                raise ValueError(f"method {method!r} is fixed-step: give step_size or grid")
            lo, hi = min(t0, t1), max(t0, t1)
            grid = uniform_grid(hi, lo, step_size)
            if t1 > t0:
                grid = grid.flip(0)
        g = grid.to(device=device)
        steps = g.numel() - 1
        opts["grid_constructor"] = lambda func, y0, t: g.to(t.dtype)
        t = torch.stack([g[0], g[-1]])
    elif method in ODE_ADAPTIVE:
        if step_size is not None or grid is not None:
            raise ValueError(f"step_size/grid apply to fixed-step methods {ODE_FIXED}, not to adaptive {method!r}")
        t = torch.tensor([t0, t1], dtype=torch.float64, device=device)
        # Land exactly on t1: torchdiffeq's adaptive RK steps may otherwise overshoot the end of the
        # interval (evaluating the score outside [eps, T]) and interpolate back.
        opts.setdefault("step_t", torch.tensor([t1], dtype=torch.float64, device=device))
    else:
        raise ValueError(f"method must be one of {ODE_ADAPTIVE + ODE_FIXED}, got {method!r}")
    with torch.no_grad():
        out = torchdiffeq.odeint(func, y0, t, rtol=rtol, atol=atol, method=method, options=opts)
    if isinstance(out, tuple):
        return tuple(o[-1] for o in out), steps
    return out[-1], steps


def pf_ode_torchdiffeq(
    sde: LinearSDE,
    score_fn: ScoreFn,
    x_T: Tensor,
    *,
    t_start: Optional[float] = None,
    t_end: Optional[float] = None,
    method: str = "dopri5",
    rtol: float = 1e-5,
    atol: float = 1e-5,
    options: Optional[dict] = None,
    step_size: Optional[float] = None,
    grid: Optional[Tensor] = None,
) -> IntegratorResult:
    """Integrate the probability-flow ODE (Song et al. 2021, Eq. 13) from t_start down to t_end.

    Args:
        sde: the forward SDE; score_fn(x, t) its score (t per-sample, shape (B,)).
        x_T: starting state (B, ...), any rank; the result keeps its shape, dtype and device.
        t_start, t_end: time span, default T and sde.eps; T >= t_start > t_end >= 0.
        method: torchdiffeq adaptive (``ODE_ADAPTIVE``; rtol/atol apply to the whole batch's RMS
            norm, as in score_sde) or fixed-step (``ODE_FIXED``; give ``step_size`` -- rounded to
            equal steps landing on t_end, see :func:`uniform_grid` -- or an explicit decreasing ``grid``).
        options: extra torchdiffeq options (adaptive methods).
    """
    _check_score(score_fn)
    check_state(x_T, "x_T")
    if grid is not None:
        from .grids import validate

        grid = validate(grid, sde, "grid")
        if t_start is not None or t_end is not None:
            raise ValueError("give either grid or t_start/t_end, not both")
        t0, t1 = float(grid[0]), float(grid[-1])
    else:
        t0, t1 = check_span(sde, t_start, t_end)
    rtol = check_positive("rtol", rtol)
    atol = check_positive("atol", atol)
    func = PFODEFunc(sde, score_fn, t1, t0)
    x, steps = _odeint_pf(func, x_T, t0, t1, method=method, rtol=rtol, atol=atol, options=options,
                          step_size=step_size, grid=grid)
    _check_finite(x, "result", t1, func.nfe)
    return IntegratorResult(x=x, nfe=func.nfe, method=method, t_start=t0, t_end=t1, steps=steps,
                            info={"rtol": rtol, "atol": atol} if method in ODE_ADAPTIVE else {})


def pf_ode_scipy(
    sde: LinearSDE,
    score_fn: ScoreFn,
    x_T: Tensor,
    *,
    t_start: Optional[float] = None,
    t_end: Optional[float] = None,
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-10,
) -> IntegratorResult:
    """Reference solve of the PF-ODE with ``scipy.integrate.solve_ivp`` in float64.

    The whole batch is one flattened state vector (so one score call per scipy function
    evaluation); the score is evaluated in float64 on x_T's device. Returns x in float64.
    """
    import numpy as np
    from scipy.integrate import solve_ivp

    _check_score(score_fn)
    check_state(x_T, "x_T")
    t0, t1 = check_span(sde, t_start, t_end)
    if method not in SCIPY_METHODS:
        raise ValueError(f"method must be one of {SCIPY_METHODS}, got {method!r}")
    rtol = check_positive("rtol", rtol)
    atol = check_positive("atol", atol)
    shape, device = x_T.shape, x_T.device
    func = PFODEFunc(sde, score_fn, t1, t0)

    def fun(t, y):
        x = torch.from_numpy(y).to(device).reshape(shape)
        with torch.no_grad():
            dx = func(torch.tensor(t, dtype=torch.float64), x)
        return dx.reshape(-1).cpu().numpy()

    y0 = x_T.detach().to(torch.float64).reshape(-1).cpu().numpy()
    sol = solve_ivp(fun, (t0, t1), y0, method=method, rtol=rtol, atol=atol)
    if sol.status != 0:
        raise RuntimeError(f"solve_ivp ({method}) failed between t={t0:g} and t={t1:g}: {sol.message}")
    x = torch.from_numpy(np.ascontiguousarray(sol.y[:, -1])).to(device).reshape(shape)
    return IntegratorResult(x=x, nfe=func.nfe, method=method, t_start=t0, t_end=t1, steps=len(sol.t) - 1,
                            info={"nfev": int(sol.nfev), "rtol": rtol, "atol": atol})


# ---------------------------------------------------------------------------- the reverse SDE
class _ReverseSDEInTau:
    """The reverse SDE in tau = -t on flattened states (B, D), in torchsde's f / g_prod form.

    f(tau, y)       = -[f(t) x - g(t)^2 score(x, t)],  t = -tau   (Song et al. 2021, Eq. 6)
    g_prod(tau,y,v) = g(t) v                              (additive noise: no (B, D, D) matrix)
    """

    def __init__(self, sde: LinearSDE, score: CountingScore, shape, lo: float, hi: float, noise_type: str, sde_type: str):
        self.sde, self.score, self.shape = sde, score, tuple(shape)
        self.lo, self.hi = lo, hi
        self.noise_type, self.sde_type = noise_type, sde_type
        # One-entry cache (tau, y, drift): torchsde's shape check evaluates f(ts[0], y0) and the first
        # step (both halves of an adaptive step too) repeats it; the score is assumed deterministic.
        self._last = None

    def _t(self, tau: Tensor, y: Tensor) -> Tensor:
        t = torch.clamp(-torch.as_tensor(tau, dtype=torch.float64), self.lo, self.hi)
        return t.to(dtype=y.dtype, device=y.device)

    def f(self, tau: Tensor, y: Tensor) -> Tensor:
        last = self._last
        if last is not None and last[1] is y and last[0] == float(tau):
            return last[2]
        t = self._t(tau, y)
        x = y.reshape(self.shape)
        s = self.score(x, t.expand(self.shape[0]))
        _check_score_shape(s, x)
        drift = -(self.sde.drift_coeff(t) * x - self.sde.diffusion_sq(t) * s).reshape(y.shape)
        _check_finite(drift, "reverse-SDE drift (state or score)", float(t), self.score.nfe)
        self._last = (float(tau), y, drift)
        return drift

    def g_prod(self, tau: Tensor, y: Tensor, v: Tensor) -> Tensor:
        return torch.sqrt(self.sde.diffusion_sq(self._t(tau, y))) * v

    def f_and_g_prod(self, tau: Tensor, y: Tensor, v: Tensor) -> Tuple[Tensor, Tensor]:
        return self.f(tau, y), self.g_prod(tau, y, v)


class _ReverseSDEInTauDiagonal(_ReverseSDEInTau):
    """Same SDE declared with diagonal noise: g(tau, y) = g(t) 1 of shape (B, D)."""

    def g(self, tau: Tensor, y: Tensor) -> Tensor:
        return torch.sqrt(self.sde.diffusion_sq(self._t(tau, y))).expand(y.shape)


def brownian_interval(
    sde: LinearSDE,
    x_T: Tensor,
    *,
    t_start: Optional[float] = None,
    t_end: Optional[float] = None,
    seed: Optional[int] = 0,
    method: str = "euler",
    **kwargs,
):
    """A ``torchsde.BrownianInterval`` for :func:`reverse_sdeint`, on tau in [-t_start, -t_end].

    Its values have shape (B, D) with D = x_T[0].numel(). Pass the same object to several
    :func:`reverse_sdeint` calls (e.g. different ``dt``) to drive them with one Brownian path:
    queries of one BrownianInterval are mutually consistent. ``seed`` is torchsde's ``entropy``
    (None draws one from torch's global generator). Extra keywords go to BrownianInterval, e.g.
    ``dt`` (the expected step size: much faster queries for fixed-step solves) or ``halfway_tree=True``
    (a path determined by the seed alone, independent of the query order; slower).
    """
    import torchsde

    check_state(x_T, "x_T")
    t0, t1 = check_span(sde, t_start, t_end)
    if method not in SDE_METHODS:
        raise ValueError(f"method must be one of {tuple(SDE_METHODS)}, got {method!r}")
    kwargs.setdefault("levy_area_approximation", _LEVY_AREA.get(method, "none"))
    B, D = x_T.shape[0], x_T[0].numel()
    return torchsde.BrownianInterval(t0=-t0, t1=-t1, size=(B, D), dtype=x_T.dtype, device=x_T.device,
                                     entropy=_entropy(seed), **kwargs)


def _entropy(seed: Optional[int]) -> int:
    if seed is None:
        return int(torch.randint(0, 2**31 - 1, ()).item())
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    return seed


def reverse_sdeint(
    sde: LinearSDE,
    score_fn: ScoreFn,
    x_T: Tensor,
    *,
    t_start: Optional[float] = None,
    t_end: Optional[float] = None,
    method: str = "euler",
    dt: Optional[float] = None,
    adaptive: bool = False,
    rtol: float = 1e-5,
    atol: float = 1e-4,
    dt_min: float = 1e-5,
    noise_type: str = "additive",
    bm=None,
    seed: Optional[int] = None,
    options: Optional[dict] = None,
) -> IntegratorResult:
    """Solve the reverse-time SDE (Song et al. 2021, Eq. 6) from t_start down to t_end with torchsde.

    Args:
        method: a torchsde scheme (``SDE_METHODS``): euler (Euler-Maruyama), milstein, srk
            (strong order 1.5), midpoint, heun, euler_heun, log_ode, reversible_heun.
            Stratonovich schemes are valid because the noise is additive (module docstring).
        dt: step size (default (t_start - t_end) / sde.N). Without ``adaptive`` it is rounded to
            span / ceil(span / dt) so the equal steps land on t_end (see ``result.info["dt"]``);
            with ``adaptive`` it is the initial step (torchsde's step doubling; rtol, atol, dt_min).
        noise_type: "additive" (default: torchsde gets g(t) v, enabling SRA1 in srk) or "diagonal"
            (g as a (B, D) tensor; needed by reversible_heun).
        bm: a torchsde Brownian motion on tau = -t in [-t_start, -t_end] with size (B, D) -- build
            it with :func:`brownian_interval` to share a path between solves. Default: a fresh
            BrownianInterval with entropy ``seed`` (None: drawn from torch's global generator).

    The state is flattened to (B, D) for torchsde and reshaped back. Samples depend on the
    whole batch's Brownian draw (unlike the native loop's per-sample seeds).
    """
    import torchsde

    _check_score(score_fn)
    check_state(x_T, "x_T")
    t0, t1 = check_span(sde, t_start, t_end)
    if method not in SDE_METHODS:
        raise ValueError(f"method must be one of {tuple(SDE_METHODS)}, got {method!r}")
    if noise_type not in NOISE_TYPES:
        raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    if method in _NEEDS_G and noise_type != "diagonal":
        raise ValueError(f"method {method!r} needs the full diffusion matrix: use noise_type='diagonal'")
    span = t0 - t1
    dt = span / sde.N if dt is None else check_positive("dt", dt)
    adaptive = bool(adaptive)
    if adaptive:
        rtol, atol, dt_min = check_positive("rtol", rtol), check_positive("atol", atol), check_positive("dt_min", dt_min)
        steps = None
        dt_eff = dt
    else:
        steps = max(1, math.ceil(span / dt - 1e-9))
        # torchsde advances tau by repeated "+ dt"; a 1e-10 relative stretch makes the last
        # accumulated step reach the end point instead of leaving a round-off-sized extra step.
        dt_eff = span / steps * (1 + 1e-10)
    B, D = x_T.shape[0], x_T[0].numel()
    if bm is None:
        # torchsde's dt hint lets the interval tree be built for the step size (3x faster at 400 steps)
        bm = brownian_interval(sde, x_T, t_start=t0, t_end=t1, seed=seed, method=method, dt=dt_eff)
    else:
        if tuple(bm.shape) != (B, D):
            raise ValueError(f"bm must have size (B, D) = ({B}, {D}), got {tuple(bm.shape)}")
        lo, hi = float(getattr(bm, "_start", -t0)), float(getattr(bm, "_end", -t1))  # BrownianInterval's span
        if lo > -t0 + 1e-9 or hi < -t1 - 1e-9:
            raise ValueError(f"bm must cover tau = -t in [{-t0:g}, {-t1:g}], got [{lo:g}, {hi:g}]")
    score = CountingScore(score_fn)
    cls = _ReverseSDEInTauDiagonal if noise_type == "diagonal" else _ReverseSDEInTau
    rsde = cls(sde, score, x_T.shape, t1, t0, noise_type, SDE_METHODS[method])
    ts = torch.tensor([-t0, -t1], dtype=torch.float64, device=x_T.device)
    y0 = x_T.detach().reshape(B, D)
    with torch.no_grad():
        ys = torchsde.sdeint(rsde, y0, ts, bm=bm, method=method, dt=dt_eff, adaptive=adaptive, rtol=rtol,
                             atol=atol, dt_min=dt_min, options=options)
    x = ys[-1].reshape(x_T.shape)
    _check_finite(x, "result", t1, score.nfe)
    return IntegratorResult(x=x, nfe=score.nfe, method=method, t_start=t0, t_end=t1, steps=steps,
                            info={"dt": dt_eff, "adaptive": adaptive, "noise_type": noise_type,
                                  "sde_type": SDE_METHODS[method]})


__all__ = [
    "IntegratorResult", "pf_ode_torchdiffeq", "pf_ode_scipy", "reverse_sdeint", "brownian_interval",
    "uniform_grid", "PFODEFunc", "check_state", "check_span",
    "ODE_ADAPTIVE", "ODE_FIXED", "SCIPY_METHODS", "SDE_METHODS", "NOISE_TYPES",
]
