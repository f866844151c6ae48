"""Ties of the multi-time references (:mod:`mt_refs`) to the package: each algorithm line, evaluated with the
reference's own other lines on Gaussian data with the exact model, against one step of the package's solver
(``scoresde.solvers``: DDIM, DPMSolver2, DPMSolver3, DPMSolverPP2M, the EDM Heun step ``heun_sigma`` and
``EDMStochastic``) or the SDE's kernels (``VPSDE.marginal_prob``, ``_transition``). ``scoresde verify --builtin``
runs them (:func:`mt_builtin_report`).
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Tuple

import sympy as sp
import torch

from .mt_compare import _cached
from .mt_refs import REFS, MTRef, by_name

__all__ = ["mt_builtin_report", "RefEval"]

_M0, _V0 = 0.4, 0.6  # the Gaussian data N(_M0, _V0)
_f64 = torch.float64


def _as(lam: float) -> Tuple[float, float]:
    return math.sqrt(1 / (1 + math.exp(-2 * lam))), math.sqrt(1 / (1 + math.exp(2 * lam)))


class RefEval:
    """Numeric value of a reference line: states, scalars and auxiliaries from ``given`` or from the other lines
    of the same algorithm; ε_θ / D_θ exact for Gaussian data N(m, v)."""

    def __init__(self, ref: MTRef, lams: Dict[str, float], given: Dict[str, float], m: float = _M0, v: float = _V0,
                 labels: Optional[Dict[str, str]] = None):
        self.ref, self.lams, self.given, self.m, self.v, self.labels = ref, dict(lams), dict(given), m, v, labels

    def _line(self, sym: sp.Symbol):
        for r_ in REFS:
            if r_.group == self.ref.group and not r_.template:
                q, rhs, rv = _cached(r_, None)
                if q == sym:
                    return rhs, rv
        raise KeyError(sym.name)

    def scalar(self, s_: sp.Symbol, depth: int) -> float:
        name = s_.name
        if name in self.given:
            return self.given[name]
        if name.startswith("λ["):
            return self.lams[name[2:-1]]
        if "[" in name and self.ref.notation == "edm":
            what, lab = name[:-1].split("[", 1)
            if what in ("sig", "sc", "sigd", "scd"):
                return {"sig": self.scalar(sp.Symbol(f"t[{lab}]", positive=True, real=True), depth), "sc": 1.0, "sigd": 1.0, "scd": 0.0}[what]
        rhs, _ = self._line(s_)
        return self.value(rhs, depth + 1)

    def vector(self, s_: sp.Symbol, vocab, depth: int) -> float:
        kind, key = vocab.vecs[s_]
        if key in self.given:
            return self.given[key]
        if kind in ("eps", "D"):
            y, lab = vocab.model_args[s_]
            yv = self.value(y, depth + 1, vocab)
            if kind == "D":
                t = self.scalar(sp.Symbol(f"t[{lab}]", positive=True, real=True), depth)
                return (self.v * yv + t * t * self.m) / (self.v + t * t)
            a, sg = _as(self.lams[lab])
            return sg * (yv - a * self.m) / (a * a * self.v + sg * sg)
        rhs, rv = self._line(s_)
        return self.value(rhs, depth + 1, rv)

    def value(self, e: sp.Expr, depth: int = 0, vocab=None) -> float:
        if depth > 8:
            raise RecursionError("reference lines refer to each other")
        if vocab is None:
                vocab = _cached(self.ref, self.labels)[2]
        rep = {}
        for s_ in e.free_symbols:
            if s_ in vocab.vecs:
                rep[s_] = self.vector(s_, vocab, depth)
            else:
                rep[s_] = self.scalar(s_, depth)
        return float(sp.N(e.xreplace({k: sp.Float(val, 30) for k, val in rep.items()}), 30))

    def line(self, name: Optional[str] = None) -> float:
        q, rhs, rv = _cached(by_name(name) if name else self.ref, self.labels)
        return self.value(rhs, 0, rv)


# ============================================================================ solver steps with the exact score
def _score(sde):
    def sc(x: torch.Tensor, t: float) -> torch.Tensor:
        m = float(sde.mean_coeff(torch.tensor(t, dtype=_f64)))
        var = float(sde.marginal_var(torch.tensor(t, dtype=_f64)))
        return -(x - m * _M0) / (m * m * _V0 + var)
    return sc


def _run(step, sde, grid: List[float], x: float, noise: float = 0.0) -> List[float]:
    from ..solvers.base import StepContext, interval_coeffs

    out, state, xx = [x], {}, torch.tensor([x], dtype=_f64)
    for k in range(len(grid) - 1):
        ctx = StepContext(sde=sde, coeffs=interval_coeffs(sde, grid[k], grid[k + 1]), step_index=k, n_steps=len(grid) - 1,
                          _score=_score(sde), _noise=lambda like, *a_: torch.full_like(like, noise), stream=0, state=state)
        xx, _ = step.step(ctx, xx)
        out.append(float(xx[0]))
    return out


def _lam(sde, t: float) -> float:
    return float(sde.log_snr(torch.tensor(t, dtype=_f64)))


def _worst(pairs) -> Tuple[bool, str]:
    worst = max(abs(a_ - b_) for a_, b_ in pairs)
    return worst < 1e-8, f"max deviation {worst:.1e}"


def _tie_dpm(name: str, make: Callable, params: Dict[str, float], ref: MTRef) -> Tuple[bool, str]:
    from ..sde import VPSDE

    pairs = []
    for sde in (VPSDE(), VPSDE.cosine()):
        for t, t1, x in ((0.9, 0.7, 0.37), (0.5, 0.42, -1.2), (0.3, 0.2, 0.8)):
            got = _run(make(), sde, [t, t1], x)[-1]
            lt, lt1 = _lam(sde, t), _lam(sde, t1)
            lams = {"t_i-1": lt, "t_i": lt1}
            for lab, spec in ref.lams.items():
                base, _, rest = spec.partition(" + ")
                r = params[rest.split("*")[0]]
                lams[lab] = lams[base] + r * (lt1 - lt)
            ev = RefEval(ref, lams, dict(params, **{"x@t_i-1": x}))
            pairs.append((ev.line(), got))
    ok, d = _worst(pairs)
    return ok, f"{name} on VPSDE and its cosine twin, Gaussian data, exact score: {d}"


def _tie_2m(ref: MTRef) -> Tuple[bool, str]:
    from ..sde import VPSDE
    from ..solvers.dpm_solver import DPMSolverPP2M

    pairs = []
    for sde in (VPSDE(), VPSDE.cosine()):
        for grid, x in (([0.9, 0.75, 0.5], 0.37), ([0.6, 0.5, 0.45], -1.1)):
            xs = _run(DPMSolverPP2M(lower_order_final=False), sde, grid, x)
            lams = {"t_i-2": _lam(sde, grid[0]), "t_i-1": _lam(sde, grid[1]), "t_i": _lam(sde, grid[2])}
            ev = RefEval(ref, lams, {"x@t_i-2": xs[0], "x@t_i-1": xs[1]})
            pairs.append((ev.line(), xs[2]))
    ok, d = _worst(pairs)
    return ok, f"second step of solvers.DPMSolverPP2M (lower_order_final=False): {d}"


def _tie_edm1(ref: MTRef) -> Tuple[bool, str]:
    from ..sde import VESDE
    from ..solvers.edm import EDMStochastic

    sde, pairs = VESDE(), []
    for t, t1, x in ((0.6, 0.5, 0.9), (0.3, 0.1, -2.0)):
        got = _run(EDMStochastic(s_churn=0.0), sde, [t, t1], x)[-1]
        sig = lambda tt: math.sqrt(float(sde.marginal_var(torch.tensor(tt, dtype=_f64))))
        ev = RefEval(ref, {}, {"t[t_i]": sig(t), "t[t_i+1]": sig(t1), "x@t_i": x})
        pairs.append((ev.line(), got))
    ok, d = _worst(pairs)
    return ok, f"solvers.EDMStochastic(s_churn=0) (Heun in σ, Alg. 1) on VESDE, Gaussian data: {d}"


def _tie_edm2(ref: MTRef) -> Tuple[bool, str]:
    from ..sde import VESDE
    from ..solvers.edm import EDMStochastic

    sde, pairs = VESDE(), []
    for t, t1, x, z in ((0.6, 0.5, 0.9, 0.7), (0.4, 0.2, -2.0, -1.3)):
        churn, n, s_noise = 0.3, 1, 1.1
        got = _run(EDMStochastic(s_churn=churn, s_noise=s_noise), sde, [t, t1], x, noise=z)[-1]
        sig = lambda tt: math.sqrt(float(sde.marginal_var(torch.tensor(tt, dtype=_f64))))
        ev = RefEval(ref, {}, {"t[t_i]": sig(t), "t[t_i+1]": sig(t1), "x@t_i": x, "i": s_noise * z,
                               "S_churn": churn, "N": n})
        pairs.append((ev.line(), got))
    ok, d = _worst(pairs)
    return ok, f"solvers.EDMStochastic(S_churn=0.3, S_noise=1.1) on VESDE with a fixed noise draw, Gaussian data: {d}"


def _tie_vdm(ref: MTRef) -> Tuple[bool, str]:
    from ..sde import VPSDE

    sde, pairs = VPSDE(), []
    for t, s_, x, z in ((0.7, 0.3, 0.5, -0.4), (0.95, 0.05, -1.0, 1.2)):
        tt = torch.tensor([t], dtype=_f64)
        if ref.name.endswith("marginal"):
            mean, std = sde.marginal_prob(torch.tensor([x], dtype=_f64), tt)
            got = float(mean[0] + std[0] * z)
            given = {"data:x": x, "x": x, "ε": z}
        else:
            a, b = sde._transition(torch.tensor(s_, dtype=_f64), torch.tensor(t, dtype=_f64))
            got, given = float(a) * x + float(b) * z, {"x@s": x, "ε": z}
        labels = None if ref.name.endswith("marginal") else {"PP": "t", "CC": "s"}
        ev = RefEval(ref, {"t": _lam(sde, t), "s": _lam(sde, s_)}, given, labels=labels)
        pairs.append((ev.line(), got))
    ok, d = _worst(pairs)
    return ok, ("VPSDE.marginal_prob" if ref.name.endswith("marginal") else "VPSDE._transition (s -> t)") + f": {d}"


def _tie_vdm_anc(ref: MTRef) -> Tuple[bool, str]:
    """VDM's generative step (t -> s, fixed noise value) against one step of solvers.DDIM(eta=1) (DDPM's σ² = β̃)."""
    from ..sde import VPSDE
    from ..solvers.ddim import DDIM

    pairs = []
    for sde in (VPSDE(), VPSDE.cosine()):
        for t, s_, x, z in ((0.9, 0.7, 0.37, 0.8), (0.5, 0.42, -1.2, -0.3)):
            got = _run(DDIM(1.0), sde, [t, s_], x, noise=z)[-1]
            ev = RefEval(ref, {"t": _lam(sde, t), "s": _lam(sde, s_)}, {"x@t": x, "ε": z})
            pairs.append((ev.line(), got))
    ok, d = _worst(pairs)
    return ok, f"solvers.DDIM(eta=1) with a fixed noise value on VPSDE and its cosine twin: {d}"


def _tie_sde_dpmpp1(ref: MTRef) -> Tuple[bool, str]:
    """SDE-DPM-Solver++(1) (s -> t, fixed noise value) against the first (first-order) step of SDEDPMSolverPP2M(eta=1)."""
    from ..sde import VPSDE
    from ..solvers.sde_dpm_solver import SDEDPMSolverPP2M

    pairs = []
    for sde in (VPSDE(), VPSDE.cosine()):
        for s_, t, x, z in ((0.9, 0.7, 0.37, 0.8), (0.5, 0.42, -1.2, -0.3)):
            got = _run(SDEDPMSolverPP2M(1.0), sde, [s_, t], x, noise=z)[-1]
            ev = RefEval(ref, {"t": _lam(sde, t), "s": _lam(sde, s_)}, {"x@s": x, "ε": z})
            pairs.append((ev.line(), got))
    ok, d = _worst(pairs)
    return ok, f"first step of solvers.SDEDPMSolverPP2M(eta=1) with a fixed noise value, VPSDE and its cosine twin: {d}"


def _tie_schedule(ref: MTRef) -> Tuple[bool, str]:
    """λ_t of the schedule against LinearSDE.log_snr of VPSDE (linear β) or VPSDE.cosine with s -> 0."""
    from ..sde import VPSDE
    q, val, _ = _cached(ref, None)
    cos = ref.name.endswith("cosine")
    sde = VPSDE.cosine(s=1e-12, T=0.99) if cos else VPSDE(beta_min=0.1, beta_max=20.0)
    pairs = []
    for t in (0.1, 0.4, 0.75, 0.95):
        rep = {s_: (t if s_.name == "t·" else {"β_min": 0.1, "β_max": 20.0}[s_.name]) for s_ in val.free_symbols}
        pairs.append((float(sp.N(val.xreplace(rep), 30)), _lam(sde, t)))
    ok, d = _worst(pairs)
    return ok, ("VPSDE.cosine(s=1e-12)" if cos else "VPSDE(beta_min=0.1, beta_max=20)") + f".log_snr: {d}"


def ties() -> Dict[str, Callable[[MTRef], Tuple[bool, str]]]:
    from ..solvers.ddim import DDIM
    from ..solvers.dpm_solver import DPMSolverPP2M
    from ..solvers.dpm_solver_single import DPMSolver2, DPMSolver3

    out: Dict[str, Callable[[MTRef], Tuple[bool, str]]] = {
        "mt.dpm1.x": lambda r: _tie_dpm("solvers.DDIM(eta=0)", lambda: DDIM(0.0), {}, r),
        "mt.dpmpp1.x": lambda r: _tie_dpm("first step of solvers.DPMSolverPP2M", DPMSolverPP2M, {}, r),
        "mt.dpm2.x": lambda r: _tie_dpm("solvers.DPMSolver2(r1=0.3)", lambda: DPMSolver2(0.3), {"r_1": 0.3}, r),
        "mt.dpm3.x": lambda r: _tie_dpm("solvers.DPMSolver3(r1=0.25, r2=0.6)", lambda: DPMSolver3(0.25, 0.6),
                                        {"r_1": 0.25, "r_2": 0.6}, r),
        "mt.dpmpp2m.x": _tie_2m,
        "mt.edm1.heun": _tie_edm1,
        "mt.edm2.heun": _tie_edm2,
        "mt.vdm.marginal": _tie_vdm,
        "mt.vdm.transition": _tie_vdm,
        "mt.vdm.ancestral": _tie_vdm_anc,
        "mt.sdedpmpp1.x": _tie_sde_dpmpp1,
        "mt.schedule.cosine": _tie_schedule,
        "mt.schedule.vp_linear": _tie_schedule,
    }
    return out


def mt_builtin_report() -> List[Tuple[str, bool, str]]:
    """Every multi-time reference: its tie (lines without a package counterpart are checked through the line of
    their algorithm that has one) and its own LaTeX read back as exact by the multi-time reader."""
    from .multitime import judge
    from .normalize import normalize_latex

    ties_, rows = ties(), []
    for ref in REFS:
        if ref.name in ties_:
            try:
                ok, detail = ties_[ref.name](ref)
            except Exception as err:  # a tie that cannot run is a failure, reported
                ok, detail = False, f"tie failed to run: {err!r}"
        else:
            tied = [n for n in ties_ if by_name(n).group == ref.group]
            ok, detail = True, ("used by " + ", ".join(tied) + ", which is tied" if tied else
                                "an identity of its paper with no counterpart in the package")
        latex = ref.latex
        if ref.template:  # read back on one pair of time points
            latex = latex.replace("PP", r"\tau_{i-1}").replace("CC", r"\tau_{i}")
        if True:
            v = judge(normalize_latex(latex), {"notation": ref.notation} if ref.notation != "edm" else {})
            if v is None or v.verdict != "exact":
                ok, detail = False, detail + f"; its LaTeX reads back as {v.verdict if v else 'unreadable'}"
        rows.append((ref.name, ok, detail))
    return rows
