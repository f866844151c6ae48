"""7. SMLD's annealed Langevin dynamics is a corrector-only sampler of the VE SDE.

Run it: ``python derivations/07_smld_annealed_langevin.py [--fast] [--figures DIR]``.
"""
from __future__ import annotations

import math

import sympy as sp
import torch

from .. import grids
from ..analytic import gaussian
from ..chain import MarkovChain
from ..moments import propagate_gaussian
from ..noise import CORRECTOR, BatchNoise
from ..problems import get_problem
from ..sampler import sample
from ..sde import VESDE
from ..solvers import Ancestral, AnnealedLangevin, NoPredictor
from .core import Derivation
from .common import CHI2_999, F64, gen, loglik_z, marginal, plt, weights_chi2
from .t06_ddpm_samplers import TableNoise

KEY = "07"
TITLE = "SMLD annealed Langevin dynamics is a corrector-only sampler of the VE SDE"
CLAIM = (
    "Song & Ermon's Algorithm 1 (for each noise level sigma_i, from largest to smallest: T steps of "
    "x <- x + alpha_i/2 s(x, sigma_i) + sqrt(alpha_i) z, alpha_i = eps sigma_i^2/sigma_L^2) is the predictor-"
    "corrector sampler of the VE SDE with no predictor and a Langevin corrector, on the grid of the VE SDE's "
    "discrete twin. Each corrector targets the VE marginal p_{t_i}; on a Gaussian its stationary variance is "
    "v/(1 - alpha/(4v)): exact only as alpha -> 0."
)
SOURCES = ("Song & Ermon 2019, Alg. 1; Song et al. 2021 (score SDE), Sec. 4.2 and Appendix G; "
           "Roberts & Tweedie 1996 (unadjusted Langevin)")


