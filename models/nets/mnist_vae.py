"""The fully-connected VAE of pytorch/examples (``vae/main.py``).

Its layer names (fc1, fc21, fc22, fc3, fc4) match that script, so its state
dicts load unchanged. The original works on flattened pixels in [0, 1] with a
sigmoid output; this module speaks the project's convention instead, images
(n, 1, s, s) in [-1, 1], and converts at both ends.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class MnistVAE(nn.Module):
    """x (n, 1, s, s) in [-1, 1] ⇄ z (latent_dim), through one hidden layer."""

    def __init__(self, image_size: int = 28, hidden: int = 400, latent_dim: int = 20):
        super().__init__()
        self.image_size, self.latent_dim = image_size, latent_dim
        pixels = image_size * image_size
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent_dim)
        self.fc22 = nn.Linear(hidden, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images in [-1, 1] → (μ, log σ²) of the posterior."""
        h = F.relu(self.fc1(((x + 1.0) / 2.0).flatten(1)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents → images (n, 1, s, s) in [-1, 1] (the sigmoid p becomes 2p − 1)."""
        p = torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
        return (2.0 * p - 1.0).view(-1, 1, self.image_size, self.image_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar
