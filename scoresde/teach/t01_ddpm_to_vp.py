"""1. The DDPM forward chain becomes the VP SDE as N -> infinity.

Run it: ``python derivations/01_ddpm_chain_to_vp_sde.py [--fast]``.
"""
from __future__ import annotations


import sympy as sp
import torch

from ..chain import MarkovChain
from ..problems import get_problem
from ..sde import VPSDE
from .core import Derivation
from .common import F64, diffused, gen, loglik_z, marginal, slope

KEY = "01"
TITLE = "The DDPM forward chain becomes the VP SDE as N -> infinity"
CLAIM = (
    "With beta_i = beta(t_i) dt (dt = T/N), one DDPM step x_i = sqrt(1 - beta_i) x_{i-1} + sqrt(beta_i) z "
    "is an Euler-Maruyama step of dx = -beta(t) x/2 dt + sqrt(beta(t)) dw up to O(dt^2), so the chain's "
    "marginals converge to the VP SDE's at rate 1/N. Choosing beta_i = 1 - abar(t_i)/abar(t_{i-1}) instead "
    "(the package's 'discrete twin') makes them equal at every N."
)
SOURCES = ("Ho et al. 2020, Eq. 2 and 4; Song et al. 2021 (score SDE), Eq. 10-11 and Appendix B; "
           "Song et al. 2021, Appendix C (beta_min = 0.1, beta_max = 20 is DDPM's schedule)")


