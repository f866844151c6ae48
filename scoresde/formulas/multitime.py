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
from typing import List, Optional

import sympy as sp

from .atoms import ParseError
from .bounds import BudgetExceeded, TooLarge
from .mt_compare import _cached, _candidates, _subs_ref, _target, nonzero
from .mt_judge import decide
from .mt_read import Reader, read, read_ref
from .mt_refs import REFS, by_name
from .mt_vocab import Unknown, Vocab
from .verdict import RANK as _RANK, Verdict

__all__ = ["judge", "Reader", "read_ref"]


def judge(text: str, hints=None) -> Optional[Verdict]:
    """The multi-time verdict of one equation, or None when the multi-time vocabulary cannot read it.

    Without a ``notation`` hint a bare α is read as inferred (VDM's √ᾱ beside σ_t, DDIM's ᾱ otherwise); a verdict
    other than exact is then checked under the other reading too, and the better one is reported with the
    reading it needs (a formula is never called wrong for a notation the verifier guessed)."""
    first = _full_log_snr(text, hints, _safe(text, hints))
    if (hints or {}).get("notation") in ("vdm", "ddim", "ddpm") or first is None or first.verdict == "exact":
        return first
    flat = text.replace(" ", "")
    if not re.search(r"(?<!bar\{)(?<!bar)\\alpha_", flat) or re.search(r"\\(?:bar|overline)\{?\\alpha", flat):
        return first  # no bare α, or a bar that fixes the reading
    best, fewer = None, None
    for alt in ("vdm", "ddim", "ddpm"):
        second = _safe(text, dict(hints or {}, notation=alt))
        if second is not None and second.verdict in ("exact", "consistent") and _RANK[second.verdict] < _RANK[first.verdict]:
            if best is None or _RANK[second.verdict] < _RANK[best[1].verdict]:
                best = (alt, second)
        elif (second is not None and second.verdict == first.verdict == "inconsistent" and second.terms
              and len(second.terms) < len((fewer[1] if fewer else first).terms)):
            fewer = (alt, second)  # wrong in every reading: the one that explains most of it names the fewest terms
    best = best or fewer
    if best is None:
        return first
    alt, second = best
    second.notes.append(f"read in {alt.upper()} notation (α = {dict(vdm='√ᾱ', ddim='ᾱ', ddpm='1 − β')[alt]}); "
                        f"the inferred reading gives {first.verdict}")
    return second


def _full_log_snr(text: str, hints, first: Optional[Verdict]) -> Optional[Verdict]:
    """λ is DPM-Solver's half log-SNR log(α/σ) (Lu et al. 2022a, Sec. 3.1) by default, but Salimans & Ho 2022 (Sec. 2)
    and Kingma & Gao 2023 (Sec. 2) write λ_t = log(α_t²/σ_t²): a claim about λ that is wrong in the first convention
    and an identity in the second is read in the second, and says so."""
    if first is None or first.verdict != "inconsistent" or "lam_scale" in (hints or {}) or "\\lambda" not in text:
        return first
    second = _safe(text, dict(hints or {}, lam_scale=2))
    if second is None or second.verdict != "exact":
        return first
    second.notes.append("λ read as the whole log-SNR log(α_t²/σ_t²) (Salimans & Ho 2022, Sec. 2; Kingma & Gao 2023, "
                        "Sec. 2); as DPM-Solver's half log-SNR log(α_t/σ_t) it is " + first.verdict)
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


_XBAR = r"\\bar\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm|pmb|vb)\s*\{\s*x\s*\}|x)\s*\}\s*\(\s*t\s*\)"
#: the differential dσ(t), or d[σ²](t) = 2σ dσ (then the right side is read times 2σ)
_DDIM_ODE = re.compile(r"^\s*d\s*" + _XBAR + r"\s*=\s*(?P<rhs>.*?)\s*d\s*\\sigma\s*(?P<sq>\^\s*\{?\s*2\s*\}?)?\s*\(\s*t\s*\)\s*$")


