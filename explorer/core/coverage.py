"""The coverage overlay's geometry: real (reference) images laid out beside the
generated points, and the real images nearest to a click.

Qt-free and model-free: the inference worker embeds the images (latents or
features); this module only places and picks points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.projection import PCAProjection

#: The layout's names (a session ``layout_method``) when real images cannot be encoded
#: into the latent space: a PCA of image features of generated and real images alike.
CLASSIFIER_FEATURES = "classifier feature space"
PIXELS = "pixel space"
FEATURE_LAYOUTS = (CLASSIFIER_FEATURES, PIXELS)

#: How many real images a click shows, at most.
NEAREST_SHOWN = 8


@dataclass(frozen=True)
class FeatureLayout:
    """Generated and real points in one 2-D feature layout."""

    generated: np.ndarray  # (n, 2) float32, one per bank point, in bank order
    real: np.ndarray  # (m, 2) float32
    explained: float  # fraction of the features' variance the two axes hold


def feature_layout(generated: np.ndarray, real: np.ndarray) -> FeatureLayout:
    """Fit one PCA on the features of both sets and place both with it.

    One projection for both is what makes the picture honest: a region holding
    real points and no generated ones is a part of the data the model misses,
    not an artefact of two separately fitted axes.
    """
    generated = np.asarray(generated, np.float64).reshape(len(generated), -1)
    real = np.asarray(real, np.float64).reshape(len(real), -1)
    if generated.shape[1] != real.shape[1]:
        raise ValueError(f"generated features of {generated.shape[1]} dimensions, real ones of {real.shape[1]}")
    if len(generated) + len(real) < 2:
        raise ValueError("a feature layout needs at least two images")
    pca = PCAProjection(2).fit(np.vstack([generated, real]))
    return FeatureLayout(pca.transform(generated).astype(np.float32), pca.transform(real).astype(np.float32),
                         float(pca.explained_variance_ratio_.sum()))


def nearest_real(real_points: np.ndarray, x: float, y: float, reach: tuple[float, float],
                 k: int = NEAREST_SHOWN) -> np.ndarray:
    """Indices of up to ``k`` real points nearest to ``(x, y)``, nearest first.

    ``reach`` is how far (data units along x and y: a number of screen pixels
    times the view's pixel size) the nearest real point may be for the click to
    count as being "near real points"; a click farther from all of them gives
    no indices. Distances are measured in those units, so a stretched view
    picks what looks nearest on screen.
    """
    pts = np.asarray(real_points, np.float64).reshape(-1, 2)
    if not len(pts) or reach[0] <= 0 or reach[1] <= 0:
        return np.zeros(0, np.intp)
    d = np.hypot((pts[:, 0] - x) / reach[0], (pts[:, 1] - y) / reach[1])
    order = np.argsort(d, kind="stable")[:k]
    if d[order[0]] > 1.0:
        return np.zeros(0, np.intp)
    return order.astype(np.intp)


def count_within(points: np.ndarray, x: float, y: float, reach: tuple[float, float], radius: float) -> int:
    """How many ``points`` lie within ``radius`` (in ``reach`` units, as :func:`nearest_real`) of ``(x, y)``."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if not len(pts) or reach[0] <= 0 or reach[1] <= 0:
        return 0
    return int((np.hypot((pts[:, 0] - x) / reach[0], (pts[:, 1] - y) / reach[1]) <= radius).sum())


def bounds(*point_sets: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The x and y ranges spanning every point of every set, with a 5 % margin (None if no points)."""
    pts = [np.asarray(p, np.float64).reshape(-1, 2) for p in point_sets]
    pts = [p[np.isfinite(p).all(1)] for p in pts if len(p)]
    pts = [p for p in pts if len(p)]
    if not pts:
        return None
    allp = np.vstack(pts)
    lo, hi = allp.min(0), allp.max(0)
    pad = np.maximum((hi - lo) * 0.05, 1e-6)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))
