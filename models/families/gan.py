"""The GAN family: a generator from z ~ N(0, I), or from attribute codes plus N(0, I)."""

from __future__ import annotations

import numpy as np
import torch

from models.attribute_codes import AttributeCodes, codes_from_config
from models.checkpoint import load_state
from models.contract import LatentModel
from models.families import info_from_config
from models.imaging import to_uint8
from models.nets import build_net


class GANModel(LatentModel):
    """A DCGAN generator (the discriminator, if stored, is not needed to explore).

    It has no encoder; :meth:`encode` inverts the generator by optimisation,
    which is slow (``encode_is_slow``) and reports progress per step.
    """

    half_precision_on_gpu = True

    can_encode = True
    encode_is_slow = True
    inversion_steps = 200

    def __init__(self, generator, info, codes: AttributeCodes | None = None):
        super().__init__()
        self.generator, self.info, self.codes = generator.eval(), info, codes

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        g = build_net(config["architecture"]["generator"])
        load_state(g, tensors, "generator.", path)
        codes = codes_from_config(config, g.nz)
        extra = {"prior": codes.describe()} if codes is not None else {}
        return cls(g, info_from_config(config, path, (g.nz,), **extra), codes)

    def modules(self):
        return [self.generator]

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        return to_uint8(self.generator(z))

    def encode(self, images: np.ndarray, batch_size: int = 64, progress=None) -> np.ndarray:
        """Optimisation-based inversion; ``progress(step, total_steps)``."""
        from models.imaging import to_tensor
        from models.inversion import invert_generator

        images = np.asarray(images)
        expected = (self.info.image_size, self.info.image_size, self.info.channels)
        if images.shape[1:] != expected:
            raise ValueError(f"{self.info.name}: images of shape {images.shape[1:]} given, the model takes {expected}")
        out = np.empty((len(images), *self.latent_shape), np.float32)
        n_batches = -(-len(images) // batch_size)
        total = n_batches * self.inversion_steps
        with torch.enable_grad():
            for b, start in enumerate(range(0, len(images), batch_size)):
                target = to_tensor(images[start:start + batch_size], self.device)
                z = invert_generator(self.generator, target, self.generator.nz, steps=self.inversion_steps,
                                     seed=start, progress=progress, offset=b * self.inversion_steps, total=total)
                out[start:start + len(target)] = z.cpu().numpy().reshape(len(target), *self.latent_shape)
        return out
