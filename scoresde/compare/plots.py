"""Figures of the compare report (PNG bytes by file name)."""
from __future__ import annotations

import io
import math
from typing import Dict, Sequence

import torch

from .samplers import SAMPLERS
from . import CompareResult  # noqa: F401 (annotations)
from .tables import _fmt, _main_metric, _ok, final_step_rows

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
        if pd.get("kind", "points") == "points" and any(k[0] == sde for k in pd.get("samples", {})):
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
    cols = ["rmse"] + [k for k in ("sw2", "fd") if k in fl] + (["kl"] if has_kl else [])
    det_of = {d["name"]: bool(d["deterministic"]) for d in res.samplers}
    titles = {"rmse": "endpoint RMSE vs reference\n(deterministic samplers)",
              "fd": "Frechet distance (digit classifier)\nvs training split",
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
                det = det_of.get(name, True)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=_MARK[det], ms=3.5, lw=1.3,
                        ls="-" if det else "--", color=col[name], label=name)
                xs_all += [p[0] for p in pts]
                ys_all += [p[1] for p in pts]
            if metric in ("sw2", "mmd2", "fd"):
                f = fl[metric]
                lo = max(f["mean"] - 2 * f["std"], 1e-12) if metric != "mmd2" else 1e-12
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
    handles = {}
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
    from ..analytic import GaussianMixture

    m2 = GaussianMixture(mix.weights, mix.means[:, :2], mix.stds[:, :2])
    g = torch.linspace(-lim, lim, k, dtype=torch.float64)
    X, Y = torch.meshgrid(g, g, indexing="xy")
    lp = m2.log_prob(torch.stack([X.reshape(-1), Y.reshape(-1)], 1)).reshape(k, k)
    return X.numpy(), Y.numpy(), lp.numpy()


def _lim(mix, pts=None) -> float:
    if mix is None:
        return float(pts.reshape(pts.shape[0], -1)[:, :2].abs().max()) * 1.05
    m = mix.means[:, :2]
    s = mix.stds[:, :2]
    return float((m.abs() + 3.5 * s).max())


def _density(ax, mix, lim):
    import numpy as np

    if mix is not None:
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
    lim = _lim(mix, pd["exact"])
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
    dims = " (first two coordinates)" if pd["exact"][0].numel() > 2 else ""
    fig.suptitle(f"{res.meta['problem']} / {sde}: samples vs the true density{dims}; [n] = NFE spent", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def plot_trajectories(res: CompareResult) -> bytes:
    import matplotlib.pyplot as plt

    pd = res.plot_data
    mix = pd["mixture"]
    sdes = list(pd["trajectories"])
    fig, axes = plt.subplots(len(sdes), 3, figsize=(12, 3.9 * len(sdes)), squeeze=False)
    lim = _lim(mix, pd["exact"])
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


