"""Projections of latent codes to 2-D for the scatter view."""

from __future__ import annotations

import numpy as np


# Above this many codes PCA is fitted from the covariance matrix, accumulated a
# chunk at a time: exact like the SVD, but O(n·d²) with O(chunk·d) memory, so a
# memory-mapped 1M×64 bank is never copied whole into float64.
EXACT_SVD_ROWS = 20_000
# Above this many dimensions a d×d covariance costs too much; the axes are then
# fitted by a randomised SVD of a fixed random subsample (rows) instead.
COVARIANCE_MAX_DIMS = 512
RANDOMISED_ROWS = 50_000
CHUNK = 65_536


def _chunks(n: int, size: int = CHUNK):
    for lo in range(0, n, size):
        yield slice(lo, min(n, lo + size))


class PCAProjection:
    """Principal component analysis: instant, and has a transform, so any new
    latent lands where it belongs among the bank's points.

    Small banks use an exact SVD; large ones (1M×64 latents) an exact chunked
    covariance, or a randomised SVD of a subsample when the codes are wide.
    """

    def __init__(self, components: int = 2):
        self.components = components
        self.mean_: np.ndarray | None = None
        self.axes_: np.ndarray | None = None
        self.explained_variance_ratio_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> "PCAProjection":
        x = x.reshape(len(x), -1) if isinstance(x, np.ndarray) else np.asarray(x).reshape(len(x), -1)
        if len(x) < 2:
            raise ValueError("PCA needs at least two points")
        n, d = x.shape
        if n <= EXACT_SVD_ROWS:
            x = np.asarray(x, np.float64)
            self.mean_ = x.mean(axis=0)
            _, s, vt = np.linalg.svd(x - self.mean_, full_matrices=False)
            var = s**2
        else:
            self.mean_ = sum(np.asarray(x[c], np.float64).sum(0) for c in _chunks(n)) / n
            if d <= COVARIANCE_MAX_DIMS:
                cov = np.zeros((d, d))
                for c in _chunks(n):
                    xc = np.asarray(x[c], np.float64) - self.mean_
                    cov += xc.T @ xc
                var, vecs = np.linalg.eigh(cov)
                order = np.argsort(var)[::-1]
                var, vt = np.clip(var[order], 0, None), vecs[:, order].T
            else:
                var, vt = self._randomised(x)
        k = min(self.components, vt.shape[0])
        axes = vt[:k]
        # Fix each axis' sign so the layout does not flip between runs.
        signs = np.sign(axes[np.arange(k), np.abs(axes).argmax(axis=1)])
        self.axes_ = axes * signs[:, None]
        self.explained_variance_ratio_ = var[:k] / var.sum() if var.sum() > 0 else np.zeros(k)
        if k < self.components:  # fewer dimensions than components: pad with zeros
            self.axes_ = np.vstack([self.axes_, np.zeros((self.components - k, x.shape[1]))])
        return self

    def _randomised(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variances and axes from a randomised SVD (Halko et al.) of a seeded row subsample."""
        rng = np.random.default_rng(0)  # seeded: the same bank always gets the same layout
        rows = np.sort(rng.choice(len(x), min(len(x), RANDOMISED_ROWS), replace=False))
        a = np.asarray(x[rows], np.float64) - self.mean_
        q, _ = np.linalg.qr(a @ rng.standard_normal((a.shape[1], self.components + 10)))
        for _ in range(4):  # power iterations sharpen the leading directions
            q, _ = np.linalg.qr(a @ (a.T @ q))
        _, s, vt = np.linalg.svd(q.T @ a, full_matrices=False)
        # The total variance comes from the whole subsample, not only the leading directions.
        total = (a**2).sum()
        var = s**2
        return np.append(var, max(total - var.sum(), 0.0)), np.vstack([vt, np.zeros((1, a.shape[1]))])

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.axes_ is None:
            raise RuntimeError("PCAProjection.transform called before fit")
        x = x.reshape(len(x), -1) if isinstance(x, np.ndarray) else np.asarray(x).reshape(len(x), -1)
        out = np.empty((len(x), self.axes_.shape[0]), np.float32)
        for c in _chunks(len(x)):  # chunked: no float64 copy of a whole large bank
            out[c] = (np.asarray(x[c], np.float64) - self.mean_) @ self.axes_.T
        return out

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
        self.latents = np.asarray(latents, np.float32).reshape(len(latents), -1)
        self.coords = np.asarray(coords, np.float32)
        self.k = min(k, len(self.latents))
        self.explained_variance_ratio_ = None
        self._sq = (self.latents.astype(np.float64) ** 2).sum(1)

    def transform(self, latents: np.ndarray) -> np.ndarray:
        q = np.asarray(latents, np.float32).reshape(len(latents), -1)
        out = np.empty((len(q), 2), np.float32)
        # Queries go a block at a time so the distance matrix stays ~64 MB even
        # when a million codes are placed among a subsample of tens of thousands.
        step = max(1, 8_000_000 // max(len(self.latents), 1))
        for lo in range(0, len(q), step):
            out[lo:lo + step] = self._place(q[lo:lo + step])
        return out

    def _place(self, q: np.ndarray) -> np.ndarray:
        # Candidates by |q|² + |x|² − 2q·x (one matrix product), then their exact distances:
        # the expansion loses precision, and a code already in the bank must land exactly on its point.
        approx = (q.astype(np.float64) ** 2).sum(1)[:, None] + self._sq[None] - 2.0 * (q @ self.latents.T)
        k = self.k
        idx = np.argpartition(approx, k - 1, axis=1)[:, :k] if k < approx.shape[1] else np.argsort(approx, 1)
        dd = np.sqrt(((q[:, None, :].astype(np.float64) - self.latents[idx]) ** 2).sum(-1))
        order = np.argsort(dd, axis=1)
        idx, dd = np.take_along_axis(idx, order, 1), np.take_along_axis(dd, order, 1)
        w = 1.0 / (dd + 1e-9)
        exact = dd[:, :1] < 1e-9  # a code already in the bank sits exactly on its point
        w = np.where(exact, np.eye(1, k, 0), w)
        w /= w.sum(1, keepdims=True)
        return (self.coords[idx] * w[..., None]).sum(1)


METHODS = ("PCA", "t-SNE", "UMAP", "attribute axes")
# t-SNE and UMAP on more codes than this run on a seeded subsample of SUBSAMPLE
# codes; the rest are placed among their neighbours (t-SNE is O(n log n) per
# iteration with a large constant: a million codes would take hours).
SUBSAMPLE_THRESHOLD = 20_000
SUBSAMPLE = 20_000


def subsample_note(method: str, n: int) -> str:
    """What the header says when ``method`` on ``n`` codes ran on a subsample (else "")."""
    if method not in ("t-SNE", "UMAP") or n <= SUBSAMPLE_THRESHOLD:
        return ""
    return f"{method} of {min(SUBSAMPLE, n):,} of {n:,} codes, the rest placed by their neighbours"


def embed(method: str, latents: np.ndarray, seed: int = 0) -> np.ndarray:
    """2-D coordinates by t-SNE (scikit-learn) or UMAP (umap-learn); slow, so
    the app calls this in a background process. Past ``SUBSAMPLE_THRESHOLD``
    codes a seeded subsample is embedded and the rest placed by neighbours."""
    n = len(latents)
    if n > SUBSAMPLE_THRESHOLD and method in ("t-SNE", "UMAP"):
        rows = np.sort(np.random.default_rng(seed).choice(n, min(SUBSAMPLE, n), replace=False))
        sub = np.asarray(latents[rows], np.float32).reshape(len(rows), -1)
        coords = np.empty((n, 2), np.float32)
        coords[rows] = _embed(method, sub, seed)
        rest = np.ones(n, bool)
        rest[rows] = False
        others = np.asarray(latents[rest], np.float32).reshape(int(rest.sum()), -1)
        coords[rest] = NeighbourPlacement(sub, coords[rows]).transform(others)
        return coords
    return _embed(method, np.asarray(latents, np.float32).reshape(n, -1), seed)


def _embed(method: str, x: np.ndarray, seed: int) -> np.ndarray:
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
