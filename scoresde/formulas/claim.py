"""A parsed formula in canonical symbols: the :class:`Claim`, the reading errors, and resolving atoms."""
from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import DDT, DT, DW, DWBAR, DX, Atom, Parsed
from .edm_reading import resolve_edm

# ============================================================================ classification
@dataclass
class Claim:
    """A formula read in canonical symbols."""

    kind: str  # "sde", "step", "scalar", "relation"
    reading: C.Reading
    lhs: str = ""
    # sde
    drift: Optional[sp.Expr] = None
    diff2: Optional[sp.Expr] = None
    noise: Optional[str] = None
    # step
    mean: Dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    var: Optional[sp.Expr] = None
    raw_mean: Dict[sp.Symbol, sp.Expr] = field(default_factory=dict)  # raw coefficients for diagnoses
    raw_noise: Optional[sp.Expr] = None
    parsed: Optional[Parsed] = None
    raw_basis: Dict[sp.Symbol, sp.Symbol] = field(default_factory=dict)  # canonical basis -> raw symbol
    # scalar / relation
    rhs: Optional[sp.Expr] = None
    equation: Optional[sp.Expr] = None  # lhs - rhs (relation)
    read_as: str = ""
    uses_eps: bool = False


class NotUnderstood(Exception):
    """The formula parses but is not a shape the registry knows (-> unparsed with the reason)."""


class Declaration(Exception):
    """``z ~ N(0, I)``: declares a noise, nothing to judge."""


class Meaningless(Exception):
    def __init__(self, names: List[str]):
        super().__init__(", ".join(names))
        self.names = names


def _state_atoms(p: Parsed) -> List[Atom]:
    """The states of a formula, with those named as the arguments of a posterior mean μ̃_t(x_t, x_0)."""
    out = [a for a in p.atoms.values() if C.is_state(a)]
    for a in list(p.atoms.values()):
        if a.base == "μ" and (a.deco == "tilde" or "θ" in a.sub) and a.args:  # μ̃_t(x_t, x_0), μ_θ(x_t, t)
            for arg in a.args:
                m = re.fullmatch(r"x_\{?([^{}]+)\}?", re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} ]", "", arg))
                if m:
                    out.append(Atom("x", sub=m.group(1)))
    return out


def _index_of(p: Parsed) -> Tuple[str, int]:
    """The index letter and the current-index offset (x_{i+1} -> ('i', 1))."""
    letters: Dict[str, int] = {}
    offs: Dict[str, List[int]] = {}
    for at in _state_atoms(p):
        m = C._IDX.match(C.norm_index(at.sub)) if at.sub else None
        if m and m.group(1) in C.INDEX_LETTERS:
            letters[m.group(1)] = letters.get(m.group(1), 0) + 1
            offs.setdefault(m.group(1), []).append(int(m.group(2).replace(" ", "")) if m.group(2) else 0)
    if not letters:
        for at in p.atoms.values():
            m = C._IDX.match(C.norm_index(at.sub)) if at.sub else None
            if m and m.group(1) in C.INDEX_LETTERS:
                letters[m.group(1)] = letters.get(m.group(1), 0) + 1
                offs.setdefault(m.group(1), []).append(int(m.group(2).replace(" ", "")) if m.group(2) else 0)
    if not letters:
        return "t", 0
    letter = max(letters, key=lambda k: letters[k])
    plain = [at for at in _state_atoms(p) if not at.sub and at.args is None and at.deco == ""]
    if plain and max(offs[letter]) < 0:
        # code: x_prev = f(x, alphas[t]) -- the plain state is the current one, x_t
        return letter, 0
    return letter, max(offs[letter])


