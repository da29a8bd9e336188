"""The LatentModel contract: the one interface every generative family wears.

A view never asks which family it holds. It asks the model what its latent is
(shape, prior, natural walk), to decode latents into uint8 images, to encode
images where the family can, and for its metadata.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from models.attribute_codes import AttributeCodes
from models.errors import LatentExplorerError

Progress = Callable[[int, int], None]


class NonFiniteError(LatentExplorerError, ValueError):
    """A model was given, or gave, NaN or infinite values; ``rows`` are the items concerned."""

    def __init__(self, message: str, rows: Sequence[int] = ()):
        super().__init__(message)
        self.rows = [int(r) for r in rows]

    def naming(self, names: Sequence[object], most: int = 5) -> "NonFiniteError":
        """The same error, naming the items of ``rows`` (such as image files) instead of their indices."""
        from models.paths import display_path

        shown = ", ".join(display_path(names[r]) for r in self.rows[:most])
        more = f" and {len(self.rows) - most} more" if len(self.rows) > most else ""
        return NonFiniteError(f"{self.args[0]}: {shown}{more}", self.rows)


def non_finite_rows(values: np.ndarray) -> np.ndarray:
    """Indices of the items (first axis) of ``values`` that hold a NaN or an infinity."""
    values = np.asarray(values)
    if values.dtype.kind not in "fc" or len(values) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))


@dataclass(frozen=True)
class ModelInfo:
    """What a model says about itself."""

    name: str
    family: str  # "vae", "gan", "diffusion"
    image_size: int
    channels: int
    latent_shape: tuple[int, ...]
    prior: str = "N(0, I)"  # where samples come from, in words
    walk: str = "slerp"  # the natural interpolation: slerp for Gaussian priors
    dataset: str = ""
    attributes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    path: str = ""


def prior_latents(shape: Sequence[int], seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """Standard-normal latents where entry ``i`` depends only on ``(seed, i)``.

    Because each latent has its own generator seeded by the pair, any subset
    of indices (a shard of a larger run) gets exactly the latents the full run
    would have given them.
    """
    shape = tuple(int(s) for s in shape)
    out = np.empty((len(indices), *shape), np.float32)
    for j, i in enumerate(indices):
        out[j] = np.random.default_rng([int(seed), int(i)]).standard_normal(shape, dtype=np.float32)
    return out


class LatentModel(ABC):
    """Base class of every generative family.

    Subclasses set ``info`` and implement :meth:`_decode_batch` (and
    :meth:`_encode_batch` where the family can encode).
    """

    info: ModelInfo
    can_encode: bool = False
    encode_is_slow: bool = False
    codes: AttributeCodes | None = None  # attributes written into the first latent dimensions
    #: Decode in float16 on a CUDA device (about twice the throughput on tensor cores).
    #: Only families whose images survive it (small convolutional decoders) set it;
    #: an iterative sampler accumulates the rounding over its steps.
    half_precision_on_gpu: bool = False

    def __init__(self) -> None:
        self.device = torch.device("cpu")

    # -- latent -------------------------------------------------------------
    @property
    def latent_shape(self) -> tuple[int, ...]:
        return self.info.latent_shape

    def sample_latents(self, seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Prior samples (N(0, I), or attribute codes plus N(0, I)); latent ``i`` depends only on ``(seed, i)``."""
        if self.codes is not None:
            return self.codes.sample(self.latent_shape, seed, indices)
        return prior_latents(self.latent_shape, seed, indices)

    # -- decode / encode ----------------------------------------------------
    def decode(self, latents: np.ndarray, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """Latents (n, *latent_shape) → uint8 images (n, h, w, c), without grad."""
        latents = np.asarray(latents, np.float32)
        if latents.shape[1:] != self.latent_shape:
            raise ValueError(f"{self.info.name}: latents of shape {latents.shape[1:]} given, the model takes {self.latent_shape}")
        bad = non_finite_rows(latents)
        if len(bad):
            raise NonFiniteError(f"{self.info.name}: {len(bad)} of {len(latents)} latent(s) hold NaN or infinite "
                                 f"values; nothing was decoded", bad)
        out = np.empty((len(latents), self.info.image_size, self.info.image_size, self.info.channels), np.uint8)
        cuda = self.device.type == "cuda"
        with torch.inference_mode(), torch.autocast("cuda", torch.float16, enabled=cuda and self.half_precision_on_gpu):
            for start in range(0, len(latents), batch_size):
                z = torch.from_numpy(latents[start:start + batch_size].copy())
                # Page-locked host memory lets the copy to the GPU run asynchronously.
                z = z.pin_memory().to(self.device, non_blocking=True) if cuda else z.to(self.device)
                try:
                    out[start:start + len(z)] = self._decode_batch(z)
                except NonFiniteError as exc:  # raised by to_uint8 on the decoder's raw output
                    raise NonFiniteError(f"{self.info.name}: the decoder gave NaN or infinite pixel values "
                                         f"(damaged weights?); {exc}", [start + r for r in exc.rows]) from None
                if progress is not None:
                    progress(min(start + batch_size, len(latents)), len(latents))
        return out

    def encode(self, images: np.ndarray, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """uint8 images (n, h, w, c) → latents (n, *latent_shape)."""
        if not self.can_encode:
            raise NotImplementedError(f"{self.info.name}: a {self.info.family} model has no encoder")
        images = np.asarray(images)
        expected = (self.info.image_size, self.info.image_size, self.info.channels)
        if images.shape[1:] != expected:
            raise ValueError(f"{self.info.name}: images of shape {images.shape[1:]} given, the model takes {expected}")
        out = np.empty((len(images), *self.latent_shape), np.float32)
        for start in range(0, len(images), batch_size):
            out[start:start + batch_size] = self._encode_batch(images[start:start + batch_size])
            if progress is not None:
                progress(min(start + batch_size, len(images)), len(images))
        bad = non_finite_rows(out)
        if len(bad):
            raise NonFiniteError(f"{self.info.name}: the encoder gave NaN or infinite latents for {len(bad)} of "
                                 f"{len(images)} image(s) (damaged weights?)", bad)
        return out

    def reconstruction_error(self, images: np.ndarray, latents: np.ndarray) -> np.ndarray:
        """Mean absolute pixel error (0–1 scale) between images and their codes' decodings."""
        recon = self.decode(latents).astype(np.float32)
        return np.abs(recon - np.asarray(images, np.float32)).reshape(len(recon), -1).mean(1) / 255.0

    @abstractmethod
    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        """One batch of latents on ``self.device`` → uint8 images."""

    def _encode_batch(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- device -------------------------------------------------------------
    def modules(self) -> list[torch.nn.Module]:
        """The torch modules this model runs (moved by :meth:`to`)."""
        return []

    def to(self, device: torch.device | str) -> "LatentModel":
        self.device = torch.device(device)
        for m in self.modules():
            m.to(self.device).eval()
        return self


def best_device() -> torch.device:
    """CUDA when present, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
