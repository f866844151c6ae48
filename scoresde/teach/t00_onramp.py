"""0. The on-ramp: what a score is, Langevin dynamics, the Fokker-Planck equation.

Run it: ``python derivations/00_onramp_score_langevin_fokker_planck.py [--fast] [--figures DIR]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..sde import VPSDE
from .core import Derivation
from .common import CHI2_999, F64, diffused, gen, loglik_z, mixture_1d, plt, weights_chi2

KEY = "00"
TITLE = "On-ramp: the score, Langevin dynamics and the Fokker-Planck equation"
CLAIM = (
    "The score s(x) = d/dx log p(x) needs no normalising constant; for a Gaussian mixture it is the "
    "responsibility-weighted sum of the components' scores -(x - mu_k)/sigma_k^2. Langevin dynamics dx = s(x) dt + "
    "sqrt(2) dw has p as its stationary law (the Fokker-Planck equation's right side vanishes), so a score alone "
    "samples p -- but only as fast as the walkers cross between modes; smoothing p (adding noise, as diffusion "
    "models do) and annealing the noise down fixes the mode weights. The forward noising process moves densities by "
    "the Fokker-Planck equation, which the exact diffused mixture solves."
)
SOURCES = ("Hyvarinen 2005 (score); Roberts & Tweedie 1996 and Welling & Teh 2011 (Langevin dynamics, unadjusted "
           "step); Risken 1989, Ch. 4 (Fokker-Planck); Song & Ermon 2019, Sec. 3 (why plain Langevin misses mode "
           "weights) and Alg. 1 (annealing)")


def langevin(score, x: torch.Tensor, eps: float, steps: int, seed: int) -> torch.Tensor:
    """Unadjusted Langevin x <- x + eps s(x) + sqrt(2 eps) z (Roberts & Tweedie 1996, Eq. 1.2 discretised)."""
    g = gen(seed)
    for _ in range(steps):
        x = x + eps * score(x) + math.sqrt(2 * eps) * torch.randn(x.shape, generator=g, dtype=F64)
    return x


def derive(d: Derivation) -> None:
    x, mu, mu1, mu2 = sp.symbols("x mu mu_1 mu_2", real=True)
    v, v1, v2, w, c, eps = sp.symbols("v v_1 v_2 w c epsilon", positive=True)
    mix = mixture_1d()

    d.step("What a score is: the gradient of the log-density")
    d.say("""The score of a density p is s(x) = d/dx log p(x) = p'(x)/p(x). It points uphill towards more probable x
    and is unchanged if p is multiplied by any constant c: models that only know p up to normalisation (energy
    models, networks) can still learn it. For one Gaussian it is linear, -(x - mu)/v.""")
    N = lambda m_, v_: sp.exp(-(x - m_) ** 2 / (2 * v_)) / sp.sqrt(2 * sp.pi * v_)  # noqa: E731
    d.show("d/dx log N(x; mu, v)", sp.simplify(sp.diff(sp.log(N(mu, v)), x)))
    d.equal("Gaussian score d/dx log N(x; mu, v) = -(x - mu)/v", sp.diff(sp.log(N(mu, v)), x), -(x - mu) / v)
    p = sp.Function("p", positive=True)(x)
    d.zero("the constant drops out: d/dx log(c p) - d/dx log p = 0", sp.diff(sp.log(c * p), x) - sp.diff(sp.log(p), x))
    pm = w * N(mu1, v1) + (1 - w) * N(mu2, v2)
    r1 = w * N(mu1, v1) / pm
    d.zero("mixture score = r_1 (-(x - mu_1)/v_1) + r_2 (-(x - mu_2)/v_2), r_k = posterior probability of component k",
           sp.diff(sp.log(pm), x) - (r1 * (-(x - mu1) / v1) + (1 - r1) * (-(x - mu2) / v2)))
    xs = torch.linspace(-4, 5, 181, dtype=F64)[:, None]
    h = 1e-5
    fd = (mix.log_prob(xs + h) - mix.log_prob(xs - h)) / (2 * h)
    d.at_most("max |GaussianMixture.score - central difference of log p| on [-4, 5] (3-mode 1-D mixture)",
              float((mix.score(xs)[:, 0] - fd).abs().max()), 1e-6)
    if d.wants_figures:
        score_figure(d, mix)

    d.step("Langevin dynamics: a score is enough to sample")
    d.say("""Langevin dynamics dx = s(x) dt + sqrt(2) dw. Its density q_t obeys the Fokker-Planck equation
    dq/dt = -d/dx [s q] + d^2q/dx^2. Put q = p: since s p = p', the right side is -p'' + p'' = 0 for ANY density, so p
    is stationary (and, for smooth positive p, the limit from any start).""")
    t = sp.Symbol("t", positive=True)
    fp_rhs = -sp.diff(sp.diff(sp.log(p), x) * p, x) + sp.diff(p, x, 2)
    d.show("Fokker-Planck right side at q = p", fp_rhs)
    d.zero("-d/dx[p d/dx log p] + d^2p/dx^2 = 0 for every density p (stationarity)", fp_rhs)
    d.say("""The unadjusted step x <- x + eps s(x) + sqrt(2 eps) z is only exact as eps -> 0. For a Gaussian target
    N(mu, v): x <- (1 - eps/v) x + eps mu/v + sqrt(2 eps) z, whose stationary variance V solves
    V = (1 - eps/v)^2 V + 2 eps:""")
    V = sp.Symbol("V", positive=True)
    Vs = sp.solve(sp.Eq(V, (1 - eps / v) ** 2 * V + 2 * eps), V)[0]
    d.show("stationary variance", sp.simplify(Vs))
    d.equal("V = v / (1 - eps/(2 v)): a bias of relative size eps/(2v)", Vs, v / (1 - eps / (2 * v)))

    n = 4000 if d.fast else 10000
    eps_ = 2e-3
    steps = 2500 if d.fast else 5000
    x0 = 3.0 * torch.randn(n, 1, generator=gen(1), dtype=F64)
    x_sharp = langevin(mix.score, x0, eps_, steps, 2)
    T = eps_ * steps
    chi_sharp = weights_chi2(mix, x_sharp)
    d.say(f"""Measured on the 3-mode 1-D mixture (modes at -2, 0.6, 2.6, stds 0.3-0.45): {n} walkers from N(0, 3^2),
    eps = {eps_:g}, {steps} steps (time {T:g}). Inside each mode the walkers settle in a time of order v (~0.1), but
    to move between modes they must cross regions where p is ~e^-7 smaller: that takes far longer than {T:g}. So
    the mode weights stay those of the starting basins.""")
    d.at_least("plain Langevin on the sharp mixture: chi^2 of the mode counts vs the weights (wrong weights)",
               chi_sharp, 10 * CHI2_999[2])
    smooth = diffused(mix, 1.0, 0.8)  # p convolved with N(0, 0.8^2): the VE marginal at sigma = 0.8
    x_smooth = langevin(smooth.score, x0, eps_, steps, 3)
    d.between("Langevin on the smoothed p_sigma (sigma = 0.8): z-score of mean log p_sigma vs exact samples",
              loglik_z(smooth, x_smooth, n, 4), -4, 4)
    d.say("""Annealing (Song & Ermon's idea, derivation 07): run Langevin on p_sigma for a decreasing sequence of
    sigma, each level starting from the previous one's walkers. Smoothing lets walkers cross when sigma is large;
    the last levels sharpen the modes without moving mass between them.""")
    sigmas = np.geomspace(2.0, 0.01, 10)
    xa = x0.clone()
    for j, sg in enumerate(sigmas):
        lv = diffused(mix, 1.0, float(sg))
        e_j = 0.01 * (0.3**2 + sg**2)  # step ~ the level's smallest variance (Song & Ermon: ~ sigma^2)
        xa = langevin(lv.score, xa, e_j, steps // 5, 10 + j)
    last = diffused(mix, 1.0, float(sigmas[-1]))
    chi_ann = weights_chi2(last, xa)
    d.at_most("annealed Langevin, 10 levels sigma = 2 -> 0.01: chi^2 of mode counts vs weights (2 dof)",
              chi_ann, CHI2_999[2])
    d.between("annealed Langevin: z-score of mean log p_{0.01} vs exact samples", loglik_z(last, xa, n, 5), -4, 4)
    if d.wants_figures:
        langevin_figure(d, mix, smooth, last, x_sharp, x_smooth, xa, eps_, steps)

    d.step("The forward process: the Fokker-Planck equation moves p_t")
    d.say("""A forward SDE dx = f(t) x dt + g(t) dw moves its density by dp/dt = -d/dx[f x p] + g^2/2 d^2p/dx^2. Its
    Gaussian kernel N(m x_0, s^2) with m' = f m and (s^2)' = 2 f s^2 + g^2 (derivation 03) solves it; so does every
    mixture of kernels, i.e. the exact p_t of a Gaussian mixture. Check for the VP SDE with constant beta:""")
    beta = sp.Symbol("beta", positive=True)
    x0s = sp.Symbol("x_0", real=True)
    m = sp.exp(-beta * t / 2)
    s2 = v * m**2 + 1 - sp.exp(-beta * t)  # data N(x_0, v) pushed through the VP kernel
    pk = sp.exp(-(x - m * x0s) ** 2 / (2 * s2)) / sp.sqrt(2 * sp.pi * s2)
    res = sp.diff(pk, t) - (-sp.diff(-beta / 2 * x * pk, x) + beta / 2 * sp.diff(pk, x, 2))
    d.zero("VP, beta constant: N(x; m x_0, m^2 v + 1 - e^{-beta t}) solves dp/dt = d/dx[beta x p/2] + beta/2 p''",
           sp.simplify(res / pk))
    sde = VPSDE()
    xs = torch.linspace(-4, 4, 81, dtype=F64)[:, None]
    worst = 0.0
    for tt in (0.05, 0.2, 0.5):
        hh = 1e-4

        def lp(xv, tv):
            return torch.exp(mix.log_prob(xv, sde, tv))

        dpdt = (lp(xs, tt + hh) - lp(xs, tt - hh)) / (2 * hh)
        tq = torch.tensor(tt, dtype=F64)
        f, g2 = float(sde.drift_coeff(tq)), float(sde.diffusion_sq(tq))
        hx = 1e-3
        fx = lambda xv: f * xv[:, 0] * lp(xv, tt)  # noqa: E731
        dflux = (fx(xs + hx) - fx(xs - hx)) / (2 * hx)
        d2 = (lp(xs + hx, tt) - 2 * lp(xs, tt) + lp(xs - hx, tt)) / hx**2
        r = dpdt - (-dflux + 0.5 * g2 * d2)
        worst = max(worst, float(r.abs().max() / dpdt.abs().max()))
    d.at_most("exact diffused 3-mode mixture (VPSDE): max |Fokker-Planck residual| / max |dp/dt|, t = 0.05, 0.2, 0.5",
              worst, 1e-4)
    n2 = 4000 if d.fast else 20000
    x = mix.sample(n2, gen(6))
    k = 200
    g = gen(7)
    for i in range(k):  # Euler-Maruyama of the forward SDE to t = 0.5
        tq = torch.tensor(0.5 * i / k, dtype=F64)
        x = x + float(sde.drift_coeff(tq)) * x * (0.5 / k) + math.sqrt(float(sde.diffusion_sq(tq)) * 0.5 / k) * torch.randn(
            x.shape, generator=g, dtype=F64)
    m_, s_ = math.exp(float(sde.log_mean_coeff(torch.tensor(0.5, dtype=F64)))), math.sqrt(float(sde.marginal_var(torch.tensor(0.5, dtype=F64))))
    d.between("simulated particles at t = 0.5 (EM, 200 steps) vs the exact p_t: z-score of mean log p_t",
              loglik_z(diffused(mix, m_, s_), x, n2, 8), -4, 4)
    if d.wants_figures:
        fp_figure(d, mix, sde)


def score_figure(d, mix) -> None:
    P = plt()
    xs = torch.linspace(-4, 5, 400, dtype=F64)[:, None]
    fig, axes = P.subplots(1, 2, figsize=(9.0, 3.2), constrained_layout=True)
    axes[0].plot(xs[:, 0], torch.exp(mix.log_prob(xs)), color="C0")
    axes[0].set_title("density p(x) of a 3-mode mixture")
    axes[0].set_xlabel("x")
    axes[0].set_ylabel("p(x)")
    sc = mix.score(xs)[:, 0]
    axes[1].plot(xs[:, 0], sc, color="C3")
    axes[1].axhline(0, color="k", lw=0.6)
    for xm in mix.means[:, 0].tolist():
        axes[1].axvline(xm, color="C0", ls=":", lw=0.8)
    xa = torch.linspace(-3.7, 4.7, 22, dtype=F64)[:, None]
    sa = torch.sign(mix.score(xa)[:, 0]) * 0.3  # direction only: every arrow 0.3 long
    axes[1].quiver(xa[:, 0], torch.zeros(22), sa, torch.zeros(22), angles="xy", scale_units="xy", scale=1, width=0.006,
                   headwidth=4, color="C2")
    axes[1].set_ylim(-15, 15)
    axes[1].set_title("score s(x) = d/dx log p(x); arrows: direction it pushes")
    axes[1].set_xlabel("x  (dotted: mode centres, where s crosses 0 downwards)")
    axes[1].set_ylabel("s(x)")
    d.savefig(fig, "onramp_score.png")


def langevin_figure(d, mix, smooth, last, x_sharp, x_smooth, xa, eps, steps) -> None:
    P = plt()
    xs = torch.linspace(-4, 5, 400, dtype=F64)[:, None]
    fig, axes = P.subplots(1, 3, figsize=(11.0, 3.2), constrained_layout=True, sharey=True)
    panels = [(f"plain Langevin on p: wrong mode weights\n(eps = {eps:g}, {steps} steps)", mix, x_sharp),
              ("plain Langevin on p_sigma, sigma = 0.8\n(smoothed: walkers cross)", smooth, x_smooth),
              ("annealed: 10 levels sigma = 2 -> 0.01\n(mode weights right)", last, xa)]
    for ax, (title, target, xx) in zip(axes, panels):
        ax.hist(xx[:, 0].numpy(), bins=120, range=(-4, 5), density=True, color="C1", alpha=0.6, label="Langevin walkers")
        ax.plot(xs[:, 0], torch.exp(target.log_prob(xs)), color="k", lw=1.0, label="exact target")
        ax.set_title(title)
        ax.set_xlabel("x")
    axes[0].set_ylabel("density")
    axes[0].legend(loc="upper left")
    d.savefig(fig, "onramp_langevin.png")


def fp_figure(d, mix, sde) -> None:
    P = plt()
    xs = torch.linspace(-4, 4.5, 400, dtype=F64)[:, None]
    fig, ax = P.subplots(figsize=(6.5, 3.4), constrained_layout=True)
    for j, tt in enumerate((0.0, 0.05, 0.15, 0.3, 0.6, 1.0)):
        lp = mix.log_prob(xs) if tt == 0 else mix.log_prob(xs, sde, tt)
        ax.plot(xs[:, 0], torch.exp(lp), color=P.cm.viridis(j / 5), label=f"t = {tt:g}")
    ax.set_xlabel("x")
    ax.set_ylabel("p_t(x)")
    ax.set_title("VP forward process: p_t solves the Fokker-Planck equation\n(exact diffused mixture, beta: 0.1 -> 20)")
    ax.legend(ncol=2)
    d.savefig(fig, "onramp_fokker_planck.png")