def _resolve_expr(expr: sp.Expr, p: Parsed, r: C.Reading, allow_unknown: bool = False) -> sp.Expr:
    """Replace every raw atom by its canonical meaning (raises Meaningless naming the rest)."""
    if not isinstance(expr, sp.Basic):
        return expr
    # products over the bound index: prod_{s=1}^{k} alpha_s = abar_k (Ho et al. 2020, Sec. 2)
    if expr.has(sp.Product):
        expr = expr.replace(lambda q: isinstance(q, sp.Product), lambda q: _product(q, p, r))
    if r.mode == "discrete" and expr.has(DDT):
        # a time derivative inside a discrete step is the continuous schedule's, at the step's time (Song et al. 2021,
        # App. B: x(t + Δt) = x(t) + √(d[σ²]/dt Δt) z): read its inside in continuous time
        rc = r.copy(mode="continuous", index=r.index, k_offset=r.k_offset)
        expr = expr.replace(lambda q: isinstance(q, sp.Function) and q.func == DDT,
                            lambda q: sp.diff(_resolve_expr(q.args[0], p, rc, allow_unknown), C.t))
    if r.mode == "continuous" and expr.has(sp.Integral):
        expr = _subscript_as_argument(expr, p)
    sub, unknown, unknown_atoms = {}, [], []
    for sym in expr.free_symbols:
        at = p.atoms.get(sym)
        if at is None:
            continue
        val = C.resolve(at, r)
        if val is None:
            val = resolve_edm(at, r)  # EDM's s(t) and D(x; σ) in the SDE/ODE reading
        if val is None:
            unknown.append(at.name)
            unknown_atoms.append((at.name, at))
        else:
            sub[sym] = val
    if unknown and not allow_unknown:
        model = [n for n, at in unknown_atoms if "θ" in at.sub or at.base in ("D",) and at.args is not None]
        if model:
            raise NotUnderstood(f"{', '.join(sorted(set(model)))} is a model output that no registry formula defines; nothing to check")
        foreign = [n for n, at in unknown_atoms if not (len(at.base) == 1 and at.base.isascii() and at.base.isalpha()
                                                         and not at.sub and not at.deco and at.args is None)]
        latin = [n for n, at in unknown_atoms if n not in foreign]
        if foreign and not latin:
            raise NotUnderstood(f"{', '.join(sorted(set(foreign)))}: not a symbol of the registry's vocabulary "
                                "(give its meaning, or the formula written in the standard symbols)")
        raise Meaningless(sorted(set(unknown)))
    out = expr.xreplace(sub)
    out = out.replace(lambda q: isinstance(q, sp.Function) and q.func == DDT, lambda q: sp.diff(q.args[0], C.t))
    out = out.replace(lambda q: isinstance(q, sp.Function) and q.func.__name__ == "d", lambda q: q.args[0])
    return C.canon_integrals(out.doit() if out.has(sp.Derivative) else out)


def _subscript_as_argument(expr: sp.Expr, p: Parsed) -> sp.Expr:
    """∫₀ᵗ β_s ds is ∫₀ᵗ β(s) ds: in continuous time a schedule subscripted by the integration variable is that schedule
    at the variable (Ho et al.'s subscript notation for Song et al.'s β(s), as in Kingma et al. 2021 and most
    tutorials)."""
    rep = {}
    for q in expr.atoms(sp.Integral):
        var = q.limits[0][0]
        inner = {}
        for a in q.function.free_symbols:
            at = p.atoms.get(a)
            if at is not None and at.base in ("β", "σ", "g") and at.sub == var.name and at.args is None and not at.deco:
                new = Atom(at.base, "", "", at.sup, (var.name,), at.font)
                sym = sp.Symbol(new.name, real=True)
                p.atoms[sym] = new
                inner[a] = sym
        if inner:
            rep[q] = q.xreplace(inner)
    return expr.xreplace(rep) if rep else expr


