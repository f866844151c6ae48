"""The records of the registry's training objectives and DSM targets (ObjectiveRef, RelationRef) and their ties to
``train.losses`` (or their LaTeX read back); the entries themselves are written in :mod:`.objectives`."""
from __future__ import annotations

from dataclasses import dataclass as _dataclass
from typing import Dict, Tuple

import sympy as sp
import torch

from ..entry import Entry
from ..objective_reader import Objective, read_objective

_f64 = torch.float64


@_dataclass
class ObjectiveRef:
    name: str
    title: str
    source: str
    kind: str  # what a bare expression of this form is reported as
    names: Tuple[str, ...]  # the loss names (normalised, objective_reader.norm_name) a claim may give it
    latex: str
    objective: Objective


OBJECTIVE_REFS: Dict[str, ObjectiveRef] = {}


def tie_objective(entry: Entry) -> Tuple[bool, str]:
    """The integrand at the package's numbers: train.losses.dsm_loss(net, sde, x0, t, z, reduce='sum') on a 1-d
    batch with a fixed linear network, the network's input = train.losses.perturb(sde, x0, t, z)."""
    from ...train.losses import dsm_loss, perturb
    from ..ties import _points, _ve, _vp

    ref = OBJECTIVE_REFS[entry.name]
    recipe = _TIE_RECIPES[entry.name]
    sde = _vp() if recipe["sde"] == "vp" else _ve(marginal="smld")
    net = lambda x_, t_: 0.3 * x_ - 0.2 * t_[:, None] + 0.1  # noqa: E731  (any network will do)
    worst = 0.0
    for tt in _points(sde):
        t_ = torch.tensor([tt], dtype=_f64)
        x0_, z_ = torch.tensor([[0.7]], dtype=_f64), torch.tensor([[-1.3]], dtype=_f64)
        xt = perturb(sde, x0_, t_, z_)
        m = float(torch.exp(sde.log_mean_coeff(t_)))
        sd = float(sde.marginal_std(t_))
        out = float(net(xt, t_).flatten()[0])
        loss = float(dsm_loss(net, sde, x0_, kind=recipe["kind"], weighting=recipe["weighting"], t=t_, z=z_, reduce="sum")[0])
        vals = recipe["values"](m=m, sd=sd, x0=0.7, z=-1.3, out=out, g2=float(sde.diffusion_sq(t_)))
        sub = {s_: vals[s_.name] for s_ in entry.rhs.free_symbols}
        got = float(entry.rhs.xreplace(sub))
        (inp,) = [c[0] for calls in ref.objective.models.values() for c in calls]
        worst = max(worst, abs(got - recipe["scale"](sd) * loss) / (1 + abs(loss)),
                    abs(float(inp.xreplace({s_: vals[s_.name] for s_ in inp.free_symbols})) - float(xt)) / (1 + abs(float(xt))))
    return worst < 1e-10, (f"train.losses.dsm_loss(kind={recipe['kind']!r}, weighting={recipe['weighting']!r}) and perturb "
                           f"on {recipe['sde'].upper()}SDE: max relative deviation {worst:.1e}")


def _vp_eps(m, sd, x0, z, out, g2):
    return {"ᾱ_k": m * m, "x_0": x0, "ξ": z, "M[ε_θ]": out, "t": 0.0}


def _dsm_sde(m, sd, x0, z, out, g2):
    return {"λ(k)": sd * sd, "x(0)": x0, "ξ": z, "M[s_θ]": out, "∇logp_0k(x(k)|x(0))": -z / sd, "x(k)": m * x0 + sd * z, "t": 0.0}


def _smld(m, sd, x0, z, out, g2):
    return {"σ": sd, "x": x0, "ξ": z, "M[s_θ]": out}


def _jsm(m, sd, x0, z, out, g2):
    # E_{p_t(x)}‖∇log p_t − s_θ‖² and E‖∇log p_{0t}(x_t|x_0) − s_θ‖² differ by a θ-free constant (Vincent 2011): the
    # kernel score −z/σ_t stands in for ∇log p_t(x) here, as in the package's loss
    return {"g(k)": g2 ** 0.5, "x": m * x0 + sd * z, "M[s_θ]": out, "∇logp_k(x)": -z / sd}


_TIE_RECIPES = {
    "objective.l_simple": dict(sde="vp", kind="eps", weighting="eps", values=_vp_eps, scale=lambda sd: 1.0),
    "objective.dsm": dict(sde="vp", kind="score", weighting="eps", values=_dsm_sde, scale=lambda sd: 1.0),
    "objective.dsm_sigma": dict(sde="ve", kind="score", weighting="eps", values=_smld, scale=lambda sd: 0.5 / sd**2),
    "objective.jsm": dict(sde="vp", kind="score", weighting="likelihood", values=_jsm, scale=lambda sd: 0.5),
}


