"""The non-modal *Export figure* dialog: which figure, how wide, labels,
background and enlargement; *Save…* asks where (in the controller), *Copy*
puts the figure on the clipboard."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QSpinBox

from explorer.ui.dialog_parts import accept_buttons
from explorer.core.figure_layout import BACKGROUNDS, MAX_WIDTH, MIN_WIDTH, FigureOptions

ENLARGEMENTS = {"nearest (crisp pixels)": False, "smooth": True}


class FigureExportDialog(QDialog):
    """Options for one figure; emits ``copyRequested`` for *Copy*, ``accepted`` for *Save…*."""

    copyRequested = Signal()

    def __init__(self, parent, sources: list[str], chosen: str, options: FigureOptions):
        super().__init__(parent)
        self.setWindowTitle("Export figure")
        self.source = QComboBox()
        self.source.addItems(sources)
        self.source.setCurrentText(chosen)
        self.width_px = QSpinBox()
        self.width_px.setRange(MIN_WIDTH, MAX_WIDTH)
        self.width_px.setSingleStep(256)
        self.width_px.setSuffix(" px")
        self.width_px.setValue(options.width)
        self.width_px.setToolTip("The figure's total width; its height follows from the grid")
        self.labels = QCheckBox("Title and row/column labels")
        self.labels.setChecked(options.labels)
        self.background = QComboBox()
        self.background.addItems(list(BACKGROUNDS))
        self.background.setCurrentText(options.background)
        self.enlargement = QComboBox()
        self.enlargement.addItems(list(ENLARGEMENTS))
        self.enlargement.setCurrentIndex(1 if options.smooth else 0)
        buttons = accept_buttons(self, "Save…", QDialogButtonBox.StandardButton.Save)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.setToolTip("Copy the figure to the clipboard (Ctrl+Shift+C copies the one under focus)")
        copy.clicked.connect(self.copyRequested)
        form = QFormLayout(self)
        form.addRow("Figure", self.source)
        form.addRow("Width", self.width_px)
        form.addRow("", self.labels)
        form.addRow("Background", self.background)
        form.addRow("Enlarge", self.enlargement)
        form.addRow(buttons)

    def options(self) -> FigureOptions:
        """The options as set in the dialog."""
        return FigureOptions(self.width_px.value(), self.labels.isChecked(), self.background.currentText(),
                             ENLARGEMENTS[self.enlargement.currentText()])
