"""Mean and covariance of a linear SDE's marginal: their ODEs and solutions (Särkkä & Solin 2019, Eq. 5.50-5.51;
Song et al. 2021, App. B, Eq. 33-34 and the VP / VE solutions there). Reading rules: :mod:`scoresde.formulas.moments`."""
from __future__ import annotations

import math
from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ..moments import COV, COV0, MEAN, MEAN0, moment_key
from ..ties import _ev, _points, _schedule_subs, _sde_of
from ._common import B_int, SONG, beta, collector, sigma, t

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

SARKKA = "Särkkä & Solin 2019 (Applied SDEs), Eq. 5.50-5.51"
_F64 = torch.float64

# (drift coefficient f(t), g(t)²) of each linear SDE
_FG = {
    "generic": (C.FT(t), C.G(t) ** 2),
    "vp": (-beta / 2, beta),
    "subvp": (-beta / 2, beta * (1 - sp.exp(-2 * B_int))),
    "ve": (sp.Integer(0), sp.Derivative(sigma**2, t).doit()),
}
_SOLUTIONS = {
    "vp": (MEAN0 * sp.exp(-B_int / 2), 1 + sp.exp(-B_int) * (COV0 - 1)),
    "subvp": (MEAN0 * sp.exp(-B_int / 2), COV0 * sp.exp(-B_int) + (1 - sp.exp(-B_int)) ** 2),
    "ve": (MEAN0, COV0 + C.SIGMA(t) ** 2 - C.SIGMA(0) ** 2),
}


def _tie_moment(entry: Entry) -> Tuple[bool, str]:
    """The entry against the package's SDE: f = drift_coeff, Σ(t) = marginal_var (Σ(0) = 0), e(t)/e(0) = e^{log_mean_coeff},
    dΣ/dt by central differences of marginal_var."""
    key, fam = entry.lhs.split("|")
    worst = 0.0
    for name in (["vp", "subvp", "ve"] if fam == "generic" else [fam]):
        sde = _sde_of(name)
        for tt in _points(sde):
            tv = torch.tensor(tt, dtype=_F64)
            f_t, g2_t = float(sde.drift_coeff(tv)), float(sde.diffusion_sq(tv))
            var = lambda u: float(sde.marginal_var(torch.tensor(u, dtype=_F64)))  # noqa: E731
            rhs = _schedule_subs(entry.rhs, sde).subs({C.FT(t): f_t, C.G(t): math.sqrt(g2_t)})
            if key == "dmean/dt":
                got, want = _ev(rhs, {MEAN: 1.0, t: tt}), f_t
            elif key == "dcov/dt":
                dh = 1e-6 * sde.T
                got, want = _ev(rhs, {COV: var(tt), t: tt}), (var(tt + dh) - var(tt - dh)) / (2 * dh)
            elif key == "mean(t)":
                got, want = _ev(rhs, {MEAN0: 1.0, t: tt}), math.exp(float(sde.log_mean_coeff(tv)))
            else:
                got, want = _ev(rhs, {COV0: 0.0, t: tt}), var(tt)
                slope = _ev(rhs, {COV0: 1.0, t: tt}) - got
                worst = max(worst, abs(slope - math.exp(2 * float(sde.log_mean_coeff(tv)))))
            worst = max(worst, abs(got - want) / (1 + abs(want)))
    return worst < 1e-6, f"against drift_coeff / marginal_var / log_mean_coeff: max relative deviation {worst:.1e}"


