"""Likelihoods through the PF-ODE, verified against exact densities.

Truth: the Gaussian mixture's exact log p_0 and log p_t (scoresde.analytic), closed forms for
Gaussian data written out here, and the discrete probabilities of a quantised Gaussian (erf).
Error budget of ``likelihood`` (scoresde/likelihood.py): ODE tolerance + prior mismatch + eps
truncation; the tests isolate each one (exact p_T as prior; ``correct_eps`` for the truncation).
"""
from __future__ import annotations

import argparse
import json
import math

import pytest
import torch

from scoresde import CountingScore, GaussianMixture, get_problem
from scoresde.likelihood import (
    bpd_from_logp,
    decode,
    dequantize,
    encode,
    likelihood,
    make_probes,
    score_and_divergence,
)


def _case(problem: str, sde_name: str, n: int, seed: int = 1):
    p = get_problem(problem)
    sde = p.sde(sde_name)
    x = p.mixture.sample(n, torch.Generator().manual_seed(seed))
    exact_prior = lambda z: p.mixture.log_prob(z, sde, sde.T)  # noqa: E731  exact log p_T
    return p.mixture, sde, p.mixture.score_fn(sde), x, exact_prior


# ---------------------------------------------------------------------------- exact mixtures
@pytest.mark.parametrize("problem,n", [("gmm2d", 32), ("gmm64d", 6)])
@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_exact_divergence_matches_mixture_log_density(problem, n, sde_name):
    """log p_0(x) within 1e-3 nats/dim of the exact mixture density (exact divergence, exact p_T).

    The eps truncation is accounted for twice: the uncorrected ODE result is compared with the exact
    log p_eps(x) (ODE error only), and the corrected one (correct_eps) with the exact log p_0(x).
    """
    mix, sde, score, x, prior = _case(problem, sde_name, n)
    D = x[0].numel()
    tol = 1e-7
    raw = likelihood(sde, score, x, rtol=tol, atol=tol, prior_logp=prior)
    cor = likelihood(sde, score, x, rtol=tol, atol=tol, prior_logp=prior, correct_eps=True)
    lp0, lpe = mix.log_prob(x), mix.log_prob(x, sde, sde.eps)
    ode_err = ((raw.logp - lpe).abs() / D).max().item()
    err0 = ((cor.logp - lp0).abs() / D).max().item()
    trunc = ((lpe - lp0).abs() / D).max().item()
    assert ode_err < 1e-5, ode_err
    assert err0 < 1e-3, err0
    # The correction removes the truncation to second order (measured <= 6e-7 nats/dim here).
    assert err0 < 1e-5, (err0, trunc)


def test_truncation_matters_for_vp_and_the_correction_fixes_it():
    """On gmm2d with VP (eps = 1e-3) log p_eps differs from log p_0 by ~1e-3 nats/dim; the second-order
    correction brings the computed value to within 1e-5 of log p_0."""
    mix, sde, score, x, prior = _case("gmm2d", "vp", 32, seed=3)
    lp0, lpe = mix.log_prob(x), mix.log_prob(x, sde, sde.eps)
    assert ((lpe - lp0).abs() / 2).max() > 5e-4
    cor = likelihood(sde, score, x, rtol=1e-7, atol=1e-7, prior_logp=prior, correct_eps=True)
    assert ((cor.logp - lp0).abs() / 2).max() < 1e-5
    assert cor.eps_correction is not None and cor.eps_correction.shape == (32,)


def test_default_prior_is_the_gaussian_and_its_mismatch_is_what_separates_it():
    """With the default N(0, prior_std^2 I) prior the result differs from the exact-prior one by exactly
    log N(z) - log p_T(z) at the same latent (the prior mismatch, reported in docs/likelihood.md)."""
    mix, sde, score, x, prior = _case("gmm2d", "vp", 8)
    a = likelihood(sde, score, x)
    b = likelihood(sde, score, x, prior_logp=prior)
    assert torch.allclose(a.z, b.z, atol=0, rtol=0)
    assert torch.allclose(a.logp - b.logp, sde.prior_logp(a.z) - mix.log_prob(a.z, sde, sde.T), atol=1e-12)
    assert torch.allclose(a.prior_logp, sde.prior_logp(a.z))


