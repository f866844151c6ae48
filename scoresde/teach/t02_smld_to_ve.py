"""2. The SMLD forward chain becomes the VE SDE.

Run it: ``python derivations/02_smld_chain_to_ve_sde.py [--fast]``.
"""
from __future__ import annotations

import math

import sympy as sp
import torch

from ..chain import MarkovChain
from ..problems import get_problem
from ..sde import VESDE
from .core import Derivation
from .common import F64, diffused, gen, loglik_z, slope

KEY = "02"
TITLE = "The SMLD forward chain becomes the VE SDE"
CLAIM = (
    "With sigma_i = sigma(t_i), the SMLD chain x_i = x_{i-1} + sqrt(sigma_i^2 - sigma_{i-1}^2) z has increments of "
    "mean 0 and variance d[sigma^2]/dt dt + O(dt^2): it discretises dx = sqrt(d[sigma(t)^2]/dt) dw. Its marginals "
    "N(x_0, sigma_i^2) are those of the VE SDE at t_i exactly, at every N (the sums telescope), with the SMLD "
    "convention s(t) = sigma(t); Euler-Maruyama on the same SDE is only first-order accurate."
)
SOURCES = ("Song & Ermon 2019, Sec. 4.2 (noise levels); Song et al. 2021 (score SDE), Eq. 8-9 and Appendix B; "
           "Song et al. 2021, Eq. 31 (VE kernel)")


