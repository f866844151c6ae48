"""The verdict engine's domain reading: one parsed equation read as claims and compared with the registry
(the best match, stray symbols and the readings that drop them), and the numeric check run after it."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import sympy as sp

from . import canon as C
from .applied import applied_verdict
from .arguments import misplaced_model_argument
from .atoms import Parsed, ParseError
from .bounds import past_soft_deadline
from .claim import Claim, Declaration, Meaningless, NotUnderstood
from .classify import read_claim
from .compare import Match, _candidates
from .conditioning import misconditioned, off_condition
from .dispatch import _compare
from .entry import Entry
from .noise_time import CONTINUOUS_NOTE, NOTE as NOTE_T, continuous_states, noise_level_time
from .parse import parse
from .pieces import _bad_pieces, _raw_terms, _stray_terms, _whole_term
from .registry import REGISTRY, get
from .shapes import narrow_candidates
from .verdict import RANK as _RANK, Verdict


# ============================================================================ entry point
def _best(matches: List[Match], prefer: Sequence[str] = (), pen: float = 1.5) -> Match:
    def key(m_: Match):
        pref = 0 if m_.entry.name in prefer else 1
        return (_RANK[m_.verdict], m_.mismatches + pen * bool(m_.entry.free), pref)

    return sorted(matches, key=key)[0]


def _stray(p: Parsed, names: List[str]) -> Optional[List[str]]:
    """Meaningless symbols that only multiply (so the reading that drops them sets them to 1)."""
    syms = [s_ for s_, a_ in p.atoms.items() if a_.name in names]
    if not syms:
        return None
    def parents(e_: sp.Expr, target, parent=None):
        if e_ == target:
            yield parent
            return
        for a_ in e_.args:
            yield from parents(a_, target, e_)

    for side in p.sides:
        for s_ in syms:
            for par in parents(side, s_):
                # a factor: its parent is a product (or a power inside one); never a term of a sum
                if par is None or isinstance(par, sp.Add) or (isinstance(par, sp.Function) and par.func.__name__ == "d"):
                    if par is not None and isinstance(par, sp.Function):
                        continue
                    return None
    if any(p.atoms[s_].sub or p.atoms[s_].deco or p.atoms[s_].args is not None for s_ in syms):
        return None
    bases = sorted({p.atoms[s_].base for s_ in syms})
    if all(len(b_) == 1 and b_.isascii() and b_.isalpha() for b_ in bases):
        return bases
    return None


def _verify_domain(eq: str, target: Optional[str], hints, numeric: bool, column: str = "",
                   parsed: Optional[Parsed] = None) -> Verdict:
    try:
        p = parsed if parsed is not None else parse(eq)
    except ParseError as err:
        return Verdict(eq, "unparsed", f"cannot read the formula: {err}")
    entry = get(target) if target else None
    if r"\prod" in eq and target is None:
        from .chain_joint import judge_chain_joint  # q(x_{1:T} | x_0) = ∏ q(x_t | x_{t−1}): the chain rule

        cj = judge_chain_joint(eq, p)
        if cj is not None:
            return cj
    applied = applied_verdict(eq, p, entry, hints)  # F(x_t, expr) = …: the definition of F at those arguments
    if applied is not None:
        return applied
    stray: List[str] = []
    try:
        if hints.get("ignore"):
            claims = _with_drop(p, entry, hints, tuple(hints["ignore"]))
        else:
            claims = read_claim(p, entry, hints)
    except Meaningless as m_:
        alt = noise_level_time(p) if parsed is None and list(m_.names) == ["t"] else None
        if alt is not None:  # x_t = x + t z: EDM's and consistency models' σ(t) = t (noise_time.py)
            v_alt = _verify_domain(eq, target, hints, numeric, column, parsed=alt)
            if v_alt.verdict in ("exact", "consistent"):
                v_alt.notes = [NOTE_T] + list(v_alt.notes)
                return v_alt
        cont = continuous_states(eq) if parsed is None and list(m_.names) == ["t"] else None
        if cont is not None:  # x_t = … t …: the states at continuous time t (noise_time.py)
            v_alt = _verify_domain(cont, target, hints, numeric, column, parsed=parse(cont))
            if v_alt.verdict != "unparsed":
                v_alt.latex = eq
                v_alt.notes = [CONTINUOUS_NOTE] + list(v_alt.notes)
                return v_alt
        if any(a_.font == "mathbb" and a_.base in ("E", "P", "V") for a_ in p.atoms.values() if a_.name in m_.names):
            # 𝔼[·], ℙ(·), 𝕍[·] are operators, never a stray factor: an expectation this reader does not read (the
            # moment ODEs of a nonlinear SDE, Song et al. 2021, App. B, Eq. 33-34) is not judged, not called ill-defined
            from .moment_expect import judge_expectation_moments

            got = judge_expectation_moments(eq)
            return got if got is not None else Verdict(
                eq, "unparsed", "an expectation 𝔼[…] that the one-step reader does not read (it is an operator, not a "
                "symbol to drop)")
        bases = _stray(p, m_.names)
        if bases is None and _readable_without(p, entry, hints, m_.names):
            return Verdict(eq, "ill-defined", "undefined symbol" + ("s " if len(m_.names) > 1 else " ") + ", ".join(m_.names)
                           + " (it means nothing in this notation)", terms=_raw_terms(p, m_.names))
        if bases is None:
            # symbols the registry's vocabulary does not define, and dropping them does not give a known formula: the
            # formula is in a notation (or about a quantity) the verifier does not know -- it cannot judge it, and
            # calling a published formula ill-defined for it would be a false alarm (the literal reading may still
            # place it against a registry entry written with the same symbols)
            return Verdict(eq, "unparsed", "it uses symbol" + ("s " if len(m_.names) > 1 else " ") + ", ".join(m_.names)
                           + ", which the registry's vocabulary does not define (give their meaning, or the formula in the "
                           "standard symbols)", terms=_raw_terms(p, m_.names))
        stray = bases
        hints = dict(hints)
        try:
            claims = _with_drop(p, entry, hints, tuple(bases))
        except Meaningless as m2:
            return Verdict(eq, "ill-defined", "undefined symbol(s) " + ", ".join(m2.names), terms=_raw_terms(p, m2.names))
        except NotUnderstood as err:
            return Verdict(eq, "unparsed", str(err))
    except Declaration:
        raise
    except NotUnderstood as err:
        return Verdict(eq, "unparsed", f"{err}")
    except ParseError as err:
        return Verdict(eq, "unparsed", f"cannot read the formula: {err}")
    results = []
    quick: List[Tuple[Claim, Match]] = []
    for cl in claims:
        cands = [entry] if entry is not None else narrow_candidates(cl, _candidates(cl))  # shapes.py
        if entry is not None and not _kind_ok(cl, entry):
            return Verdict(eq, "unparsed", f"read as {cl.read_as or cl.kind}, which is not the kind of {entry.name}", claim=cl.read_as, target=entry.name)
        if not cands:
            return Verdict(eq, "unparsed", f"read as {cl.read_as or cl.kind}, but no registry entry is a formula of this shape", claim=cl.read_as)
        quick.extend((cl, _compare(cl, e, quick=True, stated=entry is not None)) for e in cands)
    exact = [(cl, m_) for cl, m_ in quick if m_.verdict == "exact"]
    if exact:
        groups = [(cl, [m_ for c2, m_ in exact if c2 is cl]) for cl in claims if any(c2 is cl for c2, _ in exact)][:1]
    else:
        groups = []
        for cl in claims:
            ms = [m_ for c2, m_ in quick if c2 is cl]
            pen = 1.5 if cl.var is not None else 0.0
            ms = sorted(ms, key=lambda m_: (off_condition(p, cl, m_.entry), m_.mismatches + pen * bool(m_.entry.free),
                                            m_.entry.family != cl.reading.family,
                                            bool(m_.entry.exact_target)))
            groups.append((cl, [_compare(cl, m_.entry, stated=entry is not None) for m_ in ms[:1 if past_soft_deadline() else 2]]))
    for cl, ms in groups:
        best = _best(ms, _preferred(cl, column), pen=1.5 if cl.var is not None else 0.0)
        # inferred target: a step read as DDPM/SMLD reverse iteration is judged against the exact
        # (ancestral) step of its chain; an exact match to a first-order discretisation is said too.
        if entry is None and best.verdict == "exact" and best.entry.exact_target and cl.kind == "step":
            exact_e = REGISTRY[best.entry.exact_target]
            m2 = _compare(cl, exact_e)
            if m2.verdict == "consistent":
                m2.detail = (f"{m2.detail}. It is exactly {best.entry.title} ({best.entry.source}), a first-order "
                             f"discretisation of the reverse SDE; {exact_e.title} is the exact reverse step of the chain")
                m2.notes = best.notes + m2.notes
                best = m2
        results.append((cl, best))
    cl, best = sorted(results, key=lambda cm: (_RANK[cm[1].verdict], cm[1].mismatches))[0]
    # reading notes are collected while walking the formula's atoms (set order): sort them so the
    # report does not depend on PYTHONHASHSEED; the header note stays first.
    reading_notes = sorted(cl.reading.notes, key=lambda n: (not n.startswith("headers say"), n))
    notes = list(dict.fromkeys(reading_notes + best.notes))
    detail = best.detail
    verdict = best.verdict
    terms = list(best.terms) if verdict != "exact" else []
    if p.issues:
        verdict = "ill-defined"
        detail = "; ".join(p.issues) + f". Reading the rest of it: {best.verdict}: {best.detail}"
        terms = terms or [_whole_term(cl)]
    elif verdict in ("exact", "consistent", "inconsistent"):
        bad = _bad_pieces(cl)
        if bad:
            verdict, detail = "ill-defined", bad[0] + (f" (otherwise: {best.verdict}: {best.detail})" if best.verdict != "inconsistent" else f". Also: {best.detail}")
            terms = list(dict.fromkeys([bad[1]] + terms))
    wrong_arg = (misplaced_model_argument(p, cl) or misconditioned(p, cl)) if verdict in ("exact", "consistent") else None
    if wrong_arg:  # ε_θ(x_{k-1}, …), s_θ(x_k, σ_{k-1}): the model evaluated at another point (arguments.py)
        verdict, detail, terms = "inconsistent", f"{wrong_arg[0]} (the rest: {verdict}: {detail})", [wrong_arg[1]]
    # as written vs under a reading: a stray symbol dropped, dw read as dw-bar, eps_0 read as eps_theta
    readings: List[str] = []
    as_written_terms: List[str] = []
    as_written = None
    if stray and verdict not in ("exact", "consistent") and len(stray) > 1:
        # several symbols outside the vocabulary, and dropping them does not give a registry formula either: another
        # notation (indices i, N, ...), not stray symbols -- not judged here (the literal reading may place it)
        return Verdict(eq, "unparsed", "it uses symbols " + ", ".join(stray) + ", which the registry's vocabulary does not "
                       "define (give their meaning, or the formula in the standard symbols)")
    if stray:
        readings.append(f"{', '.join(stray)} {'are' if len(stray) > 1 else 'is'} dropped (a stray symbol that means nothing here)")
        as_written = "ill-defined"
        as_written_terms += _stray_terms(p, stray, cl)
    charity = list(dict.fromkeys(list(cl.reading.charity) + list(best.charity)))
    if charity:
        readings += [c_[0] for c_ in charity]
        as_written = as_written or "inconsistent"
        as_written_terms += [c_[1] for c_ in charity]
    reading = reading_verdict = None
    if as_written and _RANK[as_written] > _RANK[verdict]:
        reading, reading_verdict = "; ".join(readings), verdict
        detail = (f"as written: {as_written}; {verdict}" + (f" (order {best.order})" if best.order else "")
                  + f" if {' and '.join(readings)}: {detail}")
        verdict = as_written
        terms = list(dict.fromkeys(as_written_terms + terms))
    v = Verdict(eq, verdict, detail, claim=cl.read_as, target=best.entry.name, order=best.order if verdict == "consistent" else None,
                notes=notes, terms=terms, reading=reading, reading_verdict=reading_verdict)
    mode = numeric_mode(numeric)
    runnable = cl.kind == "step" and cl.lhs == "x_prev" and cl.reading.mode == "discrete" and (
        (verdict in ("exact", "consistent", "inconsistent") and cl.reading.family in ("vp", "ve") and cl.var is not None)
        or (best.entry.free and verdict != "unparsed" and cl.reading.family == "vp"))
    undecided = best.how.startswith("numerically") or "numerically" in best.detail
    if runnable and (mode == "always" or (mode == "auto" and undecided)):
        v._numeric_job = (cl, verdict)  # run by verify_formula after the symbolic budget (a fixed-size sampler run)
    return v


def _run_numeric(v: Verdict) -> None:
    job = getattr(v, "_numeric_job", None)
    if job is None:
        return
    del v._numeric_job
    try:
        from .numeric import confirm
        v.numeric = confirm(*job)
    except Exception as err:  # numeric confirmation must never hide the symbolic verdict
        v.numeric = f"not run ({err})"


NUMERIC_MODES = ("auto", "always", "never")


def numeric_mode(numeric) -> str:
    """True/"auto": run the sampler check only where the symbolic check could not decide (it agreed at
    random points only); "always": every runnable reverse step; False/"never": none."""
    if numeric is True:
        return "auto"
    if numeric is False or numeric is None:
        return "never"
    if numeric not in NUMERIC_MODES:
        raise ValueError(f"numeric: expected one of {', '.join(NUMERIC_MODES)}, got {numeric!r}")
    return numeric


def _kind_ok(cl: Claim, e: Entry) -> bool:
    if cl.kind == "sde":
        return e.kind == "sde"
    if cl.kind == "step":
        return e.kind in ("step", "langevin")
    if cl.kind == "scalar":
        return e.kind == "scalar"
    return e.kind == "relation"


def _preferred(cl: Claim, column: str) -> List[str]:
    if cl.kind == "sde" and cl.reading.family in ("vp", "ve", "subvp"):
        return [f"{cl.reading.family}.sde", f"{cl.reading.family}.reverse_sde"]
    return []


def _readable_without(p: Parsed, entry, hints, names: Sequence[str]) -> bool:
    """Whether the formula is a registry formula once the undefined symbols are set to 0 (an added term) or 1 (a
    factor): then they are stray pieces of a formula the verifier knows (ill-defined as written)."""
    syms = [s_ for s_, a_ in p.atoms.items() if a_.name in names]
    if not syms:
        return False
    for val in (0, 1):
        q = Parsed(p.text, [s_.xreplace({y: sp.Integer(val) for y in syms}) for s_ in p.sides], dict(p.atoms), p.relation,
                   list(p.issues))
        try:
            claims = read_claim(q, entry, hints)
        except Exception:
            continue
        for cl in claims or []:
            for e in ([entry] if entry is not None else _candidates(cl)):
                try:
                    if _compare(cl, e, quick=True).verdict in ("exact", "consistent"):
                        return True
                except Exception:
                    continue
    return False


def _with_drop(p: Parsed, entry, hints, bases) -> List[Claim]:
    """Re-read with the stray symbols set to 1."""
    sub = {s_: sp.Integer(1) for s_, a_ in p.atoms.items() if (a_.base in bases or a_.name in bases)
           and (C.resolve(a_, C.Reading("continuous")) is None or a_.name in bases)}
    q = Parsed(p.text, [s_.xreplace(sub) for s_ in p.sides], dict(p.atoms), p.relation, list(p.issues))
    return read_claim(q, entry, hints)
