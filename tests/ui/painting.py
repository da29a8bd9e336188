"""Paint widgets the way a user would see them, and fail on any Python error
raised inside a Qt override while doing it.

Used by ``test_paint_everything.py``. Two facts about PySide6 shape it:

- A Python attribute that shadows a Qt virtual (``self.metric = QComboBox()``
  hides ``QWidget.metric()``) raises only when Qt itself calls the virtual:
  showing the widget and letting the event loop paint it does that.
- Once such an override has failed, Qt carries on with a garbage value, and a
  later ``grab()`` or ``repaint()`` of that widget can crash the interpreter
  (segmentation fault, PySide6 6.11). So the painter shows and paints first,
  checks what was raised, and only then grabs — a bug becomes a test failure,
  not a crashed test run.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget


class PaintError(AssertionError):
    """Painting a widget raised a Python exception inside Qt."""


def describe(exceptions) -> str:
    """A readable listing of pytest-qt's captured ``(type, value, traceback)`` triples."""
    return "\n".join("".join(traceback.format_exception(t, v, tb)) for t, v, tb in exceptions)


class Painter:
    """Shows, paints and grabs widgets; remembers what it painted.

    ``exceptions`` is the list from ``qtbot.capture_exceptions()``.
    """

    def __init__(self, qtbot, exceptions: list):
        self.qtbot, self.exceptions = qtbot, exceptions
        self.painted: list[str] = []  # what was grabbed, in order
        self.dialogs: list[str] = []  # titles of the dialogs the fakes painted

    def settle(self) -> None:
        """Let Qt deliver posted events (expose, layout, paint)."""
        QApplication.processEvents()
        self.qtbot.wait(2)

    def check(self, what: str, before: int) -> None:
        new = self.exceptions[before:]
        if new:
            raise PaintError(f"Python error(s) inside Qt while showing and painting {what}:\n{describe(new)}")

    def paint(self, widget: QWidget, what: str, *, show: bool = True):
        """Show ``widget`` (unless told not to), let Qt paint it, then ``grab()`` it.

        Raises :class:`PaintError` as soon as a Python exception shows up, before
        grabbing (see the module's docstring).
        """
        before = len(self.exceptions)
        if show:
            widget.show()
            widget.raise_()
        self.settle()
        self.check(what, before)
        pixmap = widget.grab()
        self.settle()
        self.check(what, before)
        assert not pixmap.isNull() and pixmap.width() > 0 and pixmap.height() > 0, f"empty grab of {what}"
        self.painted.append(what)
        return pixmap

    def paint_dock(self, window, title: str) -> None:
        """Bring a (possibly tabified) dock to the front, as clicking its tab does."""
        dock = window.docks[title]
        self.paint(dock, f"the {title} dock")
        self.paint(window, f"the window with the {title} dock in front", show=False)

    def paint_menu(self, menu: QMenu, where: QWidget, what: str) -> None:
        before = len(self.exceptions)
        menu.popup(where.mapToGlobal(QPoint(40, 40)))
        try:
            self.paint(menu, what, show=False)
        finally:
            menu.hide()
            self.settle()
        self.check(what, before)

    def paint_combo_popup(self, combo: QComboBox, what: str) -> None:
        combo.showPopup()
        try:
            self.paint(combo.view().window(), what, show=False)
        finally:
            combo.hidePopup()

    # -- stand-ins for the blocking static dialogs ------------------------------------------
    def file_dialog(self, mode: QFileDialog.AcceptMode):
        """A stand-in for QFileDialog.getOpenFileName/getSaveFileName: builds the real
        dialog, paints it without blocking, and answers as if cancelled."""

        def fake(parent=None, caption="", directory="", filter="", *args, **kwargs):  # noqa: A002 (Qt's name)
            dialog = QFileDialog(parent, caption, directory, filter)
            dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
            dialog.setAcceptMode(mode)
            try:
                self.paint(dialog, f"file dialog {caption!r}")
            finally:
                dialog.hide()
                dialog.deleteLater()
            self.dialogs.append(caption)
            return "", ""

        return staticmethod(fake)

    def message_box(self, icon: QMessageBox.Icon):
        """A stand-in for QMessageBox.information/warning/critical/question: builds the
        real box, paints it without blocking, and answers with its cancel button."""

        def fake(parent, title, text, buttons=QMessageBox.StandardButton.Ok,
                 defaultButton=QMessageBox.StandardButton.NoButton, *args, **kwargs):  # noqa: N803 (Qt's name)
            box = QMessageBox(icon, title, text, buttons, parent)
            if defaultButton != QMessageBox.StandardButton.NoButton:
                box.setDefaultButton(defaultButton)
            try:
                self.paint(box, f"message box {title!r}")
                escape = box.escapeButton()
                answer = box.standardButton(escape) if escape is not None else defaultButton
            finally:
                box.hide()
                box.deleteLater()
            self.dialogs.append(title)
            return answer

        return staticmethod(fake)

    def text_input(self):
        """A stand-in for QInputDialog.getText: builds the real dialog, paints it, answers Cancel."""

        def fake(parent, title, label, *args, **kwargs):
            dialog = QInputDialog(parent)
            dialog.setWindowTitle(title)
            dialog.setLabelText(label)
            try:
                self.paint(dialog, f"input dialog {title!r}")
            finally:
                dialog.hide()
                dialog.deleteLater()
            self.dialogs.append(title)
            return "", False

        return staticmethod(fake)

    def patch_dialogs(self, monkeypatch) -> None:
        """Replace the blocking static dialogs (the classes every module imports) with painting fakes."""
        monkeypatch.setattr(QInputDialog, "getText", self.text_input())
        folder = self.file_dialog(QFileDialog.AcceptMode.AcceptOpen)
        monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                            staticmethod(lambda *a, **k: folder.__func__(*a, **k)[0]))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", self.file_dialog(QFileDialog.AcceptMode.AcceptOpen))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self.file_dialog(QFileDialog.AcceptMode.AcceptSave))
        for name, icon in (("information", QMessageBox.Icon.Information), ("warning", QMessageBox.Icon.Warning),
                           ("critical", QMessageBox.Icon.Critical), ("question", QMessageBox.Icon.Question)):
            monkeypatch.setattr(QMessageBox, name, self.message_box(icon))
