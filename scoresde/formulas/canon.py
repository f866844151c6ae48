"""Written symbols to canonical ones (:func:`resolve` under a Reading), and the import point of the canonical
vocabulary (symbols in :mod:`.canon_symbols`, readings in :mod:`.canon_reading`).

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
import re
from typing import Optional

import sympy as sp

from .canon_reading import (C_IDX_ANY, CONST_SUBS, INDEX_LETTERS, _IDX, Reading, index_offset,  # noqa: F401
                            is_classifier_grad, is_model_eps, is_noise_atom, is_score, is_state, norm_index)
from .canon_symbols import (BETA, DIV, DIVGG, FD, FT, FX, GD, GX, LOGP0, LOGPT, MT, NORM_S, NORM_X2, NORM_Z,  # noqa: F401
                            SIGMA, ST, SY, VP_TIES, FDp, G, GDp, S, Sn, Sp, T, U, _DISPLAY, _minus, _plus, _sstr, a,
                            abar_c, an, ap, b, beta_d, beta_max, beta_min, beta_tilde, bn, bp, canon_integrals, dim, e,
                            eta, h, lstep, m_sym, mu_tilde, n_steps, s, s_off, sg_sym, show, sig, sigma_max, sigma_min,
                            snr, t, tie, v, x, x0, x_cur, x_prev)
from .latent_state import book_noise_network
from .parse import Atom


def _posterior_mean(at: Atom, r: "Reading") -> Optional[sp.Expr]:
    """μ̃_t(x_t, x_0) written by name, in a discrete step (its arguments must be the current state and x_0)."""
    if r.mode != "discrete" or at.args is None or len(at.args) != 2 or (at.sub and index_offset(at.sub, r) != 0):
        return None
    cur, first = (re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} ]", "", a_) for a_ in at.args)
    if first != "x_0" or not cur.startswith("x") or index_offset(cur[2:] if cur.startswith("x_") else "", r) != 0:
        return None
    return mu_tilde()


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
