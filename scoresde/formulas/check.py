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

This module holds the entry point (a cell split into equations, each judged within its budget) and the order of the
readings tried on one equation; :mod:`~scoresde.formulas.check_domain` reads one equation against the registry and
runs the numeric check, :mod:`~scoresde.formulas.check_cell` holds the cell-level helpers (the notation a cell fixes,
objectives, the unclipped cosine β).
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

import sympy as sp

from .applied import expand_registry_calls
from .bounds import Budget, BudgetExceeded, TooLarge, limited, precheck
from .cell_pairs import kernel_of_its_sde, vdm_pair_variance
from .cell_readers import before_split, per_alternative
from .celldefs_x0 import with_x0_read
from .celldefs import inline_definitions, inline_intermediates
from .code_cells import inline_code
from .claim import Declaration
from .conditioning import misconditioned_text
from .edm_reading import bind_direction, expand_signs
from .em_updates import signed_step, step_letter
from .entry_check import check_entry_forms
from .evaluate import is_zero
from .explicit_ve import pair_explicit
from .forward_reversal import forward_time_reversal
from .literal import literal_verdict
from .normalize import cjk_prose, normalize_latex
from .prereadings import isotropic_covariances, song_bar_beta, strided_indices
from .driftless_step import driftless_step
from .gauss_logpdf import prior_with_std
from .registry import REGISTRY, get
from .second_readings import after_domain, before_domain, second_reading
from .tokens import split_alternatives, split_equations
from .ve_written import constant_sigma
from .verdict import VERDICTS, Verdict
from .check_cell import (_cell_notation, _clip, _cm_boundary, _code_multistep, _edm_noise_draw, _edm_sigma_levels,
                         _gaussian_scores, _objective_hook, _paper_readings, _path_cells, _unclipped_cosine)
from .check_domain import _run_numeric, _verify_domain

__all__ = ["Verdict", "verify_formula", "check_entry_forms", "VERDICTS", "is_zero"]


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
    if (ms := _code_multistep(text, target, source, location)) is not None:  # e = (3 * ets[-1] - ets[-2]) / 2
        return ms
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
    from .family_label import apply_family_label, label_family, subscript_family  # "sub-VP: p_0t(…) = …" claims that family

    labelled = label_family(text)
    text = text[labelled[2]:] if labelled else text
    if labelled is None and (sub_label := subscript_family(text)) is not None:  # σ_{sub-VP}(t) = …: the label in the name
        labelled, text = (sub_label[0], sub_label[1], 0), sub_label[2]
    text = cjk_prose(text)  # words in Chinese separate formulas (normalize.py), for the objective reader too
    if target is None and (nd := _edm_noise_draw(text, source, location)) is not None:
        return [nd]  # ln σ ∼ N(P_mean, P_std²): EDM's training noise levels (edm_noise_draw.py)
    if (pc := _path_cells(text, target, source, location)) is not None:  # z_t = a_t x_0 + b_t ε; π_ln(t; m, s)
        return pc
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
    text, song_bar = _edm_sigma_levels(text, song_bar)  # D_θ(x_i; σ_i): σ_i is EDM's t_i; t_i' is t̂_i (edm_*.py)
    text, strided = strided_indices(text)
    song_bar += strided
    text, const_base = constant_sigma(text)  # σ^t: a constant base (ve_written.py)
    song_bar += const_base
    text, em_notes = signed_step(text)  # Δx ← … Δt + … √|Δt| z; x ← x + Δx (em_updates.py)
    text, rev_notes = forward_time_reversal(text)  # dY_s = [−f + g²∇log p_{T−s}] ds + g dB_s (forward_reversal.py)
    song_bar += rev_notes
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
        eqs, defined = isotropic_covariances(eqs, defined)  # Σ_q(t) = c·I: σ_q²(t) = c (prereadings.py)
        hints, inferred = _cell_notation([e2 for _, e2 in eqs], hints, target, numeric, column, budget, raw_eqs,
                                          verify_one=_verify_one)
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
                    # x̂_0 defined by the cell's other row, or DDIM's predicted x_0 of the update's ε_θ (celldefs_x0)
                    v = with_x0_read(eq, [e2 for _, e2 in eqs], v, lambda q: _verify_one(q, target, hints, numeric, column))
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
        _cm_boundary(out[first:])  # a consistency model's c_skip, c_out: both meet f(x, σ_min) = x (cm_boundary.py)
        pair_explicit(out[first:])  # … also where both are written in t alone (dx = e^t dw ⇒ p_0t = …; explicit_ve.py)
        if len(out) - first == len(eqs):
            vdm_pair_variance([e2 for _, e2 in eqs], out[first:], hints)  # α_t, σ_t: α² + σ² = 1 (cell_pairs.py)
    if not clipped:
        _unclipped_cosine(out)
    apply_family_label(out, labelled)
    return out


_LONE_SYMBOL = re.compile(r"^\s*(?:\\[A-Za-z]+|[A-Za-z]|\d+)(?:\s*_\s*(?:\{[^{}]*\}|\w))?(?:\s*\(\s*[a-z]\s*\))?\s*$")


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
    pv = _paper_readings(eq, target)  # PLMS's e'_t, β_start … β_end, Chen's γ(t), σ_i from σ_min up (check_cell.py)
    if pv is not None:
        return pv
    iv = before_domain(eq, target, hints)  # ᾱ_t² = 1 − β̄_t² in Su's notation: an identity (second_readings.py)
    if iv is not None:
        return iv
    # no f written: f ≡ 0 (driftless_step.py); log p_T(z) with a bare σ: the prior N(0, σ²I) (gauss_logpdf.py)
    v = prior_with_std(driftless_step(eq, _verify_domain(eq, target, hints, numeric, column)))
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


