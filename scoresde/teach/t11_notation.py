"""11. The notation map: alpha, abar and sigma across DDPM, DDIM, VDM / DPM-Solver, EDM and the SDE papers.

Run it: ``python derivations/11_notation_map.py [--fast]``.
"""
from __future__ import annotations

import math

import sympy as sp
import torch

from ..sde import VESDE, VPSDE
from .core import Derivation
from .common import F64, f64

KEY = "11"
TITLE = "The notation map: one kernel x_t = m x_0 + s eps, five spellings"
CLAIM = (
    "Every paper writes the same Gaussian kernel x_t = m(t) x_0 + s(t) eps, but the letters move: DDPM's alpha_t is "
    "the one-step factor 1 - beta_t and abar_t = m^2; DDIM's alpha_t is DDPM's abar_t; VDM's and DPM-Solver's "
    "alpha_t is m = sqrt(abar_t) with sigma_t = s; EDM's sigma(t) is the noise level s/m and its s(t) is m. "
    "The map below is checked against the package's m, s, noise level and log-SNR."
)
SOURCES = ("Ho et al. 2020, Sec. 2 and Eq. 4; Song, Meng & Ermon 2021 (DDIM), Sec. 2 and Eq. 12; Kingma et al. 2021 "
           "(VDM), Sec. 2; Lu et al. 2022 (DPM-Solver), Sec. 2; Karras et al. 2022 (EDM), Eq. 4 and Table 1; "
           "Song et al. 2021 (score SDE), Eq. 29; Nichol & Dhariwal 2021, Eq. 17")

ROWS = [
    # meaning, package, DDPM, DDIM, VDM / DPM-Solver, EDM
    ["signal coefficient m", "mean_coeff(t)", "sqrt(abar_t)", "sqrt(alpha_t)", "alpha_t", "s(t)"],
    ["noise std s", "marginal_std(t)", "sqrt(1 - abar_t)", "sqrt(1 - alpha_t)", "sigma_t", "s(t) sigma(t)"],
    ["m^2 (VP: 1 - s^2)", "mean_coeff^2", "abar_t", "alpha_t", "alpha_t^2", "s(t)^2"],
    ["one-step factor a_i^2", "chain.alphas", "alpha_t = 1 - beta_t", "alpha_t / alpha_{t-1}", "alpha_t^2 / alpha_s^2", "-"],
    ["noise level s/m", "noise_level(t)", "sqrt((1 - abar_t)/abar_t)", "sqrt((1 - alpha_t)/alpha_t)", "sigma_t/alpha_t",
     "sigma(t)"],
    ["log(m/s)", "log_snr(t)", "log(abar/(1 - abar))/2", "log(alpha/(1 - alpha))/2", "lambda_t; VDM: log SNR/2",
     "-log sigma(t)"],
]


