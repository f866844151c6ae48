"""Canonical symbols and the notation readings that map written symbols onto them.

Every formula is compared in one vocabulary (the registry's):

* discrete VP / DDPM, step k (the larger index of the step, "current"):
  ``b`` = beta_k, ``a`` = abar_k, ``ap`` = abar_{k-1} (tied by abar_k = abar_{k-1}(1 - beta_k),
  Ho et al. 2020, Sec. 2), ``bp`` = beta_{k-1}, ``sig`` = the sampling std sigma_k of a reverse step;
* discrete VE / SMLD: ``S`` = sigma_k, ``Sp`` = sigma_{k-1} (0 <= Sp < S);
* continuous: ``t``, ``T``, beta(t), sigma(t), f(t) / f(x, t), g(t);
* state and model outputs: ``x`` (current state), ``x0`` (data, or its prediction), ``s`` (score
  grad log p at the current state and time), ``e`` (noise prediction eps_theta), ``v``;
  fresh N(0, I) noises are separate symbols whose coefficients only enter through their squares.

Notation readings (Architecture note on the alpha clash): DDPM's alpha_t = 1 - beta_t with
abar_t = prod alpha; DDIM's alpha_t = abar_t (Song, Meng & Ermon 2021, Sec. 2); VDM's
alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t) (Kingma et al. 2021, Eq. 1; DPM-Solver).
"""
from __future__ import annotations

import dataclasses

import functools
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import sympy as sp

from .latent_state import book_noise_network
from .parse import Atom

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


def _posterior_mean(at: Atom, r: "Reading") -> Optional[sp.Expr]:
    """μ̃_t(x_t, x_0) written by name, in a discrete step (its arguments must be the current state and x_0)."""
    if r.mode != "discrete" or at.args is None or len(at.args) != 2 or (at.sub and index_offset(at.sub, r) != 0):
        return None
    cur, first = (re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} ]", "", a_) for a_ in at.args)
    if first != "x_0" or not cur.startswith("x") or index_offset(cur[2:] if cur.startswith("x_") else "", r) != 0:
        return None
    return mu_tilde()


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


# ----------------------------------------------------------------------------- readings
@dataclass
class Reading:
    """How to read the written symbols of one formula."""

    mode: str  # "discrete", "continuous", "function" (a schedule defined as a function of t)
    family: str = "vp"  # "vp", "ve", "generic"
    notation: str = "ddpm"  # "ddpm", "ddim", "vdm", "su"
    index: str = "t"  # the index letter (t, i, n, k)
    k_offset: int = 0  # the current index is letter + k_offset (1 for Song's x_i = ... x_{i+1})
    noise_in_drift: bool = False
    drop: Tuple[str, ...] = ()  # stray symbols read as 1
    notes: List[str] = field(default_factory=list)
    unknown: List[str] = field(default_factory=list)
    noises: Dict[str, sp.Symbol] = field(default_factory=dict)
    #: readings that change what is written (ε_0 read as ε_θ): (what was assumed, offending term)
    charity: List[Tuple[str, str]] = field(default_factory=list)

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)

    def charitable(self, msg: str, term: str) -> None:
        """A reading that is not what is written: the as-written verdict is no better than inconsistent."""
        self.note(msg)
        if (msg, term) not in self.charity:
            self.charity.append((msg, term))

    def copy(self, **kw) -> "Reading":
        r = Reading(self.mode, self.family, self.notation, self.index, self.k_offset, self.noise_in_drift, self.drop)
        for k, val in kw.items():
            setattr(r, k, val)
        return r


INDEX_LETTERS = ("t", "i", "n", "k", "j", "l", "m")
C_IDX_ANY = re.compile(r"^[tinkjlm]([+-]\d+)?$")
_IDX = re.compile(r"^([a-zA-Z])\s*([+-]\s*\d+)?$")


def norm_index(sub: str) -> str:
    """A step subscript in the k±1 form: t−Δt -> t-1, t+h -> t+1, t_i -> i, t_{i-1} -> i-1, τ_i -> i."""
    s = sub.replace(" ", "")
    s = re.sub(r"([+-])(?:Δt|h|Δ)$", r"\g<1>1", s)
    m = re.match(r"^(?:t|τ|s)_\(?([a-z](?:[+-]\d+)?)\)?$", s)
    return m.group(1) if m else s


def index_offset(sub: str, reading: Reading) -> Optional[int]:
    """Offset of a subscript relative to the current index, or None if it is not an index."""
    m = _IDX.match(norm_index(sub))
    if not m or m.group(1) != reading.index:
        return None
    off = int(m.group(2).replace(" ", "")) if m.group(2) else 0
    return off - reading.k_offset


CONST_SUBS = {"min", "max", "d", "data", "L", "1", "T", "0", "N"}


