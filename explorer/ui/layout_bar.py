"""The bar over the scatter: layout method, attribute axes, colour field, and a
line saying what is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from explorer.core.projection import METHODS

NO_COLOUR = "(none)"


class ElidedLabel(QLabel):
    """One line that ends in "…" when the bar is too narrow, instead of being cut mid-word
    (the whole text stays in ``text()`` and the tooltip)."""

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())
        painter.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


class LayoutBar(QWidget):
    """Emits what the user picks; shows what the session holds (never read back)."""

    methodChosen = Signal(str)
    axesChosen = Signal(str, str)
    colourChosen = Signal(str)  # "" for none

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.layout_combo = QComboBox()
        self.layout_combo.addItems(list(METHODS))
        self.layout_combo.setToolTip("How the latent codes are laid out. t-SNE and UMAP run in the background "
                                     "(Cancel in the status bar) and are cached per model and bank.")
        self.axis_x, self.axis_y = QComboBox(), QComboBox()
        for combo, axis in ((self.axis_x, "x"), (self.axis_y, "y")):
            combo.setToolTip(f"The named vector along the {axis} axis")
            combo.hide()
        self.colour_combo = QComboBox()
        self.colour_combo.setToolTip("Colour the points by an attribute or label")
        self.count_label = ElidedLabel("")
        self.count_label.setProperty("role", "muted")
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for combo in (self.layout_combo, self.axis_x, self.axis_y, self.colour_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Layout:"))
        bar.addWidget(self.layout_combo)
        bar.addWidget(self.axis_x)
        bar.addWidget(self.axis_y)
        bar.addWidget(QLabel("Colour by:"))
        bar.addWidget(self.colour_combo)
        bar.addWidget(self.count_label, 1)
        self.layout_combo.currentTextChanged.connect(self.methodChosen)
        self.axis_x.currentTextChanged.connect(self._axes)
        self.axis_y.currentTextChanged.connect(self._axes)
        self.colour_combo.currentTextChanged.connect(lambda t: self.colourChosen.emit("" if t == NO_COLOUR else t))

    def _axes(self, _text: str) -> None:
        if self.axis_x.currentText() and self.axis_y.currentText():
            self.axesChosen.emit(self.axis_x.currentText(), self.axis_y.currentText())

    @staticmethod
    def _fill(combo: QComboBox, items: list[str], current: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(items)
        combo.setCurrentText(current)
        combo.blockSignals(False)

    def show_method(self, method: str, axes: tuple[str, str] | None) -> None:
        self.layout_combo.blockSignals(True)
        self.layout_combo.setCurrentText(method)
        self.layout_combo.blockSignals(False)
        self.show_axes(method == "attribute axes", axes)

    def show_axes(self, visible: bool, axes: tuple[str, str] | None = None) -> None:
        for combo, i in ((self.axis_x, 0), (self.axis_y, 1)):
            combo.setVisible(visible)
            if axes:
                combo.blockSignals(True)
                combo.setCurrentText(axes[i])
                combo.blockSignals(False)

    def set_axis_names(self, names: list[str]) -> None:
        """Offer ``names``; keep each axis's choice, else x the first and y another one."""
        x = self.axis_x.currentText() if self.axis_x.currentText() in names else (names[0] if names else "")
        y = self.axis_y.currentText()
        if y not in names or y == x:
            y = next((n for n in names if n != x), x)
        self._fill(self.axis_x, names, x)
        self._fill(self.axis_y, names, y)

    def set_colour_fields(self, fields: list[str], current: str) -> None:
        self._fill(self.colour_combo, [NO_COLOUR] + fields, current or NO_COLOUR)

    def show_colour(self, field: str) -> None:
        self.colour_combo.blockSignals(True)
        self.colour_combo.setCurrentText(field or NO_COLOUR)
        self.colour_combo.blockSignals(False)
