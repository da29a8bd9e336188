"""A horizontal strip of small images (path frames, neighbours)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from explorer.ui.images import to_pixmap


class Filmstrip(QListWidget):
    """Click a frame to choose it; ``chosen(index)`` says which.

    The strip keeps the images and captions it shows (``images``, ``captions``)
    so a figure can be made of them at any resolution, not from its icons.
    """

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
        self.images: list[np.ndarray] = []
        self.captions: list[str] = []

    def set_images(self, images: np.ndarray, captions: list[str] | None = None) -> None:
        self.blockSignals(True)
        self.clear()
        self.images = [np.asarray(im) for im in images]
        self.captions = list(captions) if captions else [str(i + 1) for i in range(len(self.images))]
        for i, im in enumerate(images):
            item = QListWidgetItem(QIcon(to_pixmap(im, self.side)), captions[i] if captions else str(i + 1))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
        self.blockSignals(False)

    def clear(self) -> None:
        """No frames (and no images kept)."""
        super().clear()
        self.images, self.captions = [], []

    def _on_row(self, row: int) -> None:
        if row >= 0:
            self.chosen.emit(row)