def derive(d: Derivation) -> None:
    x, mu, z = sp.symbols("x μ z", real=True)
    al, v, w = sp.symbols("α v w", positive=True)

    d.step("One Langevin step on a Gaussian target N(mu, v) (sympy)")
    d.say("""With the exact score s(x) = (mu - x)/v the step x' = x + alpha/2 s(x) + sqrt(alpha) z is affine:
    x' - mu = rho (x - mu) + sqrt(alpha) z with rho = 1 - alpha/(2v). Its stationary variance w solves
    w = rho^2 w + alpha:""")
    rho = 1 - al / (2 * v)
    step = x + al / 2 * (mu - x) / v + sp.sqrt(al) * z
    d.equal("x' - mu = rho (x - mu) + sqrt(alpha) z", step - mu, rho * (x - mu) + sp.sqrt(al) * z)
    w_star = sp.solve(sp.Eq(w, rho**2 * w + al), w)[0]
    d.show("stationary variance w", sp.factor(w_star))
    d.equal("w = v / (1 - alpha/(4 v))", w_star, v / (1 - al / (4 * v)))
    d.show("relative bias (w - v)/v, in powers of alpha", sp.series((w_star - v) / v, al, 0, 3))
    d.say("""So Langevin at a fixed noise level samples p_sigma only in the limit alpha -> 0 (or with a Metropolis
    correction); the bias alpha/(4v) is what the step-size rule controls. With alpha_i = eps sigma_i^2/sigma_L^2 and
    v ~ sigma_i^2 the ratio alpha_i/v is the same at every level: the same relative bias and mixing per level.""")

    d.step("Measured: Song & Ermon's Algorithm 1, written independently, IS predictor 'none' + corrector 'ald' on the VE twin")
    se = MarkovChain.song_ermon2019()  # sigma_1 = 1 > ... > sigma_L = 0.01, L = 10
    sig = se.sigmas[1:].flip(0).tolist()  # largest first, as in Algorithm 1
    L = len(sig)
    q = sig[0] / sig[1]
    sde = VESDE(sigma_min=sig[-1] / q, sigma_max=sig[0], marginal="smld", N=L)
    d.say(f"""Song & Ermon's levels ({sig[0]:g} ... {sig[-1]:g}, L = {L}, ratio {q:.4g}) are the twin levels of
    VESDE(sigma_min = sigma_L/q, sigma_max = sigma_1, marginal='smld', N = L) (derivation 02).""")
    mix = gaussian([0.3, -0.2], [0.2, 0.4])  # data in the scale of those levels
    score_fn = mix.score_fn(sde)
    B, eps, T = 16, 2e-5, 20
    x_T = torch.rand(B, 2, generator=gen(9), dtype=F64)  # Algorithm 1 starts from a uniform x_0
    noise = TableNoise((B, 2))
    res = sample(sde, score_fn, (B, 2), predictor=NoPredictor(), corrector=AnnealedLangevin(eps=eps, n_steps=T),
                 grid=grids.twin(sde), x_T=x_T, noise=noise, dtype=F64)
    times = sde.chain().times.tolist()[1:][::-1]
    xr = x_T.clone()
    for i, (s_i, t_i) in enumerate(zip(sig, times)):  # Algorithm 1: for i <- 1 to L
        alpha = eps * s_i**2 / sig[-1] ** 2
        for k in range(T):  # for t <- 1 to T
            zz = noise.get(CORRECTOR + k, i)
            xr = xr + alpha / 2 * score_fn(xr, torch.full((B,), t_i, dtype=F64)) + math.sqrt(alpha) * zz
    d.at_most(f"max |Algorithm 1 - sampler| after {L} levels x {T} steps", float((res.x - xr).abs().max()), 1e-12)
    d.holds("score evaluations: L x T", res.nfe == L * T, res.nfe, f"= {L * T}")

    d.step("Measured: exact output law on Gaussian data = the sympy recursion, level by level")
    d.say("""Per level and coordinate: mean <- mu_i + rho_i (mean - mu_i), var <- rho_i^2 var + alpha_i with
    rho_i = 1 - alpha_i/(2 v_i), v_i = c^2 + sigma_i^2 (the VE marginal at t_i). Compared with the sampler's own
    output law (moment propagation through the real code):""")
    eps2, T2 = 2e-5, 100
    mu_p, var_p = propagate_gaussian(sde, mix, NoPredictor(), AnnealedLangevin(eps=eps2, n_steps=T2), grids.twin(sde),
                                     start="prior")
    def recursion(n_steps):
        m_, v_ = torch.zeros(2, dtype=F64), torch.full((2,), sde.prior_std**2, dtype=F64)
        for s_i in sig:
            alpha = eps2 * s_i**2 / sig[-1] ** 2
            vi = mix.stds[0] ** 2 + s_i**2
            r = 1 - alpha / (2 * vi)
            w_i = alpha / (1 - r * r)  # stationary variance of this level
            m_ = mix.means[0] + r**n_steps * (m_ - mix.means[0])  # n steps of the affine recursion, closed form
            v_ = w_i + r ** (2 * n_steps) * (v_ - w_i)
        return m_, v_

    m_, v_ = recursion(T2)
    d.at_most("max |recursion - propagated moments| (mean and variance)",
              float(torch.maximum((m_ - mu_p).abs().max(), (v_ - var_p).abs().max())), 1e-12)
    v_L = mix.stds[0] ** 2 + sig[-1] ** 2
    bias = float((eps2 / (4 * v_L - eps2)).max())  # (w - v)/v at the last level
    rows = []
    for n_steps in (10, 100, 1000, 10**4, 10**5, 10**6):
        _, vv = recursion(n_steps)
        rows.append([n_steps, float(((vv - v_L) / v_L).abs().max())])
    d.say(f"""With eps = {eps2:g} (Song & Ermon's value) the levels are not fully mixed after 100 steps: the
    output variance is still too large. More steps per level remove the mixing error down to the stationary
    bias alpha_L/(4v - alpha_L) = {bias:.3g}:""")
    d.table(["steps per level", "relative variance error at sigma_L"], rows)
    d.between("with 10^6 steps per level the error is the stationary Langevin bias (ratio)", rows[-1][1] / bias, 0.9, 1.1)
    d.holds("the error never grows with the number of steps per level",
            all(u[1] >= w[1] * (1 - 1e-9) for u, w in zip(rows, rows[1:])))

    d.step("Measured: annealed Langevin with the exact score samples gmm2d")
    prob = get_problem("gmm2d")
    gm = prob.mixture
    smax = prob.sde("ve").sigma_max
    L, s_L = 10, 0.05
    q = (smax / s_L) ** (1 / (L - 1))
    ve = VESDE(sigma_min=s_L / q, sigma_max=smax, marginal="smld", N=L)
    n, T3 = (1000, 50) if d.fast else (10000, 100)
    ald = sample(ve, gm.score_fn(ve), (n, 2), predictor=NoPredictor(), corrector=AnnealedLangevin(eps=5e-3, n_steps=T3),
                 grid=grids.twin(ve), noise=BatchNoise(1), dtype=F64)
    tgt = marginal(gm, ve, float(ve.chain().times[1]))
    d.say(f"""VE with sigma from {smax:g} (the data's largest pairwise distance) to sigma_L = {s_L:g}, L = {L} levels,
    {T3} steps per level, eps = 5e-3, n = {n}; the target is p at the last level, data * N(0, sigma_L^2). (With
    eps = 1e-3 the last levels do not equilibrate -- alpha_L/(2v) = 0.002 per step -- and n = 10000 samples detect the
    leftover variance, |z| ~ 4: the mixing error of step 3, on real data.)""")
    d.between("z-score of mean log p_{sigma_L}, ALD samples vs exact", loglik_z(tgt, ald.x, n, 2), -4, 4)
    d.at_most("chi^2 of the 8 mode weights", weights_chi2(tgt, ald.x), CHI2_999[7])

    if d.wants_figures:
        samples_figure(d, ald.x, tgt, {"L": L, "smax": smax, "sL": s_L, "T": T3})


