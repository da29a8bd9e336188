"""Selection geometry: which projected points fall inside a box or a lasso.

The view only collects the outline; the mask is computed here (cf. glue's
``core/roi.py``).
"""

from __future__ import annotations

import numpy as np


def box_mask(points: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Points inside the axis-aligned box with corners (x0, y0) and (x1, y1)."""
    p = np.asarray(points)
    lo_x, hi_x = sorted((x0, x1))
    lo_y, hi_y = sorted((y0, y1))
    return (p[:, 0] >= lo_x) & (p[:, 0] <= hi_x) & (p[:, 1] >= lo_y) & (p[:, 1] <= hi_y)


def lasso_mask(points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Points inside the polygon ``vertices`` (k, 2), by the even-odd rule.

    The polygon closes itself; fewer than three vertices select nothing.
    """
    p = np.asarray(points, np.float64)
    v = np.asarray(vertices, np.float64)
    inside = np.zeros(len(p), bool)
    if len(v) < 3 or len(p) == 0:
        return inside
    x, y = p[:, 0], p[:, 1]
    xj, yj = v[-1]
    for xi, yi in v:
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < x_at)
        xj, yj = xi, yi
    return inside
