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


class AttributeAxes:
    """The Embedding Projector's custom projection: x along one named vector,
    y along another (both measured from the bank's mean)."""

    def __init__(self, x_vector: np.ndarray, y_vector: np.ndarray):
        x, y = (np.asarray(v, np.float64).ravel() for v in (x_vector, y_vector))
        if np.linalg.norm(x) == 0 or np.linalg.norm(y) == 0:
            raise ValueError("an axis vector is zero")
        self.x_axis, self.y_axis = x / np.linalg.norm(x), y / np.linalg.norm(y)
        self.mean_: np.ndarray | None = None
        self.explained_variance_ratio_ = None

    def fit(self, latents: np.ndarray) -> "AttributeAxes":
        self.mean_ = np.asarray(latents, np.float64).reshape(len(latents), -1).mean(0)
        return self

    def transform(self, latents: np.ndarray) -> np.ndarray:
        x = np.asarray(latents, np.float64).reshape(len(latents), -1) - self.mean_
        return np.stack([x @ self.x_axis, x @ self.y_axis], axis=1).astype(np.float32)

    def fit_transform(self, latents: np.ndarray) -> np.ndarray:
        return self.fit(latents).transform(latents)


class NeighbourPlacement:
    """Places new latents in a layout that has no transform (t-SNE, UMAP):
    at the inverse-distance-weighted mean position of their k nearest codes."""

    def __init__(self, latents: np.ndarray, coords: np.ndarray, k: int = 5):
        self.latents = np.asarray(latents, np.float64).reshape(len(latents), -1)
        self.coords = np.asarray(coords, np.float32)
        self.k = min(k, len(self.latents))
        self.explained_variance_ratio_ = None

    def transform(self, latents: np.ndarray) -> np.ndarray:
        q = np.asarray(latents, np.float64).reshape(len(latents), -1)
        d = np.sqrt(((q[:, None, :] - self.latents[None]) ** 2).sum(-1))
        idx = np.argsort(d, axis=1)[:, : self.k]
        dd = np.take_along_axis(d, idx, axis=1)
        w = 1.0 / (dd + 1e-9)
        exact = dd[:, :1] < 1e-9  # a code already in the bank sits exactly on its point
        w = np.where(exact, np.eye(1, self.k, 0), w)
        w /= w.sum(1, keepdims=True)
        return (self.coords[idx] * w[..., None]).sum(1).astype(np.float32)


METHODS = ("PCA", "t-SNE", "UMAP", "attribute axes")


def embed(method: str, latents: np.ndarray, seed: int = 0) -> np.ndarray:
    """2-D coordinates by t-SNE (scikit-learn) or UMAP (umap-learn); slow, so
    the app calls this in a background process."""
    x = np.asarray(latents, np.float32).reshape(len(latents), -1)
    if method == "t-SNE":
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, max(2.0, (len(x) - 1) / 3)))
        return TSNE(2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(x).astype(np.float32)
    if method == "UMAP":
        try:
            import umap
        except ImportError as exc:
            raise RuntimeError("UMAP needs the umap-learn package (pip install umap-learn)") from exc
        return umap.UMAP(n_components=2, random_state=seed).fit_transform(x).astype(np.float32)
    raise ValueError(f"{method} is not a background embedding (use t-SNE or UMAP)")
