"""The Evaluate tab: a report shown as figures beside their floors, the verdict in
words, a histogram of modes and each figure over sample count; Model ▸ Evaluate…
runs it in the worker with progress and Cancel (offscreen; tiny and bundled models)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from explorer.ui.evaluate_panel import EvaluatePanel
from explorer.ui.main_window import MainWindow
from explorer.ui.theme import current_theme
from tests.ui.evaluation_report import NAMES, sample_report


def _grab(widget) -> None:
    QApplication.processEvents()
    pixmap = widget.grab()
    assert not pixmap.isNull() and pixmap.width() > 0 and pixmap.height() > 0


def _bars(panel: EvaluatePanel) -> list[pg.BarGraphItem]:
    return [i for i in panel.mode_plot.getPlotItem().items if isinstance(i, pg.BarGraphItem)]


def _open(qtbot, checkpoint: str, bank: int = 60) -> MainWindow:
    w = MainWindow(checkpoint, bank_size=bank, threads=1)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    with qtbot.waitExposed(w):
        w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    return w


def _action(w: MainWindow, text: str):
    for top in w.menuBar().actions():
        for a in top.menu().actions():
            if a.text().replace("&", "") == text:
                return a
    raise AssertionError(f"no menu action {text!r}")


def test_a_collapsed_report_flags_its_far_figures_names_its_missing_modes_and_plots_both(qtbot):
    panel = EvaluatePanel()
    qtbot.addWidget(panel)
    panel.resize(480, 1400)
    panel.show()
    assert not panel.hint.isHidden() and panel.figure_table.isHidden()  # the empty state first
    _grab(panel)

    panel.show_report(sample_report(collapsed=True))
    _grab(panel)
    table = panel.figure_table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(4)] for r in range(table.rowCount())}
    assert list(rows) == ["FID", "KID", "Inception score", "Precision", "Recall", "Density", "Coverage"]
    assert rows["KID"] == ["KID", "0.0512 ± 0.0004", "0.0003", "lower is better"]
    assert rows["Coverage"] == ["Coverage", "0.18", "0.91", "higher is better"]
    assert panel.far_figures() == ["fid", "kid", "recall", "coverage"]
    error_bg = QColor(current_theme().error_bg)
    for r in range(table.rowCount()):  # the far rows, and only they, in the error colours
        far = table.item(r, 0).text() in ("FID", "KID", "Recall", "Coverage")
        assert (table.item(r, 1).background().color() == error_bg) is far
    assert panel.verdict_label.text().splitlines() == [
        "Mode collapse:",
        "• Missing: 'glasses' (15.0 % of the real images, 0.0 % of the samples), 'glasses+male' (12.0 % of the "
        "real images, 0.4 % of the samples).",
        "• 'male' dominates: 62.0 % of the samples against 25.0 % of the real images.",
        "• Coverage 0.18 is far below its real-vs-real floor 0.91.",
        "• Recall 0.1 is far below its real-vs-real floor 0.73."]
    assert "Coverage 0.18 is far below" in panel.verdict_label.toolTip()  # the report's own reasons, in full
    assert panel.verdict_label.property("role") == "error"
    assert not panel.missing_list.isHidden()
    assert [panel.missing_list.item(i).text() for i in range(panel.missing_list.count())] == [
        "glasses: 15.0 % of the real images, 0.0 % of the samples",
        "glasses+male: 12.0 % of the real images, 0.4 % of the samples"]
    assert "1,000 samples of toyfaces-dcgan (truncated: S = 0.05)" in panel.summary_label.text()

    real, generated = _bars(panel)  # horizontal bars in %: one pair per mode, commonest real mode first
    report = sample_report(collapsed=True)
    order = np.argsort(-np.asarray(report["modes"]["reference"]), kind="stable")
    assert np.allclose(real.opts["width"], 100 * np.asarray(report["modes"]["reference"])[order])
    assert np.allclose(generated.opts["width"], 100 * np.asarray(report["modes"]["generated"])[order])
    ticks = panel.mode_plot.getPlotItem().getAxis("left")._tickLevels[0]
    assert [name for _y, name in ticks] == [NAMES[i] for i in order] == \
        ["none", "male", "glasses", "glasses+male", "smiling", "male+smiling"]

    combo = panel.curve_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["FID", "KID", "Precision", "Recall", "Density",
                                                                 "Coverage"]
    combo.setCurrentIndex(combo.findData("coverage"))
    (curve,) = panel.curve_plot.getPlotItem().listDataItems()
    x, y = curve.getData()
    assert list(x) == report["curves"]["n"] and np.allclose(y, report["curves"]["coverage"])
    floors = [i for i in panel.curve_plot.getPlotItem().items if isinstance(i, pg.InfiniteLine)]
    assert [f.value() for f in floors] == [pytest.approx(0.91)]
    _grab(panel)


def test_a_healthy_report_flags_nothing_and_a_theme_switch_restyles_the_plots(qtbot, config_dir):
    panel = EvaluatePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_report(sample_report(collapsed=False))
    _grab(panel)
    assert panel.far_figures() == []
    assert panel.verdict_label.text().startswith("No sign of mode collapse")
    assert panel.verdict_label.property("role") == ""
    assert panel.missing_list.isHidden() and panel.missing_title.isHidden()
    assert "(no truncation)" in panel.summary_label.text()

    from explorer.ui.theme import THEMES, apply_theme

    other = THEMES["light" if current_theme().name == "dark" else "dark"]
    original = current_theme()
    try:
        apply_theme(QApplication.instance(), other)
        QApplication.processEvents()
        assert panel.mode_plot.backgroundBrush().color() == QColor(other.plot_background)
        _grab(panel)
    finally:
        apply_theme(QApplication.instance(), original)
    panel.show_report(None)
    assert not panel.hint.isHidden() and panel.verdict_label.isHidden()


def test_evaluate_raises_the_tab_and_a_model_without_a_classifier_is_refused_clearly(qtbot, config_dir,
                                                                                   tiny_checkpoints):
    w = _open(qtbot, str(tiny_checkpoints["gan"]))  # 16×16: the bundled 32×32 toyfaces classifier does not fit
    try:
        w.docks["Walk"].raise_()
        _action(w, "Evaluate…").trigger()
        QApplication.processEvents()
        assert not w.docks["Evaluate"].visibleRegion().isEmpty()
        assert not w.jobs.busy()  # the action only shows the tab: a run is the button's to start
        w.evaluate_panel.samples_spin.setValue(40)
        with qtbot.waitSignal(w.client.failed, timeout=30000):
            w.evaluate_panel.run_button.click()
        assert "no bundled classifier fits its images" in w.message_bar.text()
        assert not w.jobs.busy() and w.evaluation.report is None
        assert not w.evaluate_panel.hint.isHidden()
        _grab(w)
    finally:
        w.close()


def test_the_bundled_gan_is_evaluated_in_the_background_and_a_cancelled_run_shows_nothing(qtbot, config_dir):
    w = _open(qtbot, "toyfaces_dcgan")
    try:
        panel = w.evaluate_panel
        req = w.evaluation.evaluate(5000)  # far more than it could finish before the Cancel below
        assert w.jobs.busy() and "Evaluating 5,000 samples" in w.statusBar().currentMessage()
        w.jobs.cancel()  # the status bar's Cancel
        qtbot.waitUntil(lambda: not w.jobs.busy(), timeout=30000)
        assert w.evaluation.report is None and panel.shown_report is None and w.evaluation.request is None
        assert req is not None

        panel.samples_spin.setValue(200)
        panel.truncation_spin.setValue(0.05)  # the truncation trick, far too strong: collapse
        with qtbot.waitSignal(w.client.progress, timeout=60000):
            panel.run_button.click()
        qtbot.waitUntil(lambda: w.evaluation.report is not None, timeout=120000)
        report = w.evaluation.report
        assert report["n_generated"] == 200 and report["truncate"] == pytest.approx(0.05)
        assert panel.shown_report is report and not w.jobs.busy()
        assert report["collapse"] and panel.verdict_label.property("role") == "error"
        assert panel.missing_list.count() == len(report["verdict"]["missing_modes"])
        assert panel.figure_table.rowCount() == 7 and len(_bars(panel)) == 2
        w.evaluation.show_panel()
        _grab(w)
    finally:
        w.close()
