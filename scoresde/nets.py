"""Score networks: an MLP for vectors, a small U-Net for images, and one conditioning wrapper.

Every network here is a *core* ``F(x_in, c_noise)`` that sees a unit-variance input and a scalar
noise condition. :class:`ScoreNet` turns a core into ``net(x_t, t)`` for any linear SDE with
kernel x_t = m(t) (x_0 + sigma(t) n)  (sigma = s/m, the EDM noise level):

* input scaling  c_in = 1/sqrt(sigma^2 + sigma_data^2) applied to x_t/m, and noise condition
  c_noise = ln(sigma)/4 (Karras et al. 2022, "Elucidating the design space...", Table 1,
  with the scale s(t) = m(t) of their Eq. 7); always on, so VP and VE inputs look alike;
* ``precond="none"``: the core's output is the prediction of ``kind`` (eps, score, x0 or v; see
  :mod:`scoresde.params`);
* ``precond="edm"``: the core is a denoiser  D = c_skip x_t/m + c_out F  with
  c_skip = sigma_data^2/(sigma^2 + sigma_data^2), c_out = sigma sigma_data/sqrt(sigma^2 + sigma_data^2)
  (Karras et al. 2022, Table 1 and Eq. 7); D estimates x_0, so ``kind`` must be "x0".

The coefficients are computed in float64 from t; only the core runs under autocast
(bf16/fp16), so SDE arithmetic never drops below float32. The output follows x's dtype.
Use ``scoresde.ScoreModel(net, sde, net.kind)`` to get a score function for the samplers.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._util import expand_like
from .params import KINDS
from .sde.base import LinearSDE

PRECONDS = ("none", "edm")
EMBEDDINGS = ("fourier", "sinusoidal")


# ---------------------------------------------------------------------------- time embeddings
class FourierEmbedding(nn.Module):
    """Random Fourier features [sin 2 pi W c, cos 2 pi W c], W ~ N(0, scale^2), fixed
    (Tancik et al. 2020; the "Gaussian Fourier projection" of Song et al. 2021, NCSN++)."""

    def __init__(self, dim: int, scale: float = 16.0, seed: int = 0):
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"embedding dim must be an even integer >= 2, got {dim}")
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("freqs", torch.randn(dim // 2, generator=g) * scale)

    def forward(self, c: Tensor) -> Tensor:
        arg = 2 * math.pi * c[:, None].to(self.freqs.dtype) * self.freqs[None, :]
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


class SinusoidalEmbedding(nn.Module):
    """Transformer positional encoding of 1000 c (Vaswani et al. 2017, Sec. 3.5; Ho et al. 2020):
    [sin(1000 c w_i), cos(1000 c w_i)], w_i = 10000^(-i/(dim/2))."""

    def __init__(self, dim: int, max_period: float = 10000.0):
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"embedding dim must be an even integer >= 2, got {dim}")
        half = dim // 2
        self.register_buffer("freqs", torch.exp(-math.log(max_period) * torch.arange(half) / half))

    def forward(self, c: Tensor) -> Tensor:
        arg = 1000.0 * c[:, None].to(self.freqs.dtype) * self.freqs[None, :]
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


def time_embedding(kind: str, dim: int, fourier_scale: float = 16.0) -> nn.Module:
    if kind == "fourier":
        return FourierEmbedding(dim, fourier_scale)
    if kind == "sinusoidal":
        return SinusoidalEmbedding(dim)
    raise ValueError(f"embedding must be one of {EMBEDDINGS}, got {kind!r}")


def _zero(module: nn.Module) -> nn.Module:
    """Zero-initialise a layer (the last layer of each residual branch and of the network)."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


