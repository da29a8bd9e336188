import numpy as np

from explorer.core.density import DensityBinner, render
from explorer.core.picking import PointPicker


def test_counts_bin_each_category_in_its_cell_and_drop_points_outside():
    pts = np.array([[0.1, 0.1], [0.15, 0.12], [0.9, 0.9], [0.9, 0.9], [5.0, 5.0], [-0.1, 0.5]])
    cats = np.array([0, 1, 1, 1, 0, 0])
    c = DensityBinner(pts, cats, 2).counts((0, 1), (0, 1), 4, 2)
    assert c.shape == (2, 2, 4) and c.sum() == 4  # the two outside points are not counted
    assert c[0, 0, 0] == 1 and c[1, 0, 0] == 1  # bottom-left cell, one of each
    assert c[1, 1, 3] == 2  # top-right cell: row 0 is the bottom of the range


def test_counts_match_histogram2d():
    rng = np.random.default_rng(1)
    pts = rng.standard_normal((5000, 2))
    cats = rng.integers(0, 3, 5000)
    binner = DensityBinner(pts, cats, 3)
    got = binner.counts((-1, 2), (-1.5, 1), 30, 20)
    for k in range(3):
        sel = pts[cats == k]
        expected, _, _ = np.histogram2d(sel[:, 1], sel[:, 0], bins=(20, 30), range=((-1.5, 1), (-1, 2)))
        assert np.array_equal(got[k], expected)
    assert binner.count_in_view((-1, 2), (-1.5, 1)) == got.sum()


def test_render_colours_by_majority_and_leaves_empty_bins_clear():
    counts = np.zeros((2, 1, 3), np.int64)
    counts[:, 0, 0] = (5, 1)
    counts[:, 0, 1] = (0, 9)
    img = render(counts, [(10, 20, 30), (200, 100, 0)])
    assert img.shape == (1, 3, 4) and img.dtype == np.uint8
    assert tuple(img[0, 0, :3]) == (10, 20, 30) and tuple(img[0, 1, :3]) == (200, 100, 0)
    assert img[0, 2, 3] == 0 and img[0, 1, 3] == 255 and 0 < img[0, 0, 3] < 255


def _brute_force(pts, x, y, tx, ty):
    d2 = ((pts[:, 0] - x) / tx) ** 2 + ((pts[:, 1] - y) / ty) ** 2
    i = int(np.argmin(d2))
    return i if d2[i] < 1 else None


def test_picker_agrees_with_brute_force_at_every_zoom_and_never_rebuilds(monkeypatch):
    import scipy.spatial

    built = []
    real = scipy.spatial.cKDTree
    monkeypatch.setattr(scipy.spatial, "cKDTree", lambda *a, **k: built.append(1) or real(*a, **k))
    rng = np.random.default_rng(2)
    pts = rng.standard_normal((20000, 2)) * np.array([10.0, 0.5])  # axes of very different scale
    picker = PointPicker(pts)
    picker.start()
    hits = 0
    for tx, ty in [(0.3, 0.015), (0.03, 0.0015), (1.0, 0.001), (0.001, 0.2), (3e-4, 3e-5), (5.0, 5.0)]:
        for _ in range(40):
            x, y = pts[rng.integers(len(pts))] + rng.normal(0, 1, 2) * (tx, ty)
            expected = _brute_force(pts, x, y, tx, ty)
            assert picker.nearest(x, y, tx, ty) == expected
            hits += expected is not None
    assert hits > 100 and len(built) == 1


def test_points_without_a_place_are_in_no_bin():
    pts = np.array([[0.5, 0.5], [np.nan, 0.5], [0.5, np.inf], [-np.inf, -np.inf]])
    c = DensityBinner(pts, np.array([0, 1, 1, 0]), 2).counts((0, 1), (0, 1), 3, 3)
    assert c.sum() == 1 and c[0, 1, 1] == 1


def test_a_query_while_the_tree_builds_scans_instead_of_waiting(monkeypatch):
    import threading

    import scipy.spatial

    gate = threading.Event()
    real = scipy.spatial.cKDTree
    monkeypatch.setattr(scipy.spatial, "cKDTree", lambda *a, **k: gate.wait(30) and real(*a, **k))
    rng = np.random.default_rng(4)
    pts = rng.standard_normal((5000, 2))
    picker = PointPicker(pts)
    picker.start()
    for _ in range(50):
        x, y = pts[rng.integers(len(pts))] + rng.normal(0, 0.01, 2)
        assert picker.nearest(x, y, 0.02, 0.03) == _brute_force(pts, x, y, 0.02, 0.03)
    assert picker._builder.is_alive()  # answered every query without waiting for the tree
    gate.set()
    picker.wait()
    x, y = pts[7]
    assert picker.nearest(x, y, 1e-6, 1e-6) == 7
