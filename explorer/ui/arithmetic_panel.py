"""Attribute vectors and arithmetic: define named vectors, type an expression,
see the result with its neighbours, move along a direction, draw an analogy grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

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


class ArithmeticPanel(QWidget):
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
        self.define_error = QLabel("")
        self.define_error.setStyleSheet("color: #c33")
        self.define_error.setWordWrap(True)
        self.vector_list = QListWidget()
        self.vector_list.setMaximumHeight(120)
        self.vector_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.vector_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        remove = QPushButton("Remove")
        box = QGroupBox("Named vectors")
        form = QFormLayout(box)
        form.addRow("Name", self.name_edit)
        form.addRow("From", self.source)
        form.addRow("Query", self.query_edit)
        form.addRow("Kind", self.kind)
        form.addRow(define)
        form.addRow(self.define_error)
        form.addRow(self.vector_list)
        form.addRow(remove)
        # -- expression -----------------------------------------------------
        self.expr_edit = ExpressionEdit()
        self.expr_edit.setPlaceholderText("glasses_man - man + woman")
        evaluate = QPushButton("Evaluate")
        self.expr_error = QLabel("")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.expr_error.setFont(mono)
        self.expr_error.setStyleSheet("color: #c33")
        self.result_grid = QGridLayout()
        self.result_cells = []
        for i in range(9):
            cell = QLabel()
            cell.setFixedSize(72, 72)
            cell.setStyleSheet("background: #111; border: 1px solid #333;" if i != 4 else "background: #111; border: 2px solid #e69f00;")
            self.result_grid.addWidget(cell, i // 3, i % 3)
            self.result_cells.append(cell)
        expr_box = QGroupBox("Expression")
        ev = QVBoxLayout(expr_box)
        row = QHBoxLayout()
        row.addWidget(self.expr_edit, 1)
        row.addWidget(evaluate)
        ev.addLayout(row)
        ev.addWidget(self.expr_error)
        ev.addWidget(QLabel("Result (centre) and 8 neighbours (result + small noise):"))
        ev.addLayout(self.result_grid)
        # -- direction slider -------------------------------------------------
        self.direction = QComboBox()
        self.amount = QSlider(Qt.Orientation.Horizontal)
        self.amount.setRange(-30, 30)
        self.amount.setValue(0)
        self.amount_label = QLabel("0.0")
        self.keep = QListWidget()
        self.keep.setMaximumHeight(70)
        self.keep.setToolTip("Checked directions are projected out, so moving keeps them as they are (InterFaceGAN's conditional manipulation)")
        dir_box = QGroupBox("Move the current point along a direction")
        dv = QFormLayout(dir_box)
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
        save = QPushButton("Save grid…")
        save.clicked.connect(self.saveGridRequested)
        self.grid_image = QLabel()
        an_box = QGroupBox("Analogy grid  A : B :: C : ?")
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
        al.addRow(self.grid_image)

        layout = QVBoxLayout(self)
        for w in (box, expr_box, dir_box, an_box):
            layout.addWidget(w)
        layout.addStretch(1)

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

    def set_vectors(self, items: list) -> None:
        """Show the library's vectors (NamedVector items) everywhere names are chosen."""
        from PySide6.QtWidgets import QListWidgetItem

        names = [v.name for v in items]
        self.vector_list.clear()
        for v in items:
            it = QListWidgetItem(v.summary())
            it.setToolTip(v.summary())
            it.setData(Qt.ItemDataRole.UserRole, v.name)
            self.vector_list.addItem(it)
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

    def show_grid(self, image: np.ndarray) -> None:
        self.grid_image.setPixmap(to_pixmap(image, 300))
