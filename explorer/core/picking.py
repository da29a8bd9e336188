"""Which point is under the mouse: a KD-tree over the projected points."""

from __future__ import annotations

import numpy as np


class PointPicker:
    """Nearest-point queries in data coordinates.

    The view converts its pixel tolerance into data units per axis (the axes
    may be scaled differently), so the query runs in a space where both axes
    are in pixels.
    """

    def __init__(self, points: np.ndarray):
        from scipy.spatial import cKDTree

        self.points = np.asarray(points, np.float64)
        self._tree = cKDTree(self.points) if len(self.points) else None
        self._scaled: tuple[tuple[float, float], object] | None = None

    def nearest(self, x: float, y: float, tol_x: float, tol_y: float) -> int | None:
        """Index of the nearest point within the ellipse of radii (tol_x, tol_y), else None."""
        if self._tree is None or tol_x <= 0 or tol_y <= 0:
            return None
        from scipy.spatial import cKDTree

        ratio = (round(tol_x, 12), round(tol_y, 12))
        if self._scaled is None or self._scaled[0] != ratio:
            self._scaled = (ratio, cKDTree(self.points / np.array([tol_x, tol_y])))
        dist, idx = self._scaled[1].query([x / tol_x, y / tol_y], distance_upper_bound=1.0)
        return None if not np.isfinite(dist) else int(idx)
