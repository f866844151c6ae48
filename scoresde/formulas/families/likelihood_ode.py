"""The log-density along the probability-flow ODE (Chen et al. 2018, Thm. 1; Song et al. 2021, App. D.2):
d log p_t(x(t))/dt = −∇·f̃_θ(x(t), t), the differential form of ``likelihood.change_of_variables``."""
from __future__ import annotations

from typing import List, Tuple

import torch

from .. import canon as C
from ..entry import Entry
from ._common import SONG, collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

#: claim key of d log p_t(x(t))/dt (read by scoresde.formulas.classify_more.read_logp_ode)
KEY = "dlogp/dt"


def _tie_logp_ode(entry: Entry) -> Tuple[bool, str]:
    """Exact Gaussian-mixture log-density under VPSDE, moved along the package's PF-ODE drift (ReverseSDE with
    probability_flow=True): its central time difference against the entry with ∇·f̃ by central differences in x."""
    from ...analytic import GaussianMixture
    from ...sde import VPSDE

    sde = VPSDE()
    mix = GaussianMixture([0.4, 0.6], [[-1.0], [1.5]], [0.3, 0.5])
    pf = sde.reverse(mix.score_fn(sde), probability_flow=True)
    f64 = torch.float64
    worst = 0.0
    for tt, xv in ((0.2, 0.4), (0.55, -1.1), (0.9, 2.0)):
        x = torch.tensor([[xv]], dtype=f64)
        drift = lambda y, u: pf.sde(y, torch.tensor([u], dtype=f64))[0]  # noqa: E731
        hx, ht = 1e-5, 1e-5
        div = float((drift(x + hx, tt) - drift(x - hx, tt)) / (2 * hx))
        d0 = drift(x, tt)
        lp = lambda y, u: float(mix.log_prob(y, sde, torch.tensor([u], dtype=f64)))  # noqa: E731
        dlogp = (lp(x + ht * d0, tt + ht) - lp(x - ht * d0, tt - ht)) / (2 * ht)
        val = float(entry.rhs.subs({C.DIV: div}))
        worst = max(worst, abs(dlogp - val) / (1 + abs(val)))
    return worst < 1e-5, f"exact mixture log-density along VPSDE's PF-ODE (central differences): max relative deviation {worst:.1e}"


_add(name="likelihood.logp_ode", title="log-density along the probability-flow ODE",
     source=f"Chen et al. 2018 (Neural ODEs), Thm. 1; {SONG}, App. D.2", kind="scalar", family="generic",
     latex=r"\frac{d\log p_t(x(t))}{dt} = -\nabla\cdot\tilde{f}_\theta(x(t), t)",
     relation="ReverseSDE(probability_flow=True) drift with GaussianMixture.log_prob", lhs=KEY, mode="function",
     rhs=-C.DIV, tie=_tie_logp_ode)
