"""A Gaussian-mixture prior fitted to a VAE's encoded training set.

A VAE trained with an N(0, I) prior leaves "holes": regions the prior samples
often but no training image encodes to, which decode to blurred in-between
faces. Fitting a density to the aggregate posterior after training and
sampling from it instead ("ex-post density estimation", Ghosh et al. 2020,
*From Variational to Deterministic Autoencoders*; the second stage of Dai &
Wipf 2019) removes most of them without retraining. The mixture is stored in
the checkpoint beside the weights, so sampling stays deterministic from
``(seed, index)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

PREFIX = "prior."


@dataclass(frozen=True)
class MixturePrior:
    """``K`` full-covariance Gaussians over flat latents of ``dim`` entries."""

    weights: np.ndarray  # (K,), sums to 1
    means: np.ndarray  # (K, dim)
    chol: np.ndarray  # (K, dim, dim), lower-triangular Cholesky factors of the covariances

    @property
    def components(self) -> int:
        return len(self.weights)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @classmethod
    def fit(cls, latents: np.ndarray, components: int = 20, seed: int = 0) -> "MixturePrior":
        """Fit by EM (scikit-learn). ``components`` is capped so each has ≥ 20 codes."""
        from sklearn.mixture import GaussianMixture

        latents = np.asarray(latents, np.float64).reshape(len(latents), -1)
        k = max(1, min(int(components), len(latents) // 20))
        gm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=seed, max_iter=300).fit(latents)
        return cls(gm.weights_.astype(np.float32), gm.means_.astype(np.float32),
                   np.linalg.cholesky(gm.covariances_).astype(np.float32))

    def sample(self, shape: Sequence[int], seed: int, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Latents of ``shape`` where entry ``i`` depends only on ``(seed, i)``, like the N(0, I) prior."""
        shape = tuple(int(s) for s in shape)
        cumulative = np.cumsum(self.weights, dtype=np.float64)
        out = np.empty((len(indices), self.dim), np.float32)
        for j, i in enumerate(indices):
            rng = np.random.default_rng([int(seed), int(i)])
            k = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), self.components - 1)
            out[j] = self.means[k] + self.chol[k] @ rng.standard_normal(self.dim, dtype=np.float32)
        return out.reshape(len(indices), *shape)

    def describe(self) -> str:
        return f"mixture of {self.components} Gaussians fitted to the encoded training set"

    # -- checkpoint tensors ---------------------------------------------------
    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {PREFIX + "weights": torch.from_numpy(self.weights), PREFIX + "means": torch.from_numpy(self.means),
                PREFIX + "chol": torch.from_numpy(self.chol)}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], dim: int) -> "MixturePrior | None":
        """The stored prior, None if the checkpoint has none; ValueError if it is malformed."""
        names = [PREFIX + n for n in ("weights", "means", "chol")]
        present = [n for n in names if n in tensors]
        if not present:
            return None
        if len(present) < 3:
            raise ValueError(f"the fitted prior is incomplete (has {', '.join(present)})")
        w, mu, chol = (tensors[n].float().numpy() for n in names)
        k = len(w)
        if w.ndim != 1 or k == 0 or mu.shape != (k, dim) or chol.shape != (k, dim, dim):
            raise ValueError(f"the fitted prior's tensors have shapes {w.shape}, {mu.shape}, {chol.shape}; "
                             f"a {dim}-d latent needs (K,), (K, {dim}), (K, {dim}, {dim})")
        if not (np.isfinite(w).all() and np.isfinite(mu).all() and np.isfinite(chol).all()) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("the fitted prior holds negative or non-finite values")
        return cls(w / w.sum(), mu, chol)
