"""Reading for the multi-time engine (:mod:`scoresde.formulas.multitime`): a formula or a reference line as
expressions in the basis of :mod:`mt_vocab` -- the mode (VP notations or EDM's), the notation of a bare α (the
claim's hint, else inferred and said), Gaussians q(z | ...) = N(mean, var) as z = mean + √var ε, dx/dt."""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import sympy as sp
from sympy.core.function import AppliedUndef

from .atoms import DDT, DT, DX, NORMAL, Parsed
from .mt_refs import MTRef
from .mt_text import Placeholder, prepare
from .mt_vocab import Unknown, Vocab, _sub_label
from .parse import parse

__all__ = ["Reader", "read", "read_ref"]


class Reader:
    """One formula (or one reference line) read in one vocabulary."""

    def __init__(self, vocab: Vocab):
        self.v = vocab

    def expr(self, p: Parsed, table: Dict[str, Placeholder], e: sp.Expr) -> sp.Expr:
        syms = sorted(e.free_symbols & set(p.atoms), key=lambda s_: (not _is_model(p.atoms[s_], table), s_.name))
        sub = {s_: self.v.atom(p.atoms[s_], table, self) for s_ in syms}
        rest = e.free_symbols - set(sub) - set(self.v.vecs)
        if rest:
            raise Unknown(", ".join(sorted(str(s_) for s_ in rest)))
        out = e.xreplace(sub)
        if out.has(DDT):
            out = out.replace(DDT, lambda a_: self.v.ddt(a_))
        if out.atoms(AppliedUndef) or out.atoms(sp.Derivative) or out.has(NORMAL):
            raise Unknown("a function the multi-time vocabulary does not define")
        return out

    def text(self, text: str) -> sp.Expr:
        prepared, table = prepare(text)
        p = parse(prepared)
        if len(p.sides) != 1:
            raise Unknown(text)
        return self.expr(p, table, p.sides[0])

    vector_text = text

    def integral(self, ph: Placeholder) -> sp.Expr:
        """∫_lo^hi f(λ) dλ over a model output along the trajectory: f at the integration point λ (its own time
        point, values random like any other) times a symbol of the oriented interval, J[lo, hi] = −J[hi, lo]."""
        if ph.var == "tau":
            ph = _tau_to_lambda(ph)
        if ph.var != "lambda":
            raise Unknown(f"an integral in d{ph.var}")
        lo, hi = self.v.time_label_text(ph.lo), self.v.time_label_text(ph.hi)
        if "λ" in (lo, hi):
            raise Unknown("an integral bound in the integration variable")
        self.v.in_integral = True
        try:
            body = self.text(ph.body)
        finally:
            self.v.in_integral = False
        key = sorted([lo, hi])
        J = sp.Symbol(f"J[{key[0]},{key[1]}]", positive=True)
        return body * (J if [lo, hi] == key else -J)


_JAC = re.compile(r"(?:\\left\s*\(|\()?\s*\\frac\s*\{\s*d\s*\\lambda\s*_\s*\{?\s*\\tau\s*\}?\s*\}\s*\{\s*d\s*\\tau\s*\}\s*(?:\\right\s*\)|\))?")


def _tau_to_lambda(ph: Placeholder) -> Placeholder:
    """∫_s^t (dλ_τ/dτ) g(τ) dτ = ∫_{λ_s}^{λ_t} g dλ: the change of variables of Lu et al. 2022a (Eq. 3.3 -> 3.4), the
    state x_τ on the trajectory becoming x̂_λ. Without the factor dλ_τ/dτ the integral is not read."""
    body, n = _JAC.subn(" ", ph.body, count=1)
    if n != 1:
        raise Unknown("an integral in dτ without the factor dλ_τ/dτ")
    body = re.sub(r"(?:\\mathbf\s*\{\s*x\s*\}|(?<![A-Za-z\\])x)\s*_\s*\{?\s*\\tau\s*\}?", r"\\hat{x}_\\lambda ", body)
    body = re.sub(r"\\tau(?![A-Za-z])", r"\\lambda ", body)
    bound = lambda b_: r"\lambda_{" + b_ + "}" if re.fullmatch(r"[ts](?:_\{?\w+\}?)?", b_.strip()) else b_
    return Placeholder("integral", lo=bound(ph.lo), hi=bound(ph.hi), body=body, var="lambda")


def _is_model(at, table) -> bool:
    return at.base == "Ψ" and at.sub in table and table[at.sub].kind in ("model", "integral")


# ============================================================================ reading a claim
def _mode(text: str, table: Dict[str, Placeholder], p: Parsed) -> str:
    if any(ph.kind in ("prime", "dot") or (ph.kind == "tfun" and ph.base != "lambda") or (ph.kind == "model" and ph.base == "D")
           for ph in table.values()):
        return "edm"
    for at in p.atoms.values():
        if at.base == "γ" and at.sub == "i" or at.base == "S" and at.sub in ("churn", "noise"):
            return "edm"
        if at.base in ("x", "d") and re.fullmatch(r"i(?:[+-]1)?", at.sub or "") or (at.base == "t" and at.deco == "hat"):
            return "edm"
    return "vp"


