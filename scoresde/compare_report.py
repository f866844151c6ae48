"""Output of ``scoresde compare``: results.csv, results.json, report.md and the PNG plots.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from typing import Dict, List, Optional, Sequence

import torch

from .compare import RECORD_KEYS, SAMPLERS, CompareResult

#: the file names written into the output folder
FILES = ("results.csv", "results.json", "report.md", "error_vs_nfe.png", "trajectories.png",
         "seconds_per_step.png")


# ============================================================================ files
def _atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def prepare_out_dir(out: str, overwrite: bool) -> None:
    """Create ``out``; refuse an existing non-empty folder unless ``overwrite``."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out: {out!r} exists and is not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise ValueError(f"--out: folder {out!r} exists and is not empty; pass --overwrite to replace its results")
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
        _atomic_write(p, data)
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
            _atomic_write(json_file, js.encode())
    return paths


# ============================================================================ tables
def _fmt(v, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "nan"
        if v == 0:
            return "0"
        if abs(v) >= 1e4 or abs(v) < 1e-2:
            return f"{v:.{digits}e}"
        return f"{v:.{digits + 1}g}"
    return str(v)


def _ok(records):
    return [r for r in records if r.get("status") == "ok"]


def _main_metric(r: dict) -> tuple:
    """(name, value) of the metric that ranks this record."""
    if r.get("rmse") is not None:
        return "rmse", r["rmse"]
    return "sw2", r.get("sw2")


def summary_table(res: CompareResult, markdown: bool = False) -> str:
    """Per SDE: samplers x NFE, endpoint RMSE for deterministic samplers, sliced W2 otherwise."""
    nfes = res.meta["nfe"]
    fl = next(iter(res.floors.values()))
    out = []
    for sde in [s["name"] for s in res.meta["sdes"]]:
        rows = [r for r in res.records if r["sde"] == sde]
        if not rows:
            continue
        names = list(dict.fromkeys(r["sampler"] for r in rows))
        head = ["sampler", "metric"] + [f"NFE {n}" for n in nfes]
        body = []
        for name in names:
            rr = {r["nfe_requested"]: r for r in rows if r["sampler"] == name}
            first = next(iter(rr.values()))
            metric = "rmse" if first.get("deterministic") else "sw2"
            cells = []
            for n in nfes:
                r = rr.get(n)
                if r is None:
                    cells.append("-")
                elif r["status"] != "ok":
                    cells.append("FAILED")
                else:
                    c = _fmt(r.get(metric))
                    if r.get("nfe") is not None and r["nfe"] != n:
                        c += f" ({r['nfe']})"
                    cells.append(c)
            body.append([name, metric] + cells)
        title = (f"{sde}: endpoint RMSE vs the DOP853 reference (deterministic) / sliced W2 vs exact samples "
                 f"(stochastic; noise floor {_fmt(fl['sw2']['mean'])} +- {_fmt(fl['sw2']['std'])}); "
                 f"(n) = NFE actually spent when it differs")
        out.append(_table(head, body, markdown, title))
    for s in res.skipped:
        out.append(f"skipped: {s['sampler']} on {s['sde']}: {s['reason']}")
    return "\n".join(out)


def _table(head: List[str], body: List[List[str]], markdown: bool, title: str = "") -> str:
    if markdown:
        lines = [f"**{title}**", ""] if title else []
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join("---" for _ in head) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()  # noqa: E731
    lines = [title] if title else []
    lines += [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in body]
    return "\n".join(lines) + "\n"


def fit_order(nfe: Sequence[float], err: Sequence[float], floor: float = 0.0) -> Optional[float]:
    """Measured order p from err ~ C NFE^-p: least-squares slope of log err on log NFE.

    Uses the points with err > 3 floor and keeps the upper half of the NFE range (the
    asymptotic regime; at least 3 points when there are that many above the floor).
    """
    pts = sorted((float(n), float(e)) for n, e in zip(nfe, err)
                 if n and e is not None and math.isfinite(e) and e > 0 and e > 3 * floor)
    if len(pts) < 2:
        return None
    keep = max(3, (len(pts) + 1) // 2)
    pts = pts[-keep:] if len(pts) > keep else pts
    lx = [math.log(p[0]) for p in pts]
    ly = [math.log(p[1]) for p in pts]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    if sxx == 0:
        return None
    return -sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx


def order_table(res: CompareResult) -> List[dict]:
    """Declared vs measured orders: endpoint RMSE slope (deterministic, this problem) and the
    slope of sqrt(KL) from exact moment propagation on Gaussian data (every affine sampler)."""
    fl = next(iter(res.floors.values()))
    rows = []
    for sde in [s["name"] for s in res.meta["sdes"]]:
        names = list(dict.fromkeys(r["sampler"] for r in res.records if r["sde"] == sde))
        for name in names:
            recs = [r for r in _ok(res.records) if r["sde"] == sde and r["sampler"] == name]
            if not recs:
                continue
            spec = SAMPLERS.get(name)
            det = recs[0]["deterministic"]
            p_rmse = fit_order([r["nfe"] for r in recs], [r["rmse"] for r in recs]) if det else None
            p_sw2 = fit_order([r["nfe"] for r in recs], [r["sw2"] for r in recs], fl["sw2"]["upper"])
            kl = [o for o in res.orders if o["sde"] == sde and o["sampler"] == name and o.get("kl_disc") is not None]
            p_kl = fit_order([o["nfe"] for o in kl], [math.sqrt(o["kl_disc"]) for o in kl]) if kl else None
            note = next((o["note"] for o in res.orders if o["sde"] == sde and o["sampler"] == name and o["note"]), "")
            rows.append({"sde": sde, "sampler": name, "declared": spec.order if spec else recs[0].get("order"),
                         "rmse_slope": p_rmse, "sw2_slope": p_sw2, "sqrt_kl_slope": p_kl, "note": note})
    return rows


# ============================================================================ plots
def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _colors(names: Sequence[str]) -> Dict[str, tuple]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    order = list(SAMPLERS) + [n for n in names if n not in SAMPLERS]
    return {n: cmap(order.index(n) % 10) for n in names}


_MARK = {True: "o", False: "s"}


def make_plots(res: CompareResult) -> Dict[str, bytes]:
    """All figures as PNG bytes, by file name."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    figs = {"error_vs_nfe.png": plot_error_vs_nfe(res)}
    pd = res.plot_data
    for sde in [s["name"] for s in res.meta["sdes"]]:
        if any(k[0] == sde for k in pd.get("samples", {})):
            figs[f"samples_{sde}.png"] = plot_samples(res, sde)
    if pd.get("trajectories"):
        figs["trajectories.png"] = plot_trajectories(res)
    figs["seconds_per_step.png"] = plot_seconds(res)
    if res.final_step or any(r.get("rmse_t0") is not None for r in res.records):
        figs["final_step.png"] = plot_final_step(res)
    return figs


def _slope_guides(ax, xs, y0, orders=(1, 2)):
    x0, x1 = min(xs), max(xs)
    for p in orders:
        ax.plot([x0, x1], [y0, y0 * (x1 / x0) ** (-p)], color="0.6", lw=0.8, ls=":")
        ax.text(x1, y0 * (x1 / x0) ** (-p), f" slope -{p}", color="0.45", fontsize=7, va="center")


def _nfe_ticks(ax, nfes) -> None:
    from matplotlib.ticker import NullFormatter

    ax.set_xticks(sorted(set(nfes)))
    ax.set_xticklabels([str(v) for v in sorted(set(nfes))], fontsize=7)
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_error_vs_nfe(res: CompareResult) -> bytes:
    import matplotlib.pyplot as plt

    sdes = [s["name"] for s in res.meta["sdes"]]
    fl = next(iter(res.floors.values()))
    has_kl = bool([o for o in res.orders if o.get("kl_disc") is not None])
    cols = ["rmse", "sw2"] + (["kl"] if has_kl else [])
    titles = {"rmse": "endpoint RMSE vs reference\n(deterministic samplers)",
              "sw2": "sliced W2 vs exact samples", "mmd2": "MMD$^2$ (unbiased) vs exact samples",
              "kl": "$\\sqrt{KL}$ on Gaussian data\n(exact moments, no sampling noise)"}
    names = list(dict.fromkeys(r["sampler"] for r in res.records))
    col = _colors(names)
    fig, axes = plt.subplots(len(sdes), len(cols), figsize=(4.3 * len(cols), 3.6 * len(sdes)), squeeze=False)
    for i, sde in enumerate(sdes):
        for j, metric in enumerate(cols):
            ax = axes[i][j]
            xs_all, ys_all = [], []
            for name in names:
                if metric == "kl":
                    pts = [(o["nfe"], math.sqrt(o["kl_disc"])) for o in res.orders
                           if o["sde"] == sde and o["sampler"] == name and o.get("kl_disc") is not None and o["kl_disc"] > 0]
                else:
                    pts = [(r["nfe"], r[metric]) for r in _ok(res.records)
                           if r["sde"] == sde and r["sampler"] == name and r.get(metric) is not None]
                    if metric == "mmd2":
                        pts = [(x, y) for x, y in pts if y > 0]
                if not pts:
                    continue
                pts.sort()
                det = bool(SAMPLERS[name].deterministic) if name in SAMPLERS else True
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=_MARK[det], ms=3.5, lw=1.3,
                        ls="-" if det else "--", color=col[name], label=name)
                xs_all += [p[0] for p in pts]
                ys_all += [p[1] for p in pts]
            if metric in ("sw2", "mmd2"):
                f = fl[metric]
                lo = max(f["mean"] - 2 * f["std"], 1e-12) if metric == "sw2" else 1e-12
                ax.axhspan(lo, f["upper"], color="0.85", zorder=0)
                ax.axhline(f["upper"] if metric == "mmd2" else f["mean"], color="k", lw=1, ls="-.",
                           label="noise floor" + (" (mean+2sd)" if metric == "mmd2" else " (mean, band +-2sd)"))
            if xs_all and metric in ("rmse", "kl"):
                _slope_guides(ax, xs_all, max(ys_all))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("NFE (score evaluations)")
            ax.set_title(f"{sde}: {titles[metric]}", fontsize=9)
            ax.grid(True, which="major", alpha=0.3)
            if metric == "sw2" and ys_all and max(ys_all) > 30 * fl["sw2"]["mean"]:
                ax.set_ylim(top=30 * fl["sw2"]["mean"])  # diverging samplers would flatten the rest
                ax.text(0.02, 0.97, "clipped: see table", transform=ax.transAxes, fontsize=7, va="top", color="0.4")
            _nfe_ticks(ax, res.meta["nfe"])
    handles, labels = {}, {}
    for ax in axes.flat:
        for h, l in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(l, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=min(6, len(handles)),
               fontsize=8, bbox_to_anchor=(0.5, -0.02 - 0.015 * (len(handles) // 6)))
    fig.suptitle(f"{res.meta['problem']}: error vs NFE (solid: PF-ODE samplers, dashed: stochastic)", y=1.0)
    fig.tight_layout(rect=(0, 0.05, 1, 0.98))
    return _png(fig)


def _density_grid(mix, lim: float, k: int = 160):
    """log p_0 of the first two coordinates on a k x k grid (the marginal of a diagonal mixture)."""
    from .analytic import GaussianMixture

    m2 = GaussianMixture(mix.weights, mix.means[:, :2], mix.stds[:, :2])
    g = torch.linspace(-lim, lim, k, dtype=torch.float64)
    X, Y = torch.meshgrid(g, g, indexing="xy")
    lp = m2.log_prob(torch.stack([X.reshape(-1), Y.reshape(-1)], 1)).reshape(k, k)
    return X.numpy(), Y.numpy(), lp.numpy()


def _lim(mix) -> float:
    m = mix.means[:, :2]
    s = mix.stds[:, :2]
    return float((m.abs() + 3.5 * s).max())


def _density(ax, mix, lim):
    import numpy as np

    X, Y, lp = _density_grid(mix, lim)
    p = np.exp(lp - lp.max())
    ax.contourf(X, Y, p, levels=[0.01, 0.1, 0.3, 0.6, 1.01], cmap="Greys", alpha=0.35)
    ax.contour(X, Y, p, levels=[0.01, 0.3], colors="0.45", linewidths=0.5)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_samples(res: CompareResult, sde: str) -> bytes:
    """Columns: exact samples, then one per sampler; rows: a few NFE budgets."""
    import matplotlib.pyplot as plt

    pd = res.plot_data
    mix = pd["mixture"]
    nfes = pd["plot_nfes"]
    names = list(dict.fromkeys(k[1] for k in pd["samples"] if k[0] == sde))
    names += [r["sampler"] for r in res.records if r["sde"] == sde and r["sampler"] not in names]
    names = list(dict.fromkeys(names))
    lim = _lim(mix)
    recs = {(r["sampler"], r["nfe_requested"]): r for r in res.records if r["sde"] == sde}
    ncol = len(names) + 1
    fig, axes = plt.subplots(len(nfes), ncol, figsize=(1.9 * ncol, 2.05 * len(nfes)), squeeze=False)
    ex = pd["exact"].reshape(pd["exact"].shape[0], -1)
    for i, n in enumerate(nfes):
        ax = axes[i][0]
        _density(ax, mix, lim)
        ax.scatter(ex[:, 0], ex[:, 1], s=0.8, color="tab:green", alpha=0.6, lw=0)
        ax.set_title("exact", fontsize=8)
        ax.set_ylabel(f"NFE {n}", fontsize=9)
        for j, name in enumerate(names, start=1):
            ax = axes[i][j]
            _density(ax, mix, lim)
            x = pd["samples"].get((sde, name, n))
            r = recs.get((name, n))
            if x is not None:
                x = x.reshape(x.shape[0], -1)
                ax.scatter(x[:, 0], x[:, 1], s=0.8, color="tab:blue", alpha=0.6, lw=0)
                metric, v = _main_metric(r) if r else ("", None)
                spent = f" [{r['nfe']}]" if r and r.get("nfe") not in (None, n) else ""
                ax.set_title(f"{name}{spent}\n{metric} {_fmt(v)}", fontsize=7)
            else:
                why = "failed" if r and r["status"] != "ok" else "skipped"
                ax.set_title(f"{name}\n{why}", fontsize=7)
    dims = " (first two coordinates)" if mix.dim > 2 else ""
    fig.suptitle(f"{res.meta['problem']} / {sde}: samples vs the true density{dims}; [n] = NFE spent", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def plot_trajectories(res: CompareResult) -> bytes:
    import matplotlib.pyplot as plt

    pd = res.plot_data
    mix = pd["mixture"]
    sdes = list(pd["trajectories"])
    fig, axes = plt.subplots(len(sdes), 3, figsize=(12, 3.9 * len(sdes)), squeeze=False)
    lim = _lim(mix)
    for i, sde in enumerate(sdes):
        tr = pd["trajectories"][sde]
        t = tr["t"].numpy()
        for j, (label, title) in enumerate((("sde", "reverse SDE (Euler-Maruyama)"), ("ode", "PF-ODE (Heun)"))):
            ax = axes[i][j]
            _density(ax, mix, lim)
            p = tr[label].reshape(tr[label].shape[0], tr[label].shape[1], -1)
            for b in range(p.shape[1]):
                ax.plot(p[:, b, 0], p[:, b, 1], lw=0.7,
                        color=plt.cm.viridis(b / max(1, p.shape[1] - 1)), alpha=0.85)
                ax.plot(p[-1, b, 0], p[-1, b, 1], "o", ms=2.5, color="red")
            ax.set_title(f"{sde}: {title}, {p.shape[1]} paths, {len(t) - 1} steps", fontsize=8)
        ax = axes[i][2]
        for label, ls in (("sde", "-"), ("ode", "--")):
            p = tr[label].reshape(tr[label].shape[0], tr[label].shape[1], -1)
            for b in range(min(8, p.shape[1])):
                ax.plot(t, p[:, b, 0], ls=ls, lw=0.9, color=plt.cm.viridis(b / 7))
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("t (log scale, sampling runs right)")
        ax.set_ylabel("first coordinate")
        ax.set_title(f"{sde}: same starts, SDE (solid) vs PF-ODE (dashed)", fontsize=8)
    fig.suptitle("Reverse SDE vs probability-flow ODE from the same x_T (red: end points)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def plot_seconds(res: CompareResult) -> bytes:
    import matplotlib.pyplot as plt
    import statistics

    sdes = [s["name"] for s in res.meta["sdes"]]
    names = list(dict.fromkeys(r["sampler"] for r in res.records))
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(names) * len(sdes) + 1.6))
    for ax, key, xl in ((axes[0], "s_per_step", "seconds per step (median over NFE)"),
                        (axes[1], "s_per_nfe", "seconds per score evaluation (median over NFE)")):
        labels, vals, colors = [], [], []
        for k, sde in enumerate(sdes):
            for name in names:
                v = [r[key] for r in _ok(res.records) if r["sde"] == sde and r["sampler"] == name and r.get(key)]
                if not v:
                    continue
                labels.append(f"{sde} / {name}")
                vals.append(statistics.median(v) * 1e3)
                colors.append(plt.cm.tab10(k))
        y = list(range(len(labels)))
        ax.barh(y, vals, color=colors)
        ax.set_yticks(y)
        ax.set_yticklabels(labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(xl.replace("seconds", "milliseconds"))
        for yy, v in zip(y, vals):
            ax.text(v, yy, f" {v:.2g}", va="center", fontsize=6)
    fig.suptitle(f"Wall time, n = {res.meta['n']} samples, {res.meta['device']}, {res.meta['dtype']}\n{res.meta['machine']}",
                 fontsize=8)
    fig.tight_layout()
    return _png(fig)


def final_step_rows(res: CompareResult) -> List[dict]:
    """RMSE against the PF-ODE endpoint at t = 0 for every deterministic fixed-step record and variant."""
    rows = []
    for r in _ok(res.records):
        if r.get("rmse_t0") is None or r.get("steps") is None:
            continue
        for v, key, extra in (("stop at eps", "rmse_t0", 0), ("+ Tweedie step", "rmse_t0_tweedie", 1),
                              ("+ 2nd-order final step", "rmse_t0_second_order", 1)):
            rows.append({"sde": r["sde"], "sampler": r["sampler"], "variant": v, "nfe": r["nfe"] + extra,
                         "rmse_t0": r[key]})
    for r in res.final_step:
        rows.append({"sde": r["sde"], "sampler": r["sampler"], "variant": "grid ends at 0", "nfe": r["nfe"],
                     "rmse_t0": r["rmse_t0"]})
    return rows


def plot_final_step(res: CompareResult) -> bytes:
    import matplotlib.pyplot as plt

    rows = final_step_rows(res)
    sdes = list(dict.fromkeys(r["sde"] for r in rows))
    samplers = [s for s in ("heun", "dpmpp_2m") if any(r["sampler"] == s for r in rows)] or \
        list(dict.fromkeys(r["sampler"] for r in rows))[:2]
    variants = ["stop at eps", "+ Tweedie step", "grid ends at 0", "+ 2nd-order final step"]
    styles = dict(zip(variants, [("tab:red", "o"), ("tab:orange", "^"), ("tab:purple", "v"), ("tab:green", "s")]))
    fig, axes = plt.subplots(len(sdes), len(samplers), figsize=(4.6 * len(samplers), 3.6 * len(sdes)), squeeze=False)
    floors = {r["sde"]: r for r in res.references if r.get("t_end") == 0.0}
    for i, sde in enumerate(sdes):
        for j, s in enumerate(samplers):
            ax = axes[i][j]
            for v in variants:
                pts = sorted((r["nfe"], r["rmse_t0"]) for r in rows if r["sde"] == sde and r["sampler"] == s
                             and r["variant"] == v and r["rmse_t0"])
                if pts:
                    c, m = styles[v]
                    ax.plot(*zip(*pts), marker=m, ms=3.5, color=c, label=v)
            f = floors.get(sde)
            if f:
                ax.axhline(f["floor_rmse_eps_to_0"], color="k", ls="-.", lw=1,
                           label=f"|x(eps) - x(0)| = {f['floor_rmse_eps_to_0']:.2g}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("NFE")
            _nfe_ticks(ax, res.meta["nfe"])
            ax.set_title(f"{sde} / {s}: RMSE vs PF-ODE endpoint at t = 0", fontsize=9)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


# ============================================================================ report.md
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
                 ("samples per run", m["n"]), ("MMD samples", f"{m['n_mmd']} (RBF bandwidth {m['mmd_bandwidth']:.3g}, median heuristic on the exact sample)"),
                 ("sliced W2 directions", m["n_proj"]), ("seed", m["seed"]), ("state dtype", m["dtype"]),
                 ("device", m["device"]), ("machine", m["machine"]), ("scoresde", m["version"]),
                 ("reference", m["reference"]), ("wall time", f"{m['wall_s']:.1f} s")):
        L.append(f"| {k} | {v} |")
    L += ["", "## Summary", "", summary_table(res, markdown=True), ""]
    L += _flips_table(res)
    L += ["## Noise floors", "",
          f"The same estimator applied to independent exact samples of the same size ({m['floor_repeats']} repeats): "
          "a sampler at or below `upper` (mean + 2 sd) is indistinguishable from exact sampling at this n. "
          "Endpoint RMSE has no sampling noise (same x_T as the reference), which is why it can rank the "
          "deterministic samplers where sliced W2 cannot.", "",
          "| metric | floor mean | sd | upper |", "|---|---|---|---|"]
    for k, label in (("sw2", "sliced W2"), ("mmd2", f"MMD^2 (n={m['n_mmd']})"), ("tv", "mode-weight TV"),
                     ("mean_z", "per-mode mean error (RMS z)"), ("cov_z", "per-mode covariance error (RMS z)")):
        f = fl[k]
        L.append(f"| {label} | {_fmt(f['mean'])} | {_fmt(f['std'])} | {_fmt(f['upper'])} |")
    L += ["", "## Error vs NFE", "", "![error vs NFE](error_vs_nfe.png)", ""]
    orows = order_table(res)
    if orows:
        L += ["## Measured orders", "",
              "Slope p of error ~ NFE^-p over the upper half of the NFE range (points above 3x the noise floor). "
              "`rmse`: endpoint RMSE on this problem (deterministic samplers, strong/global order). "
              "`sqrt KL`: exact output moments on Gaussian data (no sampling noise; weak order for the "
              "stochastic samplers). `sw2`: sliced W2 where it stands above its floor.", "",
              "| SDE | sampler | declared | rmse | sqrt KL | sw2 | note |", "|---|---|---|---|---|---|---|"]
        for o in orows:
            L.append(f"| {o['sde']} | {o['sampler']} | {_fmt(o['declared'])} | {_fmt(o['rmse_slope'])} | "
                     f"{_fmt(o['sqrt_kl_slope'])} | {_fmt(o['sw2_slope'])} | {o['note'][:90]} |")
        L.append("")
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
