"""EDM's notation (Karras, Aittala, Aila & Laine 2022) read in the registry's canonical symbols.

General reading rules for the continuous forms of EDM (Sec. 2, Eq. 1–6, Table 1), used by the claim reader:

* the scale ``s(t)`` of a time argument is EDM's s(t) (``\\dot s(t)`` its time derivative, already rewritten as
  d s(t)/dt by :mod:`~scoresde.formulas.normalize`); read in continuous time (SDEs, ODEs, kernels x(t) = s(t) x(0) +
  …), where s(t) cannot be anything else;
* the denoiser ``D(y; a)`` / ``D_θ(y; a)`` at noise level a (EDM Eq. 3: ∇_y log p(y; a) = (D(y; a) − y)/a²) is
  ``y + a² ∇_y log p(y; a)``; with the scaled argument y = x/s(t) of Eq. 4 / Alg. 1 the chain rule gives
  ∇_y log p(y; σ) = s(t) ∇_x log p_t(x), so ``D(x/s(t); σ(t)) = x/s(t) + σ(t)² s(t) ∇_x log p_t(x)``;
* in a parameterisation identity (``D(x; σ) = x + σ² ∇_x log p(x; σ)``) the denoiser is the posterior mean x̂₀
  of the kernel x = x₀ + σ n (m = 1), and a noise argument written as a letter (t with σ(t) = t) is that σ;
* ``±`` / ``∓`` (EDM Eq. 6, ``dx_±``): a formula with both signs is two claims, each judged (the upper sign
  and the lower sign); the direction marker ``_±`` on the left side is dropped.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import DDT, DT, DX, Atom, Parsed

__all__ = ["is_denoiser", "resolve_edm", "relation_subs", "expand_signs", "edm_read_as", "is_parameter_setting",
           "unscaled_at_scaled", "sigma_as_time",
           "bind_direction"]

_MODEL_SUBS = ("", "θ", "φ", "*", "⋆")
#: the first argument of a denoiser / density: x, or x scaled by 1/s(t) (\frac{x}{s(t)} is stored as "fracxs(t)")
_ARG_X = re.compile(r"^x(?:_t|\(t\))?$")
_ARG_SCALED = re.compile(r"^(?:fracx(s\([a-z_0-9{}]*\))|x/(s\([a-z_0-9{}]*\)))$")


def is_denoiser(at: Atom) -> bool:
    """D(y; a), D_θ(y; a): EDM's (ideal or learned) denoiser with its noise level as second argument."""
    return at.base == "D" and at.deco == "" and at.sup == "" and at.sub in _MODEL_SUBS and at.args is not None and len(at.args) == 2


def _time(arg: str) -> Optional[sp.Expr]:
    val = C._time_arg(arg)
    return val if val in (C.t, C.T, C.U, sp.Integer(0), sp.Integer(1)) else None


def _scale(arg: str) -> Optional[sp.Expr]:
    m = re.fullmatch(r"s\((.*)\)", arg.replace(" ", ""))
    if not m:
        return None
    tt = _time(m.group(1))
    return None if tt is None else C.ST(tt)


def _noise_level(arg: str, r: C.Reading) -> Optional[sp.Expr]:
    """The noise-level argument of D(·; a): t (σ(t) = t), σ(t), σ (σ(t) in continuous time), σ_t."""
    a = arg.replace(" ", "")
    if _time(a) is not None and a not in ("0", "1"):
        return _time(a)
    m = re.fullmatch(r"σ(?:_t|_\{t\})?(?:\((.*)\))?", a)
    if m:
        if m.group(1) is None:
            return C.SIGMA(C.t)
        tt = _time(m.group(1))
        return None if tt is None else C.SIGMA(tt)
    return None


def resolve_edm(at: Atom, r: C.Reading) -> Optional[sp.Expr]:
    """The canonical value of an EDM symbol in the SDE/ODE reading (continuous time), or None."""
    if r.mode != "continuous":
        return None
    if at.base == "s" and not at.sub and not at.deco and at.args is not None and len(at.args) == 1:
        tt = _time(at.args[0])
        return None if tt is None else C.ST(tt)
    if not r.noise_in_drift:
        return None
    if is_denoiser(at):
        a = _noise_level(at.args[1], r)
        y = at.args[0].replace(" ", "")
        if a is None:
            return None
        if _ARG_X.match(y):
            r.note(f"{at.name} read as x + σ² ∇ₓ log p(x; σ) at σ = {C.show(a)} (Karras et al. 2022, Eq. 3)")
            return C.x + a**2 * C.s
        m = _ARG_SCALED.match(y)
        if m:
            sc = _scale(m.group(1) or m.group(2))
            if sc is None:
                return None
            r.note(f"{at.name} read as x/s + σ² s ∇ₓ log p_t(x) at σ = {C.show(a)} (Karras et al. 2022, Eq. 3 at x/s(t): "
                   "∇ log p(x/s; σ) = s ∇ₓ log p_t(x))")
            return C.x / sc + a**2 * sc * C.s
    return None


