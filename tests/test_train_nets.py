"""Networks and their conditioning: shapes, dtype/device, EDM preconditioning (Karras et al. 2022, Table 1)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from scoresde import VESDE, VPSDE, ScoreModel
from scoresde.nets import MLP, FourierEmbedding, ScoreNet, SinusoidalEmbedding, UNet

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available on this machine")


class Const(nn.Module):
    """A core that returns a constant (and records what it was given)."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x, c):
        self.seen = (x, c)
        return torch.full_like(x, self.value) + 0 * self.w


@pytest.mark.parametrize("sde", [VPSDE(), VESDE(sigma_max=30.0)], ids=["vp", "ve"])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_edm_preconditioning_matches_table_1(sde, value):
    sd = 0.7
    net = ScoreNet(Const(value), sde, kind="x0", precond="edm", sigma_data=sd).double()
    t = torch.tensor([0.01, 0.2, 0.7, 1.0], dtype=torch.float64)
    x = torch.randn(4, 3, dtype=torch.float64)
    m = torch.exp(sde.log_mean_coeff(t))[:, None]
    sigma = sde.noise_level(t)[:, None]
    # Karras et al. 2022, Table 1 ("ours"), applied to x/m (their Eq. 7 with scale s(t) = m)
    c_skip = sd**2 / (sigma**2 + sd**2)
    c_out = sigma * sd / (sigma**2 + sd**2).sqrt()
    c_in = 1 / (sigma**2 + sd**2).sqrt()
    D = net(x, t)
    torch.testing.assert_close(D, c_skip * x / m + c_out * value)
    x_in, c_noise = net.core.seen
    torch.testing.assert_close(x_in, c_in * x / m)
    torch.testing.assert_close(c_noise, 0.25 * torch.log(sigma[:, 0]))


def test_input_scaling_without_preconditioning_and_output_passthrough():
    sde = VPSDE()
    net = ScoreNet(Const(0.25), sde, kind="eps", sigma_data=1.0).double()
    t = torch.tensor([0.5, 1.0], dtype=torch.float64)
    x = torch.randn(2, 1, 4, 4, dtype=torch.float64)
    out = net(x, t)
    torch.testing.assert_close(out, torch.full_like(x, 0.25))
    # unit variance of x_t = m x0 + s z when Var x0 = sigma_data^2 = 1: c_in = 1/sqrt(m^2 + s^2) = 1 for VP
    torch.testing.assert_close(net.core.seen[0], x)


def test_edm_needs_x0():
    with pytest.raises(ValueError, match="kind must be 'x0'"):
        ScoreNet(Const(0.0), VPSDE(), kind="eps", precond="edm")
    with pytest.raises(ValueError, match="precond"):
        ScoreNet(Const(0.0), VPSDE(), precond="karras")
    with pytest.raises(ValueError, match="sigma_data"):
        ScoreNet(Const(0.0), VPSDE(), sigma_data=0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_output_follows_input_dtype_and_shape(dtype):
    torch.manual_seed(0)
    sde = VPSDE()
    net = ScoreNet(UNet(1, 8, channels=8, channel_mult=(1, 2), num_res_blocks=1), sde)
    x = torch.randn(3, 1, 8, 8, dtype=dtype)
    out = net(x, torch.rand(3, dtype=dtype))
    assert out.shape == x.shape and out.dtype == dtype
    mlp = ScoreNet(MLP(4, hidden=16, depth=1), sde)
    y = torch.randn(5, 2, 2, dtype=dtype)
    assert mlp(y, torch.tensor(0.3, dtype=dtype)).shape == y.shape


def test_unet_28x28_and_bad_levels():
    torch.manual_seed(0)
    net = UNet(1, 28, channels=8, channel_mult=(1, 2, 2), num_res_blocks=1)
    assert net(torch.randn(2, 1, 28, 28), torch.zeros(2)).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="divisible by 2\\^3"):
        UNet(1, 28, channels=8, channel_mult=(1, 2, 2, 2))


def test_unet_is_not_constant_after_a_step():
    """Zero-initialised output layers must still let gradients through (a step changes the output)."""
    torch.manual_seed(0)
    net = ScoreNet(UNet(1, 8, channels=8, channel_mult=(1, 2), num_res_blocks=1), VPSDE())
    x, t = torch.randn(4, 1, 8, 8), torch.rand(4)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    (net(x, t) - x).square().mean().backward()
    opt.step()
    with torch.no_grad():
        assert float(net(x, t).abs().max()) > 0


def test_embeddings():
    c = torch.tensor([-1.0, 0.0, 1.0])
    for emb in (FourierEmbedding(16), SinusoidalEmbedding(16)):
        e = emb(c)
        assert e.shape == (3, 16)
        torch.testing.assert_close(e[:, :8] ** 2 + e[:, 8:] ** 2, torch.ones(3, 8))
    with pytest.raises(ValueError):
        FourierEmbedding(7)


def test_bf16_autocast_runs_the_core_only():
    torch.manual_seed(0)
    sde = VPSDE()
    core = MLP(2, hidden=64, depth=2)
    with torch.no_grad():
        for p in core.parameters():
            p.add_(0.05 * torch.randn_like(p))
    fp32 = ScoreNet(core, sde)
    bf16 = ScoreNet(core, sde, autocast_dtype=torch.bfloat16)
    x, t = torch.randn(64, 2), torch.rand(64)
    with torch.no_grad():
        a, b = fp32(x, t), bf16(x, t)
    assert b.dtype == torch.float32
    assert float((a - b).norm() / a.norm()) < 0.05


def test_score_model_wraps_the_network():
    torch.manual_seed(0)
    sde = VPSDE()
    net = ScoreNet(Const(1.0), sde, kind="eps")
    sm = ScoreModel(net, sde, net.kind)
    x = torch.randn(3, 2)
    t = torch.tensor(0.5)
    # score = -eps / s(t)
    torch.testing.assert_close(sm(x, t), -torch.ones_like(x) / sde.marginal_std(t).float())
    assert sm.nfe == 1


@cuda
def test_cuda_device_and_fp16_autocast():
    dev = torch.device("cuda")
    sde = VPSDE()
    net = ScoreNet(UNet(1, 8, channels=8, channel_mult=(1, 2), num_res_blocks=1), sde,
                   autocast_dtype=torch.float16).to(dev)
    x = torch.randn(2, 1, 8, 8, device=dev)
    out = net(x, torch.rand(2, device=dev))
    assert out.device.type == "cuda" and out.dtype == torch.float32
