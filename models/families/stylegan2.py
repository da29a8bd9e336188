"""The StyleGAN2 family: explore Z or W, with the truncation trick and style mixing.

The latent bank lives in W by default (Karras et al.: W is less entangled
than Z, so walks and attribute arithmetic behave better there). Samples are
drawn in Z from ``(seed, index)`` exactly as every other family draws them,
then mapped. Decoding uses the generator's stored noise buffers
(rosinality's ``randomize_noise=False``), so a code always gives the same image.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import torch

from models.contract import LatentModel, ModelInfo, Progress, prior_latents
from models.imaging import to_uint8

SPACES = ("w", "z")
MEAN_SAMPLES = 4096  # rosinality's ``--truncation_mean`` default
MEAN_SEED = 0x5717  # mean W must not change between runs: truncated images are reproducible


def layer_groups(n_latent: int) -> dict[str, tuple[int, int]]:
    """Latent index ranges of the coarse, middle and fine styles.

    StyleGAN's own style-mixing figure takes indices 0–3 (4²–8²) as coarse,
    4–7 (16²–32²) as middle and 8 onward (64² and up) as fine. A generator
    below 64 px has no 64² level; its top level is called fine instead, so
    each group still means "from the coarsest to the finest".
    """
    fine_start = max(0, min(8, n_latent - 2))
    coarse_stop = min(4, fine_start)
    return {"coarse": (0, coarse_stop), "middle": (coarse_stop, fine_start), "fine": (fine_start, n_latent)}


class StyleGAN2Model(LatentModel):
    """A rosinality StyleGAN2 generator as a LatentModel.

    Attributes
    ----------
    space
        ``"w"`` (default) or ``"z"``: what :meth:`decode` takes and
        :meth:`sample_latents` gives; change it with :meth:`set_space`.
    truncation
        ψ of the truncation trick (1.0 = none); see :meth:`set_truncation`.
    """

    #: Images are encoded by optimising a code (no encoder network): slow, with progress per step.
    can_encode = True
    encode_is_slow = True
    inversion_steps = 200

    def __init__(self, generator, info: ModelInfo):
        super().__init__()
        # Only codes are ever optimised (inversion): no gradients for the weights.
        self.generator = generator.eval().requires_grad_(False)
        self.info = info
        self.space = "w"
        self.truncation = 1.0
        self._mean_w: torch.Tensor | None = None
        self._describe()

    # -- spaces and truncation ------------------------------------------------
    @property
    def family(self) -> str:
        """``"stylegan2"``: what the window asks before offering truncation and style mixing."""
        return self.info.family

    @property
    def layer_groups(self) -> dict[str, tuple[int, int]]:
        """``"coarse"``, ``"middle"``, ``"fine"`` → latent index ranges ``(start, stop)``."""
        return layer_groups(self.generator.n_latent)

    def set_space(self, name: str) -> None:
        """Explore ``"w"`` (mapped, the default) or ``"z"`` (the Gaussian input of the mapping network)."""
        if name not in SPACES:
            raise ValueError(f"{self.info.name}: unknown latent space {name!r} (known: w, z)")
        self.space = name
        self._describe()

    def set_truncation(self, psi: float) -> None:
        """Pull every decoded W toward the mean W: ``w' = mean + ψ (w - mean)``; 1.0 turns it off."""
        psi = float(psi)
        if not np.isfinite(psi) or not 0.0 <= psi <= 2.0:
            raise ValueError(f"{self.info.name}: truncation ψ must be between 0 and 2, got {psi}")
        self.truncation = psi
        self._describe()

    def recipe(self) -> dict:
        """What a code of this model decodes with besides itself: its space and ψ (kept with a
        bank, a session and every sampled or exported image, so they are decoded the same again)."""
        return {"space": self.space, "truncation": float(self.truncation)}

    def apply_recipe(self, recipe: dict) -> None:
        """Set the space and ψ a :meth:`recipe` names (missing keys stay as they are)."""
        if "space" in recipe:
            self.set_space(str(recipe["space"]))
        if "truncation" in recipe:
            self.set_truncation(float(recipe["truncation"]))

    def mean_w(self) -> torch.Tensor:
        """The mean W over 4096 mapped samples (computed once, from a fixed seed)."""
        if self._mean_w is None:
            # A plain tensor even when first asked for inside a decode's inference mode:
            # inversion uses the mean in an autograd graph.
            with torch.inference_mode(False), torch.no_grad():
                z = torch.from_numpy(prior_latents((self.generator.style_dim,), MEAN_SEED, range(MEAN_SAMPLES)))
                w = torch.cat([self.generator.mapping(c.to(self.device)) for c in z.split(1024)])
                self._mean_w = w.mean(0, keepdim=True)
        return self._mean_w

    def _describe(self) -> None:
        psi = "" if self.truncation == 1.0 else f", truncation ψ={self.truncation:g}"
        if self.space == "w":
            prior, walk = f"W = mapping(z), z ~ N(0, I){psi}", "lerp"  # W is not Gaussian: walk straight
        else:
            prior, walk = f"N(0, I) in Z, mapped to W to draw{psi}", "slerp"
        # From the current info: a reader may have added to its provenance since.
        self.info = dataclasses.replace(self.info, prior=prior, walk=walk)

    # -- latents ----------------------------------------------------------------
    def sample_latents(self, seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Z ~ N(0, I) from ``(seed, index)``, mapped to W when the space is W."""
        z = prior_latents(self.latent_shape, seed, indices)
        if self.space == "z" or len(z) == 0:
            return z
        return self.to_w(z)

    def to_w(self, z: np.ndarray) -> np.ndarray:
        """Map Z codes (n, style_dim) through the mapping network (no truncation)."""
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(z, np.float32))
            return torch.cat([self.generator.mapping(c.to(self.device)) for c in t.split(1024)]).cpu().numpy()

    def _w_of(self, latents: torch.Tensor) -> torch.Tensor:
        w = self.generator.mapping(latents) if self.space == "z" else latents
        if self.truncation != 1.0:
            mean = self.mean_w().to(w.device, w.dtype)
            w = mean + self.truncation * (w - mean)
        return w

    # -- decoding -----------------------------------------------------------------
    def decode(self, latents: np.ndarray, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """As :meth:`LatentModel.decode`; on a CPU in batches of a few, so progress comes often."""
        if self.device.type == "cpu":
            batch_size = min(batch_size, self._cpu_batch())
        return super().decode(latents, batch_size, progress)

    def _cpu_batch(self) -> int:
        # A 256 px generator takes seconds per image on a CPU: batches of 4 there (1 at 512 px and up),
        # so progress, and a cancel, come every few seconds; small generators keep large batches.
        return max(1, int(16 * (128 / self.info.image_size) ** 2))

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        w = self._w_of(z)
        return self._synthesise(w.unsqueeze(1).repeat(1, self.generator.n_latent, 1))

    def _synthesise(self, latent: torch.Tensor) -> np.ndarray:
        return to_uint8(self.generator.synthesis(latent, self.generator.fixed_noise()))

    def decode_progressively(self, latent: np.ndarray, progress: Progress) -> np.ndarray:
        """One latent → one image, reporting ``progress(level, levels)`` per resolution level.

        On a CPU a 256 px generator takes seconds for a single image; this
        lets the window show how far it got.
        """
        z = torch.from_numpy(np.asarray(latent, np.float32).reshape(1, *self.latent_shape)).to(self.device)
        total = self.generator.blocks()
        done = [0]

        def step():
            done[0] += 1
            progress(done[0], total)

        with torch.inference_mode():
            w = self._w_of(z).unsqueeze(1).repeat(1, self.generator.n_latent, 1)
            return to_uint8(self.generator.synthesis(w, self.generator.fixed_noise(), on_block=step))

    def style_mix(self, a: np.ndarray, b: np.ndarray, layers: str | tuple[int, int]) -> np.ndarray:
        """Images from W+ codes taking the styles of ``layers`` from ``b`` and the rest from ``a``.

        Parameters
        ----------
        a, b
            (n, style_dim) codes in the model's current space (b may be one row, used for every a).
        layers
            ``"coarse"``, ``"middle"``, ``"fine"`` (see :attr:`layer_groups`) or a
            ``(start, stop)`` range of latent indices.

        Returns
        -------
        np.ndarray
            uint8 (n, h, w, 3).
        """
        start, stop = self._layer_range(layers)
        a = np.asarray(a, np.float32).reshape(-1, *self.latent_shape)
        b = np.broadcast_to(np.asarray(b, np.float32).reshape(-1, *self.latent_shape), a.shape)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise ValueError(f"{self.info.name}: style mixing needs finite latents")
        out = np.empty((len(a), self.info.image_size, self.info.image_size, self.info.channels), np.uint8)
        step = self._cpu_batch() if self.device.type == "cpu" else 64
        with torch.inference_mode():
            for s in range(0, len(a), step):
                wa = self._w_of(torch.from_numpy(a[s:s + step].copy()).to(self.device))
                wb = self._w_of(torch.from_numpy(b[s:s + step].copy()).to(self.device))
                latent = wa.unsqueeze(1).repeat(1, self.generator.n_latent, 1)
                latent[:, start:stop] = wb.unsqueeze(1)
                out[s:s + len(wa)] = self._synthesise(latent)
        return out

    # -- encoding (inversion) -------------------------------------------------------
    def encode(self, images: np.ndarray, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Codes of the current space whose decodings match ``images``, by gradient descent.

        In Z the app's GAN inversion is used (a pull toward the Gaussian's
        shell); in W the search starts from the best of the mean W and a few
        mapped samples (Abdal et al., *Image2StyleGAN*, without the perceptual
        loss). ``progress(step, total_steps)``; it may raise to cancel.
        """
        from models.imaging import to_tensor
        from models.inversion import invert_generator

        images = np.asarray(images)
        expected = (self.info.image_size, self.info.image_size, self.info.channels)
        if images.shape[1:] != expected:
            raise ValueError(f"{self.info.name}: images of shape {images.shape[1:]} given, the model takes {expected}")
        out = np.empty((len(images), *self.latent_shape), np.float32)
        total = -(-len(images) // batch_size) * self.inversion_steps
        with torch.enable_grad():
            for b, start in enumerate(range(0, len(images), batch_size)):
                target = to_tensor(images[start:start + batch_size], self.device)
                args = dict(steps=self.inversion_steps, seed=start, progress=progress,
                            offset=b * self.inversion_steps, total=total)
                if self.space == "z":
                    code = invert_generator(self._images, target, self.generator.style_dim, **args)
                else:
                    code = self._invert_w(target, **args)
                out[start:start + len(target)] = code.cpu().numpy()
        return out

    def _images(self, code: torch.Tensor) -> torch.Tensor:
        """Codes of the current space → float images, differentiable (for inversion)."""
        w = self._w_of(code)
        return self.generator.synthesis(w.unsqueeze(1).repeat(1, self.generator.n_latent, 1),
                                        self.generator.fixed_noise())

    def _invert_w(self, target, steps, seed, progress, offset, total, restarts: int = 4) -> torch.Tensor:
        n, d = len(target), self.generator.style_dim
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            mapped = self.generator.mapping(torch.randn(restarts * n, d, generator=gen).to(self.device))
            starts = torch.cat([self.mean_w().expand(n, d), mapped]).view(restarts + 1, n, d)
            errors = torch.stack([((self._images(s) - target) ** 2).flatten(1).mean(1) for s in starts])
            w = starts[errors.argmin(0), torch.arange(n, device=self.device)].clone()
            lr = 0.05 * float(mapped.std())  # W's scale depends on the mapping network's weights
        w.requires_grad_(True)
        opt = torch.optim.Adam([w], lr=lr)
        for step in range(steps):
            opt.zero_grad(set_to_none=True)
            ((self._images(w) - target) ** 2).flatten(1).mean(1).sum().backward()
            opt.step()
            if progress is not None:
                progress(offset + step + 1, total)
        return w.detach()

    def _layer_range(self, layers) -> tuple[int, int]:
        n = self.generator.n_latent
        if isinstance(layers, str):
            if layers not in self.layer_groups:
                raise ValueError(f"{self.info.name}: unknown layer group {layers!r} (coarse, middle, fine)")
            return self.layer_groups[layers]
        start, stop = (int(v) for v in layers)
        if not 0 <= start < stop <= n:
            raise ValueError(f"{self.info.name}: layer range {start}–{stop} outside 0–{n} (this generator has {n} styles)")
        return start, stop

    # -- device -------------------------------------------------------------------
    def modules(self):
        return [self.generator]

    def to(self, device):
        self._mean_w = None if self._mean_w is None else self._mean_w.to(device)
        return super().to(device)
