"""Forward SDEs: marginals vs an independent ODE solve, autograd identities, Monte-Carlo simulation,
VE conventions, float32 numerics near t = 0, time/shape/dtype/device handling, prior, reverse."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchsde
from scipy.integrate import solve_ivp
from scipy.stats import norm

from conftest import all_sdes, f64, rel_err, times
from scoresde import VESDE, VPSDE, CosineVPSDE, subVPSDE
from scoresde.sde import SDES, from_config


def _f_g2(sde, t: float) -> tuple[float, float]:
    """f(t) and g(t)^2 through the public sde(x, t) (drift = f x at x = 1)."""
    x = torch.ones(1, 1, dtype=torch.float64)
    drift, diff = sde.sde(x, t)
    return float(drift), float(diff) ** 2


# ---------------------------------------------------------------------------- marginals vs ODE
def test_marginals_match_mean_variance_ode(sde):
    """m and s^2 solve dm/dt = f m, dv/dt = 2 f v + g^2 (Särkkä & Solin 2019, Eq. 5.50-5.51).

    Integrated with scipy's DOP853 at rtol 1e-12 from m(0) = 1 and v(0) = s(0)^2 (0, or
    sigma_min^2 for the SMLD convention); compared at 50 times, max relative error < 1e-8.
    """
    ts = np.linspace(sde.T / 50, sde.T, 50)
    x1 = torch.ones(1, 1, dtype=torch.float64)
    _, s0 = sde.marginal_prob(x1, 0.0)
    if isinstance(sde, VESDE) and sde.marginal == "smld":
        assert float(s0) ** 2 == pytest.approx(sde.sigma_min**2, rel=1e-14)
    else:
        assert float(s0) == 0.0

    def rhs(t, y):
        f, g2 = _f_g2(sde, min(t, sde.T))
        return [f * y[0], 2 * f * y[1] + g2]

    sol = solve_ivp(rhs, (0.0, sde.T), [1.0, float(s0) ** 2], t_eval=ts, method="DOP853", rtol=1e-12, atol=1e-16)
    assert sol.success
    mean, std = sde.marginal_prob(torch.ones(50, 1, dtype=torch.float64), f64(ts))
    err_m = rel_err(mean.flatten(), sol.y[0])
    err_v = rel_err(std.flatten() ** 2, sol.y[1])
    assert err_m < 1e-8 and err_v < 1e-8, (err_m, err_v)


# ---------------------------------------------------------------------------- autograd identities
def test_drift_and_diffusion_from_m_and_s_by_autograd(sde):
    """f = d log m/dt and g^2 = d s^2/dt - 2 f s^2 (float64 autograd of the public m(t), s(t))."""
    gen = torch.Generator().manual_seed(1)
    t = (sde.eps + (sde.T - sde.eps) * torch.rand(64, generator=gen, dtype=torch.float64)).requires_grad_(True)
    log_m = torch.log(sde.mean_coeff(t))
    s2 = sde.marginal_std(t) ** 2
    if log_m.requires_grad:
        (dlogm,) = torch.autograd.grad(log_m.sum(), t)
    else:  # VE: m = 1 does not depend on t at all
        assert torch.equal(log_m, torch.zeros_like(log_m))
        dlogm = torch.zeros_like(log_m)
    (ds2,) = torch.autograd.grad(s2.sum(), t)
    t = t.detach()
    x = torch.ones(64, 1, dtype=torch.float64)
    drift, g = sde.sde(x, t)
    f = drift.flatten()
    g2 = g.flatten() ** 2
    torch.testing.assert_close(f, dlogm, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g2, ds2 - 2 * f * s2.detach(), rtol=1e-10, atol=1e-12)


def test_noise_level_and_log_snr_definitions(sde):
    t = times(sde, 20)
    m, s = sde.mean_coeff(t), sde.marginal_std(t)
    torch.testing.assert_close(sde.noise_level(t), s / m, rtol=1e-13, atol=0)
    torch.testing.assert_close(sde.log_snr(t), torch.log(m / s), rtol=1e-12, atol=1e-12)
    assert sde.scale(t).equal(sde.mean_coeff(t))
    torch.testing.assert_close(sde.diffusion(t) ** 2, _g2_vec(sde, t), rtol=1e-13, atol=0)


def _g2_vec(sde, t):
    _, g = sde.sde(torch.ones(t.numel(), 1, dtype=torch.float64), t)
    return g.flatten() ** 2


def test_noise_level_and_log_snr_inverses(sde):
    t = torch.linspace(sde.eps, sde.T, 11, dtype=torch.float64)
    torch.testing.assert_close(sde.t_from_noise_level(sde.noise_level(t)), t, rtol=0, atol=1e-12)
    torch.testing.assert_close(sde.t_from_log_snr(sde.log_snr(t)), t, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="noise level"):
        sde.t_from_noise_level(f64([2 * float(sde.noise_level(f64(sde.T)))]))


# ---------------------------------------------------------------------------- Monte Carlo
class _TorchsdeWrapper(torch.nn.Module):
    """The forward SDE in torchsde's (batch, state) Itô/diagonal-noise form."""

    noise_type = "diagonal"
    sde_type = "ito"

    def __init__(self, sde):
        super().__init__()
        self.s = sde

    def f(self, t, y):
        return self.s.sde(y, min(float(t), self.s.T))[0]

    def g(self, t, y):
        return self.s.sde(y, min(float(t), self.s.T))[1].expand_as(y)