def is_noise_atom(at: Atom) -> bool:
    """Fresh noise: z, z_i, ε, ε_i, ξ, Luo 2022's ε*_t, Weng 2021's merged ε̄_t (no θ, hat or model arguments)."""
    if at.base in ("z", "ξ", "n", "Z") and at.args is None and at.deco == "":
        return True
    if at.base == "ε" and at.sub not in ("θ",) and "θ" not in at.sub and at.deco in ("", "bar") and at.sup in ("", "*") and at.args is None:
        return True
    return False


def is_model_eps(at: Atom) -> bool:
    return at.base == "ε" and ("θ" in at.sub or at.deco == "hat" or at.args is not None or at.sup in ("(t)", "θ"))


def is_classifier_grad(at: Atom) -> bool:
    """∇ₓ log p(y | x): the gradient of a classifier's log-likelihood (the variable before '|' is not the state)."""
    if at.base != "score" or not at.args or "|" not in at.args:
        return False
    head = at.args[0].replace(" ", "")
    return not re.match(r"^(x|X|z|x\(t\)|x_\w+|z_\w+|x̃)", head)


def is_score(at: Atom) -> bool:
    if at.base == "score":
        return not is_classifier_grad(at)
    # s_φ, s_ψ: a score network with another parameter letter (Song et al. 2023, Eq. 3 distils s_φ), the same role as s_θ
    return at.base == "s" and ("θ" in at.sub or at.sub in ("*", "φ", "ψ", "ϑ") or at.sup in ("*", "⋆")) and at.deco == ""


def is_state(at: Atom) -> bool:
    return at.base in ("x", "X") and at.deco in ("", "tilde", "bar") and at.sup == ""


