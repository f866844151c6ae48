"""Peers' samplers through the compare adapters, and the identities the three libraries share.

Tolerances: diffusers keeps its alpha_bar table in float32, so diffusers-vs-scoresde agreement is to
float32 round-off (relative 1e-5); k-diffusion and scoresde both run in float64 here (1e-9).
"""
from __future__ import annotations

import pytest
import torch

from scoresde import grids, solvers
from scoresde.compare import resolve
from scoresde.problems import get_problem
from scoresde.sampler import sample


def _kdiffusion():
    """k-diffusion's sampling module (its package __init__ needs heavy extras: load the file, or skip)."""
    import importlib.util

    if importlib.util.find_spec("k_diffusion") is None:
        pytest.skip("k-diffusion not installed (pip install --no-deps k-diffusion)")
    from scoresde.models.kdiffusion import load_sampling

    return load_sampling()


def _setup(n=64):
    prob = get_problem("gmm2d")
    sde = prob.sde("vp")
    score = prob.mixture.score_fn(sde)
    x_T = torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return prob, sde, score, x_T


def _diffusers_grid(spec, sde, steps):
    sched = spec.external.scheduler(sde)
    sched.set_timesteps(steps)
    ks = torch.as_tensor([float(k) for k in sched.timesteps], dtype=torch.float64)
    return torch.cat([(ks + 1) * sde.T / 1000, torch.zeros(1, dtype=torch.float64)])


class _Replay:
    def __init__(self, z):
        self.z = z

    def __call__(self, like, stream, step, t, t_next):
        return self.z[step].to(like)


def test_ddim_eta0_equals_euler_in_sigma_equals_kdiffusion_euler():
    pytest.importorskip("diffusers")
    _kdiffusion()
    _, sde, score, x_T = _setup()
    ddim = resolve("diffusers:DDIMScheduler")
    assert ddim.deterministic and ddim.origin == "diffusers"
    x_d, info = ddim.external(sde, score, x_T, 10, 0, grids.uniform)
    assert info["nfe"] == 10 and info["t_start"] == pytest.approx(sde.T) and info["t_end"] == 0.0
    g = _diffusers_grid(ddim, sde, 10)
    x_s = sample(sde, score, x_T.shape, predictor=solvers.DDIM(), grid=g, x_T=x_T, dtype=torch.float64).x
    kd = resolve("kdiffusion:euler")
    x_k, kinfo = kd.external(sde, score, x_T, 10, 0, lambda s, n: g[:-1])
    assert kinfo["nfe"] == 10
    assert torch.allclose(x_s, x_k, rtol=1e-9, atol=1e-9), float((x_s - x_k).abs().max())
    assert torch.allclose(x_s, x_d, rtol=1e-5, atol=1e-5), float((x_s - x_d).abs().max())
    # and the samplers did something: Euler in t on the same grid is far off
    x_e = sample(sde, score, x_T.shape, predictor=solvers.ODEEuler(), grid=g[:-1], x_T=x_T, dtype=torch.float64).x
    assert float((x_e - x_s).abs().max()) > 1e-2


def test_ddpm_equals_ddim_eta1_equals_ancestral_and_euler_ancestral():
    pytest.importorskip("diffusers")
    _kdiffusion()
    from scoresde.models.kdiffusion import load_sampling, sde_denoiser

    _, sde, score, x_T = _setup()
    ddpm, ddim1 = resolve("diffusers:DDPMScheduler"), resolve("diffusers:DDIMScheduler:eta=1")
    assert not ddpm.deterministic and not ddim1.deterministic
    x_p, _ = ddpm.external(sde, score, x_T, 10, 3, grids.uniform)
    x_1, _ = ddim1.external(sde, score, x_T, 10, 3, grids.uniform)
    # both draw one normal per step from the same generator (DDPM none on the last step, where DDIM's is x 0)
    assert torch.allclose(x_p, x_1, rtol=1e-5, atol=1e-5), float((x_p - x_1).abs().max())
    g = _diffusers_grid(ddpm, sde, 10)
    gen = torch.Generator().manual_seed(3)
    z = [torch.randn(x_T.shape, generator=gen, dtype=torch.float64) for _ in range(len(g) - 1)]
    x_a = sample(sde, score, x_T.shape, predictor=solvers.Ancestral(), grid=g, x_T=x_T, dtype=torch.float64,
                 noise=_Replay(z)).x
    assert torch.allclose(x_a, x_p, rtol=1e-5, atol=1e-5), float((x_a - x_p).abs().max())
    # k-diffusion's Euler ancestral (eta = 1) in x~ = x/m: the same noise, scaled by sigma_up = std/m1
    K = load_sampling()
    it = iter(z)
    sig = sde.noise_level(g)
    x_k = K.sample_euler_ancestral(sde_denoiser(sde, score), x_T / float(torch.exp(sde.log_mean_coeff(g[0]))),
                                   sig, disable=True, eta=1.0, noise_sampler=lambda s, s1: next(it))
    assert torch.allclose(x_k, x_a, rtol=1e-9, atol=1e-9), float((x_k - x_a).abs().max())
    # reverse diffusion on the same grid and noise differs (it agrees with DDPM only to first order in beta)
    x_r = sample(sde, score, x_T.shape, predictor=solvers.ReverseDiffusion(), grid=g[:-1], x_T=x_T,
                 dtype=torch.float64, noise=_Replay(z)).x
    assert float((x_r - x_a).abs().max()) > 1e-3


