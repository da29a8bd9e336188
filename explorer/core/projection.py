"""Projections of latent codes to 2-D for the scatter view."""

from __future__ import annotations

import numpy as np


class PCAProjection:
    """Principal component analysis by SVD: instant, and has a transform, so
    any new latent lands where it belongs among the bank's points."""

    def __init__(self, components: int = 2):
        self.components = components
        self.mean_: np.ndarray | None = None
        self.axes_: np.ndarray | None = None
        self.explained_variance_ratio_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> "PCAProjection":
        x = np.asarray(x, np.float64).reshape(len(x), -1)
        if len(x) < 2:
            raise ValueError("PCA needs at least two points")
        self.mean_ = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - self.mean_, full_matrices=False)
        k = min(self.components, vt.shape[0])
        axes = vt[:k]
        # Fix each axis' sign so the layout does not flip between runs.
        signs = np.sign(axes[np.arange(k), np.abs(axes).argmax(axis=1)])
        self.axes_ = axes * signs[:, None]
        var = s**2
        self.explained_variance_ratio_ = var[:k] / var.sum() if var.sum() > 0 else np.zeros(k)
        if k < self.components:  # fewer dimensions than components: pad with zeros
            self.axes_ = np.vstack([self.axes_, np.zeros((self.components - k, x.shape[1]))])
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.axes_ is None:
            raise RuntimeError("PCAProjection.transform called before fit")
        x = np.asarray(x, np.float64).reshape(len(x), -1)
        return ((x - self.mean_) @ self.axes_.T).astype(np.float32)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)