def samples_figure(d, ald_x, ald_target, d_ald: dict) -> None:
    """DDPM (ancestral on the VP twin, N = 1000) vs SMLD (annealed Langevin) vs exact samples on gmm2d."""
    P = plt()
    prob = get_problem("gmm2d")
    mix = prob.mixture
    n = ald_x.shape[0]
    vp = prob.sde("vp", N=1000)
    ddpm = sample(vp, mix.score_fn(vp), (n, 2), predictor=Ancestral(), grid=grids.twin(vp), noise=BatchNoise(2),
                  dtype=F64).x
    exact = mix.sample(n, gen(3))
    g = torch.linspace(-6.5, 6.5, 200, dtype=F64)
    X, Y = torch.meshgrid(g, g, indexing="xy")
    lp = mix.log_prob(torch.stack([X.reshape(-1), Y.reshape(-1)], 1)).reshape(X.shape)
    z_ddpm = loglik_z(mix, ddpm, n, 4)
    z_ald = loglik_z(ald_target, ald_x, n, 5)
    panels = [("exact samples of the data p_0", exact, None),
              ("DDPM: ancestral, VP twin (beta 0.1 -> 20),\nN = 1000 steps, sigma_i^2 = beta~_i; target p_0", ddpm,
               f"z = {z_ddpm:+.2f} (mean log p_0)"),
              (f"SMLD: annealed Langevin, VE, L = {d_ald['L']} levels\nsigma {d_ald['smax']:g} -> {d_ald['sL']:g}, "
               f"{d_ald['T']} steps/level, eps = 5e-3;\ntarget p_sigma_L = p_0 * N(0, sigma_L^2)", ald_x,
               f"z = {z_ald:+.2f} (mean log p_sigma_L)")]
    fig, axes = P.subplots(1, 3, figsize=(10.5, 4.6), constrained_layout=True, sharey=True)
    axes[0].set_ylabel("x_2")
    for ax, (title, pts, note) in zip(axes, panels):
        ax.contour(X.numpy(), Y.numpy(), lp.numpy(), levels=[-8, -5, -3.5], colors="0.6", linewidths=0.7)
        show = pts[:2000]
        ax.scatter(show[:, 0].numpy(), show[:, 1].numpy(), s=2, alpha=0.5, color="C0", rasterized=True)
        ax.set_title(title, fontsize=8.5)
        ax.set_xlabel("x_1")
        ax.set_aspect("equal")
        ax.set_xlim(-6.5, 6.5)
        ax.set_ylim(-6.5, 6.5)
        if note:
            ax.text(0.02, 0.02, note, transform=ax.transAxes, fontsize=8)
    fig.suptitle(f"gmm2d with the exact score: grey = exact log-density contours; {min(n, 2000)} of n = {n} points shown;\n"
                 "z = two-sample z-score of the mean exact log-density against exact samples (|z| < 4: agreement)")
    d.savefig(fig, "ddpm_vs_smld_samples.png")
