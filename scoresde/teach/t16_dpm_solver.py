"""16. The exponential integrator and DPM-Solver: variation of constants in lambda, Taylor expansion of the
data prediction, multistep orders 2 and 3.

Run it: ``python derivations/16_exponential_integrator_dpm_solver.py [--fast]``.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..sampler import sample
from ..sde import VPSDE
from ..solvers.dpm_solver import DPMSolverPP2M
from .core import Derivation
from .common import F64, diffused, gen, mixture_1d, slope

KEY = "16"
TITLE = "The exponential integrator and DPM-Solver: variation of constants in lambda, multistep orders 2 and 3"
CLAIM = (
    "With lambda = log(m/s) and the data prediction D = x0_hat(x, t), the PF-ODE of any linear SDE is "
    "d(x/s)/dlambda = e^lambda D exactly, so x_t = (s_t/s_s) x_s + s_t int_{lambda_s}^{lambda_t} e^lambda D dlambda "
    "(variation of constants: the linear part is solved exactly). Expanding D in a Taylor series in lambda gives "
    "the integrals m_t phi_k(h): order 1 is DDIM / DPM-Solver++1, and replacing D', D'' by backward differences of "
    "past D's (one evaluation per step) leaves a local error O(h^{k+1}), so k-step multistep methods have global "
    "order k = 1, 2, 3 (measured). The package's DPM-Solver++(2M) is the 2-step method with the D' coefficient "
    "m_t (1 - e^-h) h/2, which matches m_t phi_2(h) to O(h^3)."
)
SOURCES = ("Lu et al. 2022 (DPM-Solver), Eq. 3.4-3.6 and Sec. 3.2; Lu et al. 2022b (DPM-Solver++), Eq. 8-9, Alg. 1-2 "
           "and Sec. 4.2 (multistep); Zhang & Chen 2023 (DEIS), Sec. 3; Hochbruck & Ostermann 2010 (exponential "
           "integrators), Sec. 2")


def vp_ms(lam: float) -> tuple[float, float]:
    """(m, s) of a VP process (m^2 + s^2 = 1) at log-SNR lambda = log(m/s)."""
    return math.sqrt(1 / (1 + math.exp(-2 * lam))), math.sqrt(1 / (1 + math.exp(2 * lam)))


def data_pred(mix, x, lam):
    m, s = vp_ms(lam)
    return (x + s * s * diffused(mix, m, s).score(x)) / m


def multistep(mix, x, lams, order: int, start=None):
    """k-step exponential integrator in lambda with backward-difference derivatives of D (uniform lambda grid).

    ``start``: exact solutions at lams[1..order-1] (so the measured order is the method's own)."""
    h = lams[1] - lams[0]
    Ds = []
    phi1 = lambda h_: -math.expm1(-h_)  # noqa: E731  int_0^h e^{u-h} du
    phi2 = lambda h_: h_ - 1 + math.exp(-h_)  # noqa: E731  int_0^h e^{u-h} u du
    phi3 = lambda h_: h_ * h_ / 2 - h_ + 1 - math.exp(-h_)  # noqa: E731  int_0^h e^{u-h} u^2/2 du
    for i in range(len(lams) - 1):
        Ds.append(data_pred(mix, x, lams[i]))
        if start is not None and i + 1 < order:
            x = start[i + 1]
            continue
        m1, s1 = vp_ms(lams[i + 1])
        _, s0 = vp_ms(lams[i])
        x_new = (s1 / s0) * x + m1 * phi1(h) * Ds[-1]
        k = min(order, len(Ds))
        if k >= 2:
            d1 = (Ds[-1] - Ds[-2]) / h if k == 2 else (3 * Ds[-1] - 4 * Ds[-2] + Ds[-3]) / (2 * h)
            x_new = x_new + m1 * phi2(h) * d1
        if k >= 3:
            d2 = (Ds[-1] - 2 * Ds[-2] + Ds[-3]) / (h * h)
            x_new = x_new + m1 * phi3(h) * d2
        x = x_new
    return x


def derive(d: Derivation) -> None:
    t = sp.Symbol("t", real=True)
    m = sp.Function("m", positive=True)(t)
    s = sp.Function("s", positive=True)(t)
    X = sp.Function("x")(t)
    D = sp.Symbol("D", real=True)

    d.step("Variation of constants in lambda (sympy, any m(t), s(t))")
    d.say("""PF-ODE dx/dt = f x - g^2/2 grad log p_t with f = m'/m, g^2 = (s^2)' - 2 f s^2 and, by Tweedie,
    grad log p_t = (m D - x)/s^2. Its linear part f x + g^2 x/(2 s^2) = (s'/s) x is solved by x ~ s; divide it out:""")
    f = sp.diff(m, t) / m
    g2 = sp.diff(s**2, t) - 2 * f * s**2
    dxdt = f * X - g2 / 2 * (m * D - X) / s**2
    lam = sp.log(m / s)
    lhs = (dxdt * s - X * sp.diff(s, t)) / s**2  # d/dt (x/s)
    d.zero("d(x/s)/dt = e^lambda D dlambda/dt, lambda = log(m/s) (the linear term has cancelled)",
           sp.simplify(lhs - sp.exp(lam) * D * sp.diff(lam, t)))
    d.say("""Hence x_t/s_t = x_s/s_s + int_{lambda_s}^{lambda_t} e^lambda D(lambda) dlambda: only D must be approximated.
    Expand D(lambda) = sum_k D^(k)(lambda_s) (lambda - lambda_s)^k / k! and integrate each term (h = lambda_t - lambda_s):""")
    u, h, ls = sp.symbols("u h λ_s", positive=True)
    phis = []
    for k in range(3):
        integral = sp.integrate(sp.exp(ls + u) * u**k / sp.factorial(k), (u, 0, h))
        phis.append(sp.simplify(integral * sp.exp(-(ls + h))))  # s_t * that = m_t * phi_k since s_t e^{lambda_t} = m_t
        d.show(f"phi_{k + 1}(h) = e^(-lambda_t) int e^lambda (lambda - lambda_s)^{k}/{k}! dlambda", phis[-1])
    d.equal("phi_1 = 1 - e^-h: the first-order step x_t = (s_t/s_s) x_s + m_t (1 - e^-h) D_s is DDIM (derivation 08)",
            phis[0], 1 - sp.exp(-h))
    d.equal("phi_2 = h - 1 + e^-h", phis[1], h - 1 + sp.exp(-h))
    d.equal("phi_3 = h^2/2 - h + 1 - e^-h", phis[2], h**2 / 2 - h + 1 - sp.exp(-h))
    for k, p_ in enumerate(phis):
        lead = sp.series(p_, h, 0, k + 2).removeO()
        d.equal(f"leading term of phi_{k + 1}: h^{k + 1}/{k + 1}! (so the D^({k}) term is needed for local error O(h^{k + 2}))", lead, h ** (k + 1) / sp.factorial(k + 1))

    d.step("Multistep: derivatives from past evaluations (sympy)")
    r = sp.Symbol("r", positive=True)
    d.say("""A multistep method reuses D at earlier lambdas instead of evaluating D' (one evaluation per step).
    DPM-Solver++(2M) writes the step as x_t = (s_t/s_s) x_s + m_t (1 - e^-h) [(1 + 1/(2r)) D_s - D_prev/(2r)], r = h_prev/h.
    With D_prev = D_s - r h D' + O(h^2) its D' coefficient is m_t (1 - e^-h) h/2; the exact one is m_t phi_2(h):""")
    coef_2m = (1 - sp.exp(-h)) * h / 2
    diff_c = sp.series(coef_2m - phis[1], h, 0, 4).removeO()
    d.show("(1 - e^-h) h/2 - phi_2(h)", diff_c + sp.O(h**4))
    d.zero("2M's D' coefficient = phi_2 + O(h^3): local error O(h^3), global order 2", sp.series(coef_2m - phis[1], h, 0, 3).removeO())
    Dp, D1, D2 = sp.symbols("D' D'' D'''", real=True)
    Dm1 = D - h * Dp + h**2 / 2 * D1 - h**3 / 6 * D2  # D at lambda_s - h (uniform steps)
    Dm2 = D - 2 * h * Dp + 2 * h**2 * D1 - sp.Rational(4, 3) * h**3 * D2
    d.zero("backward difference (3 D_0 - 4 D_-1 + D_-2)/(2h) = D' + O(h^2)",
           sp.series((3 * D - 4 * Dm1 + Dm2) / (2 * h) - Dp, h, 0, 2).removeO())
    d.zero("(D_0 - 2 D_-1 + D_-2)/h^2 = D'' + O(h): with phi_3 = O(h^3) the step's local error is O(h^4): order 3",
           sp.series((D - 2 * Dm1 + Dm2) / h**2 - D1, h, 0, 1).removeO())

    d.step("Measured: orders 1, 2, 3 against a DOP853 reference (VP, 3-mode 1-D mixture, uniform lambda)")
    from scipy.integrate import solve_ivp

    mix = mixture_1d()
    lam0, lam1 = -4.0, 2.0  # log-SNR range of the solve
    nx = 64 if d.fast else 256
    m0, s0 = vp_ms(lam0)
    x0 = diffused(mix, m0, s0).sample(nx, gen(1))

    def rhs(lv, yv):  # d(x/s)/dlambda = e^lambda D
        mm, ss = vp_ms(lv)
        xv = torch.from_numpy(yv)[:, None] * ss
        return (math.exp(lv) * data_pred(mix, xv, lv))[:, 0].numpy()

    ns = [16, 32, 64, 128] if d.fast else [16, 32, 64, 128, 256]
    sol = solve_ivp(rhs, (lam0, lam1), (x0[:, 0] / s0).numpy(), method="DOP853", rtol=1e-12, atol=1e-12, dense_output=True)
    ref_at = lambda lv: torch.from_numpy(sol.sol(lv))[:, None] * vp_ms(lv)[1]  # noqa: E731
    ref = ref_at(lam1)
    errs = {k: [] for k in (1, 2, 3)}
    for n_ in ns:
        lams = list(np.linspace(lam0, lam1, n_ + 1))
        start = [None] + [ref_at(lams[j]) for j in (1, 2)]
        for k in (1, 2, 3):
            errs[k].append(float(((multistep(mix, x0.clone(), lams, k, start) - ref) ** 2).mean().sqrt()))
    d.table(["steps"] + [f"{k}-step method: RMS error" for k in (1, 2, 3)], [[n_] + [errs[k][j] for k in (1, 2, 3)] for j, n_ in enumerate(ns)])
    d.say("(The first k-1 points come from the reference: the usual way to measure a multistep method's own order.)")
    for k in (1, 2, 3):
        d.between(f"measured order of the {k}-step method (least-squares slope over all step counts)", slope(ns, errs[k]),
                  k - 0.3, k + 0.5)

    d.step("Measured: the package's DPM-Solver++(2M) is this 2-step method with its own D' coefficient")
    sde = VPSDE()
    n_ = 20
    lams = np.linspace(lam0, lam1, n_ + 1)
    grid = sde.t_from_log_snr(torch.tensor(lams, dtype=F64))
    xs_in = x0.clone()
    pkg = sample(sde, mix.score_fn(sde), xs_in.shape, predictor=DPMSolverPP2M(lower_order_final=False), grid=grid,
                 x_T=xs_in, dtype=F64).x
    # the same method written here: 2M coefficients, first step order 1
    x = x0.clone()
    prev = None
    hh = lams[1] - lams[0]
    for i in range(n_):
        Dv = data_pred(mix, x, lams[i])
        m1, s1 = vp_ms(lams[i + 1])
        _, s0_ = vp_ms(lams[i])
        dd = Dv if prev is None else 1.5 * Dv - 0.5 * prev  # r = 1 on a uniform lambda grid
        x = (s1 / s0_) * x - m1 * math.expm1(-hh) * dd
        prev = Dv
    d.at_most("max |sampler(DPMSolverPP2M, lambda grid) - 2M written here|, 20 steps", float((pkg - x).abs().max()), 1e-8)
