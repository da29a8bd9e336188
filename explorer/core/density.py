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
        if not (np.isfinite(self.x).all() and np.isfinite(self.y).all()):
            # A point without a place is in no view: -inf clips into the border bins.
            self.x, self.y = self.x.copy(), self.y.copy()
            bad = ~(np.isfinite(self.x) & np.isfinite(self.y))
            self.x[bad] = self.y[bad] = -np.inf
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
        # Bin into a grid one cell wider on every side, with points outside the
        # rectangle clipped into that border, and cut the border off: no boolean
        # selection of the points in view (three compress passes), so a re-bin
        # costs the same ~6 ms at 1M points whatever the zoom.
        fx = np.subtract(self.x, np.float32(x0))
        fx *= sx
        np.clip(fx, -1, width, out=fx)
        fx += 1  # [-1, 0) must floor to the border, and astype truncates towards 0
        fy = np.subtract(self.y, np.float32(y0))
        fy *= sy
        np.clip(fy, -1, height, out=fy)
        fy += 1
        w2, h2 = width + 2, height + 2
        flat = fy.astype(np.int32)
        flat *= w2
        flat += fx.astype(np.int32)
        if self.n_categories > 1:
            flat += self.categories * np.int32(w2 * h2)
        hist = np.bincount(flat, minlength=self.n_categories * w2 * h2)
        return hist.reshape(self.n_categories, h2, w2)[:, 1:-1, 1:-1]


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
    top = int(total.max()) if total.size else 0
    if top == 0:
        return out
    if k == 1:
        out[..., :3] = palette[0]
    elif k == 2:  # the common two-valued attribute: a comparison is cheaper than argmax
        out[..., :3] = palette[(counts[1] > counts[0]).view(np.uint8)]
    else:
        out[..., :3] = palette[counts.argmax(0)]
    level = np.log1p(total, dtype=np.float32)
    level *= np.float32((255 - alpha_floor) / np.log1p(top))
    level += alpha_floor
    alpha = level.astype(np.uint8)
    alpha[total == 0] = 0
    out[..., 3] = alpha
    return out
