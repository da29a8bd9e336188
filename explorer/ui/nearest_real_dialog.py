"""A small non-modal window: the real (reference) images nearest to a click on
the coverage overlay, so a gap among the generated points shows what is missing."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from explorer.ui.filmstrip import Filmstrip


class NearestRealDialog(QDialog):
    """A strip of real images with a line saying where they were picked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Nearest real images")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.strip = Filmstrip(side=72, caption_lines=1)
        box = QVBoxLayout(self)
        box.addWidget(self.note)
        box.addWidget(self.strip)
        self.resize(640, self.strip.height() + 60)

    def show_images(self, images: np.ndarray, indices: np.ndarray, note: str) -> None:
        """Show ``images`` (the real images ``indices``) with ``note`` above them."""
        self.note.setText(note)
        self.strip.set_images(images, [f"real #{int(i)}" for i in indices])
        self.show()
        self.raise_()
