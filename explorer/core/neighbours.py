"""k nearest neighbours of a latent among the bank's codes."""

from __future__ import annotations

import numpy as np

METRICS = ("euclidean", "cosine")


def nearest(latents: np.ndarray, query: np.ndarray, k: int = 8, metric: str = "euclidean",
            exclude: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of the ``k`` codes nearest ``query``, nearest first."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (use {' or '.join(METRICS)})")
    x = np.asarray(latents, np.float64).reshape(len(latents), -1)
    q = np.asarray(query, np.float64).ravel()
    if metric == "euclidean":
        d = np.linalg.norm(x - q, axis=1)
    else:
        denom = np.linalg.norm(x, axis=1) * np.linalg.norm(q)
        d = 1.0 - (x @ q) / np.where(denom == 0, 1, denom)
    if exclude is not None:
        d[exclude] = np.inf
    k = max(0, min(k, int(np.isfinite(d).sum())))
    idx = np.argsort(d, kind="stable")[:k]
    return idx, d[idx]
