"""k nearest neighbours of the current latent, listed with thumbnails."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.filmstrip import Filmstrip

EMPTY_HINT = "Click a point (or evaluate an expression), then Find neighbours (Ctrl+N) to list its nearest codes."


class NeighboursPanel(QWidget):
    findRequested = Signal(int, str)  # k, metric
    chosen = Signal(int)  # bank index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.k = QSpinBox()
        self.k.setRange(1, 64)
        self.k.setValue(8)
        # Not ``self.metric``: that would hide QWidget.metric(), which Qt calls while painting.
        self.metric_combo = QComboBox()
        self.metric_combo.addItems(["euclidean", "cosine"])
        find = QPushButton("Find neighbours of the current point")
        find.setToolTip("Ctrl+N")
        self.strip = Filmstrip(64, caption_lines=2)
        self.summary = QLabel("")
        self.summary.setProperty("role", "muted")
        self.summary.setWordWrap(True)
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setProperty("role", "empty")
        self.hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("k", self.k)
        form.addRow("Distance", self.metric_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(find)
        layout.addWidget(self.hint)
        layout.addWidget(self.strip)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.indices = np.zeros(0, np.int64)
        find.clicked.connect(self._find)
        self.strip.chosen.connect(self._on_chosen)
        self.reset()

    def _find(self) -> None:
        self.findRequested.emit(self.k.value(), self.metric_combo.currentText())

    def reset(self) -> None:
        """No neighbours listed (a new model, or nothing found yet)."""
        self.indices = np.zeros(0, np.int64)
        self.strip.clear()
        self.strip.hide()
        self.summary.setText("")
        self.hint.show()

    def show_neighbours(self, indices: np.ndarray, distances: np.ndarray, thumbnails: np.ndarray | None, of: str) -> None:
        self.indices = np.asarray(indices)
        if thumbnails is not None:
            self.strip.set_images(thumbnails[self.indices], [f"#{i}\n{d:.2f}" for i, d in zip(indices, distances)])
            self.strip.show()
        self.hint.hide()
        self.summary.setText(f"{len(indices)} nearest to {of} ({self.metric_combo.currentText()})")

    def _on_chosen(self, row: int) -> None:
        if 0 <= row < len(self.indices):
            self.chosen.emit(int(self.indices[row]))
