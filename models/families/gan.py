"""The GAN family: a generator from z ~ N(0, I)."""

from __future__ import annotations

import numpy as np
import torch

from models.checkpoint import load_state
from models.contract import LatentModel
from models.families import info_from_config
from models.imaging import to_uint8
from models.nets import build_net


class GANModel(LatentModel):
    """A DCGAN generator (the discriminator, if stored, is not needed to explore)."""

    def __init__(self, generator, info):
        super().__init__()
        self.generator, self.info = generator.eval(), info

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        g = build_net(config["architecture"]["generator"])
        load_state(g, tensors, "generator.", path)
        return cls(g, info_from_config(config, path, (g.nz,)))

    def modules(self):
        return [self.generator]

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        return to_uint8(self.generator(z))