# ---------------------------------------------------------------------------- Gaussian data
@pytest.mark.parametrize("sde_name", ["vp", "ve", "subvp"])
def test_gaussian_data_closed_form(sde_name):
    """Gaussian data N(mu, diag(c^2)): p_t = N(m mu, diag(m^2 c^2 + s^2)), the PF-ODE is the linear map
    x_t - m_t mu = sqrt(v_t / v_eps) (x_eps - m_eps mu) (solve d log sqrt(v)/dt = f + g^2/(2v)), and
    int div h dt = 1/2 sum_d log(v_T,d / v_eps,d). Image-shaped (B, 1, 2, 2) to exercise any rank."""
    mu = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)
    c = torch.tensor([0.3, 1.0, 0.7, 2.0], dtype=torch.float64)
    mix = GaussianMixture([1.0], mu[None], c[None], event_shape=(1, 2, 2))
    sde = get_problem("gaussian").sde(sde_name)
    x = mix.sample(16, torch.Generator().manual_seed(4))

    def mv(t):
        tt = torch.tensor(t, dtype=torch.float64)
        m, s2 = torch.exp(sde.log_mean_coeff(tt)), sde.marginal_var(tt)
        return m, m * m * c * c + s2

    def log_normal(y, mean, var):
        y = y.reshape(y.shape[0], -1)
        return (-0.5 * (y - mean) ** 2 / var - 0.5 * torch.log(2 * math.pi * var)).sum(1)

    m_e, v_e = mv(sde.eps)
    m_T, v_T = mv(sde.T)
    res = likelihood(sde, mix.score_fn(sde), x, rtol=1e-8, atol=1e-8, prior_logp=lambda z: log_normal(z, m_T * mu, v_T),
                     bits_per_dim=True)
    z_exact = (m_T * mu + (x.reshape(16, 4) - m_e * mu) * torch.sqrt(v_T / v_e)).reshape(x.shape)
    assert (res.z - z_exact).abs().max() < 1e-5
    assert torch.allclose(res.delta_logp, 0.5 * torch.log(v_T / v_e).sum().expand(16), atol=1e-6, rtol=0)
    assert (res.logp - log_normal(x, m_e * mu, v_e)).abs().max() / 4 < 1e-6
    assert torch.allclose(res.bpd, -res.logp / (4 * math.log(2)) + 7)


def test_standard_normal_data_vp_default_prior_is_exact():
    """N(0, I) data under VP: p_t = N(0, I) for all t, so the default prior is exact, the flow is the
    identity and log p = log N(x; 0, I) in closed form."""
    mix = GaussianMixture([1.0], torch.zeros(1, 3, dtype=torch.float64), torch.ones(1, 3, dtype=torch.float64))
    sde = get_problem("gaussian").sde("vp")
    x = mix.sample(8, torch.Generator().manual_seed(0))
    res = likelihood(sde, mix.score_fn(sde), x)
    assert torch.allclose(res.z, x, atol=1e-10)
    assert torch.allclose(res.logp, -0.5 * (x * x).sum(1) - 1.5 * math.log(2 * math.pi), atol=1e-10)


# ---------------------------------------------------------------------------- Hutchinson
def test_hutchinson_unbiased_and_spread_falls_like_one_over_sqrt_k():
    """Hutchinson-Skilling with fixed probes is unbiased: over R independent probe draws (replicated
    rows) the mean log p is within 3 s.e. of the exact-divergence value for every point, for Rademacher
    and Gaussian probes; the per-point spread falls like 1/sqrt(K) (measured numbers: docs/likelihood.md)."""
    mix, sde, score, x, prior = _case("gmm64d", "vp", 4, seed=2)
    tol = 1e-6
    exact = likelihood(sde, score, x, rtol=tol, atol=tol, prior_logp=prior)
    spread = {}
    for dist, runs in (("rademacher", ((1, 64), (16, 16))), ("gaussian", ((1, 64),))):
        for K, R in runs:
            h = likelihood(sde, score, x.repeat(R, 1), rtol=tol, atol=tol, prior_logp=prior,
                           divergence="hutchinson", probes=K, probe_dist=dist, seed=7)
            lp = h.logp.reshape(R, 4)
            se = lp.std(0) / math.sqrt(R)
            z = ((lp.mean(0) - exact.logp) / se).abs().max().item()
            assert z < 3, (dist, K, z)
            spread[(dist, K)] = lp.std(0).mean().item()
    ratio = spread[("rademacher", 16)] / spread[("rademacher", 1)]
    assert 0.15 < ratio < 0.4, (spread, ratio)  # 1/sqrt(16) = 0.25
    # Gaussian probes add the Jacobian's diagonal to the variance (2||J||_F^2 vs 2 sum_{i!=j} J_ij^2)
    assert spread[("gaussian", 1)] > 5 * spread[("rademacher", 1)]


