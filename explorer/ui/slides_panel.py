"""The Slides tab: the list of slides (drag or Move up/down to reorder,
double-click or F2 to rename, Enter to show) and the buttons that add,
update, remove, show, present and export them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

EMPTY_HINT = ("A slide remembers the view: layout, zoom, colours, the selection, the point in the preview "
              "and the walk. Set the view up, then Add slide (Ctrl+B); F11 presents the slides full screen.")


class SlidesPanel(QWidget):
    """Widgets only; :class:`~explorer.ui.slides_controller.SlidesController` does the work.

    Rows are announced by position in the list, which is the slide's position.
    """

    addRequested = Signal()
    updateRequested = Signal(int)
    removeRequested = Signal(int)
    moveRequested = Signal(int, int)  # from, to
    renameRequested = Signal(int, str)
    goRequested = Signal(int)
    presentRequested = Signal()
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.slide_list = QListWidget()
        self.slide_list.setToolTip("Enter (or Show) shows the chosen slide; double-click or F2 renames it; "
                                   "drag reorders")
        self.slide_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.slide_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.slide_list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                        | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.slide_list.itemActivated.connect(lambda item: self.goRequested.emit(self.slide_list.row(item)))
        self.slide_list.itemChanged.connect(self._on_item_changed)
        self.slide_list.model().rowsMoved.connect(self._on_rows_moved)
        self.slide_list.currentRowChanged.connect(lambda _row: self._enable())
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setProperty("role", "empty")
        self.hint.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (key, text, tip) in enumerate((
                ("add", "Add slide", "Keep the view shown now as a new slide, after the chosen one (Ctrl+B)"),
                ("update", "Update", "Replace the chosen slide with the view shown now"),
                ("go", "Show", "Show the chosen slide (or press Enter in the list)"),
                ("remove", "Remove", "Remove the chosen slide (Undo brings it back)"),
                ("up", "Move up", "Move the chosen slide one place earlier"),
                ("down", "Move down", "Move the chosen slide one place later"),
                ("present", "Present (F11)", "Full screen from the chosen slide; arrows step, Esc leaves"),
                ("export", "Export slides…", "Each slide as a PNG and all of them as one PDF, into a folder"))):
            b = QPushButton(text)
            b.setToolTip(tip)
            self.buttons[key] = b
            grid.addWidget(b, i // 2, i % 2)
        b = self.buttons
        b["add"].clicked.connect(self.addRequested)
        b["update"].clicked.connect(lambda: self.updateRequested.emit(self.slide_list.currentRow()))
        b["go"].clicked.connect(lambda: self.goRequested.emit(self.slide_list.currentRow()))
        b["remove"].clicked.connect(lambda: self.removeRequested.emit(self.slide_list.currentRow()))
        b["up"].clicked.connect(lambda: self._move_by(-1))
        b["down"].clicked.connect(lambda: self._move_by(1))
        b["present"].clicked.connect(self.presentRequested)
        b["export"].clicked.connect(self.exportRequested)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Slides, in the order they are presented:"))
        layout.addWidget(self.slide_list, 1)
        layout.addWidget(self.hint)
        layout.addLayout(grid)
        self._updating = False
        self.set_slides([], -1)

    def set_slides(self, names: list[str], current: int) -> None:
        """Show ``names`` in order with row ``current`` chosen (-1: none)."""
        self._updating = True
        try:
            self.slide_list.clear()
            for i, name in enumerate(names):
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled)
                item.setToolTip(f"Slide {i + 1} of {len(names)}: Enter shows it, double-click or F2 renames it")
                self.slide_list.addItem(item)
            if 0 <= current < len(names):
                self.slide_list.setCurrentRow(current)
        finally:
            self._updating = False
        self.hint.setVisible(not names)
        self.slide_list.setVisible(bool(names))
        self._enable()

    def rename(self, row: int) -> None:
        """Start editing the name of slide ``row`` in place (as F2 does)."""
        item = self.slide_list.item(row)
        if item is not None:
            self.slide_list.setCurrentItem(item)
            self.slide_list.editItem(item)

    def _enable(self) -> None:
        n, row = self.slide_list.count(), self.slide_list.currentRow()
        chosen = 0 <= row < n
        for key in ("update", "go", "remove"):
            self.buttons[key].setEnabled(chosen)
        self.buttons["up"].setEnabled(chosen and row > 0)
        self.buttons["down"].setEnabled(chosen and row < n - 1)
        self.buttons["present"].setEnabled(n > 0)
        self.buttons["export"].setEnabled(n > 0)

    def _move_by(self, step: int) -> None:
        row = self.slide_list.currentRow()
        if 0 <= row + step < self.slide_list.count():
            self.moveRequested.emit(row, row + step)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if not self._updating:  # later: the list is redrawn from the slides, not while the editor commits
            row, text = self.slide_list.row(item), item.text()
            QTimer.singleShot(0, self, lambda: self.renameRequested.emit(row, text))

    def _on_rows_moved(self, _parent, start: int, _end: int, _dest, row: int) -> None:
        # A drag has already moved the row in the list; the session learns of it once the drop
        # is over, and the list is redrawn from the slides, so the two cannot disagree.
        if not self._updating:
            to = row if row < start else row - 1
            QTimer.singleShot(0, self, lambda: self.moveRequested.emit(start, to))
