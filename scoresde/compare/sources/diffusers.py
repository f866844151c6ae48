"""diffusers schedulers as compare samplers (``diffusers:UniPCMultistepScheduler[:solver_order=3...]``).

How a scheduler sees our SDE (VP family: m^2 + s^2 = 1): ``trained_betas`` = the betas of the discrete
twin ``sde.chain(N)`` (N = 1000), so that ``alphas_cumprod[k] = m(t_k)^2`` at t_k = (k + 1) T / N exactly
(float32 in diffusers). The model the scheduler calls at timestep k (int or float) is the exact
eps(x, k) = -s(t) score(x, t), t = (k + 1) T / N. Timesteps are spaced "trailing" (the first one is
N - 1, i.e. t = T, the time of x_T) unless ``timestep_spacing`` is given; the run starts from x_T times
``init_noise_sigma`` (1/m(T) for the sigma-space schedulers, whose state is x/m) and ends at t = 0
(alpha_bar = 1): the endpoint reference is the PF-ODE from the first timestep's t to t = 0. Options go to
the scheduler's config (e.g. ``solver_order=3``, ``algorithm_type=sde-dpmsolver++``); ``eta`` goes to
``step()`` (DDIM). The toolkit counts the model calls (NFE); the number of scheduler steps is chosen so
that the calls come as close to the requested NFE as the scheduler allows.
"""
from __future__ import annotations

import inspect

import torch

from ..samplers import SamplerSpec

#: schedulers that draw noise in step() (deterministic otherwise, unless an option makes them stochastic)
STOCHASTIC = {"DDPMScheduler", "EulerAncestralDiscreteScheduler", "KDPM2AncestralDiscreteScheduler",
              "DPMSolverSDEScheduler", "LCMScheduler", "TCDScheduler", "DDPMParallelScheduler"}
N_TRAIN = 1000


def load():
    try:
        import diffusers
    except ImportError:
        raise ValueError('diffusers is not installed: pip install "scoresde[peers]"') from None
    return diffusers


def _is_vp(sde) -> bool:
    t = torch.tensor([sde.eps, 0.3 * sde.T, sde.T], dtype=torch.float64)
    return bool(torch.allclose(torch.exp(2 * sde.log_mean_coeff(t)) + sde.marginal_var(t),
                               torch.ones(3, dtype=torch.float64), atol=1e-9))


class DiffusersRunner:
    """Run one diffusers scheduler class on (sde, score) from x_T; see the module docstring."""

    def __init__(self, cls, options: dict):
        self.cls = cls
        self.eta = options.pop("eta", None)
        self.options = options

    def check(self, sde) -> None:
        if not _is_vp(sde):
            raise ValueError(f"diffusers schedulers are written for discrete VP chains (alpha_bar tables); "
                             f"SDE {sde.name!r} is not variance-preserving")

    def scheduler(self, sde):
        betas = sde.chain(N_TRAIN).betas.to(torch.float64).numpy()
        cfg = {"num_train_timesteps": N_TRAIN, "trained_betas": betas.tolist(), "clip_sample": False,
               "timestep_spacing": "trailing", "prediction_type": "epsilon", **self.options}
        known = set(inspect.signature(self.cls.__init__).parameters)
        return self.cls(**{k: v for k, v in cfg.items() if k in known})

    def __call__(self, sde, score_fn, x_T, nfe, seed, grid_fn=None):
        self.check(sde)
        sched = self.scheduler(sde)
        steps = nfe
        for _ in range(3):  # calls per step vary (Heun-type: 2, last step 1): aim the model calls at nfe
            sched.set_timesteps(steps)
            calls = len(sched.timesteps)
            if calls == nfe:
                break
            steps = max(1, round(steps * nfe / max(calls, 1)))
        sched.set_timesteps(steps)
        T, N = sde.T, N_TRAIN
        dtype = x_T.dtype
        count = [0]

        def eps(x, k):
            count[0] += 1
            t = (float(k) + 1.0) * T / N
            tt = torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device)
            s = float(torch.sqrt(sde.marginal_var(torch.tensor(t, dtype=torch.float64))))
            return -s * score_fn(x, tt)

        gen = torch.Generator(device=x_T.device).manual_seed(seed)
        params = inspect.signature(sched.step).parameters
        kw = {}
        if "generator" in params:
            kw["generator"] = gen
        if self.eta is not None and "eta" in params:
            kw["eta"] = float(self.eta)
        ks = [float(k) for k in sched.timesteps]
        x = x_T * float(sched.init_noise_sigma)
        with torch.no_grad():
            for k in sched.timesteps:
                xin = sched.scale_model_input(x, k)
                e = eps(xin, k).to(dtype)
                x = sched.step(e, k, x, **kw).prev_sample.to(dtype)
        t_start = (ks[0] + 1.0) * T / N
        spacing = sched.config.get("timestep_spacing", "?")
        return x, {"nfe": count[0], "steps": steps, "t_start": min(t_start, T), "t_end": 0.0,
                   "grid": f"{spacing} timesteps k -> t = (k+1)T/{N}, to t = 0",
                   "warning": "" if count[0] == nfe else
                   f"{self.cls.__name__}: NFE {nfe} not realisable; {steps} steps call the model {count[0]} times"}


def spec(full: str, name: str, options: dict) -> SamplerSpec:
    D = load()
    cls = getattr(D, name, None)
    if cls is None or not (hasattr(cls, "set_timesteps") and hasattr(cls, "step")):
        raise ValueError(f"sampler {full!r}: diffusers {D.__version__} has no scheduler {name!r}")
    opts = dict(options)
    stochastic = (name in STOCHASTIC or float(opts.get("eta", 0) or 0) > 0
                  or "sde" in str(opts.get("algorithm_type", "")))
    order = opts.get("solver_order")
    return SamplerSpec(full, f"diffusers {name}" + (f" {options}" if options else ""),
                       external=DiffusersRunner(cls, opts), deterministic=not stochastic,
                       order=float(order) if order else None,
                       formula=f"{name}.step() on alpha_bar of the VP twin (N = {N_TRAIN}); eps = -s score at "
                               f"t = (k+1)T/N",
                       source=f"diffusers {D.__version__}, {cls.__module__}", origin="diffusers")
