"""The VAE family: decode with the decoder, encode to the posterior mean."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from models.attribute_codes import AttributeCodes, codes_from_config
from models.checkpoint import load_state
from models.contract import LatentModel
from models.families import info_from_config
from models.imaging import to_tensor, to_uint8
from models.latent_prior import MixturePrior
from models.nets import build_net


class VAEModel(LatentModel):
    """A convolutional VAE, trained against an N(0, I) prior or, with attribute
    codes, against the conditional prior of :class:`AttributeCodes`.

    Where the checkpoint holds a :class:`MixturePrior` fitted to the encoded
    training set, samples come from it; they land where real images encode
    rather than in the prior's holes. Otherwise they come from the prior the
    VAE was trained against.
    """

    half_precision_on_gpu = True

    can_encode = True

    def __init__(self, net, info, fitted_prior: MixturePrior | None = None, codes: AttributeCodes | None = None):
        super().__init__()
        self.net, self.info, self.fitted_prior, self.codes = net.eval(), info, fitted_prior, codes

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        net = build_net(config["architecture"])
        load_state(net, tensors, "vae.", path)
        fitted = MixturePrior.from_tensors(tensors, net.latent_dim)
        codes = codes_from_config(config, net.latent_dim)
        source = fitted or codes
        extra = {"prior": source.describe()} if source is not None else {}
        return cls(net, info_from_config(config, path, (net.latent_dim,), **extra), fitted, codes)

    def sample_latents(self, seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        if self.fitted_prior is None:
            return self.trained_prior_latents(seed, indices)
        return self.fitted_prior.sample(self.latent_shape, seed, indices)

    def trained_prior_latents(self, seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Samples of the prior the VAE was trained against (codes or N(0, I)), even with a fitted one."""
        return super().sample_latents(seed, indices)

    def modules(self):
        return [self.net]

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        return to_uint8(self.net.decode(z))

    def _encode_batch(self, images: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            mu, _ = self.net.encode(to_tensor(images, self.device))
        return mu.float().cpu().numpy()
