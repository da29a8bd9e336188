"""The hover tooltip: a small frameless window showing a point's decoded image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.ui.images import to_pixmap


class ThumbnailTip(QWidget):
    """A point's decoded thumbnail and caption, shown beside the mouse while it hovers."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.ToolTip)
        # Colours come from the theme (QWidget#thumbnailTip); the tooltip roles are the
        # fallback when no theme was applied, so the tip still matches the system's tooltips.
        self.setObjectName("thumbnailTip")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.setAutoFillBackground(True)
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
