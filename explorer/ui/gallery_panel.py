"""The gallery: a virtualised grid of thumbnails of the selection, a tag or everything."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from explorer.core.curation import SORT_ORDERS

EVERYTHING, SELECTION = "everything", "the selection"


class GalleryPanel(QWidget):
    """Widgets only; the gallery controller fills ``view``'s model and reacts to the signals."""

    showChosen = Signal(str)  # EVERYTHING, SELECTION or "tag: NAME"
    orderChosen = Signal(str, str)  # order, attribute
    hovered = Signal(int)  # bank index under the pointer, -1 for none
    chosen = Signal(int)  # bank index clicked
    reviewRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.show_combo = QComboBox()
        self.show_combo.setToolTip("Which points the gallery shows")
        self.order_combo = QComboBox()
        self.order_combo.addItems(SORT_ORDERS)
        self.order_combo.setToolTip("Order of the thumbnails")
        self.attribute_combo = QComboBox()
        self.attribute_combo.setToolTip("The attribute whose confidence orders the thumbnails")
        self.count = QLabel("")
        self.count.setProperty("role", "muted")
        review = QPushButton("Review…")
        review.setToolTip("One large image at a time, in this order; K/R/1–9 tag, arrows move (Ctrl+R)")
        review.clicked.connect(self.reviewRequested.emit)
        bar = QHBoxLayout()
        for label, widget in (("Show", self.show_combo), ("Sort", self.order_combo), ("by", self.attribute_combo)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.count, 1)
        bar.addWidget(review)
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)  # one size for all: layout stays O(visible) at 100k items
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(2000)
        self.view.setSpacing(4)
        self.view.setMouseTracking(True)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.entered.connect(lambda index: self.hovered.emit(self._bank_index(index)))
        self.view.clicked.connect(lambda index: self.chosen.emit(self._bank_index(index)))
        self.view.viewport().installEventFilter(self)
        self.empty = QLabel("Nothing to show: select points (lasso, box, Select where) or tag some, "
                            "then choose them here")
        self.empty.setProperty("role", "empty")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.view, 1)
        self.show_combo.currentTextChanged.connect(self.showChosen.emit)
        self.order_combo.currentTextChanged.connect(self._order_changed)
        self.attribute_combo.currentTextChanged.connect(self._order_changed)

    def _bank_index(self, index: QModelIndex) -> int:
        value = index.data(Qt.ItemDataRole.UserRole) if index.isValid() else None
        return -1 if value is None else int(value)

    def _order_changed(self, *_args) -> None:
        self.attribute_combo.setEnabled(self.order_combo.currentText() == "attribute confidence")
        self.orderChosen.emit(self.order_combo.currentText(), self.attribute_combo.currentText())

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hovered.emit(-1)
        return False

    def set_choices(self, shows: list[str], attributes: list[str]) -> None:
        """What the Show and "by" boxes offer, keeping the current choices where they remain."""
        for combo, items in ((self.show_combo, shows), (self.attribute_combo, attributes)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            if current in items:
                combo.setCurrentText(current)
            combo.blockSignals(False)
        self.attribute_combo.setEnabled(self.order_combo.currentText() == "attribute confidence")

    def show_count(self, n: int, of: int) -> None:
        self.count.setText(f"{n:,} of {of:,}")
        self.empty.setVisible(n == 0)
        self.view.setVisible(n > 0)
