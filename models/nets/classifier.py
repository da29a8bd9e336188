"""Small CNN that predicts attributes (sigmoid) or a label (softmax)."""

from __future__ import annotations

import torch
from torch import nn


class AttributeCNN(nn.Module):
    """Three conv stages, global average pooling, a linear head.

    ``features`` (the pooled vector) is what the Fréchet distance compares.
    """

    def __init__(self, channels: int = 3, outputs: int = 5, width: int = 32):
        super().__init__()

        def stage(c_in, c_out):
            return [
                nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.ReLU(True),
                nn.Conv2d(c_out, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.ReLU(True),
                nn.MaxPool2d(2),
            ]

        self.body = nn.Sequential(*stage(channels, width), *stage(width, width * 2), *stage(width * 2, width * 4))
        self.feature_dim = width * 4
        self.head = nn.Linear(self.feature_dim, outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
