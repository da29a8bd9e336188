"""Scrolling a side panel must scroll it, not change the combo box, spin box or
slider that happens to pass under the pointer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class WheelGuard(QObject):
    """An event filter: a wheel event reaches a guarded widget only when it has focus."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # passes to the parent: the panel scrolls
            return True
        return False


def guard_wheel(root: QWidget, guard: WheelGuard) -> None:
    """Install ``guard`` on every combo box, spin box and slider under ``root``;
    they take focus by click or Tab only, so a passing wheel cannot focus them."""
    for kind in GUARDED:
        for widget in root.findChildren(kind):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(guard)
