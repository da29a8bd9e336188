"""The hover tooltip: a small frameless window showing a point's decoded image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.ui.images import to_pixmap


class ThumbnailTip(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.ToolTip)
        self.setStyleSheet("background: #222; color: #ddd; border: 1px solid #555;")
        self.picture = QLabel()
        self.caption = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)
        self.index: int | None = None

    def show_at(self, index: int, image: np.ndarray, caption: str, pos: QPoint) -> None:
        self.index = index
        self.picture.setPixmap(to_pixmap(image, 96))
        self.caption.setText(caption)
        self.adjustSize()
        self.move(pos + QPoint(14, 14))
        self.show()

    def hide_tip(self) -> None:
        self.index = None
        self.hide()