def derive(d: Derivation) -> None:
    t, dt, T = sp.symbols("t Δt T", positive=True)
    smin, smax = sp.symbols("σ_min σ_max", positive=True)
    sigma = sp.Function("σ")

    d.step("One chain step, expanded in dt (sympy, any schedule sigma(t))")
    d.say("""x_i - x_{i-1} = sqrt(sigma(t + dt)^2 - sigma(t)^2) z has mean 0 (no drift: f = 0) and variance
    sigma(t + dt)^2 - sigma(t)^2. Per unit time:""")
    var_rate = sp.series((sigma(t + dt) ** 2 - sigma(t) ** 2) / dt, dt, 0, 1).removeO().doit()
    d.show("Var[Δx]/Δt", var_rate)
    d.equal("variance per unit time -> g(t)^2 = d[sigma(t)^2]/dt", var_rate, sp.diff(sigma(t) ** 2, t))
    geo = smin * (smax / smin) ** (t / T)
    g2 = sp.diff(geo**2, t)
    claimed = 2 * geo**2 * sp.log(smax / smin) / T
    d.show("geometric sigma(t) = σ_min (σ_max/σ_min)^(t/T):  g(t)^2 = d[sigma^2]/dt", g2)
    d.equal("g(t)^2 = 2 sigma(t)^2 log(sigma_max/sigma_min)/T", g2, claimed,
            simplify=lambda e: sp.simplify(sp.expand_log(e, force=True)))
    g2 = claimed
    sde = VESDE(marginal="smld")
    tt = torch.linspace(0, 1, 11, dtype=F64)
    f = sp.lambdify(t, g2.subs({smin: sde.sigma_min, smax: sde.sigma_max, T: sde.T}), "math")
    err = max(abs(f(float(u)) - float(sde.diffusion_sq(u))) / float(sde.diffusion_sq(u)) for u in tt)
    d.at_most("the code's VESDE.diffusion_sq agrees with this g^2 (max relative error on 11 times)", err, 1e-13)

    d.step("The chain is exact: the variances telescope")
    d.say("""x_i = x_0 + sum_{j<=i} sqrt(sigma_j^2 - sigma_{j-1}^2) z_j, independent increments, so
    Var[x_i | x_0] = sigma_i^2 - sigma_0^2 = sigma_i^2 with SMLD's sigma_0 = 0. The VE SDE from t = 0 to t_i adds
    int g^2 = sigma(t_i)^2 - sigma(0)^2; both agree when the data at t = 0 already carry noise sigma_min (SMLD's
    convention, VESDE(marginal='smld'), s(t) = sigma(t)); VESDE(marginal='exact') starts at the clean data and has
    s(t)^2 = sigma(t)^2 - sigma_min^2.""")
    i, j, n = sp.symbols("i j n", integer=True, positive=True)
    S = sp.IndexedBase("σ")
    tel = sp.summation(S[j] ** 2 - S[j - 1] ** 2, (j, 1, 4))
    d.equal("sum_{j=1}^{4} (sigma_j^2 - sigma_{j-1}^2) = sigma_4^2 - sigma_0^2 (telescoping)", tel, S[4] ** 2 - S[0] ** 2)
    Ns = [10, 100, 1000]
    exact_err = []
    for N in Ns:
        ts = torch.arange(N + 1, dtype=F64) / N
        ch = MarkovChain.from_sigmas(sde.sigma(ts[1:]))
        exact_err.append(float((ch.s[1:] - sde.marginal_std(ts[1:])).abs().max() / sde.sigma_max))
        tw = sde.chain(N)
        exact_err.append(float((tw.s - ch.s).abs().max() / sde.sigma_max))
    d.at_most("SMLD chain (from_sigmas) and VE twin vs s(t_i) of VESDE(marginal='smld'), N = 10, 100, 1000 (relative to sigma_max)", max(exact_err), 1e-14)
    ex = VESDE()
    d.say(f"""The two conventions differ by the constant sigma_min^2 = {ex.sigma_min**2:g}: s_smld(t)^2 - s_exact(t)^2 =
    sigma_min^2 at every t. The residual of that identity, on 11 times:""")
    d.at_most("max_t |s_smld(t)^2 - s_exact(t)^2 - sigma_min^2| (residual, not sigma_min^2)",
              float((sde.marginal_var(tt) - ex.marginal_var(tt) - ex.sigma_min**2).abs().max()), 1e-12)

    d.step("Measured: Euler-Maruyama on the VE SDE is first order; the chain has no error")
    d.say("""EM adds variance g(t_{i-1})^2 dt per step instead of sigma_i^2 - sigma_{i-1}^2: the left-point rule for
    int g^2, relative error O(1/N).""")
    Ns = [10, 20, 40, 80, 160, 320, 640]
    em = []
    for N in Ns:
        ts = torch.arange(N + 1, dtype=F64) / N
        v_em = float((sde.diffusion_sq(ts[:-1]) / N).sum())
        em.append(abs(v_em - float(sde.sigma(ts[-1:]) ** 2 - sde.sigma(ts[:1]) ** 2)) / float(sde.sigma(ts[-1:]) ** 2))
    d.table(["N", "relative error of Var[x(1) | x(0)], EM", "SMLD chain"], [[N, e, 0.0] for N, e in zip(Ns, em)])
    d.between("order of EM's variance error in N", slope(Ns[2:], em[2:]), 0.9, 1.1)

    d.step("Song & Ermon's noise levels are the twin of a VE SDE")
    se = MarkovChain.song_ermon2019()
    sig = se.sigmas[1:]  # sigma_L < ... < sigma_1 (increasing, as the chain runs)
    q = float(sig[1] / sig[0])
    L = sig.numel()
    ve = VESDE(sigma_min=float(sig[0]) / q, sigma_max=float(sig[-1]), marginal="smld", N=L)
    d.say(f"""Song & Ermon 2019 use L = {L} levels from sigma_1 = {float(sig[-1]):g} down to sigma_L = {float(sig[0]):g},
    geometric with ratio q = {q:.4g}. The VE SDE with sigma_max = sigma_1, sigma_min = sigma_L / q and N = L has
    twin levels sigma(i/L) = the same {L} numbers.""")
    d.at_most("max |sigma(t_i) of that VE twin - Song & Ermon's sigma_i| (relative)",
              float(((ve.chain().sigmas[1:] - sig) / sig).abs().max()), 1e-13)

    d.step("Measured: the chain's marginals are the exact p_t on gmm2d (densities and Monte Carlo)")
    mix = get_problem("gmm2d").mixture
    ve = VESDE(sigma_min=0.01, sigma_max=10.0, marginal="smld")
    g = torch.linspace(-12, 12, 49, dtype=F64)
    pts = torch.cartesian_prod(g, g)
    N = 100
    ch = ve.chain(N)
    dens = 0.0
    for i in (1, 25, 50, 100):
        q_i = diffused(mix, 1.0, float(ch.s[i])).log_prob(pts)
        p_i = mix.log_prob(pts, ve, float(ch.times[i]))
        dens = max(dens, float((q_i - p_i).abs().max()))
    d.at_most("max_x |log q(x_i) - log p_{t_i}(x)| at i = 1, 25, 50, 100 (N = 100)", dens, 1e-12)
    n = 2000 if d.fast else 20000
    x = mix.sample(n, gen(1))
    gz = gen(2)
    for i in range(1, N // 2 + 1):
        x = ch.step(x, i, torch.randn(x.shape, generator=gz, dtype=F64))
    tt = float(ch.times[N // 2])
    target = diffused(mix, 1.0, math.sqrt(float(ve.marginal_var(torch.tensor(tt, dtype=F64)))))
    d.between(f"z-score of mean log p_t, {N // 2} chain steps vs exact p_t at t = {tt:g}", loglik_z(target, x, n, 3), -4, 4)
