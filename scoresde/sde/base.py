"""The one base class: a linear SDE  dx = f(t) x dt + g(t) dw  with Gaussian kernel
x_t = m(t) x_0 + s(t) z  (Song et al. 2021, "Score-Based Generative Modeling through SDEs",
Eq. 5 and Appendix B; Särkkä & Solin 2019, Eq. 5.50-5.51 for the mean/variance ODEs).

A subclass supplies four scalar functions of t, in numerically careful (expm1/log1p) form:

* ``log_mean_coeff(t)``  = log m(t)
* ``marginal_var(t)``    = s(t)^2
* ``drift_coeff(t)``     = f(t)  = d log m / dt
* ``diffusion_sq(t)``    = g(t)^2 = d s^2/dt - 2 f s^2

Everything else -- drift and diffusion, marginals, prior, the EDM view (noise level
sigma = s/m and scale m), log-SNR, the exact transition between two times, the discrete
twin (DDPM / SMLD Markov chain), and the reverse-time SDE / probability-flow ODE -- is
derived here once. See README "How to add an SDE".
"""
from __future__ import annotations

import abc
import math
from typing import Callable, ClassVar, Optional, Sequence

import torch
from torch import Tensor

from .._util import (
    TimeLike,
    as_time,
    check_finite_number,
    check_int,
    check_positive,
    check_time,
    expand_like,
    sum_except_batch,
)
from ..chain import MarkovChain

ScoreFn = Callable[[Tensor, Tensor], Tensor]


