"""A disk cache of t-SNE/UMAP coordinates, so a layout is computed once per bank.

An embedding takes seconds to minutes and depends only on the bank's codes,
the method and its seed, so it is kept under a key made of those, beside the
bank cache. A damaged entry is ignored (and removed); an unwritable folder
just means no cache.
"""

from __future__ import annotations

import hashlib
import io
import logging

import numpy as np

from explorer.core.atomic_file import atomic_write_bytes
from explorer.inference.bank_cache import cache_dir

log = logging.getLogger(__name__)
LAYOUT_FORMAT = 1  # bump when embed()'s output for the same input changes


def layout_key(latents: np.ndarray, method: str, seed: int = 0) -> str:
    codes = np.ascontiguousarray(latents, np.float32)
    h = hashlib.sha256(f"{LAYOUT_FORMAT}|{method}|{seed}|{codes.shape}".encode())
    h.update(codes.tobytes())
    return h.hexdigest()[:32]


def _path(key: str):
    return cache_dir() / f"layout-{key}.npy"


def load(latents: np.ndarray, method: str, seed: int = 0) -> np.ndarray | None:
    """Cached (n, 2) coordinates of these codes by ``method``, or None."""
    path = _path(layout_key(latents, method, seed))
    if not path.exists():
        return None
    try:
        coords = np.load(path, allow_pickle=False)
        if coords.shape != (len(latents), 2) or coords.dtype != np.float32 or not np.isfinite(coords).all():
            raise ValueError(f"coordinates of shape {coords.shape} and type {coords.dtype}")
        return coords
    except Exception as exc:  # a damaged entry is recomputed, never trusted
        log.warning("ignoring damaged layout cache %s: %s", path, exc)
        path.unlink(missing_ok=True)
        return None


def save(latents: np.ndarray, method: str, coords: np.ndarray, seed: int = 0) -> None:
    buf = io.BytesIO()
    np.save(buf, np.asarray(coords, np.float32), allow_pickle=False)
    try:
        atomic_write_bytes(_path(layout_key(latents, method, seed)), buf.getvalue())
    except OSError as exc:  # no cache is fine
        log.info("layout cache not written (%s)", exc)