def test_forward_simulation_matches_marginals(sde):
    """torchsde Euler-Maruyama paths from a fixed x0 agree with N(m x0, s^2) within 3 standard errors."""
    n = 4000
    x0 = torch.tensor([1.5, -0.5], dtype=torch.float64).expand(n, 2).clone()
    gen = torch.Generator().manual_seed(0)
    if isinstance(sde, VESDE) and sde.marginal == "smld":  # SMLD data are already perturbed by sigma_min
        y0 = x0 + sde.sigma_min * torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    else:
        y0 = x0
    ts = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=torch.float64) * sde.T
    ys, y = [y0], y0
    with torch.no_grad():
        for k in range(1, len(ts)):
            # Euler steps small against the drift rate |f| (the cosine schedule is stiff near T)
            dt = min(1e-3, 0.02 / max(abs(_f_g2(sde, float(ts[k]))[0]), 1e-300))
            bm = torchsde.BrownianInterval(float(ts[k - 1]), float(ts[k]), size=y.shape, dtype=y.dtype, entropy=k, dt=dt)
            y = torchsde.sdeint(_TorchsdeWrapper(sde), y, ts[k - 1 : k + 1], bm=bm, dt=dt, method="euler")[-1]
            ys.append(y)
    for k in range(1, len(ts)):
        # standardise with the closed-form marginal and pool both coordinates (2n iid N(0, 1) under H0)
        mean, std = sde.marginal_prob(x0, ts[k])
        u = ((ys[k] - mean) / std).flatten()
        z_mean = float(u.mean()) * math.sqrt(u.numel())
        z_var = (float(u.var()) - 1.0) / math.sqrt(2.0 / (u.numel() - 1))
        assert abs(z_mean) < 3 and abs(z_var) < 3, (float(ts[k]), z_mean, z_var)