def test_divergence_estimators_on_a_linear_score():
    """score(x) = A x: exact divergence is tr(A); Hutchinson averages v^T A v, exact for Rademacher
    probes when A is diagonal."""
    A = torch.tensor([[1.0, 2.0, 0.0], [0.5, -3.0, 1.0], [0.0, 0.0, 0.25]], dtype=torch.float64)
    x = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    t = torch.full((5,), 0.5, dtype=torch.float64)
    _, div = score_and_divergence(lambda y, t: y @ A.T, x, t, "exact")
    assert torch.allclose(div, torch.full((5,), float(torch.trace(A)), dtype=torch.float64))
    v = make_probes(x, 3, "rademacher", torch.Generator().manual_seed(1))
    _, hd = score_and_divergence(lambda y, t: y @ torch.diag(torch.diag(A)), x, t, "hutchinson", v)
    assert torch.allclose(hd, torch.full((5,), float(torch.trace(A)), dtype=torch.float64))
    assert set(v.unique().tolist()) <= {-1.0, 1.0}


# ---------------------------------------------------------------------------- encode / decode
@pytest.mark.parametrize("sde_name", ["vp", "ve"])
def test_encode_decode_round_trip(sde_name):
    """x -> z (PF-ODE eps -> T) -> x: RMSE < 1e-4 in float64 at rtol = atol = 1e-6 (at score_sde's
    1e-5 the VP round trip on gmm2d measures ~4e-4)."""
    for problem, n in (("gmm2d", 32), ("gmm64d", 8)):
        mix, sde, score, x, _ = _case(problem, sde_name, n)
        enc = encode(sde, score, x, rtol=1e-6, atol=1e-6)
        dec = decode(sde, score, enc.x, rtol=1e-6, atol=1e-6)
        rmse = (dec.x - x).pow(2).mean().sqrt().item()
        assert rmse < 1e-4, (problem, rmse)
        assert enc.x.shape == x.shape and enc.nfe > 0 and dec.nfe > 0


# ---------------------------------------------------------------------------- bits/dim
def test_bits_per_dim_offsets():
    """A uniform density on [-1, 1]^D (a = 2) gives every 8-bit image probability 256^-D: 8 bits/dim;
    on [0, 1]^D (a = 1) likewise. score_sde's offset is 7 for centred data and 8 otherwise."""
    D = 12
    assert torch.allclose(bpd_from_logp(torch.tensor([-D * math.log(2.0)]), D, data_scale=2.0), torch.tensor([8.0]))
    assert torch.allclose(bpd_from_logp(torch.tensor([0.0]), D, data_scale=1.0), torch.tensor([8.0]))
    assert float(bpd_from_logp(torch.tensor([0.0]), D)) == 7.0
    assert float(bpd_from_logp(torch.tensor([0.0]), D, levels=32, data_scale=1.0)) == 5.0


