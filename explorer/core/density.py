"""Density images for big scatters: points binned to per-colour counts (Qt-free).

Past a point budget, drawing every point costs more per frame than the screen
can show; binning the points inside the view at (about) screen resolution and
drawing one image costs a fixed amount whatever the bank size. Everything here
is vectorised numpy so a re-bin of 1M points fits in a frame or two.
"""

from __future__ import annotations

import numpy as np

#: Points in view above which the scatter draws density instead of points.
#: A ScatterPlotItem paints ~0.4 µs per point on a laptop core, so 100k points
#: keep a frame near 40 ms; past that the image (fixed cost) wins.
POINT_BUDGET = 100_000


class DensityBinner:
    """Per-category counts of points over a view rectangle.

    Parameters
    ----------
    points : (n, 2) array
        Positions in data coordinates.
    categories : (n,) int array
        Each point's colour category, in ``range(n_categories)``.
    n_categories : int
        How many categories the colouring has.
    """

    def __init__(self, points: np.ndarray, categories: np.ndarray, n_categories: int):
        pts = np.asarray(points)
        # Separate contiguous float32 columns: half the memory traffic of float64 pairs.
        self.x = np.ascontiguousarray(pts[:, 0], np.float32)
        self.y = np.ascontiguousarray(pts[:, 1], np.float32)
        self.set_categories(categories, n_categories)

    def set_categories(self, categories: np.ndarray, n_categories: int) -> None:
        """Recolour without re-reading the points."""
        self.n_categories = max(int(n_categories), 1)
        self.categories = np.asarray(categories, np.int32)

    def in_view(self, x_range, y_range) -> np.ndarray:
        """Boolean mask of the points inside the rectangle."""
        (x0, x1), (y0, y1) = x_range, y_range
        return (self.x >= x0) & (self.x < x1) & (self.y >= y0) & (self.y < y1)

    def count_in_view(self, x_range, y_range) -> int:
        """How many points lie inside the rectangle."""
        return int(np.count_nonzero(self.in_view(x_range, y_range)))

    def counts(self, x_range, y_range, width: int, height: int) -> np.ndarray:
        """Counts per category and bin, shape ``(n_categories, height, width)``.

        Row 0 is the bottom of the rectangle (``y_range[0]``), column 0 its left.
        """
        (x0, x1), (y0, y1) = x_range, y_range
        width, height = max(int(width), 1), max(int(height), 1)
        sx = np.float32(width / (x1 - x0)) if x1 > x0 else np.float32(0)
        sy = np.float32(height / (y1 - y0)) if y1 > y0 else np.float32(0)
        fx = (self.x - np.float32(x0)) * sx
        fy = (self.y - np.float32(y0)) * sy
        keep = (fx >= 0) & (fx < width) & (fy >= 0) & (fy < height)
        ix = fx[keep].astype(np.int32)
        iy = fy[keep].astype(np.int32)
        flat = iy * width + ix
        if self.n_categories > 1:
            flat += self.categories[keep] * (width * height)
        hist = np.bincount(flat, minlength=self.n_categories * width * height)
        return hist.reshape(self.n_categories, height, width)


def render(counts: np.ndarray, colours, alpha_floor: int = 110) -> np.ndarray:
    """An RGBA image (h, w, 4) uint8 from per-category counts (k, h, w).

    Each bin takes the colour of its majority category; opacity grows with the
    log of its count, so a lone point stays visible (``alpha_floor``) and the
    densest bin is opaque. Empty bins are transparent.
    """
    k, h, w = counts.shape
    palette = np.asarray(colours, np.uint8).reshape(-1, 3)[:k]
    total = counts.sum(0) if k > 1 else counts[0]
    out = np.zeros((h, w, 4), np.uint8)
    filled = total > 0
    if not filled.any():
        return out
    major = counts.argmax(0) if k > 1 else np.zeros((h, w), np.intp)
    out[..., :3] = palette[major]
    level = np.log1p(total[filled].astype(np.float32))
    top = float(level.max())
    scale = (255 - alpha_floor) / top if top > 0 else 0.0
    out[..., 3][filled] = (alpha_floor + level * scale).astype(np.uint8)
    return out