for fam, (f_, g2_) in _FG.items():
    pre = "" if fam == "generic" else fam + "."
    name = {"generic": "linear SDE", "vp": "VP SDE", "subvp": "sub-VP SDE", "ve": "VE SDE"}[fam]
    src = f"{SARKKA}" + ("" if fam == "generic" else f"; {SONG}, App. B")
    _add(name=f"{pre}moments.mean_ode", title=f"mean ODE of the {name}", source=src, kind="scalar", family=fam,
         latex=r"\frac{de(t)}{dt} = f(t)\,e(t)", relation="d/dt of the mean: f = LinearSDE.drift_coeff",
         lhs=moment_key("dmean/dt", fam), mode="function", rhs=f_ * MEAN, tie=_tie_moment)
    _add(name=f"{pre}moments.cov_ode", title=f"covariance ODE of the {name}", source=src, kind="scalar", family=fam,
         latex=r"\frac{d\Sigma(t)}{dt} = 2f(t)\Sigma(t) + g(t)^2 I", relation="d/dt of LinearSDE.marginal_var",
         lhs=moment_key("dcov/dt", fam), mode="function", rhs=sp.expand(2 * f_ * COV + g2_), tie=_tie_moment)
    if fam in _SOLUTIONS:
        m_, c_ = _SOLUTIONS[fam]
        _add(name=f"{pre}moments.mean", title=f"mean of the {name}'s marginal", source=src, kind="scalar", family=fam,
             latex=r"e(t) = e(0)\,e^{\int_0^t f(s)\,ds}", relation="LinearSDE.log_mean_coeff", lhs=moment_key("mean(t)", fam),
             mode="function", rhs=m_, tie=_tie_moment)
        _add(name=f"{pre}moments.cov", title=f"covariance of the {name}'s marginal", source=src, kind="scalar", family=fam,
             latex={"vp": r"\Sigma(t) = I + e^{-\int_0^t\beta(s)ds}(\Sigma(0) - I)", "subvp": r"\Sigma(t) = \Sigma(0)e^{-\int_0^t\beta(s)ds} + (1 - e^{-\int_0^t\beta(s)ds})^2 I",
                    "ve": r"\Sigma(t) = \Sigma(0) + [\sigma(t)^2 - \sigma(0)^2] I"}[fam],
             relation="LinearSDE.marginal_var (Σ(0) = 0) and e^{2 log_mean_coeff} (its slope in Σ(0))",
             lhs=moment_key("cov(t)", fam), mode="function", rhs=c_, tie=_tie_moment)


def _tie_smld_marginal(entry: Entry) -> Tuple[bool, str]:
    """Mean coefficient and variance vs VESDE(marginal='smld').marginal_prob."""
    from ...sde import VESDE

    sde = VESDE(marginal="smld")
    worst = 0.0
    for tt in _points(sde):
        mean, std = sde.marginal_prob(torch.tensor([1.0], dtype=_F64), torch.tensor(tt, dtype=_F64))
        m_e = _ev(_schedule_subs(entry.mean[C.x0], sde), {t: tt})
        v_e = _ev(_schedule_subs(entry.var[0], sde), {t: tt})
        worst = max(worst, abs(float(mean[0]) - m_e), abs(float(std[0]) ** 2 - v_e) / (1 + v_e))
    return worst < 1e-9, f"VESDE(marginal='smld').marginal_prob at {len(_points(sde))} times: max deviation {worst:.1e}"


# the VE marginal with σ(0) = σ_min neglected: Σ(0) = 0 and σ(0)² dropped from the covariance above, as SMLD perturbs
# data with N(x, σ² I) (Song & Ermon 2019, Sec. 4.2; Song et al. 2021, Sec. 3.4 and their code's VESDE.marginal_prob)
_add(name="ve.kernel_smld", title="VE perturbation kernel with σ(0)² neglected (SMLD marginal)",
     source=f"{SONG}, Sec. 3.4 (p_σ(x̃ | x) = N(x̃; x, σ² I) at σ = σ(t)); Song & Ermon 2019, Sec. 4.2", kind="step",
     family="ve", latex=r"p_{0t}(x(t) | x(0)) = \mathcal{N}(x(t); x(0), \sigma(t)^2 I)",
     relation="VESDE(marginal='smld').marginal_prob", direction="kernel", mode="continuous", lhs="x",
     mean={C.x0: sp.Integer(1)}, var=[sigma**2], tie=_tie_smld_marginal)
