"""Tables of the compare report: summary, orders, final step, sampler definitions, model vs sampler error."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from . import CompareResult

#: fewest NFE points an order is fitted from
MIN_ORDER_POINTS = 3


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
    if r.get("fd") is not None:
        return "fd", r["fd"]
    return "sw2", r.get("sw2")


def _rank_metric(res, first: dict) -> str:
    if first.get("deterministic") and any(r.get("rmse") is not None for r in res.records):
        return "rmse"
    if any(r.get("fd") is not None for r in res.records):
        return "fd"
    return "sw2"


def _cell(r: dict, metric: str, n: int) -> str:
    """A value, its bootstrap se if any, '~' when within the metric's noise floor, (spent NFE) if it differs."""
    c = _fmt(r.get(metric))
    if r.get(f"{metric}_se") is not None:
        c += f" +- {_fmt(r[f'{metric}_se'])}"
    if metric in (r.get("within_floor") or "").split(";"):
        c += " ~"
    if r.get("nfe") is not None and r["nfe"] != n:
        c += f" ({r['nfe']})"
    return c


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
            metric = _rank_metric(res, first)
            cells = []
            for n in nfes:
                r = rr.get(n)
                if r is None:
                    cells.append("-")
                elif r["status"] != "ok":
                    cells.append("FAILED")
                else:
                    cells.append(_cell(r, metric, n))
            body.append([name, metric] + cells)
        dist = "Frechet distance of digit-classifier features (fd)" if "fd" in fl else "sliced W2"
        key = "fd" if "fd" in fl else "sw2"
        stoch = (f"{dist} vs {'exact samples' if res.meta.get('exact_truth', True) else 'real data'} (stochastic; "
                 f"noise floor {_fmt(fl[key]['mean'])} +- {_fmt(fl[key]['std'])})" if key in fl else
                 "stochastic samplers unmeasured: no truth to compare with")
        title = (f"{sde}: endpoint RMSE vs the DOP853 reference of the same score (deterministic) / {stoch}; "
                 f"~ = within the metric's noise floor; (n) = NFE actually spent when it differs")
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


