import numpy as np

from explorer.core.selection import box_mask, lasso_mask


def test_box_in_any_corner_order():
    pts = np.array([[0, 0], [1, 1], [2, 2], [1, 3]])
    assert list(box_mask(pts, 1.5, -1, -0.5, 1.5)) == [True, True, False, False]


def test_lasso_even_odd_and_concave_shapes():
    # A "U": the notch between the arms is outside.
    u = np.array([[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]])
    pts = np.array([[0.5, 2.0], [1.5, 2.0], [2.5, 2.0], [1.5, 0.5], [5, 5]])
    assert list(lasso_mask(pts, u)) == [True, False, True, True, False]
    assert not lasso_mask(pts, u[:2]).any()
