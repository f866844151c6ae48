"""The canonical symbols every formula is compared in (see :mod:`scoresde.formulas.canon`), their closed-form
relations (ᾱ(t), β̃_k, μ̃_k, the VP ties) and their compact display."""
from __future__ import annotations

import functools
import re

import sympy as sp


# ----------------------------------------------------------------------------- symbols
x = sp.Symbol("x", real=True)
x0 = sp.Symbol("x_0", real=True)
s = sp.Symbol("s_θ", real=True)
e = sp.Symbol("ε_θ", real=True)
v = sp.Symbol("v", real=True)
x_prev = sp.Symbol("x_prev", real=True)  # x_{k-1} in a step
x_cur = sp.Symbol("x_cur", real=True)  # x_k in a step

b = sp.Symbol("β_k", positive=True)
a = sp.Symbol("ᾱ_k", positive=True)
ap = sp.Symbol("ᾱ_{k-1}", positive=True)
an = sp.Symbol("ᾱ_{k+1}", positive=True)
bp = sp.Symbol("β_{k-1}", positive=True)
bn = sp.Symbol("β_{k+1}", positive=True)
sig = sp.Symbol("σ_k", nonnegative=True)  # a reverse step's sampling std (Ho et al. / DDIM)
S = sp.Symbol("σ_k", positive=True)
Sp = sp.Symbol("σ_{k-1}", nonnegative=True)
Sn = sp.Symbol("σ_{k+1}", positive=True)
h = sp.Symbol("Δt", positive=True)
eta = sp.Symbol("η", nonnegative=True)

t = sp.Symbol("t", positive=True)
T = sp.Symbol("T", positive=True)
U = sp.Symbol("u", positive=True)  # integration dummy
beta_min = sp.Symbol("β_min", positive=True)
beta_max = sp.Symbol("β_max", positive=True)
beta_d = sp.Symbol("β_d", positive=True)
sigma_min = sp.Symbol("σ_min", positive=True)
sigma_max = sp.Symbol("σ_max", positive=True)
s_off = sp.Symbol("s", positive=True)  # cosine-schedule offset
dim = sp.Symbol("d", positive=True, integer=True)
snr = sp.Symbol("r", positive=True)
n_steps = sp.Symbol("N", positive=True)  # the number of steps of a chain
lstep = sp.Symbol("ε", positive=True)  # Langevin step size
m_sym = sp.Symbol("m", positive=True)  # generic kernel mean coefficient (alpha_t in VDM)
sg_sym = sp.Symbol("σ", positive=True)  # generic kernel std (sigma_t in VDM)

BETA = sp.Function("β")
SIGMA = sp.Function("σ")
FT = sp.Function("f")  # f(t) of a linear SDE
G = sp.Function("g")
FX = sp.Symbol("f(x,t)", real=True)  # general drift f(x, t)
GX = sp.Symbol("G(x,t)", real=True)  # matrix-valued diffusion G(x, t) (Song et al. 2021, Eq. 15); G Gᵀ reads as GX²
# the discretised SDE x_{k} = x_{k-1} + f_{k-1}(x_{k-1}) + G_{k-1} z_{k-1} (Song et al. 2021, App. E, Eq. 45): its drift
# increments and noise scales at the current and previous step
FD = sp.Symbol("f_k(x_k)", real=True)
FDp = sp.Symbol("f_{k-1}(x_{k-1})", real=True)
GD = sp.Symbol("G_k", positive=True)
GDp = sp.Symbol("G_{k-1}", positive=True)
DIVGG = sp.Symbol("∇·[G(x,t)G(x,t)ᵀ]", real=True)  # its divergence (Song et al. 2021, Eq. 16-17)
MT = sp.Function("m")
ST = sp.Function("s")  # EDM scale s(t)
LOGP0 = sp.Symbol("log p_0(x(0))", real=True)
LOGPT = sp.Symbol("log p_T(x(T))", real=True)
DIV = sp.Symbol("∇·f̃(x(t),t)", real=True)
NORM_X2 = sp.Symbol("‖x‖²", nonnegative=True)
NORM_Z = sp.Symbol("‖z‖", positive=True)
NORM_S = sp.Symbol("‖s_θ‖", positive=True)
#: ∇ₓ log p_t(y | x), the classifier's gradient in conditional sampling (Song et al. 2021, Eq. 14)
SY = sp.Symbol("∇log p_t(y|x)", real=True)

