"""Interpolation: waypoints, lerp/slerp, steps, the filmstrip and a scrub slider."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QListWidget, QPushButton, QSlider,
                               QSpinBox, QVBoxLayout, QWidget)

from explorer.ui.filmstrip import Filmstrip

EMPTY_HINT = ("Shift+click two or more points in the scatter (or click one and press Add current point), "
              "then Walk to see the path between them.")
SLERP_TIP = ("Slerp walks along the sphere. Codes from a Gaussian prior live on a thin shell of radius √d; "
             "a straight line (lerp) between two of them cuts through the middle of the ball, where the model "
             "saw almost nothing in training, so lerp frames fade and blur. Slerp keeps every frame on the shell.")


class WalkPanel(QWidget):
    addRequested = Signal()
    clearRequested = Signal()
    walkRequested = Signal(str, int)  # method, steps
    frameChanged = Signal(int)
    playToggled = Signal(bool)
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.waypoints = QListWidget()
        self.waypoints.setMaximumHeight(90)
        add = QPushButton("Add current point")
        add.setToolTip("Add the point in the preview as a waypoint (or Shift+click a point in the scatter)")
        clear = QPushButton("Clear")
        self.method = QComboBox()
        self.method.addItems(["slerp", "lerp"])
        self.method.setToolTip(SLERP_TIP)
        self.method.setItemData(0, SLERP_TIP, Qt.ItemDataRole.ToolTipRole)
        self.steps = QSpinBox()
        self.steps.setRange(2, 200)
        self.steps.setValue(12)
        self.go = QPushButton("Walk")
        self.go.setToolTip("Decode every frame of the path (Ctrl+W)")
        self.go.setEnabled(False)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setEnabled(False)
        self.play_button.setToolTip("Play the walk's frames in a loop")
        self.export_button = QPushButton("Export animation…")
        self.export_button.setToolTip("Save the walk, a loop or a direction sweep as MP4, GIF or PNG frames "
                                      "(Ctrl+Shift+A)")
        self.filmstrip = Filmstrip()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.frame_label = QLabel("")
        self.frame_label.setProperty("role", "muted")
        self.family_note = QLabel("")  # how this model's walks differ from the line they look like
        self.family_note.setProperty("role", "muted")
        self.family_note.setWordWrap(True)
        self.family_note.hide()
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setProperty("role", "empty")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(clear)
        form = QFormLayout()
        form.addRow("Interpolation", self.method)
        form.addRow("Frames", self.steps)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Waypoints (two or more):"))
        layout.addWidget(self.waypoints)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.go)
        layout.addWidget(self.filmstrip)
        layout.addWidget(self.slider)
        movie = QHBoxLayout()
        movie.addWidget(self.play_button)
        movie.addWidget(self.export_button)
        layout.addLayout(movie)
        layout.addWidget(self.frame_label)
        layout.addWidget(self.family_note)
        layout.addStretch(1)
        add.clicked.connect(self.addRequested)
        clear.clicked.connect(self.clearRequested)
        self.go.clicked.connect(lambda: self.walkRequested.emit(self.method.currentText(), self.steps.value()))
        self.slider.valueChanged.connect(self._on_slider)
        self.filmstrip.chosen.connect(self.slider.setValue)
        self.play_button.toggled.connect(self.playToggled)
        self.export_button.clicked.connect(self.exportRequested)
        self.reset()

    def set_waypoints(self, labels: list[str]) -> None:
        self.waypoints.clear()
        self.waypoints.addItems([f"{i + 1}. {t}" for i, t in enumerate(labels)])
        self.waypoints.setVisible(bool(labels))
        self.hint.setVisible(len(labels) < 2 and self.filmstrip.count() == 0)
        self.go.setEnabled(len(labels) >= 2)

    def reset(self) -> None:
        """Nothing walked, no waypoints: the state of a newly opened model."""
        self.set_waypoints([])
        self.reset_path()

    def reset_path(self) -> None:
        self.filmstrip.clear()
        self.filmstrip.hide()
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self.set_playing(False)
        self.play_button.setEnabled(False)
        self.frame_label.setText("")
        self.hint.setVisible(self.waypoints.count() < 2)

    def set_default_method(self, walk: str) -> None:
        self.method.setCurrentText("slerp" if walk == "slerp" else "lerp")

    def set_family_note(self, text: str) -> None:
        """A note on what this model's walks are (a VQ-VAE's frames are re-quantised); "" hides it."""
        self.family_note.setText(text)
        self.family_note.setVisible(bool(text))

    def start_path(self, frames: int) -> None:
        self.filmstrip.clear()
        self.filmstrip.show()
        self.hint.hide()
        self.slider.blockSignals(True)
        self.slider.setRange(0, frames - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self.frame_label.setText(f"{frames} frames — decoding…")

    def show_frames(self, images: np.ndarray) -> None:
        self.filmstrip.set_images(images)
        self.play_button.setEnabled(len(images) > 1)
        self.frame_label.setText(f"frame {self.slider.value() + 1} of {len(images)}")

    def set_playing(self, playing: bool) -> None:
        """Show the Play button pressed (Stop) or not, without asking to play or stop."""
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.setText("Stop" if playing else "Play")
        self.play_button.blockSignals(False)

    def _on_slider(self, value: int) -> None:
        self.frame_label.setText(f"frame {value + 1} of {self.slider.maximum() + 1}")
        self.frameChanged.emit(value)
