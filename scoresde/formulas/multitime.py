"""The multi-time engine: formulas with several time points (solver algorithm lines, VDM's two-time identities,
conversions between model parametrisations), judged where the one-step reader returns ``unparsed``.

1. Reading: :mod:`mt_text` keeps model calls, integrals, σ̇(t_i), d'_i apart; :mod:`mt_vocab` turns every symbol into
   an expression in independent basis symbols (λ per time point; states, noise draws, solver auxiliaries and model
   outputs as vectors). The notation is the claim's ``notation`` hint, else inferred (and said).
2. A claim whose every symbol the vocabulary defines is an identity of the notation: exact when both sides agree
   at random admissible points (40 digits), else inconsistent (``rhs``).
3. Otherwise the claim defines one quantity (a state at a new time point, a solver auxiliary, a ratio): it is
   compared with the references of :mod:`mt_refs` defining the same quantity, with the reference's value put in for
   it; the coefficients of the basis vectors that do not vanish name the offending terms.
4. A step that differs from every reference is ``consistent`` (order p) when its difference to the reference,
   on an exactly solvable problem (Gaussian data, exact model), falls as O(h^{p+1}), p >= 1, as the step h shrinks
   (:mod:`mt_order`); ``inconsistent`` otherwise.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

import sympy as sp
from sympy.core.function import AppliedUndef

from .atoms import NORMAL, Parsed, ParseError
from .evaluate import is_zero
from .mt_refs import REFS, MTRef
from .mt_text import Placeholder, prepare
from .atoms import DDT, DT, DX
from .mt_vocab import VEC_KINDS, Unknown, Vocab, _sub_label
from .parse import parse
from .verdict import RANK as _RANK, Verdict

__all__ = ["judge", "Reader", "read_ref"]


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


def _is_model(at, table) -> bool:
    return at.base == "Ψ" and at.sub in table and table[at.sub].kind in ("model", "integral")


# ============================================================================ reading a claim
def _mode(text: str, table: Dict[str, Placeholder], p: Parsed) -> str:
    if any(ph.kind in ("prime", "dot", "tfun") or (ph.kind == "model" and ph.base == "D") for ph in table.values()):
        return "edm"
    for at in p.atoms.values():
        if at.base == "γ" and at.sub == "i" or at.base == "S" and at.sub in ("churn", "noise"):
            return "edm"
        if at.base in ("t", "d") and re.fullmatch(r"i(?:[+-]1)?", at.sub or "") or (at.base == "t" and at.deco == "hat"):
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
    if at is None or at.base not in ("q", "p") or not at.args or "|" not in at.args:
        raise Unknown("a Gaussian whose variable is not clear")
    target = r.text(at.args[0])
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
    v = Vocab(notation=notation, mode=_mode(text, table, p))
    r = Reader(v)
    for at in p.atoms.values():  # the time points of the formula (a bare v needs its one time point)
        lab = _sub_label(at.sub) if at.base in ("α", "σ", "λ") and at.sub and v.mode == "vp" else None
        if lab:
            v.lam(lab)
    sides = _kernel(p, table, r)
    if sides is None:
        # model outputs first, so that a bare x̂ (the model's data prediction) knows its point
        for s_ in p.sides:
            for sym in s_.free_symbols:
                if sym in p.atoms and _is_model(p.atoms[sym], table) and table[p.atoms[sym].sub].kind == "model":
                    v.atom(p.atoms[sym], table, r)
        dxdt = {DX: v.vec("aux", "dx/dt") * DT}  # dx/dt of the state at t (an ODE's left side)
        sides = [r.expr(p, table, s_.xreplace(dxdt)) for s_ in p.sides]
        if any(s_.has(DT) for s_ in sides):
            raise Unknown("a differential that is not dx/dt")
    return sides, v, ([f"notation inferred: {why}"] if why else [])


# ============================================================================ comparison
def _vecs(e: sp.Expr, v: Vocab) -> List[sp.Symbol]:
    return sorted((s_ for s_ in e.free_symbols if s_ in v.vecs), key=lambda s_: s_.name)


def coefficients(res: sp.Expr, v: Vocab) -> Dict[Optional[sp.Symbol], sp.Expr]:
    """The residual's coefficient of each basis vector (it is linear in them), None: the scalar part."""
    vs = _vecs(res, v)
    out: Dict[Optional[sp.Symbol], sp.Expr] = {vec: sp.diff(res, vec) for vec in vs}
    out[None] = res.xreplace({vec: 0 for vec in vs})
    return out