class LinearSDE(abc.ABC):
    """Base class of every forward process: dx = f(t) x dt + g(t) dw on t in [0, T].

    Attributes:
        T: terminal time.
        eps: smallest time at which samplers evaluate the score (the grid's last point).
        N: size of the discrete twin (number of Markov-chain steps).
    """

    #: short registry name, e.g. "vp"
    name: ClassVar[str] = "linear"
    #: True when m(t) == 1 (variance exploding); then x_t = x_0 + s(t) z.
    variance_exploding: ClassVar[bool] = False
    #: the discrete twin's name: "ddpm" (VP family) or "smld" (VE)
    chain_kind: ClassVar[str] = "general"

    def __init__(self, *, T: float = 1.0, eps: float = 1e-3, N: int = 1000):
        self.T = check_positive("T", T)
        self.eps = check_finite_number("eps", eps)
        if not 0.0 < self.eps < self.T:
            raise ValueError(f"eps must lie in (0, T) = (0, {self.T:g}), got {self.eps:g}")
        self.N = check_int("N", N, 1)

    # ------------------------------------------------------------------ subclass hooks
    @abc.abstractmethod
    def log_mean_coeff(self, t: Tensor) -> Tensor:
        """log m(t)."""

    @abc.abstractmethod
    def marginal_var(self, t: Tensor) -> Tensor:
        """s(t)^2, the kernel variance (accurate near t = 0)."""

    @abc.abstractmethod
    def drift_coeff(self, t: Tensor) -> Tensor:
        """f(t) = d log m / dt."""

    @abc.abstractmethod
    def diffusion_sq(self, t: Tensor) -> Tensor:
        """g(t)^2 = d s^2/dt - 2 f(t) s^2."""

    @property
    def prior_std(self) -> float:
        """Standard deviation of the prior N(0, prior_std^2 I) that approximates p_T."""
        return math.sqrt(float(self.marginal_var(torch.tensor(self.T, dtype=torch.float64))))

    def config(self) -> dict:
        """Constructor arguments (plain values), enough to rebuild the SDE with ``from_config``."""
        return {"name": self.name, "T": self.T, "eps": self.eps, "N": self.N}

    # ------------------------------------------------------------------ scalar functions
    def _t(self, t: TimeLike, x: Optional[Tensor] = None) -> Tensor:
        """t as a tensor: on x's device/dtype when x is given; a Python float keeps double precision."""
        check_time(t, self.T)
        if x is None and not isinstance(t, Tensor):
            return torch.tensor(float(t), dtype=torch.float64)
        return as_time(t, x)

    def mean_coeff(self, t: TimeLike) -> Tensor:
        """m(t) (the EDM "scale" s(t))."""
        return torch.exp(self.log_mean_coeff(self._t(t)))

    scale = mean_coeff

    def marginal_std(self, t: TimeLike) -> Tensor:
        """s(t)."""
        return torch.sqrt(self.marginal_var(self._t(t)))

    def noise_level(self, t: TimeLike) -> Tensor:
        """EDM noise level sigma(t) = s(t)/m(t) (Karras et al. 2022, Eq. 4 and Table 1)."""
        t = self._t(t)
        return torch.sqrt(self.marginal_var(t)) * torch.exp(-self.log_mean_coeff(t))

    def log_snr(self, t: TimeLike) -> Tensor:
        """lambda(t) = log(m/s) (Kingma et al. 2021 write log-SNR = 2 lambda)."""
        t = self._t(t)
        return self.log_mean_coeff(t) - 0.5 * torch.log(self.marginal_var(t))

    def diffusion(self, t: TimeLike) -> Tensor:
        """g(t)."""
        return torch.sqrt(self.diffusion_sq(self._t(t)))

    # ------------------------------------------------------------------ Song et al. API
    def sde(self, x: Tensor, t: TimeLike) -> tuple[Tensor, Tensor]:
        """Forward drift f(t) x and diffusion g(t) (broadcastable against x)."""
        t = self._t(t, x)
        return expand_like(self.drift_coeff(t), x) * x, expand_like(torch.sqrt(self.diffusion_sq(t)), x)

    def marginal_prob(self, x: Tensor, t: TimeLike) -> tuple[Tensor, Tensor]:
        """Mean m(t) x_0 and std s(t) of p_{0t}(x_t | x_0) (Song et al. 2021, Eq. 29, 33)."""
        t = self._t(t, x)
        return expand_like(torch.exp(self.log_mean_coeff(t)), x) * x, expand_like(
            torch.sqrt(self.marginal_var(t)), x
        )

    def prior_sampling(
        self,
        shape: Sequence[int],
        generator: Optional[torch.Generator] = None,
        *,
        dtype: Optional[torch.dtype] = None,
        device=None,
    ) -> Tensor:
        """Draw from the prior N(0, prior_std^2 I)."""
        from .._validate import check_shape

        shape = check_shape(shape)  # 4.7 is refused, not truncated
        if generator is not None and device is None:
            device = generator.device
        z = torch.randn(shape, generator=generator, dtype=dtype, device=device)
        return self.prior_std * z

    def prior_logp(self, z: Tensor) -> Tensor:
        """log N(z; 0, prior_std^2 I), summed over all but the batch dimension."""
        if z.ndim < 1:
            raise ValueError("z must have a batch dimension")
        d = z[0].numel()
        std = self.prior_std
        # written with log(std) and z/std so that neither std^2 nor z^2 can overflow
        return -d * (math.log(std) + 0.5 * math.log(2 * math.pi)) - 0.5 * sum_except_batch((z / std) ** 2)

    # ------------------------------------------------------------------ exact transitions
    def transition(self, t_from: TimeLike, t_to: TimeLike) -> tuple[Tensor, Tensor]:
        """Exact kernel between two times: x_{t_to} = a x_{t_from} + b z, t_from <= t_to.

        a = m(t_to)/m(t_from),  b^2 = m(t_to)^2 (sigma(t_to)^2 - sigma(t_from)^2), which is
        the integral of (m(t_to)/m(u))^2 g(u)^2 du (Särkkä & Solin 2019, Eq. 6.6-6.7).
        Returned in float64 unless a tensor of another dtype was passed.
        """
        t0 = as_time(t_from, dtype=torch.float64) if not isinstance(t_from, Tensor) else t_from
        t1 = as_time(t_to, dtype=torch.float64) if not isinstance(t_to, Tensor) else t_to
        check_time(t0, self.T, "t_from")
        check_time(t1, self.T, "t_to")
        if bool((t1 < t0).any()):
            raise ValueError("transition needs t_from <= t_to")
        return self._transition(t0, t1)

    def _transition(self, t0: Tensor, t1: Tensor) -> tuple[Tensor, Tensor]:
        dlog = self.log_mean_coeff(t1) - self.log_mean_coeff(t0)
        a = torch.exp(dlog)
        sig2 = lambda t: self.marginal_var(t) * torch.exp(-2 * self.log_mean_coeff(t))  # noqa: E731
        b2 = torch.exp(2 * self.log_mean_coeff(t1)) * (sig2(t1) - sig2(t0))
        return a, torch.sqrt(torch.clamp(b2, min=0.0))

    # ------------------------------------------------------------------ discrete twin
    def chain(self, N: Optional[int] = None) -> MarkovChain:
        """The discrete twin of size N: the Markov chain x_i = a_i x_{i-1} + b_i z at t_i = iT/N.

        The mapping goes through the exact kernel at the grid times (a_i = m_i/m_{i-1}, and for
        VP beta_i = 1 - abar_i/abar_{i-1} with abar_i = m(t_i)^2), so 0 < beta_i < 1 for every
        N >= 1. score_sde's beta_i = beta(t_i)/N instead reaches beta >= 1 for N <= 20. The
        chain's q(x_i | x_0) equals the SDE marginal at t_i exactly (x_0 is the data; s_0 = 0).
        """
        N = self.N if N is None else check_int("N", N, 1)
        times = torch.linspace(0.0, self.T, N + 1, dtype=torch.float64)
        return self.chain_on(times)

    def chain_on(self, times: Tensor) -> MarkovChain:
        """The discrete twin on an arbitrary increasing time grid starting at t_0 = 0."""
        times = torch.as_tensor(times, dtype=torch.float64)
        if times.ndim != 1 or times.numel() < 2 or float(times[0]) != 0.0:
            raise ValueError("times must be a 1-D grid starting at 0 with at least 2 points")
        check_time(times, self.T, "times")
        if not bool((times[1:] > times[:-1]).all()):
            raise ValueError("times must be strictly increasing")
        m = torch.exp(self.log_mean_coeff(times))
        s = torch.sqrt(self.marginal_var(times))
        s[0] = 0.0  # x_0 is the data (matters for the SMLD convention, where s(0) = sigma_min)
        a, b = self._transition(times[:-1], times[1:])
        if float(self.marginal_var(times[:1])) > 0:  # SMLD convention: first step adds s(t_1)^2
            b = b.clone()
            b[0] = s[1]
        return MarkovChain(times=times, m=m, s=s, a=a, b=b, kind=self.chain_kind)

    def discretize(self, x: Tensor, t: TimeLike, N: Optional[int] = None) -> tuple[Tensor, Tensor]:
        """One step of the discrete twin ending at t (Song et al. 2021, Eq. 45): x_i = x_{i-1} + f + G z.

        ``t`` must be a twin time t_i = iT/N with i >= 1 (per-sample tensors allowed). Returns
        f = (a_i - 1) x_{i-1} (evaluated at the given x) and G = b_i, broadcastable against x.
        """
        chain = self._cached_chain(self.N if N is None else N)
        idx = chain.index_of(as_time(t, dtype=torch.float64))
        a = chain.a.to(x)[idx - 1]
        b = chain.b.to(x)[idx - 1]
        return expand_like(a - 1, x) * x, expand_like(b, x)

    def _cached_chain(self, N: int) -> MarkovChain:
        cache = self.__dict__.setdefault("_chain_cache", {})
        if N not in cache:
            cache[N] = self.chain(N)
        return cache[N]

    # ------------------------------------------------------------------ inverses (for grids)
    def t_from_noise_level(self, sigma: Tensor) -> Tensor:
        """Invert sigma(t) = s/m (monotone increasing) by bisection in float64."""
        return self._invert(lambda t: self.noise_level(t), sigma, "noise level")

    def t_from_log_snr(self, lam: Tensor) -> Tensor:
        """Invert lambda(t) = log(m/s) (monotone decreasing) by bisection in float64."""
        return self._invert(lambda t: -self.log_snr(t), -torch.as_tensor(lam, dtype=torch.float64), "log-SNR")

    def _invert(self, fn, y, what: str) -> Tensor:
        y = torch.as_tensor(y, dtype=torch.float64)
        lo = torch.zeros_like(y)
        hi = torch.full_like(y, self.T)
        f_lo, f_hi = fn(lo), fn(hi)
        if bool(((y < f_lo - 1e-12 * f_lo.abs()) | (y > f_hi + 1e-12 * f_hi.abs())).any()):
            raise ValueError(f"{what} outside the range of this SDE on [0, T]")
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            up = fn(mid) < y
            lo = torch.where(up, mid, lo)
            hi = torch.where(up, hi, mid)
        return 0.5 * (lo + hi)

    # ------------------------------------------------------------------ reverse time
    def reverse(self, score_fn: ScoreFn, probability_flow: bool = False) -> "ReverseSDE":
        """The reverse-time SDE (Anderson 1982; Song et al. 2021, Eq. 6) or, with
        ``probability_flow=True``, the probability-flow ODE (Song et al. 2021, Eq. 13)."""
        return ReverseSDE(self, score_fn, probability_flow)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class ReverseSDE:
    """dx = [f(t) x - c g(t)^2 score(x, t)] dt + g'(t) dw̄, run from T down to 0.

    c = 1 and g' = g for the reverse SDE (Anderson 1982; Song et al. 2021, Eq. 6);
    c = 1/2 and g' = 0 for the probability-flow ODE (Song et al. 2021, Eq. 13).
    """

    def __init__(self, forward: LinearSDE, score_fn: ScoreFn, probability_flow: bool = False):
        self.forward = forward
        self.score_fn = score_fn
        self.probability_flow = bool(probability_flow)
        self.T, self.eps, self.N = forward.T, forward.eps, forward.N

    def sde(self, x: Tensor, t: TimeLike) -> tuple[Tensor, Tensor]:
        """(drift, diffusion) of the reverse process; drift is d x / d t (t decreasing)."""
        fwd = self.forward
        tt = fwd._t(t, x)
        if tt.ndim == 0:
            tt_vec = tt.expand(x.shape[0])
        else:
            tt_vec = tt
        drift, g = fwd.sde(x, tt)
        coef = 0.5 if self.probability_flow else 1.0
        drift = drift - coef * g * g * self.score_fn(x, tt_vec)
        return drift, (torch.zeros_like(g) if self.probability_flow else g)
