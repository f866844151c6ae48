"""A discretised SDE step written without any drift f: the step of the SDE dx = g(t) dw (f ≡ 0).

Song's score_sde Colab tutorial samples the SDE dx = σ^t dw (no drift) with the reverse Euler–Maruyama step
x_{t−Δt} = x_t + g(t)² s_θ(x_t, t) Δt + g(t) √Δt z_t, i.e. the registry's generic step (Song et al. 2021, Eq. 6:
x_{t−Δt} = x_t − [f(x_t, t) − g(t)² s_θ] Δt + g(t) √Δt z) with f ≡ 0. A step compared with a generic entry that
carries f(x, t) (Euler–Maruyama forward or reverse, the probability-flow Euler step) whose only mismatch is a
coefficient 0 on f, with no f written at all, is that step for a drift-free SDE: ``consistent`` (a valid special case,
not the general named step). Where other pieces differ too, the missing f is not reported as a wrong drift: the
verdict stays ``inconsistent`` with the other pieces only.
"""
from __future__ import annotations

import re

from .verdict import Verdict

__all__ = ["driftless_step"]

_GENERIC = ("euler_maruyama", "euler_maruyama.forward", "pf_euler")
_F_MISSING = re.compile(r"coefficient of f\(x,\s*t\): expected [^;]*?, found 0(?:;\s*|$)")
_F_WRITTEN = re.compile(r"(?<![A-Za-z\\])(?:\\mathbf\s*\{\s*f\s*\}|\\boldsymbol\s*\{\s*f\s*\}|f)\s*(?:_|\(|\\left)")
_NOTE = ("the step of the SDE dx = g(t) dw: no drift f is written, read as f ≡ 0 (Song's score_sde Colab tutorial "
         "samples dx = σ^t dw so; Song et al. 2021, Eq. 6 with f = 0)")


def driftless_step(eq: str, v: Verdict) -> Verdict:
    """``v`` re-read for a step with no drift written (module docstring); ``v`` itself when the rule does not apply."""
    if v.verdict != "inconsistent" or v.target not in _GENERIC or "drift" not in (v.terms or []):
        return v
    if not _F_MISSING.search(v.detail) or _F_WRITTEN.search(eq):
        return v
    rest = _F_MISSING.sub("", v.detail).strip().rstrip(";").strip()
    if not rest:
        return Verdict(v.latex, "consistent", f"{v.claim or v.target}: {_NOTE}", claim=v.claim, target=v.target,
                       order=v.order, notes=list(v.notes))
    terms = [t_ for t_ in v.terms if t_ != "drift"]
    if not terms:
        return v
    return Verdict(v.latex, "inconsistent", rest, claim=v.claim, target=v.target, order=v.order,
                   notes=list(v.notes) + [_NOTE], terms=terms)
