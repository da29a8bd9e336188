"""Denoisers for DDPM: a small UNet for pixels, an MLP for latent vectors."""

from __future__ import annotations

import math

import torch
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (Ho et al. / Vaswani et al.)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, t_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.temb = nn.Linear(t_dim, c_out)
        self.norm2 = nn.GroupNorm(8, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.temb(t)[:, :, None, None]
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """A small UNet predicting the noise ε: one residual block per level."""

    def __init__(self, channels: int = 3, width: int = 32, mults: tuple[int, ...] = (1, 2, 2)):
        super().__init__()
        self.t_dim = width * 4
        self.time_mlp = nn.Sequential(nn.Linear(width, self.t_dim), nn.SiLU(), nn.Linear(self.t_dim, self.t_dim))
        self.width = width
        self.stem = nn.Conv2d(channels, width, 3, 1, 1)
        self.down, self.pools = nn.ModuleList(), nn.ModuleList()
        widths, c = [], width
        for m in mults:
            self.down.append(ResBlock(c, width * m, self.t_dim))
            c = width * m
            widths.append(c)
            self.pools.append(nn.Conv2d(c, c, 4, 2, 1))
        self.mid = ResBlock(c, c, self.t_dim)
        self.ups, self.up = nn.ModuleList(), nn.ModuleList()
        for w in reversed(widths):
            self.ups.append(nn.ConvTranspose2d(c, c, 4, 2, 1))
            self.up.append(ResBlock(c + w, w, self.t_dim))
            c = w
        self.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.time_mlp(timestep_embedding(t, self.width))
        h = self.stem(x)
        skips = []
        for block, pool in zip(self.down, self.pools):
            h = block(h, temb)
            skips.append(h)
            h = pool(h)
        h = self.mid(h, temb)
        for upsample, block in zip(self.ups, self.up):
            h = upsample(h)
            h = block(torch.cat([h, skips.pop()], dim=1), temb)
        return self.out(h)


class LatentDenoiser(nn.Module):
    """MLP predicting ε for vector latents (the latent-diffusion variant)."""

    def __init__(self, latent_dim: int = 32, hidden: int = 512, depth: int = 4):
        super().__init__()
        self.hidden = hidden
        self.time_mlp = nn.Sequential(nn.Linear(128, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(latent_dim, hidden)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, hidden)) for _ in range(depth)
        )
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, latent_dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        temb = self.time_mlp(timestep_embedding(t, 128))
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h + temb)
        return self.out(h)
