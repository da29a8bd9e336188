"""The latent scatter: one point-cloud item, or a density image past a point
budget; picking done in core."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.core.colouring import Colouring
from explorer.core.density import POINT_BUDGET, DensityBinner, render
from explorer.core.picking import PointPicker
from explorer.ui.point_cloud_item import PointCloudItem
from explorer.ui.selection_viewbox import LassoViewBox

PICK_RADIUS_PX = 6
#: Overlays with more points than this are drawn as a point cloud.
LARGE_OVERLAY = 2000
#: Screen pixels per density bin: points are drawn 6 px wide, so 2 px bins look
#: the same and bin four times fewer cells than 1 px ones.
BIN_PX = 2
#: At most one re-bin per this many ms while the view moves (throttled, not
#: debounced, so a long pan still refreshes); the image is placed in data
#: coordinates, so between re-bins it pans and zooms with the view.
REBIN_MS = 30
_STALE = ()


class ScatterView(QWidget):
    """Shows projected points coloured by category; emits hover and click indices.

    Pan with the left mouse button, zoom with the wheel, right-click for the
    view menu (pyqtgraph's). Points are drawn by a :class:`PointCloudItem`
    (numpy arrays in, one pixmap-fragment call out), and the point under the
    mouse is found by a KD-tree, not by pyqtgraph's per-item hover tests.

    With more than ``point_budget`` points in view the points are replaced by
    a density image (:mod:`explorer.core.density`) re-binned as the view moves;
    zooming in until few enough are in view brings the points back (fed only
    the ones near the view, so pyqtgraph's per-point cost stays bounded).
    Overlays, the marker and the lasso are drawn over either.
    """

    hovered = Signal(int, QPointF)  # index (-1 for none, also when the pointer leaves the plot), global position
    clicked = Signal(int)
    shiftClicked = Signal(int)
    lassoFinished = Signal(object)  # (k, 2) vertices in data coordinates; gesture_mode says replace/add/remove

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from explorer.ui.theme import current_theme, style_plot

        self.plot = pg.PlotWidget(viewBox=LassoViewBox())
        self.plot.setAspectLocked(False)
        self.plot.showGrid(x=True, y=True)  # style_plot sets its colour
        for name in ("left", "bottom"):
            # Grid lines at the minor tick levels cost ~60 ms a frame at 1200×800
            # (translucent full-height lines); the major ones alone cost ~1 ms.
            self.plot.getPlotItem().getAxis(name).setStyle(maxTickLevel=0)
        self.plot.getPlotItem().setMenuEnabled(True)
        self.scatter = PointCloudItem(size=6)
        self.plot.addItem(self.scatter)
        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.setVisible(False)
        # Ignored by auto-range: the image spans the view, so fitting the view to it
        # would grow the view, re-bin a bigger image, and so on forever.
        self.plot.addItem(self.density, ignoreBounds=True)
        self.point_budget = POINT_BUDGET
        self.density_mode = False
        self._binner: DensityBinner | None = None
        self._colouring: Colouring | None = None
        # The rectangle whose points the scatter holds: None when it holds them all,
        # _STALE when it must be refilled (new points or colours).
        self._fed: tuple[tuple[float, float], tuple[float, float]] | None = _STALE
        self._rebin_timer = QTimer(self)
        self._rebin_timer.setSingleShot(True)
        self._rebin_timer.setInterval(REBIN_MS)
        self._rebin_timer.timeout.connect(self.refresh)
        self.marker = pg.ScatterPlotItem(pxMode=True, size=16, brush=None, symbol="o")
        self.plot.addItem(self.marker)
        self.overlays: dict[str, pg.GraphicsObject] = {}
        self.lasso_curve = pg.PlotCurveItem()
        self.plot.addItem(self.lasso_curve)
        style_plot(self.plot, current_theme())
        self.restyle()
        vb = self.plot.getPlotItem().vb
        vb.lassoMoved.connect(self._on_lasso_moved)
        vb.lassoDone.connect(self._on_lasso_done)
        vb.sigRangeChanged.connect(self._on_range_changed)
        vb.sigResized.connect(self._on_range_changed)
        # The legend sits under the plot, not on it, so it never covers data.
        self.legend = QLabel()
        self.legend_entries: dict[str, tuple[str, tuple]] = {}
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        # What the plot is waiting for (no model, a bank being built), over the empty plot.
        self.placeholder = QLabel(self.plot)
        self.placeholder.setProperty("role", "empty")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.points = np.zeros((0, 2), np.float32)
        self.shown = np.zeros(0, np.intp)  # indices of the points drawn and picked (all, unless filtered)
        self.gesture_mode = "replace"  # of the selection gesture being announced
        self._picker: PointPicker | None = None
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.plot.viewport().installEventFilter(self)
        self.set_placeholder("No model open — File ▸ Open, or drop a checkpoint on the window")

    def restyle(self) -> None:
        """Marker and lasso in the theme's foreground colour (white vanishes on a light plot)."""
        from explorer.ui.theme import current_theme

        fg = current_theme().plot_foreground
        self.marker.setPen(pg.mkPen(fg, width=2))
        self.lasso_curve.setPen(pg.mkPen(fg, width=1, style=Qt.PenStyle.DashLine))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Leaving the plot straight from a point sends no mouse move: say "no point" here.
        if event.type() == QEvent.Type.Leave:
            self.hovered.emit(-1, QPointF())
        return False

    def set_placeholder(self, text: str) -> None:
        """Show ``text`` over the plot while it has nothing to show ("" hides it)."""
        self.placeholder.setText(text)
        self.placeholder.setVisible(bool(text))
        self._place_placeholder()

    def _place_placeholder(self) -> None:
        self.placeholder.setGeometry(0, 0, self.plot.width(), self.plot.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_placeholder()

    def set_points(self, points: np.ndarray, colouring: Colouring, shown: np.ndarray | None = None) -> None:
        """Replace every point (n, 2) and colour them; ``shown`` (a bool mask) draws and
        picks only those points (a filter), their indices unchanged."""
        self.points = np.asarray(points, np.float32)
        self.shown = np.arange(len(self.points)) if shown is None else np.flatnonzero(shown)
        self._picker = PointPicker(self.points[self.shown])
        self._picker.start()
        binned = self.points
        if len(self.shown) < len(self.points):  # hidden points: nowhere (the binner puts NaN in no bin)
            binned = np.full_like(self.points, np.nan)
            binned[self.shown] = self.points[self.shown]
        self._binner = DensityBinner(binned, colouring.categories, len(colouring.colours))
        self.marker.setData([], [])
        self._fed = _STALE
        self._set_scatter(np.zeros(0, np.intp))
        self.density_mode = False  # an empty bank leaves no image behind
        self.density.setVisible(False)
        self.scatter.setVisible(True)
        self._set_colouring(colouring)
        self.reset_view()
        self.refresh()

    def wait_for_index(self) -> None:
        """Block until the hover index of the current points is built (it builds
        in the background; the benchmark times frames once it has)."""
        if self._picker is not None:
            self._picker.wait()

    def reset_view(self) -> None:
        """Fit the view to the bank's points (not to overlays placed by an older layout)."""
        if len(self.shown):
            lo, hi = self.points[self.shown].min(0), self.points[self.shown].max(0)
            # Fit the points' bounds, not the scatter item's, which may hold only a subset.
            self.plot.getPlotItem().vb.setRange(QRectF(float(lo[0]), float(lo[1]),
                                                       float(hi[0] - lo[0]), float(hi[1] - lo[1])))

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        (x0, x1), (y0, y1) = self.plot.getPlotItem().vb.viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def set_view_range(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        # Python floats: pyqtgraph compares the range with float64 limits near 1e307, and a float32
        # (a point's coordinate) overflows in that comparison with a RuntimeWarning.
        x, y = tuple(map(float, x)), tuple(map(float, y))
        self.plot.getPlotItem().vb.setRange(xRange=x, yRange=y, padding=0)

    @property
    def colouring(self) -> Colouring | None:
        """How the points are coloured now (None before any points)."""
        return self._colouring

    def set_axis_labels(self, x: str, y: str) -> None:
        item = self.plot.getPlotItem()
        item.setLabel("bottom", x)
        item.setLabel("left", y)

    def set_colouring(self, colouring: Colouring) -> None:
        """Recolour the points (or the density image) and the legend."""
        self._set_colouring(colouring)
        if self._binner is not None:
            self._binner.set_categories(colouring.categories, len(colouring.colours))
        self._fed = _STALE
        self.refresh()

    def _on_range_changed(self, *_args) -> None:
        # A wheel zoom moves the points, not the pointer: whatever it hovered is gone.
        self.hovered.emit(-1, QPointF())
        if len(self.points) and not self._rebin_timer.isActive():
            self._rebin_timer.start()

    def refresh(self) -> None:
        """Choose points or density for the current view and draw it (called,
        throttled, whenever the view moves)."""
        self._rebin_timer.stop()
        if self._binner is None or not len(self.points):
            return
        view = self.view_range()
        counts = None
        if len(self.points) <= self.point_budget:
            in_view = 0
        elif self.density_mode:
            # Already drawing density: bin first, the bins' total is the count in view
            # (one pass over the points instead of two).
            counts = self._density_counts(view)
            in_view = int(counts.sum())
        else:
            in_view = self._binner.count_in_view(*view)
        self.density_mode = in_view > self.point_budget
        if self.density_mode:
            counts = self._density_counts(view) if counts is None else counts
            self.density.setImage(render(counts, self._colouring.colours), autoLevels=False)
            (x0, x1), (y0, y1) = view
            self.density.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        else:
            self._feed_points(view)
        self.density.setVisible(self.density_mode)
        self.scatter.setVisible(not self.density_mode)

    def _density_counts(self, view) -> np.ndarray:
        vb = self.plot.getPlotItem().vb
        w = max(int(vb.width() / BIN_PX), 1)
        h = max(int(vb.height() / BIN_PX), 1)
        return self._binner.counts(*view, w, h)

    def _feed_points(self, view) -> None:
        if len(self.points) <= self.point_budget:
            if self._fed is not None:  # a small bank: every point shown, once
                self._set_scatter(self.shown)
                self._fed = None
            return
        if self._fed not in (None, _STALE) and _inside(view, self._fed):
            return
        # A big bank zoomed in: feed the points in the view plus a margin of half
        # a view each side, so panning a little needs no new setData.
        (x0, x1), (y0, y1) = view
        mx, my = (x1 - x0) / 2, (y1 - y0) / 2
        fed = ((x0 - mx, x1 + mx), (y0 - my, y1 + my))
        index = np.flatnonzero(self._binner.in_view(*fed))
        # Past the budget the margin would make every paint cull more points than
        # it draws: feed the view alone.
        if len(index) > self.point_budget:
            fed = view
            index = np.flatnonzero(self._binner.in_view(*fed))
        self._set_scatter(index)
        self._fed = fed

    def _set_scatter(self, index: np.ndarray) -> None:
        colouring = self._colouring
        categories = colouring.categories[index] if colouring is not None else np.zeros(len(index), np.intp)
        colours = colouring.colours if colouring is not None else ((200, 200, 200),)
        self.scatter.set_points(self.points[index], index, categories, colours)

    def _set_colouring(self, colouring: Colouring) -> None:
        self._colouring = colouring
        counts = np.bincount(colouring.categories, minlength=len(colouring.names)) if len(self.points) else []
        entries = [f"<span style='color:rgb{tuple(c)}'>●</span>&nbsp;{name} ({n})"
                   for name, c, n in zip(colouring.names, colouring.colours, counts)]
        entries = entries if colouring.field and len(self.points) else []
        # Overlays that stand for a set of their own (the real images of the coverage overlay) say so here.
        entries += [f"<span style='color:rgb{tuple(c)}'>{symbol}</span>&nbsp;{name}"
                    for name, (symbol, c) in self.legend_entries.items()]
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(entries))

    def set_legend_entry(self, name: str, colour=None, symbol: str = "◆") -> None:
        """Add ``name`` in ``colour`` to the legend after the colouring's entries (``colour=None`` removes it)."""
        if colour is None:
            self.legend_entries.pop(name, None)
        else:
            self.legend_entries[name] = (symbol, tuple(colour))
        if self._colouring is not None:
            self._set_colouring(self._colouring)

    def set_overlay(self, name: str, points: np.ndarray | None, *, symbol: str = "o", size: int = 10,
                    colour=None, line: bool = False, filled: bool = True) -> None:
        """Draw (or with ``points=None`` remove) a named layer over the bank:
        a path, an arithmetic result, highlighted neighbours, a selection."""
        old = self.overlays.pop(name, None)
        if old is not None:
            self.plot.removeItem(old)
        if points is None or len(points) == 0:
            return
        pts = np.asarray(points, np.float32)
        if colour is None:  # the theme's foreground: white on the dark plot, near-black on the light one
            from explorer.ui.theme import current_theme

            fg = current_theme().plot_foreground.lstrip("#")
            colour = tuple(int(fg[i:i + 2], 16) for i in (0, 2, 4))
        brush = pg.mkBrush(*colour, 230) if filled else None
        pen = pg.mkPen(*colour, width=2)
        if not line and len(pts) > LARGE_OVERLAY:
            # A lasso over a big bank selects hundreds of thousands of points: the
            # point cloud takes them at once (a ScatterPlotItem would stall seconds).
            item = PointCloudItem(size=size, alpha=230, ring=not filled)
            item.set_points(pts, np.arange(len(pts)), np.zeros(len(pts), np.intp), [colour])
        elif line:
            item = pg.PlotDataItem(pts[:, 0], pts[:, 1], pen=pen, symbol=symbol, symbolSize=size,
                                   symbolBrush=brush, symbolPen=pen)
        else:
            item = pg.ScatterPlotItem(pos=pts, symbol=symbol, size=size, brush=brush, pen=pen, pxMode=True)
        item.setZValue(10)
        self.plot.addItem(item)
        self.overlays[name] = item

    def _on_lasso_moved(self, vertices: np.ndarray) -> None:
        self.lasso_curve.setData(vertices[:, 0], vertices[:, 1])

    def _on_lasso_done(self, vertices: np.ndarray, mode: str = "replace") -> None:
        closed = np.vstack([vertices, vertices[:1]])
        self.lasso_curve.setData(closed[:, 0], closed[:, 1])
        self.gesture_mode = mode
        self.lassoFinished.emit(vertices)
        self.gesture_mode = "replace"

    def set_tool(self, tool: str) -> None:
        """What a plain left drag does: ``pan``, ``lasso`` or ``box`` (see :class:`LassoViewBox`)."""
        if tool not in ("pan", "lasso", "box"):
            raise ValueError(f"unknown scatter tool {tool!r}")
        self.plot.getPlotItem().vb.tool = tool
        self.plot.viewport().setCursor(Qt.CursorShape.OpenHandCursor if tool == "pan" else Qt.CursorShape.CrossCursor)

    @property
    def tool(self) -> str:
        return self.plot.getPlotItem().vb.tool

    def clear_lasso(self) -> None:
        self.lasso_curve.setData([], [])

    def mark(self, index: int | None) -> None:
        """Ring the selected point."""
        if index is None or index < 0 or index >= len(self.points):
            self.marker.setData([], [])
        else:
            self.marker.setData(pos=self.points[index:index + 1])

    def point_under(self, scene_pos: QPointF) -> int | None:
        if self._picker is None:
            return None
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        px = vb.viewPixelSize()  # data units per pixel, per axis
        hit = self._picker.nearest(p.x(), p.y(), PICK_RADIUS_PX * px[0], PICK_RADIUS_PX * px[1])
        return None if hit is None else int(self.shown[hit])

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        idx = self.point_under(scene_pos)
        view = self.plot
        global_pos = view.mapToGlobal(view.mapFromScene(scene_pos))
        self.hovered.emit(-1 if idx is None else idx, QPointF(global_pos))

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        idx = self.point_under(event.scenePos())
        if idx is not None:
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.shiftClicked.emit(idx)
            else:
                self.clicked.emit(idx)


def _inside(inner, outer) -> bool:
    """Whether the range pair ``inner`` lies within ``outer``."""
    (ix0, ix1), (iy0, iy1) = inner
    (ox0, ox1), (oy0, oy1) = outer
    return ox0 <= ix0 and ix1 <= ox1 and oy0 <= iy0 and iy1 <= oy1
