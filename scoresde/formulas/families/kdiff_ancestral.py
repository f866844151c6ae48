"""k-diffusion's ancestral split of a step between noise levels (crowsonkb/k-diffusion, k_diffusion/sampling.py,
get_ancestral_step; used by sample_euler_ancestral, sample_dpm_2_ancestral): from σ_i to σ_{i+1},

    σ_up = min(σ_{i+1}, η √(σ_{i+1}² (σ_i² − σ_{i+1}²)/σ_i²)),   σ_down = √(σ_{i+1}² − σ_up²),

and the step x_{i+1} = x_i + d_i (σ_down − σ_i) + σ_up z. With η = 1 this is ancestral sampling of the VE chain
(Song et al. 2021, App. F; Ho et al. 2020, Eq. 6-7 for x = x_0 + σ n): σ_up² is the variance of q(x_{i+1} | x_i, x_0)
and the deterministic part (σ_down/σ_i) x_i + (1 − σ_down/σ_i) x̂_0 its mean, so σ_down = σ_{i+1}²/σ_i (η = 1), and
σ_up² + σ_down² = σ_{i+1}² (the marginal at σ_{i+1} is kept). Papers that count down write the same split from σ_t to
σ_{t−1}; both index directions are entries. Judged by the literal reading (the claim writes σ_up, σ_down).

Tie: σ_up² against the posterior variance, and σ_down against the posterior mean's coefficient of x_i, of the package's
VESDE.chain(50) by Gaussian conditioning (ties._posterior_numeric); the η form at η = 1, and σ_down's σ_up form with
σ_up of the same step.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from ..entry import Entry
from ._common import collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

KDIFF = "crowsonkb/k-diffusion, k_diffusion/sampling.py (get_ancestral_step)"
_FROM = sp.Symbol("σ_from", positive=True)
_TO = sp.Symbol("σ_to", positive=True)
_UP = sp.Symbol("σ_up", positive=True)
_ETA = sp.Symbol("η", nonnegative=True)
_UP_EXPR = sp.sqrt(_TO**2 * (_FROM**2 - _TO**2) / _FROM**2)


def tie_ancestral(entry: Entry) -> Tuple[bool, str]:
    """σ_up² = Var q(x_{to} | x_{from}, x_0) and σ_down/σ_from = the posterior mean's coefficient of x_from, on the
    package's VESDE.chain(50) (ties._posterior_numeric: Gaussian conditioning, Bishop 2006, Eq. 2.116)."""
    from ..ties import _ev, _posterior_numeric, _ve_chain

    _, chain = _ve_chain()
    worst = 0.0
    for i in (2, 9, 30, chain.N):
        s_from, s_to = float(chain.s[i]), float(chain.s[i - 1])
        _, var = _posterior_numeric(chain, i, 0.0, 0.0, False)
        mean_x, _ = _posterior_numeric(chain, i, 1.0, 0.0, False)  # the coefficient of x_i (x_0 = 0)
        sub = {_FROM: s_from, _TO: s_to, _ETA: 1.0}
        sub[_UP] = _ev(_UP_EXPR, sub)
        val = _ev(entry.rhs, sub)
        if entry.lhs == "sigma_up":
            worst = max(worst, abs(val**2 - var))
        else:
            worst = max(worst, abs(val / s_from - mean_x))
    return worst < 1e-12, f"q(x_{{i-1}} | x_i, x_0) of VESDE.chain(50) by Gaussian conditioning: max deviation {worst:.1e}"


def _tex(to: str, frm: str) -> dict:
    return {"up": rf"\sigma_{{\text{{up}}}} = \sqrt{{\frac{{{to}^2({frm}^2 - {to}^2)}}{{{frm}^2}}}}",
            "up_eta": rf"\sigma_{{\text{{up}}}} = \eta\sqrt{{\frac{{{to}^2({frm}^2 - {to}^2)}}{{{frm}^2}}}}",
            "down": rf"\sigma_{{\text{{down}}}} = \sqrt{{{to}^2 - \sigma_{{\text{{up}}}}^2}}",
            "down_closed": rf"\sigma_{{\text{{down}}}} = \frac{{{to}^2}}{{{frm}}}"}


_RHS = {"up": _UP_EXPR, "up_eta": _ETA * _UP_EXPR, "down": sp.sqrt(_TO**2 - _UP**2), "down_closed": _TO**2 / _FROM}
_TITLE = {"up": "ancestral noise σ_up (η = 1)", "up_eta": "ancestral noise σ_up with η", "down": "deterministic target σ_down",
          "down_closed": "deterministic target σ_down = σ_to²/σ_from (η = 1)"}
for _dir, (_to, _frm) in (("up", (r"\sigma_{i+1}", r"\sigma_i")), ("down", (r"\sigma_{i-1}", r"\sigma_i"))):
    for _key, _tx in _tex(_to, _frm).items():
        _add(name=f"kdiff.{_key}" + ("" if _dir == "up" else "_desc"),
             title=f"k-diffusion {_TITLE[_key]}" + ("" if _dir == "up" else " (counting down)"),
             source=f"{KDIFF}; Song et al. 2021, App. F (VE ancestral sampling)", kind="scalar", family="ve", latex=_tx,
             relation="posterior q(x_{i-1} | x_i, x_0) of VESDE.chain", lhs="sigma_up" if _key.startswith("up") else "sigma_down",
             mode="discrete", rhs=_RHS[_key], tie=tie_ancestral)