def test_dequantised_bits_bound_the_discrete_probability():
    """A quantised Gaussian N(0, 0.4^2) on [-1, 1] at 8 bits: E_u[bits/dim of the dequantised point]
    >= -log2 P(k) (Jensen; Theis et al. 2016) and within 2e-4 bits of it, for every pixel level k."""
    sd = 0.4
    k = torch.arange(256, dtype=torch.float64)
    edges = torch.arange(257, dtype=torch.float64) / 128 - 1
    cdf = 0.5 * (1 + torch.erf(edges / (sd * math.sqrt(2))))
    bits_exact = -torch.log2(cdf[1:] - cdf[:-1])
    u = (torch.arange(64, dtype=torch.float64) + 0.5) / 64  # midpoint rule for E_u
    y = 2 * (k[:, None] + u[None]) / 256 - 1
    logp = -0.5 * (y / sd) ** 2 - math.log(sd * math.sqrt(2 * math.pi))
    bits_deq = bpd_from_logp(logp.reshape(-1), 1).reshape(256, 64).mean(1)
    gap = bits_deq - bits_exact
    assert gap.min() > -1e-8 and gap.max() < 2e-4, (gap.min(), gap.max())  # -1e-8: quadrature of E_u
    yq = dequantize(k.to(torch.uint8)[:, None], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert bool(((yq[:, 0] >= edges[:-1]) & (yq[:, 0] < edges[1:])).all())


# ---------------------------------------------------------------------------- NFE, seeds, bad input
def test_nfe_counted_and_seed_reproducible():
    mix, sde, score, x, _ = _case("gmm2d", "ve", 8)
    outer = CountingScore(score)
    r = likelihood(sde, outer, x, divergence="hutchinson", probes=2, seed=3)
    assert r.nfe == outer.nfe > 0 and r.probes == 2
    r2 = likelihood(sde, score, x, divergence="hutchinson", probes=2, seed=3)
    r3 = likelihood(sde, score, x, divergence="hutchinson", probes=2, seed=4)
    assert torch.equal(r.logp, r2.logp) and not torch.equal(r.logp, r3.logp)
    f = likelihood(sde, score, x, method="rk4", step_size=0.05)
    assert f.nfe == 4 * 20
    outer = CountingScore(score)
    c = likelihood(sde, outer, x, method="rk4", step_size=0.05, correct_eps=True)
    assert c.nfe == outer.nfe == 4 * 20 + 1  # one score + divergence at eps for the correction


def test_bad_input_rejected():
    mix, sde, score, x, _ = _case("gmm2d", "vp", 4)
    bad = x.clone()
    bad[1, 0] = float("inf")
    with pytest.raises(ValueError, match="x must be finite"):
        likelihood(sde, score, bad)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 2\)"):
        likelihood(sde, score, torch.zeros(4, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="score_fn returned shape"):
        likelihood(sde, lambda y, t: y[:, :1], x)
    with pytest.raises(ValueError, match="probes must be an integer >= 1"):
        likelihood(sde, score, x, divergence="hutchinson", probes=0)
    with pytest.raises(ValueError, match="probe_dist must be one of"):
        likelihood(sde, score, x, divergence="hutchinson", probe_dist="normal")
    with pytest.raises(ValueError, match="divergence must be one of"):
        likelihood(sde, score, x, divergence="trace")
    with pytest.raises(ValueError, match="eps must lie in"):
        likelihood(sde, score, x, eps=0.0)
    with pytest.raises(ValueError, match="method must be one of"):
        likelihood(sde, score, x, method="RK45")
    with pytest.raises(ValueError, match="prior_logp must return"):
        likelihood(sde, score, x, prior_logp=lambda z: z)
    with pytest.raises(ValueError, match="data_scale must be > 0"):
        likelihood(sde, score, x, bits_per_dim=True, data_scale=0)
    with pytest.raises(ValueError, match="z must be finite"):
        decode(sde, score, bad)
    with pytest.raises(ValueError, match="k must hold integers"):
        dequantize(torch.tensor([0.5, 300.0]))


# ---------------------------------------------------------------------------- CLI
def _cli(argv):
    parser = argparse.ArgumentParser(prog="scoresde")
    sub = parser.add_subparsers(dest="command")
    from scoresde.cli.likelihood import add_parser

    add_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_likelihood_problem_writes_json(tmp_path, capsys):
    out = tmp_path / "lik.json"
    rc = _cli(["likelihood", "--problem", "gmm2d", "--sde", "ve", "--n", "16", "--prior", "exact", "--correct-eps",
               "--rtol", "1e-7", "--atol", "1e-7", "--json", str(out)])
    assert rc == 0
    d = json.loads(out.read_text())
    assert d["n"] == 16 and d["dim"] == 2 and d["divergence"] == "exact" and len(d["logp"]) == 16
    assert d["error_per_dim_max_abs"] < 1e-5 and d["nfe"] > 0
    assert "exact log p_0" in capsys.readouterr().out


def test_cli_likelihood_bad_input_is_a_named_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown problem"):
        _cli(["likelihood", "--problem", "nope"])
    with pytest.raises(ValueError, match="--probes must be >= 1"):
        _cli(["likelihood", "--problem", "gmm2d", "--probes", "0"])
    with pytest.raises(ValueError, match="--divergence must be one of"):
        _cli(["likelihood", "--problem", "gmm2d", "--divergence", "trace"])
    with pytest.raises(ValueError, match="--json: folder"):
        _cli(["likelihood", "--problem", "gmm2d", "--json", str(tmp_path / "missing" / "x.json")])
    with pytest.raises(ValueError, match="not a training run folder"):
        _cli(["likelihood", "--run", str(tmp_path)])
    with pytest.raises(ValueError, match="--data: only with --run"):
        _cli(["likelihood", "--problem", "gmm2d", "--data", "digits"])


@pytest.mark.slow
def test_cli_likelihood_on_a_trained_run(tmp_path):
    """--run: a (barely) trained gmm2d network; fresh exact samples give the exact log p_0 alongside."""
    from scoresde.train import Config, train

    cfg = Config.from_dict({"data": {"name": "gmm2d"}, "model": {"hidden": 16, "depth": 1},
                            "train": {"steps": 20, "batch_size": 64, "ckpt_every": 20, "device": "cpu"}})
    train(cfg, str(tmp_path / "run"), progress=False)
    out = tmp_path / "lik.json"
    assert _cli(["likelihood", "--run", str(tmp_path / "run"), "--n", "8", "--device", "cpu", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["n"] == 8 and math.isfinite(d["logp_mean"]) and math.isfinite(d["exact_logp0_mean"])
    with pytest.raises(ValueError, match="--sde: not used with --run"):
        _cli(["likelihood", "--run", str(tmp_path / "run"), "--sde", "ve"])