def resolve(at: Atom, r: Reading) -> Optional[sp.Expr]:
    """The canonical expression of one written symbol under reading ``r`` (None: meaningless)."""
    if r.notation == "su" and at.base in ("α", "β") and at.deco in ("", "bar") and not at.sup:
        return su_symbol(at, r)
    base, deco, sub = at.base, at.deco, at.sub
    if deco == "dot" or "′" in at.sup or at.sup == "-1":
        return None  # σ̇, σ′, σ⁻¹ are not the quantity itself (\dot σ(t), σ'(t) are read as dσ(t)/dt by normalize)
    if base in r.drop:
        return sp.Integer(1)
    if base == "I" and not sub and at.args is None:
        return sp.Integer(1)  # identity matrix in a covariance
    if base == "π":
        return sp.pi
    if base in ("T",) and not sub:
        return T
    if base == "Δt":
        return h
    if base in ("d", "D") and not sub and at.args is None and not deco:
        return dim  # the data dimension (log-densities: -d/2 log 2π)
    if base == "η" and not sub:
        return eta
    if base == "r" and not sub:
        return snr
    # ---- states, data, predictions
    if base in ("x", "X") and deco == "hat" and (sub in ("0", "θ", "") or at.args is not None):
        return x0
    if is_state(at):
        if sub == "0" or (at.args is not None and at.args[:1] == ("0",)):
            return x0
        if r.mode == "discrete":
            off = index_offset(sub, r) if sub else 0
            if off == 0:
                return x_cur
            if off == -1:
                return x_prev
            return None
        if sub in ("", "t") or (at.args is not None and at.args[:1] in (("t",),)):
            return x
        if at.args == ("T",) or sub == "T":
            return sp.Symbol("x_T", real=True)
        return None
    if base == "x" and sub == "θ":
        return x0
    # ---- model outputs
    if is_classifier_grad(at):
        return SY
    if is_score(at):
        if at.args is not None and len(at.args) == 1 and at.args[0] not in ("x", "x_t", "x(t)") and r.mode == "continuous":
            r.note(f"{at.name} read as s_θ(x, t) ≈ ∇ₓ log p_t(x) (the score at the current time)")
        elif at.args is not None and len(at.args) == 1 and r.mode == "discrete":
            r.note(f"{at.name} read as the score at the current state and noise level, s_θ(x_k, k)")
        if at.base == "score" and at.args and "|" in at.args:
            r.note(f"{at.name}: a conditional score, read as the score of p_t (it matches in expectation)")
        return s
    if book_noise_network(at):  # Bishop's g(z_t, w, t), Prince's g_t[z_t, φ_t]: the noise-predicting network
        r.note(f"{at.name} read as the noise prediction ε_θ (the network g with weights of Bishop & Bishop 2024, Ch. 20; "
               "Prince 2023, Ch. 18)")
        return e
    if is_model_eps(at) or (base == "ε" and r.noise_in_drift and at.args is None):
        if not is_model_eps(at):
            r.note(f"{at.name} read as the noise prediction ε_θ(x(t), t), i.e. score = −ε/√(1−ᾱ)")
            if at.sub or at.deco:  # a named noise sample (ε_0), not the prediction: as written it is wrong
                r.charitable(f"{at.name} is read as ε_θ (as written, {at.name} is a fixed noise sample, not the model's prediction)", "drift")
        return e
    if is_noise_atom(at):
        key = at.name
        if key not in r.noises:
            r.noises[key] = sp.Symbol(f"z[{key}]", real=True)
        return r.noises[key]
    if base == "v" and not sub:
        return v
    m_other = _IDX.match(norm_index(sub)) if sub else None
    if (r.mode == "discrete" and m_other and m_other.group(1) in INDEX_LETTERS and m_other.group(1) != r.index
            and base in ("α", "σ", "β", "ε", "δ", "γ", "η") and deco == ""):
        # alpha_i inside steps indexed by t (annealed Langevin): constant during these steps
        r.note(f"{at.name} is constant during these steps (its index {m_other.group(1)} is not the step index {r.index})")
        return sp.Symbol(at.name, positive=True)
    if base == "μ" and deco == "tilde":
        return _posterior_mean(at, r)
    if base == "μ" and "θ" in sub and not deco and r.mode == "discrete" and r.family == "vp":  # x_{t−1} = μ_θ + σ_t z
        return (x_cur + b * s) / sp.sqrt(1 - b) if at.args is None or len(at.args) == 2 else None  # Ho Alg. 2, Eq. 11
    # ---- schedules
    if base == "β":
        if deco == "tilde":
            if r.mode == "discrete" and (not sub or index_offset(sub, r) == 0):
                return beta_tilde()
            return None
        if deco == "bar" and sub in ("min", "max"):
            return beta_min if sub == "min" else beta_max
        if sub == "min":
            return beta_min
        if sub == "max":
            return beta_max
        if sub == "d":
            return beta_d
        if r.mode == "discrete":
            if at.args is not None:  # beta(t_i) in a discrete step: the continuous schedule at t_k
                return BETA(t) if at.args[0].startswith("t") else None
            off = index_offset(sub, r) if sub else 0
            return {0: b, -1: bp, 1: bn}.get(off)
        if at.args is not None:
            return BETA(_time_arg(at.args[0]))
        if sub in ("t", "") or sub == r.index:
            return BETA(t)
        if sub in ("1",):
            return sp.Symbol("β_1", positive=True)
        if sub in ("T",):
            return sp.Symbol("β_T", positive=True)
        return None
    if base == "α":
        if deco == "bar":
            return _abar(sub, at, r)
        if deco == "":
            if r.notation == "ddim":
                return _abar(sub, at, r)
            if r.notation == "vdm":
                ab = _abar(sub, at, r)
                return None if ab is None else sp.sqrt(ab)
            if r.mode == "discrete":
                off = index_offset(sub, r) if sub else 0
                if sub and off is None and sub == "@":
                    return None
                return {0: 1 - b, -1: 1 - bp, 1: 1 - bn}.get(off)
            return None
        return None
    if base == "σ":
        if sub == "const" and not at.args:  # a constant base σ^t (ve_written.constant_sigma; classify_more.constant_base)
            return sp.Symbol("σ", positive=True)
        if sub in ("min",):
            return sigma_min
        if sub in ("L", "K", "M") and at.args is None and not deco:
            # σ_L: the last of the noise levels σ_1 > … > σ_L (Song & Ermon 2019, Sec. 4.2, Alg. 1), a constant
            return sp.Symbol(f"σ_{sub}", positive=True)
        if sub in ("max",):
            return sigma_max
        if sub == "q" and not deco and r.mode == "discrete" and r.family == "vp" and (
                at.args is None or len(at.args) == 1 and _arg_offset(at, r) == 0):
            # σ_q(t): the std of q(x_{t−1} | x_t, x_0) (Luo 2022, Eq. 85; Chan 2024, Eq. 2.50), √β̃_t
            return sp.sqrt(beta_tilde())
        if r.mode == "discrete":
            off = index_offset(sub, r) if sub else _arg_offset(at, r)
            if r.family == "ve":
                return {0: S, -1: Sp, 1: Sn}.get(off)
            if r.notation == "vdm":
                ab = _abar(sub, at, r)
                return None if ab is None else sp.sqrt(1 - ab)
            return sig if off == 0 else None
        if r.notation == "vdm" and (sub in ("t", "") and at.args is None or not sub and at.args is not None):
            ab = _abar(sub, at, r)  # σ_t = σ(t) = √(1 − ᾱ(t)) (Kingma et al. 2021, Eq. 1; Lu et al. 2022, Sec. 2)
            return None if ab is None else sp.sqrt(1 - ab)
        if at.args is not None:
            return SIGMA(_time_arg(at.args[0]))
        if sub in ("t", ""):
            return SIGMA(t)
        return None
    if base in ("f", "g") and deco == "" and sub == "t" and r.mode == "continuous" \
            and (at.args is None) == (base == "g") and (at.args is None or len(at.args) == 1 and at.args[0].startswith("x")):
        # f_t(x), g_t: the time as a subscript (Su 2022, 生成扩散模型漫谈 (五), dx = f_t(x)dt + g_t dw) is f(x, t), g(t)
        return FX if base == "f" else G(t)
    if base == "f" and deco == "" and not sub:
        if at.args is not None and len(at.args) >= 2 or (at.args is not None and at.args[0].startswith("x")):
            return FX
        if at.args is not None:
            return FT(_time_arg(at.args[0]))
        return None
    if base == "f" and deco == "tilde":
        return None
    if base in ("f", "G") and sub and not deco and r.mode == "discrete" and (at.args is None) == (base == "G"):
        # f_i(x_i), G_i of a discretised SDE (Song et al. 2021, App. E): indexed like the states
        off = index_offset(sub, r)
        if at.args is not None and (len(at.args) != 1 or not at.args[0].strip().startswith("x")):
            return None
        return {("f", 0): FD, ("f", -1): FDp, ("G", 0): GD, ("G", -1): GDp}.get((base, off))
    if base == "G" and not sub and not deco:
        if at.args is None or len(at.args) == 2:
            return GX
        return G(_time_arg(at.args[0])) if len(at.args) == 1 else None
    if base == "div" and at.args:
        if re.search(r"(?<![A-Za-z])G\b", at.args[0]):
            return DIVGG
        return DIV if re.match(r"^f\u0303", at.args[0]) else None
    if base == "g" and not sub:
        if at.args is None or len(at.args) == 1 and _time_arg(at.args[0]) == t:
            return G(t)
        return None
    if base == "t" and not sub and at.args is None:
        return t if r.mode != "discrete" else None
    if base in ("s", "u", "τ") and not sub and at.args is None and r.mode == "function":
        return s_off if base == "s" else None
    return None