def _ddim_ode(text: str, m) -> Optional[Verdict]:
    """DDIM's Eq. 14, dx̄(t) = ε_θ^{(t)}(x̄/√(σ² + 1)) dσ(t) with x̄ = x/√α and σ = √((1 − α)/α) (Song, Meng & Ermon 2021,
    Sec. 4.3): its right side against dx̄/dσ of the diffusion ODE (Lu et al. 2022a, Eq. 2.4) by the chain rule."""
    rhs_tex = re.sub(_XBAR, r"\\frac{x_t}{\\sqrt{\\alpha_t}}", m.group("rhs"))
    if m.group("sq"):
        rhs_tex = r"2\sigma\left(" + rhs_tex + r"\right)"
    rhs_tex = re.sub(r"\\sigma(?:\s*\(\s*t\s*\))?(?![_a-zA-Z])", r"\\sqrt{\\frac{1-\\alpha_t}{\\alpha_t}}", rhs_tex)
    v = Vocab(notation="ddim")
    claim = Reader(v).text(rhs_tex)
    _, ode, rv = _cached(by_name("mt.ode.eps"), None)
    v.vecs.update(rv.vecs)
    x = v.state("t")
    a = v.alpha("t")  # VDM's α = √ᾱ: x̄ = x/α
    (dxdt,) = [ode]
    ref = (dxdt / a - x * v.ddt(a) / a**2) / v.ddt(sp.exp(-v.lam("t")))
    z, bad, how = nonzero(claim - ref, v)
    if z is None:
        return None
    title, src = "DDIM's probability-flow ODE in (x̄, σ)", "Song, Meng & Ermon 2021 (DDIM), Eq. 14; Lu et al. 2022a, Eq. 2.4"
    if z:
        return Verdict(text, "exact", f"identical to {title} ({src}): dx̄/dσ of the diffusion ODE", claim=title,
                       target="mt.ode.eps")
    return Verdict(text, "inconsistent", f"differs from {title} ({src})", claim=title, target="mt.ode.eps",
                   terms=["drift"])


def _safe(text: str, hints) -> Optional[Verdict]:
    """:func:`_judge_one`, with anything unexpected read as "cannot say" (the time/memory budget still applies)."""
    try:
        return _judge_one(text, hints)
    except (BudgetExceeded, TooLarge, MemoryError):
        raise
    except Exception:  # a formula this reader misjudges must not stop the others: leave it to the one-step reader
        return None


def _judge_one(text: str, hints=None) -> Optional[Verdict]:
    m = _DDIM_ODE.match(text)
    if m:
        return _ddim_ode(text, m)
    m = _TINV.match(text)
    if m:
        return _inverse_schedule(text, m.group("rhs"))
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
    if len(sides) == 2 and sides[0] in v.defs and sides[0] not in sides[1].free_symbols:
        return _definition(text, sides, v, notes)
    if any(s_.name == "t·" for e_ in sides for s_ in e_.free_symbols):
        return _schedule(text, sides, v, notes)
    placed = [s_ for s_ in sides[0].free_symbols - set().union(*(e_.free_symbols for e_ in sides[1:]))
              if s_.name.startswith("λ[")]
    if len(sides) == 2 and len(placed) == 1 and sides[0] == placed[0]:
        return _placement(text, sides, v, placed[0], notes)
    if len(sides) == 2 and _is_tilde_x(text) and sides[0] == v.vec("data", "x"):
        inv = _inverse_step(text, sides, v, notes)
        if inv is not None:
            return inv
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
    return decide(text, sides, v, q, cands, notes)


def _definition(text: str, sides, v: Vocab, notes) -> Optional[Verdict]:
    """A named quantity the vocabulary defines (the posterior mean μ̃_{a|b}) written out: against its definition."""
    z, bad, how = nonzero(sides[1] - v.defs[sides[0]], v)
    title, src = "posterior mean of q(z_a | z_b, x)", "Kingma et al. 2021 (VDM), Sec. 3.2; Ho & Salimans 2022, Sec. 2"
    if z is None:
        return None
    if z:
        return Verdict(text, "exact", f"identical to the {title} ({src})", claim=title, target="mt.vocabulary", notes=notes)
    from .mt_judge import _terms
    return Verdict(text, "inconsistent", f"differs from the {title} ({src})", claim=title, target="mt.vocabulary",
                   terms=_terms(bad, v, sides[0], sides), notes=notes)


_TINV = re.compile(r"^\s*t\s*_\s*\{?\s*\\lambda\s*\}?\s*(?:\\left|\\big|\\Big)?\s*\(\s*\\lambda\s*(?:\\right|\\big|\\Big)?\s*\)\s*=\s*(?P<rhs>.+)$")


