"""The family of SDEs with the marginals of dx = f(x, t) dt + g(t) dw, one member per free diffusion σ(t).

Su Jianlin, 生成扩散模型漫谈（六）(kexue.fm/archives/9228, 2022), from the Fokker–Planck equation (Song et al. 2021,
App. D.1 take σ = 0; Karras et al. 2022, Eq. 6 write the same family with β(t) for σ(t)²/2σ(t)²):

    forward time:  dx = [f(x, t) − ½(g(t)² − σ(t)²) ∇log p_t(x)] dt + σ(t) dw,
    reverse time:  dx = [f(x, t) − ½(g(t)² + σ(t)²) ∇log p_t(x)] dt + σ(t) dw̄.

σ = 0 gives the probability-flow ODE (Eq. 13), σ = g the forward SDE (Eq. 5) and the reverse SDE (Eq. 6). The ties check
the Fokker–Planck identity in one dimension with any f, p, g, σ, then the member σ = g against the package's SDEs.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties import tie_forward_general, tie_sde
from ._common import collector, g2, s

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_SU6 = "Su 2022, 生成扩散模型漫谈（六）(kexue.fm/archives/9228); Song et al. 2021, App. D.1 (σ = 0)"
SIG2 = C.SIGMA(C.t) ** 2  # the member's own diffusion σ(t)², free


def _fokker_planck(entry: Entry) -> bool:
    """In 1-D with any F(y), P(y) > 0 and constants g, σ: the member carries p as dx = F dt + g dw does:
    −∂(b p) ± ½ σ² ∂²p = −∂(F p) + ½ g² ∂²p (+ forward, − reverse time, where p_t is the same marginal)."""
    y, g_, sg = sp.symbols("y g_ σ_", positive=True)
    f_, p_ = sp.Function("F")(y), sp.Function("P", positive=True)(y)
    sub = {C.FX: f_, C.G(C.t): g_, C.SIGMA(C.t): sg, s: sp.diff(sp.log(p_), y)}
    b = entry.drift.xreplace(sub)
    d2 = entry.diff2.xreplace(sub)
    sign = 1 if entry.direction == "forward" else -1
    lhs = -sp.diff(b * p_, y) + sign * d2 / 2 * sp.diff(p_, y, 2)
    return sp.simplify(lhs - (-sp.diff(f_ * p_, y) + g_**2 / 2 * sp.diff(p_, y, 2))) == 0


def _tie(entry: Entry) -> Tuple[bool, str]:
    if not _fokker_planck(entry):
        return False, "the member does not keep the marginals (Fokker–Planck identity in 1-D)"
    red = entry.with_forms({"drift": entry.drift.xreplace({C.SIGMA(C.t): C.G(C.t)}),
                            "diff2": entry.diff2.xreplace({C.SIGMA(C.t): C.G(C.t)})})
    ok, detail = (tie_forward_general if entry.direction == "forward" else tie_sde)(red)
    return ok, "Fokker–Planck identity in 1-D with any f, p, g, σ; the member σ = g: " + detail


_add(name="sde_family.forward", title="forward-time SDE with the same marginals (any diffusion σ(t))", source=_SU6,
     kind="sde", family="generic",
     latex=r"dx = [f(x,t) - \frac{1}{2}(g(t)^2 - \sigma(t)^2)\nabla_x \log p_t(x)]\,dt + \sigma(t)\,dw",
     relation="LinearSDE.sde at σ = g; the Fokker–Planck identity for any σ", direction="forward", mode="continuous",
     drift=C.FX - (g2 - SIG2) / 2 * s, diff2=SIG2, noise="dw", tie=_tie)
_add(name="sde_family.reverse", title="reverse-time SDE with the same marginals (any diffusion σ(t))", source=_SU6,
     kind="sde", family="generic",
     latex=r"dx = [f(x,t) - \frac{1}{2}(g(t)^2 + \sigma(t)^2)\nabla_x \log p_t(x)]\,dt + \sigma(t)\,d\bar{w}",
     relation="LinearSDE.reverse(score_fn).sde at σ = g; the Fokker–Planck identity for any σ", direction="reverse",
     mode="continuous", drift=C.FX - (g2 + SIG2) / 2 * s, diff2=SIG2, noise="dwbar", tie=_tie)
