"""Which point is under the mouse: one KD-tree over the projected points.

The tree is built once per layout, in data coordinates normalised by the
points' extent, and never rebuilt on zoom: the view's pixel tolerance is an
ellipse in data units (the axes may be scaled differently), so a query asks
the tree for the candidates in the ellipse's bounding square and ranks them by
the distance measured in pixels.
"""

from __future__ import annotations

import threading

import numpy as np


class PointPicker:
    """Nearest-point queries with a per-axis tolerance.

    Parameters
    ----------
    points : (n, 2) array
        Point positions in data coordinates.
    """

    def __init__(self, points: np.ndarray):
        self.points = np.asarray(points, np.float64)
        self._tree = None
        if len(self.points):
            lo, hi = self.points.min(0), self.points.max(0)
            span = hi - lo
            # Normalising each axis by its extent makes a fitted view's tolerance
            # nearly round in tree space, so the bounding square holds few extra points.
            self._scale = np.where(span > 0, span, 1.0)
            self._origin = lo
        self._builder: threading.Thread | None = None
        # Contiguous float32 columns (a quarter of the memory traffic) for the scans
        # that answer queries while the tree builds; dropped once it is built.
        self._columns = (np.ascontiguousarray(self.points[:, 0], np.float32),
                         np.ascontiguousarray(self.points[:, 1], np.float32)) if len(self.points) else None

    def _build(self) -> None:
        from scipy.spatial import cKDTree

        # Sliding-midpoint splits build several times faster than median ones
        # and answer range queries on projected (clustered) data as well.
        self._tree = cKDTree((self.points - self._origin) / self._scale,
                             balanced_tree=False, compact_nodes=False)

    def start(self) -> None:
        """Build the index in a background thread (scipy releases the GIL while
        building: ~0.4 s at 1M points that would otherwise block the caller)."""
        if len(self.points) and self._builder is None and self._tree is None:
            self._builder = threading.Thread(target=self._build, daemon=True, name="kd-tree")
            self._builder.start()

    def wait(self) -> None:
        """Block until the index is built (the benchmark times frames after it)."""
        if len(self.points):
            self._ensure_tree()

    def _ensure_tree(self):
        if self._builder is not None:
            self._builder.join()
            self._builder = None
            self._columns = None
        if self._tree is None:
            self._build()
        return self._tree

    def nearest(self, x: float, y: float, tol_x: float, tol_y: float) -> int | None:
        """Index of the nearest point within the ellipse of radii (tol_x, tol_y), else None.

        "Nearest" is measured with each axis divided by its tolerance, i.e. in
        pixels when the tolerances are a pixel radius converted to data units.
        """
        if not len(self.points) or tol_x <= 0 or tol_y <= 0:
            return None
        if self._builder is not None and self._builder.is_alive():
            # The tree is still building (~0.5 s after a 1M-point layout arrives):
            # scan instead (a few ms) rather than freeze the window until it is done.
            px, py = self._columns
            # A hair wider than the tolerance (float32 rounding); the exact test below decides.
            tx, ty = np.float32(tol_x * 1.001), np.float32(tol_y * 1.001)
            cand = np.flatnonzero((np.abs(px - np.float32(x)) <= tx) & (np.abs(py - np.float32(y)) <= ty))
        else:
            tree = self._ensure_tree()
            q = (np.array([x, y]) - self._origin) / self._scale
            r = np.array([tol_x, tol_y]) / self._scale
            # Chebyshev ball = the ellipse's bounding square in tree space.
            cand = tree.query_ball_point(q, r=float(r.max()) * (1 + 1e-9), p=np.inf, return_sorted=False)
        if not len(cand):
            return None
        cand = np.asarray(cand, np.intp)
        d2 = ((self.points[cand, 0] - x) / tol_x) ** 2 + ((self.points[cand, 1] - y) / tol_y) ** 2
        best = int(np.argmin(d2))
        return int(cand[best]) if d2[best] < 1.0 else None
