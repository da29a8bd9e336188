"""The scatter past its point budget: density image, points again when zoomed in."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from explorer.core.colouring import Colouring
from explorer.ui.scatter_view import ScatterView


def _colouring(n, seed=0):
    cats = (np.random.default_rng(seed).random(n) < 0.4).astype(np.int64)
    return Colouring("f", cats, ("a", "b"), ((150, 150, 150), (230, 159, 0)))


@pytest.fixture
def view(qtbot):
    v = ScatterView()
    qtbot.addWidget(v)
    v.resize(600, 450)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_density_engages_past_the_budget_and_points_return_when_zoomed_in(view):
    n = 30_000
    view.point_budget = 10_000  # the default budget (100k), scaled down 10× to keep the test quick
    pts = np.random.default_rng(0).standard_normal((n, 2)).astype(np.float32)
    view.set_points(pts, _colouring(n))
    assert view.density_mode and view.density.isVisible() and not view.scatter.isVisible()
    assert view.density.image is not None and view.density.image.shape[2] == 4
    assert not view.grab().isNull()

    view.set_view_range((-0.3, 0.3), (-0.3, 0.3))
    view.refresh()  # what the throttle timer does once the view stops
    assert not view.density_mode and view.scatter.isVisible() and not view.density.isVisible()
    fed = view.scatter.indices
    assert 0 < len(fed) <= view.point_budget and len(fed) < n
    inside = (abs(pts[:, 0]) < 0.3) & (abs(pts[:, 1]) < 0.3)
    assert set(np.flatnonzero(inside)) <= set(fed.tolist())  # every point in view is drawn
    assert not view.grab().isNull()

    view.reset_view()
    view.refresh()
    assert view.density_mode  # zoomed out again


def test_below_the_budget_every_point_is_drawn(view):
    n = 5000
    pts = np.random.default_rng(1).standard_normal((n, 2))
    view.set_points(pts, _colouring(n))
    assert not view.density_mode and len(view.scatter) == n and not view.density.isVisible()
    view.set_view_range((-0.1, 0.1), (-0.1, 0.1))
    view.refresh()
    assert len(view.scatter) == n


def test_recolouring_rebins_and_moving_the_view_rebins_after_a_moment(qtbot, view):
    n = 3000
    view.point_budget = 1000
    pts = np.random.default_rng(2).standard_normal((n, 2))
    view.set_points(pts, _colouring(n))
    first = view.density.image.copy()
    one = Colouring("", np.zeros(n, np.int64), ("all",), ((10, 200, 10),))
    view.set_colouring(one)
    rgb = view.density.image[..., :3][view.density.image[..., 3] > 0]
    assert (rgb == (10, 200, 10)).all() and not np.array_equal(first, view.density.image)
    view.set_view_range((-1.5, 1.5), (-1.5, 1.5))  # still ~2250 points in view: density
    image = view.density
    qtbot.waitUntil(lambda: image.mapRectToParent(image.boundingRect()).width() == pytest.approx(3, rel=1e-3),
                    timeout=2000)
    assert view.density_mode


def test_picking_in_density_mode_finds_the_point_under_the_cursor(view):
    n = 3000
    view.point_budget = 1000
    pts = np.random.default_rng(3).standard_normal((n, 2))
    view.set_points(pts, _colouring(n))
    assert view.density_mode
    vb = view.plot.getPlotItem().vb
    index = int(np.argmax(pts[:, 0]))  # an outlier: nothing else within the pick radius
    scene = vb.mapViewToScene(QPointF(*map(float, pts[index])))
    assert view.point_under(scene) == index
    view.set_view_range((pts[index, 0] - 0.01, pts[index, 0] + 0.01), (pts[index, 1] - 0.01, pts[index, 1] + 0.01))
    view.refresh()
    assert not view.density_mode
    scene = vb.mapViewToScene(QPointF(*map(float, pts[index])))
    assert view.point_under(scene) == index


def test_points_are_painted_in_their_category_colour(view):
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], np.float32)
    colours = ((255, 0, 0), (0, 0, 255))
    view.set_points(pts, Colouring("f", np.array([0, 1, 0]), ("a", "b"), colours))
    view.set_placeholder("")
    view.set_view_range((-1, 3), (-1, 2))
    image = view.plot.grab().toImage()
    vb = view.plot.getPlotItem().vb
    for (x, y), category in zip(pts, (0, 1, 0)):
        at = view.plot.mapFromScene(vb.mapViewToScene(QPointF(float(x), float(y))))
        c = image.pixelColor(at)
        red, blue = c.red(), c.blue()
        assert (red > 150 and blue < 100) if category == 0 else (blue > 150 and red < 100), (x, y, c.name())
