"""15. Guidance: classifier guidance and classifier-free guidance as sums of scores.

Run it: ``python derivations/15_classifier_and_cfg_guidance.py [--fast] [--figures DIR]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..analytic import GaussianMixture
from ..sde import VPSDE
from .core import Derivation
from .common import F64, gen, loglik_z, marginal, mixture_1d, ode_solve, pf_drift, plt

KEY = "15"
TITLE = "Guidance: classifier guidance and classifier-free guidance as sums of scores"
CLAIM = (
    "By Bayes, grad log p_t(x|y) = grad log p_t(x) + grad log p_t(y|x). Classifier guidance with scale w uses "
    "grad log p_t(x) + w grad log p_t(y|x) = grad log [p_t(x) p_t(y|x)^w]; classifier-free guidance (1 + w) grad log "
    "p_t(x|y) - w grad log p_t(x) is the same field with scale 1 + w, built from two denoisers instead of a classifier. "
    "Classifier guidance with scale 1 (CFG with w = 0) is the conditional score and samples p(x|y) exactly. For w > 0 the guided field is not the score of any diffused "
    "density: the PF-ODE does not sample the tilted p(x) p(y|x)^(1+w)/Z at t = 0 -- it concentrates on the class "
    "more than the tilt -- shown on a labelled mixture whose conditional scores are exact."
)
SOURCES = ("Song et al. 2021 (score SDE), Sec. 5 and App. I (conditional sampling, Eq. 14); Dhariwal & Nichol 2021, "
           "Sec. 4 and Alg. 1-2 (classifier guidance); Ho & Salimans 2022, Eq. 6 (classifier-free guidance); "
           "Chidambaram et al. 2024 and Bradley & Nakkiran 2024 (guidance does not sample the tilted density)")

#: labels of the three components of mixture_1d(): class 0 = modes at -2.0 and 0.6, class 1 = mode at 2.6
LABELS = (0, 0, 1)


class Labelled:
    """A Gaussian mixture whose components carry class labels: exact p_t(x), p_t(x|y), p_t(y|x) and their scores."""

    def __init__(self, mix: GaussianMixture, labels, sde):
        self.mix, self.labels, self.sde = mix, list(labels), sde
        self.cond = {}
        for y in sorted(set(self.labels)):
            idx = [k for k, lab in enumerate(self.labels) if lab == y]
            w = mix.weights[idx]
            self.cond[y] = (float(w.sum()), GaussianMixture(w / w.sum(), mix.means[idx], mix.stds[idx]))

    def score(self, x, t, y=None):
        m = self.mix if y is None else self.cond[y][1]
        return m.score(x) if t == 0 else m.score(x, self.sde, t)

    def log_py_given_x(self, x, y, t=0.0):
        w, m = self.cond[y]
        lp = (lambda g: g.log_prob(x)) if t == 0 else (lambda g: g.log_prob(x, self.sde, t))
        return math.log(w) + lp(m) - lp(self.mix)

    def cg(self, y, w):
        """Classifier guidance: score(x) + w grad log p_t(y|x) (classifier gradient = conditional - unconditional)."""
        return lambda x, tv: self.score(x, float(tv[0])) + w * (self.score(x, float(tv[0]), y) - self.score(x, float(tv[0])))

    def cfg(self, y, w):
        """Classifier-free guidance: (1 + w) conditional score - w unconditional score (Ho & Salimans Eq. 6)."""
        return lambda x, tv: (1 + w) * self.score(x, float(tv[0]), y) - w * self.score(x, float(tv[0]))


def tilted(lab: Labelled, y: int, gamma: float, xs: torch.Tensor) -> torch.Tensor:
    """The density proportional to p(x) p(y|x)^gamma on the grid xs (normalised by the trapezoid rule)."""
    lp = lab.mix.log_prob(xs) + gamma * lab.log_py_given_x(xs, y)
    p = torch.exp(lp - lp.max())
    return p / torch.trapezoid(p, xs[:, 0])


def derive(d: Derivation) -> None:
    x, w = sp.symbols("x w", real=True)
    px = sp.Function("p", positive=True)(x)
    pyx = sp.Function("c", positive=True)(x)  # p(y | x)
    pxy = px * pyx / sp.Symbol("p_y", positive=True)  # Bayes: p(x|y) = p(x) p(y|x) / p(y)

    d.step("Bayes in scores (sympy)")
    dl = lambda f: sp.diff(sp.log(f), x)  # noqa: E731
    d.zero("grad log p(x|y) = grad log p(x) + grad log p(y|x) (p(y) drops out)", dl(pxy) - dl(px) - dl(pyx))
    d.zero("classifier guidance: grad log p(x) + w grad log p(y|x) = grad log [p(x) p(y|x)^w]",
           dl(px) + w * dl(pyx) - dl(px * pyx**w))
    d.zero("classifier-free: (1 + w) grad log p(x|y) - w grad log p(x) = grad log p(x) + (1 + w) grad log p(y|x)",
           (1 + w) * dl(pxy) - w * dl(px) - (dl(px) + (1 + w) * dl(pyx)))
    d.say("""So CFG with scale w is classifier guidance with scale 1 + w, where the 'classifier gradient' is the
    difference of two denoisers. Because p_t(y|x) is a ratio of diffused densities, the guided field at w != 0 is
    grad log [p_t(x) p_t(y|x)^(1+w)], and p_t(x) p_t(y|x)^(1+w) is NOT the forward diffusion of p_0(x) p_0(y|x)^(1+w):
    the reverse flow has no reason to end at the tilted density.""")

    sde = VPSDE()
    lab = Labelled(mixture_1d(), LABELS, sde)
    y = 1
    n = 2000 if d.fast else 10000
    d.step("Measured: classifier guidance and CFG are the same field; w = 0 samples p(x|y) exactly")
    xs = torch.linspace(-4, 5, 101, dtype=F64)[:, None]
    tv = torch.full((101,), 0.3, dtype=F64)
    d.at_most("max |CFG(w) - classifier guidance(1 + w)| over x and w = 0.5, 2 (t = 0.3)",
              max(float((lab.cfg(y, ww)(xs, tv) - lab.cg(y, 1 + ww)(xs, tv)).abs().max()) for ww in (0.5, 2.0)), 1e-12)
    eps = sde.eps
    cond = lab.cond[y][1]

    def run(score):
        x0 = marginal(cond, sde, sde.T).sample(n, gen(1))  # the exact p_T(x|y)
        return ode_solve(lambda xv, t: pf_drift(sde, score, xv, t), x0, sde.T, eps, rtol=1e-7, atol=1e-7)

    x_c = run(lab.cfg(y, 0.0))
    target = marginal(cond, sde, eps)
    d.between("w = 0 (conditional score), PF-ODE from T to eps: z-score of mean log p_eps(x|y) vs exact samples",
              loglik_z(target, x_c, n, 2), -4, 4)

    d.step("Measured: what guidance does to the samples, and that it is not the tilted density")
    grid = torch.linspace(-4.5, 6.0, 4001, dtype=F64)[:, None]
    rows, means, tilt_means, logp = [], [], [], []
    outs = {}
    for ww in (0.0, 1.0, 3.0):
        out = x_c if ww == 0 else run(lab.cfg(y, ww))
        outs[ww] = out
        pt = tilted(lab, y, 1 + ww, grid)
        mt = float(torch.trapezoid(pt * grid[:, 0], grid[:, 0]))
        vt = float(torch.trapezoid(pt * (grid[:, 0] - mt) ** 2, grid[:, 0]))
        ms = float(out.mean())
        zt = (ms - mt) / math.sqrt(vt / n)
        lpy = float(lab.log_py_given_x(out, y).exp().mean())
        rows.append([ww, ms, float(out.std()), mt, math.sqrt(vt), zt, lpy])
        means.append(ms)
        tilt_means.append(zt)
        logp.append(lpy)
    d.table(["w (CFG)", "sample mean", "sample std", "tilted p(x)p(y|x)^(1+w): mean", "std", "z of means", "E p(y|x)"], rows)
    d.holds("guidance raises the classifier's confidence E p(y = 1 | x) monotonically in w", logp[0] < logp[1] < logp[2],
            [round(u, 4) for u in logp])
    d.between("w = 0: the sample mean matches the tilt with exponent 1, i.e. p(x|y) (z-score)", tilt_means[0], -4, 4)
    d.at_least("w = 3: |z| of sample mean vs the tilted density's mean (guidance != tilting)", abs(tilt_means[2]), 6.0)
    if d.wants_figures:
        figure(d, lab, y, outs)


def figure(d, lab, y, outs) -> None:
    P = plt()
    grid = torch.linspace(-4.5, 6.0, 1000, dtype=F64)[:, None]
    fig, axes = P.subplots(1, len(outs) + 1, figsize=(12.0, 3.1), constrained_layout=True, sharey=True)
    ax = axes[0]
    ax.plot(grid[:, 0], torch.exp(lab.mix.log_prob(grid)), color="k", label="p(x)")
    for yy, (wy, m) in lab.cond.items():
        ax.plot(grid[:, 0], wy * torch.exp(m.log_prob(grid)), ls="--", label=f"p(y={yy}) p(x|y={yy})")
    ax.set_title("labelled data (exact)")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(loc="upper left")
    for ax, (ww, out) in zip(axes[1:], outs.items()):
        ax.hist(out[:, 0].numpy(), bins=100, range=(-4.5, 6.0), density=True, color="C1", alpha=0.6,
                label="guided PF-ODE samples")
        ax.plot(grid[:, 0], tilted(lab, y, 1 + ww, grid), color="C2", label="tilted p(x) p(y|x)^(1+w)")
        ax.set_title(f"CFG w = {ww:g}, class y = {y}")
        ax.set_xlabel("x")
        ax.legend(loc="upper left")
    fig.suptitle("Guidance on a labelled 3-mode mixture (VP PF-ODE, exact conditional scores): guided samples vs the tilted density")
    d.savefig(fig, "guidance.png")
