"""Output of ``scoresde compare``: results.csv, results.json, report.md and the PNG plots.

Every file is written atomically (:func:`scoresde.train.checkpoint.atomic_write_bytes`: a temporary
file in the same folder, fsync, then ``os.replace``). Under ``torchrun`` only rank 0 writes.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Dict, List, Optional, Sequence

from ..train.checkpoint import atomic_write_bytes
from . import RECORD_KEYS, CompareResult
from .plots import make_plots
from .tables import (_fmt, _table, definitions_table, final_step_rows, fit_order, model_error_rows, order_table,
                     ranking_statements, summary_table)

#: the file names written into the output folder
FILES = ("results.csv", "results.json", "report.md", "error_vs_nfe.png", "trajectories.png",
         "seconds_per_step.png")

# ============================================================================ files
def check_out_dir(out: str, overwrite: bool) -> None:
    """Refuse a ``out`` that is a file, or an existing non-empty folder unless ``overwrite`` (no writes)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out: {out!r} exists and is not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise ValueError(f"--out: folder {out!r} exists and is not empty; pass --overwrite to replace its results")


def prepare_out_dir(out: str, overwrite: bool) -> None:
    """Create ``out``; refuse an existing non-empty folder unless ``overwrite``."""
    check_out_dir(out, overwrite)
    os.makedirs(out, exist_ok=True)


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def to_json_text(res: CompareResult) -> str:
    return json.dumps(_jsonable(res.to_json()), indent=1)