# ---------------------------------------------------------------------------- MLP
class MLP(nn.Module):
    """Residual MLP F(x, c) for vector data (any event shape is flattened).

    h <- h + W2 silu(W1 silu(h) + E emb(c)),  ``depth`` such blocks of width ``hidden``.
    """

    def __init__(self, dim: int, hidden: int = 256, depth: int = 3, emb_dim: int = 128,
                 embedding: str = "fourier", fourier_scale: float = 16.0, dropout: float = 0.0):
        super().__init__()
        self.dim = dim
        self.embed = nn.Sequential(time_embedding(embedding, emb_dim, fourier_scale),
                                   nn.Linear(emb_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList(_MLPBlock(hidden, dropout) for _ in range(depth))
        self.out = nn.Sequential(nn.SiLU(), _zero(nn.Linear(hidden, dim)))

    def forward(self, x: Tensor, c_noise: Tensor) -> Tensor:
        shape = x.shape
        emb = self.embed(c_noise)
        h = self.inp(x.reshape(shape[0], -1))
        for blk in self.blocks:
            h = blk(h, emb)
        return self.out(h).reshape(shape)


class _MLPBlock(nn.Module):
    def __init__(self, hidden: int, dropout: float):
        super().__init__()
        self.lin1 = nn.Linear(hidden, hidden)
        self.emb = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(dropout)
        self.lin2 = _zero(nn.Linear(hidden, hidden))

    def forward(self, h: Tensor, emb: Tensor) -> Tensor:
        u = self.lin1(F.silu(h)) + self.emb(emb)
        return h + self.lin2(self.drop(F.silu(u)))


# ---------------------------------------------------------------------------- U-Net
def _groups(c: int) -> int:
    """GroupNorm groups: 4+ channels per group, at most 32 groups (Wu & He 2018 use 32)."""
    g = min(32, max(1, c // 4))
    while c % g:
        g -= 1
    return g


class ResBlock(nn.Module):
    """GroupNorm-SiLU-Conv, + time embedding, GroupNorm-SiLU-Dropout-Conv, residual (Ho et al. 2020, App. B)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.drop = nn.Dropout(dropout)
        self.conv2 = _zero(nn.Conv2d(c_out, c_out, 3, padding=1))
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]
        h = self.conv2(self.drop(F.silu(self.norm2(h))))
        return self.skip(x) + h


class AttnBlock(nn.Module):
    """Multi-head self-attention over pixels with a residual connection (Vaswani et al. 2017)."""

    def __init__(self, c: int, heads: int = 1):
        super().__init__()
        if c % heads:
            raise ValueError(f"channels {c} not divisible by heads {heads}")
        self.heads = heads
        self.norm = nn.GroupNorm(_groups(c), c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.proj = _zero(nn.Conv2d(c, c, 1))

    def forward(self, x: Tensor) -> Tensor:
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, self.heads, C // self.heads, H * W).unbind(1)
        h = F.scaled_dot_product_attention(q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2))
        return x + self.proj(h.transpose(-1, -2).reshape(B, C, H, W))


class UNet(nn.Module):
    """A small DDPM-style U-Net F(x, c) (Ronneberger et al. 2015; Ho et al. 2020, App. B).

    ``len(channel_mult)`` resolution levels (each halves H and W), ``num_res_blocks`` residual
    blocks per level, self-attention at the lowest resolution (and in the middle), a time
    embedding added in every residual block.
    """

    def __init__(self, in_channels: int, image_size: int, channels: int = 64,
                 channel_mult: Sequence[int] = (1, 2), num_res_blocks: int = 2, attention: bool = True,
                 emb_dim: int = 128, embedding: str = "fourier", fourier_scale: float = 16.0,
                 dropout: float = 0.0):
        super().__init__()
        mult = tuple(int(m) for m in channel_mult)
        if not mult or any(m < 1 for m in mult):
            raise ValueError(f"channel_mult must be a non-empty list of positive integers, got {list(channel_mult)}")
        if image_size % (2 ** (len(mult) - 1)):
            raise ValueError(
                f"channel_mult has {len(mult)} levels, so the image size must be divisible by "
                f"2^{len(mult) - 1} = {2 ** (len(mult) - 1)}; got {image_size}")
        temb = 4 * channels
        self.embed = nn.Sequential(time_embedding(embedding, emb_dim, fourier_scale),
                                   nn.Linear(emb_dim, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(in_channels, channels, 3, padding=1)
        lowest = len(mult) - 1
        self.down = nn.ModuleList()
        skips = [channels]
        c = channels
        for level, m in enumerate(mult):
            for _ in range(num_res_blocks):
                blk = nn.ModuleList([ResBlock(c, channels * m, temb, dropout)])
                c = channels * m
                if attention and level == lowest:
                    blk.append(AttnBlock(c))
                self.down.append(blk)
                skips.append(c)
            if level != lowest:
                self.down.append(nn.ModuleList([nn.Conv2d(c, c, 3, stride=2, padding=1)]))
                skips.append(c)
        self.mid = nn.ModuleList([ResBlock(c, c, temb, dropout)] + ([AttnBlock(c)] if attention else [])
                                 + [ResBlock(c, c, temb, dropout)])
        self.up = nn.ModuleList()
        for level in reversed(range(len(mult))):
            for _ in range(num_res_blocks + 1):
                blk = nn.ModuleList([ResBlock(c + skips.pop(), channels * mult[level], temb, dropout)])
                c = channels * mult[level]
                if attention and level == lowest:
                    blk.append(AttnBlock(c))
                self.up.append(blk)
            if level != 0:
                self.up.append(nn.ModuleList([nn.Upsample(scale_factor=2, mode="nearest"),
                                              nn.Conv2d(c, c, 3, padding=1)]))
        self.norm_out = nn.GroupNorm(_groups(c), c)
        self.conv_out = _zero(nn.Conv2d(c, in_channels, 3, padding=1))

    @staticmethod
    def _run(blk: nn.ModuleList, h: Tensor, emb: Tensor) -> Tensor:
        for layer in blk:
            h = layer(h, emb) if isinstance(layer, ResBlock) else layer(h)
        return h

    def forward(self, x: Tensor, c_noise: Tensor) -> Tensor:
        emb = self.embed(c_noise)
        h = self.conv_in(x)
        hs = [h]
        for blk in self.down:
            h = self._run(blk, h, emb)
            hs.append(h)
        h = self._run(self.mid, h, emb)
        for blk in self.up:
            if isinstance(blk[0], ResBlock):
                h = torch.cat([h, hs.pop()], dim=1)
            h = self._run(blk, h, emb)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------------------- conditioning wrapper
class ScoreNet(nn.Module):
    """``net(x_t, t)`` -> prediction of ``kind`` for the linear SDE ``sde`` (see the module docstring).

    Args:
        core: F(x_in, c_noise), e.g. :class:`MLP` or :class:`UNet`.
        sde: the forward process (supplies m(t), s(t)).
        kind: what the output predicts: "eps", "score", "x0" or "v".
        precond: "none" or "edm" (EDM denoiser; needs kind "x0").
        sigma_data: data standard deviation used by c_in, c_skip, c_out.
        autocast_dtype: None, torch.bfloat16 or torch.float16: the core runs under autocast.
    """

    def __init__(self, core: nn.Module, sde: LinearSDE, kind: str = "eps", precond: str = "none",
                 sigma_data: float = 0.5, autocast_dtype: Optional[torch.dtype] = None):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if precond not in PRECONDS:
            raise ValueError(f"precond must be one of {PRECONDS}, got {precond!r}")
        if precond == "edm" and kind != "x0":
            raise ValueError(f"precond 'edm' makes the network a denoiser (it predicts x0): kind must be 'x0', got {kind!r}")
        if not (isinstance(sigma_data, (int, float)) and math.isfinite(sigma_data) and sigma_data > 0):
            raise ValueError(f"sigma_data must be a finite number > 0, got {sigma_data!r}")
        if autocast_dtype not in (None, torch.bfloat16, torch.float16):
            raise ValueError(f"autocast_dtype must be None, torch.bfloat16 or torch.float16, got {autocast_dtype!r}")
        self.core, self.sde, self.kind, self.precond = core, sde, kind, precond
        self.sigma_data = float(sigma_data)
        self.autocast_dtype = autocast_dtype

    def coefficients(self, t: Tensor) -> dict:
        """m, sigma, c_in (applied to x_t), c_noise, c_skip, c_out at t, in float64 (Karras et al. 2022, Table 1)."""
        t = t.to(torch.float64)
        logm = self.sde.log_mean_coeff(t)
        m = torch.exp(logm)
        sigma = torch.sqrt(self.sde.marginal_var(t)) / m
        sd2 = self.sigma_data ** 2
        root = torch.sqrt(sigma * sigma + sd2)
        return {
            "m": m,
            "sigma": sigma,
            "c_in": 1.0 / (m * root),           # x_t/m scaled to unit variance
            "c_noise": 0.25 * torch.log(sigma),
            "c_skip": sd2 / (sigma * sigma + sd2),
            "c_out": sigma * self.sigma_data / root,
        }

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        c = self.coefficients(t)
        p = next(self.core.parameters())
        work = p.dtype if p.is_floating_point() else torch.float32
        x_in = (expand_like(c["c_in"].to(x.dtype), x) * x).to(work)
        with torch.autocast(device_type=x.device.type, dtype=self.autocast_dtype or torch.bfloat16,
                            enabled=self.autocast_dtype is not None):
            out = self.core(x_in, c["c_noise"].to(work))
        out = out.to(x.dtype)
        if self.precond == "edm":
            dt = x.dtype
            x_hat = x / expand_like(c["m"].to(dt), x)
            out = expand_like(c["c_skip"].to(dt), x) * x_hat + expand_like(c["c_out"].to(dt), x) * out
        return out

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, precond={self.precond!r}, sigma_data={self.sigma_data:g}, sde={self.sde!r}"


__all__ = ["MLP", "UNet", "ScoreNet", "FourierEmbedding", "SinusoidalEmbedding", "PRECONDS", "EMBEDDINGS"]