def nonzero(res: sp.Expr, v: Vocab) -> Tuple[Optional[bool], List[Optional[sp.Symbol]], str]:
    """(all zero?, the vectors whose coefficient is not zero, how)."""
    bad, how, undecided = [], "symbolic", False
    for vec, c in coefficients(res, v).items():
        z, how_ = is_zero(c)
        if z is None:
            undecided = True
        elif not z:
            bad.append(vec)
        elif how_ != "symbolic":
            how = how_
    if bad:
        return False, bad, how
    return (None if undecided else True), [], how


def read_ref(ref: MTRef, labels: Optional[Dict[str, str]] = None) -> Tuple[sp.Symbol, sp.Expr, Vocab]:
    """(the quantity the reference line defines, its value, the vocabulary it was read in)."""
    latex = ref.latex
    for k, lab in (labels or {}).items():
        latex = re.sub(rf"(?<![A-Za-z\\]){k}(?![A-Za-z])", lambda m_: _label_tex(lab), latex)
    v = Vocab(notation="vdm" if ref.notation == "edm" else ref.notation, mode="edm" if ref.notation == "edm" else "vp")
    r = Reader(v)
    prepared, table = prepare(latex)
    p = parse(prepared)
    for sym in p.sides[1].free_symbols:
        if sym in p.atoms and _is_model(p.atoms[sym], table) and table[p.atoms[sym].sub].kind == "model":
            v.atom(p.atoms[sym], table, r)
    dxdt = {DX: v.vec("aux", "dx/dt") * DT}
    q, rhs = (r.expr(p, table, s_.xreplace(dxdt)) for s_ in p.sides[:2])
    if not isinstance(q, sp.Symbol):
        raise ValueError(f"{ref.name}: the left side is not one quantity")
    return q, rhs, v


def _label_tex(lab: str) -> str:
    head, _, sub = lab.partition("_")
    head = {"τ": r"\tau", "λ": r"\lambda"}.get(head, head).replace("Δ", r"\Delta ")
    if not sub:
        return head
    m = re.fullmatch(r"(\d*i)([+-]\d+)?", sub)
    return head + "_{" + (sub if m is None else m.group(1) + (m.group(2) or "")) + "}"


def _target(sides: List[sp.Expr], v: Vocab) -> Optional[sp.Symbol]:
    """The one quantity the claim defines: a state/auxiliary vector or a free scalar on the left only."""
    left, right = sides[0].free_symbols, set().union(*(s_.free_symbols for s_ in sides[1:]))
    vec = [s_ for s_ in left - right if s_ in v.vecs and v.vecs[s_][0] in ("state", "aux")]
    if len(vec) == 1:
        return vec[0]
    if vec:
        return None
    sc = [s_ for s_ in left - right if s_.name.startswith(("r_", "γ_", "t[", "σ_", "S_"))]
    return sc[0] if len(sc) == 1 else None


def _points(e: sp.Expr, v: Vocab) -> frozenset:
    """The model evaluations and solver auxiliaries an expression uses."""
    return frozenset(v.vecs[s_] for s_ in _vecs(e, v) if v.vecs[s_][0] in ("eps", "D", "aux"))


def _candidates(q: sp.Symbol, sides, v: Vocab) -> List[Tuple[MTRef, sp.Expr, Dict]]:
    out = []
    for ref in REFS:
        labels = None
        if ref.template:
            labels = _template_labels(q, sides, v)
            if labels is None:
                continue
        try:
            rq, rhs, _ = _cached(ref, labels)
        except (Unknown, ParseError, ValueError):
            continue
        if rq == q:
            out.append((ref, rhs, labels or {}))
            inl = _inline(ref, rhs)
            if inl is not None:  # the same line with its auxiliaries (D_i, D_2i) written out
                out.append((ref, inl, labels or {}))
    return out