def test_peer_names_resolve_or_fail_in_one_line():
    pytest.importorskip("diffusers")
    for bad, needle in (("diffusers:NoSuchScheduler", "no scheduler 'NoSuchScheduler'"),
                        ("kdiffusion:nosuch", "no sample_nosuch"), ("kdiffusion:euler:zzz=1", "no option 'zzz'"),
                        ("torch:euler", "unknown source 'torch'"), ("diffusers:DDIMScheduler:eta", "KEY=VALUE"),
                        ("rk9", "unknown sampler 'rk9'")):
        if bad.startswith("kdiffusion"):
            _kdiffusion()
        with pytest.raises(ValueError, match=needle):
            resolve(bad)
    sde = get_problem("gmm2d").sde("ve")
    with pytest.raises(ValueError, match="not variance-preserving"):
        resolve("diffusers:UniPCMultistepScheduler").external.check(sde)


def test_compare_runs_peers_next_to_scoresde_and_counts_their_nfe():
    pytest.importorskip("diffusers")
    _kdiffusion()
    import warnings

    from scoresde import compare as C

    prob = get_problem("gmm2d")
    specs = [resolve(s) for s in ("diffusers:UniPCMultistepScheduler:solver_order=3", "kdiffusion:dpmpp_3m_sde:eta=0",
                                  "diffusers:HeunDiscreteScheduler", "dpmpp_2m", "kdiffusion:dpm_fast")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = C.compare(prob, [prob.sde("vp"), prob.sde("ve")], specs, [10, 40], n=100, orders=False,
                        final_step_study=False, floor_repeats=2, progress=False)
    assert [s["sampler"] for s in res.skipped] == ["diffusers:UniPCMultistepScheduler:solver_order=3",
                                                  "diffusers:HeunDiscreteScheduler"]  # VE: not VP
    by = {(r["sde"], r["sampler"], r["nfe_requested"]): r for r in res.records}
    for nfe in (10, 40):
        u = by[("vp", specs[0].name, nfe)]
        assert u["status"] == "ok" and u["nfe"] == nfe and u["t_end"] == 0.0 and u["rmse"] is not None
        k = by[("vp", specs[1].name, nfe)]
        assert k["nfe"] == nfe and k["rmse"] is not None and k["source"] == "kdiffusion"
        h = by[("vp", specs[2].name, nfe)]
        assert abs(h["nfe"] - nfe) <= 1  # Heun-type: 2 calls per step, 1 on the last
        f = by[("ve", "kdiffusion:dpm_fast", nfe)]
        assert f["nfe"] == nfe and f["t_end"] == pytest.approx(prob.sde("ve").eps) and f["rmse"] is not None
    # measured against the exact PF-ODE over the peer's own interval (T -> 0): the error falls with NFE
    for name in (specs[0].name, specs[1].name):
        assert by[("vp", name, 40)]["rmse"] < 0.25 * by[("vp", name, 10)]["rmse"]
    assert {d["name"] for d in res.samplers} == {s.name for s in specs}
    assert all(d["source"] for d in res.samplers)


def test_cli_runs_peer_samplers_next_to_native_ones(tmp_path, capsys):
    """`scoresde compare --samplers diffusers:...,kdiffusion:...,heun` (the README's command) is accepted by
    the applicability check (peers have no native steps to check) and reports every sampler."""
    pytest.importorskip("diffusers")
    _kdiffusion()
    from scoresde import cli

    out = tmp_path / "cmp"
    code = cli.main(["compare", "--samplers", "diffusers:UniPCMultistepScheduler:solver_order=3,kdiffusion:euler,heun",
                     "--sde", "vp", "--nfe", "10", "--n", "64", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = (out / "report.md").read_text()
    for name in ("diffusers:UniPCMultistepScheduler", "kdiffusion:euler", "heun"):
        assert name in report, name
