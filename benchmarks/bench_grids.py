"""Uniform, log-SNR, Karras, Align-Your-Steps and tuned grids, measured against the exact PF-ODE solution.

For each problem/SDE, deterministic solver and NFE budget: the endpoint RMSE at t = eps against a
scipy DOP853 solution (rtol = atol = 1e-10, float64) from the same x_T, on *test* draws (seed 1)
that the tuning never saw. "tuned" = ``grids.optimize`` on that problem/SDE/solver/NFE (tuning draws:
seed 0); "from gmm2d" = the grid tuned on gmm2d VP with the same solver and NFE, used unchanged on
another problem with the same SDE (the transfer question). Mode flips (endpoint in another mixture
component than the reference's) are counted for the best standard grid and the tuned one.

    python benchmarks/bench_grids.py [--quick] [--out benchmarks]

Writes ``grids_table.md``, ``grids_results.json``, ``grids_rmse.png`` and the tuned grids
(``grids/*.json``) under ``--out``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's scoresde

import torch  # noqa: E402

from scoresde import grid_tuning as GT  # noqa: E402
from scoresde import metrics as M  # noqa: E402
from scoresde import solvers as S  # noqa: E402
from scoresde.problems import get_problem  # noqa: E402

SOLVERS = {"ode_euler": S.ODEEuler, "heun": S.Heun, "ddim": S.DDIM, "dpmpp_2m": S.DPMSolverPP2M}
STANDARD = ("uniform", "log-snr", "karras", "ays")
#: (problem, sde, n test draws, n tuning draws, tuning seconds, tuned on itself)
CASES = [("gmm2d", "vp", 1000, 128, 20.0, True), ("gmm2d", "ve", 1000, 128, 20.0, True),
         ("gmm64d", "vp", 200, 64, 20.0, True), ("gmm2d-sharp", "vp", 1000, 128, 20.0, False)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="NFE 10 only, 2 solvers, short tuning (a smoke run)")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--max-evals", type=int, default=400)
    ap.add_argument("--plot-only", action="store_true", help="redraw the figure from grids_results.json")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    if a.plot_only:
        with open(os.path.join(a.out, "grids_results.json")) as fh:
            _figure(json.load(fh)["rows"], os.path.join(a.out, "grids_rmse.png"))
        return
    nfes = (10,) if a.quick else (10, 20)
    solvers = ("ode_euler", "dpmpp_2m") if a.quick else tuple(SOLVERS)
    os.makedirs(os.path.join(a.out, "grids"), exist_ok=True)
    t_start = time.perf_counter()
    rows, tuned_2d = [], {}
    for pname, sname, n_test, n_tune, budget, self_tune in CASES:
        prob = get_problem(pname)
        sde = prob.sde(sname)
        score = prob.mixture.score_fn(sde)
        shape = (n_test,) + tuple(prob.mixture.means.shape[1:])
        x_T = GT.prior_draws(sde, shape, 1)
        t0 = time.perf_counter()
        ref = GT.reference(sde, score, x_T)
        print(f"[{pname} {sname}] reference for {n_test} test draws: {time.perf_counter() - t0:.1f} s", flush=True)
        for sol in solvers:
            pred = SOLVERS[sol]()
            for nfe in nfes:
                steps = nfe // pred.nfe_per_step
                row = {"problem": pname, "sde": sname, "solver": sol, "nfe": nfe, "steps": steps, "rmse": {}, "flips": {}}
                grids_here = dict(GT.standard_grids(sde, steps))
                if self_tune:
                    tg = GT.optimize(prob, sde, pred, nfe, n=n_tune, seed=0, max_evals=a.max_evals,
                                     time_limit=budget / (4 if a.quick else 1))
                    GT.save(tg, os.path.join(a.out, "grids", f"{tg.name}.json"))
                    grids_here["tuned"] = tg.grid(sde)
                    row["tuning"] = {k: tg.meta[k] for k in ("start", "evals", "seconds", "rmse", "rmse_standard")}
                    if pname == "gmm2d" and sname == "vp":
                        tuned_2d[(sol, nfe)] = tg
                if pname != "gmm2d" and sname == "vp" and (sol, nfe) in tuned_2d:
                    grids_here["from gmm2d"] = tuned_2d[(sol, nfe)].grid(sde)
                for gname, g in grids_here.items():
                    x = _run(sde, score, pred, g, x_T)
                    row["rmse"][gname] = M.endpoint_rmse(x, ref)
                    row["flips"][gname] = M.mode_flips(prob.mixture, x, ref)
                row["grids"] = {k: v.tolist() for k, v in grids_here.items()}
                rows.append(row)
                best = min(STANDARD, key=row["rmse"].get)
                extra = "  ".join(f"{k} {row['rmse'][k]:.3g}" for k in ("tuned", "from gmm2d") if k in row["rmse"])
                print(f"  {sol:9s} NFE {nfe:3d}: best standard {best} {row['rmse'][best]:.3g}  {extra}", flush=True)
    total = time.perf_counter() - t_start
    with open(os.path.join(a.out, "grids_results.json"), "w") as fh:
        json.dump({"rows": rows, "seconds": total}, fh, indent=1)
    table = _table(rows, total)
    with open(os.path.join(a.out, "grids_table.md"), "w") as fh:
        fh.write(table)
    print(table)
    _figure(rows, os.path.join(a.out, "grids_rmse.png"))


def _run(sde, score, pred, grid, x_T):
    from scoresde.sampler import sample

    return sample(sde, score, tuple(x_T.shape), predictor=pred, grid=grid, x_T=x_T, dtype=torch.float64).x


def _fmt(v, best):
    s = f"{v:.3g}"
    return f"**{s}**" if v <= best * (1 + 1e-12) else s


def _table(rows, total):
    cols = list(STANDARD) + ["tuned", "from gmm2d"]
    out = ["| problem | SDE | solver | NFE | " + " | ".join(cols) + " | tuned / best standard | mode flips (best standard, tuned) |",
           "|---|---|---|---:|" + "---:|" * len(cols) + "---:|---|"]
    for r in rows:
        best = min(r["rmse"].values())
        bs = min(STANDARD, key=r["rmse"].get)
        cells = [_fmt(r["rmse"][c], best) if c in r["rmse"] else "-" for c in cols]
        t = r["rmse"].get("tuned", r["rmse"].get("from gmm2d"))
        ratio = f"{t / r['rmse'][bs]:.2f}" if t is not None else "-"
        tk = "tuned" if "tuned" in r["flips"] else "from gmm2d"
        flips = f"{r['flips'][bs]} ({bs}), {r['flips'].get(tk, '-')}"
        out.append(f"| {r['problem']} | {r['sde']} | {r['solver']} | {r['nfe']} | " + " | ".join(cells) + f" | {ratio} | {flips} |")
    out.append("")
    out.append(f"Endpoint RMSE at t = eps on test draws (not the tuning draws); bold = best in the row. Whole run {total:.0f} s.")
    return "\n".join(out) + "\n"


def _figure(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = [(p, s) for p, s, *_ in CASES]
    fig, axes = plt.subplots(1, len(cases) + 1, figsize=(4.2 * (len(cases) + 1), 4.0))
    markers = {"uniform": "o", "log-snr": "s", "karras": "^", "ays": "D", "tuned": "*", "from gmm2d": "P"}
    for ax, (p, s) in zip(axes, cases):
        sub = [r for r in rows if r["problem"] == p and r["sde"] == s]
        short = {"ode_euler": "euler", "heun": "heun", "ddim": "ddim", "dpmpp_2m": "2M"}
        labels = [f"{short.get(r['solver'], r['solver'])}\n{r['nfe']}" for r in sub]
        for g, mk in markers.items():
            ys = [r["rmse"].get(g, float("nan")) for r in sub]
            if all(y != y for y in ys):
                continue
            ax.plot(range(len(sub)), ys, mk, label=g, ms=8 if g in ("tuned", "from gmm2d") else 5, alpha=0.85)
        ax.set_xticks(range(len(sub)))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_yscale("log")
        ax.set_title(f"{p}, {s.upper()}: endpoint RMSE", fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7)
    axes[len(cases) - 1].legend(fontsize=7)
    # the grids themselves (dpmpp_2m, NFE 10, gmm2d VP) in the noise level
    ax = axes[-1]
    r = next((r for r in rows if r["problem"] == "gmm2d" and r["sde"] == "vp" and r["solver"] == "dpmpp_2m" and r["nfe"] == 10), None)
    if r is not None:
        from scoresde.problems import get_problem as gp

        sde = gp("gmm2d").sde("vp")
        for g, mk in markers.items():
            if g in r["grids"]:
                sig = sde.noise_level(torch.tensor(r["grids"][g], dtype=torch.float64))
                ax.plot(range(len(sig)), sig.numpy(), "-" + mk, label=g, ms=4)
        ax.set_yscale("log")
        ax.set_xlabel("step i")
        ax.set_ylabel("sigma_i = s/m")
        ax.set_title("grids for dpmpp_2m, NFE 10 (gmm2d VP)", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
