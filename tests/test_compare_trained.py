"""compare on trained networks (no exact truth needed), through --score RUN and --model, and the pieces
of the report issue 14 asked for (sampler definitions, noise-floor flags, orders from >= 3 points, adaptive NFE)."""
from __future__ import annotations

import json
import warnings

import pytest
import torch

from scoresde import compare as C
from scoresde.cli import main
from scoresde.compare.tables import fit_order_note
from scoresde.problems import get_problem


def _train(path, data, **over):
    loop = pytest.importorskip("scoresde.train.loop")
    from scoresde.train.config import Config

    cfg = Config().replace({"data.name": data, "sde.name": "vp", "train.steps": 3, "train.batch_size": 32,
                            "train.device": "cpu", **over})
    loop.train(cfg, str(path), progress=False)
    return path


def test_model_error_and_sampler_error_are_measured_apart():
    """A 'model' with a known error (the exact score of a wider mixture) on gmm2d: the model error is the gap
    between the two PF-ODE endpoints, the sampler error is measured against the model's own endpoint."""
    prob = get_problem("gmm2d")
    from scoresde.analytic import GaussianMixture

    mix = prob.mixture
    wrong = GaussianMixture(mix.weights, mix.means, mix.stds * 1.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = C.compare(prob, [prob.sde("vp")], [C.SAMPLERS["heun"], C.SAMPLERS["ddim"]], [8, 16, 32], n=64,
                        score=lambda sde: wrong.score_fn(sde), score_label="wider mixture", dtype=torch.float64,
                        floor_repeats=2, progress=False)
    (m,) = res.model_error
    heun = sorted((r for r in res.records if r["sampler"] == "heun"), key=lambda r: r["nfe"])
    assert heun[-1]["rmse"] < 0.2 * m["model_rmse"]  # sampler error well below the model error
    assert heun[-1]["rmse"] < heun[0]["rmse"]
    assert m["network_reference_sw2"] > 0 and m["exact_reference_sw2"] > 0 and m["model_mode_flips"] >= 0
    from scoresde.compare.report import report_markdown

    assert "## Model error and sampler error, apart" in report_markdown(res, {})


@pytest.mark.slow
def test_trained_gmm2d_report_shows_model_error_and_sampler_error_apart(tmp_path, capsys):
    run = _train(tmp_path / "run", "gmm2d", **{"model.hidden": 32, "model.depth": 2})
    out = tmp_path / "cmp"
    rc = main(["compare", "--score", str(run), "--samplers", "ddim,heun,euler_maruyama", "--nfe", "4,8,16",
               "--n", "64", "--out", str(out)])
    assert rc == 0
    data = json.loads((out / "results.json").read_text())
    (m,) = data["model_error"]
    assert m["sde"] == "vp" and m["model_rmse"] > 0 and m["reference_error"] >= 0
    # the sampler error is measured against the network's own reference: it shrinks with NFE
    heun = sorted((r for r in data["records"] if r["sampler"] == "heun"), key=lambda r: r["nfe"])
    assert heun[-1]["rmse"] < heun[0]["rmse"]
    report = (out / "report.md").read_text()
    assert "## Model error and sampler error, apart" in report and "## Samplers" in report
    assert "`heun`" in report and "Karras et al. 2022" in report


def test_digits_model_is_compared_against_real_data_with_bootstrap_errors():
    """No exact truth: a Gaussian fit of the digits (its exact score is a cheap stand-in for a network)."""
    pytest.importorskip("sklearn")
    from scoresde.analytic import GaussianMixture
    from scoresde.compare import Target
    from scoresde.train.data import load_dataset

    data = load_dataset("digits")
    x = data.x.double().reshape(len(data), -1)
    fit = GaussianMixture(torch.ones(1), x.mean(0, keepdim=True), x.std(0, keepdim=True) + 1e-3,
                          event_shape=data.shape)
    target = Target.from_dataset(data)
    sde = get_problem("gmm2d").sde("vp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = C.compare(target, [sde], [C.SAMPLERS["ddim"], C.SAMPLERS["euler_maruyama"]], [2, 4], n=32,
                        score=lambda s: fit.score_fn(s), score_label="gaussian fit", floor_repeats=2,
                        digits_epochs=1, progress=False)
    assert not res.meta["exact_truth"] and res.meta["digits"]["n_eval"] == 32
    fl = res.floors["digits"]
    assert "fd" in fl and "sw2" in fl and "tv" not in fl  # no mixture: no mode metrics
    for r in res.records:
        assert r["fd"] > 0 and r["fd_se"] > 0 and 0 < r["confidence"] <= 1 and r["confidence_se"] >= 0
        assert r["tv"] is None and r["kl"] is None
    ddim = [r for r in res.records if r["sampler"] == "ddim"]
    assert all(r["rmse"] is not None for r in ddim)  # against the network's own PF-ODE
    from scoresde.compare.tables import ranking_statements

    lines = ranking_statements(res)
    assert len(lines) == 2 and all(("too small to rank" in s) or ("ranks first" in s) for s in lines)


@pytest.mark.slow
def test_trained_digits_run_cli(tmp_path):
    pytest.importorskip("sklearn")
    run = _train(tmp_path / "d", "digits", **{"model.channels": 8, "model.channel_mult": [1],
                                               "model.num_res_blocks": 1})
    out = tmp_path / "o"
    assert main(["compare", "--score", str(run), "--samplers", "ddim,euler_maruyama", "--nfe", "2,4,8",
                 "--n", "64", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "## Digit metrics: can the sample rank the samplers?" in report and "fd" in report


@pytest.mark.slow
def test_model_folder_compare_cli(tmp_path):
    D = pytest.importorskip("diffusers")
    torch.manual_seed(0)
    unet = D.UNet2DModel(sample_size=4, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(4, 8),
                         down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"),
                         norm_num_groups=4)
    with torch.no_grad():  # v = 0: a smooth (linear) PF-ODE, so the reference solve is cheap
        unet.conv_out.weight.zero_()
        unet.conv_out.bias.zero_()
    unet.save_pretrained(tmp_path / "m" / "unet")
    D.DDPMScheduler(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction").save_pretrained(
        tmp_path / "m" / "scheduler")
    out = tmp_path / "o"
    rc = main(["compare", "--model", f"diffusers:{tmp_path / 'm'}", "--samplers", "ddim,dpmpp_2m,euler_maruyama",
               "--nfe", "3,6", "--n", "10", "--out", str(out)])
    assert rc == 0
    data = json.loads((out / "results.json").read_text())
    assert data["meta"]["sdes"][0]["name"] == "vp-table" and not data["meta"]["exact_truth"]
    det = [r for r in data["records"] if r["deterministic"]]
    assert det and all(r["rmse"] is not None for r in det)
    assert all(r["rmse"] is None and r["sw2"] is None for r in data["records"] if not r["deterministic"])
    assert main(["compare", "--model", f"diffusers:{tmp_path / 'nope'}", "--out", str(tmp_path / "o2")]) == 2


def test_orders_need_three_points_and_say_so():
    p, note = fit_order_note([10, 20], [1e-2, 2.5e-3])
    assert p is None and "needs >= 3" in note
    p, note = fit_order_note([10, 20, 40, 80], [1e-2, 2.5e-3, 6.25e-4, 1.6e-4])
    assert p == pytest.approx(2.0, abs=0.02) and "points" in note
    p, note = fit_order_note([10, 20, 40], [1e-2, 1e-3, 1e-3], floor=1e-3)
    assert p is None and "above 3x the noise floor" in note


def test_adaptive_tolerance_grows_tighter_with_the_requested_nfe():
    prob = get_problem("gmm2d")
    sde = prob.sde("vp")
    x = sde.prior_std * torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    tol = C.Tolerances(sde, prob.mixture.score_fn(sde), x, "dopri5")
    picks = [tol(k) for k in (10, 20, 50, 100)]
    tols = [p[0] for p in picks]
    nfes = [p[1] for p in picks]
    assert tols == sorted(tols, reverse=True) and nfes == sorted(nfes)
    assert nfes[1] >= 20 and nfes[0] == tol.min_nfe  # below its minimum spend: the loosest tolerance


def test_within_floor_flags_and_registry_helper():
    spec = C.from_predictor("ddim", name="ddim_copy")
    assert spec.name == "ddim_copy" and spec.deterministic and spec.order == 1.0 and "Eq. 12" in spec.source
    assert C.resolve("ode_euler") is C.SAMPLERS["ode_euler"]
    prob = get_problem("gmm2d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = C.compare(prob, [prob.sde("vp")], [C.SAMPLERS["heun"], C.SAMPLERS["ancestral"]], [200], n=200,
                        orders=False, final_step_study=False, floor_repeats=3, progress=False)
    fl = res.floors["gmm2d"]
    for r in res.records:
        flagged = set(filter(None, r["within_floor"].split(";")))
        for k in ("sw2", "mmd2", "tv"):
            assert (k in flagged) == (r[k] <= fl[k]["upper"])
    anc = next(r for r in res.records if r["sampler"] == "ancestral")
    assert "sw2" in anc["within_floor"]  # 200 ancestral steps on gmm2d: indistinguishable from exact at n = 200
