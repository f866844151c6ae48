"""k-diffusion denoisers D(x~, sigma) in EDM coordinates as scores on a linear SDE, and the loader of
k-diffusion's sampling module.

EDM coordinates (Karras et al. 2022, Eq. 3-4): x~ = x/m, sigma = s/m. A denoiser D(x~, sigma) ~ E[x_0 | x~]
gives the score of the scaled variable, grad_x~ log p(x~; sigma) = (D - x~)/sigma^2 (Tweedie), hence on the
SDE  score(x, t) = (D(x/m, sigma(t)) - x/m) / (m sigma^2)  (chain rule, x = m x~). k-diffusion's wrappers
(``VDenoiser``, ``DiscreteEpsDDPMDenoiser``, ``CompVisDenoiser``, ...) and any module with that call
signature plug in; a denoiser trained on a VP/DDPM schedule is exact only on the SDE whose sigma range it
was trained for -- pass that SDE (e.g. :func:`scoresde.models.diffusers.schedule_sde`), or a VE SDE with
its sigma range (m = 1).

k-diffusion's package ``__init__`` imports torchvision, CLIP, wandb, scikit-image ... which sampling does
not need; :func:`load_sampling` loads ``k_diffusion/sampling.py`` from the installed wheel with a stand-in
for the one helper it imports from ``k_diffusion.utils`` (``append_dims``), so
``pip install --no-deps k-diffusion`` is enough (its sampling module imports only torch, scipy, torchsde,
torchdiffeq and tqdm, which scoresde already requires).
"""
from __future__ import annotations

import importlib.util
import sys
import types
from typing import Callable

import torch
from torch import Tensor

from ..sde.base import LinearSDE

_MODULE = "_scoresde_kdiffusion"


def load_sampling():
    """``k_diffusion.sampling`` (the installed wheel's file) without importing the k_diffusion package."""
    return _load("sampling")


def load_external():
    """``k_diffusion.external`` (VDenoiser, DiscreteEpsDDPMDenoiser, CompVisDenoiser, ...) the same way: it
    imports only ``sampling`` and ``utils.append_dims``."""
    _load("sampling")
    return _load("external")


def _load(name: str):
    if f"{_MODULE}.{name}" in sys.modules:
        return sys.modules[f"{_MODULE}.{name}"]
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError('k-diffusion is not installed: pip install "scoresde[peers]" && '
                         'pip install --no-deps k-diffusion')
    folder = list(spec.submodule_search_locations)[0]
    pkg = sys.modules.get(_MODULE) or types.ModuleType(_MODULE)
    pkg.__path__ = [folder]
    utils = types.ModuleType(f"{_MODULE}.utils")

    def append_dims(x, target_dims):
        """Append singleton dimensions until x has target_dims dimensions (k_diffusion.utils.append_dims)."""
        return x[(...,) + (None,) * (target_dims - x.ndim)]
    utils.append_dims = append_dims
    pkg.utils = utils
    sys.modules[_MODULE], sys.modules[f"{_MODULE}.utils"] = pkg, utils
    s = importlib.util.spec_from_file_location(f"{_MODULE}.{name}", f"{folder}/{name}.py")
    mod = importlib.util.module_from_spec(s)
    sys.modules[f"{_MODULE}.{name}"] = mod
    s.loader.exec_module(mod)
    setattr(pkg, name, mod)
    return mod


class DenoiserScore:
    """score(x, t) of a denoiser D(x~, sigma) on ``sde`` (module docstring); counts calls in ``nfe``."""

    def __init__(self, denoiser: Callable[[Tensor, Tensor], Tensor], sde: LinearSDE):
        self.denoiser, self.sde, self.nfe = denoiser, sde, 0

    def __call__(self, x: Tensor, t) -> Tensor:
        self.nfe += 1
        tt = torch.as_tensor(t, dtype=torch.float64)
        if tt.ndim == 0:
            tt = tt.expand(x.shape[0])
        m = torch.exp(self.sde.log_mean_coeff(tt.double()))
        sig = self.sde.noise_level(tt.double())
        shape = (-1,) + (1,) * (x.ndim - 1)
        m_, sig_ = m.to(x).reshape(shape), sig.to(x).reshape(shape)
        xt = x / m_
        d = self.denoiser(xt, sig.to(x))
        return (d - xt) / (m_ * sig_ * sig_)


def sde_denoiser(sde: LinearSDE, score_fn) -> Callable[[Tensor, Tensor], Tensor]:
    """The other direction: D(x~, sigma) = x~ + sigma^2 m score(m x~, t(sigma)) for k-diffusion's samplers.

    t(sigma) by bisection (cached per sigma value); sigma is clamped to [sigma(eps), sigma(T)].
    """
    lo = float(sde.noise_level(torch.tensor(sde.eps, dtype=torch.float64)))
    hi = float(sde.noise_level(torch.tensor(sde.T, dtype=torch.float64)))
    cache = {}

    def D(xt: Tensor, sigma: Tensor) -> Tensor:
        s = float(torch.as_tensor(sigma).reshape(-1)[0])
        if s not in cache:
            sc = min(max(s, lo), hi)
            t = sde.T if sc >= hi else sde.eps if sc <= lo else \
                float(sde.t_from_noise_level(torch.tensor([sc], dtype=torch.float64))[0])
            m = float(torch.exp(sde.log_mean_coeff(torch.tensor(t, dtype=torch.float64))))
            cache[s] = (t, m)
        t, m = cache[s]
        tt = torch.full((xt.shape[0],), t, dtype=xt.dtype, device=xt.device)
        return xt + (s * s * m) * score_fn(m * xt, tt)
    return D


__all__ = ["load_sampling", "load_external", "DenoiserScore", "sde_denoiser"]
