"""Models in: the alpha-bar table SDE, the diffusers / k-diffusion / score_sde / callable adapters."""
from __future__ import annotations

import pytest
import torch

from scoresde import grids, solvers
from scoresde.models import from_callable, load_model
from scoresde.models.kdiffusion import DenoiserScore, sde_denoiser
from scoresde.models.schedule import DiscreteScheduleSDE, conversion_error
from scoresde.models.score_sde import ScoreSdeScore
from scoresde.problems import get_problem
from scoresde.sampler import sample


def _linear_table(N=1000):
    b = torch.linspace(1e-4, 0.02, N, dtype=torch.float64)
    return torch.cumprod(1 - b, 0)


def test_table_sde_hits_the_knots_and_its_hooks_are_consistent():
    sde = DiscreteScheduleSDE(_linear_table())
    err = conversion_error(sde)
    assert err["knot_alpha_bar_max_abs"] < 1e-14
    assert 0 < err["midpoint_log_snr_vs_4pt_cubic_median"] < err["midpoint_log_snr_vs_4pt_cubic_max"] < 0.05
    t = torch.tensor([0.0004, 0.0123, 0.3337, 0.5, 0.9995], dtype=torch.float64, requires_grad=True)
    f, = torch.autograd.grad(sde.log_mean_coeff(t).sum(), t)
    s2, = torch.autograd.grad(sde.marginal_var(t).sum(), t)
    td = t.detach()
    assert torch.allclose(f, sde.drift_coeff(td), rtol=1e-10)
    # C^1: f is continuous across a knot
    k = sde.knots[500]
    assert float(sde.drift_coeff(k - 1e-12) - sde.drift_coeff(k + 1e-12)) == pytest.approx(0.0, abs=1e-6)
    lam = sde.log_snr(torch.linspace(0.001, 1, 5000, dtype=torch.float64))
    assert bool((lam[1:] < lam[:-1]).all())
    assert torch.allclose(s2 - 2 * sde.drift_coeff(td) * sde.marginal_var(td), sde.diffusion_sq(td), rtol=1e-10)
    assert float(sde.marginal_var(torch.tensor(0.0, dtype=torch.float64))) == 0.0
    # the linear-beta table is the continuous VP SDE (beta 0.1..20) up to the O(1/N) chain-vs-SDE gap
    vp = get_problem("gmm2d").sde("vp")
    tt = torch.linspace(0.01, 1, 50, dtype=torch.float64)
    assert float((sde.log_mean_coeff(tt) - vp.log_mean_coeff(tt)).abs().max()) < 0.05
    assert sde.timestep(sde.time_of(torch.tensor(499.0))).item() == pytest.approx(499.0, abs=1e-9)
    with pytest.raises(ValueError, match="decreasing"):
        DiscreteScheduleSDE(torch.tensor([0.5, 0.9]))


def test_denoiser_and_score_sde_adapters_return_the_exact_score():
    prob = get_problem("gmm2d")
    x = prob.mixture.sample(16, torch.Generator().manual_seed(0))
    for name in ("vp", "ve"):
        sde = prob.sde(name)
        exact = prob.mixture.score_fn(sde)
        t = torch.full((16,), 0.3, dtype=torch.float64)
        xt = prob.mixture.sample_t(sde, 0.3, 16, torch.Generator().manual_seed(1))
        want = exact(xt, t)
        # k-diffusion denoiser D(x~, sigma) built from the exact score, and back
        got = DenoiserScore(sde_denoiser(sde, exact), sde)(xt, t)
        assert torch.allclose(got, want, rtol=1e-8, atol=1e-8)
        # score_sde convention: VP nets output eps with labels 999 t; VE nets output the score with labels sigma
        if name == "vp":
            net = lambda x_, lab: -torch.sqrt(sde.marginal_var(lab / 999)) [:, None] * exact(x_, lab / 999)  # noqa: E731
            got = ScoreSdeScore(net, sde, "t999", "eps")(xt, t)
        else:
            net = lambda x_, lab: exact(x_, sde.t_from_noise_level(lab))  # noqa: E731
            got = ScoreSdeScore(net, sde, "sigma", "score")(xt, t)
        assert torch.allclose(got, want, rtol=1e-7, atol=1e-7)
    lm = from_callable(lambda x_, t_: -x_, prob.sde("vp"), (2,), "score")
    assert torch.equal(lm.score_fn()(x, torch.full((16,), 0.5, dtype=torch.float64)), -x)
    with pytest.raises(ValueError, match="--model"):
        load_model("nosuch:thing")


# ---------------------------------------------------------------- diffusers (optional peer)
@pytest.fixture(scope="module")
def tiny_diffusers(tmp_path_factory):
    D = pytest.importorskip("diffusers")
    torch.manual_seed(0)
    unet = D.UNet2DModel(sample_size=8, in_channels=1, out_channels=1, layers_per_block=1,
                         block_out_channels=(8, 16), down_block_types=("DownBlock2D", "DownBlock2D"),
                         up_block_types=("UpBlock2D", "UpBlock2D"), norm_num_groups=4)
    root = tmp_path_factory.mktemp("tinyddpm")
    unet.save_pretrained(root / "unet")
    D.DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear").save_pretrained(root / "scheduler")
    return D, str(root)


