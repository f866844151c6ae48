"""Weights of the training objectives: L_simple as DSM with λ(t) = σ_t² (Ho et al. 2020, Eq. 14; Song et al.
2021, Eq. 7), the likelihood weighting λ(t) = g(t)² (Song, Durkan, Murray & Ermon 2021, Thm. 1), NCSN's
λ(σ) = σ² (Song & Ermon 2019, Sec. 4.2), and the learned-variance interpolation Σ_θ (Nichol & Dhariwal 2021, Eq. 15).

Ties: ``scoresde.train.losses.eps_weight`` (the weight on ‖ε_θ − z‖² is λ(t)/σ_t²) on every registered SDE, and
the chain's β_k and posterior variance β̃_k (``VPSDE.chain(N)``) at the interpolation's end points and between.
"""
from __future__ import annotations

from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector, t

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)
#: entries written but not registered yet (none at present: since evaluate.is_zero gives every free symbol random
#: values, entries with σ_data, i, N, ρ, w, ... are registered). Their ties would still be tested in test_corpus.
PENDING: List[Entry] = []
_pending = collector(PENDING)

V = sp.Symbol("v", real=True)  # N&D's interpolation weight (not the v-prediction: this module's scalar only)
_f64 = torch.float64


def tie_weight(entry: Entry) -> Tuple[bool, str]:
    """λ(t) of the entry vs eps_weight(sde, t, w) · σ_t² (w = 'likelihood' for g², 'eps' for σ_t²)."""
    from ...sde import SDES
    from ...train.losses import eps_weight
    from ..ties import _ev, _points

    which = "likelihood" if entry.rhs.has(C.G(t)) else "eps"
    worst = 0.0
    for ctor in SDES.values():
        sde = ctor()
        for tt in _points(sde):
            t_ = torch.tensor([tt], dtype=_f64)
            ref = float(eps_weight(sde, t_, which) * sde.marginal_var(t_))
            val = _ev(entry.rhs, {C.G(t): float(sde.diffusion(t_)), C.sg_sym: float(sde.marginal_std(t_))})
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"train.losses.eps_weight(…, {which!r}) × σ_t² on {len(SDES)} SDEs: max relative deviation {worst:.1e}"


def tie_learned_variance(entry: Entry) -> Tuple[bool, str]:
    """v = 1 gives β_k, v = 0 the posterior variance β̃_k of VPSDE.chain(50), v = 0.3 their geometric mean β^0.3 β̃^0.7."""
    from ..ties import _ev, _posterior_numeric, _step_subs_vp, _vp_chain

    _, chain = _vp_chain()
    worst = 0.0
    for i in (2, 9, 30, chain.N):
        _, bt = _posterior_numeric(chain, i, 0.0, 0.0, True)
        beta = float(chain.betas[i - 1])
        sub = _step_subs_vp(chain, i)
        for vv, ref in ((1.0, beta), (0.0, bt), (0.3, beta**0.3 * bt**0.7)):
            worst = max(worst, abs(_ev(entry.rhs, {**sub, V: vv}) - ref) / ref)
    return worst < 1e-10, f"β_k and posterior variance of VPSDE.chain(50): max relative deviation {worst:.1e}"


_add(name="objective.likelihood_weighting", title="likelihood weighting λ(t) = g(t)²",
     source="Song, Durkan, Murray & Ermon 2021 (Maximum Likelihood Training of Score-Based Diffusion Models), Thm. 1",
     kind="scalar", family="generic", latex=r"\lambda(t) = g(t)^2", relation="train.losses.eps_weight(…, 'likelihood') × σ_t²",
     lhs="lambda(t)", mode="function", rhs=C.G(t) ** 2, tie=tie_weight)
_add(name="objective.simple_weighting", title="L_simple as DSM: λ(t) = σ_t²",
     source="Ho et al. 2020 (DDPM), Eq. 14 with Song et al. 2021, Eq. 7 (ε = −σ_t s)", kind="scalar", family="generic",
     latex=r"\lambda(t) = \sigma_t^2", relation="train.losses.eps_weight(…, 'eps') × σ_t²", lhs="lambda(t)", mode="function",
     rhs=C.sg_sym**2, tie=tie_weight)
_add(name="objective.learned_variance", title="learned variance interpolation Σ_θ",
     source="Nichol & Dhariwal 2021 (Improved DDPM), Eq. 15", kind="scalar", family="vp",
     latex=r"\Sigma_\theta(x_t, t) = \exp(v\log\beta_t + (1 - v)\log\tilde{\beta}_t)",
     relation="β_k and the posterior variance of VPSDE.chain(N) at v = 1, 0", lhs="Sigma_theta", mode="discrete",
     rhs=sp.exp(V * sp.log(C.b) + (1 - V) * sp.log(C.beta_tilde())), tie=tie_learned_variance)


SIGN = sp.Symbol("σ", positive=True)  # SMLD noise level


def tie_ncsn(entry: Entry) -> Tuple[bool, str]:
    """λ(σ) = σ²: the eps-weighting of train.losses on VESDE (λ/σ_t² = 1, σ_t the noise level); the DSM target
    −(x̃ − x)/σ² at x̃ = train.losses.perturb(VESDE, x, t, z) equals −z/σ_t (the eps-loss's target −ε/σ)."""
    from ...train.losses import eps_weight, perturb
    from ..ties import _ev, _points, _ve

    sde = _ve(marginal="smld")
    worst = 0.0
    for tt in _points(sde):
        t_ = torch.tensor([tt], dtype=_f64)
        sd = float(sde.marginal_std(t_))
        if entry.lhs == "lambda(sigma)":
            ref = float(eps_weight(sde, t_, "eps")) * sd * sd
            val = _ev(entry.rhs, {SIGN: sd})
        else:
            x0_, z_ = torch.tensor([[0.7]], dtype=_f64), torch.tensor([[-1.3]], dtype=_f64)
            xt = float(perturb(sde, x0_, t_, z_).flatten()[0])
            ref = -float(z_) / sd
            val = _ev(entry.rhs, {C.x: xt, C.x0: 0.7, SIGN: sd})
        worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"train.losses (eps_weight, perturb) on VESDE(marginal='smld'): max relative deviation {worst:.1e}"


_add(name="objective.ncsn_weighting", title="NCSN weighting λ(σ) = σ²", source="Song & Ermon 2019 (NCSN), Sec. 4.2",
     kind="scalar", family="ve", latex=r"\lambda(\sigma) = \sigma^2", relation="train.losses.eps_weight(VESDE, 'eps') × σ²",
     lhs="lambda(sigma)", mode="function", rhs=SIGN**2, tie=tie_ncsn)
