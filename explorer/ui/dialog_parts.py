"""Pieces every export-style dialog has: a path with a *Choose…* button, and the
accept/cancel buttons with the accept button named for what it does."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLineEdit, QPushButton

Button = QDialogButtonBox.StandardButton


def path_row(edit: QLineEdit, choose: Callable[[], None]) -> QHBoxLayout:
    """``edit`` stretched, then a *Choose…* button calling ``choose``."""
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    button = QPushButton("Choose…")
    button.clicked.connect(choose)
    row.addWidget(button)
    return row


def accept_buttons(dialog: QDialog, text: str = "", accept: Button = Button.Ok,
                   on_accept: Callable[[], None] | None = None) -> QDialogButtonBox:
    """``accept`` (relabelled ``text`` when given) and Cancel, wired to the dialog."""
    buttons = QDialogButtonBox(accept | Button.Cancel)
    if text:
        buttons.button(accept).setText(text)
    buttons.accepted.connect(on_accept or dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
