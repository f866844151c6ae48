"""What the measure stage works with: the target (exact mixture or held-out data) and a context."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple

import torch
from torch import Tensor

from ...analytic import GaussianMixture
from ...metrics import NoiseFloor, endpoint_rmse


@dataclass
class Target:
    """What samples are measured against.

    Either an exact Gaussian mixture (``mixture``: the built-in problems) or real data without an
    exact answer: ``heldout`` (a seeded split of the data -- held out from the classifier, not necessarily
    from the diffusion model, which may have trained on all of it; distribution metrics compare
    against them) and ``pool`` (other real samples: the noise floors compare pool draws with the
    held-out set, "real vs real" at the same n). ``dataset`` (labelled images) enables the digit metrics.
    """

    name: str
    description: str
    shape: Tuple[int, ...]
    kind: str = "points"
    mixture: Optional[GaussianMixture] = None
    heldout: Optional[Tensor] = None
    pool: Optional[Tensor] = None
    dataset: object = None
    problem: object = None

    @property
    def exact(self) -> bool:
        return self.mixture is not None

    @classmethod
    def from_problem(cls, problem) -> "Target":
        mix = problem.mixture
        return cls(problem.name, problem.description, tuple(mix.event_shape), "points", mixture=mix, problem=problem)

    @classmethod
    def from_dataset(cls, data, holdout: float = 0.2, seed: int = 0) -> "Target":
        """Real data: a seeded held-out split (the digit judge's split for labelled images)."""
        from ...train.digits_metric import split

        tr, te = split(len(data), holdout, seed)
        x = data.x.to(torch.float64)
        mix = getattr(data, "mixture", None)
        return cls(data.name, getattr(data, "description", data.name), tuple(data.shape), data.kind, mixture=mix,
                   heldout=x[te], pool=x[tr], dataset=data)

    def reference_sample(self, n: int, seed: int) -> Tensor:
        """The sample the two-sample estimators compare against (exact draws, or the held-out split)."""
        if self.mixture is not None:
            return self.mixture.sample(n, torch.Generator().manual_seed(seed * 7919 + 1))
        return self.heldout[:n]

    def draw(self, k: int, g: torch.Generator) -> Tensor:
        """k independent samples of the truth for the noise floors (pool draws without replacement, capped)."""
        if self.mixture is not None:
            return self.mixture.sample(k, g)
        idx = torch.randperm(self.pool.shape[0], generator=g)[:k]
        return self.pool[idx]


@dataclass
class MeasureContext:
    """Shared state of one comparison's measure stage; ``sde``/``score_fn``/references change per SDE."""

    target: Target
    n: int
    seed: int
    n_mmd: int = 1000
    n_proj: int = 128
    floor_repeats: int = 5
    exact_score: bool = True
    ref_tol: float = 1e-10
    floors: Dict[str, NoiseFloor] = field(default_factory=dict)
    flaggable: Set[str] = field(default_factory=set)
    state: dict = field(default_factory=dict)
    # per SDE
    sde: object = None
    score_fn: Optional[Callable] = None
    x_T: Optional[Tensor] = None
    ref: Optional[Tensor] = None
    ref0: Optional[Tensor] = None
    ref_error: Optional[float] = None
    spec: object = None
    references: List[dict] = field(default_factory=list)
    _refs: Dict[tuple, Tensor] = field(default_factory=dict)

    def reference(self, t_start: float, t_end: float) -> Optional[Tensor]:
        """PF-ODE endpoint from x_T at t_start to t_end (DOP853, cached); None where the score is
        undefined (a network at t = 0)."""
        if t_end == 0.0 and not self.exact_score:
            return None
        key = (round(t_start, 12), round(t_end, 12))
        if key not in self._refs:
            from ...integrators import pf_ode_scipy

            t0 = time.perf_counter()
            r = pf_ode_scipy(self.sde, self.ref_score, self.x_T.to(torch.float64), t_start=t_start, t_end=t_end,
                             rtol=self.ref_tol, atol=self.ref_tol)
            self._refs[key] = r.x.cpu()
            self.references.append({"sde": self.sde.name, "t_start": t_start, "t_end": t_end, "nfe": r.nfe,
                                    "wall_s": time.perf_counter() - t0})
        return self._refs[key]

    @property
    def ref_score(self):
        if self.exact_score:
            return self.score_fn
        f = self.score_fn

        def score64(x, t):  # a float32 network called from a float64 solver: cast in and out
            return f(x.float(), torch.as_tensor(t).float()).double()
        return score64

    def reference_error(self, n_check: int = 128) -> float:
        """Estimated error of the main reference: RMSE between it and a solve at 100 tol on the first
        ``n_check`` paths, divided by 100 (DOP853's error scales about linearly with tol; one extra,
        cheap solve)."""
        from ...integrators import pf_ode_scipy

        xs = self.x_T[:n_check].to(torch.float64)
        b = pf_ode_scipy(self.sde, self.ref_score, xs, rtol=100 * self.ref_tol, atol=100 * self.ref_tol).x
        return endpoint_rmse(b, self.ref[:n_check]) / 100.0


class Family:
    """A metric family (see the package docstring)."""

    name = "family"
    keys: Tuple[str, ...] = ()
    definitions: Dict[str, str] = {}

    def applies(self, ctx: MeasureContext) -> bool:
        return True

    def setup(self, ctx: MeasureContext) -> Dict[str, NoiseFloor]:
        return {}

    def measure(self, ctx: MeasureContext, rec: dict, x: Tensor) -> None:
        raise NotImplementedError


def flat64(x: Tensor) -> Tensor:
    return x.detach().cpu().to(torch.float64)


__all__ = ["Target", "MeasureContext", "Family", "flat64"]