def _product(q: sp.Product, p: Parsed, r: C.Reading) -> sp.Expr:
    body = q.function
    var, lo, hi = q.limits[0]
    shift = 0
    idx = [s_ for s_ in getattr(hi, "free_symbols", ()) if s_ in p.atoms and p.atoms[s_].base == r.index]
    if lo == 1 and len(idx) == 1 and not isinstance(hi, sp.Symbol) and (hi - idx[0]).is_Integer:
        shift, hi = int(hi - idx[0]), idx[0]  # ∏_{s=1}^{t−1} α_s = ᾱ_{t−1}
    if lo != 1 or not (isinstance(hi, sp.Symbol) and hi in p.atoms and p.atoms[hi].base == r.index):
        raise NotUnderstood("a product whose limits are not s = 1 .. the current index")
    ok_alpha = all(p.atoms[s_].base in ("α", "β") and p.atoms[s_].sub == "@" for s_ in body.free_symbols if s_ in p.atoms)
    if not ok_alpha:
        raise NotUnderstood("a product of something other than α_s or (1 − β_s)")
    # alpha_@ / beta_@ under the reading: alpha_s = 1 - beta_s (DDPM)
    vals = []
    for s_ in body.free_symbols:
        at = p.atoms[s_]
        if at.base == "α" and at.deco == "":
            # a product of per-step α_s is DDPM's ᾱ_t = ∏ α_s (Ho et al. 2020, Sec. 2) whatever α means elsewhere:
            # in DDIM's and VDM's notations α is already cumulative and is never multiplied over the steps
            vals.append((s_, sp.Symbol("α@")))
        elif at.base == "β":
            vals.append((s_, 1 - sp.Symbol("α@")))
        else:
            raise NotUnderstood("a product of ᾱ")
    b2 = sp.simplify(body.xreplace(dict(vals)))
    if b2 == sp.Symbol("α@") and shift:
        sign = "+" if shift > 0 else "-"
        val = C.resolve(_atom_from_text(rf"\bar\alpha_{{{r.index}{sign}{abs(shift)}}}"), r)
        if val is None:
            raise NotUnderstood(f"a product up to {r.index}{sign}{abs(shift)}")
        return val
    if shift:
        raise NotUnderstood("a product whose limits are not s = 1 .. the current index")
    if b2 == sp.Symbol("α@"):
        return sp.sqrt(C.a) if r.notation == "su" else C.a  # Su's α_s = √(1 − β_s): his ᾱ_t = ∏ α_s is Ho's √ᾱ_t
    return sp.Symbol("∏(" + sp.sstr(b2) + ")")


def _split_sde(lhs: sp.Expr, rhs: sp.Expr) -> Tuple[sp.Expr, sp.Expr, Optional[str]]:
    """dx = A dt + B dw -> (A, B, noise kind); terms written on the other side are moved across first
    (dx + ½β(t)x dt = √β(t) dw, √β dw = dx + ½βx dt and dx/dt − f = 0 are the same SDE)."""
    if sp.expand(lhs).coeff(DX) == 1 / DT:
        lhs, rhs = sp.expand(lhs * DT), sp.expand(rhs * DT)  # dx/dt (+ …) = …
    if lhs != DX:
        gap = sp.expand(lhs - rhs)
        c = gap.coeff(DX)
        rest = sp.expand(gap - c * DX)
        if not (c.is_number and c != 0) or rest.has(DX):
            raise NotUnderstood("the left side of an SDE must be dx (or dx/dt)")
        lhs, rhs = DX, sp.expand(-rest / c)
    ex = sp.expand(rhs)
    drift = ex.coeff(DT)
    dw = ex.coeff(DW)
    dwb = ex.coeff(DWBAR)
    rest = sp.expand(ex - drift * DT - dw * DW - dwb * DWBAR)
    if rest != 0 or drift.has(DT, DW, DWBAR) or dw.has(DT, DWBAR) or dwb.has(DT, DW):
        raise NotUnderstood("a term that is neither · dt nor · dw")
    if dw != 0 and dwb != 0:
        raise NotUnderstood("both dw and dw̄ in one SDE")
    noise = "dwbar" if dwb != 0 else ("dw" if dw != 0 else None)
    return drift, (dwb if dwb != 0 else dw), noise


def integral_up_to_state_time(p: Parsed, lat: Atom, exprs) -> bool:
    """x_t beside ∫₀ᵗ (…) ds: the subscript is the continuous time the integral runs to, x_t = x(t) (Song et al. 2021,
    Eq. 29 and App. B write the kernels with ∫₀ᵗ β(s) ds), not the index of a discrete chain."""
    if not (C.is_state(lat) and lat.sub and lat.args is None and re.fullmatch(r"[a-zA-Zτ]", lat.sub)):
        return False
    for e_ in exprs:
        for q in e_.atoms(sp.Integral):
            hi = q.limits[0][-1] if len(q.limits[0]) == 3 else None
            if isinstance(hi, sp.Symbol) and hi in p.atoms and p.atoms[hi].base == lat.sub and not p.atoms[hi].sub:
                return True
    return False


#: the data prediction x_θ(x_t, t) inside an SDE, kept aside while the rest is resolved
X_THETA = sp.Symbol("x_θ·", real=True)


def data_prediction_aside(expr: sp.Expr, p: Parsed) -> sp.Expr:
    """x_θ(x_t, t), x̂_θ(x_t, t) in an SDE's drift replaced by :data:`X_THETA` (resolved by :func:`data_prediction_score`)."""
    sub = {q: X_THETA for q in expr.free_symbols if q in p.atoms and p.atoms[q].base == "x" and "θ" in p.atoms[q].sub
           and p.atoms[q].deco in ("", "hat") and p.atoms[q].args and re.match(r"\s*(?:\\\w+\s*\{?\s*)*x", p.atoms[q].args[0])}
    return expr.xreplace(sub) if sub else expr