# ---------------------------------------------------------------------------- VE conventions
def test_ve_conventions():
    exact, smld = VESDE(sigma_min=0.01, sigma_max=50), VESDE(sigma_min=0.01, sigma_max=50, marginal="smld")
    assert VESDE().marginal == "exact"  # the default is stated and tested
    t = torch.linspace(0, 1, 101, dtype=torch.float64)
    sigma = 0.01 * (50 / 0.01) ** t
    torch.testing.assert_close(exact.marginal_std(t), torch.sqrt(sigma**2 - 0.01**2), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(smld.marginal_std(t), sigma, rtol=1e-12, atol=0)
    assert float(exact.marginal_std(f64(0.0))) == 0.0 and float(smld.marginal_std(f64(0.0))) == pytest.approx(0.01, rel=1e-12)
    # same dynamics: identical drift (0) and diffusion g^2 = d sigma^2/dt = 2 sigma^2 log(sigma_max/sigma_min)
    x = torch.randn(5, 3, dtype=torch.float64)
    for t_ in (0.0, 0.3, 1.0):
        d1, g1 = exact.sde(x, t_)
        d2, g2 = smld.sde(x, t_)
        assert torch.equal(d1, torch.zeros_like(x)) and torch.equal(d2, d1) and torch.equal(g1, g2)
        sig = 0.01 * (50 / 0.01) ** t_
        assert float(g1.flatten()[0]) ** 2 == pytest.approx(2 * sig**2 * math.log(5000), rel=1e-12)
    assert exact.prior_std == pytest.approx(math.sqrt(50**2 - 0.01**2), rel=1e-14)
    assert smld.prior_std == pytest.approx(50.0, rel=1e-14)
    with pytest.raises(ValueError, match="marginal"):
        VESDE(marginal="song")


def test_vp_family_closed_forms():
    """Independent closed forms (Song et al. 2021, Eq. 29, 33; Nichol & Dhariwal 2021, Eq. 17)."""
    t = torch.linspace(0, 1, 41, dtype=torch.float64)
    B = 0.1 * t + 0.5 * 19.9 * t**2
    vp, svp = VPSDE(), subVPSDE()
    torch.testing.assert_close(vp.mean_coeff(t), torch.exp(-B / 2), rtol=1e-14, atol=0)
    torch.testing.assert_close(vp.marginal_std(t), torch.sqrt(1 - torch.exp(-B)), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(svp.mean_coeff(t), torch.exp(-B / 2), rtol=1e-14, atol=0)
    torch.testing.assert_close(svp.marginal_std(t), 1 - torch.exp(-B), rtol=1e-12, atol=1e-15)
    assert bool((svp.marginal_std(t[1:]) < vp.marginal_std(t[1:])).all())  # sub-VP: strictly smaller variance
    cos = VPSDE.cosine()
    assert isinstance(cos, CosineVPSDE) and cos.T == 0.9946 and cos.s == 0.008
    tc = torch.linspace(0, cos.T, 41, dtype=torch.float64)
    f = lambda u: torch.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    abar = f(tc) / f(f64(0.0))
    torch.testing.assert_close(cos.mean_coeff(tc) ** 2, abar, rtol=1e-12, atol=0)
    torch.testing.assert_close(cos.marginal_std(tc) ** 2, 1 - abar, rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------------------- float32 near t = 0
def test_float32_std_near_zero(sde):
    """float32 s(t) has relative error < 1e-6 for t in [1e-8, T] against float64 at the same times."""
    t32 = torch.logspace(-8, math.log10(sde.T), 400, dtype=torch.float32)
    t64 = t32.to(torch.float64)
    s32, s64 = sde.marginal_std(t32), sde.marginal_std(t64)
    assert s32.dtype == torch.float32 and s64.dtype == torch.float64
    err = rel_err(s32, s64)
    assert err < 1e-6, err
    # the mean coefficient and EDM noise level are as careful
    assert rel_err(sde.mean_coeff(t32), sde.mean_coeff(t64)) < 1e-6
    assert rel_err(sde.noise_level(t32), sde.noise_level(t64)) < 1e-6
    # marginal_prob on float32 data uses the same formulas
    _, std = sde.marginal_prob(torch.zeros(400, 1, dtype=torch.float32), t32)
    assert rel_err(std.flatten(), s64) < 1e-6


# ---------------------------------------------------------------------------- time / shape / dtype / device
@pytest.mark.parametrize("shape", [(6, 2), (6, 3, 4, 4), (6,)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_time_and_shape_handling(sde, shape, dtype, device):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(shape, generator=gen, dtype=torch.float64).to(device=device, dtype=dtype)
    t_vec = torch.linspace(sde.eps, sde.T, shape[0], dtype=torch.float64)
    mean_v, std_v = sde.marginal_prob(x, t_vec.to(device))
    drift_v, diff_v = sde.sde(x, t_vec.to(device))
    for out in (mean_v, std_v, drift_v, diff_v):
        assert out.dtype == dtype and out.device.type == device.type and out.ndim == x.ndim
    assert mean_v.shape == x.shape and drift_v.shape == x.shape
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-14, atol=0)
    for i in range(shape[0]):  # per-sample t gives sample i exactly what the float t_i gives it
        ti = float(t_vec[i])
        mean_i, std_i = sde.marginal_prob(x[i : i + 1], ti)
        drift_i, diff_i = sde.sde(x[i : i + 1], ti)
        torch.testing.assert_close(mean_v[i : i + 1], mean_i, **tol)
        torch.testing.assert_close((std_v[i : i + 1] * torch.ones_like(x[i : i + 1])), std_i * torch.ones_like(x[i : i + 1]), **tol)
        torch.testing.assert_close(drift_v[i : i + 1], drift_i, **tol)
        torch.testing.assert_close(diff_v[i : i + 1] * torch.ones_like(x[i : i + 1]), diff_i * torch.ones_like(x[i : i + 1]), **tol)
        m_ref = float(sde.mean_coeff(f64(ti)))
        torch.testing.assert_close(mean_i.double().cpu(), m_ref * x[i : i + 1].double().cpu(), rtol=1e-6, atol=1e-7)
    # a 0-d tensor t behaves like a float
    m1, s1 = sde.marginal_prob(x, torch.tensor(0.5 * sde.T, dtype=dtype, device=device))
    m2, s2 = sde.marginal_prob(x, 0.5 * sde.T)
    torch.testing.assert_close(m1, m2) and torch.testing.assert_close(s1 * torch.ones_like(x), s2 * torch.ones_like(x))


def test_scalar_functions_follow_t_dtype(sde):
    for dtype in (torch.float32, torch.float64):
        t = torch.tensor([0.5 * sde.T], dtype=dtype)
        for fn in (sde.mean_coeff, sde.marginal_std, sde.noise_level, sde.log_snr, sde.diffusion):
            assert fn(t).dtype == dtype


# ---------------------------------------------------------------------------- prior
def test_prior_sampling_and_logp(sde, device):
    gen = torch.Generator(device=device).manual_seed(0)
    z = sde.prior_sampling((20000, 3), generator=gen)
    assert z.shape == (20000, 3) and z.device.type == device.type
    z2 = sde.prior_sampling((20000, 3), generator=torch.Generator(device=device).manual_seed(0))
    assert torch.equal(z, z2)  # seeded: reproducible
    std = sde.prior_std
    s_T = float(sde.marginal_std(f64(sde.T)))
    if sde.variance_exploding:  # N(0, s(T)^2 I)
        assert std == pytest.approx(s_T, rel=1e-14)
    else:  # VP family: N(0, I), which p_T approaches (Song et al. 2021, Sec. 3.4)
        assert std == 1.0 and abs(s_T - 1.0) < 1e-4
    sample_std = float(z.double().std())
    assert abs(sample_std - std) < 3 * std / math.sqrt(2 * z.numel())
    x = torch.randn(7, 2, 3, dtype=torch.float64) * std
    ref = norm.logpdf(x.numpy(), scale=std).reshape(7, -1).sum(1)
    np.testing.assert_allclose(sde.prior_logp(x).numpy(), ref, rtol=1e-12)
    z64 = sde.prior_sampling((4, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert z64.dtype == torch.float64


# ---------------------------------------------------------------------------- exact transitions
def test_transition_is_consistent_with_marginals(sde):
    t0 = torch.linspace(0, 0.8 * sde.T, 9, dtype=torch.float64)
    t1 = t0 + 0.15 * sde.T
    a, b = sde.transition(t0, t1)
    m0, m1 = sde.mean_coeff(t0), sde.mean_coeff(t1)
    s0, s1 = sde.marginal_std(t0), sde.marginal_std(t1)
    torch.testing.assert_close(a, m1 / m0, rtol=1e-13, atol=0)
    torch.testing.assert_close(a**2 * s0**2 + b**2, s1**2, rtol=1e-12, atol=1e-15)
    # Chapman-Kolmogorov: two steps compose into one
    tm = 0.5 * (t0 + t1)
    a1, b1 = sde.transition(t0, tm)
    a2, b2 = sde.transition(tm, t1)
    torch.testing.assert_close(a2 * a1, a, rtol=1e-13, atol=0)
    torch.testing.assert_close(a2**2 * b1**2 + b2**2, b**2, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="t_from <= t_to"):
        sde.transition(0.5 * sde.T, 0.25 * sde.T)


# ---------------------------------------------------------------------------- reverse
def test_reverse_sde_and_probability_flow(sde):
    """For Gaussian data N(0, c^2) the PF-ODE velocity is x d/dt log std_t (std_t^2 = m^2 c^2 + s^2)
    and the reverse drift is f x - g^2 score (Song et al. 2021, Eq. 6 and 13)."""
    c = 0.7
    score = lambda x, t: -x / (sde.mean_coeff(t) ** 2 * c**2 + sde.marginal_std(t) ** 2)[:, None]  # noqa: E731
    t = torch.linspace(sde.eps, sde.T, 8, dtype=torch.float64).requires_grad_(True)
    log_std = 0.5 * torch.log(sde.mean_coeff(t) ** 2 * c**2 + sde.marginal_std(t) ** 2)
    (dlog_std,) = torch.autograd.grad(log_std.sum(), t)
    t = t.detach()
    x = torch.randn(8, 3, dtype=torch.float64)
    drift, diff = sde.reverse(score, probability_flow=True).sde(x, t)
    torch.testing.assert_close(drift, dlog_std[:, None] * x, rtol=1e-9, atol=1e-12)
    assert torch.count_nonzero(diff) == 0
    rdrift, rdiff = sde.reverse(score).sde(x, t)
    f, g = sde.sde(x, t)
    torch.testing.assert_close(rdrift, f - g**2 * score(x, t), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(rdiff, g)
    # scalar t is handed to the score as a per-sample (B,) tensor
    seen = []
    sde.reverse(lambda x_, t_: seen.append(t_.shape) or torch.zeros_like(x_)).sde(x, 0.5 * sde.T)
    assert seen == [torch.Size([8])]


# ---------------------------------------------------------------------------- config / registry
def test_config_round_trip(sde):
    clone = from_config(sde.config())
    assert type(clone) is type(sde) and clone.config() == sde.config()
    t = times(sde, 5)
    assert torch.equal(clone.marginal_std(t), sde.marginal_std(t))
    assert repr(sde).startswith(type(sde).__name__ + "(")


def test_registry_lists_every_sde():
    assert set(SDES) == {"vp", "vp-cosine", "subvp", "ve"}
    names = {s.name for s in all_sdes()}
    assert names == set(SDES)
    with pytest.raises(ValueError, match="SDE name"):
        from_config({"name": "nope"})


def test_attributes_T_eps_N():
    sde = VPSDE(T=2.0, eps=1e-2, N=50)
    assert (sde.T, sde.eps, sde.N) == (2.0, 1e-2, 50)
    assert sde.chain().N == 50
    assert float(sde.marginal_std(2.0)) == pytest.approx(math.sqrt(1 - math.exp(-(0.1 * 2 + 0.5 * 19.9 * 2))), rel=1e-6)
