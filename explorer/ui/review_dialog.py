"""Review mode: one large image at a time; arrows move, K/R/1–9 tag.

The images come from the gallery's model (the bank's thumbnails, or decoded
by the worker); the next one is asked for as soon as an image is shown, so it
is ready before the key that moves to it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

SIDE = 384


class ReviewDialog(QDialog):
    """Steps through ``model``'s rows from ``start``; ``tagRequested(bank_index, key)`` for K, R, 1–9."""

    tagRequested = Signal(int, str)
    moved = Signal(int)  # the bank index now shown

    def __init__(self, model, start: int = 0, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Review")
        self.model = model
        self.row = max(0, min(start, model.rowCount() - 1))
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(SIDE, SIDE)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel("← → move · K keep · R reject · 1–9 your tags · Esc close")
        self.hint.setProperty("role", "muted")
        back, forward = QPushButton("← Previous"), QPushButton("Next →")
        back.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        forward.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        back.clicked.connect(lambda: self.step(-1))
        forward.clicked.connect(lambda: self.step(1))
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.hint)
        buttons.addStretch(1)
        buttons.addWidget(forward)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        layout.addLayout(buttons)
        model.dataChanged.connect(self._on_data_changed)
        self.show_row()

    def bank_index(self, row: int | None = None) -> int:
        row = self.row if row is None else row
        return int(self.model.rows[row]) if 0 <= row < len(self.model.rows) else -1

    def show_row(self) -> None:
        i = self.bank_index()
        if i < 0:
            self.picture.setText("Nothing to review")
            self.caption.setText("")
            return
        pm = self.model.pixmap(i)
        self.picture.setPixmap(pm.scaled(SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.FastTransformation))
        text = self.model.data(self.model.index(self.row), Qt.ItemDataRole.DisplayRole)
        self.caption.setText(f"{self.row + 1:,} / {len(self.model.rows):,}   {text}")
        for ahead in (1, 2):  # ask for the next images now, so they are ready before the key
            if self.row + ahead < len(self.model.rows):
                self.model.pixmap(self.bank_index(self.row + ahead))
        self.moved.emit(i)

    def step(self, by: int) -> None:
        new = max(0, min(self.row + by, len(self.model.rows) - 1))
        if new != self.row:
            self.row = new
            self.show_row()

    def _on_data_changed(self, first, last, roles=()) -> None:
        if first.row() <= self.row <= last.row():
            self.show_row()

    def keyPressEvent(self, event) -> None:
        key, text = event.key(), event.text().upper()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Space):
            self.step(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.step(-1)
        elif text in ("K", "R") or (text.isdigit() and text != "0"):
            i = self.bank_index()
            if i >= 0:
                self.tagRequested.emit(i, text)
                self.step(1)  # tagged: on to the next one
        else:
            super().keyPressEvent(event)
