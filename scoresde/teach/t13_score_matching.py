"""13. Learning the score: denoising score matching, NCSN's sigma^2 weighting, the eps-loss, likelihood weighting.

Run it: ``python derivations/13_learning_the_score.py [--fast]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..analytic import GaussianMixture
from ..sde import VPSDE
from .core import Derivation
from .common import F64, diffused, gen, mixture_1d

KEY = "13"
TITLE = "Learning the score: DSM = explicit score matching + const; sigma^2, eps and g^2 weightings"
CLAIM = (
    "Denoising score matching E|s_theta(x~) - grad log q(x~|x)|^2 equals explicit score matching "
    "E|s_theta(x~) - grad log q_sigma(x~)|^2 plus a constant independent of theta, so both have the same minimiser, "
    "the score of the noised data. NCSN's weighting lambda(sigma) = sigma^2 makes every level's loss O(1); the "
    "eps-prediction loss |eps_theta - eps|^2 is DSM weighted by s(t)^2. With lambda = g^2 the weighted loss bounds "
    "the KL: for a model whose score is that of a diffused density q_t, KL(p_0||q_0) = KL(p_T||q_T) + (1/2) int_0^T "
    "g^2 E_{p_t}|grad log p_t - grad log q_t|^2 dt exactly (checked by quadrature on two mixtures)."
)
SOURCES = ("Hyvarinen 2005 (explicit score matching); Vincent 2011, Sec. 4 and App. (DSM); Song & Ermon 2019, Eq. 2 and "
           "Sec. 4.2 (lambda(sigma) = sigma^2); Ho et al. 2020, Eq. 14 (eps-loss); Song et al. 2021 (score SDE), Eq. 7; "
           "Song, Durkan, Murray & Ermon 2021 (maximum likelihood training), Theorem 1 and Eq. 8-9")


def _gauss_expect(expr, zs):
    """E[expr] for independent standard normals zs (expr polynomial in them): E z^k = (k-1)!! for even k, else 0."""
    expr = sp.expand(expr)
    out = 0
    for term in sp.Add.make_args(expr):
        coeff, mom = term, 1
        for z in zs:
            k = sp.degree(term, z)
            coeff = coeff / z**k
            mom *= 0 if k % 2 else sp.factorial2(k - 1)
        out += coeff * mom
    return sp.simplify(out)


def derive(d: Derivation) -> None:
    a, b, mu = sp.symbols("a b mu", real=True)
    c, sg = sp.symbols("c sigma", positive=True)
    z1, z2 = sp.symbols("z_1 z_2", real=True)

    d.step("DSM = explicit score matching + a constant (Vincent 2011), in closed form on Gaussian data")
    d.say("""Explicit score matching J_ESM = E_{q_sigma(x~)} |s_theta(x~) - grad log q_sigma(x~)|^2 needs the unknown
    score of the noised data q_sigma = p * N(0, sigma^2). DSM replaces it by the known grad log q(x~ | x) = -(x~ - x)/sigma^2
    and averages over x ~ p, x~ = x + sigma z. The cross terms agree because grad q_sigma(x~) = int p(x) grad q(x~|x) dx,
    so J_DSM - J_ESM = E|grad log q(x~|x)|^2 - E|grad log q_sigma|^2 does not depend on theta. On data N(mu, c^2) with a
    linear model s_theta(x~) = a x~ + b (x = mu + c z_1, x~ = x + sigma z_2):""")
    x = mu + c * z1
    xt = x + sg * z2
    v = c**2 + sg**2
    esm = _gauss_expect((a * xt + b + (xt - mu) / v) ** 2, (z1, z2))
    dsm = _gauss_expect((a * xt + b + (xt - x) / sg**2) ** 2, (z1, z2))
    gap = sp.simplify(dsm - esm)
    d.show("J_DSM - J_ESM", gap)
    d.zero("d/da (J_DSM - J_ESM) = 0", sp.diff(gap, a))
    d.zero("d/db (J_DSM - J_ESM) = 0", sp.diff(gap, b))
    d.equal("the constant is 1/sigma^2 - 1/(c^2 + sigma^2) = E|grad log q(x~|x)|^2 - E|grad log q_sigma(x~)|^2", gap,
            1 / sg**2 - 1 / v)
    sol = sp.solve([sp.diff(dsm, a), sp.diff(dsm, b)], [a, b], dict=True)[0]
    d.equal("the DSM minimiser is the true score: a* = -1/(c^2 + sigma^2)", sol[a], -1 / v)
    d.equal("... b* = mu/(c^2 + sigma^2)", sol[b], mu / v)

    d.step("Measured on the 3-mode mixture: DSM - ESM is the same constant for every model")
    mix = mixture_1d()
    sigma = 0.5
    qs = diffused(mix, 1.0, sigma)
    n = 200000 if d.fast else 2000000
    g = gen(1)
    x0 = mix.sample(n, g)
    zz = torch.randn(x0.shape, generator=g, dtype=F64)
    xn = x0 + sigma * zz
    models = {"exact score of q_sigma": qs.score,
              "score of q at sigma' = 0.7": diffused(mix, 1.0, 0.7).score,
              "score of a wrong mixture": GaussianMixture([0.5, 0.5], [[-1.0], [1.5]], [0.6, 0.8]).score,
              "linear -x/2": lambda u: -u / 2}
    true = qs.score(xn)
    target = -zz / sigma  # grad log q(x~ | x)
    const = float((target**2).mean() - (true**2).mean())
    rows, gaps = [], []
    for name, sfn in models.items():
        s = sfn(xn)
        e = float(((s - true) ** 2).mean())
        dd = float(((s - target) ** 2).mean())
        rows.append([name, e, dd, dd - e])
        gaps.append(dd - e)
    d.table(["model s_theta", "J_ESM (exact score)", "J_DSM", "J_DSM - J_ESM"], rows)
    d.say(f"The predicted constant E|grad log q(x~|x)|^2 - E|grad log q_sigma|^2 = {const:.4f} (same samples).")
    d.at_most(f"max over 4 models |J_DSM - J_ESM - const| (n = {n}, sigma = {sigma})", max(abs(u - const) for u in gaps),
              0.02 * const)
    d.holds("the exact score has the smallest J_DSM of the four", min(range(4), key=lambda i: rows[i][2]) == 0)

    d.step("NCSN's lambda(sigma) = sigma^2 and the eps-loss as weighted DSM")
    eps, st, e_th = sp.symbols("ε s ε_θ", real=True)
    sc_th = sp.Symbol("s_θ", real=True)
    d.say("""The DSM target -(x~ - x)/sigma^2 = -z/sigma has size 1/sigma, so unweighted levels differ by orders of
    magnitude; Song & Ermon weight level sigma by sigma^2: sigma^2 |s_theta + z/sigma|^2 = |sigma s_theta + z|^2, O(1)
    at every sigma. For x_t = m x_0 + s eps the target is -eps/s; writing eps_theta = -s s_theta:""")
    d.equal("|eps_theta - eps|^2 = s^2 |s_theta - (-eps/s)|^2: the eps-loss is DSM with lambda(t) = s(t)^2",
            (-st * sc_th - eps) ** 2, st**2 * (sc_th + eps / st) ** 2)
    rows, vals = [], []
    for s_ in (0.01, 0.1, 1.0, 10.0):
        q_ = diffused(mix, 1.0, s_)
        xs_ = x0[:20000] + s_ * zz[:20000]
        j_min = float(((q_.score(xs_) + zz[:20000] / s_) ** 2).mean())  # minimum of unweighted DSM at this level
        rows.append([s_, j_min, s_**2 * j_min])
        vals.append(s_**2 * j_min)
    d.table(["sigma", "min J_DSM (unweighted)", "sigma^2 min J_DSM"], rows)
    d.say("In expectation sigma^2 min J_DSM = 1 - sigma^2 E|grad log q_sigma|^2 lies in [0, 1] (Monte Carlo: within 5 %).")
    d.holds("sigma^2-weighted minimum losses all lie in [0, 1.05] (unweighted ones span > 4 decades)",
            all(0 <= u <= 1.05 for u in vals) and rows[0][1] / rows[-1][1] > 1e4, [round(u, 3) for u in vals])

    d.step("Likelihood weighting lambda = g^2: the KL identity behind the bound (Song et al. 2021b)")
    t = sp.Symbol("t", positive=True)
    m1, m2 = sp.symbols("m_1 m_2", real=True)
    c1, c2 = sp.symbols("c_1 c_2", positive=True)
    d.say("""If p_t and q_t both follow the forward Fokker-Planck equation (same f, g), then
    d/dt KL(p_t || q_t) = -(g^2/2) E_{p_t} |grad log p_t - grad log q_t|^2. Integrating from 0 to T:
    KL(p_0||q_0) = KL(p_T||q_T) + (1/2) int g^2 E_{p_t}|grad log p_t - grad log q_t|^2 dt. A model whose reverse SDE
    uses s_theta and starts at pi satisfies the same with <=, q_T replaced by pi (Theorem 1): the g^2-weighted score
    loss bounds the negative log-likelihood. Check on two Gaussians under the VE SDE with g = 1 (p_t = N(m1, c1 + t)):""")
    v1, v2 = c1 + t, c2 + t
    kl = (sp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2
    xg = m1 + sp.sqrt(v1) * z1
    fisher = _gauss_expect((-(xg - m1) / v1 + (xg - m2) / v2) ** 2, (z1,))
    d.zero("d/dt KL(p_t||q_t) + (1/2) E_{p_t}|grad log p_t - grad log q_t|^2 = 0", sp.simplify(sp.diff(kl, t) + fisher / 2))

    sde = VPSDE()
    q = GaussianMixture([0.4, 0.35, 0.25], [[-1.7], [0.9], [2.9]], [0.45, 0.35, 0.4])  # the "model"
    xs = torch.linspace(-9, 9, 3601 if d.fast else 7201, dtype=F64)[:, None]
    dx = float(xs[1, 0] - xs[0, 0])
    nodes, wts = np.polynomial.legendre.leggauss(48 if d.fast else 96)

    def kl_at(t_):
        lp = mix.log_prob(xs) if t_ == 0 else mix.log_prob(xs, sde, t_)
        lq = q.log_prob(xs) if t_ == 0 else q.log_prob(xs, sde, t_)
        return float((torch.exp(lp) * (lp - lq)).sum() * dx)

    def integrand(t_, weight):
        tt = torch.tensor(t_, dtype=F64)
        p_ = torch.exp(mix.log_prob(xs, sde, t_))
        diff = mix.score(xs, sde, t_) - q.score(xs, sde, t_)
        return weight(tt) * float((p_ * diff[:, 0] ** 2).sum() * dx)

    # split [0, 1] at 0.1: beta(t) grows fast and the scores change fastest near t = 0
    def integral(weight):
        tot = 0.0
        for lo, hi in ((0.0, 0.1), (0.1, 1.0)):
            tot += sum(w_ * integrand(lo + (hi - lo) * (u + 1) / 2, weight) for u, w_ in zip(nodes, wts)) * (hi - lo) / 2
        return 0.5 * tot

    kl0, klT = kl_at(0.0), kl_at(1.0)
    j_g2 = integral(lambda tt: float(sde.diffusion_sq(tt)))
    j_s2 = integral(lambda tt: float(sde.marginal_var(tt)))
    j_1 = integral(lambda tt: 1.0)
    d.table(["quantity", "value (nats)"],
            [["KL(p_0 || q_0)", kl0], ["KL(p_T || q_T)", klT], ["(1/2) int g^2 E|Δ score|^2  (likelihood weighting)", j_g2],
             ["KL(p_T||q_T) + that", klT + j_g2], ["(1/2) int s^2 E|Δ score|^2  (eps-loss weighting)", j_s2],
             ["(1/2) int 1 E|Δ score|^2  (unweighted)", j_1]])
    d.close("KL(p_0||q_0) - [KL(p_T||q_T) + (1/2) int g^2 Fisher] (VP SDE, two 3-mode mixtures, quadrature)",
            kl0 - klT - j_g2, 0.0, 1e-4 * kl0)
    d.at_least("with the eps-loss weighting s^2 instead of g^2 the identity fails: relative discrepancy",
               abs(kl0 - klT - j_s2) / kl0, 0.05)
