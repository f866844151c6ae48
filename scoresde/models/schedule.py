"""A discrete alpha-bar table (diffusers' 1000-step DDPM schedules) as a continuous VP ``LinearSDE``.

Knots: timestep k = 0..N-1 sits at t_k = (k + 1) T / N (T = 1), where alpha_bar(t_k) = alpha_bar_k exactly;
the model is called at the continuous timestep k(t) = t N / T - 1. Between knots the log-SNR
lambda = log(m/s) = 1/2 log(alpha_bar / (1 - alpha_bar)) is interpolated in t by the monotone cubic Hermite
(PCHIP) interpolant (Fritsch & Carlson 1980; harmonic-mean knot slopes, Fritsch & Butland 1984): it hits
every knot, keeps lambda decreasing, and is C^1, so the drift f is continuous -- with a piecewise-linear
lambda, f jumps at each of the 1000 knots and an adaptive reference solver has to restart at every one
(measured: a DOP853 reference took minutes instead of seconds); on
[0, t_0] log alpha_bar is linear in t from 0 (alpha_bar(0) = 1: the data) to log alpha_bar_0.
VP family: m^2 = alpha_bar = sigmoid(2 lambda), s^2 = 1 - m^2; f = d log m/dt = s^2 dlambda/dt,
g^2 = ds^2/dt - 2 f s^2 = -2 f (since ds^2/dt = -2 m^2 f). eps = t_0 (timestep 0).

:func:`conversion_error` measures what the interpolation does: m(t_k)^2 - alpha_bar_k at the knots
(float64 round-off), and at the midpoints the gap between the PCHIP lambda and the 4-point (Catmull-Rom)
cubic through the neighbouring knots (an estimate of the interpolation error).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..sde.base import LinearSDE


class DiscreteScheduleSDE(LinearSDE):
    """VP SDE through a table alpha_bar_0 > ... > alpha_bar_{N-1} (module docstring)."""

    name = "vp-table"
    chain_kind = "ddpm"

    def __init__(self, alphas_cumprod, *, T: float = 1.0, label: str = "table"):
        ab = torch.as_tensor(alphas_cumprod, dtype=torch.float64).flatten().cpu()
        if ab.numel() < 2 or not bool(((ab > 0) & (ab < 1)).all()):
            raise ValueError("alphas_cumprod must hold at least 2 values in (0, 1)")
        if not bool((ab[1:] < ab[:-1]).all()):
            raise ValueError("alphas_cumprod must be strictly decreasing")
        N = ab.numel()
        super().__init__(T=T, eps=T / N, N=N)
        self.alphas_cumprod, self.label = ab, label
        self.knots = (torch.arange(N, dtype=torch.float64) + 1) * T / N
        self.lam = 0.5 * (torch.log(ab) - torch.log1p(-ab))
        self.h = T / N
        sec = (self.lam[1:] - self.lam[:-1]) / self.h  # secant slopes, all < 0
        d = torch.empty_like(self.lam)
        d[1:-1] = 2.0 / (1.0 / sec[:-1] + 1.0 / sec[1:])  # harmonic mean: monotone (Fritsch & Butland 1984)
        d[0], d[-1] = sec[0], sec[-1]
        self.dlam = d

    def config(self) -> dict:
        return {**super().config(), "table": self.label}

    @property
    def prior_std(self) -> float:
        return 1.0

    # ---- timestep map
    def timestep(self, t) -> Tensor:
        """Continuous diffusers timestep k(t) = t N / T - 1 (float64)."""
        return torch.as_tensor(t, dtype=torch.float64) * self.N / self.T - 1.0

    def time_of(self, k) -> Tensor:
        """t(k) = (k + 1) T / N."""
        return (torch.as_tensor(k, dtype=torch.float64) + 1.0) * self.T / self.N

    # ---- the four hooks
    def _seg(self, t: Tensor):
        """(t, segment, lambda(t), dlambda/dt) by cubic Hermite interpolation."""
        tt = t.to(torch.float64)
        kn, lam, d = self.knots.to(tt.device), self.lam.to(tt.device), self.dlam.to(tt.device)
        idx = (torch.searchsorted(kn, tt, right=True) - 1).clamp(0, self.N - 2)
        h = self.h
        u = ((tt - kn[idx]) / h).clamp(0.0, 1.0)
        y0, y1, d0, d1 = lam[idx], lam[idx + 1], d[idx] * h, d[idx + 1] * h
        u2, u3 = u * u, u * u * u
        val = (2 * u3 - 3 * u2 + 1) * y0 + (u3 - 2 * u2 + u) * d0 + (-2 * u3 + 3 * u2) * y1 + (u3 - u2) * d1
        der = ((6 * u2 - 6 * u) * y0 + (3 * u2 - 4 * u + 1) * d0 + (-6 * u2 + 6 * u) * y1 + (3 * u2 - 2 * u) * d1) / h
        return tt, idx, val, der

    def _head(self, tt: Tensor) -> Tensor:
        """log alpha_bar on [0, t_0]."""
        return tt / float(self.knots[0]) * float(math.log(self.alphas_cumprod[0]))

    def log_mean_coeff(self, t: Tensor) -> Tensor:
        tt, _, lam, _ = self._seg(t)
        out = torch.where(tt >= self.knots[0], 0.5 * F.logsigmoid(2 * lam), 0.5 * self._head(tt))
        return out.to(t.dtype) if t.is_floating_point() else out

    def marginal_var(self, t: Tensor) -> Tensor:
        tt, _, lam, _ = self._seg(t)
        out = torch.where(tt >= self.knots[0], torch.sigmoid(-2 * lam), -torch.expm1(self._head(tt)))
        return out.to(t.dtype) if t.is_floating_point() else out

    def drift_coeff(self, t: Tensor) -> Tensor:
        tt, _, lam, sl = self._seg(t)
        head = 0.5 * float(math.log(self.alphas_cumprod[0])) / float(self.knots[0])
        out = torch.where(tt >= self.knots[0], torch.sigmoid(-2 * lam) * sl, torch.full_like(tt, head))
        return out.to(t.dtype) if t.is_floating_point() else out

    def diffusion_sq(self, t: Tensor) -> Tensor:
        return -2 * self.drift_coeff(t)

    def _transition(self, t0: Tensor, t1: Tensor):
        # VP: s^2 = 1 - m^2, so b^2 = 1 - a^2 exactly (as VPSDE._transition)
        dlog = self.log_mean_coeff(t1) - self.log_mean_coeff(t0)
        return torch.exp(dlog), torch.sqrt(-torch.expm1(2 * dlog))


def conversion_error(sde: DiscreteScheduleSDE) -> dict:
    """How faithfully the continuous SDE carries the table (module docstring)."""
    ab = sde.alphas_cumprod
    knot = float((torch.exp(2 * sde.log_mean_coeff(sde.knots)) - ab).abs().max())
    lam = sde.lam
    mid_t = 0.5 * (sde.knots[1:-2] + sde.knots[2:-1])
    cubic = (-lam[:-3] + 9 * lam[1:-2] + 9 * lam[2:-1] - lam[3:]) / 16  # 4-point midpoint
    got = sde.log_snr(mid_t)
    d = (got - cubic).abs()
    k = int(d.argmax())
    return {"knot_alpha_bar_max_abs": knot, "midpoint_log_snr_vs_4pt_cubic_max": float(d.max()),
            "at_timestep": float(sde.timestep(mid_t[k])),
            "midpoint_log_snr_vs_4pt_cubic_median": float(d.median())}


__all__ = ["DiscreteScheduleSDE", "conversion_error"]
