"""Vocabulary of the multi-time reader: every written symbol of a solver formula as an expression in independent
basis symbols, one base quantity per time point.

Time points. Every distinct time token (t, s, t_i, t_{i-1}, t_{i-2}, s_i, s_{2i-1}, τ_i, t − Δt, t̂_i, λ) is its own
time point. VP notations (DDPM, DDIM, VDM, DPM-Solver) are functions of one base quantity per time point, the
half log-SNR λ_τ (Lu et al. 2022a, Sec. 3.1), so that their identities hold by construction:

* ᾱ_τ = 1/(1 + e^{−2λ_τ}) (DDPM's ᾱ; DDIM writes it α_τ, Song, Meng & Ermon 2021, Sec. 2);
* α_τ = √ᾱ_τ, σ_τ = √(1 − ᾱ_τ) (VDM, Kingma et al. 2021, Eq. 1; DPM-Solver, Lu et al. 2022a, Eq. 2.1), so
  λ_τ = log(α_τ/σ_τ), SNR(τ) = α²/σ² = e^{2λ} (VDM Eq. 2), γ(τ) = −log SNR (VDM Eq. 3, σ² = sigmoid(γ));
* α_{t|s} = α_t/α_s, σ²_{t|s} = σ_t² − α²_{t|s} σ_s² (VDM Eq. 4); h_k = λ_{t_k} − λ_{t_{k−1}} (Lu et al. 2022a, Sec. 3.3);
* r_1, r_2, r_i, η, γ_i, S_noise, S_churn, N: free parameters (fixed by the reference formula where it defines them).

EDM notation (Karras et al. 2022): time points t_i, t_{i+1}, t̂_i are positive symbols; σ(t_k), s(t_k) and their time
derivatives σ̇(t_k), ṡ(t_k) are independent positive symbols per time point (Alg. 1 general form).

Vectors (the basis): states at a time point (x_{t_i}, x̃_{t_{i−1}}, u_i, z_t, z_s, x_i, x̂_i), the data x (VDM and
Salimans & Ho 2022 write x for the data, DDPM x_0), noise draws (ε, ε_i, z), solver auxiliaries (D_i, d_i, d'_i)
and model outputs. A model output is opaque in ε form at (state, time): E[y, τ]; the other parametrisations are
the definitional conversions x_θ(y, τ) = (y − σ_τ E)/α_τ (Lu et al. 2022b, Eq. 3.1; DDIM f_θ^{(t)}, Eq. 9),
s_θ = −E/σ_τ, v_θ = α_τ E − σ_τ x_θ (Salimans & Ho 2022, Sec. 4). EDM's D_θ(y; σ) is opaque in its own right.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Set, Tuple

import sympy as sp

from .atoms import Atom
from .mt_labels import _IDX, _pair, _shift, _sub_label, label_of
from .mt_text import Placeholder

__all__ = ["Unknown", "Vocab", "label_of", "VEC_KINDS"]

#: kinds of basis vectors, each with the term name of the corpus vocabulary it reports
VEC_KINDS = {"state": "mean.x", "data": "mean.x0", "noise": "variance", "aux": "mean.other",
             "eps": "mean.eps", "x0": "mean.x0", "score": "mean.score", "v": "mean.other", "D": "mean.x0"}


class Unknown(ValueError):
    """A symbol the multi-time vocabulary does not give a meaning to (the formula stays unparsed)."""


@dataclass
class Vocab:
    """Reads parsed atoms as basis expressions for one notation ("vdm", "ddim", "ddpm") and mode ("vp", "edm")."""

    notation: str = "vdm"
    mode: str = "vp"
    lams: Dict[str, sp.Symbol] = field(default_factory=dict)
    vecs: Dict[sp.Symbol, Tuple[str, str]] = field(default_factory=dict)  # symbol -> (kind, key)
    params: Dict[str, sp.Symbol] = field(default_factory=dict)
    edm: Dict[Tuple[str, str], sp.Symbol] = field(default_factory=dict)
    forms: Set[str] = field(default_factory=set)  # model parametrisations seen: eps, x0, score, v, D
    model_args: Dict[sp.Symbol, Tuple[sp.Expr, str]] = field(default_factory=dict)  # model vector -> (state, time)
    default_point: Optional[Tuple[sp.Expr, str]] = None
    notes: List[str] = field(default_factory=list)
    in_integral: bool = False
    sigma_vp: bool = True  # σ_t is VDM's √(1 − ᾱ_t) (False: nothing beside it says so)
    defs: Dict[sp.Symbol, sp.Expr] = field(default_factory=dict)  # a named quantity on the left -> its definition
    hat_model: bool = False  # ε̂ is the model's prediction (it stands beside x̂ or v̂ at one state), not a draw
    lam_scale: int = 1  # a written λ is λ_base·lam_scale: 1 = log(α/σ) (Lu et al. 2022a), 2 = log(α²/σ²) (Ho & Salimans)

    # ---------------------------------------------------------------- scalars
    def lam(self, label: str) -> sp.Symbol:
        if label not in self.lams:
            self.lams[label] = sp.Symbol(f"λ[{label}]", real=True)
        return self.lams[label]

    def abar(self, label: str) -> sp.Expr:
        return 1 / (1 + sp.exp(-2 * self.lam(label)))

    def alpha(self, label: str) -> sp.Expr:
        return sp.sqrt(self.abar(label))

    def sigma(self, label: str) -> sp.Expr:
        return sp.sqrt(1 - self.abar(label))

    def ddt(self, e: sp.Expr) -> sp.Expr:
        """d/dt of a quantity at the time point t: through λ_t (chain rule, λ̇_t a free symbol)."""
        others = [s_ for s_ in e.free_symbols if s_ != self.lam("t") and not s_.name.startswith(("r_", "η"))]
        if others:
            raise Unknown("a time derivative of something that is not a function of λ_t")
        return sp.diff(e, self.lam("t")) * sp.Symbol("λ̇[t]", real=True)

    def angle(self, label: str) -> sp.Expr:
        """φ at a time point: α_φ = cos φ, σ_φ = sin φ, φ = arctan(σ/α) = arctan(e^{−λ}) (Salimans & Ho 2022, Sec. 4)."""
        return sp.atan(sp.exp(-self.lam(label)))

    def dz_dangle(self, label: str) -> sp.Expr:
        """dz_φ/dφ of z_φ = α_φ x + σ_φ ε with x, ε held fixed: v_φ = cos(φ) ε − sin(φ) x (Salimans & Ho 2022, Sec. 4)."""
        lam = self.lam(label)
        z = self.alpha(label) * self.vec("data", "x") + self.sigma(label) * self.vec("noise", "ε")
        return sp.simplify(sp.diff(z, lam) / sp.diff(self.angle(label), lam))

    def param(self, name: str, **assume) -> sp.Symbol:
        if name not in self.params:
            self.params[name] = sp.Symbol(name, positive=True, **assume)
        return self.params[name]

    def e_sym(self, what: str, label: str) -> sp.Symbol:
        """EDM per-time symbols: t (the time value), sig = σ(t), sc = s(t), sigd = σ̇(t), scd = ṡ(t)."""
        k = (what, label)
        if k not in self.edm:
            self.edm[k] = sp.Symbol(f"{what}[{label}]", positive=what != "scd", real=True)
        return self.edm[k]

    # ---------------------------------------------------------------- vectors
    def vec(self, kind: str, key: str) -> sp.Symbol:
        sym = sp.Symbol(f"<{kind}:{key}>", commutative=True)
        self.vecs[sym] = (kind, key)
        return sym

    def state(self, label: str, name: str = "x") -> sp.Symbol:
        return self.vec("state", f"{name}@{label}")

    def model(self, form: str, y: sp.Expr, label: str) -> sp.Expr:
        """The model output in parametrisation ``form`` at state ``y`` and time point ``label``."""
        vs = [s_ for s_ in y.free_symbols if s_ in self.vecs]
        if not isinstance(y, sp.Symbol) and len(vs) == 1 and sp.count_ops(y) < 40:
            try:  # x̄/√(σ² + 1) with x̄ = x/√α, σ² = (1 − α)/α is the state x itself (DDIM Eq. 14)
                if sp.simplify(y / vs[0] - 1) == 0:
                    y = vs[0]
            except Exception:  # pragma: no cover - simplify on exotic input
                pass
        if self.mode == "edm" or form == "D":
            if form not in ("D",):
                raise Unknown(f"a {form} model output in EDM notation")
            self.forms.add("D")
            Dv = self.vec("D", f"{sp.sstr(y)}|{label}")
            self.model_args[Dv] = (y, label)
            return Dv
        self.forms.add(form)
        E = self.vec("eps", f"{sp.sstr(y)}|{label}")
        self.model_args[E] = (y, label)
        a, s = self.alpha(label), self.sigma(label)
        if form == "eps":
            return E
        if form == "x0":
            return (y - s * E) / a
        if form == "score":
            return -E / s
        if form == "v":
            return (E - s * y) / a
        raise Unknown(form)

    # ---------------------------------------------------------------- atoms
    def atom(self, at: Atom, table: Dict[str, Placeholder], reader) -> sp.Expr:
        base, deco, sub, args = at.base, at.deco, at.sub.replace("{", "").replace("}", ""), at.args
        if at.sup == "′" and args is not None and len(args) == 1 and self.mode != "edm" and base != "λ" \
                and self.time_label_text(args[0]) == "t":
            # Lagrange's prime on a function of time is its time derivative: γ'(t) = dγ/dt (Kingma et al. 2021, Eq. 3
            # and App. A write γ'(t) for the learned schedule's derivative)
            return self.ddt(self.atom(replace(at, sup=""), table, reader))
        if base == "Ψ" and sub in table:
            return self.placeholder(table[sub], reader)
        if args is not None and base in ("σ", "s") and not sub and len(args) == 1 and self.mode == "edm":
            lab = self.time_label_text(args[0])
            return self.e_sym("sig" if base == "σ" else "sc", lab)
        if base == "σ" and sub == "Q":  # σ_Q(s, t): the posterior standard deviation (VDM Sec. 3.2)
            return self.param("σ_Q", real=True)
        if base == "μ" and sub == "Q":  # μ_Q(z_t, x; s, t): the posterior mean (VDM Sec. 3.2)
            return self.vec("aux", "μ_Q")
        if base == "μ" and sub == "θ" and deco == "" and (args is None or len(args) == 3):
            return self.vec("aux", "μ_θ")  # μ_θ(z_t; s, t): the model's mean of p(z_s | z_t) (VDM Sec. 3.3, App. A)
        if base == "μ" and deco == "tilde" and _pair(sub) and len(args or ()) == 2:
            # the posterior mean of q(z_a | z_b, x) (Kingma et al. 2021, Sec. 3.2 μ_Q; Ho & Salimans 2022, Sec. 2 μ̃_{λ'|λ})
            a_, b_ = _pair(sub)
            fwd2 = self.sigma(b_) ** 2 - (self.alpha(b_) / self.alpha(a_)) ** 2 * self.sigma(a_) ** 2
            val = (self.alpha(b_) / self.alpha(a_) * self.sigma(a_) ** 2 * self.state(b_)
                   + self.alpha(a_) * fwd2 * self.vec("data", "x")) / self.sigma(b_) ** 2
            if [reader.vector_text(x_) for x_ in args] != [self.state(b_), self.vec("data", "x")]:
                raise Unknown(at.name + " (its arguments are not z_b, x)")
            mu = self.vec("aux", f"μ̃@{a_}|{b_}")
            self.defs[mu] = val
            return mu
        if base == "φ" and deco == "" and args is None and (not sub or _sub_label("φ_" + sub)):
            return self.angle("φ" + ("_" + sub if sub else ""))
        if base == "δ" and deco == "" and not sub and args is None:  # the angle step of z_{φ−δ} (Salimans & Ho 2022, Sec. 4)
            moved = [k for k in self.lams if k.startswith("φ") and k[-2:] in ("-δ", "+δ")]
            if len(moved) != 1:
                raise Unknown("δ (no time point φ − δ)")
            lab = moved[0]
            return (1 if lab.endswith("-δ") else -1) * (self.angle(lab[:-2]) - self.angle(lab))
        if args == ("t",) and base in ("f", "g") and not sub and self.mode == "vp":
            # f(t) = d log α_t/dt, g²(t) = dσ_t²/dt − 2 (d log α_t/dt) σ_t² (Lu et al. 2022a, Eq. 2.2; Kingma et al. 2021, App. A)
            f = self.ddt(sp.log(self.alpha("t")))
            return f if base == "f" else sp.sqrt(self.ddt(self.sigma("t") ** 2) - 2 * f * self.sigma("t") ** 2)
        if args is not None and len(args) == 1 and (base == "γ" or base == "ω" and sub == "η" and deco == ""):
            # VDM γ(t), γ_η(t) = −log SNR(t) (Eq. 3): the monotone network with parameters η, whatever its letter
            # (Luo 2022, Eq. 110 writes ω_η(t))
            return -2 * self.lam(self.time_label_text(args[0]))
        if args is not None:
            raise Unknown(at.name)
        if self.mode == "edm":
            return self._edm_atom(base, deco, sub, at)
        if base == "α" and sub:
            pair = _pair(sub)
            if pair:  # α_{t|s} = α_t/α_s (Kingma et al. 2021, Eq. 4; Ho & Salimans 2022, Sec. 2: α_{λ|λ'})
                return self.alpha(pair[0]) / self.alpha(pair[1])
            lab = _sub_label(sub)
            if lab is None:
                raise Unknown(at.name)
            if deco == "bar":
                return self.abar(lab)
            if deco == "" and self.notation == "vdm":
                return self.alpha(lab)
            if deco == "" and self.notation == "ddim":
                return self.abar(lab)
            m_lab = re.fullmatch(r"t(?:-(\d))?", lab)
            if deco == "" and self.notation == "ddpm" and m_lab:  # DDPM's α_t = 1 − β_t = ᾱ_t/ᾱ_{t−1}, α_{t−1} = ᾱ_{t−1}/ᾱ_{t−2}
                return self.abar(lab) / self.abar(f"t-{int(m_lab.group(1) or 0) + 1}")
            raise Unknown(at.name)
        if base == "σ" and sub and deco in ("", "tilde") and _pair(sub):
            a_, b_ = _pair(sub)
            if deco == "tilde":  # posterior q(z_a | z_b, x): σ̃_{a|b} = σ_{b|a} σ_a/σ_b (VDM Sec. 3.2; Ho & Salimans 2022, Sec. 2)
                a_, b_ = b_, a_
            fwd = sp.sqrt(self.sigma(a_) ** 2 - (self.alpha(a_) / self.alpha(b_)) ** 2 * self.sigma(b_) ** 2)
            return fwd * self.sigma(b_) / self.sigma(a_) if deco == "tilde" else fwd  # σ²_{t|s} = σ_t² − α²_{t|s}σ_s² (VDM Eq. 4)
        if base == "σ" and sub and deco == "":
            lab = _sub_label(sub)
            if lab is None:
                raise Unknown(at.name)
            if self.notation == "vdm" and self.sigma_vp:
                return self.sigma(lab)
            if self.notation == "vdm":  # σ_t alone: VDM's √(1 − ᾱ_t) or a VE noise level -- not guessed
                raise Unknown(at.name + " (VDM's σ_t or a VE noise level: give notation: vdm)")
            return self.param(f"σ_{lab}", real=True)  # DDIM/DDPM: the free noise scale of the step at lab
        if base == "λ" and deco == "" and sub:
            return self.lam_scale * self.lam(_sub_label(sub) or _bad(at))
        if base == "λ" and deco == "" and self.lam_scale == 2 and at.sup in ("", "′") and not self.in_integral:
            return 2 * self.lam("λ'" if at.sup else "λ")  # Ho & Salimans 2022: λ = log(α_λ²/σ_λ²) indexes the point
        if base == "λ" and deco == "" and self.in_integral:  # the integration variable of Lu et al.'s Eq. 3.4
            return self.lam("λ")
        if base == "h" and deco == "" and not sub and {"t", "s"} <= set(self.lams) and not set(self.lams) - {"t", "s", "λ"}:
            return self.lam("t") - self.lam("s")  # h = λ_t − λ_s on the step s -> t (Lu et al. 2022b, Sec. 4)
        if base == "h" and deco == "" and sub:
            prev = _shift(sub, -1)
            if prev is None:
                raise Unknown(at.name)
            return self.lam(f"t_{sub}") - self.lam(f"t_{prev}")
        if base == "r" and deco == "" and re.fullmatch(r"\d|i|\d*i[+-]\d", sub or "x"):
            return self.param(f"r_{sub}")
        if base == "t" and not sub and deco == "":  # the time value of a schedule (λ_t as a function of t)
            return sp.Symbol("t·", positive=True)
        if base == "β" and deco == "" and sub in ("min", "max", "d", "0", "1"):
            return self.param("β_" + {"0": "min", "1": "max"}.get(sub, sub))  # DPM-Solver writes β_0, β_1
        if base == "η" and not sub:
            return self.param("η")
        if base == "z" and deco == "" and not sub:
            return self.vec("noise", "ε")  # DDPM's z ~ N(0, I)
        if base in ("x", "z") and deco in ("", "tilde", "hat"):
            if not sub or sub == "0":
                if deco == "hat":
                    return self._default_model("x0")
                return self.vec("data", "x")
            lab = _sub_label(sub)
            if lab is None:
                raise Unknown(at.name)
            return self.state(lab, "x̂" if deco == "hat" and lab == "λ" else "x")
        if base == "u" and deco == "" and sub:
            return self.vec("state", f"u@{sub}")
        if base in ("ε", "z") and (deco == "" or base == "ε" and deco == "bar") and (not sub or _sub_label(sub) or sub in ("i",)):
            return self.vec("noise", "ε")  # one fresh draw per formula, however it is named (ε, ε_t, z)
        if base == "ε" and deco == "hat" and not sub:
            if self.hat_model:  # ε̂ beside x̂, v̂: the predictions at one state (Salimans & Ho 2022, Sec. 4)
                return self._default_model("eps")
            return self.vec("noise", "ε")
        if base == "D" and deco == "" and sub and _IDX.match(sub):
            return self.vec("aux", f"D@{sub}")
        if base == "v" and deco == "" and sub and _sub_label(sub) and sub != "θ":  # v_φ, v_t: α ε − σ x at that point
            lab = _sub_label(sub)
            return self.alpha(lab) * self.vec("noise", "ε") - self.sigma(lab) * self.vec("data", "x")
        if base == "v" and deco == "" and not sub:  # v ≡ α_t ε − σ_t x (Salimans & Ho 2022, Sec. 4)
            lab = self._only_label()
            return self.alpha(lab) * self.vec("noise", "ε") - self.sigma(lab) * self.vec("data", "x")
        if base == "v" and (deco == "hat" or sub == "θ"):
            return self._default_model("v")
        raise Unknown(at.name)

    def _edm_atom(self, base: str, deco: str, sub: str, at: Atom) -> sp.Expr:
        if base == "t" and deco in ("", "hat") and sub and _IDX.match(sub):
            return self.e_sym("t", ("t̂_" if deco == "hat" else "t_") + sub)
        if base == "x" and deco in ("", "hat", "tilde") and sub and _IDX.match(sub):
            return self.state(("t̂_" if deco == "hat" else "t_") + sub)
        if base == "d" and deco == "" and sub and _IDX.match(sub):
            return self.vec("aux", f"d@{sub}")
        if base == "ε" and deco == "" and sub and _IDX.match(sub):
            return self.vec("noise", sub)
        if base == "γ" and deco == "" and sub and _IDX.match(sub):
            return self.param(f"γ_{sub}")
        if base == "S" and sub in ("noise", "churn", "tmin", "tmax"):
            return self.param(f"S_{sub}")
        if base == "N" and not sub:
            return self.param("N", integer=True)
        if base == "α" and deco == "" and not sub:  # the Runge-Kutta parameter of EDM's App. D.2 (α = 1: Heun)
            return self.param("α")
        raise Unknown(at.name)

    def _only_label(self) -> str:
        if self.default_point is not None:
            return self.default_point[1]
        labs = [k for k in self.lams if k != "λ"]
        if len(labs) == 1:
            return labs[0]
        raise Unknown("v (its time point is not clear)")

    def _default_model(self, form: str) -> sp.Expr:
        if self.default_point is None:
            raise Unknown("a model prediction whose state is not clear")
        return self.model(form, *self.default_point)

    # ---------------------------------------------------------------- placeholders and time arguments
    def time_label_text(self, text: str) -> str:
        from .parse import parse

        m = re.fullmatch(r"\s*\\sigma\s*(?:\\left)?\s*\((.*?)(?:\\right)?\)\s*", text)
        if m and self.mode == "edm":  # D_θ(x; σ(t_i)): the time point t_i
            return self.time_label_text(m.group(1))
        m = re.fullmatch(r"\s*([tsτ])\s*_\s*\{?\s*(\d*i\s*[+-]\s*\d+)\s*\}?\s*", text)
        if m:  # t_{i+1}, or t_i+1 as the one-step reader flattens it inside an argument list
            return m.group(1) + "_" + m.group(2).replace(" ", "")
        p = parse(text)
        if len(p.sides) != 1 or not isinstance(p.sides[0], sp.Symbol) or p.sides[0] not in p.atoms:
            raise Unknown(f"time argument {text}")
        at = p.atoms[p.sides[0]]
        if self.mode == "edm" and at.base == "σ" and at.args and len(at.args) == 1:
            return self.time_label_text(at.args[0])
        lab = label_of(at.base, at.deco, at.sub.replace("{", "").replace("}", ""))
        if lab is None:
            raise Unknown(f"time argument {text}")
        if self.mode == "edm" and lab.startswith(("t_", "t̂_")):
            return lab
        return lab

    def placeholder(self, ph: Placeholder, reader) -> sp.Expr:
        if ph.kind == "snr":  # SNR(t) = α_t²/σ_t² = e^{2λ_t} (VDM Eq. 2)
            return sp.exp(2 * self.lam(self.time_label_text(ph.args[0])))
        if ph.kind == "dot":
            return self.e_sym("sigd" if ph.base == "sigma" else "scd", self.time_label_text(ph.args[0]))
        if ph.kind == "tfun" and ph.base == "lambda" and self.mode == "vp":  # λ(t_i) = λ_{t_i}
            return self.lam(self.time_label_text(ph.args[0]))
        if ph.kind == "tfun":  # σ(t_k), s(t_k) at a time point (EDM)
            if self.mode != "edm" or ph.base == "lambda":
                raise Unknown(f"{ph.base}({ph.args[0]})")
            return self.e_sym("sig" if ph.base == "sigma" else "sc", self.time_label_text(ph.args[0]))
        if ph.kind == "dzdphi":  # dz_φ/dφ of the angular parametrisation (Salimans & Ho 2022, Sec. 4)
            lab = self.time_label_text(ph.args[0])
            if not lab.startswith("φ"):
                raise Unknown("dz/dφ in something that is not an angle")
            return self.dz_dangle(lab)
        if ph.kind == "prime":
            return self.vec("aux", f"d'@{ph.args[0]}")
        if ph.kind == "min":
            return sp.Min(*[reader.text(a_) for a_ in ph.args])
        if ph.kind == "integral":
            return reader.integral(ph)
        if ph.kind == "model":
            return self._model_call(ph, reader)
        raise Unknown(ph.kind)

    def _model_call(self, ph: Placeholder, reader) -> sp.Expr:
        form = {"epsilon": "eps", "x": "x0", "f": "x0", "s": "score", "v": "v", "D": "D"}.get(ph.base)
        if form is None:
            raise Unknown(f"model output {ph.base}_θ")
        args = [a_ for a_ in ph.args if a_]
        if not args:
            raise Unknown("a model output without arguments")
        y = reader.vector_text(args[0])
        if len(args) >= 2:
            lab = self.time_label_text(args[1])
        elif ph.sup:
            lab = self.time_label_text(ph.sup)
        else:
            labs = [k for (kind, key) in (self.vecs.get(s_, ("", "")) for s_ in y.free_symbols) if kind == "state"
                    for k in [key.split("@", 1)[1]]]
            if len(set(labs)) != 1:
                raise Unknown("a model output whose time is not clear")
            lab = labs[0]
        if len(args) > 2:
            raise Unknown("a model output with more than two arguments")
        if self.default_point is None:
            self.default_point = (y, lab)
        return self.model(form, y, lab)


def _bad(at: Atom):
    raise Unknown(at.name)
