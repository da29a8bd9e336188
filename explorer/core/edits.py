"""Latent edits the window and the CLI share: named vectors from a mask,
moving along a direction, an arithmetic result's neighbours, analogy grids."""

from __future__ import annotations

import numpy as np

from explorer.core import attribute_vectors as av
from explorer.core.latent_bank import LatentBank
from explorer.core.vector_library import NamedVector

KINDS = ("mean", "attribute", "balanced", "boundary")


def vector_from_mask(name: str, bank: LatentBank, mask: np.ndarray, what: str, kind: str,
                     query: str = "") -> NamedVector:
    """A named vector from the codes ``mask`` selects.

    ``mean`` is a location (e.g. *man*); ``attribute`` is the direction
    matches − rest; ``balanced`` is that direction bias-corrected over the
    attributes the query does not mention; ``boundary`` is a logistic
    regression's normal, scaled to the gap between the class means along it.
    """
    z, mask = bank.latents, np.asarray(mask, bool)
    n = int(mask.sum())
    if kind == "mean":
        return NamedVector(name, av.mean_vector(z, mask), f"mean of {what}", count=n)
    if kind == "attribute":
        return NamedVector(name, av.difference_vector(z, mask, ~mask), f"{what} − rest", count=n)
    if kind == "balanced":
        used = set(query.replace("!", " ").replace("&", " ").replace("|", " ").split())
        others = {k: v for k, v in bank.attributes.items() if k not in used}
        return NamedVector(name, av.balanced_vector(z, mask, others),
                           f"{what} − rest, balanced over {', '.join(others) or 'nothing'}", count=n)
    if kind == "boundary":
        normal, acc = av.boundary_direction(z, mask)
        gap = float((z[mask].mean(0) - z[~mask].mean(0)) @ normal)
        return NamedVector(name, normal * gap, f"boundary of {what}", accuracy=acc, count=n)
    raise ValueError(f"unknown kind {kind!r} (use {', '.join(KINDS)})")


def move_along(base: np.ndarray, vector: np.ndarray, amount: float, keep: list[np.ndarray] = ()) -> np.ndarray:
    """``base + amount · vector``, with the directions in ``keep`` projected out of
    ``vector`` first (its length kept), so those attributes stay as they are."""
    direction = np.asarray(vector, np.float64)
    if len(keep):
        direction = av.orthogonalize(direction, list(keep)) * np.linalg.norm(direction)
    return (np.asarray(base, np.float64) + amount * direction).astype(np.float32)


def noisy_neighbours(result: np.ndarray, count: int = 8, scale: float = 0.2, seed: int = 0) -> np.ndarray:
    """The result followed by ``count`` copies plus ``scale`` × N(0, I) noise (the DCGAN paper's figure)."""
    r = np.asarray(result, np.float32).ravel()
    noise = np.random.default_rng(seed).standard_normal((count, r.size)).astype(np.float32)
    return np.vstack([r[None], r[None] + scale * noise])


def analogy_plane(a: np.ndarray, b: np.ndarray, c: np.ndarray, size: int) -> np.ndarray:
    """A : B :: C : ? — the plane A + u(B − A) + w(C − A) on a size × size grid, row by row
    (u across, w down); the far corner is B − A + C."""
    a, b, c = (np.asarray(v, np.float64).ravel() for v in (a, b, c))
    t = np.linspace(0.0, 1.0, size)
    return np.stack([a + u * (b - a) + w * (c - a) for w in t for u in t]).astype(np.float32)
