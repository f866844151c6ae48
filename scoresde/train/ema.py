"""Exponential moving average of the weights (Polyak & Juditsky 1992; used for sampling by
Ho et al. 2020 and Song et al. 2021):  theta_ema <- d_n theta_ema + (1 - d_n) theta.

With ``warmup=True`` the decay ramps up as d_n = min(decay, (1 + n)/(10 + n)) after n updates
(the ``num_updates`` rule of TensorFlow's ExponentialMovingAverage), so that a short run's average
is not dominated by the initial weights.
"""
from __future__ import annotations

import weakref
from typing import Dict

import torch
from torch import Tensor, nn


class EMA:
    """Shadow copies of a module's floating-point parameters, updated in place with one fused lerp.

    Buffers are copied as they are (the networks here have no running statistics).
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: bool = True):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must lie in [0, 1), got {decay!r}")
        self.decay, self.warmup, self.num_updates = float(decay), bool(warmup), 0
        self._names = [n for n, p in model.named_parameters() if p.is_floating_point()]
        self.shadow: Dict[str, Tensor] = {n: p.detach().clone() for n, p in model.named_parameters() if n in self._names}

    def current_decay(self) -> float:
        """d_n for the next update."""
        n = self.num_updates
        return min(self.decay, (1.0 + n) / (10.0 + n)) if self.warmup else self.decay

    def _params(self, model: nn.Module) -> list:
        ref = getattr(self, "_cache_ref", None)
        if ref is None or ref() is not model:  # looked up once per model, not every step
            params = dict(model.named_parameters())
            self._cache = [params[n].detach() for n in self._names]
            self._cache_ref = weakref.ref(model)
            self._shadow_list = [self.shadow[n] for n in self._names]
        return self._cache

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        cur = self._params(model)
        ema = self._shadow_list
        # ema + (1 - d) (p - ema) = d ema + (1 - d) p
        torch._foreach_lerp_(ema, cur, 1.0 - self.current_decay())
        self.num_updates += 1

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        """Overwrite the model's parameters with the averaged ones."""
        params = dict(model.named_parameters())
        for n in self._names:
            params[n].copy_(self.shadow[n])

    def state_dict(self) -> dict:
        return {"decay": self.decay, "warmup": self.warmup, "num_updates": self.num_updates, "shadow": dict(self.shadow)}

    def load_state_dict(self, state: dict) -> None:
        if set(state["shadow"]) != set(self._names):
            raise ValueError("EMA state does not match the model's parameters")
        self.decay, self.warmup, self.num_updates = float(state["decay"]), bool(state["warmup"]), int(state["num_updates"])
        for n in self._names:
            self.shadow[n].copy_(state["shadow"][n])


__all__ = ["EMA"]
