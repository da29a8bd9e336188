"""Gestures that must hold for big banks: box selection, a large selection drawn
as a point cloud, hovering a bank whose thumbnails were not kept."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

import explorer.ui.scatter_view as scatter_view
from explorer.ui.main_window import MainWindow
from explorer.ui.point_cloud_item import PointCloudItem

BANK = 150


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["gan"]), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()


def _drag(viewport, start, end, modifiers) -> None:
    """A left-button drag from ``start`` to ``end`` (widget pixels), as Qt delivers one."""
    def send(kind, pos, buttons):
        button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
        event = QMouseEvent(kind, QPointF(pos), viewport.mapToGlobal(QPointF(pos)), button, buttons, modifiers)
        QApplication.sendEvent(viewport, event)

    from PySide6.QtTest import QTest

    # A press soon after the last release is half of a double-click to pyqtgraph: not a drag.
    QTest.qWait(QApplication.doubleClickInterval() + 50)
    left = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, start, left)
    for t in np.linspace(0, 1, 8)[1:]:
        send(QEvent.Type.MouseMove, start + (end - start) * float(t), left)
    send(QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_shift_drag_selects_the_points_in_a_box(qtbot, window):
    plot = window.scatter.plot
    vb = plot.getPlotItem().vb
    pts = window.session.points
    (x0, x1), (y0, y1) = window.scatter.view_range()
    a = QPointF(x0 + 0.2 * (x1 - x0), y0 + 0.2 * (y1 - y0))
    b = QPointF(x0 + 0.6 * (x1 - x0), y0 + 0.7 * (y1 - y0))
    start, end = (plot.mapFromScene(vb.mapViewToScene(p)) for p in (a, b))
    _drag(plot.viewport(), QPointF(start), QPointF(end), Qt.KeyboardModifier.ShiftModifier)
    assert window.session.selection is not None
    inside = (pts[:, 0] > a.x()) & (pts[:, 0] < b.x()) & (pts[:, 1] > a.y()) & (pts[:, 1] < b.y())
    # The box's corners come from pixels: allow the points on its edge either way.
    edge = np.abs(np.stack([pts[:, 0] - a.x(), pts[:, 0] - b.x(), pts[:, 1] - a.y(), pts[:, 1] - b.y()])).min(0)
    near_edge = edge < 0.02 * max(x1 - x0, y1 - y0)
    assert inside.sum() > 0
    assert np.array_equal(window.session.selection[~near_edge], inside[~near_edge])
    assert window.scatter.view_range() == ((x0, x1), (y0, y1))  # the drag selected; it did not pan


def test_a_large_selection_is_drawn_as_a_point_cloud(qtbot, window, monkeypatch):
    monkeypatch.setattr(scatter_view, "LARGE_OVERLAY", 20)
    pts = window.session.points
    lo, hi = pts.min(0) - 1, pts.max(0) + 1
    window.scatter.lassoFinished.emit(np.array([lo, [hi[0], lo[1]], hi, [lo[0], hi[1]]]))
    item = window.scatter.overlays["selection"]
    assert isinstance(item, PointCloudItem) and item.ring and len(item) == BANK
    window.scatter.set_placeholder("")
    image = window.scatter.plot.grab().toImage()
    vb = window.scatter.plot.getPlotItem().vb
    at = window.scatter.plot.mapFromScene(vb.mapViewToScene(QPointF(*map(float, pts[0]))))
    yellow = [image.pixelColor(at.x() + dx, at.y() + dy) for dx in range(-6, 7) for dy in range(-6, 7)]
    assert any(c.red() > 200 and c.green() > 190 and c.blue() < 120 for c in yellow)  # the ring is painted


def test_hovering_a_bank_without_thumbnails_decodes_the_point(qtbot, window):
    s = window.session
    s.bank = dataclasses.replace(s.bank, thumbnails=None)  # as a large bank's session file opens
    vb = window.scatter.plot.getPlotItem().vb
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    index = int(np.argmin(window.scatter.points[:, 1]))
    scene = vb.mapViewToScene(QPointF(*map(float, window.scatter.points[index])))
    window.scatter._on_mouse_moved(scene)
    qtbot.waitUntil(lambda: window.tip.isVisible(), timeout=5000)
    assert window.tip.index == index and window.tip.picture.pixmap().width() == 96
