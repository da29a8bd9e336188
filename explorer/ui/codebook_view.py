"""View ▸ Codebook usage…: how often each code of a VQ-VAE's codebook is chosen
over the latent bank's code maps, as bars, with the dead codes (never chosen)
counted and marked — dead codes are the VQ-VAE's mode collapse."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QVBoxLayout

from explorer.core.code_grid import UsageSummary
from explorer.ui.theme import current_theme, style_plot

DEAD_COLOUR = (230, 60, 60)
BAR_COLOUR = (86, 180, 233)
EXPLANATION = ("Dead codes are the VQ-VAE's mode collapse: codebook entries the encoder never picks, so the "
               "decoder never learned to draw them and the model has fewer distinct parts than it paid for. "
               "Many dead codes mean a codebook too large for the data, or training without codebook resets "
               "or EMA updates.")
MOST_LISTED = 40  # dead codes listed by index


def dead_text(summary: UsageSummary) -> str:
    """The dead codes by index (the first few), or that there are none."""
    dead = summary.dead
    if not len(dead):
        return "No dead codes: every code is used."
    shown = ", ".join(str(int(k)) for k in dead[:MOST_LISTED])
    more = f" and {len(dead) - MOST_LISTED} more" if len(dead) > MOST_LISTED else ""
    return f"Dead codes ({len(dead)}): {shown}{more}"


class CodebookView(QDialog):
    """Non-modal bar chart of per-code usage; ``codeClicked(k)`` when a bar is clicked."""

    codeClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Codebook usage")
        self.setModal(False)
        self.summary: UsageSummary | None = None
        self.headline = QLabel("Counting…")
        self.headline.setWordWrap(True)
        self.chart = pg.PlotWidget()
        self.chart.setMinimumHeight(260)
        style_plot(self.chart, current_theme())
        item = self.chart.getPlotItem()
        item.setLabel("bottom", "code")
        item.setLabel("left", "uses")
        item.setMenuEnabled(False)
        self.sorted_box = QCheckBox("Sort by usage (most used first)")
        self.dead_label = QLabel("")
        self.dead_label.setWordWrap(True)
        self.dead_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel(EXPLANATION)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        outer = QVBoxLayout(self)
        outer.addWidget(self.headline)
        outer.addWidget(self.chart, 1)
        outer.addWidget(self.sorted_box)
        outer.addWidget(self.dead_label)
        outer.addWidget(note)
        self.resize(640, 460)
        self.sorted_box.toggled.connect(self._draw)
        self.chart.scene().sigMouseClicked.connect(self._on_click)
        self._order = np.zeros(0, np.int64)

    def show_counting(self, text: str) -> None:
        self.headline.setText(text)

    def show_usage(self, summary: UsageSummary, source: str = "") -> None:
        """Draw ``summary``; ``source`` says over what it was counted."""
        self.summary = summary
        style_plot(self.chart, current_theme())  # the theme may have changed since it was built
        self.headline.setText(f"<b>{summary.sentence()}</b>" + (f"<br>{source}" if source else ""))
        self.dead_label.setText(dead_text(summary))
        self._draw()

    def _draw(self) -> None:
        item = self.chart.getPlotItem()
        item.clear()
        if self.summary is None:
            return
        counts = np.asarray(self.summary.counts)
        self._order = np.argsort(-counts, kind="stable") if self.sorted_box.isChecked() else np.arange(len(counts))
        shown = counts[self._order].astype(float)
        x = np.arange(len(shown), dtype=float)
        item.addItem(pg.BarGraphItem(x=x, height=shown, width=0.85, brush=pg.mkBrush(*BAR_COLOUR), pen=None))
        dead = np.flatnonzero(shown == 0)
        if len(dead):  # a bar of height 0 cannot be seen: a red mark on the axis instead
            item.addItem(pg.ScatterPlotItem(x=x[dead], y=np.zeros(len(dead)), symbol="x", size=8,
                                            brush=pg.mkBrush(*DEAD_COLOUR), pen=pg.mkPen(DEAD_COLOUR)))
        item.setLabel("bottom", "codes, most used first" if self.sorted_box.isChecked() else "code")
        item.setXRange(-1, max(1, len(shown)), padding=0.01)
        item.setYRange(0, max(1.0, float(shown.max()) if len(shown) else 1.0), padding=0.05)

    def _on_click(self, event) -> None:
        if self.summary is None or event.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.chart.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        i = int(round(vb.mapSceneToView(event.scenePos()).x()))
        if 0 <= i < len(self._order):
            self.codeClicked.emit(int(self._order[i]))