def _arg_offset(at: Atom, r: Reading) -> int:
    """In a discrete step, a time argument is an index: σ(t + Δt) is σ_{k+1} when x(t) is x_k (Song et al. 2021,
    App. B); an argument that is not an index (or none) is the current step, as before."""
    if at.args is None or len(at.args) != 1:
        return 0
    off = index_offset(at.args[0], r)
    return 0 if off is None else off


def _time_arg(arg: str) -> sp.Expr:
    arg = arg.strip()
    if arg in ("t", "") or re.fullmatch(r"t_?\{?[a-z]([+-]1)?\}?", arg):
        return t
    if arg in ("s", "u", "τ", "r"):
        return U
    if arg == "T":
        return T
    if arg == "0":
        return sp.Integer(0)
    if arg == "1":
        return sp.Integer(1)
    return sp.Symbol(arg)


def _abar(sub: str, at: Atom, r: Reading) -> Optional[sp.Expr]:
    if r.mode == "discrete":
        if at.args is not None:  # ᾱ(t), α(t_i): the function notation of a subscript (Kingma et al. 2021, Eq. 1)
            if sub or len(at.args) != 1:
                return None
            off = index_offset(at.args[0], r)
        else:
            off = index_offset(sub, r) if sub else 0
        return {0: a, -1: ap, 1: an}.get(off)
    if at.args is not None:
        return abar_c(_time_arg(at.args[0]))
    if sub in ("t", "", r.index) or (sub and C_IDX_ANY.match(sub.replace(" ", ""))):
        if sub and sub not in ("t", ""):
            r.note(f"{at.name} (a discrete index) read as ᾱ(t) = exp(−∫₀ᵗβ) in continuous time")
        return abar_c()
    return None


def su_symbol(at: Atom, r: Reading) -> Optional[sp.Expr]:
    """Su Jianlin's notation (kexue.fm, 生成扩散模型漫谈 (一)-(六), 2022): x_t = α_t x_{t−1} + β_t ε_t with
    α_t² + β_t² = 1, ᾱ_t = α_1⋯α_t, β̄_t = √(1 − ᾱ_t²), so x_t = ᾱ_t x_0 + β̄_t ε̄_t. In Ho et al.'s symbols his α_t,
    β_t, ᾱ_t, β̄_t are √α_t, √β_t, √ᾱ_t, √(1 − ᾱ_t)."""
    ddpm = r.copy(notation="ddpm")
    if at.deco == "bar":
        if at.sub in ("min", "max"):
            return None
        ab = _abar(at.sub, at, ddpm)
        return None if ab is None else (sp.sqrt(ab) if at.base == "α" else sp.sqrt(1 - ab))
    if r.mode != "discrete":
        return None
    plain = resolve(dataclasses.replace(at, base="β", deco=""), ddpm)  # Ho et al.'s β at the same index
    return None if plain is None else (sp.sqrt(plain) if at.base == "β" else sp.sqrt(1 - plain))
