"""A diffusers ``AutoencoderKL`` (the VAE of latent diffusion) as a LatentModel.

The latent is the VAE's spatial code, C×h×w, in the *scaled* units latent
diffusion works in: ``(posterior mean − shift) × scaling_factor``. The
scaling makes the codes roughly unit-variance, so the N(0, I) prior and
slerp walks of the rest of the app fit them.

This module never imports diffusers: the reader hands it a loaded module.
"""

from __future__ import annotations

import numpy as np
import torch

from models.contract import LatentModel, ModelInfo
from models.imaging import to_tensor, to_uint8


class AutoencoderKLModel(LatentModel):
    """A diffusers ``AutoencoderKL``: decode scaled latents, encode to the posterior mean.

    Parameters
    ----------
    vae
        A loaded ``diffusers.AutoencoderKL``.
    info
        Its metadata; ``latent_shape`` is ``(latent_channels, h, w)``.
    scaling_factor, shift_factor
        From the VAE's config: latents are ``(mean − shift) × scaling``.
    """

    can_encode = True
    encode_is_slow = False

    def __init__(self, vae: torch.nn.Module, info: ModelInfo, scaling_factor: float = 1.0, shift_factor: float = 0.0):
        super().__init__()
        self.vae, self.info = vae.eval(), info
        self.scaling_factor, self.shift_factor = float(scaling_factor), float(shift_factor)

    def modules(self):
        return [self.vae]

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        x = self.vae.decode(z / self.scaling_factor + self.shift_factor).sample
        return to_uint8(x.clamp(-1, 1))

    def _encode_batch(self, images: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            # The mean, not a sample: the same image must always give the same code.
            mean = self.vae.encode(to_tensor(images, self.device)).latent_dist.mean
            return ((mean - self.shift_factor) * self.scaling_factor).float().cpu().numpy()