def test_diffusers_model_loads_from_a_folder_without_pickle(tiny_diffusers):
    D, root = tiny_diffusers
    import os

    assert any(f.endswith(".safetensors") for f in os.listdir(os.path.join(root, "unet")))
    lm = load_model(f"diffusers:{root}")
    assert lm.shape == (1, 8, 8) and lm.sde.N == 1000 and lm.info["prediction_type"] == "epsilon"
    assert lm.info["conversion_error"]["knot_alpha_bar_max_abs"] < 1e-12
    with pytest.raises(ValueError, match="not a local folder"):
        load_model(f"diffusers:{root}/missing")


def _diffusers_loop(sched, unet, x, steps, gen=None, **kw):
    sched.set_timesteps(steps)
    with torch.no_grad():
        for k in sched.timesteps:
            e = unet(x, k).sample
            x = sched.step(e, k, x, generator=gen, **kw).prev_sample
    return x


def test_diffusers_ddim_equals_scoresde_ddim_on_the_same_grid(tiny_diffusers):
    D, root = tiny_diffusers
    lm = load_model(f"diffusers:{root}")
    sched = D.DDIMScheduler.from_pretrained(root, subfolder="scheduler", timestep_spacing="trailing",
                                            clip_sample=False)
    x_T = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    want = _diffusers_loop(sched, lm.module, x_T.clone(), 10, eta=0.0)
    ks = torch.as_tensor(sched.timesteps, dtype=torch.float64)
    grid = torch.cat([lm.sde.time_of(ks), torch.zeros(1, dtype=torch.float64)])
    got = sample(lm.sde, lm.score_fn(), x_T.shape, predictor=solvers.DDIM(), grid=grid, x_T=x_T).x
    assert torch.allclose(got, want, rtol=1e-4, atol=2e-5), float((got - want).abs().max())


def test_diffusers_ddpm_equals_ancestral_with_shared_noise(tiny_diffusers):
    D, root = tiny_diffusers
    lm = load_model(f"diffusers:{root}")
    sched = D.DDPMScheduler.from_pretrained(root, subfolder="scheduler", timestep_spacing="trailing",
                                            clip_sample=False)
    x_T = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    want = _diffusers_loop(sched, lm.module, x_T.clone(), 10, gen=torch.Generator().manual_seed(5))
    ks = torch.as_tensor(sched.timesteps, dtype=torch.float64)
    grid = torch.cat([lm.sde.time_of(ks), torch.zeros(1, dtype=torch.float64)])
    g = torch.Generator().manual_seed(5)
    z = [torch.randn(x_T.shape, generator=g) for _ in range(len(ks) - 1)]  # diffusers draws none at k = 0

    class Replay:
        def __call__(self, like, stream, step, t, t_next):
            return z[step].to(like)
    got = sample(lm.sde, lm.score_fn(), x_T.shape, predictor=solvers.Ancestral(), grid=grid, x_T=x_T,
                 noise=Replay()).x
    assert torch.allclose(got, want, rtol=1e-4, atol=2e-5), float((got - want).abs().max())


def test_sample_cli_with_a_model_folder(tiny_diffusers, tmp_path):
    import os

    from scoresde.cli import main

    _, root = tiny_diffusers
    out = tmp_path / "s"
    assert main(["sample", "--model", f"diffusers:{root}", "--predictor", "ddim", "--nfe", "5", "--n", "4",
                 "--out", str(out)]) == 0
    assert {"samples.npz", "samples.png"} <= set(os.listdir(out))
    assert main(["sample", "--out", str(tmp_path / "x")]) == 2  # neither --run nor --model


def test_kdiffusion_discrete_eps_denoiser_is_the_same_score():
    """k-diffusion's DiscreteEpsDDPMDenoiser around an eps network, read back as a score on the table SDE."""
    import importlib.util

    if importlib.util.find_spec("k_diffusion") is None:
        pytest.skip("k-diffusion not installed (pip install --no-deps k-diffusion)")
    from scoresde.models.kdiffusion import load_external

    K = load_external()
    table = _linear_table()
    sde = DiscreteScheduleSDE(table)
    exact = get_problem("gmm2d").mixture.score_fn(sde)

    def eps_net(x, k):  # an "eps network" with diffusers/k-diffusion's integer-scale timestep
        t = sde.time_of(k)
        return -torch.sqrt(sde.marginal_var(t))[:, None] * exact(x, t)
    D = K.DiscreteEpsDDPMDenoiser(eps_net, table, quantize=False)
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for k in (3, 250, 999):
        t = torch.full((8,), float(sde.time_of(k)), dtype=torch.float64)
        got = DenoiserScore(D, sde)(x, t)
        assert torch.allclose(got, exact(x, t), rtol=1e-7, atol=1e-7), k


def test_readme_tiny_model_example_writes_a_loadable_folder(tmp_path):
    """examples/make_tiny_diffusers_model.py (used by the README) writes a folder the adapter loads."""
    pytest.importorskip("diffusers")
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "make_tiny_diffusers_model.py"
    spec = importlib.util.spec_from_file_location("make_tiny_diffusers_model", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "tiny"
    assert mod.main([str(out)]) == 0
    lm = load_model(f"diffusers:{out}")
    x = torch.zeros((2,) + tuple(lm.shape))
    s = lm.score_fn()(x, 0.5)
    assert s.shape == x.shape and bool(torch.isfinite(s).all())
    assert mod.main([str(out)]) == 2  # refuses a non-empty folder
