"""k nearest neighbours of the current latent, listed with thumbnails."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.filmstrip import Filmstrip


class NeighboursPanel(QWidget):
    findRequested = Signal(int, str)  # k, metric
    chosen = Signal(int)  # bank index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.k = QSpinBox()
        self.k.setRange(1, 64)
        self.k.setValue(8)
        self.metric = QComboBox()
        self.metric.addItems(["euclidean", "cosine"])
        find = QPushButton("Find neighbours of the current point")
        self.strip = Filmstrip(64)
        self.summary = QLabel("")
        form = QFormLayout()
        form.addRow("k", self.k)
        form.addRow("Distance", self.metric)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(find)
        layout.addWidget(self.strip)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.indices = np.zeros(0, np.int64)
        find.clicked.connect(lambda: self.findRequested.emit(self.k.value(), self.metric.currentText()))
        self.strip.chosen.connect(self._on_chosen)

    def show_neighbours(self, indices: np.ndarray, distances: np.ndarray, thumbnails: np.ndarray | None, of: str) -> None:
        self.indices = np.asarray(indices)
        if thumbnails is not None:
            self.strip.set_images(thumbnails[self.indices], [f"#{i}\n{d:.2f}" for i, d in zip(indices, distances)])
        self.summary.setText(f"{len(indices)} nearest to {of} ({self.metric.currentText()})")

    def _on_chosen(self, row: int) -> None:
        if 0 <= row < len(self.indices):
            self.chosen.emit(int(self.indices[row]))