def _inline(ref: MTRef, rhs: sp.Expr) -> Optional[sp.Expr]:
    sub = {}
    for other in REFS:
        if other.group == ref.group and other.kind == "aux" and other is not ref:
            oq, orhs, _ = _cached(other, None)
            if oq in rhs.free_symbols:
                sub[oq] = orhs
    return rhs.xreplace(sub) if sub else None


_CACHE: Dict[Tuple, Tuple] = {}


def _cached(ref: MTRef, labels):
    k = (ref.name, ref.latex, tuple(sorted((labels or {}).items())))
    if k not in _CACHE:
        _CACHE[k] = read_ref(ref, labels)
    return _CACHE[k]


def _template_labels(q, sides, v: Vocab) -> Optional[Dict[str, str]]:
    kind, key = v.vecs.get(q, ("", ""))
    if kind != "state" or not key.startswith("x@"):
        return None
    P = key[2:]
    pts = {k.split("|")[1] for kind, k in _points(sides[1], v) if kind != "aux"} | {v.vecs[s_][1][2:] for s_ in _vecs(sides[1], v)
                                                             if v.vecs[s_][0] == "state"}
    pts.discard(P)
    if len(pts) != 1:
        return None
    return {"PP": P, "CC": pts.pop()}


def _subs_ref(ref: MTRef, labels, v: Vocab, claim_syms) -> Dict[sp.Symbol, sp.Expr]:
    """The reference's time placement (λ of intermediate points) and the defaults of parameters the claim leaves out."""
    sub: Dict[sp.Symbol, sp.Expr] = {}
    for k, val in ref.params.items():
        name = k.replace("CC", labels["CC"]) if labels else k
        sym = sp.Symbol(name, positive=True) if not name.startswith("σ_") else sp.Symbol(name, positive=True, real=True)
        if sym not in claim_syms:
            sub[sym] = sp.nsimplify(val, [sp.sqrt(2)], rational=True) if val else sp.Integer(0)
    h = v.lam("t_i") - v.lam("t_i-1")
    for lab, spec in ref.lams.items():
        base, _, rest = spec.partition(" ")
        sign = -1 if rest.startswith("-") else 1
        coef = rest.lstrip("+- ").split("*")[0]
        sub[v.lam(lab)] = v.lam(base) + sign * sp.Symbol(coef, positive=True) * h
    params = {k_: val for k_, val in sub.items() if not k_.name.startswith("λ[")}
    return {k_: val.xreplace(params) for k_, val in sub.items()}


def judge(text: str, hints=None) -> Optional[Verdict]:
    """The multi-time verdict of one equation, or None when the multi-time vocabulary cannot read it.

    Without a ``notation`` hint a bare α is read as inferred (VDM's √ᾱ beside σ_t, DDIM's ᾱ otherwise); a verdict
    other than exact is then checked under the other reading too, and the better one is reported with the
    reading it needs (a formula is never called wrong for a notation the verifier guessed)."""
    first = _judge_one(text, hints)
    if (hints or {}).get("notation") in ("vdm", "ddim", "ddpm") or first is None or first.verdict == "exact":
        return first
    flat = text.replace(" ", "")
    if not re.search(r"(?<!bar\{)(?<!bar)\\alpha_", flat) or re.search(r"\\(?:bar|overline)\{?\\alpha", flat):
        return first  # no bare α, or a bar that fixes the reading
    best = None
    for alt in ("vdm", "ddim", "ddpm"):
        second = _judge_one(text, dict(hints or {}, notation=alt))
        if second is not None and second.verdict in ("exact", "consistent") and _RANK[second.verdict] < _RANK[first.verdict]:
            if best is None or _RANK[second.verdict] < _RANK[best[1].verdict]:
                best = (alt, second)
    if best is None:
        return first
    alt, second = best
    second.notes.append(f"read in {alt.upper()} notation (α = {dict(vdm='√ᾱ', ddim='ᾱ', ddpm='1 − β')[alt]}); "
                        f"the inferred reading gives {first.verdict}")
    return second


