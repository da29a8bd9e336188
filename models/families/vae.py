"""The VAE family: decode with the decoder, encode to the posterior mean."""

from __future__ import annotations

import numpy as np
import torch

from models.checkpoint import load_state
from models.contract import LatentModel
from models.families import info_from_config
from models.imaging import to_tensor, to_uint8
from models.nets import build_net


class VAEModel(LatentModel):
    """A convolutional VAE with a N(0, I) prior."""

    can_encode = True

    def __init__(self, net, info):
        super().__init__()
        self.net, self.info = net.eval(), info

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        net = build_net(config["architecture"])
        load_state(net, tensors, "vae.", path)
        return cls(net, info_from_config(config, path, (net.latent_dim,)))

    def modules(self):
        return [self.net]

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        return to_uint8(self.net.decode(z))

    def _encode_batch(self, images: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            mu, _ = self.net.encode(to_tensor(images, self.device))
        return mu.float().cpu().numpy()
