"""score_sde-style score networks s(x, t) (Song et al. 2021's code base, ``models/utils.get_score_fn``).

Their networks take (x, labels) with labels = 999 t for VP/sub-VP trained in continuous time and output
an eps-like tensor, score = -output / s(t); for VE, labels = sigma(t) (the marginal std) and the output is
the score itself. :class:`ScoreSdeScore` reproduces that convention on any scoresde SDE.
"""
from __future__ import annotations

import torch
from torch import Tensor

LABELS = ("t999", "sigma", "t")
OUTPUTS = ("eps", "score")


class ScoreSdeScore:
    """score(x, t) from net(x, labels); ``labels``: 't999' (VP continuous), 'sigma' (VE) or 't'."""

    def __init__(self, net, sde, labels: str = "t999", output: str = "eps"):
        if labels not in LABELS:
            raise ValueError(f"labels must be one of {LABELS}, got {labels!r}")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        self.net, self.sde, self.labels, self.output, self.nfe = net, sde, labels, output, 0

    def __call__(self, x: Tensor, t) -> Tensor:
        self.nfe += 1
        tt = torch.as_tensor(t, dtype=x.dtype, device=x.device)
        if tt.ndim == 0:
            tt = tt.expand(x.shape[0])
        std = torch.sqrt(self.sde.marginal_var(tt.double())).to(x)
        lab = {"t999": tt * 999, "sigma": std, "t": tt}[self.labels]
        out = self.net(x, lab)
        if self.output == "score":
            return out
        return -out / std.reshape((-1,) + (1,) * (x.ndim - 1))


__all__ = ["ScoreSdeScore", "LABELS", "OUTPUTS"]
