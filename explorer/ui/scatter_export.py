"""The scatter leaves the window: as a PNG of any width (the plot's scene
rendered with QPainter, plus the legend that lives under the plot) or as an
SVG written by :mod:`explorer.core.scatter_svg`; optionally with thumbnails
of the decoded images at chosen points. Also the non-modal dialog that asks how."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QSpinBox

from explorer.ui.dialog_parts import accept_buttons
from explorer.core.scatter_svg import ScatterFigure

FORMATS = ("PNG", "SVG")
THUMBNAILS = ("none", "the selection", "points spread over the view")
MIN_WIDTH, MAX_WIDTH = 200, 16384
LEGEND_FONT_PX = 13  # logical pixels: the PNG scales with the plot as it is on screen


def legend_entries(view) -> list[tuple[str, tuple[int, int, int]]]:
    """``(text, colour)`` of the scatter's legend, as the view shows it under the plot (none when uncoloured)."""
    colouring = view.colouring
    if colouring is None or not colouring.field or not len(view.points):
        return []
    counts = np.bincount(colouring.categories, minlength=len(colouring.names))
    return [(f"{name} ({int(n):,})", tuple(c)) for name, c, n in zip(colouring.names, colouring.colours, counts)]


def axis_labels(view) -> tuple[str, str]:
    """The scatter's x and y axis labels (the layout's names for them)."""
    item = view.plot.getPlotItem()
    return item.getAxis("bottom").labelText or "", item.getAxis("left").labelText or ""


def scatter_figure(view, title: str = "", thumbnails: tuple = ()) -> ScatterFigure:
    """What the view shows (its shown points, colours, range, labels, legend) as a core figure."""
    colouring = view.colouring
    shown = view.shown
    cats = colouring.categories[shown] if colouring is not None else np.zeros(len(shown), np.intp)
    colours = colouring.colours if colouring is not None else ((200, 200, 200),)
    names = colouring.names if colouring is not None else ("all",)
    x_label, y_label = axis_labels(view)
    (x0, x1), (y0, y1) = view.view_range()
    return ScatterFigure(view.points[shown], cats, colours, names, (x0, x1), (y0, y1), x_label, y_label, title,
                         legend=bool(legend_entries(view)), thumbnails=tuple(thumbnails))


def _legend_rows(entries, metrics: QFontMetricsF, room: float) -> list[list[tuple[str, tuple, float]]]:
    """Entries wrapped into rows that fit ``room`` logical pixels."""
    rows: list[list] = [[]]
    x = 0.0
    for text, colour in entries:
        w = metrics.height() + metrics.horizontalAdvance(text) + 2 * metrics.height()
        if rows[-1] and x + w > room:
            rows.append([])
            x = 0.0
        rows[-1].append((text, colour, w))
        x += w
    return rows if rows[0] else []


def render_scatter_png(view, width: int, background: str, title: str = "", thumbnails: tuple = (),
                       thumbnail_side: int = 64) -> QImage:
    """The scatter as it is on screen, drawn ``width`` pixels wide (the height keeps its proportions),
    in the ``background`` theme, with the title above and the legend below."""
    from explorer.ui.images import to_qimage
    from explorer.ui.theme import THEMES, current_theme, style_plot

    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"the scatter's width must be {MIN_WIDTH}…{MAX_WIDTH} px, not {width}")
    theme = THEMES[background]
    plot = view.plot
    source = plot.sceneRect()  # pyqtgraph keeps the scene in viewport pixels
    w0, h0 = max(1.0, source.width()), max(1.0, source.height())
    scale = width / w0
    font = QFont()
    font.setPixelSize(LEGEND_FONT_PX)
    title_font = QFont(font)
    title_font.setPixelSize(round(LEGEND_FONT_PX * 1.4))
    metrics = QFontMetricsF(font)
    rows = _legend_rows(legend_entries(view), metrics, w0 - 16)
    title_h = QFontMetricsF(title_font).height() * 1.8 if title else 0.0
    legend_h = len(rows) * metrics.height() * 1.6 + (8 if rows else 0)
    image = QImage(int(width), max(1, round((title_h + h0 + legend_h) * scale)), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(QColor(theme.plot_background))
    style_plot(plot, theme)
    painter = QPainter(image)
    try:
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        fg = QColor(theme.plot_foreground)
        if title:
            painter.setFont(title_font)
            painter.setPen(fg)
            painter.drawText(QRectF(0, 0, w0, title_h), Qt.AlignmentFlag.AlignCenter, title)
        plot.scene().render(painter, QRectF(0, title_h, w0, h0), source)
        if thumbnails:
            vb = plot.getPlotItem().vb
            area = vb.sceneBoundingRect().translated(0, title_h)
            painter.save()
            painter.setClipRect(area)
            painter.setPen(QPen(fg, 1))
            half = thumbnail_side / 2
            for x, y, thumb in thumbnails:
                at = vb.mapViewToScene(QPointF(float(x), float(y)))
                rect = QRectF(at.x() - half, at.y() + title_h - half, thumbnail_side, thumbnail_side)
                painter.drawImage(rect, to_qimage(thumb))  # no smoothing: the pixels stay crisp
                painter.drawRect(rect)
            painter.restore()
        painter.setFont(font)
        y = title_h + h0 + 4
        for row in rows:
            x = (w0 - sum(w for _, _, w in row)) / 2
            for text, colour, w in row:
                d = metrics.height() * 0.7
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(*colour))
                painter.drawEllipse(QRectF(x, y + (metrics.height() - d) / 2, d, d))
                painter.setPen(fg)
                painter.drawText(QPointF(x + metrics.height(), y + metrics.ascent()), text)
                x += w
            y += metrics.height() * 1.6
    finally:
        painter.end()
        style_plot(plot, current_theme())
    return image


class ScatterExportDialog(QDialog):
    """Format, width, background, title and thumbnails of a scatter export (non-modal)."""

    def __init__(self, parent, background: str, title: str):
        super().__init__(parent)
        self.setWindowTitle("Export scatter")
        self.format = QComboBox()
        self.format.addItems(FORMATS)
        self.format.setToolTip("PNG: the plot as on screen, at any width. SVG: a vector file "
                               "(one circle per point, at most 50,000) for Inkscape or Illustrator")
        self.width_px = QSpinBox()
        self.width_px.setRange(MIN_WIDTH, MAX_WIDTH)
        self.width_px.setSingleStep(256)
        self.width_px.setSuffix(" px")
        self.width_px.setValue(2048)
        self.background = QComboBox()
        self.background.addItems(["light", "dark"])
        self.background.setCurrentText(background)
        self.title = QLineEdit(title)
        self.thumbnails = QComboBox()
        self.thumbnails.addItems(THUMBNAILS)
        self.thumbnails.setToolTip("An image scatter: decoded thumbnails drawn at the chosen points")
        self.count = QSpinBox()
        self.count.setRange(1, 200)
        self.count.setValue(12)
        self.count.setToolTip("How many thumbnails (at most; a selection keeps this many, spread out)")
        self.side = QSpinBox()
        self.side.setRange(16, 256)
        self.side.setValue(64)
        self.side.setSuffix(" px")
        buttons = accept_buttons(self, "Save…", QDialogButtonBox.StandardButton.Save)
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("Width", self.width_px)
        form.addRow("Background", self.background)
        form.addRow("Title", self.title)
        form.addRow("Thumbnails", self.thumbnails)
        form.addRow("How many", self.count)
        form.addRow("Thumbnail size", self.side)
        form.addRow(buttons)
