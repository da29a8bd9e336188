"""The VQ-VAE family: a discrete latent, explored through its continuous map.

The latent a view holds is the encoder's continuous map before quantisation,
(D, H, W). :meth:`VQVAEModel.decode` re-quantises each of its H×W cells to the
nearest codebook vector before drawing, so anything the app does with
continuous latents (walks, arithmetic, the scatter) works, and every image
shown is one the VQ-VAE can make. The discrete side is available as grids of
code indices: :meth:`~VQVAEModel.code_indices`, :meth:`~VQVAEModel.decode_codes`,
:meth:`~VQVAEModel.code_vectors` and :meth:`~VQVAEModel.codebook_usage`.

The model wraps any module with ``codebook`` (K, D), ``encode(images) → map``
and ``decode(quantised map) → images in [-1, 1]``: the native
:class:`models.nets.vqvae.VQVAE`, or a diffusers ``VQModel`` through the
adapter in :mod:`models.readers.diffusers_vq`.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import torch

from models.checkpoint import load_state
from models.contract import LatentModel, ModelInfo
from models.families import info_from_config
from models.families.vqvae_prior import PCAMixturePrior, uniform_code_latents
from models.imaging import to_tensor, to_uint8
from models.nets import build_net
from models.nets.vqvae import nearest_codes

WALK_NOTE = "walks interpolate the continuous map; every frame is re-quantised to the nearest codes"


class VQVAEModel(LatentModel):
    """A VQ-VAE as a LatentModel, with its codebook API.

    Parameters
    ----------
    net
        The module (see the module docstring for what it must offer).
    info
        Its metadata; ``latent_shape`` is the pre-quantisation map (D, H, W).
    prior
        Where samples come from; None draws codes uniformly per cell.
    """

    family = "vqvae"
    can_encode = True
    encode_is_slow = False
    half_precision_on_gpu = True

    def __init__(self, net: torch.nn.Module, info: ModelInfo, prior: PCAMixturePrior | None = None):
        super().__init__()
        self.net, self.prior = net.eval(), prior
        # Said wherever a walk is shown: its frames are not the straight line they look like.
        self.info = dataclasses.replace(info, provenance={**info.provenance, "walk_note": WALK_NOTE})
        # The codebook is small (K × D); a CPU copy makes index → vector look-ups free of device traffic.
        self._codebook = net.codebook.detach().float().cpu().numpy().copy()

    @classmethod
    def from_checkpoint(cls, config, tensors, path):
        net = build_net(config["architecture"])
        load_state(net, tensors, "vqvae.", path)
        shape = net.latent_shape
        prior = PCAMixturePrior.from_tensors(tensors, int(np.prod(shape)))
        words = prior.describe() if prior is not None else uniform_words()
        return cls(net, info_from_config(config, path, shape, prior=words, walk="lerp"), prior)

    # -- the discrete latent ----------------------------------------------------
    @property
    def codebook_size(self) -> int:
        """K, the number of codes."""
        return int(self._codebook.shape[0])

    @property
    def code_grid_shape(self) -> tuple[int, int]:
        """(H, W) of the grid of codes."""
        return (int(self.latent_shape[1]), int(self.latent_shape[2]))

    @property
    def codebook(self) -> np.ndarray:
        """The code vectors, float32 (K, D) (a copy)."""
        return self._codebook.copy()

    def code_indices(self, latents: np.ndarray) -> np.ndarray:
        """Nearest codebook indices, int64 (N, H, W), of maps (N, D, H, W) or flat (N, D·H·W)."""
        maps = self._maps(latents)
        n, d, h, w = maps.shape
        flat = torch.from_numpy(np.ascontiguousarray(maps.transpose(0, 2, 3, 1).reshape(-1, d)))
        book = torch.from_numpy(self._codebook)
        # Chunked: the distance matrix of a large bank against the codebook would not fit at once.
        out = torch.cat([nearest_codes(flat[i:i + 65536], book) for i in range(0, len(flat), 65536)]) if len(flat) \
            else torch.zeros(0, dtype=torch.int64)
        return out.numpy().astype(np.int64).reshape(n, h, w)

    def code_vectors(self, codes: np.ndarray) -> np.ndarray:
        """The quantised maps float32 (N, D, H, W) of index grids (N, H, W): ``codebook[codes]``, valid latents."""
        codes = self._check_codes(codes)
        return np.ascontiguousarray(self._codebook[codes].transpose(0, 3, 1, 2), dtype=np.float32)

    def decode_codes(self, codes: np.ndarray, batch_size: int = 64, progress=None) -> np.ndarray:
        """Index grids (N, H, W) → uint8 images (N, H_img, W_img, C)."""
        return self.decode(self.code_vectors(codes), batch_size=batch_size, progress=progress)

    def codebook_usage(self, latents: np.ndarray) -> np.ndarray:
        """How many grid cells of ``latents`` use each code, int64 (K,); zeros are dead codes."""
        return np.bincount(self.code_indices(latents).ravel(), minlength=self.codebook_size).astype(np.int64)

    # -- the LatentModel contract -----------------------------------------------
    def sample_latents(self, seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Maps from the fitted prior, or uniformly drawn codes; map ``i`` depends only on ``(seed, i)``."""
        if self.prior is not None:
            return self.prior.sample(self.latent_shape, seed, indices)
        return uniform_code_latents(self._codebook, self.code_grid_shape, seed, indices)

    def modules(self):
        return [self.net]

    def _decode_batch(self, z: torch.Tensor) -> np.ndarray:
        n, d, h, w = z.shape
        book = self.net.codebook
        idx = nearest_codes(z.permute(0, 2, 3, 1).reshape(-1, d), book)
        q = book[idx].view(n, h, w, d).permute(0, 3, 1, 2).to(z.dtype)
        return to_uint8(self.net.decode(q).clamp(-1, 1))

    def _encode_batch(self, images: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.net.encode(to_tensor(images, self.device)).float().cpu().numpy()

    # -- checks -------------------------------------------------------------------
    def _maps(self, latents: np.ndarray) -> np.ndarray:
        latents = np.asarray(latents, np.float32)
        shape = tuple(self.latent_shape)
        if latents.shape[1:] == shape:
            return latents
        if latents.ndim == 2 and latents.shape[1] == int(np.prod(shape)):
            return latents.reshape(len(latents), *shape)
        raise ValueError(f"{self.info.name}: latents of shape {latents.shape[1:]} given, the model takes {shape} "
                         f"(or {int(np.prod(shape))} flat)")

    def _check_codes(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        if codes.ndim != 3 or codes.shape[1:] != self.code_grid_shape:
            raise ValueError(f"{self.info.name}: code grids of shape {codes.shape[1:]} given, the model's grid is "
                             f"{self.code_grid_shape}")
        if codes.dtype.kind not in "iu":
            raise ValueError(f"{self.info.name}: code grids must hold integers, not {codes.dtype}")
        if codes.size and (codes.min() < 0 or codes.max() >= self.codebook_size):
            raise ValueError(f"{self.info.name}: codes must lie in 0–{self.codebook_size - 1}, "
                             f"got {int(codes.min())}–{int(codes.max())}")
        return codes.astype(np.int64)


def uniform_words() -> str:
    """The prior of a VQ-VAE that brings none, in words."""
    return "each cell's code drawn uniformly from the codebook (this file has no prior over code maps)"
