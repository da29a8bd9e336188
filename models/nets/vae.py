"""Convolutional VAE with a Gaussian latent."""

from __future__ import annotations

import math

import torch
from torch import nn


def _levels(image_size: int) -> int:
    """Number of stride-2 stages between ``image_size`` and a 4×4 map."""
    levels = int(round(math.log2(image_size / 4)))
    if levels < 1 or 4 * 2**levels != image_size:
        raise ValueError(f"image size must be 4·2^k with k >= 1, got {image_size}")
    return levels


class ConvVAE(nn.Module):
    """Encoder: stride-2 convolutions down to 4×4, then μ and log σ².

    Decoder: the mirror image with transposed convolutions and a tanh output
    in [-1, 1].
    """

    def __init__(self, channels: int = 3, image_size: int = 32, latent_dim: int = 32, width: int = 32):
        super().__init__()
        self.latent_dim = latent_dim
        levels = _levels(image_size)
        widths = [width * 2**i for i in range(levels)]
        enc, c_in = [], channels
        for w in widths:
            enc += [nn.Conv2d(c_in, w, 4, 2, 1), nn.BatchNorm2d(w), nn.LeakyReLU(0.2)]
            c_in = w
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        self._top = widths[-1]
        self.fc_mu = nn.Linear(self._top * 16, latent_dim)
        self.fc_logvar = nn.Linear(self._top * 16, latent_dim)
        self.fc_dec = nn.Linear(latent_dim, self._top * 16)
        dec = []
        for w_in, w_out in zip(widths[::-1], widths[::-1][1:] + [width]):
            dec += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1), nn.BatchNorm2d(w_out), nn.ReLU()]
        self.decoder = nn.Sequential(*dec, nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h).clamp(-12, 8)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc_dec(z).view(-1, self._top, 4, 4)
        return self.decoder(torch.relu(h))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar
