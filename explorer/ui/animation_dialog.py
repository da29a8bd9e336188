"""Export animation…: what to animate (the walk, a loop, a direction sweep), how, and where."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QLineEdit, QSpinBox)

from explorer.ui.dialog_parts import accept_buttons, path_row

#: Source labels shown in the dialog → the controller's source names.
SOURCES = {"the walk (waypoints)": "walk", "a loop through the waypoints": "loop", "a direction sweep": "sweep"}
FILTERS = "MP4 video (*.mp4);;GIF animation (*.gif);;Folder of PNG frames (*)"


class AnimationDialog(QDialog):
    """The options of one animation export; :meth:`options` reads them back as keyword arguments.

    Non-modal: the caller connects ``accepted`` and calls ``open()``.
    """

    def __init__(self, parent, out: str, method: str = "slerp"):
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.source = QComboBox()
        self.source.addItems(list(SOURCES))
        self.source.setToolTip("The walk through the Walk tab's waypoints, the same walk back to its start, "
                               "or the Arithmetic tab's direction from the current point, −amount … +amount")
        self.amount = QDoubleSpinBox()
        self.amount.setRange(0.1, 10.0)
        self.amount.setSingleStep(0.5)
        self.amount.setValue(3.0)
        self.amount.setToolTip("A direction sweep runs from −amount to +amount along the direction")
        self.method = QComboBox()
        self.method.addItems(["slerp", "lerp"])
        self.method.setCurrentText(method)
        self.fps = _spin(1, 60, 24, "Frames per second")
        self.per_segment = _spin(1, 500, 24, "Frames from one waypoint to the next")
        self.out_size = _spin(16, 4096, 512, "Width of the image in pixels (the model's images are enlarged)")
        self.out_size.setSuffix(" px")
        self.enlarge = QComboBox()
        self.enlarge.addItems(["nearest (crisp pixels)", "smooth"])
        self.order = QComboBox()
        self.order.addItems(["forwards", "ping-pong"])
        self.order.setToolTip("Ping-pong plays forwards, then backwards: a loop with no jump")
        self.hold = _spin(0, 500, 0, "Extra frames each waypoint is shown for")
        self.even = QCheckBox("Even pacing")
        self.even.setToolTip("Space the frames so consecutive images change by similar amounts "
                             "(decodes the path densely first)")
        self.caption = QCheckBox("Caption (model, waypoints or direction, frame)")
        self.path_edit = QLineEdit(out)
        where = path_row(self.path_edit, self._choose)
        buttons = accept_buttons(self, "Export")
        form = QFormLayout(self)
        form.addRow("Animate", self.source)
        form.addRow("Sweep amount", self.amount)
        form.addRow("Interpolation", self.method)
        form.addRow("Frames per second", self.fps)
        form.addRow("Frames per segment", self.per_segment)
        form.addRow("Output width", self.out_size)
        form.addRow("Enlarge", self.enlarge)
        form.addRow("Play", self.order)
        form.addRow("Hold on waypoints", self.hold)
        form.addRow("", self.even)
        form.addRow("", self.caption)
        form.addRow("Save to", where)
        form.addRow(buttons)
        self.source.currentTextChanged.connect(self._on_source)
        self._on_source(self.source.currentText())

    def _on_source(self, label: str) -> None:
        sweep = SOURCES[label] == "sweep"
        self.amount.setEnabled(sweep)
        self.method.setEnabled(not sweep)  # a sweep is a straight line

    def _choose(self) -> None:
        start = self.path_edit.text()
        chosen, kind = QFileDialog.getSaveFileName(self, "Export animation", start, FILTERS)
        if not chosen:
            return
        root, ext = os.path.splitext(chosen)
        if kind.startswith("MP4") and ext.lower() != ".mp4":
            chosen = root + ".mp4"
        elif kind.startswith("GIF") and ext.lower() != ".gif":
            chosen = root + ".gif"
        elif kind.startswith("Folder"):
            chosen = root
        self.path_edit.setText(chosen)

    def options(self) -> dict:
        """What :meth:`AnimationController.export` takes, as chosen here."""
        return dict(out=self.path_edit.text().strip(), source=SOURCES[self.source.currentText()],
                    method=self.method.currentText(), fps=self.fps.value(), frames_per_segment=self.per_segment.value(),
                    width=self.out_size.value(), smooth=self.enlarge.currentIndex() == 1,
                    ping_pong=self.order.currentText() == "ping-pong", hold=self.hold.value(),
                    even=self.even.isChecked(), caption=self.caption.isChecked(), amount=self.amount.value())


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box
