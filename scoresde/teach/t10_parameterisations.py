"""10. score <-> eps <-> x0 <-> v, and Tweedie's formula.

Run it: ``python derivations/10_score_eps_x0_v_tweedie.py [--fast]``.
"""
from __future__ import annotations

import sympy as sp
import torch

from ..params import KINDS, convert
from ..problems import get_problem
from ..sde import SDES, VESDE
from .core import Derivation
from .common import F64, gen, ms

KEY = "10"
TITLE = "score <-> eps <-> x0 <-> v, and Tweedie's formula"
CLAIM = (
    "With x_t = m x_0 + s eps, the four things a network can predict are linear in one another at fixed (x_t, t): "
    "score = -E[eps | x_t]/s, E[x_0 | x_t] = (x_t + s^2 score)/m (Tweedie), v = m eps - s x_0. The optimal "
    "predictions (conditional means) satisfy the same relations, so a model trained on any one gives the others."
)
SOURCES = ("Efron 2011 (Tweedie's formula), Eq. 2.8; Vincent 2011 (denoising score matching); Ho et al. 2020, "
           "Eq. 11-12; Song et al. 2021 (score SDE), Eq. 7; Salimans & Ho 2022, Sec. 4 and App. D")


def derive(d: Derivation) -> None:
    x, x0, e, v, sc = sp.symbols("x x_0 ε v s", real=True)
    m, s = sp.symbols("m σ", positive=True)

    d.step("The linear relations at fixed (x_t, t) (sympy)")
    d.say("""x = m x0 + s eps fixes any one of (x0, eps, v) given x. The score of the kernel is
    grad log N(x; m x0, s^2) = -(x - m x0)/s^2 = -eps/s; averaging over p(x0 | x) gives the marginal score
    (Vincent 2011): score(x) = -E[eps | x]/s.""")
    rel = {e: (x - m * x0) / s}
    d.equal("kernel score -(x - m x0)/s^2 = -eps/s", -(x - m * x0) / s**2, (-e / s).subs(rel))
    x0_from_e = sp.solve(sp.Eq(x, m * x0 + s * e), x0)[0]
    d.equal("x0 = (x - s eps)/m", x0_from_e, (x - s * e) / m)
    d.equal("with eps = -s score: x0 = (x + s^2 score)/m  (Tweedie)", x0_from_e.subs(e, -s * sc), (x + s**2 * sc) / m)
    v_def = m * e - s * x0
    sol = sp.solve([sp.Eq(v, v_def), sp.Eq(x, m * x0 + s * e)], [e, x0], dict=True)[0]
    d.equal("eps = (m v + s x)/(m^2 + s^2)", sol[e], (m * v + s * x) / (m**2 + s**2))
    d.equal("x0 = (m x - s v)/(m^2 + s^2)", sol[x0], (m * x - s * v) / (m**2 + s**2))
    d.say("""For VP, m^2 + s^2 = 1 and these become Salimans & Ho's eps = m v + s x, x0 = m x - s v; the package
    keeps the general form, so v is defined for VE and sub-VP too.""")

    d.step("Tweedie's formula from Bayes' rule on a Gaussian prior (sympy)")
    mu, c = sp.symbols("μ c", positive=True)
    prec = m**2 / s**2 + 1 / c**2
    post_mean = (m * x / s**2 + mu / c**2) / prec  # E[x0 | x] for x0 ~ N(mu, c^2), x | x0 ~ N(m x0, s^2)
    px_score = -(x - m * mu) / (m**2 * c**2 + s**2)
    d.equal("posterior mean E[x0 | x] = (x + s^2 grad log p(x))/m", post_mean, (x + s**2 * px_score) / m)
    d.say("""For a general prior: grad p(x) = integral of p(x0) grad N(x; m x0, s^2) dx0
    = integral of p(x0) N(x; m x0, s^2) (m x0 - x)/s^2 dx0 = p(x) (m E[x0 | x] - x)/s^2: the same formula
    (Efron 2011). Checked next on a mixture, where p(x0 | x) is not Gaussian.""")

    d.step("Measured: Tweedie on gmm2d vs the posterior mean computed component by component")
    prob = get_problem("gmm2d")
    mix = prob.mixture
    worst = 0.0
    for name in ("vp", "ve", "subvp"):
        sde = prob.sde(name)
        for t in (0.05, 0.3, 0.7, 0.95):
            x = mix.sample_t(sde, t, 256, gen(1))
            mm, ss = ms(sde, t)
            sc_ = mix.score(x, sde, torch.full((256,), t, dtype=F64))
            tw = (x + ss * ss * sc_) / mm
            r = mix.responsibilities(x, sde, t)  # p(k | x)
            c2 = mix.stds**2  # (K, D)
            post_k = (mm * x[:, None] / ss**2 + mix.means[None] / c2[None]) / (mm**2 / ss**2 + 1 / c2[None])
            post = (r[:, :, None] * post_k).sum(1)
            worst = max(worst, float(((tw - post).abs() / (1 + post.abs())).max()))
    d.at_most("max |Tweedie - posterior mean| (relative), VP / VE / sub-VP at 4 times, 256 points each", worst, 1e-10)

    d.say("An independent Monte Carlo check: E[x0 | x_t] by importance weighting exact data samples.")
    sde = prob.sde("vp")
    t = 0.4
    mm, ss = ms(sde, t)
    pts = torch.tensor([[1.0, 0.5], [-2.0, 2.5], [0.0, -3.0]], dtype=F64)
    n = 20000 if d.fast else 400000
    x0s = mix.sample(n, gen(2))
    zmax = 0.0
    for p in pts:
        logw = -((p - mm * x0s) ** 2).sum(1) / (2 * ss * ss)
        w = torch.softmax(logw, 0)
        est = (w[:, None] * x0s).sum(0)
        ess = 1 / float((w * w).sum())
        se = torch.sqrt((w[:, None] * (x0s - est) ** 2).sum(0) / ess)
        tw = (p + ss * ss * mix.score(p[None], sde, torch.full((1,), t, dtype=F64))[0]) / mm
        zmax = max(zmax, float(((est - tw).abs() / se).max()))
    d.at_most(f"max z-score of Monte Carlo E[x0 | x_t] ({n} samples) vs Tweedie at 3 points", zmax, 4.0)

    d.step("Measured: the package's converters agree with these formulas and round-trip, every SDE")
    rt, form = 0.0, 0.0
    for name, ctor in list(SDES.items()) + [("ve-smld", lambda: VESDE(marginal="smld"))]:
        sde = ctor()
        t = 0.37 * sde.T
        x = torch.randn(32, 2, generator=gen(3), dtype=F64)
        tt = torch.full((32,), t, dtype=F64)
        pred = torch.randn(32, 2, generator=gen(4), dtype=F64)
        mm, ss = ms(sde, t)
        for a_ in KINDS:
            for b_ in KINDS:
                back = convert(convert(pred, a_, b_, x, tt, sde), b_, a_, x, tt, sde)
                rt = max(rt, float(((back - pred).abs() / (1 + pred.abs())).max()))
        e_ = convert(pred, "score", "eps", x, tt, sde)
        x0_ = convert(pred, "score", "x0", x, tt, sde)
        v_ = convert(pred, "score", "v", x, tt, sde)
        checks = [e_ + ss * pred, x0_ - (x + ss * ss * pred) / mm, v_ - (mm * e_ - ss * x0_)]
        form = max(form, max(float((c_.abs() / (1 + x0_.abs())).max()) for c_ in checks))
    d.at_most("convert(..) matches eps = -s score, x0 = Tweedie, v = m eps - s x0 (max relative)", form, 1e-12)
    d.at_most("round trips a -> b -> a over all 16 pairs and 5 SDEs (max relative)", rt, 1e-10)
