"""Many round points of one size, coloured by category, painted in one call.

pyqtgraph's ``ScatterPlotItem`` spends ~3 µs of Python per point in
``setData`` (a brush and an atlas key per point): 300 ms to hand it 100k
points, a visible stall every time the view zooms in far enough to switch
from the density image to points. This item keeps numpy arrays only: giving it
points is O(1) Python, and each paint culls to the view, maps the points to
device pixels and draws them from a one-row atlas (one pre-rendered disc per
colour) with a single ``QPainter.drawPixmapFragments`` — the same drawing
pyqtgraph's cached mode does, without the per-point bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap


class PointCloudItem(pg.GraphicsObject):
    """Points ``(n, 2)`` in data coordinates, each drawn as a disc of ``size`` screen pixels.

    ``indices`` names each held point by its index in the caller's full set
    (the scatter view feeds a subset near the view when the bank is large).
    """

    def __init__(self, size: int = 6, alpha: int = 200, ring: bool = False):
        super().__init__()
        self.size = int(size)
        self.alpha = int(alpha)
        self.ring = ring  # an outline (a selection's mark) instead of a filled disc
        self.x = np.zeros(0, np.float32)
        self.y = np.zeros(0, np.float32)
        self.indices = np.zeros(0, np.intp)
        self.categories = np.zeros(0, np.intp)
        self.colours: tuple = ((200, 200, 200),)
        self._bounds = QRectF()
        self._atlas: QPixmap | None = None
        self._atlas_dpr = 0.0
        self._fragments = internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        self._culled_key = None
        self._culled = np.zeros(0, np.intp)

    def set_points(self, points: np.ndarray, indices: np.ndarray, categories: np.ndarray, colours) -> None:
        """Hold ``points`` (named ``indices``), category ``categories[i]`` drawn in ``colours[c]`` (RGB)."""
        pts = np.asarray(points, np.float32).reshape(-1, 2)
        self.prepareGeometryChange()
        self.x = np.ascontiguousarray(pts[:, 0])
        self.y = np.ascontiguousarray(pts[:, 1])
        self.indices = np.asarray(indices, np.intp)
        self.categories = np.asarray(categories, np.intp)
        if tuple(map(tuple, colours)) != self.colours:
            self.colours = tuple(map(tuple, colours))
            self._atlas = None
        finite = np.isfinite(self.x) & np.isfinite(self.y)
        if finite.any():
            x, y = self.x[finite], self.y[finite]
            self._bounds = QRectF(float(x.min()), float(y.min()), float(x.max() - x.min()), float(y.max() - y.min()))
        else:
            self._bounds = QRectF()
        self._culled_key = None
        self.update()

    def __len__(self) -> int:
        return len(self.x)

    # -- geometry, as pyqtgraph's auto-range and Qt's culling ask for it --------
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        if not len(self.x) or self._bounds.isNull():
            return None, None
        if ax == 0:
            return self._bounds.left(), self._bounds.right()
        return self._bounds.top(), self._bounds.bottom()

    def pixelPadding(self) -> float:
        return self.size / 2 + 1

    def boundingRect(self) -> QRectF:
        if not len(self.x):
            return QRectF()
        # The discs reach half a symbol past the outermost centres, in screen pixels.
        px, py = self.pixelVectors()
        pad_x = 0.0 if px is None else px.length() * self.pixelPadding()
        pad_y = 0.0 if py is None else py.length() * self.pixelPadding()
        return self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def viewTransformChanged(self) -> None:
        super().viewTransformChanged()  # drops pyqtgraph's cached view rectangle, which paint culls to
        self.prepareGeometryChange()  # the padding is in pixels, so the bounds change with zoom

    # -- painting ---------------------------------------------------------------
    def _ensure_atlas(self, dpr: float) -> None:
        if self._atlas is not None and self._atlas_dpr == dpr:
            return
        cell = int(np.ceil((self.size + 2) * dpr))
        atlas = QPixmap(cell * len(self.colours), cell)
        atlas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(atlas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        d = self.size * dpr
        for k, rgb in enumerate(self.colours):
            if self.ring:
                painter.setPen(QPen(QColor(*rgb, self.alpha), 2 * dpr))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                r = d / 2 - dpr
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(*rgb, self.alpha))
                r = d / 2
            painter.drawEllipse(QPointF(k * cell + cell / 2, cell / 2), r, r)
        painter.end()
        self._atlas, self._atlas_dpr, self._cell = atlas, dpr, cell

    def _in_view(self) -> np.ndarray:
        """Indices (into the held arrays) of the points whose discs touch the view."""
        rect = self.viewRect()
        if rect is None:
            return np.arange(len(self.x))
        key = (rect.left(), rect.right(), rect.top(), rect.bottom(), len(self.x))
        if key != self._culled_key:
            px, py = self.pixelVectors()
            mx = 0.0 if px is None else px.length() * self.pixelPadding()
            my = 0.0 if py is None else py.length() * self.pixelPadding()
            x0, x1 = np.float32(rect.left() - mx), np.float32(rect.right() + mx)
            y0, y1 = np.float32(rect.top() - my), np.float32(rect.bottom() + my)
            inside = (self.x >= x0) & (self.x <= x1) & (self.y >= y0) & (self.y <= y1)
            self._culled, self._culled_key = np.flatnonzero(inside), key
        return self._culled

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.x):
            return
        # No widget when the scene is rendered into an image (a scatter export): that image's
        # pixel ratio then says how sharp the discs must be.
        dpr = widget.devicePixelRatioF() if widget is not None else painter.device().devicePixelRatioF()
        self._ensure_atlas(dpr)
        keep = self._in_view()
        if not len(keep):
            return
        t = painter.transform()
        x, y = self.x[keep], self.y[keep]
        # Device pixels: the view's transform is affine (pan and per-axis zoom).
        dx = t.m11() * x + t.m21() * y + t.dx()
        dy = t.m12() * x + t.m22() * y + t.dy()
        self._fragments.resize(len(keep))
        frags = self._fragments.ndarray()
        frags[:, 0] = np.clip(dx, -2 ** 30, 2 ** 30)  # Qt misbehaves on huge coordinates
        frags[:, 1] = np.clip(dy, -2 ** 30, 2 ** 30)
        frags[:, 2] = self.categories[keep] * self._cell
        frags[:, 3] = 0
        frags[:, 4:6] = self._cell
        frags[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)
        painter.resetTransform()
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._atlas)
