"""The diffusion family: the latent is x_T under a deterministic DDIM sampler.

Two variants share this class. A pixel DDPM denoises images with a UNet; a
latent-diffusion model (as Stable Diffusion does) denoises a VAE's latent
vectors with an MLP and decodes the result with that VAE, which makes
sampling cheap enough for a CPU.
"""

from __future__ import annotations

import numpy as np
import torch

from models.checkpoint import load_state
from models.contract import LatentModel, Progress
from models.diffusion import NoiseSchedule
from models.families import info_from_config
from models.imaging import to_tensor, to_uint8
from models.nets import build_net


class DiffusionModel(LatentModel):
    """DDPM (pixel or latent) explored through its starting noise x_T."""

    can_encode = True
    encode_is_slow = True

    def __init__(self, denoiser, info, schedule: NoiseSchedule, steps: int = 50, vae=None, latent_scale: float = 1.0):
        super().__init__()
        self.denoiser, self.info, self.schedule = denoiser.eval(), info, schedule
        self.steps = steps
        self.vae = vae.eval() if vae is not None else None
        self.latent_scale = latent_scale

    @property
    def is_latent(self) -> bool:
        return self.vae is not None

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        arch = config["architecture"]
        denoiser = build_net(arch["denoiser"])
        load_state(denoiser, tensors, "denoiser.", path)
        vae = None
        if "vae" in arch:
            vae = build_net(arch["vae"])
            load_state(vae, tensors, "vae.", path)
            shape = (vae.latent_dim,)
        else:
            shape = (config["channels"], config["image_size"], config["image_size"])
        schedule = NoiseSchedule(int(arch.get("timesteps", 1000)))
        info = info_from_config(config, path, shape)
        return cls(denoiser, info, schedule, int(arch.get("sampling_steps", 50)), vae, float(arch.get("latent_scale", 1.0)))

    def modules(self):
        return [self.denoiser] + ([self.vae] if self.vae is not None else [])

    def decode(self, latents: np.ndarray, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Decode with per-step progress: ``progress(step, total_steps)``."""
        n_batches = -(-len(latents) // batch_size) if len(latents) else 0
        total = n_batches * self.steps
        self._progress, self._done, self._total = progress, 0, total
        try:
            return super().decode(latents, batch_size, None)
        finally:
            self._progress = None

    def _step(self, i: int, n: int) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(self._done, self._total)

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        clip = None if self.is_latent else 1.0
        x0 = self.schedule.ddim_sample(self.denoiser, z, self.steps, getattr(self, "_step", None), clip=clip)
        if self.is_latent:
            x0 = self.vae.decode(x0 / self.latent_scale)
        return to_uint8(x0)

    def _encode_batch(self, images: np.ndarray) -> np.ndarray:
        """DDIM inversion: the x_T that decodes (approximately) to the image."""
        with torch.inference_mode():
            x = to_tensor(images, self.device)
            if self.is_latent:
                x = self.vae.encode(x)[0] * self.latent_scale
            return self.schedule.ddim_invert(self.denoiser, x, self.steps).float().cpu().numpy()
