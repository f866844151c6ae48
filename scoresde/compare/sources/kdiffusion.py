"""k-diffusion sampling functions as compare samplers (``kdiffusion:dpmpp_3m_sde:eta=0``, ``kdiffusion:lms``, ...).

k-diffusion works in EDM coordinates x~ = x/m, sigma = s/m with a denoiser D(x~, sigma); the adapter hands it
D(x~, sigma) = x~ + sigma^2 m score(m x~, t(sigma)) (:func:`scoresde.models.kdiffusion.sde_denoiser`). The
sigmas are this comparison's time grid mapped to sigma(t) (``steps - 1`` intervals from T to eps), then
sigma = 0 appended (k-diffusion's convention: the last step lands on the data), so the run starts at t = T from
x~ = x_T/m(T) and ends at t = 0. Options (``eta``, ``s_noise``, ``order``, ...) go to the sampling function.
Stochastic samplers draw from torch's global generator seeded with the comparison's seed (restored after).
The toolkit counts the denoiser calls (NFE).
"""
from __future__ import annotations

import inspect

import torch

from ...models.kdiffusion import load_sampling, sde_denoiser
from ..samplers import SamplerSpec

#: denoiser calls per interval (the last interval, to sigma = 0, may cost less)
NFE_PER_STEP = {"euler": 1, "euler_ancestral": 1, "heun": 2, "dpm_2": 2, "dpm_2_ancestral": 2, "lms": 1,
                "dpmpp_2m": 1, "dpmpp_2s_ancestral": 2, "dpmpp_sde": 2, "dpmpp_2m_sde": 1, "dpmpp_3m_sde": 1,
                "heunpp2": 3, "ipndm": 1, "ipndm_v": 1, "deis": 1, "dpmpp_2m_sde_heun": 1, "lcm": 1}
DETERMINISTIC = {"euler", "heun", "dpm_2", "lms", "dpmpp_2m", "heunpp2", "ipndm", "ipndm_v", "deis", "dpm_fast"}
ORDERS = {"euler": 1.0, "heun": 2.0, "dpm_2": 2.0, "lms": 4.0, "dpmpp_2m": 2.0, "dpmpp_3m_sde": 3.0, "dpmpp_2m_sde": 2.0}


class KDiffusionRunner:
    def __init__(self, fn, name: str, options: dict):
        self.fn, self.name, self.options = fn, name, options

    def __call__(self, sde, score_fn, x_T, nfe, seed, grid_fn):
        if self.name == "dpm_fast":
            return self._dpm_fast(sde, score_fn, x_T, nfe, seed)
        per = NFE_PER_STEP.get(self.name, 1)
        intervals = max(2, round(nfe / per))
        g = grid_fn(sde, intervals - 1)
        sig = torch.cat([sde.noise_level(g), torch.zeros(1, dtype=torch.float64)]).to(x_T)
        D = sde_denoiser(sde, score_fn)
        count = [0]

        def model(x, sigma, **kw):
            count[0] += 1
            return D(x, sigma)
        m_T = float(torch.exp(sde.log_mean_coeff(torch.tensor(sde.T, dtype=torch.float64))))
        devices = [x_T.device] if x_T.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(seed)
            x = self.fn(model, x_T / m_T, sig, disable=True, **self.options)
        return x, {"nfe": count[0], "steps": intervals, "t_start": sde.T, "t_end": 0.0,
                   "grid": f"sigma(t) of the {grid_fn.__name__} grid ({intervals - 1} intervals), then 0",
                   "warning": "" if count[0] == nfe else
                   f"kdiffusion:{self.name}: NFE {nfe} not realisable; {intervals} intervals call the denoiser "
                   f"{count[0]} times"}


    def _dpm_fast(self, sde, score_fn, x_T, nfe, seed):
        """sample_dpm_fast(model, x, sigma_min, sigma_max, n): n model calls, its own log-SNR steps (DPM-Solver
        fast, Lu et al. 2022, Sec. 3.4), from sigma(T) to sigma(eps); returns x = m(eps) x~ at t = eps."""
        f64 = lambda t: torch.tensor(t, dtype=torch.float64)  # noqa: E731
        smin, smax = float(sde.noise_level(f64(sde.eps))), float(sde.noise_level(f64(sde.T)))
        D = sde_denoiser(sde, score_fn)
        count = [0]

        def model(x, sigma, **kw):
            count[0] += 1
            return D(x, sigma)
        m_T, m_e = (float(torch.exp(sde.log_mean_coeff(f64(t)))) for t in (sde.T, sde.eps))
        with torch.random.fork_rng(devices=[x_T.device] if x_T.device.type == "cuda" else []), torch.no_grad():
            torch.manual_seed(seed)
            x = self.fn(model, x_T / m_T, smin, smax, nfe, disable=True, **self.options)
        return m_e * x, {"nfe": count[0], "steps": None, "t_start": sde.T, "t_end": sde.eps,
                         "grid": "dpm_fast's own log-SNR steps, sigma(T) -> sigma(eps)",
                         "warning": "" if count[0] == nfe else f"kdiffusion:dpm_fast: NFE {nfe} requested, {count[0]} used"}


def spec(full: str, name: str, options: dict) -> SamplerSpec:
    K = load_sampling()
    fn = getattr(K, f"sample_{name}", None)
    if fn is None:
        have = sorted(n[len("sample_"):] for n in dir(K) if n.startswith("sample_"))
        raise ValueError(f"sampler {full!r}: k-diffusion has no sample_{name}; valid: {', '.join(have)}")
    params = inspect.signature(fn).parameters
    if "sigmas" not in params and name != "dpm_fast":  # sample_dpm_adaptive: tolerances, no NFE budget
        raise ValueError(f"sampler {full!r}: sample_{name} takes no sigma grid nor an NFE budget")
    bad = [k for k in options if k not in params]
    if bad:
        raise ValueError(f"sampler {full!r}: sample_{name} has no option {bad[0]!r}")
    det = name in DETERMINISTIC or ("eta" in params and float(options.get("eta", 1.0)) == 0.0)
    return SamplerSpec(full, f"k-diffusion sample_{name}" + (f" {options}" if options else ""),
                       external=KDiffusionRunner(fn, name, options), deterministic=det, order=ORDERS.get(name),
                       formula=f"sample_{name}(D, x~, sigmas) in EDM coordinates, D = x~ + sigma^2 m score(m x~, t)",
                       source="k-diffusion (Crowson), k_diffusion/sampling.py", origin="kdiffusion")
