"""4. The reverse-time SDE (Anderson 1982), checked through the Fokker-Planck equation.

Run it: ``python derivations/04_reverse_time_sde.py [--fast]``.
"""
from __future__ import annotations

import sympy as sp
import torch

from .. import grids
from ..moments import propagate_gaussian
from ..noise import BatchNoise
from ..problems import get_problem
from ..sampler import sample
from ..solvers import EulerMaruyama
from .core import Derivation
from .common import CHI2_999, F64, gaussian_moments_at, gen, loglik_z, marginal, moment_error, slope, weights_chi2

KEY = "04"
TITLE = "The reverse-time SDE (Anderson), checked through Fokker-Planck"
CLAIM = (
    "If p_t solves the Fokker-Planck equation of dx = f x dt + g dw, then p_{T-tau} solves the Fokker-Planck "
    "equation of the process run backwards, dx = [f x - g^2 grad log p_t(x)] dt + g dw_bar (dt < 0): the reverse "
    "SDE has the same marginals. More generally dx = [f x - (1 + lam^2)/2 g^2 grad log p_t] dt + lam g dw_bar works "
    "for every lam >= 0, and no other coefficient does (lam = 1: Anderson; lam = 0: the probability-flow ODE)."
)
SOURCES = ("Anderson 1982 (reverse-time diffusion equation models); Song et al. 2021 (score SDE), Eq. 6 and "
           "Appendix D.1; Fokker-Planck equation: Särkkä & Solin 2019, Ch. 5")


def fp_residuals(mix, sde, x: torch.Tensor, t: torch.Tensor, c: float, lam: float):
    """Forward and reverse Fokker-Planck residuals of log p_t for the exact mixture (autograd, float64).

    With l = log p_t:  forward  d_t l = -f d - f x.grad l + g^2/2 (lap l + |grad l|^2);
    reverse (tau = T - t, drift b = -(f x - c g^2 grad l), noise lam g):
    -d_t l = -div b - b.grad l + lam^2 g^2/2 (lap l + |grad l|^2). Returns (forward, reverse) residuals,
    each divided by the size of its largest term.
    """
    x = x.clone().requires_grad_(True)
    t = t.clone().requires_grad_(True)
    ll = mix.log_prob(x, sde, t)
    dl_dt, grad = torch.autograd.grad(ll.sum(), (t, x), create_graph=True)
    lap = sum(torch.autograd.grad(grad[:, k].sum(), x, retain_graph=True)[0][:, k] for k in range(x.shape[1]))
    f = sde.drift_coeff(t.detach())
    g2 = sde.diffusion_sq(t.detach())
    dim = x.shape[1]
    xg = (x * grad).sum(1)
    gg = (grad * grad).sum(1)
    dl_dt, xg, gg, lap = dl_dt.detach(), xg.detach(), gg.detach(), lap.detach()
    fwd_terms = [-f * dim, -f * xg, 0.5 * g2 * lap, 0.5 * g2 * gg]
    rev_terms = [f * dim - c * g2 * lap, f * xg - c * g2 * gg, 0.5 * lam**2 * g2 * lap, 0.5 * lam**2 * g2 * gg]
    fwd = dl_dt - sum(fwd_terms)
    rev = -dl_dt - sum(rev_terms)
    scale_f = torch.stack([dl_dt.abs()] + [v.abs() for v in fwd_terms]).max(0).values
    scale_r = torch.stack([dl_dt.abs()] + [v.abs() for v in rev_terms]).max(0).values
    return float((fwd.abs() / scale_f).max()), float((rev.abs() / scale_r).max())


