"""The unified table of seed 002 (SDE / DDPM / SMLD x forward / reverse x differential / iteration),
rebuilt from the formula registry and checked by the verifier.

Every formula in the generated table is a registry entry (``scoresde.formulas.registry``): its LaTeX, its
source and the code it is tied to come from there. Every cell states

* its **status** -- exact, or a first-order discretisation of what -- with the derivation that measures it;
* the **verifier's check** -- the registry's own LaTeX read back by ``scoresde.formulas.check.verify_formula``
  with no target given (it must find itself: ``exact``; a reverse-diffusion step must come out
  ``consistent (order 1)`` against the exact ancestral step), and the entry's tie to the package code
  (``registry.run_ties``);
* **seed 002's version** of the cell, judged by the same verifier, and a note wherever it differs.

The output is deterministic (no sampling; sympy and float64 ties only) so a test can regenerate it and
compare it with the committed ``docs/unified_table.md``. If the verifier's verdict ever disagrees with what
this module expects, the cell is flagged with ``MISMATCH`` (the tests forbid that flag).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from . import TOPICS
from .core import publish

#: Seed 002's table, verbatim (../shared/seeds/002_5a0df8dfe10eb5af.txt, section 1.3.2), so that the
#: generated document does not depend on files outside the repository.
SEED_002_TABLE = r"""
|          |                           正向扩散过程SDE                           |                                                                                     逆向扩散过程SDE                                                                                     |
| :------: | :-----------------------------------------------------------: | :-------------------------------------------------------------------------------------------------------------------------------------------------------------------------------: |
|   SDE    |                伊藤公式：$dx_t = f(x,t)dt+ g(t)dw$                 |                                                               Anderson公式：$dx=[f(x,t)-g^2(t)s_\theta(x_t)]dt+ g(t)dw$                                                               |
| DDPM微分方程 | $dx=d(Fx)=-\frac{1}{2}F\beta(t)Fx(t)dt + \sqrt{ F\beta(t)}dw$ |                           $dx=d(Fx)=[-\frac{1}{2}F\beta(t)Fx(t)+ F\beta(t)(\frac{1}{\sqrt{1-\bar{\alpha}_i}}\epsilon_0)]dt + \sqrt{ F\beta(t)}d\bar{w}$                           |
| DDPM迭代方程 |  $x_i = \sqrt{1- \beta_i}x_{i-1} + \sqrt{\beta_i}\epsilon_i$  | $x_{i-1}=\frac{1}{\sqrt{1-\beta_i}}[x_i + \beta_i s_\theta(x_i)] + \sqrt{\beta_i}\epsilon_i$或$x_{i-1}=(2-\sqrt{1-\beta_i})x_i + \beta_i s_\theta(x_i) + \sqrt{\beta_i}\epsilon_i$ |
| SMLD微分方程 |           $dx=\sqrt{\frac{d[F\sigma(t)^2]}{dt}}dw$            |                                           $dx=-[\frac{d[F\sigma(t)^2]}{dt}s_\theta(Fx(t))]dt+\sqrt{\frac{d[F\sigma(t)^2]}{dt}}d\bar{w}$                                           |
| SMLD迭代方程 | $x_i=x_{i-1}+\sqrt{\sigma_i^2-\sigma_{i-1}^2}\epsilon_{i-1}$  |                                       $x_{i-1} = x_i + (\sigma_i^2-\sigma_{i-1}^2)s_\theta(x_i)+\sqrt{\sigma_i^2-\sigma_{i-1}^2}\epsilon_i$                                       |
"""

#: (key, label, seed 002's row header)
ROWS = [
    ("sde", "SDE (any linear f, g)", "SDE"),
    ("ddpm_diff", "DDPM · differential equation (VP SDE)", "DDPM微分方程"),
    ("ddpm_iter", "DDPM · iteration (Markov chain)", "DDPM迭代方程"),
    ("smld_diff", "SMLD · differential equation (VE SDE)", "SMLD微分方程"),
    ("smld_iter", "SMLD · iteration (Markov chain)", "SMLD迭代方程"),
]
#: (key, label, seed 002's column header)
COLUMNS = [("forward", "forward", "正向扩散过程SDE"), ("reverse", "reverse", "逆向扩散过程SDE")]


@dataclass(frozen=True)
class Item:
    """One registry formula placed in a cell."""

    entry: str  # registry name
    role: str  # what it is, in a few words
    status: str  # short status tag: "exact", "first order", ...
    why: str  # one or two sentences; derivations cited as [NN]
    expect: Tuple[str, Optional[int], str]  # verify_formula(entry.latex) -> (verdict, order, target)


def _x(name: str) -> Tuple[str, Optional[int], str]:
    return ("exact", None, name)


CELLS: Dict[Tuple[str, str], List[Item]] = {
    ("sde", "forward"): [
        Item("sde.forward", "forward SDE", "exact (definition)",
             "Linear in this package: f(x, t) = f(t) x, kernel x_t = m x_0 + s z with m' = f m, (s²)' = 2 f s² + g² [03].",
             _x("sde.forward"))],
    ("sde", "reverse"): [
        Item("reverse.sde", "reverse-time SDE", "exact: same marginals",
             "Solves the time-reversed Fokker–Planck equation for every density; the coefficient of g² ∇log p must be 1 "
             "when the noise is g [04].", _x("reverse.sde")),
        Item("pf.ode", "probability-flow ODE", "exact: same marginals",
             "Its continuity equation is the forward Fokker–Planck equation: deterministic paths, the same p_t [05].",
             _x("pf.ode"))],
    ("ddpm_diff", "forward"): [
        Item("vp.sde", "VP SDE", "exact (definition)",
             "The N → ∞ limit of the DDPM chain with β_i = β(t_i)Δt; kernel m = e^{−B/2}, s² = 1 − e^{−B} [01, 03].",
             _x("vp.sde"))],
    ("ddpm_diff", "reverse"): [
        Item("vp.reverse_sde", "reverse VP SDE", "exact: same marginals", "Anderson's reverse SDE with f = −β x/2, g² = β [04].",
             _x("vp.reverse_sde")),
        Item("vp.pf_ode", "VP probability-flow ODE", "exact: same marginals",
             "In (σ = s/m, x/m) it is the VE ODE dy/dσ = −σ ∇log p_σ(y) [09].", _x("vp.pf_ode"))],
    ("ddpm_iter", "forward"): [
        Item("ddpm.forward_step", "DDPM forward chain", "exact chain; first order in Δt as a VP SDE step",
             "With β_i = β(t_i)Δt it is Euler–Maruyama of the VP SDE up to O(Δt²) per step, marginals off by O(1/N); with "
             "β_i = 1 − ᾱ(t_i)/ᾱ(t_{i−1}) (the package's discrete twin) its marginals equal the SDE's at every N [01].",
             _x("ddpm.forward_step"))],
    ("ddpm_iter", "reverse"): [
        Item("vp.ancestral", "ancestral step (Ho et al. Alg. 2)", "exact mean; first order (weak) for the reverse SDE",
             "With the exact score its mean is E[x_{i−1} | x_i] for any data; its variance is exact for unit-variance Gaussian "
             "data (σ_i² = β_i) and for point-mass data (σ_i² = β̃_i) only [06]. In score form this is Song et al. 2021 "
             "(score SDE), Eq. 4.", _x("vp.ancestral")),
        Item("vp.reverse_diffusion", "reverse-diffusion predictor", "first order",
             "Agrees with the ancestral step to O(β_i) only (one-step difference ∝ β_i²); exact in none of the cases above [06].",
             ("consistent", 1, "vp.ancestral")),
        Item("ddim.step", "DDIM, in DDIM's own indexing: t is the chain index i, α_t there is ᾱ_t here (σ_t = 0: "
             "deterministic)", "first order; exact for point-mass data",
             "η = 0 is the exponential integrator of the PF-ODE (Euler in σ on x/m) [08, 16]; η = 1 gives σ_t² = β̃_t, the "
             "ancestral step with the posterior variance — not the one with σ_t² = β_t [06, 08].",
             _x("ddim.step"))],
    ("smld_diff", "forward"): [
        Item("ve.sde", "VE SDE", "exact (definition)",
             "The SMLD chain's increments have variance d[σ²]/dt Δt + O(Δt²) [02].", _x("ve.sde"))],
    ("smld_diff", "reverse"): [
        Item("ve.reverse_sde", "reverse VE SDE", "exact: same marginals", "Anderson's reverse SDE with f = 0, g² = d[σ²]/dt [04].",
             _x("ve.reverse_sde")),
        Item("ve.pf_ode", "VE probability-flow ODE", "exact: same marginals",
             "dx/dσ = −σ ∇log p_σ(x); every linear SDE's PF-ODE is this one in (σ, x/m) [09].", _x("ve.pf_ode"))],
    ("smld_iter", "forward"): [
        Item("smld.forward_step", "SMLD forward chain", "exact: the VE kernel at every t_i",
             "The variances telescope, so q(x_i | x_0) = N(x_0, σ_i²) at every N (SMLD convention s = σ); "
             "Euler–Maruyama of the VE SDE is only first order [02].", _x("smld.forward_step"))],
    ("smld_iter", "reverse"): [
        Item("ve.ancestral", "ancestral step (SMLD)", "exact mean; first order (weak) for the reverse SDE",
             "The posterior q(x_{i−1} | x_i, x̂_0) at Tweedie's x̂_0; shares its mean with reverse diffusion, with a smaller "
             "noise variance [06].", _x("ve.ancestral")),
        Item("ve.reverse_diffusion", "reverse-diffusion predictor (VE)", "first order",
             "Same mean as the ancestral step, noise variance σ_i² − σ_{i−1}² instead of σ_{i−1}²(σ_i² − σ_{i−1}²)/σ_i²: "
             "the gap (σ_i² − σ_{i−1}²)²/σ_i² is O(Δt²) [06].",
             ("consistent", 1, "ve.ancestral")),
        Item("smld.annealed_step", "annealed Langevin step size (Song & Ermon Alg. 1)", "corrector only",
             "SMLD's own sampler: at each level σ_i, Langevin steps x ← x + α_i/2 s + √α_i z. It is the VE "
             "predictor–corrector sampler with no predictor; each level is exact only as α → 0 (bias α/(4v)) [07].",
             _x("smld.annealed_step"))],
}

#: seed 002's cells: (row, column) -> (expected verdicts per formula, note on how it differs)
SEED_NOTES: Dict[Tuple[str, str], Tuple[Sequence[Tuple[str, Optional[int]]], str]] = {
    ("sde", "forward"): ([("exact", None)],
                         "Same formula. The label 伊藤公式 ('Itô's formula') is a misnomer: this is an Itô SDE; Itô's formula is "
                         "the chain rule for functions of x_t (it is what derives the moment ODEs in [03])."),
    ("sde", "reverse"): ([("inconsistent", None)],
                         "Right drift, but written with dw: the reverse SDE runs backwards in time (dt < 0) with a "
                         "reverse-time Brownian motion dw̄, and the score needs its time argument, ∇log p_t(x) "
                         "(s_θ(x_t) ≈ it). As written the verifier calls it inconsistent (noise term); read with dw̄ it is exact."),
    ("ddpm_diff", "forward"): ([("ill-defined", None)],
                               "The 'F' in d(Fx), Fβ(t)Fx(t) and √(Fβ(t)) means nothing (ill-defined as written); with it "
                               "dropped the cell is the VP SDE (exact under that reading)."),
    ("ddpm_diff", "reverse"): ([("ill-defined", None)],
                               "Stray 'F' again. ε_0 must be the predicted noise ε_θ(x_t, t) (score = −ε_θ/√(1 − ᾱ(t))), not fresh "
                               "noise, and ᾱ_i is discrete notation inside a continuous equation: read as ᾱ(t) = e^{−∫β} it is "
                               "the reverse VP SDE exactly."),
    ("ddpm_iter", "forward"): ([("exact", None)], "Same formula (ε_i is fresh N(0, I) noise)."),
    ("ddpm_iter", "reverse"): ([("exact", None), ("consistent", 1)],
                               "The two alternatives joined by 或 ('or') are not the same step. The first is Ho et al.'s ancestral "
                               "step with σ_i² = β_i (exact mean E[x_{i−1} | x_i]); the second is the reverse-diffusion predictor, "
                               "which agrees with it only to first order in β_i (coefficients 2 − √(1−β) vs 1/√(1−β) and β vs "
                               "β/√(1−β) differ at O(β²)). Both are first-order samplers of the reverse VP SDE [06]."),
    ("smld_diff", "forward"): ([("ill-defined", None)],
                               "Stray 'F' inside d[Fσ(t)²]/dt (ill-defined as written); dropped, it is the VE SDE."),
    ("smld_diff", "reverse"): ([("ill-defined", None)],
                               "Stray 'F' (in d[Fσ²]/dt and s_θ(Fx(t))); dropped, it is the reverse VE SDE with the score "
                               "s_θ(x, t)."),
    ("smld_iter", "forward"): ([("exact", None)], "Same formula."),
    ("smld_iter", "reverse"): ([("consistent", 1)],
                               "This is the reverse-diffusion predictor for VE (Song et al. 2021, Eq. 47): first order, not the "
                               "exact ancestral step (whose noise variance is σ_{i−1}²(σ_i² − σ_{i−1}²)/σ_i²). Nor is it SMLD's own "
                               "sampler, which is annealed Langevin dynamics (Song & Ermon 2019, Alg. 1) [07]."),
}


def _deriv_link(key: str, rel: str) -> str:
    return f"[{key}]({rel}derivations/{TOPICS[key][1]})"


def _cite(text: str, rel: str) -> str:
    """Turn [NN] / [NN, MM] / [NN (..)] references into links to the derivation scripts."""
    import re

    def repl(m):
        inner = m.group(1)
        return "[" + re.sub(r"\b(\d\d)\b", lambda k: _deriv_link(k.group(1), rel) if k.group(1) in TOPICS else k.group(1),
                            inner) + "]"

    return re.sub(r"\[(\d\d[^\]]*)\]", repl, text)


def _math(latex: str) -> str:
    return "$" + " ".join(latex.split()).replace("|", r"\vert ") + "$"


def _cell(text: str) -> str:
    """Plain text inside a markdown table cell: escape the column separator."""
    return text.replace("|", "\\|")


def _stable(detail: str) -> str:
    """Sort the '; '-separated terms after 'leading error:' (the verifier lists them in hash order)."""
    key = "leading error: "
    if key not in detail:
        return detail
    head, rest = detail.split(key, 1)
    body, sep, tail = rest.partition(". ")
    return head + key + "; ".join(sorted(body.split("; "))) + sep + tail


def _verdict_str(v) -> str:
    s = v.verdict
    if v.order is not None:
        s += f" (order {v.order})"
    if v.target:
        s += f" vs `{v.target}`"
    return s


def _seed_cells() -> Dict[Tuple[str, str], list]:
    from ..formulas.tables import find_formulas

    row_of = {seed: key for key, _, seed in ROWS}
    col_of = {seed: key for key, _, seed in COLUMNS}
    cells: Dict[Tuple[str, str], list] = {}
    for f in find_formulas(SEED_002_TABLE):
        cells.setdefault((row_of[f.row], col_of[f.column]), []).append(f)
    return cells


def build(rel: str = "../") -> str:
    """The unified table as markdown. ``rel`` is the path from the output folder to the repository root."""
    from ..formulas.check import verify_formula
    from ..formulas.registry import REGISTRY, run_ties

    names = [it.entry for items in CELLS.values() for it in items]
    missing = [n for n in names if n not in REGISTRY]
    if missing:
        raise ValueError(f"registry entries missing: {', '.join(missing)}")
    ties = {n: (ok, detail) for n, ok, detail in run_ties(names)}
    seed = _seed_cells()
    mismatches: List[str] = []

    def readback(it: Item) -> Tuple[str, bool]:
        vs = verify_formula(REGISTRY[it.entry].latex, numeric=False)
        got = [(v.verdict, v.order, v.target) for v in vs]
        ok = got == [it.expect]
        if not ok:
            mismatches.append(f"{it.entry}: read back as {got}, expected {it.expect}")
        return ("; ".join(_verdict_str(v) for v in vs), ok)

    checks: Dict[str, Tuple[str, bool]] = {it.entry: readback(it) for items in CELLS.values() for it in items}

    out: List[str] = []
    w = out.append
    w("# The unified table, rebuilt from the registry and machine-checked")
    w("")
    w("<!-- Generated by `scoresde derive --out docs/` (scoresde/teach/table.py). Do not edit by hand. -->")
    w("")
    w("Seed 002 (a textbook chapter) tabulates DDPM, SMLD and their SDEs in one table: rows SDE / DDPM / SMLD × "
      "differential equation / iteration, columns forward / reverse. This is that table rebuilt from the formula "
      "registry of `scoresde verify` (`scoresde/formulas/registry.py`): every formula below is a registry entry, "
      "cited, tied to the code that implements it, and read back by the verifier. Numbers in brackets link to the "
      f"executable derivations that prove and measure each status ([learn the unified view]({rel}docs/learn.md)).")
    w("")
    w("Status words: **exact** — identical to its continuous or exact counterpart; **first order** — a "
      "discretisation whose one-step error is O(Δt²) (global O(Δt)); **exact mean** — the one-step conditional "
      "mean is exact with the exact score, the variance is not.")
    w("")
    w("## At a glance")
    w("")
    w("| | forward | reverse |")
    w("|---|---|---|")
    for rk, rlabel, _ in ROWS:
        cols = []
        for ck, _, _ in COLUMNS:
            parts = [f"{_math(REGISTRY[it.entry].latex)}<br>*{_cell(it.role)}* — **{_cell(it.status)}**" for it in CELLS[(rk, ck)]]
            cols.append("<br><br>".join(parts))
        w(f"| **{rlabel}** | " + " | ".join(cols) + " |")
    w("")
    w("## Cell by cell")
    for rk, rlabel, _ in ROWS:
        for ck, clabel, _ in COLUMNS:
            w("")
            w(f"### {rlabel} — {clabel}")
            w("")
            w("| formula | status | source | tied to the code | verifier |")
            w("|---|---|---|---|---|")
            for it in CELLS[(rk, ck)]:
                e = REGISTRY[it.entry]
                tie_ok, _ = ties[it.entry]
                rb, rb_ok = checks[it.entry]
                flag = "" if rb_ok else " **MISMATCH**"
                w(f"| {_math(e.latex)}<br>`{e.name}`: {_cell(it.role)} | **{_cell(it.status)}**. {_cite(_cell(it.why), rel)} | "
                  f"{_cell(e.source)} | {_cell(e.relation)} — tie {'passes' if tie_ok else '**FAILS**'} | "
                  f"reads back as {rb}{flag} |")
            w("")
            exp, note = SEED_NOTES[(rk, ck)]
            fs = seed.get((rk, ck), [])
            w("**Seed 002 writes:**")
            w("")
            for j, f in enumerate(fs):
                vs = verify_formula(f.latex, column=f.column, numeric=False)
                v = vs[0]
                got = (v.verdict, v.order)
                want = exp[j] if j < len(exp) else None
                flag = ""
                if len(vs) != 1 or got != want:
                    flag = f" **MISMATCH** (this table expects {want})"
                    mismatches.append(f"seed 002 {rk}/{ck} #{j + 1}: {got}, expected {want}")
                alt = f" ({f.alternative})" if f.alternative else ""
                w(f"- {_math(f.latex)}{alt} — verifier: **{_verdict_str(v)}**{flag}. {_stable(v.detail)}")
                for n in sorted(v.notes):  # the verifier collects them in hash order
                    w(f"  - reading: {n}")
            w("")
            w(f"**Where it differs:** {_cite(note, rel)}")
    w("")
    w("## How this page is checked")
    w("")
    w("- `tests/test_derivations.py` regenerates this file and compares it with the committed copy, and fails on "
      "any MISMATCH flag (a registry entry or a seed cell whose verdict is not the one stated here).")
    w(f"- Every derivation [01]–[11] runs in the test suite (fast mode) and fails when one of its checks fails; "
      f"run them all with `scoresde derive` or one with `python derivations/NN_*.py`.")
    w("- The ties are the registry's own numeric checks against the package (`scoresde verify --builtin`).")
    text = "\n".join(out) + "\n"
    text = text.replace("[01]–[11]", f"[{_deriv_link('01', rel)}]–[{_deriv_link('11', rel)}]")
    if mismatches:
        text += "\n<!-- MISMATCH: " + " | ".join(mismatches) + " -->\n"
    return text


def write(out_dir: Path, rel: Optional[str] = None) -> Path:
    """Write ``out_dir/unified_table.md`` atomically; ``rel`` defaults to the path from out_dir to the repo root."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if rel is None:
        root = Path(__file__).resolve().parents[2]
        try:
            rel = os.path.relpath(root, out_dir.resolve()).replace(os.sep, "/") + "/"
        except ValueError:  # different drives (Windows)
            rel = "../"
        if rel == "./":
            rel = ""
    text = build(rel)
    path = out_dir / "unified_table.md"
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".md", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        publish(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
