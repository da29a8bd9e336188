"""Where a VQ-VAE's samples come from.

A VQ-VAE is trained without a prior; the paper fits an autoregressive one
(a PixelCNN over code grids) afterwards. This app ships something much
smaller: a Gaussian mixture fitted to the principal components of the
encoded training maps (:class:`PCAMixturePrior`), whose samples are mapped
back to a continuous map and re-quantised by the model's decode. A file
without one (a diffusers ``VQModel``) draws each cell's code uniformly at
random (:func:`uniform_code_latents`), and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from models.latent_prior import PREFIX, MixturePrior


@dataclass(frozen=True)
class PCAMixturePrior:
    """A :class:`MixturePrior` over the first ``k`` principal components of flat maps.

    ``center`` (dim,) and ``basis`` (k, dim, orthonormal rows) map the
    mixture's k-dimensional samples back to maps: ``center + y @ basis``.
    """

    center: np.ndarray
    basis: np.ndarray
    mixture: MixturePrior

    @classmethod
    def fit(cls, maps: np.ndarray, components: int = 32, mixture: int = 10, seed: int = 0) -> "PCAMixturePrior":
        """Fit to encoded maps (n, D, H, W): PCA by SVD, then a mixture in the reduced space."""
        flat = np.asarray(maps, np.float64).reshape(len(maps), -1)
        center = flat.mean(0)
        k = max(1, min(int(components), flat.shape[1], len(flat) - 1))
        _, _, vt = np.linalg.svd(flat - center, full_matrices=False)
        basis = vt[:k]
        reduced = (flat - center) @ basis.T
        return cls(center.astype(np.float32), basis.astype(np.float32), MixturePrior.fit(reduced, mixture, seed=seed))

    def sample(self, shape: Sequence[int], seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Maps of ``shape``; map ``i`` depends only on ``(seed, i)``."""
        y = self.mixture.sample((self.mixture.dim,), seed, indices)
        return (self.center + y @ self.basis).reshape(len(y), *shape).astype(np.float32)

    def describe(self) -> str:
        return (f"a mixture of {self.mixture.components} Gaussians over {len(self.basis)} principal components of "
                f"the encoded training maps, re-quantised to the nearest codes (no autoregressive prior)")

    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {**self.mixture.to_tensors(), PREFIX + "center": torch.from_numpy(self.center),
                PREFIX + "basis": torch.from_numpy(self.basis)}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], dim: int) -> "PCAMixturePrior | None":
        """The stored prior for flat maps of ``dim`` entries, None if absent; ValueError if malformed."""
        names = (PREFIX + "center", PREFIX + "basis")
        if not any(n in tensors for n in names):
            return None
        if not all(n in tensors for n in names):
            raise ValueError("the code-map prior is incomplete (needs prior.center and prior.basis)")
        center, basis = (tensors[n].float().numpy() for n in names)
        if center.shape != (dim,) or basis.ndim != 2 or basis.shape[1] != dim or not 0 < len(basis) <= dim:
            raise ValueError(f"the code-map prior's tensors have shapes {center.shape} and {basis.shape}; "
                             f"maps of {dim} entries need ({dim},) and (k, {dim})")
        if not (np.isfinite(center).all() and np.isfinite(basis).all()):
            raise ValueError("the code-map prior holds non-finite values")
        mixture = MixturePrior.from_tensors(tensors, len(basis))
        if mixture is None:
            raise ValueError("the code-map prior has no mixture (prior.weights, prior.means, prior.chol)")
        return cls(center, basis, mixture)


def uniform_code_latents(codebook: np.ndarray, grid: tuple[int, int], seed: int,
                         indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """Quantised maps (n, D, H, W) whose cells hold codes drawn uniformly; map ``i`` depends only on ``(seed, i)``."""
    out = np.empty((len(indices), codebook.shape[1], *grid), np.float32)
    for j, i in enumerate(indices):
        codes = np.random.default_rng([int(seed), int(i)]).integers(0, len(codebook), grid)
        out[j] = codebook[codes].transpose(2, 0, 1)
    return out
