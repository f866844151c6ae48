"""Time grids: strictly decreasing from T to eps, spaced as claimed, validated."""
from __future__ import annotations

import math

import pytest
import torch

from scoresde import VPSDE, grids
from scoresde.grids import GRIDS


def _check_basic(g, sde, steps, end=None):
    assert g.dtype == torch.float64 and g.ndim == 1 and g.numel() == steps + 1
    assert bool((g[1:] < g[:-1]).all())
    assert float(g[0]) == sde.T and float(g[-1]) == (sde.eps if end is None else end)
    assert torch.equal(grids.validate(g, sde), g)


def _assert_equal_steps(y, tol=1e-10):
    d = y[1:] - y[:-1]
    assert float((d - d.mean()).abs().max()) <= tol * float(d.abs().mean()), d


@pytest.mark.parametrize("steps", [1, 2, 10, 50])
def test_every_constructor_is_strictly_decreasing_from_T_to_eps(sde, steps):
    for name, make in GRIDS.items():
        _check_basic(make(sde, steps), sde, steps)


@pytest.mark.parametrize("steps", [2, 10, 50])
def test_grids_are_spaced_as_claimed(sde, steps):
    # uniform in t
    _assert_equal_steps(grids.uniform(sde, steps))
    # geometric in the noise level sigma = s/m: constant ratio
    g = grids.geometric(sde, steps)
    r = sde.noise_level(g[1:]) / sde.noise_level(g[:-1])
    assert float((r - r.mean()).abs().max()) < 1e-10 * float(r.mean())
    assert float(r.max()) < 1.0
    # Karras rho = 7: sigma^(1/rho) equally spaced (Karras et al. 2022, Eq. 5)
    for rho in (7.0, 3.0):
        _assert_equal_steps(sde.noise_level(grids.karras(sde, steps, rho=rho)) ** (1 / rho))
    # uniform in log-SNR lambda = log(m/s)
    _assert_equal_steps(sde.log_snr(grids.log_snr(sde, steps)))


def test_grids_end_points_in_sigma():
    """The sigma-grids span exactly [sigma(eps), sigma(T)] (the EDM view's noise range)."""
    sde = VPSDE()
    for make in (grids.geometric, grids.karras):
        g = make(sde, 18)
        sig = sde.noise_level(g)
        assert float(sig[0]) == pytest.approx(float(sde.noise_level(torch.tensor(sde.T, dtype=torch.float64))), rel=1e-12)
        assert float(sig[-1]) == pytest.approx(float(sde.noise_level(torch.tensor(sde.eps, dtype=torch.float64))), rel=1e-12)


def test_karras_concentrates_steps_at_low_noise():
    sde = VPSDE()
    g = grids.karras(sde, 20)
    d = -(g[1:] - g[:-1])
    assert float(d[-1]) < float(d[0])  # small steps near t = eps


def test_twin_grid():
    sde = VPSDE(N=100)
    g = grids.twin(sde)
    _check_basic(g, sde, 100, end=0.0)
    assert torch.allclose(g, torch.linspace(1.0, 0.0, 101, dtype=torch.float64), rtol=0, atol=0)
    torch.testing.assert_close(g.flip(0), sde.chain().times)
    assert grids.twin(sde, 1).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="N"):
        grids.twin(sde, 2000)  # t_1 = 5e-4 < eps = 1e-3


@pytest.mark.parametrize(
    "bad, what",
    [
        ([1.0], "at least 2"),
        ([], "at least 2"),
        ([[1.0, 0.5]], "1-D"),
        ([1.0, 0.5, 0.5, 0.1], "strictly decreasing"),
        ([0.1, 0.5, 1.0], "strictly decreasing"),
        ([1.0, math.nan, 0.1], "finite"),
        ([1.0, 0.5, -math.inf], "finite"),
        ([1.5, 0.5, 0.1], r"\[eps, T\]"),
        ([1.0, 0.5, 1e-4], r"\[eps, T\]"),
        ([1.0, 0.5, -0.1], r"\[eps, T\]"),
        ([1.0, 1e-4, 0.0], r"\[eps, T\]"),
    ],
)
def test_validate_rejects(bad, what):
    with pytest.raises(ValueError, match="grid") as exc:
        grids.validate(bad, VPSDE())
    assert exc.match(what)


def test_validate_accepts_final_zero_and_names_the_argument():
    sde = VPSDE()
    g = grids.validate([1.0, 0.5, 1e-3, 0.0], sde)
    assert g.dtype == torch.float64 and g.tolist() == [1.0, 0.5, 1e-3, 0.0]
    with pytest.raises(ValueError, match="my_times"):
        grids.validate([0.1, 0.5], sde, name="my_times")
    assert grids.validate(torch.tensor([1.0, 0.5], dtype=torch.float32), sde).dtype == torch.float64


def test_constructor_arguments_are_validated():
    sde = VPSDE()
    for make in GRIDS.values():
        with pytest.raises(ValueError, match="steps"):
            make(sde, 0)
        with pytest.raises(ValueError, match="steps"):
            make(sde, 2.5)
    with pytest.raises(ValueError, match="rho"):
        grids.karras(sde, 10, rho=0.0)
    with pytest.raises(ValueError, match="rho"):
        grids.karras(sde, 10, rho=math.nan)