def _notation(p: Parsed, hints) -> Tuple[str, Optional[str]]:
    hint = (hints or {}).get("notation")
    if hint in ("vdm", "ddim", "ddpm"):
        return hint, None
    ats = list(p.atoms.values())
    bare = any(a_.base == "α" and a_.deco == "" and a_.sub for a_ in ats)
    bar = any(a_.base == "α" and a_.deco == "bar" for a_ in ats)
    sig = any(a_.base == "σ" and a_.deco == "" and a_.sub and a_.args is None for a_ in ats)
    if bar and bare and sig:  # DPM-Solver writes α_t = √ᾱ_t and σ_t beside DDPM's ᾱ_t (Lu et al. 2022a, Sec. 2.1)
        return "vdm", "α_t, σ_t read as VDM/DPM-Solver's (α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t)) beside ᾱ_t"
    if bar:  # a bar fixes DDPM's reading: ᾱ_t, and a bare α_t = 1 − β_t = ᾱ_t/ᾱ_{t−1}
        return "ddpm", ("ᾱ read as DDPM's ᾱ" + ("; α_t as 1 − β_t" if bare else "") + ("; σ_t as the step's free noise scale"
                                                                                       if sig else ""))
    if bare and not sig and not any(a_.base in ("h", "λ", "r") for a_ in ats):
        return "ddim", "α read as DDIM's α (= ᾱ): no σ_t beside it"
    return "vdm", ("α_t, σ_t read as VDM/DPM-Solver's (α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t))" if bare or sig else None)


def _kernel(p: Parsed, table, r: Reader) -> Optional[List[sp.Expr]]:
    """q(z | ...) = N(mean, var I) as the equation z = mean + √var ε."""
    if len(p.sides) != 2 or not isinstance(p.sides[1], sp.Function) or p.sides[1].func != NORMAL:
        return None
    lhs = p.sides[0]
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    ph = table.get(at.sub) if at is not None and at.base == "Ψ" else None
    if ph is None or ph.kind != "density" or not ph.body:
        raise Unknown("a Gaussian whose variable is not clear")
    target = r.text(ph.args[0])
    args = p.sides[1].args
    if len(args) != 3:
        raise Unknown("N(...)")
    mean = r.expr(p, table, args[1])
    cov = args[2].xreplace({s_: sp.Integer(1) for s_, a_ in p.atoms.items() if a_.base == "I" and not a_.sub})
    cov = r.expr(p, table, cov)
    return [target, mean + sp.sqrt(cov) * r.v.vec("noise", "ε")]


def read(text: str, hints=None) -> Tuple[List[sp.Expr], Vocab, List[str]]:
    prepared, table = prepare(text)
    p = parse(prepared)
    if p.relation != "=" or len(p.sides) < 2:
        raise Unknown("not an equation")
    notation, why = _notation(p, hints)
    if notation == "ddim" and not (hints or {}).get("notation") and any(
            ph.kind == "integral" and "\\sigma" in ph.body for ph in table.values()):
        notation, why = "vdm", "α_t, σ_t read as VDM/DPM-Solver's (σ_τ inside the integral)"
    v = Vocab(notation=notation, mode=_mode(text, table, p))
    if not (hints or {}).get("notation"):  # σ_t with nothing VP beside it may be a VE noise level
        v.sigma_vp = any(a_.base in ("α", "h", "λ", "r", "γ") or (a_.base == "Ψ" and a_.sub in table and table[a_.sub].kind
                                                                       in ("snr", "model", "integral")) for a_ in p.atoms.values())
    if any(a_.base in ("α", "σ", "z") and re.match(r"λ(?!_)", a_.sub) for a_ in p.atoms.values()):
        v.lam_scale = 2  # α_λ, σ_λ, z_λ: points indexed by the log-SNR λ = log(α_λ²/σ_λ²) (Ho & Salimans 2022, Sec. 2)
    v.lam_scale = (hints or {}).get("lam_scale", v.lam_scale)
    r = Reader(v)
    for at in p.atoms.values():  # the time points of the formula (a bare v needs its one time point)
        lab = _sub_label(at.sub) if (at.base in ("α", "σ", "λ") or at.sub.startswith("φ")) and at.sub and v.mode == "vp" else None
        if lab:
            v.lam(lab)
    sides = _kernel(p, table, r)
    if sides is None:
        # model outputs first, so that a bare x̂ (the model's data prediction) knows its point
        for s_ in p.sides:
            for sym in s_.free_symbols:
                if sym in p.atoms and _is_model(p.atoms[sym], table) and table[p.atoms[sym].sub].kind == "model":
                    v.atom(p.atoms[sym], table, r)
        if v.default_point is None:
            _hat_point(p, v)
        if not v.hat_model:
            _hat_beside_model(list(p.atoms.values()), v)
        dxdt = {DX: v.vec("aux", "dx/dt") * DT}  # dx/dt of the state at t (an ODE's left side)
        sides = [r.expr(p, table, s_.xreplace(dxdt)) for s_ in p.sides]
        if any(s_.has(DT) for s_ in sides):
            raise Unknown("a differential that is not dx/dt")
    return sides, v, ([f"notation inferred: {why}"] if why else [])


