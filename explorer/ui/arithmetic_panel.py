"""Attribute vectors and arithmetic: define named vectors, type an expression,
see the result with its neighbours, move along a direction, draw an analogy grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QCompleter, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSizePolicy, QSlider, QSpinBox, QTabWidget,
                               QVBoxLayout, QWidget)

from explorer.ui.images import to_pixmap

SOURCES = ["query", "current point", "selection"]
KINDS = {
    "mean": "mean of the matches (a location, e.g. man)",
    "attribute": "matches − the rest (a direction, e.g. glasses)",
    "balanced": "direction, bias-corrected over the other attributes (White 2016)",
    "boundary": "direction normal to a linear boundary (InterFaceGAN), with its accuracy",
}


class ExpressionEdit(QLineEdit):
    """A line edit that completes vector names as you type them."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._names = QStringListModel([], self)
        self._completer = QCompleter(self._names, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseSensitive)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.setWidget(self)
        self._completer.activated.connect(self._insert)
        self.textEdited.connect(self._on_edit)

    def set_names(self, names: list[str]) -> None:
        self._names.setStringList(names)

    def _word_bounds(self) -> tuple[int, int]:
        text, pos = self.text(), self.cursorPosition()
        start = pos
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        return start, pos

    def _on_edit(self, _text: str) -> None:
        start, pos = self._word_bounds()
        prefix = self.text()[start:pos]
        if prefix and not prefix[0].isdigit():
            self._completer.setCompletionPrefix(prefix)
            if self._completer.completionCount() > 0:
                self._completer.complete()
                return
        self._completer.popup().hide()

    def _insert(self, name: str) -> None:
        start, pos = self._word_bounds()
        text = self.text()
        self.setText(text[:start] + name + text[pos:])
        self.setCursorPosition(start + len(name))

    def completions(self, prefix: str) -> list[str]:
        self._completer.setCompletionPrefix(prefix)
        out = []
        for i in range(self._completer.completionCount()):
            self._completer.setCurrentRow(i)
            out.append(self._completer.currentCompletion())
        return out