_TLAMBDA = re.compile(r"^\s*(?P<lab>[st]\s*_\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\w))\s*=\s*t\s*_\s*\{?\s*\\lambda\s*\}?\s*"
                      r"(?:\\left|\\big|\\Big)?\s*\((?P<arg>.*)\)\s*$")
_CONCRETE = re.compile(r"(?<![A-Za-z\\])(t|h|s|u|D)(\}?\s*_\s*)(?:\{\s*(\d+)\s*\}|(\d))")


def _index_form(text: str) -> str:
    """A step written with concrete indices (x̃_{t_1} from x̃_{t_0}, h_1: DPM-Solver++(2M)'s first step, Lu et al.
    2022b Alg. 2) in the algorithm's index form: the largest index is i, the others i − k."""
    if re.search(r"(?<![A-Za-z\\])i(?![A-Za-z])", text):
        return text
    found = [int(m_.group(3) or m_.group(4)) for m_ in _CONCRETE.finditer(text) if m_.group(1) == "t"]
    if not found:
        return text
    top = max(found)

    def rep(m_):
        k = top - int(m_.group(3) or m_.group(4))
        return m_.group(1) + m_.group(2) + "{i" + (f"-{k}" if k else "") + "}"
    return _CONCRETE.sub(rep, text)


def _judge_one(text: str, hints=None) -> Optional[Verdict]:
    text = _index_form(text)
    m = _TLAMBDA.match(text)
    if m:  # s_i = t_λ(...): t_λ is the inverse of λ (Lu et al. 2022a, Sec. 3.3), so λ_{s_i} = (...)
        arg = re.sub(r"\\(?:right|big|Big)\s*$", "", m.group("arg").strip())
        text = r"\lambda_{" + m.group("lab").replace(" ", "") + "} = " + arg
    try:
        sides, v, notes = read(text, hints)
    except (Unknown, ParseError, ZeroDivisionError, TypeError, ValueError, IndexError, AttributeError):
        return None
    sides = _expand_named(sides, v)
    if any(s_.name == "t·" for e_ in sides for s_ in e_.free_symbols):
        return _schedule(text, sides, v, notes)
    placed = [s_ for s_ in sides[0].free_symbols - set().union(*(e_.free_symbols for e_ in sides[1:]))
              if s_.name.startswith("λ[")]
    if len(sides) == 2 and len(placed) == 1 and sides[0] == placed[0]:
        return _placement(text, sides, v, placed[0], notes)
    q = _target(sides, v)
    if q is None:
        return _identity(text, sides, v, notes)
    if len(sides) != 2:
        return None
    cands = _candidates(q, sides, v)
    if not cands:
        return None
    # a noise draw or the data that none of the references has: a reparametrisation this reader does not model
    mine = {v.vecs[s_] for s_ in sides[1].free_symbols if s_ in v.vecs and v.vecs[s_][0] in ("noise", "data")}
    if mine - {rv.vecs[s_] for _, rhs, lab in cands for rv in [_cached(_, lab or None)[2]] for s_ in rhs.free_symbols
               if s_ in rv.vecs}:
        return None
    from .mt_judge import decide

    return decide(text, sides, v, q, cands, notes)


def _schedule(text: str, sides, v: Vocab, notes) -> Optional[Verdict]:
    """A relation between the time value t and the quantities at t: exact when it is one of the known schedules
    (with their parameters free), else not judged here (other valid schedules exist)."""
    lams = {s_ for e_ in sides for s_ in e_.free_symbols if s_.name.startswith("λ[")}
    if lams != {v.lam("t")} or len(sides) < 2:
        return None
    for ref in REFS:
        if ref.kind != "schedule":
            continue
        q, val, _ = _cached(ref, None)
        w = sp.Symbol("w·", positive=True)  # t = w/(1 + w) keeps the time value inside (0, 1)
        tv = {s_: w / (1 + w) for e_ in sides for s_ in e_.free_symbols if s_.name == "t·"}
        tv.update({s_: w / (1 + w) for s_ in val.free_symbols if s_.name == "t·"})
        if all(nonzero((a_ - b_).xreplace({q: val}).xreplace(tv), v)[0] for a_, b_ in zip(sides, sides[1:])):
            return Verdict(text, "exact", f"the {ref.title} ({ref.source})", claim=ref.title, target=ref.name, notes=notes)
    return None


