"""A decoded image, enlarged, with its VQ-VAE code map drawn over it: one cell
per code, its index written in it, optionally tinted a colour per code, the
cells that differ from the original outlined. Pressing and dragging paints
(the editor decides what); a right click picks the code under the pointer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from explorer.core.code_grid import cell_at, code_colours
from explorer.ui.images import to_qimage

SIDE = 384  # preferred pixels a side
MIN_TEXT_CELL = 14  # cells smaller than this many pixels show no index (unreadable)


class CodeGridCanvas(QWidget):
    """Draws an image and an (H, W) grid of code indices; reports presses, drags and releases by cell."""

    strokeStarted = Signal(int, int)  # row, col
    cellEntered = Signal(int, int)  # row, col, while the left button is down
    strokeEnded = Signal()
    codePicked = Signal(int)  # right click: the code of that cell

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        # A click takes the focus (from the code spin box, whose own Ctrl+Z would undo its text, not the stroke).
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._image = None  # QImage
        self._grid: np.ndarray | None = None
        self._changed: np.ndarray | None = None
        self._colours: np.ndarray | None = None
        self._last_cell: tuple[int, int] | None = None
        self._pressed = False
        self.tint_cells = False
        self.show_numbers = True

    def sizeHint(self) -> QSize:
        return QSize(SIDE, SIDE)

    # -- what is shown ---------------------------------------------------------------------
    def set_image(self, image: np.ndarray | None) -> None:
        self._image = None if image is None else to_qimage(image)
        self.update()

    def set_grid(self, grid: np.ndarray | None, changed: np.ndarray | None = None, codebook_size: int = 0) -> None:
        """The code map to draw, the cells to outline as changed, and the codebook's size (for the tints)."""
        self._grid = None if grid is None else np.asarray(grid)
        self._changed = None if changed is None else np.asarray(changed, bool)
        if codebook_size and (self._colours is None or len(self._colours) != codebook_size):
            self._colours = code_colours(codebook_size)
        self.update()

    def set_tint(self, on: bool) -> None:
        self.tint_cells = bool(on)
        self.update()

    def set_numbers(self, on: bool) -> None:
        self.show_numbers = bool(on)
        self.update()

    def grid_rect(self) -> QRectF:
        """Where the image and grid are drawn: the largest square-celled area that fits, centred."""
        h, w = self._grid.shape if self._grid is not None else (1, 1)
        if self._image is not None:
            h, w = self._image.height(), self._image.width()
        scale = min(self.width() / w, self.height() / h)
        dw, dh = w * scale, h * scale
        return QRectF((self.width() - dw) / 2, (self.height() - dh) / 2, dw, dh)

    def cell_under(self, x: float, y: float) -> tuple[int, int] | None:
        """The (row, col) of the cell under widget pixel ``(x, y)``; None off the grid."""
        if self._grid is None:
            return None
        r = self.grid_rect()
        return cell_at(x - r.x(), y - r.y(), self._grid.shape, r.width(), r.height())

    def cell_centre(self, row: int, col: int) -> tuple[float, float]:
        """Widget pixel at the centre of cell ``(row, col)`` (for tests and tooltips)."""
        r = self.grid_rect()
        h, w = self._grid.shape
        return r.x() + (col + 0.5) * r.width() / w, r.y() + (row + 0.5) * r.height() / h

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        r = self.grid_rect()
        if self._image is not None:
            p.drawImage(r, self._image)  # nearest-neighbour: pixels stay crisp
        if self._grid is not None:
            self._paint_grid(p, r)
        p.end()

    def _paint_grid(self, p: QPainter, r: QRectF) -> None:
        h, w = self._grid.shape
        cw, ch = r.width() / w, r.height() / h
        if self.tint_cells and self._colours is not None:
            for (i, j), code in np.ndenumerate(self._grid):
                c = self._colours[int(code) % len(self._colours)]
                p.fillRect(QRectF(r.x() + j * cw, r.y() + i * ch, cw, ch), QColor(int(c[0]), int(c[1]), int(c[2]), 110))
        p.setPen(QPen(QColor(255, 255, 255, 90), 1))
        for j in range(w + 1):
            p.drawLine(QLineF(r.x() + j * cw, r.y(), r.x() + j * cw, r.bottom()))
        for i in range(h + 1):
            p.drawLine(QLineF(r.x(), r.y() + i * ch, r.right(), r.y() + i * ch))
        if self.show_numbers and min(cw, ch) >= MIN_TEXT_CELL:
            f = QFont(p.font())
            f.setPixelSize(max(7, int(min(cw, ch) * 0.38)))
            p.setFont(f)
            for (i, j), code in np.ndenumerate(self._grid):
                cell = QRectF(r.x() + j * cw, r.y() + i * ch, cw, ch)
                p.setPen(QColor(0, 0, 0, 200))  # a shadow, so the index reads on light and dark pixels
                p.drawText(cell.translated(1, 1), Qt.AlignmentFlag.AlignCenter, str(int(code)))
                p.setPen(QColor(255, 255, 255))
                p.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(int(code)))
        if self._changed is not None and self._changed.any():
            p.setPen(QPen(QColor(255, 200, 0), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            for i, j in zip(*np.nonzero(self._changed)):
                p.drawRect(QRectF(r.x() + j * cw + 1, r.y() + i * ch + 1, cw - 2, ch - 2))

    # -- the pointer -----------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        cell = self.cell_under(event.position().x(), event.position().y())
        if cell is None:
            return
        if event.button() == Qt.MouseButton.RightButton:
            self.codePicked.emit(int(self._grid[cell]))
        elif event.button() == Qt.MouseButton.LeftButton:
            self._pressed, self._last_cell = True, cell
            self.strokeStarted.emit(*cell)

    def mouseMoveEvent(self, event) -> None:
        if not self._pressed:
            return
        cell = self.cell_under(event.position().x(), event.position().y())
        if cell is not None and cell != self._last_cell:
            self._last_cell = cell
            self.cellEntered.emit(*cell)

    def mouseReleaseEvent(self, event) -> None:
        if self._pressed and event.button() == Qt.MouseButton.LeftButton:
            self._pressed, self._last_cell = False, None
            self.strokeEnded.emit()