def _inverse_schedule(text: str, rhs: str) -> Optional[Verdict]:
    """t_λ(λ) = F(λ): the inverse of a schedule's half log-SNR λ_t (Lu et al. 2022a, Sec. 3.3 and App. D for the linear
    VP schedule). Exact when λ_t(F(λ)) = λ for a known schedule; inconsistent when F uses exactly that schedule's
    parameters (β_0, β_1 of the linear VP schedule) and does not invert it; else not judged here."""
    v = Vocab(notation="vdm")
    v.in_integral = True  # the bare λ is the free log-SNR argument
    try:
        F = Reader(v).text(rhs)
    except (Unknown, ParseError, ZeroDivisionError, TypeError, ValueError, IndexError, AttributeError):
        return None
    lam = v.lam("λ")
    if lam not in F.free_symbols or any(s_ in v.vecs for s_ in F.free_symbols):
        return None
    mine = F.free_symbols - {lam}
    owner = None
    for ref in REFS:
        if ref.kind != "schedule":
            continue
        _, val, _ = _cached(ref, None)
        tsym = [s_ for s_ in val.free_symbols if s_.name == "t·"]
        if not tsym:
            continue
        z, _, how = nonzero(val.xreplace({tsym[0]: F}) - lam, v)
        if z:
            return Verdict(text, "exact", f"the inverse t_λ of the {ref.title} ({ref.source}; Lu et al. 2022a, Sec. 3.3)",
                           claim=ref.title, target=ref.name)
        if z is False and mine and mine == val.free_symbols - set(tsym):
            owner = ref
    if owner is None:
        return None
    return Verdict(text, "inconsistent", f"does not invert λ_t of the {owner.title} ({owner.source}): λ_t(t_λ(λ)) ≠ λ",
                   claim=owner.title, target=owner.name, terms=["rhs"])


def _is_tilde_x(text: str) -> bool:
    return re.match(r"\s*\\tilde\s*\{?\s*(?:\\mathbf\s*\{\s*x\s*\}|x)\s*\}?\s*=", text) is not None


def _inverse_step(text: str, sides, v: Vocab, notes) -> Optional[Verdict]:
    """x̃ = f(z_P, z_C): the data prediction that makes one deterministic DDIM step from z_C land on z_P (the target
    of progressive distillation, Salimans & Ho 2022, Alg. 2). Exact when substituting the DDIM step (Song, Meng &
    Ermon 2021, Eq. 12 with σ = 0) for z_P gives back the prediction; otherwise not judged here."""
    states = [s_ for s_ in sides[1].free_symbols if s_ in v.vecs and v.vecs[s_][0] == "state"]
    if len(states) != 2 or any(s_ in v.vecs and v.vecs[s_][0] not in ("state",) for s_ in sides[1].free_symbols):
        return None
    ref = by_name("mt.ddim.step")
    for P, C in (states, states[::-1]):
        labels = {"PP": v.vecs[P][1][2:], "CC": v.vecs[C][1][2:]}
        try:
            rq, rhs, rv = _cached(ref, labels)
        except (Unknown, ParseError, ValueError):
            return None
        if rq != P:
            continue
        v.vecs.update(rv.vecs)
        v.model_args.update(rv.model_args)
        rhs = rhs.xreplace({s_: 0 for s_ in rhs.free_symbols if s_.name.startswith("σ_")})  # σ = 0: deterministic
        (E,) = [s_ for s_ in rhs.free_symbols if s_ in rv.vecs and rv.vecs[s_][0] == "eps"] or [None]
        if E is None:
            return None
        lab = labels["CC"]
        pred = (C - v.sigma(lab) * E) / v.alpha(lab)
        z, _, how = nonzero(sides[1].xreplace({P: rhs}) - pred, v)
        if z:
            return Verdict(text, "exact", "the data prediction that makes one deterministic DDIM step land on the given "
                           "state (Salimans & Ho 2022, Alg. 2; Song, Meng & Ermon 2021, Eq. 12 with σ = 0)",
                           claim="DDIM step inverted for x̂", target=ref.name, notes=notes)
    return None


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
    if any(k.startswith("φ") for k in v.lams):
        parts.append("α_φ = cos φ, σ_φ = sin φ, v_φ = dz_φ/dφ (Salimans & Ho 2022, Sec. 4)")
    if v.lam_scale == 2:
        parts.append("λ = log(α_λ²/σ_λ²) indexes the time points (Ho & Salimans 2022, Sec. 2)")
    if v.notation == "ddim":
        parts.append("DDIM's α = ᾱ (Song, Meng & Ermon 2021)")
    else:
        parts.append("α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t), " + ("" if v.lam_scale == 2 else "λ = log α/σ, ") + "SNR = α²/σ² = e^{−γ} (Kingma et al. 2021, Eq. 1-3; "
                     "Lu et al. 2022a, Sec. 3.1)")
    if v.forms - {"eps"}:
        parts.append("x_θ = (x − σ ε_θ)/α, s_θ = −ε_θ/σ, v = α ε − σ x (Lu et al. 2022b, Eq. 3.1; Salimans & Ho 2022, Sec. 4)")
    return "; ".join(parts)
