"""Endpoint metrics of deterministic samplers: distance to a high-accuracy PF-ODE solve from the same x_T.

* ``rmse``: endpoint RMSE against scipy DOP853 of the same score's PF-ODE (rtol = atol = 1e-10 for the
  exact score, 1e-6 for a float32 network) from the same x_T to the same end time -- discretisation
  error alone, no sampling noise. Noise floor: the reference's own error, estimated as the RMSE
  between solves at tol and 100 tol divided by 100 (a value below 3x this is flagged).
* ``mode_flips``: samples whose most probable mixture component differs from the reference's (exact targets).
* ``rmse_t0*``: against the reference integrated to t = 0 (exact score only), as is / after a Tweedie
  step / after the second-order final step (:func:`scoresde.compare.run.final_step`).
"""
from __future__ import annotations

import torch

from ... import metrics as M
from .base import Family, MeasureContext, flat64


class EndpointFamily(Family):
    name = "endpoint"
    keys = ("rmse", "mode_flips", "rmse_t0", "rmse_t0_tweedie", "rmse_t0_second_order")
    definitions = {
        "rmse": "endpoint RMSE vs a DOP853 solve of the same score's PF-ODE from the same x_T (deterministic samplers)",
        "mode_flips": "samples that land in another mixture component than the reference",
        "rmse_t0": "endpoint RMSE vs the PF-ODE solution at t = 0",
    }

    def measure(self, ctx: MeasureContext, rec: dict, x) -> None:
        if not ctx.spec.deterministic:
            return
        t_start, t_end = rec.get("t_start"), rec.get("t_end")
        if t_start is None or (t_start == ctx.sde.T and t_end == ctx.sde.eps):
            ref = ctx.ref
        else:
            ref = ctx.reference(t_start, t_end)
            if ref is None:
                rec["warning"] = _join(rec["warning"], f"no endpoint reference at t = {t_end:g} for a network score")
                return
        if ref is None:
            return
        xc = flat64(x)
        rec["rmse"] = M.endpoint_rmse(xc, ref)
        if ctx.ref_error is not None and rec["rmse"] <= 3 * ctx.ref_error:
            rec.setdefault("_flags", []).append("rmse")
        if ctx.target.mixture is not None:
            rec["mode_flips"] = M.mode_flips(ctx.target.mixture, xc, ref)
        if ctx.ref0 is not None and rec.get("steps") is not None and (t_end is None or t_end == ctx.sde.eps):
            from ..run import final_step

            rec["rmse_t0"] = M.endpoint_rmse(xc, ctx.ref0)
            with torch.no_grad():
                for kind in ("tweedie", "second_order"):
                    x0 = final_step(ctx.sde, ctx.score_fn, x, ctx.sde.eps, kind)
                    rec[f"rmse_t0_{kind}"] = M.endpoint_rmse(flat64(x0), ctx.ref0)


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