def _expand_named(sides: List[sp.Expr], v: Vocab) -> List[sp.Expr]:
    """σ_Q, μ_Q used on the right side (a posterior written with its named mean and variance): their values."""
    rhs_syms = set().union(*(e_.free_symbols for e_ in sides[1:]))
    sub = {}
    for ref in REFS:
        if ref.expand:
            q, val, rv = _cached(ref, None)
            if q in rhs_syms:
                sub[q] = val
                v.vecs.update(rv.vecs)
    return [sides[0]] + [e_.xreplace(sub) for e_ in sides[1:]] if sub else sides


def _placement(text: str, sides, v: Vocab, lam: sp.Symbol, notes) -> Optional[Verdict]:
    """λ of an intermediate time point (DPM-Solver's s_i, s_{2i-1}; DPM-Solver++(2M)'s t_{i-2}) against the references
    that place it."""
    label = lam.name[2:-1]
    refs = [r_ for r_ in REFS if label in r_.lams]
    if not refs:
        return None
    syms = set().union(*(e_.free_symbols for e_ in sides))
    first = None
    for ref in refs:
        sub = _subs_ref(ref, {}, v, syms)
        z, _, how = nonzero((sides[0] - sides[1]).xreplace(sub), v)
        if z:
            return Verdict(text, "exact", f"the time point {label} of {ref.title} ({ref.source})", claim=ref.title,
                           target=ref.name, notes=notes)
        if z is False and first is None:
            first = ref
    if first is None:
        return None
    return Verdict(text, "inconsistent", f"places {label} elsewhere than {first.title} ({first.source}) does",
                   claim=first.title, target=first.name, terms=["rhs"], notes=notes)


def _identity(text: str, sides, v: Vocab, notes) -> Optional[Verdict]:
    """Every symbol has a meaning in the notation: the claim is an identity, or it is wrong."""
    if not all(s_.free_symbols for s_ in sides):
        return None  # a value given to a quantity (λ = 0.001), not a relation
    kinds = {v.vecs[s_][0] for e_ in sides for s_ in e_.free_symbols if s_ in v.vecs}
    if "state" in kinds and kinds & {"noise", "data"} or kinds & {"aux"}:
        return None  # a relation between random variables (a reparametrisation), not an identity of the notation
    for a_, b_ in zip(sides, sides[1:]):
        z, bad, how = nonzero(a_ - b_, v)
        if z is None:
            return None
        if not z and (a_ - b_).free_symbols & set(v.params.values()):
            return None  # a free parameter (DDIM's σ_t, r_1, η) given a value: not an identity of the notation
        if not z:
            return Verdict(text, "inconsistent", "the two sides differ in the notation's own definitions ("
                           + _vocab_line(v) + ")", claim="a relation between the notation's quantities",
                           target="mt.vocabulary", terms=["rhs"], notes=notes)
    return Verdict(text, "exact", "an identity of the notation (" + _vocab_line(v) + "), "
                   + ("checked symbolically" if how == "symbolic" else how),
                   claim="a relation between the notation's quantities", target="mt.vocabulary", notes=notes)


def _vocab_line(v: Vocab) -> str:
    parts = []
    if v.mode == "edm":
        return "EDM's σ(t), s(t), D_θ(x; σ), Karras et al. 2022"
    if v.notation == "ddim":
        parts.append("DDIM's α = ᾱ (Song, Meng & Ermon 2021)")
    else:
        parts.append("α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t), λ = log α/σ, SNR = α²/σ² = e^{−γ} (Kingma et al. 2021, Eq. 1-3; "
                     "Lu et al. 2022a, Sec. 3.1)")
    if v.forms - {"eps"}:
        parts.append("x_θ = (x − σ ε_θ)/α, s_θ = −ε_θ/σ, v = α ε − σ x (Lu et al. 2022b, Eq. 3.1; Salimans & Ho 2022, Sec. 4)")
    return "; ".join(parts)