def unscaled_at_scaled(p, expr: sp.Expr) -> sp.Expr:
    """In an equation with the scale s(t) (Eq. 4), ∇ₓ log p(x; σ) and D(x; σ) at the scaled state x itself are other
    quantities than the marginal score (that is ∇ₓ log p(x/s(t); σ)): they become symbols of their own, which no
    registry formula uses (so Eq. 4 with p(x; σ) for p(x/s; σ) is not exact)."""
    atoms = [p.atoms[q] for q in expr.free_symbols if q in p.atoms]
    if not any(a_.base == "s" and not a_.sub and a_.args is not None and len(a_.args) == 1 and _time(a_.args[0]) is not None
               for a_ in atoms):
        return expr
    sub = {}
    for q in expr.free_symbols:
        at = p.atoms.get(q)
        if (at is not None and (at.base == "score" or is_denoiser(at)) and at.args is not None and len(at.args) == 2
                and _ARG_X.match(at.args[0].replace(" ", ""))):
            sub[q] = sp.Symbol(f"{at.name} at x, not x/s(t)", real=True)
    return expr.xreplace(sub)


def relation_subs(p, syms) -> Dict[sp.Symbol, sp.Expr]:
    """Substitutions for a parameterisation identity with EDM's denoiser: D(x; a) -> x̂₀ and its noise level a -> σ."""
    out: Dict[sp.Symbol, sp.Expr] = {}
    for s_ in syms:
        at = p.atoms.get(s_)
        if at is None or not is_denoiser(at) or not _ARG_X.match(at.args[0].replace(" ", "")):
            continue
        out[s_] = C.x0
        lvl = at.args[1].replace(" ", "")
        for q in syms:
            aq = p.atoms.get(q)
            if aq is not None and aq.base == lvl and not aq.sub and not aq.deco and aq.args is None and lvl != "σ":
                out[q] = C.sg_sym  # D(x; t) with σ(t) = t: the letter t is the noise level
    return out


_DIR = re.compile(r"_\s*\{?\s*\\(?:pm|mp)\s*\}?")
_SIGN = re.compile(r"\\(pm|mp)(?![a-zA-Z])")
#: the direction marker of EDM's Eq. 6 on the left side: dx_±, dx_+, dx_− (x in any font)
_MARK = re.compile(r"((?:\\mathrm\s*\{\s*d\s*\}|d)\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|\\(?:mathbf|boldsymbol|bm)\s*x|x))\s*_\s*(\{\s*(?:\\pm|\\mp|\+|-)\s*\}|\\pm|\\mp|\+|-)")
FORWARD, BACKWARD = "dx_+, forward in time", "dx_−, backward in time"


_DW = re.compile(r"(?<![a-zA-Z\\])d\s*(\\(?:mathbf|boldsymbol|bm)\s*\{\s*w\s*\}|w(?![a-zA-Z]))")


def _backward_noise(text: str) -> str:
    """In ``dx_−`` time runs backward (Karras et al. 2022, Eq. 6 and its footnote: dx₊ and dx₋ are separate SDEs
    for moving forward and backward in time), so its Wiener increment dω_t is the backward-time one, Song et al.'s
    dw̄ (Song et al. 2021, Eq. 6)."""
    return _DW.sub(lambda w: r"d\bar{" + w.group(1) + "}", text)


def expand_signs(text: str) -> List[Tuple[str, str]]:
    """[(label, formula)]: one formula per sign of ``\\pm`` / ``\\mp`` (upper sign, lower sign), else [("", text)].

    EDM's direction marker on the left (dx_±: the upper sign is dx_+, forward in time, the lower dx_−, backward;
    dx_+ / dx_− alone) is dropped from the formula and said in the label, which :func:`bind_direction` enforces."""
    lhs_end = text.find("=")
    m = _MARK.search(text, 0, lhs_end if lhs_end >= 0 else len(text))
    mark = None
    if m:
        mark = re.sub(r"[\s{}]", "", m.group(2))
        text = text[:m.start()] + m.group(1) + text[m.end():]
    if not _SIGN.search(text):
        if mark in ("+", "-"):
            return [(FORWARD if mark == "+" else BACKWARD, text if mark == "+" else _backward_noise(text))]
        return [("", text)]
    body = _DIR.sub("", text)
    up = _SIGN.sub(lambda m_: "+" if m_.group(1) == "pm" else "-", body)
    lo = _SIGN.sub(lambda m_: "-" if m_.group(1) == "pm" else "+", body)
    if up == lo:
        return [("", up)]
    if mark in ("\\pm", "\\mp"):  # dx_± binds the upper sign to dx_+ (dx_∓: to dx_−)
        first, second = (FORWARD, BACKWARD) if mark == "\\pm" else (BACKWARD, FORWARD)
        return [(f"upper sign: {first}", up), (f"lower sign: {second}", lo)]
    return [("upper sign", up), ("lower sign", lo)]


