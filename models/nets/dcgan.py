"""DCGAN (Radford et al., 2015) generator and discriminator.

As in the paper: strided (transposed) convolutions instead of pooling, batch
norm, ReLU in the generator with a tanh output, LeakyReLU in the
discriminator, and no fully-connected layers in the discriminator.
"""

from __future__ import annotations

import torch
from torch import nn

from models.nets.vae import _levels


class Generator(nn.Module):
    """z (nz) → image (channels × image_size²) in [-1, 1]."""

    def __init__(self, nz: int = 100, ngf: int = 64, channels: int = 3, image_size: int = 32):
        super().__init__()
        self.nz = nz
        levels = _levels(image_size)
        w = ngf * 2 ** (levels - 1)
        layers = [nn.ConvTranspose2d(nz, w, 4, 1, 0, bias=False), nn.BatchNorm2d(w), nn.ReLU(True)]
        for _ in range(levels - 1):
            layers += [nn.ConvTranspose2d(w, w // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w // 2), nn.ReLU(True)]
            w //= 2
        layers += [nn.ConvTranspose2d(w, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


class Discriminator(nn.Module):
    """image → one logit. ``norm='batch'`` for the standard loss; ``'layer'``
    for WGAN-GP, whose gradient penalty is per sample and so forbids batch norm.

    ``attributes > 0`` adds an auxiliary classifier (AC-GAN, Odena et al. 2017):
    a second convolutional head on the same features, one logit per attribute,
    read by :meth:`classify`.
    """

    def __init__(self, ndf: int = 64, channels: int = 3, image_size: int = 32, norm: str = "batch", attributes: int = 0):
        super().__init__()
        levels = _levels(image_size)
        layers = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        w, side = ndf, image_size // 2
        for _ in range(levels - 1):
            side //= 2
            norm_layer = nn.BatchNorm2d(w * 2) if norm == "batch" else nn.GroupNorm(1, w * 2)
            layers += [nn.Conv2d(w, w * 2, 4, 2, 1, bias=False), norm_layer, nn.LeakyReLU(0.2, True)]
            w *= 2
        layers += [nn.Conv2d(w, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)
        self.attribute_head = nn.Conv2d(w, attributes, 4, 1, 0) if attributes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(real/fake logit (b,), attribute logits (b, attributes)) from one pass."""
        h = self.main[:-1](x)
        return self.main[-1](h).view(-1), self.attribute_head(h).flatten(1)


def dcgan_init(m: nn.Module) -> None:
    """The paper's initialisation: N(0, 0.02) weights, BN γ ~ N(1, 0.02)."""
    name = type(m).__name__
    if "Conv" in name:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name or "GroupNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
