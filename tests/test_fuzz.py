"""Seeded sampler fuzz: random extreme-but-valid SDEs x grids x predictors x correctors x dtypes.

Every run must end in one of three ways (issue 17, "nothing silent"):
* finite samples;
* a ValueError raised by scoresde itself (not bubbling up from ``math`` or torch) before any work;
* a FloatingPointError naming the step and the time (``step i (t = ...)``).
Anything else -- a non-finite result returned silently, or any other exception (``math domain error``,
a c10 overflow, a TypeError) -- is a failure. The slow test runs 600 configurations; the default suite
runs 30 of the same generator.
"""
from __future__ import annotations

import math
import os
import inspect
import random
import re
import traceback

import pytest
import torch

from scoresde import VESDE, VPSDE, GaussianMixture, subVPSDE
from scoresde import grids as G
from scoresde.sampler import sample
from scoresde.solvers import CORRECTORS, PREDICTORS

_PKG = os.path.dirname(os.path.abspath(G.__file__))
_MIX = GaussianMixture([0.3, 0.7], [[-2.0, 1.0], [1.5, -0.5]], [[0.5, 0.2], [1.0, 0.7]])
_FPE = re.compile(r"step \d+ \(t = [^)]+\)")


def _lu(r: random.Random, lo: float, hi: float) -> float:
    return 10.0 ** r.uniform(math.log10(lo), math.log10(hi))


def random_sde(r: random.Random):
    """An SDE from the ranges of tests/test_validation.py's hypothesis families (None if rejected)."""
    fam = r.choice(["vp", "subvp", "cosine", "ve", "default"])
    T = _lu(r, 1e-4, 1e4)
    eps = T * r.uniform(1e-9, 0.999)
    try:
        if fam == "default":
            return r.choice([VPSDE(), subVPSDE(), VPSDE.cosine(), VESDE(), VESDE(sigma_max=300.0)])
        if fam in ("vp", "subvp"):
            bmin = r.choice([0.0, _lu(r, 1e-8, 1e8)])
            return (VPSDE if fam == "vp" else subVPSDE)(bmin, bmin + _lu(r, 1e-8, 1e8), T=T, eps=eps)
        if fam == "cosine":
            T = r.uniform(1e-4, 1 - 1e-12)
            return VPSDE.cosine(_lu(r, 1e-8, 1e8), T=T, eps=T * r.uniform(1e-9, 0.999))
        smin = _lu(r, 1e-140, 1e6)
        smax = min(smin * (1 + _lu(r, 1e-8, 1e12)), 1e150)
        return VESDE(smin, smax, marginal=r.choice(["exact", "smld"]), T=T, eps=eps)
    except ValueError:
        return None


def random_config(r: random.Random) -> dict:
    sde = None
    while sde is None:
        sde = random_sde(r)
    corr = None
    if r.random() < 0.3:
        name = r.choice(list(CORRECTORS))
        k = r.randint(1, 2)  # draw it either way, so the stream does not depend on the corrector's signature
        corr = CORRECTORS[name](n_steps=k) if "n_steps" in inspect.signature(CORRECTORS[name]).parameters else CORRECTORS[name]()
    pred = r.choice([p for p in PREDICTORS if p != "none" or corr is not None])
    return dict(sde=sde, grid=r.choice(list(G.GRIDS)), steps=r.randint(1, 25), predictor=PREDICTORS[pred](),
                corrector=corr, dtype=r.choice([torch.float32, torch.float32, torch.float64, torch.float16, torch.bfloat16]),
                denoise=r.random() < 0.5, batch=r.randint(1, 6), seed=r.randint(0, 2**31))


def run_config(cfg: dict) -> str:
    """'ok', 'rejected' or 'stopped' (the clear outcomes); raises AssertionError on anything else."""
    sde = cfg["sde"]
    what = f"{cfg['predictor']!r}+{cfg['corrector']!r} on {sde!r}, grid {cfg['grid']}({cfg['steps']}), {cfg['dtype']}"
    try:
        grid = G.GRIDS[cfg["grid"]](sde, cfg["steps"])
    except ValueError as e:  # a grid the library cannot build must say so...
        assert re.match(r"(steps|rho)\b", str(e)), f"unclear grid error {e!r} [{what}]"
        return "rejected"
    try:  # ...and one it builds must pass its own check
        G.validate(grid, sde)
    except ValueError as e:
        raise AssertionError(f"the library's {cfg['grid']} grid fails its own check: {e} [{what}]") from None
    try:
        res = sample(sde, _MIX.score_fn(sde), (cfg["batch"], 2), predictor=cfg["predictor"], corrector=cfg["corrector"],
                     grid=grid, denoise=cfg["denoise"], seed=cfg["seed"], dtype=cfg["dtype"])
    except ValueError as e:
        origin = traceback.extract_tb(e.__traceback__)[-1].filename
        assert os.path.abspath(origin).startswith(_PKG), f"ValueError from outside scoresde ({origin}): {e} [{what}]"
        assert len(str(e)) > 15 and "domain error" not in str(e), f"unclear ValueError {e!r} [{what}]"
        return "rejected"
    except FloatingPointError as e:
        assert _FPE.search(str(e)), f"FloatingPointError without step and time: {e} [{what}]"
        return "stopped"
    except Exception as e:  # noqa: BLE001 - every other exception is the failure being tested for
        raise AssertionError(f"unclear error {type(e).__name__}: {e} [{what}]") from e
    assert res.x.dtype == cfg["dtype"] and tuple(res.x.shape) == (cfg["batch"], 2), what
    assert bool(torch.isfinite(res.x).all()), f"silent non-finite samples [{what}]"
    return "ok"


def fuzz(n: int, seed: int) -> dict:
    r = random.Random(seed)
    counts = {"ok": 0, "rejected": 0, "stopped": 0}
    failures = []
    for _ in range(n):
        cfg = random_config(r)
        try:
            counts[run_config(cfg)] += 1
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, f"{len(failures)} of {n} configurations failed:\n" + "\n".join(failures[:20])
    return counts


def test_fuzz_samplers_quick():
    counts = fuzz(30, seed=17)
    assert counts["ok"] >= 10, counts  # most random configurations really sample


@pytest.mark.slow
def test_fuzz_samplers_600():
    counts = fuzz(600, seed=2017)
    print("fuzz(600):", counts)
    assert counts["ok"] >= 300, counts
