"""`scoresde compare`: equal-NFE accounting, the fast exact score, the final step, the CLI end to end."""
from __future__ import annotations

import csv
import json
import os
import warnings

import pytest
import torch

from scoresde import compare as C
from scoresde import grids
from scoresde.cli import _Parser
from scoresde.cli.compare import add_parser
from scoresde.compare_report import RECORD_KEYS, fit_order
from scoresde.integrators import pf_ode_scipy
from scoresde.metrics import endpoint_rmse
from scoresde.problems import get_problem


def _parser():
    p = _Parser(prog="scoresde")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    add_parser(sub)
    return p


def _cli(argv):
    """Run like scoresde.cli.main does: ValueError -> one line, exit code 2."""
    args = _parser().parse_args(["compare"] + argv)
    try:
        return args.func(args), ""
    except ValueError as e:
        return 2, str(e)


# ---------------------------------------------------------------- the exact score, fast
@pytest.mark.parametrize("problem", ["gmm2d", "gmm64d", "gaussian"])
@pytest.mark.parametrize("sde_name", ["vp", "ve", "subvp"])
def test_mixture_score_equals_the_reference_score(problem, sde_name):
    prob = get_problem(problem)
    sde = prob.sde(sde_name)
    fast = prob.mixture.score_fn(sde)
    g = torch.Generator().manual_seed(0)
    for t in (sde.eps, 0.01, 0.3, sde.T):
        x = prob.mixture.sample_t(sde, t, 64, g)
        tt = torch.full((64,), t, dtype=torch.float64)
        want = prob.mixture.score(x, sde, tt)
        assert torch.allclose(fast(x, tt), want, rtol=1e-10, atol=1e-10 * float(want.abs().max()))
    # mixed times fall back to the reference implementation
    tt = torch.linspace(sde.eps, sde.T, 64, dtype=torch.float64)
    x = prob.mixture.sample(64, g)
    assert torch.allclose(fast(x, tt), prob.mixture.score(x, sde, tt), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- NFE accounting
def test_realise_nfe_rounds_with_a_warning():
    assert C.realise_nfe("heun", 2, 20) == (10, 20, "")
    steps, real, msg = C.realise_nfe("heun", 2, 25)
    assert (steps, real) in ((12, 24), (13, 26)) and "rounded" in msg and "NFE 25" in msg
    assert C.realise_nfe("pc", 2, 1)[:2] == (1, 2)
    with pytest.raises(ValueError):
        C.realise_nfe("none", 0, 10)


def _tiny(sdes=("vp",), samplers=None, nfes=(4, 7), **kw):
    prob = get_problem(kw.pop("problem", "gmm2d"))
    kw.setdefault("n", 64)
    kw.setdefault("orders", False)
    kw.setdefault("final_step_study", False)
    kw.setdefault("floor_repeats", 2)
    kw.setdefault("progress", False)
    samplers = samplers or list(C.SAMPLERS)
    with warnings.catch_warnings():  # NFE roundings warn; the records are checked instead
        warnings.simplefilter("ignore", UserWarning)
        return C.compare(prob, [prob.sde(s) for s in sdes], [C.SAMPLERS[s] for s in samplers], nfes, **kw)


def test_equal_nfe_accounting_for_every_sampler():
    res = _tiny(sdes=("vp", "ve"), nfes=(4, 7), n=32)
    seen = set()
    for r in res.records:
        assert r["status"] == "ok", r
        spec = C.SAMPLERS[r["sampler"]]
        seen.add(r["sampler"])
        if spec.adaptive:
            assert r["nfe"] >= 1 and r["tol"] is not None
            continue
        # counted == declared == the realised budget; a rounded budget says so in the record
        assert r["nfe"] == r["nfe_declared"]
        sde = get_problem("gmm2d").sde(r["sde"])
        p, c = spec.steps_for(sde, grids.uniform(sde, 2))
        per = C.nfe_per_step(p, c)
        # steps are fitted to the declared NFE (multistep start-up and restart passes included): never
        # more than the request (or its rounding to whole steps), unless one step already costs more
        _, rounded, _ = C.realise_nfe(r["sampler"], per, r["nfe_requested"])
        assert r["nfe"] <= max(r["nfe_requested"], rounded) or r["steps"] == 1
        if r["nfe"] != r["nfe_requested"]:
            assert r["warning"] and str(r["nfe_requested"]) in r["warning"]
        else:
            assert "rounded" not in r["warning"]
    assert seen == set(C.SAMPLERS)  # ald runs on VE only
    heun = [r for r in res.records if r["sampler"] == "heun" and r["nfe_requested"] == 4]
    assert all(r["steps"] == 2 for r in heun)


def test_unsupported_pairs_are_skipped_with_the_reason():
    res = _tiny(sdes=("vp",), samplers=["ald", "heun"], nfes=(4,))
    assert [s["sampler"] for s in res.skipped] == ["ald"]
    assert "variance-exploding" in res.skipped[0]["reason"]
    assert {r["sampler"] for r in res.records} == {"heun"}


def test_records_carry_metrics_floors_and_provenance():
    res = _tiny(samplers=["heun", "euler_maruyama", "dopri5"], nfes=(8,), n=200)
    fl = res.floors["gmm2d"]
    for k in ("sw2", "mmd2", "tv", "mean_z", "cov_z"):
        assert set(fl[k]) >= {"mean", "std", "upper"} and fl[k]["std"] >= 0
    by = {r["sampler"]: r for r in res.records}
    assert by["heun"]["rmse"] > 0 and by["heun"]["mode_flips"] >= 0 and by["heun"]["deterministic"]
    assert by["euler_maruyama"]["rmse"] is None and by["euler_maruyama"]["sw2"] > 0
    for r in res.records:
        for k in ("problem", "sde", "sampler", "nfe_requested", "nfe", "wall_s", "device", "seed", "version", "grid"):
            assert r[k] is not None, k
        assert set(C.RECORD_KEYS) <= set(r)


def test_seed_fixes_the_results():
    a = _tiny(samplers=["euler_maruyama", "heun"], nfes=(5,), seed=3)
    b = _tiny(samplers=["euler_maruyama", "heun"], nfes=(5,), seed=3)
    for ra, rb in zip(a.records, b.records):
        assert ra["sw2"] == rb["sw2"] and ra["rmse"] == rb["rmse"]


def test_gaussian_problem_reports_exact_kl_for_affine_samplers():
    res = _tiny(problem="gaussian", samplers=["ddim", "pc"], nfes=(4, 16), n=100)
    ddim = sorted((r for r in res.records if r["sampler"] == "ddim"), key=lambda r: r["nfe"])
    assert ddim[1]["kl_disc"] < ddim[0]["kl_disc"] and ddim[0]["kl"] > 0
    pc = [r for r in res.records if r["sampler"] == "pc"]
    # Langevin's default step is x-independent (rule="sigma", issue 14): PC is affine and gets its exact KL;
    # the per-sample SNR rule (rule="snr") is refused by the moments tool (tests/test_orders.py)
    assert all(r["kl"] is not None and r["kl"] > 0 for r in pc)


def test_order_study_measures_declared_orders():
    prob = get_problem("gaussian")
    rows = C._order_study(prob, [prob.sde("vp")], [C.SAMPLERS["ode_euler"], C.SAMPLERS["heun"]],
                          [40, 80, 160, 320], None)
    for name, order in (("ode_euler", 1.0), ("heun", 2.0)):
        pts = [(r["nfe"], r["kl_disc"] ** 0.5) for r in rows if r["sampler"] == name]
        assert fit_order(*zip(*pts)) == pytest.approx(order, abs=0.2)


# ---------------------------------------------------------------- the final step
def test_second_order_final_step_gets_below_the_eps_floor():
    prob = get_problem("gmm2d")
    sde = prob.sde("vp")
    score = prob.mixture.score_fn(sde)
    x_T = sde.prior_std * torch.randn(100, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x_eps = pf_ode_scipy(sde, score, x_T).x
    x_0 = pf_ode_scipy(sde, score, x_T, t_end=0.0).x
    floor = endpoint_rmse(x_eps, x_0)
    tweedie = endpoint_rmse(C.final_step(sde, score, x_eps, sde.eps, "tweedie"), x_0)
    second = endpoint_rmse(C.final_step(sde, score, x_eps, sde.eps, "second_order"), x_0)
    assert floor > 1e-4  # sigma(eps)^2 |S| / 2 with sigma(eps) ~ 0.01
    assert tweedie > 0.2 * floor  # the Euler step in sigma: same order as the floor
    assert second < 1e-3 * floor  # O(sigma^4)
    with pytest.raises(ValueError, match="kind"):
        C.final_step(sde, score, x_eps, sde.eps, "third")


# ---------------------------------------------------------------- CLI end to end
def test_cli_end_to_end_tiny(tmp_path, capsys):
    out = tmp_path / "cmp"
    js = tmp_path / "r.json"
    rc, err = _cli(["--sde", "vp,ve", "--samplers", "heun,euler_maruyama,ald,dopri5", "--nfe", "6,3",
                    "--n", "60", "--out", str(out), "--json", str(js), "--seed", "1"])
    assert rc == 0, err
    text = capsys.readouterr().out
    assert "heun" in text and "NFE 3" in text and "skipped: ald on vp" in text
    files = sorted(os.listdir(out))
    for f in ("results.csv", "results.json", "report.md", "error_vs_nfe.png", "samples_vp.png", "samples_ve.png",
              "trajectories.png", "seconds_per_step.png", "final_step.png"):
        assert f in files
        assert (out / f).stat().st_size > 0
    for f in files:
        if f.endswith(".png"):
            assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / f).stat().st_size > 5000
    data = json.loads((out / "results.json").read_text())
    assert json.loads(js.read_text()) == data
    assert set(data) == {"meta", "records", "skipped", "floors", "final_step", "orders", "references", "samplers",
                         "model_error"}
    for k in ("problem", "sdes", "samplers", "nfe", "n", "seed", "device", "version", "machine", "grid", "wall_s"):
        assert k in data["meta"]
    assert data["meta"]["nfe"] == [3, 6]
    assert len(data["records"]) == 2 * 3 * 2 + 1 * 2  # heun/em/dopri5 x 2 SDEs x 2 NFEs + ald on ve
    for r in data["records"]:
        assert set(RECORD_KEYS) <= set(r)
    assert data["skipped"][0]["sampler"] == "ald" and data["skipped"][0]["sde"] == "vp"
    assert data["floors"]["gmm2d"]["sw2"]["mean"] > 0
    heun3 = [r for r in data["records"] if r["sampler"] == "heun" and r["nfe_requested"] == 3]
    assert heun3 and all(r["nfe"] in (2, 4) and "rounded" in r["warning"] for r in heun3)
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == len(data["records"]) and list(rows[0]) == list(RECORD_KEYS)
    report = (out / "report.md").read_text()
    for s in ("## Summary", "## Noise floors", "error_vs_nfe.png", "samples_vp.png", "trajectories.png",
              "## The final step from eps to 0", "seconds_per_step.png", "skipped ald on vp"):
        assert s in report


def test_cli_refuses_to_overwrite(tmp_path):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    rc, err = _cli(["--nfe", "2", "--n", "20", "--samplers", "ode_euler", "--sde", "vp", "--out", str(out)])
    assert rc == 2 and "--overwrite" in err and (out / "keep.txt").read_text() == "x"
    assert sorted(os.listdir(out)) == ["keep.txt"]


@pytest.mark.parametrize("argv,needle", [
    (["--samplers", "heun,rk9"], "--samplers: unknown sampler 'rk9'; valid: euler_maruyama"),
    (["--sde", "vp,xx"], "--sde: unknown SDE 'xx'; valid: vp"),
    (["--problem", "mnist"], "--problem: unknown problem 'mnist'; valid: gmm2d"),
    (["--nfe", "10,abc"], "--nfe: 'abc' is not an integer"),
    (["--nfe", "0"], "--nfe: NFE must be >= 1"),
    (["--n", "3"], "--n must be >= 10"),
    (["--device", "tpu"], "--device: unknown device 'tpu'; valid: auto, cpu, cuda"),
    (["--grid", "cosine"], "--grid: unknown grid 'cosine'"),
    (["--score", "/nonexistent/run"], "--score: give 'exact' or a training run folder"),
])
def test_cli_bad_input_is_one_line_naming_the_option(tmp_path, argv, needle):
    rc, err = _cli(argv + ["--out", str(tmp_path / "o")])
    assert rc == 2 and needle in err and "\n" not in err
    assert not (tmp_path / "o").exists() or not os.listdir(tmp_path / "o")


def test_score_folder_that_is_not_a_run_is_rejected(tmp_path):
    run = tmp_path / "notarun"
    run.mkdir()
    rc, err = _cli(["--score", str(run), "--out", str(tmp_path / "o")])
    assert rc == 2 and err.startswith("--score:")


def test_cli_with_a_trained_run(tmp_path, capsys):
    train = pytest.importorskip("scoresde.train.loop")
    from scoresde.train.config import Config

    run = tmp_path / "run"
    cfg = Config().replace({"data.name": "gmm2d", "sde.name": "vp", "train.steps": 4, "train.batch_size": 64,
                            "train.device": "cpu"})
    train.train(cfg, str(run), progress=False)
    out = tmp_path / "cmp"
    rc, err = _cli(["--score", str(run), "--samplers", "ddim,euler_maruyama", "--nfe", "4", "--n", "50",
                    "--out", str(out)])
    assert rc == 0, err
    data = json.loads((out / "results.json").read_text())
    assert data["meta"]["score"].startswith("trained run") and data["meta"]["dtype"] == "float32"
    assert [s["name"] for s in data["meta"]["sdes"]] == ["vp"]
    assert {r["sampler"] for r in data["records"]} == {"ddim", "euler_maruyama"}
    assert all(r["status"] == "ok" and r["nfe"] == 4 for r in data["records"])
    assert data["final_step"] == [] and data["orders"] == []
    rc, err = _cli(["--score", str(run), "--sde", "ve", "--out", str(tmp_path / "o2")])
    assert rc == 2 and "--sde" in err