def derive(d: Derivation) -> None:
    ab, ab_prev, b = sp.symbols("ᾱ_t ᾱ_{t-1} β_t", positive=True)

    d.step("The map (the same kernel in each paper's letters)")
    d.table(["meaning", "scoresde", "DDPM (Ho)", "DDIM (Song, Meng, Ermon)", "VDM / DPM-Solver", "EDM (Karras)"], ROWS)
    d.say("""The clash to watch: 'alpha_t' is a one-step factor in DDPM, a cumulative product in DDIM, and its
    square root in VDM / DPM-Solver. 'sigma' is the kernel std in VDM, the noise level s/m in EDM and SMLD, and
    the sampling std of a reverse step in DDPM / DDIM (sigma_t of Ho's Alg. 2 and DDIM's Eq. 12).""")

    d.step("The conversions (sympy): each column, rewritten in DDPM's abar, is the same kernel")
    m_ddpm, s_ddpm = sp.sqrt(ab), sp.sqrt(1 - ab)
    a_ddim = ab  # DDIM's alpha_t
    a_vdm, s_vdm = sp.sqrt(ab), sp.sqrt(1 - ab)
    sig_edm, sc_edm = sp.sqrt((1 - ab) / ab), sp.sqrt(ab)
    d.equal("DDIM: sqrt(alpha_t^DDIM) = m", sp.sqrt(a_ddim), m_ddpm)
    d.equal("VDM: alpha_t^2 + sigma_t^2 = 1 (variance preserving)", a_vdm**2 + s_vdm**2, 1)
    d.equal("EDM: s(t) sigma(t) = kernel std s", sc_edm * sig_edm, s_ddpm)
    d.equal("EDM sigma = VDM sigma_t / alpha_t = exp(-lambda)", sig_edm, sp.exp(-sp.log(a_vdm / s_vdm)),
            simplify=lambda e: sp.simplify(sp.expand_log(e, force=True)))
    d.equal("DDIM's alpha_t/alpha_{t-1} = DDPM's alpha_t = 1 - beta_t (with abar_t = abar_{t-1}(1 - beta_t))",
            (ab / ab_prev).subs(ab, ab_prev * (1 - b)), 1 - b)
    d.equal("VDM SNR(t) = alpha_t^2/sigma_t^2 = exp(2 lambda)", a_vdm**2 / s_vdm**2, sp.exp(2 * sp.log(a_vdm / s_vdm)),
            simplify=lambda e: sp.simplify(sp.expand_log(e, force=True)))

    d.step("Measured: the map against the package (VP SDE and its N = 1000 twin; EDM Table 1; cosine schedule)")
    sde = VPSDE()
    ch = sde.chain(1000)
    tt = ch.times
    m, s = torch.exp(sde.log_mean_coeff(tt)), torch.sqrt(sde.marginal_var(tt))
    d.at_most("DDPM abar_i = m(t_i)^2 (twin chain)", float((ch.alphas_bar - m * m).abs().max()), 1e-14)
    d.at_most("DDPM alpha_i = 1 - beta_i = abar_i/abar_{i-1}",
              float((ch.alphas - ch.alphas_bar[1:] / ch.alphas_bar[:-1]).abs().max()), 1e-14)
    d.at_most("VDM alpha_t^2 + sigma_t^2 = 1 for the VP SDE", float((m * m + s * s - 1).abs().max()), 1e-14)
    t = torch.linspace(sde.eps, 1, 50, dtype=F64)
    lam = sde.log_snr(t)
    mt, st = torch.exp(sde.log_mean_coeff(t)), torch.sqrt(sde.marginal_var(t))
    d.at_most("DPM-Solver lambda_t = log alpha_t - log sigma_t = log_snr(t)", float((lam - (mt.log() - st.log())).abs().max()),
              1e-13)
    d.at_most("EDM sigma = exp(-lambda) = noise_level(t)", float(((sde.noise_level(t) - torch.exp(-lam)) / sde.noise_level(t)).abs().max()),
              1e-13)
    bd, bmin = sde.beta_max - sde.beta_min, sde.beta_min
    e_sig = torch.sqrt(torch.expm1(0.5 * bd * t * t + bmin * t))  # EDM Table 1, VP: sigma(t)
    e_s = 1 / torch.sqrt(torch.exp(0.5 * bd * t * t + bmin * t))  # EDM Table 1, VP: s(t)
    d.at_most("EDM Table 1 (VP): sigma(t) = sqrt(exp(beta_d t^2/2 + beta_min t) - 1) = noise_level(t) (relative)",
              float(((e_sig - sde.noise_level(t)) / e_sig).abs().max()), 1e-12)
    d.at_most("EDM Table 1 (VP): s(t) = 1/sqrt(exp(beta_d t^2/2 + beta_min t)) = mean_coeff(t) (relative)",
              float(((e_s - mt) / e_s).abs().max()), 1e-12)
    ve = VESDE(marginal="smld")
    tv = torch.linspace(0, 1, 50, dtype=F64)
    sig = ve.noise_level(tv)
    d.say("""EDM's VE row uses its own clock t_EDM = sigma^2 (sigma(t) = sqrt(t), s = 1); EDM's own choice is
    sigma(t) = t. Different clocks, same kernel: the package's VE (SMLD convention) has scale 1, kernel std =
    noise level, and its g^2 = d[sigma^2]/dt is exactly the speed of EDM's clock, dt_EDM/dt:""")
    d.at_most("VE: mean_coeff = 1 and marginal_std = noise_level (EDM s(t) = 1, std = sigma)",
              float((torch.exp(ve.log_mean_coeff(tv)) - 1).abs().max() + ((torch.sqrt(ve.marginal_var(tv)) - sig) / sig).abs().max()),
              1e-15)
    tg = tv.clone().requires_grad_(True)
    clock = torch.autograd.grad((ve.noise_level(tg) ** 2).sum(), tg)[0]  # d t_EDM / dt by autograd
    d.at_most("VE: d(sigma^2)/dt (autograd) = diffusion_sq(t) (relative)",
              float(((clock - ve.diffusion_sq(tv)) / ve.diffusion_sq(tv)).abs().max()), 1e-12)
    cos = VPSDE.cosine()
    tc = torch.linspace(0, cos.T, 50, dtype=F64)
    fN = lambda u: torch.cos((u + cos.s) / (1 + cos.s) * math.pi / 2) ** 2  # noqa: E731  Nichol & Dhariwal, Eq. 17
    d.at_most("Nichol & Dhariwal abar_t = f(t)/f(0) = m(t)^2 of VPSDE.cosine() (relative)",
              float(((fN(tc) / fN(f64(0.0)) - torch.exp(2 * cos.log_mean_coeff(tc))) / (fN(tc) / fN(f64(0.0)))).abs().max()),
              1e-10)
