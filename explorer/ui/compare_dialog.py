"""Model ▸ Compare checkpoints…: which checkpoints (and truncations) to compare,
and the result — rows of checkpoints, columns of seeds, each row's figures."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QProgressBar, QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from explorer.ui.images import to_pixmap

CELL = 72  # pixels a side of each decoded image
FIGURE_NAMES = {"fid": "FID", "precision": "precision", "recall": "recall", "coverage": "coverage"}


def entry_text(path: str, truncate: float) -> str:
    """How an entry reads in the list: the file's name, its truncation, its folder."""
    trunc = "" if truncate == 1 else f"  ·  latents × {truncate:g}"
    return f"{Path(path).name}{trunc}  —  {Path(path).parent}"


def figures_text(row: dict) -> str:
    """A row's figures, each beside its real-vs-real floor, and the collapse verdict."""
    lines = []
    for key, fig in (row.get("figures") or {}).items():
        lines.append(f"{FIGURE_NAMES.get(key, key)} {fig['value']:.3g} (floor {fig['floor']:.3g})")
    if row.get("collapse") is not None:
        missing = row.get("missing_modes") or []
        named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        lines.append(("COLLAPSED" if row["collapse"] else "no collapse") + (f": missing {named}" if missing else ""))
    if row.get("note"):
        lines.append(row["note"])
    return "\n".join(lines)


class CompareDialog(QDialog):
    """Non-modal. ``compareRequested`` asks for the comparison; ``addRequested`` for files."""

    compareRequested = Signal()
    addRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare checkpoints")
        self.entries: list[tuple[str, float]] = []
        self.entry_list = QListWidget()
        self.entry_list.setMaximumHeight(80)
        add = QPushButton("Add checkpoints…")
        add.clicked.connect(self.addRequested)
        self.truncation = QDoubleSpinBox()
        self.truncation.setRange(0.01, 2.0)
        self.truncation.setSingleStep(0.05)
        self.truncation.setValue(0.5)
        self.truncation.setToolTip("Latents drawn from N(0, S²·I): the truncation trick trades diversity for "
                                   "typical images")
        self.add_truncated = QPushButton("Add the open model at truncation")
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.count = QSpinBox()
        self.count.setRange(1, 32)
        self.count.setValue(8)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.figures_n = QSpinBox()
        self.figures_n.setRange(0, 5000)
        self.figures_n.setSingleStep(100)
        self.figures_n.setValue(200)
        self.figures_n.setSpecialValueText("no figures")
        self.figures_n.setSuffix(" samples")
        self.figures_n.setToolTip("Samples each checkpoint's figures (FID, precision, recall, coverage, collapse) "
                                  "are measured on; more is steadier and slower")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setDefault(True)
        self.compare_button.clicked.connect(self.compareRequested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.progress = QProgressBar()
        self.status = QLabel("Choose two or more checkpoints of one family")
        self.status.setWordWrap(True)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        self._layout(add, remove, scroll)
        self.set_running(False)
        self.resize(1000, 640)

    def _layout(self, add: QPushButton, remove: QPushButton, scroll: QScrollArea) -> None:
        buttons = QHBoxLayout()
        for w in (add, self.add_truncated, self.truncation, remove):
            buttons.addWidget(w)
        buttons.addStretch(1)
        run = QHBoxLayout()
        for text, w in (("Seeds shown", self.count), ("seed", self.seed), ("figures on", self.figures_n)):
            run.addWidget(QLabel(text))
            run.addWidget(w)
        run.addWidget(self.compare_button)
        run.addWidget(self.cancel_button)
        run.addWidget(self.progress, 1)
        box = QVBoxLayout(self)
        box.addWidget(self.entry_list)
        box.addLayout(buttons)
        box.addLayout(run)
        box.addWidget(self.status)
        box.addWidget(scroll, 1)

    # -- the entries ------------------------------------------------------------------------
    def add_entry(self, path: str, truncate: float = 1.0) -> None:
        """Add checkpoint ``path`` decoded at ``truncate`` (unless listed already)."""
        entry = (str(path), round(float(truncate), 4))
        if entry not in self.entries:
            self.entries.append(entry)
            self.entry_list.addItem(entry_text(*entry))

    def _remove_selected(self) -> None:
        row = self.entry_list.currentRow()
        if row >= 0:
            self.entry_list.takeItem(row)
            del self.entries[row]

    # -- running and results ----------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.compare_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)

    def show_rows(self, rows: list[dict], seed: int, indices: list[int]) -> None:
        """Rows of checkpoints, columns of seeds, each row's figures beside its images."""
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for c, i in enumerate(indices):
            head = QLabel(f"seed {seed} #{i}")
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(head, 0, c + 1)
        for r, row in enumerate(rows, start=1):
            trunc = "" if row["truncate"] == 1 else f"\nlatents × {row['truncate']:g}"
            label = QLabel(f"<b>{row['name']}</b>{trunc}\n{figures_text(row)}".replace("\n", "<br>"))
            label.setToolTip(row["path"])
            label.setWordWrap(True)
            label.setMinimumWidth(220)
            self.grid.addWidget(label, r, 0, Qt.AlignmentFlag.AlignTop)
            for c, image in enumerate(row["images"]):
                cell = QLabel()
                cell.setPixmap(to_pixmap(image, CELL))
                self.grid.addWidget(cell, r, c + 1, Qt.AlignmentFlag.AlignTop)
        self.grid.setRowStretch(len(rows) + 1, 1)
        self.grid.setColumnStretch(len(indices) + 1, 1)
