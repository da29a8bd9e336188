"""The coverage overlay's geometry: one PCA for generated and real features, the
real images nearest a click, and a gap among generated points found as one."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.coverage import bounds, count_within, feature_layout, nearest_real


def test_one_pca_places_both_sets_so_a_missing_cluster_is_a_gap_with_real_points_only():
    rng = np.random.default_rng(0)
    a, b = np.zeros(6), np.zeros(6)
    b[0] = 10.0
    real = np.vstack([a + rng.normal(0, 0.1, (40, 6)), b + rng.normal(0, 0.1, (40, 6))])
    generated = a + rng.normal(0, 0.1, (50, 6))  # the model only makes cluster a
    layout = feature_layout(generated, real)
    assert layout.generated.shape == (50, 2) and layout.real.shape == (80, 2)
    assert layout.explained > 0.9  # the two clusters' separation dominates
    # The first axis is the separation (10 units along feature 0), so the clusters are 10 apart in the layout.
    centre_a, centre_b = layout.real[:40].mean(0), layout.real[40:].mean(0)
    assert np.linalg.norm(centre_a - centre_b) == pytest.approx(10.0, abs=0.2)
    assert np.linalg.norm(layout.generated.mean(0) - centre_a) < 0.2
    # A click on cluster b: the real images listed are b's, and no generated point is as near.
    reach = (1.0, 1.0)
    idx = nearest_real(layout.real, *centre_b, reach, k=8)
    assert len(idx) == 8 and (idx >= 40).all()
    radius = np.hypot(*(layout.real[idx] - centre_b).T).max()
    assert count_within(layout.generated, *centre_b, reach, radius) == 0
    assert count_within(layout.generated, *centre_a, reach, radius) > 10


def test_the_layout_is_the_pca_of_both_sets_together():
    generated = np.array([[0.0, 0.0], [2.0, 0.0]])
    real = np.array([[4.0, 0.0], [6.0, 0.0]])
    layout = feature_layout(generated, real)
    # Everything lies on the x axis: PC1 is x (sign fixed to the largest entry, +), centred on the mean 3.
    assert np.allclose(layout.generated[:, 0], [-3.0, -1.0]) and np.allclose(layout.real[:, 0], [1.0, 3.0])
    assert np.allclose(layout.generated[:, 1], 0) and layout.explained == pytest.approx(1.0)


def test_feature_sets_of_different_widths_are_refused():
    with pytest.raises(ValueError, match="3 dimensions"):
        feature_layout(np.zeros((4, 3)), np.zeros((4, 5)))


def test_nearest_real_is_nearest_first_within_reach_and_measured_on_screen():
    real = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 30.0], [1.0, 0.0]])
    assert nearest_real(real, 0.2, 0.0, (1.0, 1.0)).tolist() == [0, 3, 1, 2]
    assert nearest_real(real, 0.2, 0.0, (1.0, 1.0), k=2).tolist() == [0, 3]
    assert nearest_real(real, 100.0, 100.0, (1.0, 1.0)).tolist() == []  # nothing within reach: nothing
    # y stretched ten times on screen: the point 30 units up is 3 "pixels" away, nearer than (3, 0)·(1/0.5).
    assert nearest_real(real, 0.0, 0.0, (0.5, 10.0), k=4).tolist() == [0, 3, 2, 1]
    assert nearest_real(np.zeros((0, 2)), 0, 0, (1, 1)).tolist() == []


def test_bounds_span_every_set_with_a_margin():
    (x0, x1), (y0, y1) = bounds(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[5.0, -1.0]]))
    assert x0 < 0 < 5 < x1 and y0 < -1 < 1 < y1
    assert x1 - x0 == pytest.approx(5 * 1.1) and bounds(np.zeros((0, 2))) is None
