"""The verdict engine: a written formula against the registry.

Verdicts (issue 5):

* ``exact``        identical to the target (symbolic simplification; where that is inconclusive,
                   agreement at random admissible points in 40-digit arithmetic, said as such);
* ``consistent``   a valid discretisation: the one-step mean coefficients and noise variance agree
                   with the target's to O(Δt^{p+1}) (beta_k = beta(t) Δt, sigma_k² − sigma_{k−1}² =
                   dσ²/dt Δt); p and the leading error term are reported;
* ``inconsistent`` the mismatching term is named (with a "uses X where Y is needed" diagnosis
                   when a one-symbol change repairs it);
* ``ill-defined``  division by zero, a value that is not real or finite at an admissible point, or a
                   symbol that means nothing;
* ``unparsed``     with the reason.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

import sympy as sp

from . import canon as C
from .admissible import abar_ends_at_zero
from .applied import applied_verdict, expand_registry_calls
from .arguments import misplaced_model_argument
from .atoms import Parsed, ParseError
from .bounds import Budget, BudgetExceeded, TooLarge, limited, past_soft_deadline, precheck
from .cell_pairs import kernel_of_its_sde, vdm_pair_variance
from .cell_readers import before_split, per_alternative
from .celldefs_x0 import with_x0_defined
from .celldefs import inline_definitions, inline_intermediates
from .code_cells import inline_code
from .claim import Claim, Declaration, Meaningless, NotUnderstood
from .classify import read_claim
from .compare import Match, _candidates
from .conditioning import misconditioned, misconditioned_text, off_condition
from .dispatch import _compare
from .edm_reading import bind_direction, expand_signs
from .em_updates import signed_step, step_letter
from .entry import Entry
from .entry_check import check_entry_forms
from .evaluate import is_zero
from .explicit_ve import pair_explicit
from .literal import literal_verdict
from .noise_time import CONTINUOUS_NOTE, NOTE as NOTE_T, continuous_states, noise_level_time
from .normalize import cjk_prose, normalize_latex
from .parse import parse
from .pieces import _bad_pieces, _raw_terms, _stray_terms, _whole_term
from .prereadings import song_bar_beta, strided_indices
from .registry import REGISTRY, get
from .second_readings import after_domain, before_domain, second_reading
from .shapes import narrow_candidates
from .tokens import split_alternatives, split_equations
from .ve_written import constant_sigma
from .verdict import RANK as _RANK, VERDICTS, Verdict

__all__ = ["Verdict", "verify_formula", "check_entry_forms", "VERDICTS", "is_zero"]

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


def verify_formula(text: str, target: Optional[str] = None, *, hints: Optional[Dict[str, str]] = None,
                   source: str = "", location: str = "", numeric: bool = True, column: str = "",
                   ignore: Sequence[str] = (), budget: Optional[Budget] = None) -> List[Verdict]:
    """Judge one formula cell (it may hold alternatives joined by "or"/"或" and several equations).

    Each equation is judged within ``budget`` (time and memory, :mod:`scoresde.formulas.bounds`); one that
    is too large or runs out of its budget gets an ``unparsed`` verdict saying so, and the others go on.
    """
    hints = dict(hints or {})
    out: List[Verdict] = []
    why = precheck(text)
    if why:
        return [Verdict(_clip(text), "unparsed", f"not judged: {why}", source=source, location=location)]
    from .code_blocks import judge_code_block  # a pasted block of code: one straight-line program per branch

    block = judge_code_block(text, lambda t_: verify_formula(t_, target, hints=hints, source=source, location=location,
                                                              numeric=numeric, column=column, ignore=ignore, budget=budget))
    if block is not None:
        return block
    if "model_output" in text:  # diffusers' generic network output (code_outputs.py; its v reading has no such name)
        from .code_outputs import judge_with_output_readings

        read = judge_with_output_readings(text, lambda t_: verify_formula(
            t_, target, hints=hints, source=source, location=location, numeric=numeric,
            column=column, ignore=ignore, budget=budget))
        if read is not None:
            return read
    from .family_label import apply_family_label, label_family  # "sub-VP: p_0t(…) = …" claims that family

    labelled = label_family(text)
    text = text[labelled[2]:] if labelled else text
    text = cjk_prose(text)  # words in Chinese separate formulas (normalize.py), for the objective reader too
    whole = before_split(text, lambda t_: verify_formula(t_, target, hints=hints, source=source, location=location,
                         numeric=numeric, column=column, ignore=ignore, budget=budget), source, location)
    if whole is not None:  # flow matching's u_t(x | x_1); a training step's input beside its loss (cell_readers.py)
        return whole
    ov = _objective_hook(text, target, budget, hints.get("notation"))
    if ov is not None:
        ov.source, ov.location = source, location
        return [ov]
    clipped = bool(re.search(r"\\min|0?\.999|clip", text))
    text = normalize_latex(text)
    text, song_bar = song_bar_beta(text)
    text, strided = strided_indices(text)
    song_bar += strided
    text, const_base = constant_sigma(text)  # σ^t: a constant base (ve_written.py)
    song_bar += const_base
    text, em_notes = signed_step(text)  # Δx ← … Δt + … √|Δt| z; x ← x + Δx (em_updates.py)
    text, h_notes = step_letter(text)  # x_{t−h} = x_t − h[…] + √h g z: h is the step Δt (em_updates.py)
    em_notes += h_notes
    song_bar += em_notes
    alts = split_alternatives(text)
    for ai, alt in enumerate(alts):
        first = len(out)
        raw_eqs = split_equations(alt)
        if (together := per_alternative(raw_eqs, source, location)) is not None:  # β(t) with σ_t², … (cell_readers.py)
            out += together
            continue
        eqs0, coded = inline_code(raw_eqs)  # beta_t = …; drift = …: the code's intermediates substituted
        eqs0, defined = inline_definitions(eqs0)  # f(t) = … defined in the cell and used: substituted
        defined = coded + defined
        eqs0, chained = inline_intermediates(eqs0)  # x'_i = A, x_i = x'_i + B: one update
        defined += chained
        defined = song_bar + defined
        eqs0, written = expand_registry_calls(eqs0)  # … = μ̃_t(x_t, expr): the registry's definition written out
        defined += written
        # a formula with ± / ∓ is one formula per sign (Karras et al. 2022, Eq. 6: dx_±), each judged
        eqs = [(lab, e2) for e1 in eqs0 for lab, e2 in expand_signs(e1)]
        hints, inferred = _cell_notation([e2 for _, e2 in eqs], hints, target, numeric, column, budget, raw_eqs)
        defined += [inferred] if inferred else []
        paired = _gaussian_scores([e2 for _, e2 in eqs])  # N(x; m, v) and ∇log of it in one cell (gauss_score.py)
        for qi, (sign, eq) in enumerate(eqs):
            if len(eqs) > 1 and _LONE_SYMBOL.match(eq):
                continue  # "s 为引导系数", "where ε": a symbol named by the cell's words, nothing to check
            if qi in paired and paired[qi] is None:
                continue  # the Gaussian whose score the cell states: the definition that check uses
            loc = location
            if len(alts) > 1:
                loc += f" (alternative {ai + 1} of {len(alts)})"
            if len(eqs) > 1:
                loc += f" ({sign})" if sign else f" (formula {qi + 1} of {len(eqs)})"
            try:
                with limited(budget):
                    v = paired[qi] if qi in paired else _verify_one(
                        eq, target, dict(hints, ignore=tuple(ignore)) if ignore else hints, numeric, column)
                    if v.verdict == "unparsed" and "without any state" in v.detail and (
                            x0_eq := with_x0_defined(eq, [e2 for _, e2 in eqs])):
                        v = _verify_one(x0_eq, target, hints, numeric, column)  # x̂_0 of the cell's other row (celldefs_x0)
                        v.notes.append("x̂_0 as the cell defines it, substituted into this update")
                    v = bind_direction(v, sign) if sign else v  # dx_+ / dx_− (EDM Eq. 6) fix the direction
            except Declaration:
                continue
            except TooLarge as err:
                v = Verdict(_clip(eq), "unparsed", f"not judged: {err} (refused before building it)")
            except BudgetExceeded as err:
                v = Verdict(_clip(eq), "unparsed", f"not judged: {err}")
            except RecursionError:
                v = Verdict(_clip(eq), "unparsed", "not judged: the formula is nested too deeply to read")
            except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError, sp.SympifyError) as err:
                # a bug of the verifier on one formula must not abort the document: it is reported on that formula
                v = Verdict(_clip(eq), "unparsed", f"not judged: internal error of the verifier ({type(err).__name__}: {err})")
            _run_numeric(v)
            v.notes = list(dict.fromkeys(list(v.notes) + defined))
            v.source, v.location = source, loc.strip()
            out.append(v)
        kernel_of_its_sde(out[first:])  # an SDE and a kernel in one formula: the kernel must be the SDE's
        pair_explicit(out[first:])  # … also where both are written in t alone (dx = e^t dw ⇒ p_0t = …; explicit_ve.py)
        if len(out) - first == len(eqs):
            vdm_pair_variance([e2 for _, e2 in eqs], out[first:], hints)  # α_t, σ_t: α² + σ² = 1 (cell_pairs.py)
    if not clipped:
        _unclipped_cosine(out)
    apply_family_label(out, labelled)
    return out


_LONE_SYMBOL = re.compile(r"^\s*(?:\\[A-Za-z]+|[A-Za-z]|\d+)(?:\s*_\s*(?:\{[^{}]*\}|\w))?(?:\s*\(\s*[a-z]\s*\))?\s*$")


def _cell_notation(eqs: List[str], hints, target, numeric: bool, column: str, budget, raw: Sequence[str] = ()):
    """The notation a cell's own definition of σ_t / α_t fixes (:mod:`~scoresde.formulas.cell_notation`); ``raw`` are
    the cell's equations before its definitions were substituted (β̄_t = √(1 − ᾱ_t²) states Su's notation too)."""
    from .cell_notation import notation_from_definitions, su_notation, su_relation, vdm_pair

    if not hints.get("notation") and su_notation(list(eqs) + list(raw)):
        said = "β̄_t" if su_notation([e_ for e_ in list(eqs) + list(raw) if not su_relation(e_)]) else "α_t² + β_t² = 1"
        return dict(hints, notation="su"), f"notation inferred from {said}: Su's (ᾱ_t, β̄_t = √(1 − ᾱ_t²), canon.su_symbol)"
    if not hints.get("notation") and vdm_pair(eqs):
        return dict(hints, notation="vdm"), "notation inferred from the pair α_t, σ_t: VDM's (α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t))"

    def judge(eq: str, h) -> str:
        try:
            with limited(budget):
                v = _verify_one(eq, target, h, False, column)
                # a σ(t) exact as a kernel's std (families/schedules.py) still fixes VDM's σ_t for the cell
                return "exact:kernel_std" if v.verdict == "exact" and (v.target or "").endswith(".kernel_std") else v.verdict
        except Exception:  # noqa: BLE001 -- a definition that cannot be judged fixes nothing
            return "unparsed"
    return notation_from_definitions(eqs, hints, judge)


def _gaussian_scores(eqs: List[str]):
    from .gauss_score import gaussian_score_pairs

    try:
        return gaussian_score_pairs(eqs)
    except Exception:  # noqa: BLE001 -- a pair that cannot be checked is left to the usual reader
        return {}


def _objective_hook(text: str, target: Optional[str], budget: Optional[Budget], notation: Optional[str] = None
                    ) -> Optional[Verdict]:
    """Training objectives (a loss as an expectation, arg min, ‖·‖²): judged by objective_judge, or None; ``notation``
    is the one the claim states (objective_semantics.stated_notation)."""
    from .book_notation import square_bracket_calls
    from .code_interface import code_objective
    from .kl_terms import kl_as_vlb_term
    from .objective_judge import judge_objective
    from .objective_semantics import ddim_alpha_as_abar, stated_notation

    if notation == "ddim":
        text = ddim_alpha_as_abar(text)  # the objectives are read in DDPM's ᾱ

    try:
        with limited(budget):
            as_term, note = kl_as_vlb_term(text)  # D_KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) = …: L_{t−1} (kl_terms.py)
            if "\\" in as_term:  # LaTeX, not a line of code (std[:, None] indexes an array)
                as_term = square_bracket_calls(as_term)  # Prince's L[φ], g_t[z_t, φ_t] (book_notation.py)
                # 𝓛_simple, 𝓛_vlb: the losses' letter in a calligraphic font (Nichol & Dhariwal 2021, Sec. 3.1) is L
                as_term = re.sub(r"\\mathcal\s*(?:\{\s*L\s*\}|L)(?=\s*_\s*\{\s*(?:\\(?:text|mathrm)\s*\{\s*)?[A-Za-z]{2,}\s*\})", " L",
                                 as_term)
            token = stated_notation.set(notation)
            try:
                got = judge_objective(as_term, target)
            finally:
                stated_notation.reset(token)
            if got is None:  # a loss written as code: its LaTeX (code_latex.py), where that reads as an objective
                got = code_objective(text, target, judge_objective)
            if got is not None and as_term != text:
                got.latex, got.notes = text, ([note] if note else []) + list(got.notes or [])
            return got
    except (TooLarge, BudgetExceeded) as err:
        return Verdict(_clip(text), "unparsed", f"not judged: {err}")
    except RecursionError:
        return Verdict(_clip(text), "unparsed", "not judged: the formula is nested too deeply to read")
    except Exception:  # noqa: BLE001 -- a reader bug must not abort a document: the usual reader judges it instead
        return None


def _unclipped_cosine(vs: List[Verdict]) -> None:
    """β_t = 1 − ᾱ_t/ᾱ_{t−1} with the cosine ᾱ_t of the same cell and no clip: ᾱ_T = cos²(π/2) = 0, so β_T = 1,
    α_T = 0 and the reverse mean 1/√α_T diverges; Nichol & Dhariwal 2021 (Sec. 3.2) clip β at 0.999."""
    if not any(v.target == "schedule.cosine" and (v.verdict == "exact" or (v.verdict == "consistent" and abar_ends_at_zero(v.latex)))
               for v in vs):
        return  # (a variant of the cosine that does not reach ᾱ_T = 0 keeps β_T < 1: admissible.abar_ends_at_zero)
    for v in vs:
        if v.target == "ddpm.beta_from_abar" and v.verdict == "exact":
            v.reading, v.reading_verdict = "β is clipped at 0.999 (Nichol & Dhariwal 2021, Sec. 3.2)", "exact"
            v.verdict, v.terms = "ill-defined", ["rhs"]
            v.detail = ("as written: ill-defined at t = T: with the cosine ᾱ of this cell ᾱ_T = 0, so β_T = 1, α_T = 0 and "
                        "1/√α_T in the reverse step diverges; exact if " + v.reading + ": " + v.detail)


def _clip(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[:n] + f"… ({len(text)} characters)"


#: a density with its conditioning, a Gaussian or a sample: the multi-time reader does not check what a density is
#: conditioned on (q(x_t | x_{t-1}) = N(√ᾱ_t x_0, …) is its marginal), so it never withdraws an alarm on these
_DENSITY = re.compile(r"\\mid|\\vert|\\mathcal\s*\{?\s*N|\\sim|(?<![A-Za-z\\])[pq]\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*\([^()]*\|")


def _verify_one(eq: str, target: Optional[str], hints, numeric: bool, column: str = "") -> Verdict:
    from .chain_sides import check_middle_sides  # A = B = C: the middle sides are claims too

    whole = _verify_whole(eq, target, hints, numeric, column)
    return check_middle_sides(eq, whole, lambda q: _verify_whole(q, target, hints, numeric, column))


def _verify_whole(eq: str, target: Optional[str], hints, numeric: bool, column: str = "") -> Verdict:
    if target is None and r"\mathbb" in eq:
        from .moment_expect import judge_expectation_moments  # de/dt = 𝔼[f(x, t)], dΣ/dt = 𝔼[…] (general SDE)

        got = judge_expectation_moments(eq)
        if got is not None:
            return got
    iv = before_domain(eq, target, hints)  # ᾱ_t² = 1 − β̄_t² in Su's notation: an identity (second_readings.py)
    if iv is not None:
        return iv
    v = _verify_domain(eq, target, hints, numeric, column)
    iv = after_domain(eq, v, target, hints)  # α_t² + β_t² = 1: an identity between schedule symbols
    if iv is not None:
        return iv
    if v.verdict == "unparsed" and r"\mathbb" in eq and target is None:
        from .kernel_mean import judge_kernel_mean  # 𝔼[x(t) | x(0)] = m(t) x(0): a kernel's mean stated alone

        km = judge_kernel_mean(eq, lambda q: _verify_domain(q, None, hints, numeric, column))
        if km is not None:
            return km
    if v.verdict in ("unparsed", "inconsistent", "ill-defined") and not v.detail.startswith("not judged") and v.reading is None:
        # the literal reading: a registry entry with the same written left side, compared symbol by symbol;
        # it replaces an unparsed verdict, and any verdict when it finds the formula exact
        lit = literal_verdict(eq, {target: get(target)} if target else REGISTRY)
        # (and an "undefined symbol" verdict: symbols that a registry entry with the same written left side uses -- the
        # index i and the count N of a sequence -- are not undefined)
        if lit is not None and (v.verdict == "unparsed" or lit[0] == "exact" or v.detail.startswith("undefined symbol")):
            verdict, detail, e = lit
            v = Verdict(eq, verdict, detail, claim=f"{e.title} (literal reading)", target=e.name,
                        terms=[] if verdict == "exact" else ["rhs"],
                        notes=[f"the domain reading could not place it ({v.detail})"])
            if verdict == "exact" or target:
                return v
    if v.verdict == "unparsed" and not v.detail.startswith("not judged"):
        from .seq_relation import judge_sequence_relation  # σ_{i−1}/σ_i = … of a registered sequence

        sv = judge_sequence_relation(eq)
        if sv is not None:
            return sv
    if v.verdict == "unparsed" and not v.detail.startswith("not judged") and r"\partial" in eq:
        from .fokker_planck import judge_fokker_planck  # ∂p_t/∂t = −∇·[f p_t] + ½g²Δp_t

        fv = judge_fokker_planck(eq)
        if fv is not None:
            return fv
    if v.verdict == "unparsed" and not v.detail.startswith("not judged") and r"\log" in eq:
        from .likelihood_reader import judge_likelihood  # one row of a cell (the objective hook saw the whole cell)

        lv = judge_likelihood(eq)
        if lv is not None and lv.verdict != "unparsed":
            return lv
    if v.verdict in ("unparsed", "inconsistent", "ill-defined") and not v.detail.startswith("not judged"):
        from .multitime import judge as _multitime  # several time points: solver lines, VDM, conversions

        mt = _multitime(eq, hints)
        wrong_given = misconditioned_text(eq) if mt is not None and mt.verdict in ("exact", "consistent") else None
        if wrong_given is not None:
            # the multi-time reader reads a density's mean and variance, not what it is conditioned on
            mt = Verdict(eq, "inconsistent", f"{wrong_given[0]}; the mean and variance are those of {mt.claim or mt.target}",
                         claim=mt.claim, target=mt.target, terms=[wrong_given[1]], notes=mt.notes)
        if mt is not None and mt.verdict != "unparsed" and (v.verdict == "unparsed" or mt.verdict == "exact" and not _DENSITY.search(eq)):
            # an alarm of the one-step reader is withdrawn when the multi-time reader places the formula exactly:
            # the one-step reader then read it in another notation (VDM's α_t = √ᾱ_t as DDPM's α, a DPM-Solver
            # step on t_i as a chain step), and the formula is the reference it matches symbol for symbol
            mt.notes.append(f"read by the multi-time reader (the one-step reader: {v.verdict}: {v.detail})")
            return mt
    if v.verdict == "unparsed" and not v.detail.startswith("not judged") and target is None:
        from .logsnr_schedule import judge_logsnr_schedule  # λ(t) = f(t): a schedule as its log-SNR

        lv = judge_logsnr_schedule(eq)
        if lv is not None:
            return lv
    sv = second_reading(eq, v, target, hints, lambda e2, h2: _verify_one(e2, target, h2, numeric, column))
    return sv if sv is not None else v  # Su's linear-SDE kernel, a concrete index, z as the state (second_readings.py)


def _verify_domain(eq: str, target: Optional[str], hints, numeric: bool, column: str = "",
                   parsed: Optional[Parsed] = None) -> Verdict:
    try:
        p = parsed if parsed is not None else parse(eq)
    except ParseError as err:
        return Verdict(eq, "unparsed", f"cannot read the formula: {err}")
    entry = get(target) if target else None
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
