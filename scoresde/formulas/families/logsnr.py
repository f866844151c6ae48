"""Signal-to-noise forms of VDM (Kingma, Salimans, Poole & Ho 2021) and DPM-Solver (Lu et al. 2022a):
SNR(t) = α_t²/σ_t², the log-SNR, DPM-Solver's half log-SNR λ_t = log(α_t/σ_t) and its step h_i.

In these papers α_t, σ_t are the kernel's mean coefficient and standard deviation (the canonical m, σ of
:mod:`scoresde.formulas.canon`; DDPM's √ᾱ_t and √(1 − ᾱ_t)). Ties: ``LinearSDE.log_snr`` (= log(m/s)) of every
registered SDE, and the spacing of ``scoresde.grids.log_snr``.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import sympy as sp
import torch

from .. import canon as C
from ..entry import Entry
from ._common import collector

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)
#: entries written but not registered yet (none at present: since evaluate.is_zero gives every free symbol random
#: values, entries with σ_data, i, N, ρ, w, ... are registered). Their ties would still be tested in test_corpus.
PENDING: List[Entry] = []
_pending = collector(PENDING)

VDM = "Kingma et al. 2021 (VDM)"
DPM = "Lu et al. 2022a (DPM-Solver)"
M, SG = C.m_sym, C.sg_sym
LAM_I = sp.Symbol("λ_{t_i}", real=True)
LAM_IM1 = sp.Symbol("λ_{t_{i-1}}", real=True)
_f64 = torch.float64


def tie_snr(entry: Entry) -> Tuple[bool, str]:
    """The entry at (m, s) = (mean_coeff, marginal_std) of every registered SDE vs LinearSDE.log_snr = log(m/s)."""
    from ...sde import SDES
    from ..ties import _ev, _points

    worst = 0.0
    for ctor in SDES.values():
        sde = ctor()
        for tt in _points(sde):
            t_ = torch.tensor(tt, dtype=_f64)
            lam = float(sde.log_snr(t_))
            ref = {"snr(t)": math.exp(2 * lam), "logsnr(t)": 2 * lam, "lambda_t": lam}[entry.lhs]
            val = _ev(entry.rhs, {M: float(sde.mean_coeff(t_)), SG: float(sde.marginal_std(t_))})
            worst = max(worst, abs(val - ref) / (1 + abs(ref)))
    return worst < 1e-10, f"LinearSDE.log_snr of {len(SDES)} SDEs at 4 times: max relative deviation {worst:.1e}"


def tie_h(entry: Entry) -> Tuple[bool, str]:
    """h_i on scoresde.grids.log_snr (uniform in λ): every step is (λ(t_N) − λ(t_0))/N, and h_i > 0 from T to eps."""
    from ...grids import log_snr
    from ...sde import SDES
    from ..ties import _ev

    worst = 0.0
    for ctor in SDES.values():
        sde = ctor()
        g = log_snr(sde, 8)
        lam = sde.log_snr(g)
        step = float(lam[-1] - lam[0]) / 8
        for i in range(1, 9):
            h = _ev(entry.rhs, {LAM_I: float(lam[i]), LAM_IM1: float(lam[i - 1])})
            worst = max(worst, abs(h - step) / (1 + abs(step)), 0.0 if h > 0 else 1.0)
    return worst < 1e-8, f"grids.log_snr spacing of {len(SDES)} SDEs: max relative deviation {worst:.1e}"


_add(name="vdm.snr", title="signal-to-noise ratio SNR(t)", source=f"{VDM}, Eq. 2", kind="scalar", family="generic",
     latex=r"\mathrm{SNR}(t) = \frac{\alpha_t^2}{\sigma_t^2}", relation="exp(2 LinearSDE.log_snr)", lhs="snr(t)",
     mode="function", rhs=M**2 / SG**2, tie=tie_snr)
_add(name="vdm.logsnr", title="log-SNR", source=f"{VDM}, Sec. 3.4 (log SNR = −γ(t))", kind="scalar", family="generic",
     latex=r"\log\mathrm{SNR}(t) = \log\frac{\alpha_t^2}{\sigma_t^2}", relation="2 LinearSDE.log_snr", lhs="logsnr(t)",
     mode="function", rhs=sp.log(M**2 / SG**2), tie=tie_snr)
_add(name="dpm.lambda", title="half log-SNR λ_t", source=f"{DPM}, Sec. 3.1", kind="scalar", family="generic",
     latex=r"\lambda_t = \log\frac{\alpha_t}{\sigma_t}", relation="LinearSDE.log_snr", lhs="lambda_t", mode="function",
     rhs=sp.log(M / SG), tie=tie_snr)
_add(name="dpm.h", title="DPM-Solver step in λ", source=f"{DPM}, Sec. 3.3 (h_i := λ_{{t_i}} − λ_{{t_{{i-1}}}})", kind="scalar",
     family="generic", latex=r"h_i = \lambda_{t_i} - \lambda_{t_{i-1}}", relation="spacing of scoresde.grids.log_snr",
     lhs="h_i", mode="discrete", rhs=LAM_I - LAM_IM1, tie=tie_h)
