"""Consistency models' parameterisation (Song, Dhariwal, Chen & Sutskever 2023, Sec. 3 and App. C).

f_θ(x, t) = c_skip(t) x + c_out(t) F_θ(x, t) on t ∈ [ε, T], with EDM's scalings shifted so that the boundary condition
f_θ(x, ε) = x holds exactly (Eq. 5): c_skip(t) = σ_data²/((t − ε)² + σ_data²), c_out(t) = σ_data (t − ε)/√(σ_data² + t²).
The time is EDM's noise level (σ(t) = t), ε the smallest one. Judged by the literal reading (the claim writes the same
left side c_skip(t), c_out(t)). Tie: at ε = 0 they are EDM's c_skip(σ), c_out(σ) at σ = t, as the package's
ScoreNet(precond='edm').coefficients computes them (through edm.tie_precond), and at t = ε, c_skip = 1, c_out = 0.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp

from ..entry import Entry
from ._common import collector, t
from .edm import SD, SIG, SMIN, tie_precond

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

SONG_CM = "Song et al. 2023 (Consistency Models)"
EPS = sp.Symbol("ε_min", positive=True)  # the smallest time ε of the consistency function


def tie_boundary(entry: Entry) -> Tuple[bool, str]:
    """At ε = 0 the entry is EDM's scaling at σ = t (tied to ScoreNet(precond='edm').coefficients); at t = ε it gives
    f_θ(x, ε) = x (c_skip = 1, c_out = 0)."""
    tt, eps = (SIG, SMIN) if SMIN in entry.rhs.free_symbols else (t, EPS)
    at_zero = Entry(name=entry.name, title=entry.title, source=entry.source, kind="scalar", family="generic",
                    latex=entry.latex, relation=entry.relation, lhs=entry.lhs, mode="function",
                    rhs=entry.rhs.xreplace({eps: 0}).xreplace({tt: SIG}))
    ok, how = tie_precond(at_zero)
    at_eps = sp.simplify(entry.rhs.xreplace({tt: eps}))
    want = 1 if entry.lhs == "c_skip" else 0
    return ok and at_eps == want, f"at ε = 0: {how}; at t = ε: {entry.lhs} = {at_eps} (boundary condition f(x, ε) = x)"


_add(name="cm.c_skip", title="consistency-model skip scaling c_skip(t)", source=f"{SONG_CM}, Sec. 3 and App. C",
     kind="scalar", family="generic",
     latex=r"c_{\text{skip}}(t) = \frac{\sigma_{\text{data}}^2}{(t - \epsilon)^2 + \sigma_{\text{data}}^2}",
     relation="EDM's c_skip at ε = 0 (ScoreNet(precond='edm').coefficients); c_skip(ε) = 1", lhs="c_skip", mode="function",
     rhs=SD**2 / ((t - EPS) ** 2 + SD**2), tie=tie_boundary)
_add(name="cm.c_out", title="consistency-model output scaling c_out(t)", source=f"{SONG_CM}, Sec. 3 and App. C",
     kind="scalar", family="generic",
     latex=r"c_{\text{out}}(t) = \frac{\sigma_{\text{data}}(t - \epsilon)}{\sqrt{\sigma_{\text{data}}^2 + t^2}}",
     relation="EDM's c_out at ε = 0 (ScoreNet(precond='edm').coefficients); c_out(ε) = 0", lhs="c_out", mode="function",
     rhs=SD * (t - EPS) / sp.sqrt(SD**2 + t**2), tie=tie_boundary)

# the same scalings in the noise level σ of the code (openai/consistency_models, cm/karras_diffusion.py,
# get_scalings_for_boundary_condition: c_skip = σ_data²/((σ − σ_min)² + σ_data²), c_out = (σ − σ_min) σ_data/√(σ² + σ_data²))
_add(name="cm.c_skip_sigma", title="consistency-model skip scaling c_skip(σ) (noise level σ, smallest σ_min)",
     source=f"{SONG_CM}, App. C (EDM's σ(t) = t: t = σ, ε = σ_min)", kind="scalar", family="generic",
     latex=r"c_{\text{skip}}(\sigma) = \frac{\sigma_{\text{data}}^2}{(\sigma - \sigma_{\min})^2 + \sigma_{\text{data}}^2}",
     relation="EDM's c_skip at σ_min = 0 (ScoreNet(precond='edm').coefficients); c_skip(σ_min) = 1", lhs="c_skip",
     mode="function", rhs=SD**2 / ((SIG - SMIN) ** 2 + SD**2), tie=tie_boundary)
_add(name="cm.c_out_sigma", title="consistency-model output scaling c_out(σ) (noise level σ, smallest σ_min)",
     source=f"{SONG_CM}, App. C (EDM's σ(t) = t: t = σ, ε = σ_min)", kind="scalar", family="generic",
     latex=r"c_{\text{out}}(\sigma) = \frac{(\sigma - \sigma_{\min})\,\sigma_{\text{data}}}{\sqrt{\sigma^2 + \sigma_{\text{data}}^2}}",
     relation="EDM's c_out at σ_min = 0 (ScoreNet(precond='edm').coefficients); c_out(σ_min) = 0", lhs="c_out",
     mode="function", rhs=SD * (SIG - SMIN) / sp.sqrt(SIG**2 + SD**2), tie=tie_boundary)

# the consistency function's parameterisation itself (Song et al. 2023, Eq. 5): f_θ(x, t) = c_skip(t) x + c_out(t) F_θ(x, t),
# in the paper's t and in the code's noise level σ; judged literally (swapped scalings are inconsistent)
_CS_T, _CO_T = sp.Symbol("c_skip(t)", real=True), sp.Symbol("c_out(t)", real=True)
_X, _F = sp.Symbol("x", real=True), sp.Symbol("F_θ(x, t)", real=True)


def tie_cm_function(entry: Entry) -> Tuple[bool, str]:
    """With the registry's c_skip, c_out of the same letter, f(x, ε) = x for every network output F (the boundary
    condition, Song et al. 2023, Eq. 5) and f = EDM's c_skip x + c_out F at ε = 0 (tied through tie_boundary)."""
    sigma = SIG in entry.rhs.free_symbols or "sigma" in entry.name
    cs = ENTRIES[2 if sigma else 0]
    co = ENTRIES[3 if sigma else 1]
    tt, eps = (SIG, SMIN) if sigma else (t, EPS)
    ok = all(cs_ok for cs_ok, _ in (tie_boundary(cs), tie_boundary(co)))
    worst = 0.0
    for xv, fv, ev in ((0.7, -1.3, 0.002), (-2.1, 0.4, 0.05)):
        f_at_eps = entry.rhs.xreplace({_CS_T: cs.rhs.xreplace({tt: eps}), _CO_T: co.rhs.xreplace({tt: eps}), _X: xv, _F: fv})
        worst = max(worst, abs(float(f_at_eps.xreplace({eps: ev, SD: 0.5})) - xv))
    return ok and worst < 1e-12, f"f(x, ε) = x with the registry's c_skip, c_out: max deviation {worst:.1e}"


for _nm, _arg in (("cm.function", "t"), ("cm.function_sigma", r"\sigma")):
    _add(name=_nm, title=f"consistency-model parameterisation f_θ(x, {'t' if _arg == 't' else 'σ'})", source=f"{SONG_CM}, Eq. 5",
         kind="scalar", family="generic",
         latex=rf"f_\theta(x, {_arg}) = c_{{\text{{skip}}}}({_arg})\,x + c_{{\text{{out}}}}({_arg})\,F_\theta(x, {_arg})",
         relation="f(x, ε) = x with cm.c_skip, cm.c_out", lhs="f_cm", mode="function", rhs=_CS_T * _X + _CO_T * _F,
         tie=tie_cm_function)