def to_csv_text(records: Sequence[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(RECORD_KEYS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in RECORD_KEYS})
    return buf.getvalue()


def write_outputs(res: CompareResult, out: str, overwrite: bool = False, json_file: Optional[str] = None) -> List[str]:
    """Write every output file into ``out`` (see :data:`FILES`); return their paths."""
    prepare_out_dir(out, overwrite)
    paths = []

    def put(name: str, data: bytes) -> None:
        p = os.path.join(out, name)
        atomic_write_bytes(p, data)
        paths.append(p)

    put("results.csv", to_csv_text(res.records).encode())
    js = to_json_text(res)
    put("results.json", js.encode())
    figs = make_plots(res)
    for name, png in figs.items():
        put(name, png)
    put("report.md", report_markdown(res, figs).encode())
    if json_file:
        if json_file == "-":
            print(js)
        else:
            atomic_write_bytes(json_file, js.encode())
    return paths


# ============================================================================ report.md
def _processes(w: int) -> str:
    if w <= 1:
        return "1"
    return (f"{w} (torchrun): fixed-step runs split over the processes by sample index, adaptive and peer "
            "samplers run whole on rank 0; a run's wall_s is the time until all its blocks were gathered")


def report_markdown(res: CompareResult, figs: Dict[str, bytes]) -> str:
    m = res.meta
    fl = next(iter(res.floors.values()))
    L = [f"# scoresde compare: {m['problem']}", ""]
    L += [f"{m['problem_description']}. Score: {m['score']}. Samplers compared at equal NFE (score evaluations per "
          "sample path: a Heun step costs 2, a predictor-corrector step with one Langevin step costs 2; dopri5 "
          "spends what its tolerance needs, and its actual NFE is what is plotted).", ""]
    L += ["| setting | value |", "|---|---|"]
    for k, v in (("SDEs", ", ".join(f"{s['name']} ({', '.join(f'{a}={b}' for a, b in s.items() if a != 'name')})" for s in m["sdes"])),
                 ("time grid", ", ".join(f"{k}: {v}" for k, v in m["grid"].items())), ("NFE", ", ".join(map(str, m["nfe"]))),
                 ("samples per run", m["n"]), ("truth", m.get("truth", "exact mixture samples")),
                 ("MMD samples", f"{m['n_mmd']} (RBF bandwidth {_fmt(m['mmd_bandwidth'])}, median heuristic on the truth sample)"),
                 ("sliced W2 directions", m["n_proj"]), ("seed", m["seed"]), ("state dtype", m["dtype"]),
                 ("device", m["device"]), ("machine", m["machine"]), ("scoresde", m["version"]),
                 ("reference", m["reference"]), ("processes", _processes(m.get("processes", 1))),
                 ("wall time", f"{m['wall_s']:.1f} s")):
        L.append(f"| {k} | {v} |")
    L += ["", "## Samplers", "", "Every sampler in this report, defined (x0_hat = (x + s^2 score)/m; (m, s) at t, "
          "(m1, s1) at the next grid time; a, b: the discrete twin's step; lambda = log(m/s)):", "",
          definitions_table(res), ""]
    L += ["## Summary", "", summary_table(res, markdown=True), ""]
    L += _flips_table(res)
    L += _model_error_section(res)
    L += _digits_section(res)
    L += ["## Noise floors", "",
          f"The same estimator applied to independent samples of the truth of the same size ({m['floor_repeats']} "
          "repeats; exact draws, or real training-split draws against the held-out data): a value at or below "
          "`upper` (mean + 2 sd) is indistinguishable from perfect sampling at this n and is marked `~` in the "
          "tables (column `within_floor` of results.csv). Endpoint RMSE has no sampling noise (same x_T as the "
          "reference); its floor is the reference's own error (below), which is why it can rank the "
          "deterministic samplers where sliced W2 cannot.", "",
          "| metric | floor mean | sd | upper |", "|---|---|---|---|"]
    for k, label in (("sw2", "sliced W2"), ("mmd2", f"MMD^2 (n={m['n_mmd']})"), ("tv", "mode-weight TV"),
                     ("mean_z", "per-mode mean error (RMS z)"), ("cov_z", "per-mode covariance error (RMS z)"),
                     ("fd", "Frechet distance (digit classifier), real vs real")):
        if k in fl:
            f = fl[k]
            L.append(f"| {label} | {_fmt(f['mean'])} | {_fmt(f['std'])} | {_fmt(f['upper'])} |")
    for r in res.references:
        if r.get("ref_error") is not None:
            L.append(f"| endpoint RMSE, {r['sde']} (reference error: solves at tol and 100 tol) | "
                     f"{_fmt(r['ref_error'])} | - | {_fmt(3 * r['ref_error'])} |")
    L += ["", "## Error vs NFE", "", "![error vs NFE](error_vs_nfe.png)", ""]
    orows = order_table(res)
    if orows:
        L += ["## Measured orders", "",
              "Slope p of error ~ NFE^-p (NFE spent) over the upper half of the NFE range, from at least three "
              "NFE points above 3x the noise floor; with fewer there is no estimate and the note says so. "
              "`rmse`: endpoint RMSE on this problem (deterministic samplers, strong/global order). "
              "`sqrt KL`: exact output moments on Gaussian data (no sampling noise; weak order for the "
              "stochastic samplers). `sw2`: sliced W2 where it stands above its floor.", "",
              "| SDE | sampler | declared | rmse | sqrt KL | sw2 | note |", "|---|---|---|---|---|---|---|"]
        for o in orows:
            L.append(f"| {o['sde']} | {o['sampler']} | {_fmt(o['declared'])} | {_fmt(o['rmse_slope'])} | "
                     f"{_fmt(o['sqrt_kl_slope'])} | {_fmt(o['sw2_slope'])} | {o['note'][:160]} |")
        L.append("")
    if any(n.startswith("samples_") for n in figs):
        L += ["## Samples vs the true density", ""]
    for name in figs:
        if name.startswith("samples_"):
            L += [f"![{name}]({name})", ""]
    if "trajectories.png" in figs:
        L += ["## Reverse SDE vs probability-flow ODE", "",
              "Same starting points x_T: the SDE paths wander (fresh noise each step) and land anywhere in the "
              "mode their path drifts into; the PF-ODE paths are smooth and deterministic.", "",
              "![trajectories](trajectories.png)", ""]
    L += _final_step_section(res, figs)
    L += ["## Seconds per step", "", "![seconds per step](seconds_per_step.png)", ""]
    fails = [r for r in res.records if r["status"] != "ok"]
    warns = [r for r in res.records if r.get("warning")]
    L += ["## Skipped, failed and rounded runs", ""]
    if not (res.skipped or fails or warns):
        L.append("None.")
    for s in res.skipped:
        L.append(f"- skipped {s['sampler']} on {s['sde']}: {s['reason']}")
    for r in fails:
        L.append(f"- FAILED {r['sampler']} on {r['sde']} at NFE {r['nfe_requested']}: {r['warning']}")
    for r in warns:
        if r["status"] == "ok":
            L.append(f"- {r['sde']}: {r['warning']}")
    L += ["", "All records (every metric): `results.csv`, `results.json`.", ""]
    return "\n".join(L)


def _model_error_section(res: CompareResult) -> List[str]:
    rows = model_error_rows(res)
    if not rows:
        return []
    return ["## Model error and sampler error, apart", "",
            "Model error: the network's PF-ODE endpoint (DOP853, high accuracy) against the exact score's, from "
            "the same x_T -- no sampler involved. Sampler error: each sampler's endpoint against the network's own "
            "high-accuracy endpoint (the summary's `rmse`). A sampler error far below the model error means "
            "more NFE cannot help; sliced W2 of the two references shows what the model error does to the "
            "distribution.", "",
            _table(["SDE", "model RMSE", "model mode flips", "network ref. sW2", "exact ref. sW2",
                    "best sampler error (RMSE vs network ref.)"], rows, True), ""]


def _digits_section(res: CompareResult) -> List[str]:
    d = res.meta.get("digits")
    if not d:
        return []
    L = ["## Digit metrics: can the sample rank the samplers?", "",
         f"Frechet distance and confidence from the offline digit classifier (held-out accuracy "
         f"{d['classifier_accuracy']:.3f}), on n_eval = {d['n_eval']} samples per run, with bootstrap standard "
         "errors. Two samplers are ranked only when their FD differ by more than 2 combined standard errors:", ""]
    L += [f"- {s}" for s in ranking_statements(res, "fd")] + [""]
    return L


def _flips_table(res: CompareResult) -> List[str]:
    """Mode flips of the deterministic samplers (samples in another component than the reference)."""
    nfes = res.meta["nfe"]
    body = []
    for sde in [s["name"] for s in res.meta["sdes"]]:
        names = list(dict.fromkeys(r["sampler"] for r in res.records if r["sde"] == sde and r.get("deterministic")))
        for name in names:
            rr = {r["nfe_requested"]: r for r in res.records if r["sde"] == sde and r["sampler"] == name}
            body.append([sde, name] + [_fmt(rr[n].get("mode_flips")) if n in rr else "-" for n in nfes])
    if not body:
        return []
    return ["", _table(["SDE", "sampler"] + [f"NFE {n}" for n in nfes], body, True,
                       f"Mode flips: samples (of {res.meta['n']}) that land in another mixture component than "
                       "the reference from the same x_T"), ""]


def _final_step_section(res: CompareResult, figs) -> List[str]:
    refs = [r for r in res.references if r.get("t_end") == 0.0]
    if not refs:
        return []
    L = ["## The final step from eps to 0", "",
         "Fixed-step samplers stop at t = eps, where a sample still carries noise of level sigma(eps) = s/m. "
         "In EDM variables the PF-ODE reads dx~/dsigma = -sigma S (S = m * score, smooth in sigma^2), so "
         "x~(0) = x~(sigma) + sigma^2/2 S + O(sigma^4): stopping at eps leaves an error O(sigma(eps)^2) that "
         "more steps cannot remove -- a floor under every fixed-step second-order sampler once the target "
         "is the data at t = 0. A last step to 0 helps only if it is accurate there: Tweedie's denoiser "
         "(`denoise=True` in `sample()`) and DPM-Solver's x0-prediction final step are Euler steps in sigma "
         "and over-shoot by sigma^2/2 |S| (same order as the floor); Heun's Euler fallback on a grid that "
         "ends at 0 is an Euler step in t, where the solution is smooth (sigma^2 is proportional to t near "
         "0), so it gets below the floor; the second-order final step x0 = (x + s^2/2 * score)/m "
         "(`scoresde.compare.final_step`, one evaluation) cancels the sigma^2 term and leaves O(sigma^4). "
         "Errors below are against a DOP853 PF-ODE reference integrated to t = 0.", "",
         "| SDE | sigma(eps) | floor = RMSE(x(eps), x(0)) |", "|---|---|---|"]
    for r in refs:
        L.append(f"| {r['sde']} | {_fmt(r['sigma_eps'])} | {_fmt(r['floor_rmse_eps_to_0'])} |")
    rows = final_step_rows(res)
    samplers = [s for s in ("heun", "dpmpp_2m") if any(r["sampler"] == s for r in rows)]
    variants = ["stop at eps", "+ Tweedie step", "grid ends at 0", "+ 2nd-order final step"]
    nfes = res.meta["nfe"]
    for sde in dict.fromkeys(r["sde"] for r in rows):
        for s in samplers:
            head = ["variant"] + [f"NFE~{n}" for n in nfes]
            body = []
            for v in variants:
                sel = sorted((r["nfe"], r["rmse_t0"]) for r in rows if r["sde"] == sde and r["sampler"] == s and r["variant"] == v)
                if sel:
                    body.append([v] + [f"{_fmt(e)} ({k})" for k, e in sel])
            if body:
                L += ["", _table(head, body, True, f"{sde} / {s}: RMSE vs x(0) (NFE spent in brackets)")]
    if "final_step.png" in figs:
        L += ["![final step](final_step.png)", ""]
    return L


__all__ = ["write_outputs", "prepare_out_dir", "summary_table", "report_markdown", "make_plots", "fit_order",
           "order_table", "to_csv_text", "to_json_text", "FILES"]