def data_prediction_score(expr: sp.Expr, fam: str, notation: str) -> sp.Expr:
    """The data prediction at the SDE's own state through the score: x_θ = (x + σ² s_θ)/α, from x = α x_0 + σ ε and
    s = −ε/σ (Lu et al. 2022b, Eq. 3.1 and Sec. 3; Karras et al. 2022, Eq. 3 with α = 1 for VE: D = x + σ² ∇log p)."""
    if not expr.has(X_THETA):
        return expr
    if fam == "ve" and notation == "ddpm":
        m, var = sp.Integer(1), C.SIGMA(C.t) ** 2
    else:
        m, var = sp.sqrt(C.abar_c()), 1 - C.abar_c()
    out = sp.expand(expr.xreplace({X_THETA: (C.x + var * C.s) / m}))
    # (1 − ᾱ)/σ_t with σ_t = √(1 − ᾱ): one coefficient per vector, simplified once in ᾱ as a symbol (the comparisons
    # then stay cheap)
    a_, big = sp.Dummy("ᾱ", positive=True), C.abar_c().args[0]  # ᾱ = exp(−∫₀ᵗβ): exp(k·∫₀ᵗβ) = ᾱ^(−k)
    out = out.replace(lambda q: isinstance(q, sp.exp) and (q.args[0] / big).is_Rational,
                      lambda q: a_ ** (q.args[0] / big))
    parts = sp.collect(out, [C.x, C.s], evaluate=False)
    return sp.expand(sum((sp.simplify(c_) * k_ for k_, c_ in parts.items()), sp.Integer(0)).xreplace({a_: C.abar_c()}))


def _atom_from_text(txt: str) -> Atom:
    from .parse import parse as _p

    # the argument text comes without braces: x_t-1 is x_{t-1} (an index offset), not x_t − 1
    txt = re.sub(r"_([A-Za-z0-9]+(?:[-+][A-Za-z0-9]+)+)$", r"_{\1}", txt.strip())
    q = _p(txt)
    syms = [s_ for s_ in q.sides[0].free_symbols if s_ in q.atoms]
    if len(syms) != 1:
        raise NotUnderstood(f"cannot read the density's variable {txt!r}")
    return q.atoms[syms[0]]


def _family(p: Parsed, syms) -> str:
    bases = {(p.atoms[s_].base, p.atoms[s_].deco) for s_ in syms if s_ in p.atoms}
    if any(b_ in ("β", "α") for b_, _ in bases):
        return "vp"
    if any(b_ == "σ" for b_, _ in bases):
        return "ve"
    return "generic"


def _notations(p: Parsed, syms, hints) -> List[str]:
    if hints.get("notation"):
        return [hints["notation"]]
    bases = {(p.atoms[s_].base, p.atoms[s_].deco) for s_ in syms if s_ in p.atoms}
    if any(p.atoms[s_].base == "β" and p.atoms[s_].deco == "bar" and p.atoms[s_].sub not in ("min", "max", "d")
           and not re.match(r"^[iNn]", p.atoms[s_].sub or "") for s_ in syms if s_ in p.atoms):
        return ["su"]  # β̄_t beside the states: Su's notation (canon.su_symbol); Song's β̄_i = Nβ_i is indexed by i
    has_bar = ("α", "bar") in bases
    has_beta = any(b_ == "β" for b_, _ in bases)
    has_alpha = ("α", "") in bases
    if any(side.has(sp.Product) for side in p.sides):
        # ∏_{s=1}^t α_s is ᾱ_t only where α_s = 1 − β_s (Ho et al. 2020, Eq. 4): DDPM's notation; with no β beside it, the
        # product of Su's α_s = √(1 − β_s) (生成扩散模型漫谈（一）, x_t = (α_t⋯α_1) x_0 + √(1 − (α_t⋯α_1)²) ε̄_t) is tried too
        return ["ddpm"] if has_beta or has_bar else ["ddpm", "su"]
    if has_alpha and not has_bar and not has_beta:
        return ["ddpm", "ddim", "vdm"]
    return ["ddpm"]
