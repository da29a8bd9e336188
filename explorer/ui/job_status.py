"""The status bar's long-job corner: what is running, its progress, Cancel."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QProgressBar, QStatusBar, QToolButton


class JobStatus:
    """One long job at a time is shown (the newest); ``begin`` replaces, ``end`` clears.

    Each job is known by a key its controller chooses (a request, a projection
    job); a late ``end`` for a job no longer shown does nothing.
    """

    def __init__(self, status_bar: QStatusBar):
        self.bar = status_bar
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the job that is running")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        status_bar.addPermanentWidget(self.progress_bar)
        status_bar.addPermanentWidget(self.cancel_button)
        self.key: object | None = None
        self._cancel: Callable[[], None] | None = None

    def begin(self, key: object, text: str, cancel: Callable[[], None] | None = None) -> None:
        """Show job ``key`` as busy with ``text``; ``cancel`` (if given) backs the Cancel button."""
        self.key, self._cancel = key, cancel
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.cancel_button.setVisible(cancel is not None)
        self.bar.showMessage(text)

    def progress(self, key: object, done: int, total: int, text: str = "") -> None:
        if key is self.key:
            self.progress_bar.setRange(0, max(total, 0))
            self.progress_bar.setValue(done)
            if text:
                self.bar.showMessage(text)

    def end(self, key: object, message: str = "") -> None:
        if key is not self.key:
            return
        self.key, self._cancel = None, None
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.bar.clearMessage()
        if message:
            self.bar.showMessage(message, 4000)

    def busy(self) -> bool:
        return self.key is not None

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel()