#: the Langevin SDEs of Eq. 6 by direction (with and without the scale s(t))
_DIRECTION = {"edm.sde_upper": FORWARD, "edm.sde_scaled_upper": FORWARD, "edm.sde_lower": BACKWARD,
              "edm.sde_scaled_lower": BACKWARD, "edm.sde_t_upper": FORWARD, "edm.sde_t_lower": BACKWARD}


def bind_direction(v, label: str):
    """A formula marked dx_+ (forward) that is exactly Eq. 6's backward SDE (or the other way) is inconsistent: the
    sign of the Langevin term β(t)σ(t)²∇log p fixes the direction of time (Karras et al. 2022, Eq. 6)."""
    want = FORWARD if FORWARD in label else (BACKWARD if BACKWARD in label else None)
    got = _DIRECTION.get(v.target or "")
    if want is None or got is None or got == want or v.verdict != "exact":
        return v
    v.verdict, v.terms = "inconsistent", ["drift"]
    v.detail = (f"the left side says {want}, but this is {got}: the Langevin term β(t)σ(t)²∇log p must have the sign "
                f"{'+' if want == FORWARD else '−'} (Karras et al. 2022, Eq. 6). Read without the marker: {v.detail}")
    return v


def edm_read_as(read_as: str, drift: sp.Expr, diff2: sp.Expr, noise: Optional[str]) -> str:
    """What an ODE/SDE written in EDM's σ(t), s(t) is read as (``read_as`` unchanged when it is not)."""
    uses_scale = drift.has(C.ST) or diff2.has(C.ST)
    uses_dsigma = any(isinstance(q, sp.Derivative) and q.expr.func == C.SIGMA for q in (drift + diff2).atoms(sp.Derivative))
    if not (uses_scale or uses_dsigma):
        return read_as
    where = "EDM's σ(t)" + (", s(t)" if uses_scale else "")
    if noise is None:
        return "probability-flow ODE in " + where
    if diff2.has(C.BETA) and drift.has(C.BETA):
        return f"SDE with a Langevin term β(t) in {where} (Eq. 6)"
    return read_as.split(",")[0] + " in " + where


#: subscripts that name a hyper-parameter of a schedule or sampler (β_min, β_d, σ_data, P_mean, S_churn, ε_s, …)
PARAM_SUBS = {"min", "max", "d", "data", "mean", "std", "churn", "tmin", "tmax", "noise", "s"}


def is_parameter_setting(p, lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """``β_d = 19.9``, ``σ_max = 80``, ``S_churn = 40``: a paper's choice of a hyper-parameter (Karras et al. 2022,
    Table 1 "Parameters" and Table 5), nothing to check."""
    if not isinstance(lhs, sp.Symbol) or lhs not in p.atoms or rhs.free_symbols or not rhs.is_number:
        return False
    at = p.atoms[lhs]
    if at.base == "η" and not at.sub and at.args is None:
        return True  # DDIM's η = 0 (DDIM) or 1 (DDPM's σ_t): a choice of sampler (Song, Meng & Ermon 2021, Eq. 16)
    return at.args is None and at.deco == "" and at.sup == "" and at.sub.replace(" ", "") in PARAM_SUBS


def sigma_as_time(p: Parsed) -> Parsed:
    """dx/dσ = F(x, σ) (the noise level as the ODE's time, Karras et al. 2022, Sec. 3 with σ(t) = t) is
    dx/dt = σ̇(t) F(x, σ(t)); anything else is returned unchanged."""
    if len(p.sides) != 2:
        return p
    lhs = p.sides[0]
    num, den = sp.fraction(sp.together(lhs))
    if num != DX or not isinstance(den, sp.Mul) or len(den.args) != 2:
        return p
    names = {q: p.atoms.get(q) for q in den.args if isinstance(q, sp.Symbol)}
    d_ = [q for q, a_ in names.items() if a_ is not None and a_.base == "d" and not a_.sub and a_.args is None]
    sg = [q for q, a_ in names.items() if a_ is not None and a_.base == "σ" and not a_.sub and not a_.deco and a_.args is None]
    if len(d_) != 1 or len(sg) != 1:
        return p
    at = Atom("σ", args=("t",))
    sym = sp.Symbol(at.name, real=True)
    atoms = dict(p.atoms)
    atoms[sym] = at
    return Parsed(p.text, [DX / DT, p.sides[1] * DDT(sym)], atoms, p.relation, list(p.issues))