def derive(d: Derivation) -> None:
    dt, beta, x = sp.symbols("Δt β x", positive=True)

    d.step("One chain step as an increment, expanded in dt (sympy)")
    d.say("Write beta_i = beta(t) dt. Then x_i - x_{i-1} = (sqrt(1 - beta dt) - 1) x + sqrt(beta dt) z, z ~ N(0, 1).")
    mean_incr = (sp.sqrt(1 - beta * dt) - 1) * x
    drift_series = sp.series(mean_incr / dt, dt, 0, 2).removeO()
    d.show("E[Δx | x]/Δt", drift_series)
    d.show("Var[Δx | x]/Δt", sp.simplify((sp.sqrt(beta * dt)) ** 2 / dt))
    d.equal("drift per unit time -> f(x, t) = -beta(t) x / 2 as dt -> 0", sp.limit(mean_incr / dt, dt, 0), -beta * x / 2)
    d.equal("variance per unit time = g(t)^2 = beta(t) for every dt", (sp.sqrt(beta * dt)) ** 2 / dt, beta)
    em = x - beta * x / 2 * dt
    lead = sp.series(x + mean_incr - em, dt, 0, 3).removeO()
    d.show("chain mean - Euler-Maruyama mean", lead)
    d.equal("the chain step and the EM step of the VP SDE differ by -beta^2 x dt^2/8 + O(dt^3)", lead, -beta**2 * x * dt**2 / 8)

    d.step("Marginals: products of sqrt(1 - beta_i) become exp(-int beta / 2)")
    d.say("""q(x_i | x_0) = N(m_i x_0, s_i^2) with m_i = prod_j sqrt(1 - beta_j) and s_i^2 = 1 - m_i^2 (Ho et al. Eq. 4).
    log m_i = (1/2) sum_j log(1 - beta_j) = -(1/2) sum_j beta(t_j) dt + O(dt) -> -(1/2) int_0^t beta = log m(t).""")
    d.show("log(1 - β Δt)", sp.series(sp.log(1 - beta * dt), dt, 0, 3))
    t1, t0, bmin, bmax = sp.symbols("t_i t_{i-1} β_min β_max", positive=True)
    B = lambda t: bmin * t + (bmax - bmin) * t**2 / 2  # noqa: E731  int_0^t beta for beta(t) = bmin + t (bmax - bmin), T = 1
    d.say("""The discrete twin picks beta_i = 1 - abar(t_i)/abar(t_{i-1}) = 1 - exp(-int_{t_{i-1}}^{t_i} beta): the product
    telescopes, abar_i = abar(t_i) exactly. For the linear schedule the exponent is beta at the midpoint times dt:""")
    mid = bmin + (bmax - bmin) * (t0 + t1) / 2
    d.equal("int_{t_{i-1}}^{t_i} beta = beta((t_{i-1} + t_i)/2) (t_i - t_{i-1})", B(t1) - B(t0), mid * (t1 - t0), simplify=sp.expand)
    bm = sp.Symbol("β(t_{i-1/2})", positive=True)
    d.show("twin beta_i = 1 - exp(-β(t_{i-1/2}) Δt)", sp.series(1 - sp.exp(-bm * dt), dt, 0, 3))
    d.say("""Ho-type chains take beta_i = beta(t) dt at a grid end instead: the two differ by O(dt^2) per step,
    O(dt) over the chain -- the rate measured below.""")

    d.step("Ho et al.'s numbers are this schedule with N = 1000")
    ho = MarkovChain.ho2020()
    sde = VPSDE()
    d.say("""Ho et al. use beta_1..beta_1000 = linspace(1e-4, 0.02). Reading beta_i = beta(t) dt with dt = 1/1000 gives
    beta(0) = 0.1 = beta_min and beta(1) = 20 = beta_max: the VP SDE's default schedule.""")
    d.close("N * beta_1 (Ho) = beta_min", 1000 * float(ho.betas[0]), 0.1, 1e-12)
    d.close("N * beta_N (Ho) = beta_max", 1000 * float(ho.betas[-1]), 20.0, 1e-9)
    tt = torch.arange(1001, dtype=F64) / 1000
    err_ho = float(torch.maximum((ho.m - torch.exp(sde.log_mean_coeff(tt))).abs().max(),
                                 (ho.s - torch.sqrt(sde.marginal_var(tt))).abs().max()))
    d.at_most("Ho's chain vs the VP SDE at t_i = i/1000: max_i |(m_i, s_i) - (m, s)(t_i)|", err_ho, 2e-3)

    d.step("Measured: the chain's kernel converges to the SDE's at rate 1/N (Ho-type betas), exactly (twin)")
    d.say("""Ho-type chain: beta_i = linspace(beta_min/N, beta_max/N, N) (the score_sde code's discretisation; it needs N > 20, else beta_N >= 1). Compare m_i, s_i with m(t_i), s(t_i) at t_i = i/N, and compare the densities of
    x_i on gmm2d (the ring of 8 Gaussians) with the exact p_t: both are Gaussian mixtures, computed exactly.""")
    Ns = [50, 100, 200, 400, 800, 1600, 3200]
    mix = get_problem("gmm2d").mixture
    g = torch.linspace(-7, 7, 57, dtype=F64)
    pts = torch.cartesian_prod(g, g)
    errs, dens, twin = [], [], []
    for N in Ns:
        ch = MarkovChain.from_betas(torch.linspace(sde.beta_min / N, sde.beta_max / N, N, dtype=F64))
        tt = torch.arange(N + 1, dtype=F64) / N
        m_t, s_t = torch.exp(sde.log_mean_coeff(tt)), torch.sqrt(sde.marginal_var(tt))
        errs.append(float(torch.maximum((ch.m - m_t).abs().max(), (ch.s - s_t).abs().max())))
        i = N // 2
        q = diffused(mix, float(ch.m[i]), float(ch.s[i])).log_prob(pts)
        p = mix.log_prob(pts, sde, float(tt[i]))
        dens.append(float((q - p).abs().max()))
        tw = sde.chain(N)
        twin.append(float(torch.maximum((tw.m - m_t).abs().max(), (tw.s - s_t).abs().max())))
    d.table(["N", "max_i |(m_i, s_i) - (m, s)(t_i)|", "max_x |log q_{N/2} - log p_{1/2}|", "twin chain error"],
            [[N, e, p, w] for N, e, p, w in zip(Ns, errs, dens, twin)])
    d.between("order of the kernel error in N (Ho-type betas)", slope(Ns, errs), 0.9, 1.1)
    d.between("order of the log-density error on gmm2d in N", slope(Ns, dens), 0.9, 1.1)
    d.at_most("twin chain: largest kernel error over all N (round-off only)", max(twin), 1e-14)
    small = [VPSDE().chain(N).betas for N in (1, 2, 5, 10, 20)]
    d.holds("twin chain: 0 < beta_i < 1 even for N = 1..20", all(bool(((b > 0) & (b < 1)).all()) for b in small))

    d.step("Measured: running the chain itself (Monte Carlo) lands on p_{1/2} and on N(0, I)")
    n = 2000 if d.fast else 20000
    N = 1000
    ch = MarkovChain.ho2020(N=N, beta_1=0.1 / N, beta_N=20.0 / N)
    x = mix.sample(n, gen(1))
    gz = gen(2)
    zs = {}
    for i in range(1, N + 1):
        x = ch.step(x, i, torch.randn(x.shape, generator=gz, dtype=F64))
        if i == N // 2:
            zs["t=1/2"] = loglik_z(marginal(mix, sde, 0.5), x, n, 3)
    zs["t=1"] = loglik_z(marginal(mix, sde, 1.0), x, n, 4)
    for k, v in zs.items():
        d.between(f"z-score of mean log p_t, chain samples vs exact p_t at {k}", v, -4, 4)