def tie_read_back(entry: Entry) -> Tuple[bool, str]:
    """No package implementation to tie to: the entry's LaTeX, read again by the objective reader, gives its integrand."""
    ob = read_objective(entry.latex)
    same = sp.simplify(ob.integrand - entry.rhs) == 0
    return same, ("not implemented by the package (train.losses trains with the ε- and likelihood weightings only); "
                  "its LaTeX read back by the objective reader gives the same integrand" if same else "its LaTeX reads back differently")


@_dataclass
class RelationRef:
    name: str
    title: str
    source: str
    lhs: str  # the normalised name of the score on the left (objective_reader)
    latex: str
    rhs: sp.Expr
    roles: Dict[str, str]


RELATION_REFS: Dict[str, RelationRef] = {}


def read_score_relation(latex: str):
    """(left-side score name, right side, roles) of ``∇_v log q(v | w) = expr``; ValueError if it is not one."""
    from ..objective_reader import Piece, read_piece
    from ..objective_text import clean, split_top

    sides = split_top(clean(latex), ("=",))
    if len(sides) != 2:
        raise ValueError("not an equation with one '='")
    pc = Piece()
    lhs = read_piece(sides[0], pc)
    if not (isinstance(lhs, sp.Symbol) and pc.roles.get(lhs.name) == "target" and "|" in lhs.name):
        raise ValueError("the left side is not the score of a conditional density")
    rhs = read_piece(sides[1], pc)
    return lhs.name.replace("∇logq", "∇logp"), rhs, pc.roles


def tie_dsm_target(entry: Entry) -> Tuple[bool, str]:
    """The right side at x̃ = train.losses.perturb(sde, x0, t, z) equals −z/s(t), s(t) = sde.marginal_std (the
    target of train.losses.dsm_loss): VESDE(marginal='smld') for q_σ, VPSDE for p_{0t} with ᾱ(t) = m(t)²."""
    from ...train.losses import perturb
    from ..ties import _points, _ve, _vp

    ref = RELATION_REFS[entry.name]
    names = {s_.name for s_ in ref.rhs.free_symbols}
    # σ(t) beside σ(0): the VE SDE started at the data, s(t)² = σ(t)² − σ_min² (VESDE's marginal="exact")
    sde = _vp() if "ᾱ" in sp.srepr(ref.rhs) else _ve(marginal="exact") if "σ(0)" in names else _ve(marginal="smld")
    worst = 0.0
    for tt in _points(sde):
        t_ = torch.tensor([tt], dtype=_f64)
        x0_, z_ = torch.tensor([[0.7]], dtype=_f64), torch.tensor([[-1.3]], dtype=_f64)
        xt = float(perturb(sde, x0_, t_, z_).flatten()[0])
        sd, m = float(sde.marginal_std(t_)), float(torch.exp(sde.log_mean_coeff(t_)))
        sig = float(sde.sigma(t_)) if hasattr(sde, "sigma_min") else 0.0
        vals = {"x̃": xt, "x": 0.7, "σ": sd, "x(k)": xt, "x(0)": 0.7, "ᾱ(k)": m * m, "σ(k)": sig, "σ(0)": getattr(sde, "sigma_min", 0.0)}
        got = float(entry.rhs.xreplace({s_: vals[s_.name] for s_ in entry.rhs.free_symbols}))
        worst = max(worst, abs(got + (-1.3) / sd) / (1 + abs(1.3 / sd)))
    return worst < 1e-10, f"−z/s(t) at train.losses.perturb(…) on {type(sde).__name__}: max relative deviation {worst:.1e}"


def _jdsm(m, sd, x0, z, out, g2):
    return {"g(k)": g2 ** 0.5, "x̃": m * x0 + sd * z, "x": x0, "M[s_θ]": out, "∇logp_0k(x̃|x)": -z / sd}


def _ve_noise(m, sd, x0, z, out, g2):
    return {"σ(k)": sd, "x(0)": x0, "z": z, "M[s_θ]": out}


_TIE_RECIPES["objective.jdsm"] = dict(sde="vp", kind="score", weighting="likelihood", values=_jdsm, scale=lambda sd: 0.5)
_TIE_RECIPES["objective.dsm_ve_noise"] = dict(sde="ve", kind="score", weighting="eps", values=_ve_noise, scale=lambda sd: 1.0)
