"""The Evaluate tab: how many samples, the truncation S and the seed, an Evaluate
button; then the report: what was measured, the collapse verdict in words, the
figures beside their real-vs-real floors, the modes generated against the
reference, and each figure over sample count (is the estimate stable yet?).

A view only: :class:`~explorer.ui.evaluate_controller.EvaluateController`
runs the evaluation and hands the report to :meth:`EvaluatePanel.show_report`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QListWidget, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.core.collapse_summary import missing_modes, summary_text, verdict_lines
from explorer.core.figure_floors import FIGURES, figure_rows, format_number
from explorer.ui.theme import current_theme, style_plot

EMPTY_HINT = ("Evaluate samples of the open model against real images it never saw: FID and KID, "
              "precision and recall, density and coverage, each beside the same figure between two real "
              "sets (its floor), the modes generated against the real ones, and a verdict on mode collapse. "
              "It runs in the background; the status bar shows its progress and Cancel.")
MAX_SAMPLES = 50_000
CURVE_NAMES = {key: label for key, label, _tip in FIGURES if key != "inception_score"}
MODE_ROW = 20  # pixels per mode in the histogram, so every name has room


class EvaluatePanel(QWidget):
    """Widgets only; ``evaluateRequested(n, truncate, seed)`` asks for a run (``truncate`` 0: none)."""

    evaluateRequested = Signal(int, float, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.shown_report: dict | None = None
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(20, MAX_SAMPLES)
        self.samples_spin.setSingleStep(500)
        self.samples_spin.setValue(1000)
        self.samples_spin.setToolTip("How many prior samples to decode and compare with as many real images; "
                                     "more gives steadier figures (see the curves below)")
        self.truncation_spin = QDoubleSpinBox()
        self.truncation_spin.setRange(0.0, 3.0)
        self.truncation_spin.setSingleStep(0.05)
        self.truncation_spin.setDecimals(2)
        self.truncation_spin.setSpecialValueText("none")  # shown at 0: latents drawn from the prior as it is
        self.truncation_spin.setToolTip("The truncation trick: latents drawn from N(0, S²·I) instead of N(0, I). "
                                        "Watch diversity (recall, coverage) fall as S shrinks; none = S 1")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2 ** 31 - 1)
        self.seed_spin.setToolTip("The same seed draws the same samples and the same real images")
        self.run_button = QPushButton("Evaluate")
        self.run_button.setToolTip("Decode the samples and measure them against real images (Model ▸ Evaluate…)")
        self.run_button.clicked.connect(self._request)
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setProperty("role", "empty")
        self.hint.setWordWrap(True)
        self.summary_label = QLabel()
        self.summary_label.setProperty("role", "muted")
        self.summary_label.setWordWrap(True)
        self.verdict_label = QLabel()
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing_title = QLabel("Missing modes (frequent among real images, rare or absent among the samples):")
        self.missing_title.setWordWrap(True)
        self.missing_list = QListWidget()
        self.missing_list.setToolTip("Modes of the real data the model rarely or never draws: there is nothing "
                                     "to select for them among the samples. The HTML report (latent-explorer "
                                     "evaluate --report) shows real examples of each.")
        self.figure_table = self._build_table()
        self.mode_title = QLabel()  # names the bars' colours: a legend in the plot would cover bars
        self.mode_title.setWordWrap(True)
        self.mode_plot = pg.PlotWidget()
        self.curve_title = QLabel("Each figure over sample count (flat at the right: the estimate is stable)")
        self.curve_title.setWordWrap(True)
        self.curve_combo = QComboBox()
        self.curve_combo.setToolTip("Which figure to follow; the dashed line is its real-vs-real floor")
        self.curve_combo.currentIndexChanged.connect(lambda _i: self._draw_curve())
        self.curve_plot = pg.PlotWidget()
        self._build_plots()
        self._lay_out()
        self.show_report(None)

    # -- construction --------------------------------------------------------------------
    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, 4)
        table.setHorizontalHeaderLabels(["Figure", "Value", "Real vs real", "Better"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.setToolTip("Each figure beside the same figure between two sets of real images (its floor); "
                         "highlighted: far from the floor, on the bad side")
        return table

    def _build_plots(self) -> None:
        self.mode_plot.setMenuEnabled(False)
        self.mode_plot.setMouseEnabled(x=False, y=False)
        self.mode_plot.setLabel("bottom", "% of the images")
        self.curve_plot.setMenuEnabled(False)
        self.curve_plot.setMinimumHeight(180)
        self.curve_plot.setLabel("bottom", "samples")
        self.curve_plot.showGrid(x=True, y=True)
        for plot in (self.mode_plot, self.curve_plot):
            style_plot(plot, current_theme())

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Samples", self.samples_spin)
        form.addRow("Truncation S", self.truncation_spin)
        form.addRow("Seed", self.seed_spin)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        for widget in (self.hint, self.summary_label, self.verdict_label, self.missing_title, self.missing_list,
                       self.figure_table, self.mode_title, self.mode_plot, self.curve_title, self.curve_combo,
                       self.curve_plot):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.results = (self.summary_label, self.verdict_label, self.figure_table, self.mode_title, self.mode_plot,
                        self.curve_title, self.curve_combo, self.curve_plot)

    def _request(self) -> None:
        self.evaluateRequested.emit(self.samples_spin.value(), self.truncation_spin.value(), self.seed_spin.value())

    # -- the report ----------------------------------------------------------------------
    def show_report(self, report: dict | None) -> None:
        """Show ``report`` (the contract's dict, see ``models.fidelity_report``), or the empty state for None."""
        self.shown_report = report
        self.hint.setVisible(report is None)
        for widget in self.results:
            widget.setVisible(report is not None)
        missing = [] if report is None else list(report["verdict"].get("missing_modes", []))
        self.missing_title.setVisible(bool(missing))
        self.missing_list.setVisible(bool(missing))
        if report is None:
            return
        self.summary_label.setText(summary_text(report))
        lines = verdict_lines(report)
        self.verdict_label.setText("\n".join([lines[0], *(f"• {line}" for line in lines[1:])]))
        self.verdict_label.setToolTip("\n".join(report["verdict"].get("reasons", [])))
        self.verdict_label.setProperty("role", "error" if report["collapse"] else "")
        self.verdict_label.style().unpolish(self.verdict_label)  # the role changed: let the style sheet see it
        self.verdict_label.style().polish(self.verdict_label)
        self._fill_missing(report)
        self._fill_table(report["figures"])
        self._draw_modes()
        self._fill_curve_combo(report)

    def _fill_missing(self, report: dict) -> None:
        self.missing_list.clear()
        rows = missing_modes(report)
        for name, real, generated in rows:
            self.missing_list.addItem(f"{name}: {100 * real:.1f} % of the real images, "
                                      f"{100 * generated:.1f} % of the samples")
        self.missing_list.setFixedHeight(self.missing_list.sizeHintForRow(0) * min(len(rows), 6) + 6
                                         if rows else 0)

    def _fill_table(self, figures: dict) -> None:
        rows = figure_rows(figures)
        table = self.figure_table
        table.setRowCount(len(rows))
        theme = current_theme()
        for r, row in enumerate(rows):
            cells = (row.label, row.value, row.floor, row.better)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(row.tip + ("\nFar from its real-vs-real floor." if row.far else ""))
                if row.far:  # the message bar's error colours: readable in either theme
                    item.setBackground(QBrush(QColor(theme.error_bg)))
                    item.setForeground(QBrush(QColor(theme.error_text)))
                table.setItem(r, c, item)
        table.resizeRowsToContents()
        height = table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(len(rows)))
        table.setFixedHeight(height + 2 * table.frameWidth())

    def far_figures(self) -> list[str]:
        """Keys of the figures shown highlighted (far from their floor)."""
        return [] if self.shown_report is None else [r.key for r in figure_rows(self.shown_report["figures"]) if r.far]

    def _draw_modes(self) -> None:
        plot = self.mode_plot.getPlotItem()
        plot.clear()
        report = self.shown_report
        if report is None:
            return
        modes = report["modes"]
        # Commonest real mode on top, as a reader scans: the rare ones trail at the bottom.
        order = np.argsort(-np.asarray(modes["reference"], float), kind="stable")
        names = [modes["names"][i] for i in order]
        ys = np.arange(len(names), dtype=float)
        theme = current_theme()
        fg, bg = QColor(theme.plot_foreground), QColor(theme.plot_background)
        # The foreground toned down towards the background, opaque, so the title's swatch matches the bars.
        reference = QColor(*(round(0.6 * f + 0.4 * g) for f, g in zip(fg.getRgb()[:3], bg.getRgb()[:3])))
        for key, offset, colour in (("reference", -0.2, reference), ("generated", 0.2, QColor(theme.highlight))):
            shares = 100 * np.asarray(modes[key], float)[order]
            plot.addItem(pg.BarGraphItem(x0=0, y=ys + offset, width=shares, height=0.4, brush=colour,
                                         pen=pg.mkPen(None)))
        swatch = '<span style="color:{}">■</span>'
        self.mode_title.setText(f"Modes: {swatch.format(reference.name())} real images against "
                                f"{swatch.format(theme.highlight)} samples, as % of each set")
        axis = plot.getAxis("left")
        axis.setStyle(textFillLimits=[(0, 1.0)])  # every mode named: the plot is tall enough for all
        axis.setTicks([[(y, name) for y, name in zip(ys, names)]])
        plot.invertY(True)
        top = 100 * max([*modes["reference"], *modes["generated"], 0.01])
        plot.setXRange(0, top * 1.05, padding=0)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        self.mode_plot.setFixedHeight(max(140, MODE_ROW * len(names) + 70))

    def _fill_curve_combo(self, report: dict) -> None:
        keep = self.curve_combo.currentData()
        self.curve_combo.blockSignals(True)
        self.curve_combo.clear()
        for key, label in CURVE_NAMES.items():
            if key in report.get("curves", {}):
                self.curve_combo.addItem(label, key)
        index = self.curve_combo.findData(keep)
        self.curve_combo.setCurrentIndex(max(index, 0))
        self.curve_combo.blockSignals(False)
        self._draw_curve()

    def _draw_curve(self) -> None:
        plot = self.curve_plot.getPlotItem()
        plot.clear()
        report, key = self.shown_report, self.curve_combo.currentData()
        if report is None or key is None:
            return
        curves, theme = report["curves"], current_theme()
        plot.plot(curves["n"], curves[key], pen=pg.mkPen(theme.highlight, width=2), symbol="o", symbolSize=6,
                  symbolBrush=theme.highlight, symbolPen=None)
        figure = report["figures"].get(key)
        if figure is not None:
            floor = pg.InfiniteLine(pos=figure["floor"], angle=0,
                                    pen=pg.mkPen(theme.plot_foreground, style=Qt.PenStyle.DashLine),
                                    label=f"real vs real {format_number(figure['floor'])}",
                                    labelOpts={"position": 0.15, "color": theme.plot_foreground})
            plot.addItem(floor)
        plot.setLabel("left", self.curve_combo.currentText())

    # -- theme -----------------------------------------------------------------------------
    def changeEvent(self, event) -> None:
        # A theme switch sets the application palette: plots and highlights follow it.
        if event.type() == QEvent.Type.PaletteChange:
            for plot in (self.mode_plot, self.curve_plot):
                style_plot(plot, current_theme())
            if self.shown_report is not None:
                self.show_report(self.shown_report)
        super().changeEvent(event)