#: the one constraint among the discrete VP symbols (and its neighbours)
VP_TIES = {ap: a / (1 - b), an: a * (1 - bn)}


def abar_c(tt: sp.Expr = t) -> sp.Expr:
    """Continuous abar(t) = exp(-int_0^t beta) (Song et al. 2021, Eq. 29)."""
    return sp.exp(-sp.Integral(BETA(U), (U, 0, tt)))


def beta_tilde() -> sp.Expr:
    """Posterior variance beta~_k = (1 - abar_{k-1})/(1 - abar_k) beta_k (Ho et al. 2020, Eq. 7)."""
    return (1 - ap) / (1 - a) * b


def mu_tilde() -> sp.Expr:
    """Posterior mean μ̃_k(x_k, x_0) = √ᾱ_{k−1}β_k/(1 − ᾱ_k) x_0 + √α_k(1 − ᾱ_{k−1})/(1 − ᾱ_k) x_k (Ho et al. 2020, Eq. 7)."""
    return sp.sqrt(ap) * b / (1 - a) * x0 + sp.sqrt(1 - b) * (1 - ap) / (1 - a) * x_cur


def tie(expr: sp.Expr) -> sp.Expr:
    """Eliminate the dependent discrete symbols (abar_{k-1}, abar_{k+1})."""
    return expr.xreplace(VP_TIES) if isinstance(expr, sp.Basic) else expr


def canon_integrals(expr: sp.Expr) -> sp.Expr:
    """Rename every integration variable to the canonical dummy ``u``."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Integral):
        return expr

    def fix(*args):
        body, *lims = args
        out = []
        for lim in lims:
            var = lim[0]
            body = body.xreplace({var: U})
            out.append((U,) + tuple(lim[1:]))
        return sp.Integral(body, *out)

    return expr.replace(lambda q: isinstance(q, sp.Integral), lambda q: fix(q.function, *q.limits))


# ----------------------------------------------------------------------------- display
_DISPLAY = [
    ("ᾱ_{k-1}", "ᾱ_{k-1}"), ("ᾱ_{k+1}", "ᾱ_{k+1}"), ("β_{k-1}", "β_{k-1}"), ("β_{k+1}", "β_{k+1}"),
    ("σ_{k-1}", "σ_{k-1}"), ("σ_{k+1}", "σ_{k+1}"), ("ᾱ_k", "ᾱ_k"), ("β_k", "β_k"), ("σ_k", "σ_k"),
]


@functools.lru_cache(maxsize=4096)
def _sstr(expr: sp.Basic) -> str:
    return sp.sstr(expr)


def show(expr, k: str = "t") -> str:
    """A compact human-readable string, with the step index written as in the claim (t or i)."""
    if isinstance(expr, sp.Basic):
        txt = _sstr(expr)
        txt = re.sub(r"\*\*\(1/2\)", "^½", txt)
        txt = txt.replace("**", "^").replace("*", "·")
    else:
        txt = str(expr)
    txt = txt.replace("Integral(β(u), (u, 0, t))", "∫₀ᵗβ").replace("Derivative", "d/dt")
    if k:
        txt = txt.replace("_{k-1}", "_{" + _minus(k) + "}").replace("_{k+1}", "_{" + _plus(k) + "}").replace("_k", "_" + k)
    return txt


def _minus(k: str) -> str:
    if k.endswith("+1"):
        return k[:-2]
    return k + "-1"


def _plus(k: str) -> str:
    if k.endswith("-1"):
        return k[:-2]
    return k + "+1"