def _message_label(role: str) -> QLabel:
    """A label for errors and hints that wraps inside the panel instead of widening it."""
    label = QLabel("")
    label.setProperty("role", role)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ArithmeticPanel(QWidget):
    """Four sections, each a page so its controls fit without scrolling:
    named vectors, expression, direction and analogy grid."""

    defineRequested = Signal(str, str, str, str)  # name, source, query, kind
    removeRequested = Signal(str)
    evaluateRequested = Signal(str)
    directionChanged = Signal(str, float, list)  # vector name, amount, names to keep fixed
    analogyRequested = Signal(str, str, str, int)  # A, B, C, grid size
    saveGridRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # -- define ---------------------------------------------------------
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("name, e.g. glasses_man")
        self.source = QComboBox()
        self.source.addItems(SOURCES)
        self.query_edit = QLineEdit()
        self.query_edit.setPlaceholderText("query, e.g. male & glasses   or   label == 7")
        self.kind = QComboBox()
        for k, tip in KINDS.items():
            self.kind.addItem(k)
            self.kind.setItemData(self.kind.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.kind.setToolTip("\n".join(f"{k}: {t}" for k, t in KINDS.items()))
        define = QPushButton("Define")
        self.define_error = _message_label("error")
        self.vectors_hint = _message_label("empty")
        self.vectors_hint.setText("No named vectors yet. Type a name and a query such as  male & glasses, "
                                  "or use the current point or a selection (Ctrl+drag a lasso, Shift+drag a box), then Define.")
        self.vector_list = QListWidget()
        self.vector_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.vector_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        remove = QPushButton("Remove")
        box = QWidget()
        form = QFormLayout(box)
        form.addRow("Name", self.name_edit)
        form.addRow("From", self.source)
        form.addRow("Query", self.query_edit)
        form.addRow("Kind", self.kind)
        form.addRow(define)
        form.addRow(self.define_error)
        form.addRow(self.vectors_hint)
        form.addRow(self.vector_list)
        form.addRow(remove)
        # -- expression -----------------------------------------------------
        self.expr_edit = ExpressionEdit()
        self.expr_edit.setPlaceholderText("glasses_man - man + woman")
        evaluate = QPushButton("Evaluate")
        self.expr_error = _message_label("error")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.expr_error.setFont(mono)
        self.result_hint = _message_label("empty")
        self.result_hint.setText("Type an expression of named vectors, e.g.  glasses_man - man + woman, and press "
                                 "Enter: the result and 8 neighbours (result + small noise) appear here.")
        self.result_box = QWidget()
        self.result_grid = QGridLayout(self.result_box)
        self.result_grid.setContentsMargins(0, 0, 0, 0)
        self.result_cells = []
        for i in range(9):
            cell = QLabel()
            cell.setFixedSize(72, 72)
            cell.setProperty("role", "image")
            cell.setProperty("current", i == 4)  # the result itself: a highlighted border
            self.result_grid.addWidget(cell, i // 3, i % 3)
            self.result_cells.append(cell)
        self.result_box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # a compact 3×3 block
        self.result_box.hide()
        expr_box = QWidget()
        ev = QVBoxLayout(expr_box)
        row = QHBoxLayout()
        row.addWidget(self.expr_edit, 1)
        row.addWidget(evaluate)
        ev.addLayout(row)
        ev.addWidget(self.expr_error)
        ev.addWidget(self.result_hint)
        ev.addWidget(self.result_box)
        ev.addStretch(1)
        # -- direction slider -------------------------------------------------
        self.direction = QComboBox()
        self.amount = QSlider(Qt.Orientation.Horizontal)
        self.amount.setRange(-30, 30)
        self.amount.setValue(0)
        self.amount_label = QLabel("0.0")
        self.keep = QListWidget()
        self.keep.setMaximumHeight(70)
        self.keep.setToolTip("Checked directions are projected out, so moving keeps them as they are (InterFaceGAN's conditional manipulation)")
        dir_box = QWidget()
        dv = QFormLayout(dir_box)
        dv.addRow(_hint("Move the current point along a named direction; checked directions stay fixed."))
        dv.addRow("Direction", self.direction)
        srow = QHBoxLayout()
        srow.addWidget(self.amount, 1)
        srow.addWidget(self.amount_label)
        dv.addRow("Amount", srow)
        dv.addRow("Keep", self.keep)
        # -- analogy grid ---------------------------------------------------
        self.analogy = [QComboBox() for _ in range(3)]
        self.grid_size = QSpinBox()
        self.grid_size.setRange(2, 9)
        self.grid_size.setValue(5)
        draw = QPushButton("Draw grid")
        save = QPushButton("Save image…")
        save.setToolTip("Save the grid as a labelled figure (PNG at the width you choose)")
        save.clicked.connect(self.saveGridRequested)
        self.grid_image = QLabel()
        self.grid_hint = _message_label("empty")
        self.grid_hint.setText("A : B :: C : ?  — pick three named vectors and Draw grid: the plane through them, "
                               "with B − A + C in the far corner.")
        an_box = QWidget()
        al = QFormLayout(an_box)
        arow = QHBoxLayout()
        for label, combo in zip("ABC", self.analogy):
            arow.addWidget(QLabel(label))
            arow.addWidget(combo, 1)
        al.addRow(arow)
        al.addRow("Size", self.grid_size)
        brow = QHBoxLayout()
        brow.addWidget(draw)
        brow.addWidget(save)
        al.addRow(brow)
        al.addRow(self.grid_hint)
        al.addRow(self.grid_image)

        self.sections = QTabWidget()
        self.sections.setDocumentMode(True)
        for title, page in (("Vectors", box), ("Expression", expr_box), ("Direction", dir_box), ("Analogy", an_box)):
            self.sections.addTab(page, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sections)
        self.reset()

        define.clicked.connect(self._define)
        remove.clicked.connect(self._remove)
        evaluate.clicked.connect(lambda: self.evaluateRequested.emit(self.expr_edit.text()))
        self.expr_edit.returnPressed.connect(lambda: self.evaluateRequested.emit(self.expr_edit.text()))
        self.source.currentTextChanged.connect(lambda s: self.query_edit.setEnabled(s == "query"))
        self.amount.valueChanged.connect(self._on_amount)
        self.direction.currentTextChanged.connect(lambda _t: self._on_amount(self.amount.value()))
        draw.clicked.connect(lambda: self.analogyRequested.emit(*(c.currentText() for c in self.analogy),
                                                                self.grid_size.value()))

    def _define(self) -> None:
        self.define_error.setText("")
        self.defineRequested.emit(self.name_edit.text().strip(), self.source.currentText(),
                                  self.query_edit.text(), self.kind.currentText())

    def _remove(self) -> None:
        item = self.vector_list.currentItem()
        if item is not None:
            self.removeRequested.emit(item.data(Qt.ItemDataRole.UserRole))

    def _on_amount(self, value: int) -> None:
        amount = value / 10.0
        self.amount_label.setText(f"{amount:+.1f}")
        name = self.direction.currentText()
        if name:
            keep = [self.keep.item(i).text() for i in range(self.keep.count())
                    if self.keep.item(i).checkState() == Qt.CheckState.Checked and self.keep.item(i).text() != name]
            self.directionChanged.emit(name, amount, keep)

    def reset(self) -> None:
        """No vectors, no result, no grid: the state of a newly opened model."""
        self.set_vectors([])
        self.define_error.setText("")
        self.expr_error.setText("")
        self.result_box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # a compact 3×3 block
        self.result_box.hide()
        self.result_hint.show()
        self.grid_image.clear()
        self.grid_image.hide()
        self.grid_hint.show()

    def focus_expression(self) -> None:
        self.sections.setCurrentIndex(1)
        self.expr_edit.setFocus()

    def set_vectors(self, items: list) -> None:
        """Show the library's vectors (NamedVector items) everywhere names are chosen."""
        names = [v.name for v in items]
        self.vector_list.clear()
        for v in items:
            it = QListWidgetItem(v.summary())
            it.setToolTip(v.summary())
            it.setData(Qt.ItemDataRole.UserRole, v.name)
            self.vector_list.addItem(it)
        self.vector_list.setVisible(bool(items))
        self.vectors_hint.setVisible(not items)
        self.expr_edit.set_names(names)
        for combo in [self.direction, *self.analogy]:
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            if current in names:
                combo.setCurrentText(current)
            combo.blockSignals(False)
        checked = {self.keep.item(i).text() for i in range(self.keep.count())
                   if self.keep.item(i).checkState() == Qt.CheckState.Checked}
        self.keep.clear()
        for n in names:
            it = QListWidgetItem(n)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if n in checked else Qt.CheckState.Unchecked)
            self.keep.addItem(it)

    def show_define_error(self, text: str) -> None:
        self.define_error.setText(text)

    def show_expression_error(self, text: str) -> None:
        self.expr_error.setText(text)

    def show_result(self, images: np.ndarray) -> None:
        """Centre cell: the result; around it: the 8 noisy neighbours."""
        self.expr_error.setText("")
        order = [1, 2, 3, 4, 0, 5, 6, 7, 8]  # images[0] is the result and goes in the middle
        for cell, k in zip(self.result_cells, order):
            cell.setPixmap(to_pixmap(images[k], 72))
        self.result_hint.hide()
        self.result_box.show()

    def show_grid(self, image: np.ndarray) -> None:
        self.grid_image.setPixmap(to_pixmap(image, 300))
        self.grid_hint.hide()
        self.grid_image.show()


def _hint(text: str) -> QLabel:
    label = _message_label("muted")
    label.setText(text)
    return label