def fit_order_note(nfe: Sequence[float], err: Sequence[float], floor: float = 0.0) -> Tuple[Optional[float], str]:
    """Measured order p from err ~ C NFE^-p and a note: least-squares slope of log err on log NFE.

    Uses the points with err > 3 floor at distinct NFE and keeps the upper half of the NFE range (the
    asymptotic regime) but never fewer than :data:`MIN_ORDER_POINTS`; with fewer points above the floor
    there is no estimate, and the note says why.
    """
    pts = {}
    for n, e in zip(nfe, err):
        if n and e is not None and math.isfinite(e) and e > 0 and e > 3 * floor:
            pts[float(n)] = float(e)
    pts = sorted(pts.items())
    if len(pts) < MIN_ORDER_POINTS:
        total = len([1 for n, e in zip(nfe, err) if n and e is not None])
        why = f"{len(pts)} of {total} NFE points above 3x the noise floor" if floor > 0 else f"{len(pts)} NFE points"
        return None, f"no order: {why}; needs >= {MIN_ORDER_POINTS}"
    keep = max(MIN_ORDER_POINTS, (len(pts) + 1) // 2)
    pts = pts[-keep:]
    lx = [math.log(p[0]) for p in pts]
    ly = [math.log(p[1]) for p in pts]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return -sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx, f"{len(pts)} points, NFE {int(pts[0][0])}-{int(pts[-1][0])}"


def fit_order(nfe: Sequence[float], err: Sequence[float], floor: float = 0.0) -> Optional[float]:
    """The order of :func:`fit_order_note` alone (None when it cannot be estimated)."""
    return fit_order_note(nfe, err, floor)[0]


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
            det = recs[0]["deterministic"]
            notes = []
            p_rmse = p_sw2 = p_kl = None
            if det and any(r.get("rmse") is not None for r in recs):
                p_rmse, nt = fit_order_note([r["nfe"] for r in recs], [r["rmse"] for r in recs],
                                            _ref_floor(res, sde))
                notes.append(f"rmse: {nt}")
            if not det and "sw2" in fl and any(r.get("sw2") is not None for r in recs):
                p_sw2, nt = fit_order_note([r["nfe"] for r in recs], [r["sw2"] for r in recs], fl["sw2"]["upper"])
                notes.append(f"sw2: {nt}")
            kl = [o for o in res.orders if o["sde"] == sde and o["sampler"] == name and o.get("kl_disc") is not None]
            if kl:
                p_kl, nt = fit_order_note([o["nfe"] for o in kl], [math.sqrt(o["kl_disc"]) for o in kl])
                notes.append(f"sqrt KL: {nt}")
            note = next((o["note"] for o in res.orders if o["sde"] == sde and o["sampler"] == name and o["note"]), "")
            rows.append({"sde": sde, "sampler": name, "declared": recs[0].get("order"),
                         "rmse_slope": p_rmse, "sw2_slope": p_sw2, "sqrt_kl_slope": p_kl,
                         "note": "; ".join(([note] if note else []) + notes)})
    return rows


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




def _ref_floor(res, sde: str) -> float:
    """The reference error of this SDE's main endpoint reference (0 if unknown)."""
    for r in res.references:
        if r.get("sde") == sde and r.get("ref_error") is not None:
            return float(r["ref_error"])
    return 0.0


def definitions_table(res) -> str:
    """Every sampler the report lists: name, kind, order, formula, source."""
    body = [[f"`{d['name']}`", d["kind"] + ("" if d["origin"] == "scoresde" else f" ({d['origin']})"),
             _fmt(d["order"]), d["formula"] or d["summary"], d["source"]] for d in res.samplers]
    return _table(["sampler", "kind", "order", "formula", "source"], body, True)


def model_error_rows(res) -> List[List[str]]:
    """Model error (network PF-ODE endpoint vs the exact score's) beside the sampler errors at each NFE."""
    body = []
    for m in res.model_error:
        det = [r for r in _ok(res.records) if r["sde"] == m["sde"] and r.get("rmse") is not None]
        best = {}
        for r in det:
            if r["nfe_requested"] not in best or r["rmse"] < best[r["nfe_requested"]][1]:
                best[r["nfe_requested"]] = (r["sampler"], r["rmse"])
        cells = "; ".join(f"NFE {k}: {v[0]} {_fmt(v[1])}" for k, v in sorted(best.items()))
        body.append([m["sde"], _fmt(m["model_rmse"]), _fmt(m["model_mode_flips"]), _fmt(m["network_reference_sw2"]),
                     _fmt(m["exact_reference_sw2"]), cells or "-"])
    return body


def ranking_statements(res, metric: str = "fd") -> List[str]:
    """Per SDE and NFE: can the best two samplers be ranked by ``metric`` given its bootstrap se?"""
    out = []
    for sde in [s["name"] for s in res.meta["sdes"]]:
        for n in res.meta["nfe"]:
            rr = sorted((r for r in _ok(res.records) if r["sde"] == sde and r["nfe_requested"] == n
                         and r.get(metric) is not None), key=lambda r: r[metric])
            if len(rr) < 2:
                continue
            a, b = rr[0], rr[1]
            gap = b[metric] - a[metric]
            se = math.sqrt((a.get(f"{metric}_se") or 0) ** 2 + (b.get(f"{metric}_se") or 0) ** 2)
            if gap > 2 * se:
                out.append(f"{sde}, NFE {n}: {a['sampler']} ranks first ({_fmt(a[metric])} vs {b['sampler']} "
                           f"{_fmt(b[metric])}, gap {_fmt(gap)} > 2 se {_fmt(2 * se)})")
            else:
                out.append(f"{sde}, NFE {n}: the sample is too small to rank {a['sampler']} and {b['sampler']} "
                           f"({_fmt(a[metric])} vs {_fmt(b[metric])}, gap {_fmt(gap)} <= 2 se {_fmt(2 * se)})")
    return out