def _hat_point(p: Parsed, v: Vocab) -> None:
    """x̂ (x̂_0), v̂ (and ε̂ beside them) written without arguments: the predictions at the formula's one state z_t
    (Salimans & Ho 2022, Sec. 4 write ε̂, x̂, v̂ for the model's outputs at z_t)."""
    ats = list(p.atoms.values())
    # x̂_0 is the same estimate of the data (Ho et al. 2020's subscript for the data; v-diffusion's `pred`)
    if not any(a_.base in ("x", "v") and a_.deco == "hat" and a_.sub in ("", "0" if a_.base == "x" else "")
               and a_.args is None for a_ in ats):
        _hat_eps_of_update(p, v)
        return
    labs = {_sub_label(a_.sub) for a_ in ats if a_.base in ("x", "z") and a_.deco == "" and a_.sub and a_.sub != "0"}
    if len(labs) != 1 or None in labs:
        return
    lab = labs.pop()
    v.default_point = (v.state(lab), lab)
    v.hat_model = True


def _hat_eps_of_update(p: Parsed, v: Vocab) -> None:
    """ε̂ alone in an update z_s = … z_t … ε̂ (DDIM in the angular or (α, σ) notation: Keras's "denoising diffusion
    implicit models" example, Salimans & Ho 2022, Eq. 6 with ε̂ for the model's estimate): the hat marks the estimate
    at the one state on the right, the state the step starts from, not a fresh draw (written ε or z)."""
    ats = [p.atoms[q] for q in p.sides[-1].free_symbols if q in p.atoms]
    if len(p.sides) != 2 or not any(a_.base == "ε" and a_.deco == "hat" and not a_.sub and a_.args is None for a_ in ats):
        return
    labs = {_sub_label(a_.sub) for a_ in ats if a_.base in ("x", "z") and a_.deco == "" and a_.sub and a_.sub != "0"}
    left = p.atoms.get(p.sides[0]) if isinstance(p.sides[0], sp.Symbol) else None
    if len(labs) != 1 or None in labs or left is None or left.base not in ("x", "z") or _sub_label(left.sub) in labs:
        return
    lab = labs.pop()
    v.default_point = (v.state(lab), lab)
    v.hat_model = True


def _hat_beside_model(ats, v: Vocab) -> None:
    """ε̂ beside a network already read at its input (v̂_θ(z_t), x̂_θ(z_t)): the hat marks the same model's estimate
    there (Salimans & Ho 2022, Sec. 4 and App. D: ε̂ = σ_t z_t + α_t v̂_θ(z_t)), not a fresh draw."""
    if v.forms and v.default_point is not None and any(
            a_.base == "ε" and a_.deco == "hat" and not a_.sub and a_.args is None for a_ in ats):
        v.hat_model = True


def read_ref(ref: MTRef, labels: Optional[Dict[str, str]] = None) -> Tuple[sp.Symbol, sp.Expr, Vocab]:
    """(the quantity the reference line defines, its value, the vocabulary it was read in)."""
    latex = ref.latex
    for k, lab in (labels or {}).items():
        latex = re.sub(rf"(?<![A-Za-z\\]){k}(?![A-Za-z])", lambda m_: _label_tex(lab), latex)
    v = Vocab(notation="vdm" if ref.notation == "edm" else ref.notation, mode="edm" if ref.notation == "edm" else "vp")
    r = Reader(v)
    prepared, table = prepare(latex)
    p = parse(prepared)
    for at in p.atoms.values():  # its time points, as for a claim (a bare h is λ_t − λ_s on the step s -> t)
        lab = _sub_label(at.sub) if at.base in ("α", "σ") and at.sub and v.mode == "vp" else None
        if lab:
            v.lam(lab)
    for sym in p.sides[1].free_symbols:
        if sym in p.atoms and _is_model(p.atoms[sym], table) and table[p.atoms[sym].sub].kind == "model":
            v.atom(p.atoms[sym], table, r)
    dxdt = {DX: v.vec("aux", "dx/dt") * DT}
    q, rhs = (r.expr(p, table, s_.xreplace(dxdt)) for s_ in p.sides[:2])
    if not isinstance(q, sp.Symbol):
        raise ValueError(f"{ref.name}: the left side is not one quantity")
    return q, rhs, v


def _label_tex(lab: str) -> str:
    if lab.startswith("φ"):
        return lab.replace("φ", r"\phi ").replace("δ", r"\delta ").replace("_", "_{", 1) + ("}" if "_" in lab else "")
    if lab == "λ'":
        return r"\lambda'"
    head, _, sub = lab.partition("_")
    head = {"τ": r"\tau", "λ": r"\lambda"}.get(head, head).replace("Δ", r"\Delta ")
    if not sub:
        return head
    m = re.fullmatch(r"(\d*i)([+-]\d+)?", sub)
    return head + "_{" + (sub if m is None else m.group(1) + (m.group(2) or "")) + "}"
