"""A horizontal strip of small images (path frames, neighbours)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from explorer.ui.images import to_pixmap


class Filmstrip(QListWidget):
    """Click a frame to choose it; ``chosen(index)`` says which."""

    chosen = Signal(int)

    def __init__(self, side: int = 56, caption_lines: int = 1, parent=None):
        super().__init__(parent)
        self.side = side
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(side, side))
        self.setFixedHeight(side + 24 + 16 * caption_lines)
        self.setMovement(QListView.Movement.Static)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.currentRowChanged.connect(self._on_row)

    def set_images(self, images: np.ndarray, captions: list[str] | None = None) -> None:
        self.blockSignals(True)
        self.clear()
        for i, im in enumerate(images):
            item = QListWidgetItem(QIcon(to_pixmap(im, self.side)), captions[i] if captions else str(i + 1))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
        self.blockSignals(False)

    def _on_row(self, row: int) -> None:
        if row >= 0:
            self.chosen.emit(row)
