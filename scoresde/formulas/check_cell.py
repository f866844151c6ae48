"""The verdict engine's cell-level helpers: the notation a cell fixes, Gaussian scores stated beside their density,
training objectives, the unclipped cosine β, and the clipped echo of a formula in a verdict."""
from __future__ import annotations

import re
from typing import List, Optional, Sequence

from .admissible import abar_ends_at_zero
from .bounds import Budget, BudgetExceeded, TooLarge, limited
from .verdict import Verdict


def _cell_notation(eqs: List[str], hints, target, numeric: bool, column: str, budget, raw: Sequence[str] = (), *,
                   verify_one):
    """The notation a cell's own definition of σ_t / α_t fixes (:mod:`~scoresde.formulas.cell_notation`); ``raw`` are
    the cell's equations before its definitions were substituted (β̄_t = √(1 − ᾱ_t²) states Su's notation too)."""
    from .cell_notation import notation_from_definitions, su_notation, su_relation, vdm_pair

    if not hints.get("notation") and su_notation(list(eqs) + list(raw)):
        said = "β̄_t" if su_notation([e_ for e_ in list(eqs) + list(raw) if not su_relation(e_)]) else "α_t² + β_t² = 1"
        return dict(hints, notation="su"), f"notation inferred from {said}: Su's (ᾱ_t, β̄_t = √(1 − ᾱ_t²), canon.su_symbol)"
    if not hints.get("notation") and (vdm_pair(eqs) or vdm_pair(list(raw))):
        return dict(hints, notation="vdm"), "notation inferred from the pair α_t, σ_t: VDM's (α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t))"

    def judge(eq: str, h) -> str:
        try:
            with limited(budget):
                v = verify_one(eq, target, h, False, column)
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
    from .objective_sample_def import inline_sample_definition  # L = E[‖…(x_t)‖²], \quad x_t = …

    sample_def = inline_sample_definition(text)
    if sample_def is not None:
        got = _objective_hook(sample_def[0], target, budget, notation)
        if got is not None and got.verdict != "unparsed":
            got.latex, got.notes = text, [sample_def[1]] + list(got.notes or [])
            return got

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


def _edm_noise_draw(text: str, source: str, location: str) -> Optional[Verdict]:
    from .edm_noise_draw import judge_noise_draw

    got = judge_noise_draw(text)
    if got is not None:
        got.source, got.location = source, location
    return got


def _cm_boundary(vs: List[Verdict]) -> None:
    from .cm_boundary import cm_boundary_pair

    cm_boundary_pair(vs)


def _edm_sigma_levels(text: str, notes: List[str]):
    from .edm_sigma_steps import sigma_levels_as_times
    from .edm_time_names import edm_time_names

    text, named = edm_time_names(text)  # EDM's churn primed (t_i', x_i'), Eq. 5 with t_max, t_min
    text, more = sigma_levels_as_times(text)
    return text, list(notes) + named + more


def _code_multistep(text: str, target: Optional[str], source: str, location: str) -> Optional[List[Verdict]]:
    if "[-" not in text or target is not None:
        return None
    from .multistep import judge_multistep  # e = (3 * ets[-1] - ets[-2]) / 2: a history list (multistep.py)

    ms = judge_multistep(text.strip())
    if ms is None:
        return None
    ms.source, ms.location = source, location
    return [ms]


def _path_cells(text: str, target: Optional[str], source: str, location: str) -> Optional[List[Verdict]]:
    """Interpolation paths z_t = a_t x_0 + b_t ε with what a cell defines from them, and SD3's logit-normal density."""
    if target is not None:
        return None
    from .normalize import normalize_latex
    from .tokens import split_equations

    got, path = None, re.search(r"\\epsilon|eps|\bb_|\bb\s*\\,|SNR", text)
    logit = r"\pi" in text and ("logit" in text or re.search(r"\(\s*t\s*;\s*m\s*,\s*s\s*\)", text))
    if not (path or logit):
        return None
    eqs = split_equations(normalize_latex(text))
    if path:
        from .interp_path import judge_interpolation_cell  # z_t = a_t x_0 + b_t ε and what is defined from it

        got = judge_interpolation_cell(eqs)
    if got is None and logit:
        from .logit_normal import judge_logit_normal  # π_ln(t; m, s) of SD3 with its Jacobian 1/(t(1 − t))

        got = judge_logit_normal(eqs)
    for v_ in got or ():
        v_.source, v_.location = source, location
    return got


def _paper_readings(eq: str, target: Optional[str]) -> Optional[Verdict]:
    """One equation in a notation of a later paper: PNDM's multistep e'_t, a β schedule from β_start to β_end, Chen's
    γ(t), a Karras σ_i from σ_min upwards (each module's docstring cites its source)."""
    if target is not None:
        return None
    if r"\log" in eq and re.search(r"\\[gl]eq?(?![A-Za-z])|≥|≤", eq):
        from .elbo import judge_elbo  # log p_θ(x_0) ≥ 𝔼_q[log p_θ(x_{0:T})/q(x_{1:T} | x_0)] (Ho et al. 2020, Eq. 3)

        if (eb := judge_elbo(eq)) is not None:
            return eb
    if "'" in eq or r"\prime" in eq or "[-" in eq or r"\tilde" in eq:
        from .multistep import judge_multistep  # e'_t = (55 e_t − 59 e_{t−1} + 37 e_{t−2} − 9 e_{t−3})/24 (PLMS)

        if (ms := judge_multistep(eq)) is not None:
            return ms
    if re.search(r"\\prod_\{?\s*\w\s*=\s*0|\\beta.*(?:start|begin|end\b|\\beta_\{?[A-Z]\s*-\s*1|\\beta_0)|\\sqrt\{\\beta_1\}", eq):
        from .schedule_vocab import judge_schedule_vocab  # β_t from β_start to β_end, ∏_{s=0}^{t} (1 − β_s)

        if (sv := judge_schedule_vocab(eq)) is not None:
            return sv
    if r"\gamma(t)" in eq and r"\cos" in eq:
        from .chen_gamma import judge_chen_gamma  # γ(t) = Chen's cosine schedule with start, end, τ

        if (cg := judge_chen_gamma(eq)) is not None:
            return cg
    if r"\rho" in eq and r"\sigma_{\min}" in eq and r"\sigma_{\max}" in eq:
        from .karras_ascending import judge_karras_ascending  # σ_i from σ_min up to σ_max (CM, iCT with N(k))

        if (ka := judge_karras_ascending(eq)) is not None:
            return ka
    return None
