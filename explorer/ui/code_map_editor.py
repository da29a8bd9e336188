"""Explore ▸ Edit code map…: a VQ-VAE's grid of codebook indices over its
decoded image, painted with a chosen code, the edited decode beside the
original. A view only: :class:`~explorer.ui.code_map_controller.CodeMapController`
holds the grid (:class:`~explorer.core.code_grid.CodeMapEdits`) and tells it
what to show."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QGridLayout, QHBoxLayout, QLabel, QListView,
                               QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout)

from explorer.core.code_grid import code_colours
from explorer.ui.code_grid_canvas import CodeGridCanvas
from explorer.ui.images import to_pixmap

SIDE = 160  # pixels a side of the original and edited images
SWATCH = 28  # pixels a side of a code's swatch in the palette
#: The brush tools: name → radius in cells (None: a rectangle between press and release).
TOOLS = {"1 cell": 0, "3×3 cells": 1, "5×5 cells": 2, "Rectangle": None}
HELP = ("Drag over the grid to paint cells with the chosen code; right-click a cell to pick its code. "
        "Ctrl+Z undoes a stroke.")


class CodeMapEditor(QDialog):
    """Non-modal. Signals ask the controller for each action; the canvas's signals carry the strokes."""

    undoRequested = Signal()
    resetRequested = Signal()
    useRequested = Signal()
    usageRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Edit code map")
        self.setModal(False)
        self.canvas = CodeGridCanvas()
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        self.original_image = QLabel("…")
        self.edited_image = QLabel("…")
        for label in (self.original_image, self.edited_image):
            label.setFixedSize(SIDE, SIDE)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setProperty("role", "image")
        self.code_box = QSpinBox()
        self.code_box.setRange(0, 0)
        self.code_box.setToolTip("The code painted (right-click a cell to pick its code)")
        self.code_swatch = QLabel()
        self.code_swatch.setFixedSize(SWATCH, SWATCH)
        self.tool_combo = QComboBox()
        self.tool_combo.addItems(list(TOOLS))
        self.numbers_box = QCheckBox("Indices")
        self.numbers_box.setChecked(True)
        self.colours_box = QCheckBox("Colour per code")
        self.code_list = QListWidget()
        self.code_list.setViewMode(QListView.ViewMode.IconMode)
        self.code_list.setIconSize(QSize(SWATCH, SWATCH))
        self.code_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.code_list.setMovement(QListView.Movement.Static)
        self.code_list.setGridSize(QSize(SWATCH + 16, SWATCH + 22))
        self.code_list.setSpacing(2)
        self.code_list.setMinimumHeight(SWATCH + 40)
        self.code_list.setMaximumHeight(3 * (SWATCH + 24) + 8)
        self.code_list.setToolTip("The codebook: each code's swatch is a map filled with that code alone")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last stroke (Ctrl+Z)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the point's own code map (Undo brings the edit back)")
        self.use_button = QPushButton("Use as current point")
        self.use_button.setToolTip("Put the edited map (its code vectors) in the preview as the current point: "
                                   "add it as a waypoint, tag it, use it in arithmetic")
        self.usage_button = QPushButton("Codebook usage…")
        self.status_label = QLabel(HELP)
        self.status_label.setWordWrap(True)
        self.status_label.setProperty("role", "muted")
        self._build()
        self.numbers_box.toggled.connect(self.canvas.set_numbers)
        self.colours_box.toggled.connect(self.canvas.set_tint)
        self.code_list.currentRowChanged.connect(self._on_list_row)
        self.code_box.valueChanged.connect(self._on_code)
        self.canvas.codePicked.connect(self.code_box.setValue)
        self.undo_button.clicked.connect(self.undoRequested)
        self.reset_button.clicked.connect(self.resetRequested)
        self.use_button.clicked.connect(self.useRequested)
        self.usage_button.clicked.connect(self.usageRequested)
        # Ctrl+Z in this window undoes a stroke; the main window's Ctrl+Z (the session's Undo) stays its own.
        self.undo_shortcut = QShortcut(QKeySequence.StandardKey.Undo, self)
        self.undo_shortcut.activated.connect(self.undoRequested)
        self._swatches: np.ndarray | None = None
        self.shown_edit: np.ndarray | None = None  # the decode under the grid now
        self.set_enabled_actions(False, False)

    def _build(self) -> None:
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Code"))
        tools.addWidget(self.code_box)
        tools.addWidget(self.code_swatch)
        tools.addWidget(QLabel("Brush"))
        tools.addWidget(self.tool_combo)
        tools.addStretch(1)
        tools.addWidget(self.numbers_box)
        tools.addWidget(self.colours_box)
        images = QGridLayout()
        images.addWidget(QLabel("Original"), 0, 0)
        images.addWidget(self.original_image, 1, 0)
        images.addWidget(QLabel("Edited (decoded)"), 2, 0)
        images.addWidget(self.edited_image, 3, 0)
        images.setRowStretch(4, 1)
        middle = QHBoxLayout()
        middle.addWidget(self.canvas, 1)
        middle.addLayout(images)
        buttons = QHBoxLayout()
        for b in (self.undo_button, self.reset_button, self.use_button, self.usage_button):
            buttons.addWidget(b)
        outer = QVBoxLayout(self)
        outer.addWidget(self.heading)
        outer.addLayout(tools)
        outer.addLayout(middle, 1)
        outer.addWidget(QLabel("Codebook"))
        outer.addWidget(self.code_list)
        outer.addLayout(buttons)
        outer.addWidget(self.status_label)
        self.resize(720, 720)

    # -- filled in by the controller ---------------------------------------------------------
    def start(self, title: str, grid: np.ndarray, codebook_size: int, image: np.ndarray) -> None:
        """A new code map: its grid over its image, the palette sized to the codebook."""
        self.heading.setText(f"<b>{title}</b> — a {grid.shape[0]}×{grid.shape[1]} map of {codebook_size} codes")
        self.code_box.setMaximum(codebook_size - 1)
        if self.code_list.count() != codebook_size:
            self.code_list.clear()
            for k, c in enumerate(code_colours(codebook_size)):  # each code's tint until swatches come
                colour = QPixmap(SWATCH, SWATCH)
                colour.fill(QColor(int(c[0]), int(c[1]), int(c[2])))
                self.code_list.addItem(QListWidgetItem(QIcon(colour), str(k)))
            self._swatches = None
        self.original_image.setPixmap(to_pixmap(image, SIDE))
        self.show_edit(grid, np.zeros(grid.shape, bool), codebook_size, image)

    def show_edit(self, grid: np.ndarray, changed: np.ndarray, codebook_size: int, image: np.ndarray | None) -> None:
        """The grid as edited, its changed cells outlined; ``image`` its decode (None: still decoding)."""
        self.canvas.set_grid(grid, changed, codebook_size)
        if image is not None:
            self.show_edited_image(image)
        n = int(changed.sum())
        self.status_label.setText(f"{n} of {changed.size} cells changed. {HELP}" if n else HELP)

    def show_edited_image(self, image: np.ndarray) -> None:
        """The edited grid's decode: under the grid and beside the original."""
        self.shown_edit = image
        self.canvas.set_image(image)
        self.edited_image.setPixmap(to_pixmap(image, SIDE))

    def set_swatches(self, images: np.ndarray, usage: np.ndarray | None = None) -> None:
        """Each code's decoded swatch as its palette icon (and its use count, when known)."""
        self._swatches = images
        for k in range(min(len(images), self.code_list.count())):
            item = self.code_list.item(k)
            item.setIcon(QIcon(to_pixmap(images[k], SWATCH)))
        self.set_usage(usage)
        self._on_code(self.code_box.value())

    def set_usage(self, usage: np.ndarray | None) -> None:
        if usage is None:
            return
        for k in range(min(len(usage), self.code_list.count())):
            n = int(usage[k])
            self.code_list.item(k).setToolTip(f"code {k}: used {n} times" + (" — a dead code" if n == 0 else ""))

    def set_enabled_actions(self, can_undo: bool, changed: bool) -> None:
        self.undo_button.setEnabled(can_undo)
        self.reset_button.setEnabled(changed)

    def brush_radius(self) -> int | None:
        """The chosen brush's radius in cells; None for the rectangle tool."""
        return TOOLS[self.tool_combo.currentText()]

    # -- the code picker -------------------------------------------------------------------------
    def _on_list_row(self, row: int) -> None:
        if row >= 0 and row != self.code_box.value():
            self.code_box.setValue(row)

    def _on_code(self, code: int) -> None:
        if self.code_list.currentRow() != code and code < self.code_list.count():
            self.code_list.setCurrentRow(code)
        if self._swatches is not None and code < len(self._swatches):
            self.code_swatch.setPixmap(to_pixmap(self._swatches[code], SWATCH))
        else:
            self.code_swatch.clear()
