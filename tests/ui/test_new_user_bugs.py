"""One test per problem a new user hit in the window (issue 10), on tiny real
models, offscreen. Each shows and paints what it checks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from explorer.ui.main_window import MainWindow
from models.loading import load_latent_model

BANK = 150


def open_window(qtbot, path, bank=BANK) -> MainWindow:
    w = MainWindow(str(path), bank_size=bank, threads=1)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    return w


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = open_window(qtbot, tiny_checkpoints["vae"])
    yield w
    w.close()


def define_headline(w):
    for name, query in (("glasses_man", "male & glasses"), ("man", "male & !glasses"), ("woman", "!male & !glasses")):
        assert w.arith.define_vector(name, "query", query, "mean") is not None


def test_1_the_neighbours_tab_paints(qtbot, window):
    with qtbot.capture_exceptions() as errors:
        window.docks["Neighbours"].raise_()
        window.points.select_point(4)
        window.nearest.find()
        assert not window.grab().isNull() and not window.neighbours.grab().isNull()
        window.neighbours.repaint()
    assert errors == []
    assert window.neighbours.strip.count() == 8


def test_2_a_long_message_wraps_inside_the_window_on_a_readable_bar(qtbot, window):
    from explorer.ui.theme import contrast, current_theme

    width = window.width()
    long_path = "/home/someone/" + "very_long_folder_name/" * 12 + "model.safetensors"
    window.models.open_checkpoint(long_path)
    qtbot.waitUntil(lambda: bool(window.message_bar.text()), timeout=10000)
    text = window.message_bar.text()
    assert text.count(long_path) == 1  # the path is named once
    qtbot.wait(50)
    assert window.width() == width and window.message_bar.width() <= window.width()
    assert window.message_bar.label.height() > 2 * window.message_bar.fontMetrics().height()  # wrapped
    image = window.message_bar.grab().toImage()
    background = image.pixelColor(3, image.height() // 2).name()
    theme = current_theme()
    assert background == theme.error_bg and contrast(theme.error_text, theme.error_bg) >= 4.5


def test_3_the_preview_text_describes_the_image_shown(qtbot, window, tiny_checkpoints):
    model = load_latent_model(tiny_checkpoints["vae"])
    window.points.select_point(3)
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=10000)
    for i in (3, 40):
        window.points.select_point(i)
        window.walks.add_waypoint()
    window.walks.walk_path("slerp", 5)
    qtbot.waitUntil(lambda: window.walk.filmstrip.count() == 5, timeout=10000)
    window.walk.slider.setValue(3)
    qtbot.waitUntil(lambda: window.preview.state.title == "Walk frame 4 of 5", timeout=10000)
    assert np.array_equal(window.preview.shown_image, model.decode(window.walks.frames[3:4])[0])
    assert "Walk frame 4 of 5" in window.preview.details.text() and "#40" not in window.preview.details.text()

    define_headline(window)
    window.arith.evaluate_expression("glasses_man - man + woman")
    qtbot.waitUntil(lambda: window.preview.state.title.startswith("Result"), timeout=10000)
    result = window.session.current[1]
    assert np.array_equal(window.preview.shown_image, model.decode(result[None])[0])
    assert "glasses_man - man + woman" in window.preview.details.text()

    window.arithmetic.direction.setCurrentText("man")
    window.arithmetic.amount.setValue(10)
    qtbot.waitUntil(lambda: window.preview.state.title == "Moved +1.0 along man", timeout=10000)
    assert np.array_equal(window.preview.shown_image, model.decode(window.session.current[1][None])[0])


def test_4_opening_another_model_clears_what_belonged_to_the_last(qtbot, window, tiny_checkpoints):
    define_headline(window)
    for i in (3, 40):
        window.points.select_point(i)
        window.walks.add_waypoint()
    window.walks.walk_path("slerp", 4)
    qtbot.waitUntil(lambda: window.walk.filmstrip.count() == 4, timeout=10000)
    window.arith.evaluate_expression("glasses_man - man + woman")
    qtbot.waitUntil(lambda: window.arithmetic.result_box.isVisibleTo(window.arithmetic.result_box.parentWidget()), timeout=10000)
    window.nearest.find()
    window.tip.show_at(0, window.session.bank.thumbnails[0], "#0", QPoint(5, 5))
    with qtbot.waitSignal(window.models.bankShown, timeout=30000):
        window.models.open_checkpoint(str(tiny_checkpoints["gan"]))
    assert window.walk.filmstrip.count() == 0 and not window.walk.filmstrip.isVisible()
    assert window.walk.waypoints.count() == 0 and not window.walk.go.isEnabled()
    assert window.walk.frame_label.text() == "" and window.walk.hint.isVisible()
    assert not window.arithmetic.result_box.isVisibleTo(window.arithmetic.result_box.parentWidget())
    assert window.neighbours.strip.count() == 0 and not window.tip.isVisible()
    assert window.scatter.overlays == {} and window.preview.shown_image is None
    assert window.arithmetic.vector_list.count() == 0


def test_5_the_hover_thumbnail_goes_when_the_pointer_leaves_the_plot(qtbot, window):
    vb = window.scatter.plot.getPlotItem().vb
    index = int(np.argmax(window.scatter.points[:, 0]))
    scene = vb.mapViewToScene(QPointF(*map(float, window.scatter.points[index])))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.scatter._on_mouse_moved(scene)
    qtbot.waitUntil(window.tip.isVisible, timeout=3000)
    # Straight out of the plot from the point: Qt sends only a Leave event.
    QApplication.sendEvent(window.scatter.plot.viewport(), QEvent(QEvent.Type.Leave))
    assert not window.tip.isVisible()
    qtbot.wait(100)  # a throttled hover still pending must not bring it back
    assert not window.tip.isVisible()
    window.scatter._on_mouse_moved(scene)
    qtbot.waitUntil(window.tip.isVisible, timeout=3000)
    window.layouts.set_layout("attribute axes")  # a layout change (refused: no vectors) hides it too
    assert not window.tip.isVisible()


def test_6_the_header_axes_and_range_follow_the_layout(qtbot, window):
    s, bar = window.session, window.layout_bar
    assert "PCA" in bar.count_label.text()
    pca = s.points.copy()
    coords = (np.random.default_rng(0).standard_normal((len(s.bank), 2)) * 50).astype(np.float32)
    s.layout_cache[("t-SNE", id(s.bank))] = coords
    window.layouts.set_layout("t-SNE")
    assert "t-SNE" in bar.count_label.text() and "PCA" not in bar.count_label.text()
    assert window.scatter.plot.getPlotItem().getAxis("bottom").labelText == "t-SNE 1"
    window.layouts.set_layout("PCA")
    (x0, x1), (y0, y1) = window.scatter.view_range()
    span = pca.max(0) - pca.min(0)
    assert y1 - y0 < 3 * span[1] and x1 - x0 < 3 * span[0]  # not the t-SNE range (about 100× wider)
    window.arith.define_vector("glasses", "query", "glasses", "attribute")
    window.arith.define_vector("male", "query", "male", "attribute")
    bar.layout_combo.setCurrentText("attribute axes")
    assert bar.axis_x.currentText() != bar.axis_y.currentText()
    assert s.layout_axes == ("glasses", "male")
    assert "attribute axes: glasses × male" in bar.count_label.text()
    # The legend is beside the plot, never over its points.
    legend = window.scatter.legend
    assert legend.isVisible() and "glasses" in legend.text()
    plot_rect = window.scatter.plot.geometry()
    assert not plot_rect.intersects(legend.geometry())


def test_7_wheel_over_a_panel_does_not_change_its_combo_boxes(qtbot, window):
    window.docks["Walk"].raise_()
    combo = window.walk.method
    before = combo.currentIndex()
    pos = QPointF(combo.width() / 2, combo.height() / 2)
    event = QWheelEvent(pos, combo.mapToGlobal(pos), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(combo, event)
    assert combo.currentIndex() == before
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=2000)
    QApplication.sendEvent(combo, event)
    assert combo.currentIndex() != before  # a focused combo still takes the wheel


def test_7_a_long_expression_error_does_not_widen_the_panel(qtbot, window):
    define_headline(window)
    window._focus_expression()
    dock_width, window_width = window.docks["Arithmetic"].width(), window.width()
    window.arith.evaluate_expression("glasses_man - " + "kitten_" * 40)
    qtbot.wait(50)
    assert "unknown name" in window.arithmetic.expr_error.text()
    assert window.docks["Arithmetic"].width() == dock_width and window.width() == window_width


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_7_each_tabs_main_controls_are_visible_without_scrolling(qtbot, window, size):
    window.resize(*size)
    for i in (3, 40):
        window.points.select_point(i)
        window.walks.add_waypoint()
    window.walks.walk_path("slerp", 12)
    qtbot.waitUntil(lambda: window.walk.filmstrip.count() == 12, timeout=10000)
    controls = {"Walk": [window.walk.go, window.walk.filmstrip, window.walk.slider],
                "Neighbours": [window.neighbours.k, window.neighbours.metric_combo]}
    for dock, widgets in controls.items():
        window.docks[dock].raise_()
        qtbot.wait(20)
        for widget in widgets:
            assert widget.isVisible() and widget.visibleRegion().boundingRect().height() == widget.height(), widget
    define_headline(window)
    window.arith.evaluate_expression("glasses_man - man + woman")
    window.arith.analogy_grid("man", "glasses_man", "woman", 5)
    qtbot.waitUntil(lambda: window.arith.grid_image is not None, timeout=10000)
    window.docks["Arithmetic"].raise_()
    panel = window.arithmetic
    for page, widgets in ((1, [panel.expr_edit, panel.result_box]), (3, [panel.grid_size, panel.grid_image])):
        panel.sections.setCurrentIndex(page)
        qtbot.wait(20)
        for widget in widgets:
            assert widget.visibleRegion().boundingRect().height() == widget.height(), widget


def test_7_while_the_bank_builds_the_plot_says_so_and_walk_is_off(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=4000, threads=1)
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: "Building the latent bank" in w.scatter.placeholder.text(), timeout=20000)
        assert w.scatter.placeholder.isVisible()
        assert not w.walk.isEnabled() and not w.walk.go.isEnabled() and not w.arithmetic.isEnabled()
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
        assert not w.scatter.placeholder.isVisible() and w.walk.isEnabled()
        # Empty states say what to do.
        assert w.walk.hint.isVisible() and "Shift+click" in w.walk.hint.text()
        w.docks["Neighbours"].raise_()
        assert w.neighbours.hint.isVisible() and not w.neighbours.strip.isVisible()
        w.docks["Arithmetic"].raise_()
        assert w.arithmetic.vectors_hint.isVisible()
        w.arithmetic.sections.setCurrentIndex(1)
        assert w.arithmetic.result_hint.isVisible() and not w.arithmetic.result_box.isVisible()
    finally:
        w.close()


def test_9_escape_with_nothing_to_dismiss_keeps_the_preview(qtbot, window):
    window.points.select_point(2)
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=10000)
    window.escape()
    assert window.preview.shown_image is not None
    pts = window.session.points
    window.scatter.lassoFinished.emit(np.array([[pts[:, 0].min() - 1, pts[:, 1].min() - 1],
                                                [pts[:, 0].max() + 1, pts[:, 1].min() - 1],
                                                [pts[:, 0].max() + 1, pts[:, 1].max() + 1]]))
    assert window.session.selection is not None
    window.message_bar.show_error("something")
    window.escape()  # first the message
    assert window.message_bar.text() == "" and window.session.selection is not None
    window.escape()  # then the selection
    assert window.session.selection is None and window.preview.shown_image is not None


def test_10_quit_and_restart_brings_back_vectors_waypoints_layout_and_selection(qtbot, config_dir, state_dir,
                                                                                 tiny_checkpoints):
    w = open_window(qtbot, tiny_checkpoints["gan"])
    s = w.session
    coords = np.random.default_rng(0).standard_normal((len(s.bank), 2)).astype(np.float32)
    s.layout_cache[("t-SNE", id(s.bank))] = coords
    w.layouts.set_layout("t-SNE")
    for i, name in enumerate(("a", "b", "c")):
        w.points.select_point(i + 5)
        assert w.arith.define_vector(name, "current point", "", "mean") is not None
    w.points.select_point(1)
    w.walks.add_waypoint()
    w.scatter.lassoFinished.emit(np.array([[-9.0, -9.0], [0.0, -9.0], [0.0, 0.0], [-9.0, 0.0]]))
    selection = s.selection.copy()
    latents = s.bank.latents.copy()
    w.close()
    w2 = MainWindow(None, bank_size=BANK, threads=1)  # a plain start
    qtbot.addWidget(w2)
    try:
        qtbot.waitUntil(lambda: w2.session.bank is not None and len(w2.session.vectors) == 3, timeout=30000)
        t = w2.session
        assert w2.models.info.family == "gan" and np.array_equal(t.bank.latents, latents)
        assert t.layout_method == "t-SNE" and np.array_equal(t.points, coords) and w2.layouts.projection_job is None
        assert np.array_equal(t.selection, selection) and [n for n, _ in t.waypoints] == ["#1"]
    finally:
        w2.close()


def test_undo_and_redo_from_the_edit_menu(qtbot, window):
    s, sessions = window.session, window.sessions
    assert not sessions.undo_action.isEnabled()
    define_headline(window)
    window.layout_bar.colour_combo.setCurrentText("male")
    assert sessions.undo_action.text() == "&Undo Colour by male"
    sessions.undo_action.trigger()
    assert s.colour_field == "glasses" and window.layout_bar.colour_combo.currentText() == "glasses"
    sessions.undo_action.trigger()
    assert s.vectors.names() == ["glasses_man", "man"] and window.arithmetic.vector_list.count() == 2
    sessions.redo_action.trigger()
    assert s.vectors.names() == ["glasses_man", "man", "woman"]
    assert window.windowTitle().endswith("*")