def derive(d: Derivation) -> None:
    x, t = sp.symbols("x t", real=True)
    c, lam = sp.symbols("c λ", real=True)
    f, g = sp.Function("f")(t), sp.Function("g")(t)
    p = sp.Function("p")(x, t)

    d.step("Fokker-Planck of the forward SDE, and of a candidate reverse SDE (sympy, any density p)")
    d.say("""Forward: d_t p = -d_x(f x p) + g^2/2 d_xx p. Run time backwards, tau = T - t, q(x, tau) = p(x, T - tau).
    A candidate reverse process dx = b(x, tau) d tau + lam g dw with b = -(f x - c g^2 d_x log p) has the
    Fokker-Planck equation d_tau q = -d_x(b q) + lam^2 g^2/2 d_xx q. Insert q = p and d_tau q = -d_t p:""")
    dp_dt = -sp.diff(f * x * p, x) + g**2 / 2 * sp.diff(p, x, 2)
    b = -(f * x - c * g**2 * sp.diff(p, x) / p)
    resid = -dp_dt - (-sp.diff(b * p, x) + lam**2 * g**2 / 2 * sp.diff(p, x, 2))
    resid = sp.simplify(resid)
    d.show("residual", sp.factor(resid))
    d.equal("residual = (c - (1 + lam^2)/2) g^2 d_xx p", resid, (c - (1 + lam**2) / 2) * g**2 * sp.diff(p, x, 2))
    sol = sp.solve(sp.Eq((c - (1 + lam**2) / 2), 0), c)
    d.show("vanishes for every p iff c", sol[0])
    d.equal("lam = 1 (noise g, Anderson's reverse SDE): c = 1, drift f x - g^2 grad log p", sol[0].subs(lam, 1), 1)
    d.equal("lam = 0 (no noise, the probability-flow ODE): c = 1/2", sol[0].subs(lam, 0), sp.Rational(1, 2))
    d.say("""The reverse Fokker-Planck equation is linear in p (p d_x log p = d_x p), so the identity holds for every
    density, mixtures included. In several dimensions the same computation runs coordinate by coordinate.""")

    d.step("The same on the Gaussian family, with the moment ODEs of derivation 03 (sympy)")
    mu, v = sp.Function("μ")(t), sp.Function("v")(t)
    gauss = sp.exp(-(x - mu) ** 2 / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    odes = {sp.Derivative(mu, t): f * mu, sp.Derivative(v, t): 2 * f * v + g**2}
    fwd = (sp.diff(gauss, t) - (-sp.diff(f * x * gauss, x) + g**2 / 2 * sp.diff(gauss, x, 2))).subs(odes)
    d.zero("N(x; mu(t), v(t)) with mu' = f mu, v' = 2 f v + g^2 solves the forward Fokker-Planck equation",
           sp.simplify(fwd / gauss))

    def rev_res(cc, ll):
        score = sp.diff(gauss, x) / gauss
        bb = -(f * x - cc * g**2 * score)
        r = (-sp.diff(gauss, t) - (-sp.diff(bb * gauss, x) + ll**2 * g**2 / 2 * sp.diff(gauss, x, 2))).subs(odes)
        return sp.simplify(r / gauss)

    d.zero("reverse SDE (c = 1, lam = 1) solves the reversed equation", rev_res(1, 1))
    wrong = rev_res(sp.Rational(1, 2), 1)
    d.show("with the PF-ODE coefficient but keeping the noise (c = 1/2, lam = 1): residual/p", sp.factor(wrong))
    d.holds("... which is not zero: that variant is wrong", wrong != 0)

    d.step("Measured: Fokker-Planck residuals of the exact gmm2d density (autograd, float64)")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    n = 256
    rows = []
    ok_fwd = ok_rev = ok_wrong = True
    for name in ("vp", "ve", "subvp"):
        sde = prob.sde(name)
        tt = sde.T * (0.02 + 0.96 * torch.rand(n, generator=gen(3), dtype=F64))
        h = tt[: n // 2, None]
        on_p = torch.exp(sde.log_mean_coeff(h)) * mix.sample(n // 2, gen(10)) + torch.sqrt(sde.marginal_var(h)) * torch.randn(
            n // 2, 2, generator=gen(11), dtype=F64)  # x ~ p_t at each sample's own t
        xs = torch.cat([on_p, (torch.rand(n // 2, 2, generator=gen(4), dtype=F64) - 0.5) * 16])
        res = {}
        for cc, ll in [(1.0, 1.0), (0.5, 0.0), (0.5, 1.0), (1.0, 0.0)]:
            res[(cc, ll)] = fp_residuals(mix, sde, xs, tt, cc, ll)
        fw = res[(1.0, 1.0)][0]
        rows.append([name, fw, res[(1.0, 1.0)][1], res[(0.5, 0.0)][1], res[(0.5, 1.0)][1], res[(1.0, 0.0)][1]])
        ok_fwd &= fw < 1e-9
        ok_rev &= max(res[(1.0, 1.0)][1], res[(0.5, 0.0)][1]) < 1e-9
        ok_wrong &= min(res[(0.5, 1.0)][1], res[(1.0, 0.0)][1]) > 1e-2
    d.say(f"""Largest relative residual over {n} points (half drawn from p_t, half uniform on [-8, 8]^2) and random t:""")
    d.table(["SDE", "forward FP", "reverse c=1, lam=1", "c=1/2, lam=0 (ODE)", "c=1/2, lam=1 (wrong)", "c=1, lam=0 (wrong)"], rows)
    d.holds("forward Fokker-Planck holds (relative residual < 1e-9) for VP, VE, sub-VP", ok_fwd)
    d.holds("reversed equation holds for c = 1, lam = 1 and for c = 1/2, lam = 0 (< 1e-9)", ok_rev)
    d.holds("the two wrong variants leave residuals > 1e-2", ok_wrong)

    d.step("Measured: integrating the reverse SDE with the exact score reproduces p_t")
    nsamp = 2000 if d.fast else 20000
    steps = 200 if d.fast else 1000
    sde = prob.sde("vp")
    score = mix.score_fn(sde)
    x_T = mix.sample_t(sde, sde.T, nsamp, gen(5))
    for label, fn in [("reverse SDE (c = 1)", score), ("wrong: c = 1/2 with noise", lambda xx, tt: 0.5 * score(xx, tt))]:
        res = sample(sde, fn, x_T.shape, predictor=EulerMaruyama(), grid=grids.uniform(sde, steps), x_T=x_T, noise=BatchNoise(6),
                     dtype=F64)
        tgt = marginal(mix, sde, sde.eps)
        z, chi = loglik_z(tgt, res.x, nsamp, 7), weights_chi2(tgt, res.x)
        if label.startswith("reverse"):
            d.between(f"VP, {label}, {steps} EM steps from exact p_T: z-score of mean log p_eps", z, -4, 4)
            d.at_most(f"VP, {label}: chi^2 of the 8 mode weights", chi, CHI2_999[7])
        else:
            d.holds(f"VP, {label}: |z| of mean log p_eps is large", abs(z) > 10, z, "|z| > 10")
    d.say("""On Gaussian data the output law of Euler-Maruyama is exact Gaussian moment arithmetic (no sampling
    noise); its error falls like 1/n, so the continuous reverse SDE has exactly the marginals p_t.""")
    gprob = get_problem("gaussian")
    ns = [50, 100, 200, 400] if d.fast else [100, 200, 400, 800, 1600]
    for name in ("vp", "subvp"):
        sde = gprob.sde(name)
        tgt = gaussian_moments_at(sde, gprob.mixture, sde.eps)
        errs = [moment_error(propagate_gaussian(sde, gprob.mixture, EulerMaruyama(), None, grids.uniform(sde, n)), tgt)
                for n in ns]
        d.table(["n", f"{name}: |mean err| + |var err| at t = eps"], [[n, e] for n, e in zip(ns, errs)])
        d.between(f"{name}: order of EM's weak error (-> 0: the limit is exact)", slope(ns, errs), 0.85, 1.15)
