"""A non-modal bar for messages: it names the problem and never blocks the window."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

KINDS = ("error", "warning", "info")
ZWSP = "\u200b"
# Qt wraps only at break opportunities; a run this long without one (a hash, a
# file name with no separators) gets invisible ones so it wraps instead of clipping.
_LONG_RUN = re.compile(r"[^\s/\\\-]{40}(?=[^\s/\\\-])")


def _breakable(text: str) -> str:
    return _LONG_RUN.sub(lambda m: m.group(0) + ZWSP, text.replace("\\", "\\" + ZWSP))


class _WrappingLabel(QLabel):
    """A selectable label whose copy leaves out the invisible break points."""

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.hasSelectedText():
            QGuiApplication.clipboard().setText(self.selectedText().replace(ZWSP, ""))
            event.accept()
            return
        super().keyPressEvent(event)


class MessageBar(QWidget):
    """One message at a time, coloured by its kind ("error", "warning" or "info").

    The colours come from the application theme (``QWidget#messageBar`` in
    :mod:`explorer.ui.theme`). Long messages wrap to the window's width; the
    bar never makes the window wider.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("messageBar")
        # A plain QWidget paints a stylesheet background only with this attribute.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setProperty("kind", "error")
        self._text = ""
        self.label = _WrappingLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        # Ignored: the label's one-line width must never become the window's minimum width.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss (Esc)")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        """Show ``text`` as a message of ``kind`` ("error", "warning" or "info")."""
        if kind not in KINDS:
            raise ValueError(f"unknown message kind {kind!r}; expected one of {', '.join(KINDS)}")
        self._text = text
        self.label.setText(_breakable(text))
        if self.property("kind") != kind:
            self.setProperty("kind", kind)
            # The stylesheet selects on [kind]; Qt re-reads it only on a fresh polish.
            for widget in (self, self.label, self.close_button):
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        self.show()

    def show_error(self, text: str) -> None:
        """Show ``text`` as an error."""
        self.show_message(text, "error")

    def kind(self) -> str:
        """The kind of the message shown last."""
        return self.property("kind")

    def text(self) -> str:
        """The message shown, as given; empty while the bar is hidden."""
        return self._text if self.isVisible() else ""
