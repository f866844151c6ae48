"""12. The variational view: DDPM's ELBO, the KL terms between Gaussians, and L_simple.

Run it: ``python derivations/12_ddpm_elbo_to_l_simple.py [--fast]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..sde import VPSDE
from .core import Derivation
from .common import F64, gen

KEY = "12"
TITLE = "The variational view: DDPM's ELBO -> KL terms between Gaussians -> L_simple"
CLAIM = (
    "The negative ELBO E_q[log q(x_{1:T}|x_0) - log p(x_{0:T})] >= -log p(x_0) splits into L_T + sum_t L_{t-1} + "
    "L_0, each L_{t-1} a KL between the Gaussian posterior q(x_{t-1}|x_t, x_0) = N(mu~_t, beta~_t) and the model "
    "N(mu_theta, sigma_t^2). With the same variance it is |mu~ - mu_theta|^2/(2 sigma_t^2) + const, and with "
    "mu_theta = (x_t - beta_t/sqrt(1 - abar_t) eps_theta)/sqrt(alpha_t) it is lambda_t |eps - eps_theta|^2 + const, "
    "lambda_t = beta_t^2/(2 sigma_t^2 alpha_t (1 - abar_t)); L_simple sets lambda_t = 1. Checked in closed form on "
    "Gaussian data, where the model built from the exact score is a linear-Gaussian chain whose likelihood is exact."
)
SOURCES = "Ho et al. 2020, Eq. 3, 5, 6-7, 8, 10-12 and 14; Sohl-Dickstein et al. 2015, Sec. 2.4 (the bound)"


def kl_gauss(m1, v1, m2, v2):
    """KL(N(m1, v1) || N(m2, v2)) in one dimension (the closed form derived in step 1)."""
    return 0.5 * (np.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1.0)


def derive(d: Derivation) -> None:
    x, m1, m2 = sp.symbols("x m_1 m_2", real=True)
    v1, v2 = sp.symbols("v_1 v_2", positive=True)

    d.step("KL between two Gaussians (sympy)")
    d.say("""KL(q || p) = E_q[log q - log p]. For q = N(m1, v1), p = N(m2, v2) the integrand is a quadratic in x,
    so only E_q[x] = m1 and E_q[x^2] = m1^2 + v1 are needed:""")
    logq = -(x - m1) ** 2 / (2 * v1) - sp.log(2 * sp.pi * v1) / 2
    logp = -(x - m2) ** 2 / (2 * v2) - sp.log(2 * sp.pi * v2) / 2
    integrand = sp.expand(logq - logp)
    kl = integrand.coeff(x, 2) * (m1**2 + v1) + integrand.coeff(x, 1) * m1 + integrand.coeff(x, 0)
    closed = (sp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2
    d.show("KL(N(m1, v1) || N(m2, v2))", sp.simplify(closed))
    d.zero("E_q[log q - log p] = (log(v2/v1) + (v1 + (m1 - m2)^2)/v2 - 1)/2",
           sp.expand_log(sp.simplify(kl - closed), force=True))
    d.zero("equal variances: KL = (m1 - m2)^2/(2 v) (Ho et al. Eq. 8 without its constant)",
           closed.subs(v1, v2) - (m1 - m2) ** 2 / (2 * v2))

    d.step("The posterior q(x_{t-1} | x_t, x_0) is Gaussian (Ho et al. Eq. 6-7)")
    a, A = sp.symbols("α_t ᾱ_{t-1}", positive=True)
    x0, xt, xp = sp.symbols("x_0 x_t x_{t-1}", real=True)
    b = 1 - a
    Abar = a * A
    d.say("""Bayes: q(x_{t-1} | x_t, x_0) ~ q(x_t | x_{t-1}) q(x_{t-1} | x_0) = N(x_t; sqrt(alpha_t) x_{t-1}, beta_t)
    N(x_{t-1}; sqrt(abar_{t-1}) x_0, 1 - abar_{t-1}). The exponent is quadratic in x_{t-1}; read off its precision and
    mean:""")
    expo = sp.expand(-(xt - sp.sqrt(a) * xp) ** 2 / (2 * b) - (xp - sp.sqrt(A) * x0) ** 2 / (2 * (1 - A)))
    prec = -2 * expo.coeff(xp, 2)
    mean = sp.simplify(expo.coeff(xp, 1) / prec)
    bt = (1 - A) / (1 - Abar) * b
    mt = sp.sqrt(A) * b / (1 - Abar) * x0 + sp.sqrt(a) * (1 - A) / (1 - Abar) * xt
    d.show("posterior variance beta~_t", sp.factor(1 / prec))
    d.equal("beta~_t = (1 - abar_{t-1})/(1 - abar_t) beta_t (Eq. 7)", 1 / prec, bt)
    d.equal("mu~_t = sqrt(abar_{t-1}) beta_t/(1 - abar_t) x_0 + sqrt(alpha_t)(1 - abar_{t-1})/(1 - abar_t) x_t (Eq. 7)",
            mean, mt)

    d.step("From mu to eps: the KL term is a weighted eps-loss (Ho et al. Eq. 10-12)")
    eps, e_th, sg2 = sp.symbols("ε ε_θ σ_t^2", positive=True)
    xt_of = sp.sqrt(Abar) * x0 + sp.sqrt(1 - Abar) * eps  # reparameterised x_t (Eq. 4)
    mt_eps = mt.subs(xt, xt_of).subs(x0, (xt - sp.sqrt(1 - Abar) * eps) / sp.sqrt(Abar))
    d.equal("mu~_t(x_t, x_0(x_t, eps)) = (x_t - beta_t/sqrt(1 - abar_t) eps)/sqrt(alpha_t) (Eq. 10)",
            mt.subs(x0, (xt - sp.sqrt(1 - Abar) * eps) / sp.sqrt(Abar)), (xt - b / sp.sqrt(1 - Abar) * eps) / sp.sqrt(a))
    mu_th = (xt - b / sp.sqrt(1 - Abar) * e_th) / sp.sqrt(a)  # Eq. 11
    lam = b**2 / (2 * sg2 * a * (1 - Abar))
    d.equal("|mu~ - mu_theta|^2/(2 sigma_t^2) = lambda_t (eps - eps_theta)^2, lambda_t = beta^2/(2 sigma^2 alpha (1 - abar)) "
            "(Eq. 12)", (mt_eps - mu_th) ** 2 / (2 * sg2), lam * (eps - e_th) ** 2)
    d.equal("with sigma_t^2 = beta_t: lambda_t = beta_t/(2 alpha_t (1 - abar_t))", lam.subs(sg2, b), b / (2 * a * (1 - Abar)))
    d.say("""L_simple (Eq. 14) drops lambda_t: E_{t, x_0, eps} |eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)|^2.
    It is the bound re-weighted; the bound's own weights are large at small t:""")
    sde = VPSDE(N=1000)
    ch = sde.chain(1000)
    be = ch.betas.numpy()
    ab = np.cumprod(1 - be)
    lam_t = be / (2 * (1 - be) * (1 - ab))
    d.table(["t", "beta_t", "lambda_t (sigma^2 = beta)"], [[t, float(be[t - 1]), float(lam_t[t - 1])] for t in (1, 10, 100, 500, 1000)])
    d.at_least("lambda_1 / lambda_1000: L_simple up-weights large t relative to the ELBO by this factor",
               float(lam_t[0] / lam_t[-1]), 10.0)

    d.step("Measured: the decomposition and the bound, exactly, on Gaussian data")
    mu_d, c_d = 0.7, 0.6
    N = 10
    ch = VPSDE(N=N).chain(N)
    be = ch.betas.numpy()
    al = 1 - be
    ab = np.cumprod(al)
    d.say(f"""Data N({mu_d}, {c_d}^2), a {N}-step DDPM chain (the VP twin). The model p_theta(x_{{t-1}} | x_t) =
    N(mu_theta, sigma_t^2 = beta~_t) uses eps_theta = -sqrt(1 - abar_t) grad log q(x_t), the exact score (linear for
    Gaussian data), and p(x_T) = N(0, 1). Every term is then Gaussian: the ELBO has a closed form, and the model's
    marginal p_theta(x_0) is a Gaussian whose moments we propagate down the chain.""")

    def eps_theta(xv, t):  # exact eps-prediction at chain step t (1-based)
        v = ab[t - 1] * c_d**2 + 1 - ab[t - 1]
        return math.sqrt(1 - ab[t - 1]) * (xv - math.sqrt(ab[t - 1]) * mu_d) / v

    def mu_theta(xv, t):
        return (xv - be[t - 1] / math.sqrt(1 - ab[t - 1]) * eps_theta(xv, t)) / math.sqrt(al[t - 1])

    def sig2(t):
        return be[t - 1] if t == 1 else (1 - ab[t - 2]) / (1 - ab[t - 1]) * be[t - 1]

    def lin(t):  # mu_theta(x, t) = ka x + kb
        kb = mu_theta(0.0, t)
        return mu_theta(1.0, t) - kb, kb

    def neg_elbo_closed(x0v):
        """L_T + sum_{t>=2} E_q KL(q(x_{t-1}|x_t,x_0) || p_theta(x_{t-1}|x_t)) + L_0, all in closed form."""
        total = kl_gauss(math.sqrt(ab[-1]) * x0v, 1 - ab[-1], 0.0, 1.0)  # L_T
        for t in range(2, N + 1):
            # x_t ~ N(sqrt(abar_t) x0, 1 - abar_t); mu~ and mu_theta are linear in x_t: E (mu~ - mu_theta)^2 in closed form
            cx0 = math.sqrt(ab[t - 2]) * be[t - 1] / (1 - ab[t - 1])
            cxt = math.sqrt(al[t - 1]) * (1 - ab[t - 2]) / (1 - ab[t - 1])
            ka, kb = lin(t)
            diff_mean = cx0 * x0v + (cxt - ka) * math.sqrt(ab[t - 1]) * x0v - kb
            diff_var = (cxt - ka) ** 2 * (1 - ab[t - 1])
            bt_ = (1 - ab[t - 2]) / (1 - ab[t - 1]) * be[t - 1]
            total = total + 0.5 * (np.log(sig2(t) / bt_) + bt_ / sig2(t) - 1) + (diff_mean**2 + diff_var) / (2 * sig2(t))
        ka, kb = lin(1)  # L_0 = -E log N(x0; ka x_1 + kb, sigma_1^2), x_1 ~ N(sqrt(abar_1) x0, 1 - abar_1)
        r_mean = x0v - ka * math.sqrt(ab[0]) * x0v - kb
        r_var = ka**2 * (1 - ab[0])
        return total + 0.5 * np.log(2 * math.pi * sig2(1)) + (r_mean**2 + r_var) / (2 * sig2(1))

    x0v = 1.3
    n = 20000 if d.fast else 200000
    g = gen(1)
    xs = [torch.full((n,), x0v, dtype=F64)]
    for t in range(1, N + 1):  # forward chain q(x_{1:T} | x_0)
        xs.append(math.sqrt(al[t - 1]) * xs[-1] + math.sqrt(be[t - 1]) * torch.randn(n, generator=g, dtype=F64))
    X = [v.numpy() for v in xs]
    logq = sum(-(X[t] - math.sqrt(al[t - 1]) * X[t - 1]) ** 2 / (2 * be[t - 1]) - 0.5 * np.log(2 * math.pi * be[t - 1])
               for t in range(1, N + 1))
    logp = -X[N] ** 2 / 2 - 0.5 * np.log(2 * math.pi)
    for t in range(1, N + 1):
        logp = logp - (X[t - 1] - mu_theta(X[t], t)) ** 2 / (2 * sig2(t)) - 0.5 * np.log(2 * math.pi * sig2(t))
    mc = logq - logp  # Eq. 3 integrand
    closed = neg_elbo_closed(x0v)
    z = (mc.mean() - closed) / (mc.std() / math.sqrt(n))
    d.say(f"At x_0 = {x0v}: closed-form L_T + sum L_(t-1) + L_0 = {closed:.6f}; Monte Carlo of Eq. 3 with n = {n}:"
          f" {mc.mean():.6f} +- {mc.std() / math.sqrt(n):.1e}.")
    d.between("z-score: Monte Carlo of E_q[log q(x_1:T|x_0) - log p(x_0:T)] vs the sum of closed-form KL terms (Eq. 5)",
              z, -4, 4)
    # the model's exact marginal p_theta(x_0): propagate (mean, var) from N(0, 1) down the linear chain
    mm, vv = 0.0, 1.0
    for t in range(N, 0, -1):
        ka, kb = lin(t)
        mm, vv = ka * mm + kb, ka**2 * vv + sig2(t)
    nodes, wts = np.polynomial.hermite_e.hermegauss(60)
    x0s = mu_d + c_d * nodes
    wts = wts / wts.sum()
    bound = float(sum(w_ * neg_elbo_closed(v) for w_, v in zip(wts, x0s)))
    nll = float(sum(w_ * (0.5 * np.log(2 * math.pi * vv) + (v - mm) ** 2 / (2 * vv)) for w_, v in zip(wts, x0s)))
    ent = 0.5 * math.log(2 * math.pi * math.e * c_d**2)
    d.table(["quantity (nats, averaged over the data)", "value"],
            [["negative ELBO E[L]", bound], ["model NLL E[-log p_theta(x_0)] (exact)", nll], ["data entropy (the floor)", ent]])
    d.at_least("the bound holds: E[L] - E[-log p_theta(x_0)] (the posterior KL gap)", bound - nll, 0.0)
    d.at_least("... and the model cannot beat the data: E[-log p_theta] - entropy (= KL(data || model))", nll - ent, -1e-12)
    d.at_most("... with the exact score the model is close: KL(data || model) in nats", nll - ent, 0.05)
