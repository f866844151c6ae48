"""The sampler table of ``scoresde compare``: one place, one line per sampler.

A :class:`SamplerSpec` says how to run a named sampler and defines it for the report (formula and
source). Three kinds:

* ``fixed``: a (predictor, corrector) pair of :mod:`scoresde.solvers` steps on an explicit grid;
  build one from a registry name with :func:`from_predictor` (``from_predictor("dpmpp_3m")`` is the
  whole line a new fixed-step solver needs);
* ``adaptive``: a torchdiffeq method, its NFE set through the tolerance (:mod:`.run`);
* ``external``: a peer's scheduler or sampling function run through an adapter
  (:mod:`scoresde.compare.sources`), NFE counted by the toolkit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import torch
from torch import Tensor

from ..sde.base import LinearSDE
from ..solvers import PREDICTORS, AnnealedLangevin, Langevin, NoPredictor, ReverseDiffusion
from ..solvers.base import Step


@dataclass(frozen=True)
class SamplerSpec:
    """A named sampler: how to build its steps (fixed-step), its adaptive method, or an external runner.

    ``build(sde, grid) -> (predictor, corrector or None)``; ``adaptive`` names a torchdiffeq method;
    ``external(sde, score_fn, x_T, nfe, seed) -> (x, info)`` runs a peer (info: nfe counted, t_start,
    t_end, grid description). ``formula`` and ``source`` define the sampler in the report.
    """

    name: str
    summary: str
    build: Optional[Callable[[LinearSDE, Tensor], Tuple[Step, Optional[Step]]]] = None
    adaptive: Optional[str] = None
    deterministic: bool = False
    order: Optional[float] = None
    formula: str = ""
    source: str = ""
    external: Optional[Callable] = None
    origin: str = "scoresde"

    @property
    def kind(self) -> str:
        return "external" if self.external is not None else ("adaptive" if self.adaptive else "fixed")

    def steps_for(self, sde: LinearSDE, grid: Tensor) -> Tuple[Step, Optional[Step]]:
        if self.build is None:
            raise ValueError(f"sampler {self.name!r} is {self.kind}: it has no steps")
        return self.build(sde, grid)


def _first_line(doc: Optional[str]) -> str:
    return (doc or "").strip().splitlines()[0].strip() if doc and doc.strip() else ""


def fixed(name: str, summary: str, predictor: Callable[[], Step], corrector: Optional[Callable[[], Step]] = None,
          *, formula: str = "", source: str = "") -> SamplerSpec:
    """A fixed-step spec from step factories (deterministic iff a PF-ODE predictor and no corrector)."""
    p = predictor()
    if not formula:
        import sys

        formula = _first_line(sys.modules[type(p).__module__].__doc__)
    return SamplerSpec(name, summary, build=lambda sde, grid: (predictor(), corrector() if corrector else None),
                       deterministic=bool(p.deterministic_ode) and corrector is None, order=p.order,
                       formula=formula, source=source or type(p).__module__)


#: formula and source of the built-in predictors, as the report prints them (x0_hat = (x + s^2 score)/m,
#: (m, s) at t, (m1, s1) at t_next, the twin step x_t = a x_t_next + b z, lambda = log(m/s), h = lambda1 - lambda)
DEFINITIONS: Dict[str, Tuple[str, str]] = {
    "euler_maruyama": ("x <- x + (f x - g^2 score) dt + g sqrt(-dt) z", "Song et al. 2021, Eq. 6"),
    "ancestral": ("x <- (a s1^2/s^2) x + (m1 b^2/s^2) x0_hat + (s1 b/s) z", "Ho et al. 2020, Eq. 6-7 / Alg. 2"),
    "reverse_diffusion": ("x <- (2 - a) x + b^2 score + b z", "Song et al. 2021, Eq. 45-47"),
    "ode_euler": ("x <- x + (f x - g^2/2 score) dt", "Song et al. 2021, Eq. 13"),
    "heun": ("d1 = F(x, t), d2 = F(x + dt d1, t1), x <- x + dt (d1 + d2)/2, F = f x - g^2/2 score",
             "Karras et al. 2022, Alg. 1 (in t)"),
    "ddim": ("x <- m1 x0_hat + s1 eps_hat, eps_hat = -s score (eta = 0)", "Song, Meng & Ermon 2021, Eq. 12"),
    "dpmpp_2m": ("x <- (s1/s) x - m1 (e^-h - 1) D, D = (1 + 1/2r) x0_hat - 1/2r x0_hat_prev, r = h_prev/h; "
                 "first-order last step", "Lu et al. 2022b, Alg. 2"),
}


def from_predictor(registry_name: str, name: Optional[str] = None, **kwargs) -> SamplerSpec:
    """The spec of predictor ``registry_name`` from :data:`scoresde.solvers.PREDICTORS` (kwargs go to it).

    Summary and order come from the class; formula and source from :data:`DEFINITIONS`, else from the
    class attributes ``formula`` / ``reference`` if it has them, else the first line of its module docstring.
    """
    if registry_name not in PREDICTORS:
        raise ValueError(f"unknown predictor {registry_name!r}; valid: {', '.join(PREDICTORS)}")
    cls = PREDICTORS[registry_name]
    summary = getattr(cls, "summary", "") or registry_name
    if kwargs:  # the report says which options this spec runs with
        summary += " (" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    formula, source = DEFINITIONS.get(registry_name, (getattr(cls, "formula", ""), getattr(cls, "reference", "")))
    call = f"scoresde.solvers.{cls.__name__}" + (
        "(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")" if kwargs else "")
    return fixed(name or registry_name, summary, lambda: cls(**kwargs), formula=formula,
                 source=f"{source} ({call})" if source else call)


def _ald(sde: LinearSDE, grid: Tensor) -> Tuple[Step, Step]:
    # Song & Ermon 2019 use eps = 2e-5 at sigma_L = 0.01: a step ratio eps / sigma_L^2 = 0.2 at the
    # smallest level, which is what keeps Langevin stable; keep that ratio on our grid.
    t_min = float(grid[-1]) if float(grid[-1]) > 0 else float(grid[-2])
    sig_l = float(sde.noise_level(torch.tensor(t_min, dtype=torch.float64)))
    return NoPredictor(), AnnealedLangevin(eps=0.2 * sig_l * sig_l, n_steps=5)


_SNR = ("x <- x + e score + sqrt(2e) z before each predictor step, e = 2 alpha (r |z|/|score|)^2 per sample, "
        "r = 0.16, capped at s(t)^2")
_SIG = "x <- x + e score + sqrt(2e) z before each predictor step, e = 2 alpha (r s(t))^2, r = 0.16"

#: sampler name -> spec (the CLI's vocabulary). A new fixed-step predictor is one line:
#: ``from_predictor("<name in scoresde.solvers.PREDICTORS>")``.
SAMPLERS: Dict[str, SamplerSpec] = {
    s.name: s for s in [
        from_predictor("euler_maruyama"),
        from_predictor("ancestral"),
        from_predictor("reverse_diffusion"),
        fixed("pc", "PC: reverse diffusion + 1 Langevin step (x-independent step 2a(r s)^2, the default rule)",
              ReverseDiffusion, lambda: Langevin(0.16, 1, rule="sigma"), formula=_SIG,
              source="Song et al. 2021, Alg. 5 with an x-independent step (scoresde.solvers.Langevin rule='sigma')"),
        fixed("pc_snr", "PC: reverse diffusion + 1 Langevin step (score_sde's per-sample SNR rule, snr 0.16; biased)",
              ReverseDiffusion, lambda: Langevin(0.16, 1, rule="snr"), formula=_SNR,
              source="Song et al. 2021, Alg. 4-5 (scoresde.solvers.Langevin rule='snr')"),
        from_predictor("ode_euler"),
        from_predictor("heun"),
        from_predictor("ddim"),
        from_predictor("dpmpp_2m"),
        # lower-order last steps on every run (as diffusers does below 15 steps): on uniform-t VP grids the
        # last log-SNR steps are long and the third-order extrapolation over them is unstable (VP NFE 20:
        # RMSE 1.06 without, 0.057 with); the classes' default keeps the full order for tests/orders
        from_predictor("dpmpp_3m", lower_order_final="always"),
        from_predictor("unipc", order=2, lower_order_final="always"),
        from_predictor("unipc", name="unipc3", order=3, lower_order_final="always"),
        from_predictor("deis"),
        from_predictor("lms"),
        from_predictor("dpm_solver_2"),
        from_predictor("dpm_solver_3"),
        from_predictor("sde_dpmpp_2m", eta=1.0),
        from_predictor("sde_dpmpp_3m"),
        from_predictor("edm", s_churn=1.0),
        from_predictor("restart", t_min=0.1, t_max=0.3, K=2),
        SamplerSpec("dopri5", "PF-ODE, adaptive Dormand-Prince 5(4) (torchdiffeq)", adaptive="dopri5",
                    deterministic=True, order=5.0,
                    formula="embedded Runge-Kutta 5(4) pair on dx/dt = f x - g^2/2 score, rtol = atol = tol; "
                            "tol chosen from a calibration sweep so that spent NFE grows with requested NFE",
                    source="Dormand & Prince 1980; torchdiffeq.odeint(method='dopri5')"),
        SamplerSpec("ald", "annealed Langevin dynamics, 5 steps per level (Song & Ermon 2019), VE only",
                    build=_ald, order=None,
                    formula="at each level sigma_i: 5 x (x <- x + a_i/2 score + sqrt(a_i) z), "
                            "a_i = e sigma_i^2/sigma_L^2, e = 0.2 sigma_L^2",
                    source="Song & Ermon 2019, Alg. 1 (scoresde.solvers.AnnealedLangevin)"),
    ]
}

DEFAULT_SAMPLERS = ("euler_maruyama", "ancestral", "reverse_diffusion", "pc", "sde_dpmpp_2m", "ode_euler", "heun", "ddim",
                    "dpmpp_2m", "dpmpp_3m", "unipc", "deis", "dopri5")


def nfe_per_step(predictor: Step, corrector: Optional[Step]) -> int:
    """Score evaluations per grid interval of a (predictor, corrector) pair."""
    return predictor.nfe_per_step + (corrector.nfe_per_step if corrector is not None else 0)


def realise_nfe(name: str, per_step: int, nfe: int) -> Tuple[int, int, str]:
    """(steps, realised NFE, warning) for a fixed-step sampler costing ``per_step`` per step.

    NFE values that are not a multiple of ``per_step`` are rounded to the nearest multiple (at least
    one step), and the warning says so.
    """
    if per_step < 1:
        raise ValueError(f"sampler {name!r} spends no score evaluations per step")
    steps = max(1, int(math.floor(nfe / per_step + 0.5)))
    real = steps * per_step
    msg = ""
    if real != nfe:
        msg = (f"{name}: NFE {nfe} is not a multiple of its {per_step} evaluations per step; "
               f"rounded to {steps} steps = NFE {real}")
    return steps, real, msg


def fit_steps(spec: SamplerSpec, sde: LinearSDE, grid_fn: Callable, nfe: int) -> Tuple[int, Tensor, str]:
    """(steps, grid, warning): the grid whose *declared* NFE (``step.nfe(grid)``, which counts multistep
    start-up and restart passes) is closest to ``nfe`` without exceeding it where possible.

    Starts from :func:`realise_nfe` (NFE per step) and removes steps while the declared total exceeds
    the request, so samplers with a start-up cost (LMS-4, DEIS-4) or extra passes are not given more
    evaluations than their peers.
    """
    p, c = spec.steps_for(sde, grid_fn(sde, 2))
    steps, real, warn = realise_nfe(spec.name, nfe_per_step(p, c), nfe)
    grid = grid_fn(sde, steps)
    for _ in range(64):
        p, c = spec.steps_for(sde, grid)
        declared = p.nfe(grid) + (c.nfe(grid) if c is not None else 0)
        if declared <= max(nfe, real) or steps == 1:
            break
        steps -= 1
        grid = grid_fn(sde, steps)
    if declared != nfe and not warn:
        warn = f"{spec.name}: {steps} steps spend NFE {declared} (requested {nfe})"
    return steps, grid, warn


def resolve(name: str) -> SamplerSpec:
    """A spec by name: a :data:`SAMPLERS` entry, a predictor registry name, or ``source:name[:k=v...]`` of a peer.

    Raises ValueError naming the sampler (peers missing: says what to install).
    """
    if name in SAMPLERS:
        return SAMPLERS[name]
    if ":" in name:
        from .sources import resolve_external

        return resolve_external(name)
    if name in PREDICTORS and name != "none":
        return from_predictor(name)
    from .sources import SOURCES

    raise ValueError(f"unknown sampler {name!r}; valid: {', '.join(SAMPLERS)}, any of "
                     f"{', '.join(p for p in PREDICTORS if p != 'none')}, or {'|'.join(SOURCES)}:NAME")


__all__ = ["SamplerSpec", "SAMPLERS", "DEFAULT_SAMPLERS", "fixed", "from_predictor", "nfe_per_step", "realise_nfe", "fit_steps",
           "resolve", "DEFINITIONS"]
