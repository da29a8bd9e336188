"""Walks, named vectors, arithmetic, direction sliders, analogy grids and
neighbours in the window, on tiny real models (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from explorer.ui.main_window import MainWindow
from models.loading import load_latent_model


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=200, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()


def test_walk_through_three_waypoints_fills_the_filmstrip_and_scrubs(qtbot, window, tiny_checkpoints):
    for i in (3, 40, 77):
        window.points.select_point(i)
        window.walk.addRequested.emit()
    assert window.walk.waypoints.count() == 3
    assert window.walk.method.currentText() == "slerp" and "shell" in window.walk.method.toolTip()
    window.walk.steps.setValue(9)
    window.walk.go.click()
    qtbot.waitUntil(lambda: window.walk.filmstrip.count() == 9, timeout=20000)
    assert "path" in window.scatter.overlays
    frames = window.walks.frames
    bank = window.session.bank
    assert np.allclose(frames[0], bank.latents[3], atol=1e-5) and np.allclose(frames[-1], bank.latents[77], atol=1e-5)
    model = load_latent_model(tiny_checkpoints["vae"])
    window.preview.shown_image = None
    window.walk.slider.setValue(5)
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=10000)
    qtbot.wait(100)  # let a trailing throttled request land
    assert np.array_equal(window.preview.shown_image, model.decode(frames[5:6])[0])
    assert window.session.current[0] == "frame 6"


def test_a_point_shown_while_the_path_decodes_keeps_the_preview(qtbot, window):
    """The path's answer fills the filmstrip, but does not take the preview back from a
    point the user showed meanwhile (a slide shown after a walk slide did lose its point)."""
    for i in (3, 40):
        window.points.select_point(i)
        window.walks.add_waypoint()
    window.walks.walk_path("slerp", 5)
    window.points.select_point(7)  # before the worker can answer: same turn of the event loop
    qtbot.waitUntil(lambda: window.walk.filmstrip.count() == 5, timeout=20000)
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=10000)
    qtbot.wait(50)
    assert window.session.current[0] == "#7" and window.preview.state.title == "Point #7"


def test_shift_click_on_the_scatter_adds_waypoints(qtbot, window):
    """What the Walk tab's hint tells a new user to do: Shift+click points, then Walk.
    (The composition-root refactor once dropped this connection, and only the hint remained.)"""
    from PySide6.QtCore import QPointF, Qt

    plot = window.scatter.plot
    vb = plot.getPlotItem().vb
    window.resize(1280, 800)
    qtbot.waitExposed(window)
    qtbot.wait(QApplication.doubleClickInterval() + 50)
    for i in (3, 40):
        at = plot.mapFromScene(vb.mapViewToScene(QPointF(*map(float, window.scatter.points[i]))))
        assert window.scatter.point_under(vb.mapViewToScene(QPointF(*map(float, window.scatter.points[i])))) == i
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, at)
        qtbot.wait(QApplication.doubleClickInterval() + 50)  # two quick clicks would be a double-click
    assert [label for label, _ in window.session.waypoints] == ["#3", "#40"]
    assert np.array_equal(window.session.waypoints[1][1], window.session.bank.latents[40])
    assert window.walk.go.isEnabled()


def test_define_vectors_by_query_and_evaluate_the_headline_expression(qtbot, window, tiny_checkpoints):
    panel = window.arithmetic
    for name, query in (("glasses_man", "male & glasses"), ("man", "male & !glasses"), ("woman", "!male & !glasses")):
        assert window.arith.define_vector(name, "query", query, "mean") is not None
    assert panel.vector_list.count() == 3 and panel.expr_edit.completions("gl") == ["glasses_man"]
    bank = window.session.bank
    male, glasses = bank.attributes["male"] >= 0.5, bank.attributes["glasses"] >= 0.5
    expected = (bank.latents[male & glasses].mean(0) - bank.latents[male & ~glasses].mean(0)
                + bank.latents[~male & ~glasses].mean(0))
    panel.expr_edit.setText("glasses_man - man + woman")
    with qtbot.waitSignal(window.client.decoded, timeout=10000):
        panel.expr_edit.returnPressed.emit()
    label, result = window.session.current
    assert np.allclose(result, expected, atol=1e-5)
    assert "result" in window.scatter.overlays
    assert all(cell.pixmap() is not None and not cell.pixmap().isNull() for cell in panel.result_cells)
    model = load_latent_model(tiny_checkpoints["vae"])
    assert np.array_equal(window.preview.shown_image, model.decode(result[None])[0])


def test_expression_and_query_errors_point_at_the_character(window):
    window.arith.define_vector("man", "query", "male", "mean")
    assert window.arith.evaluate_expression("man - womn") is None
    text = window.arithmetic.expr_error.text()
    assert "unknown name 'womn'" in text and text.splitlines()[1] == " " * 6 + "^"
    assert window.arith.define_vector("x", "query", "male & kitten", "mean") is None
    assert "unknown attribute 'kitten'" in window.arithmetic.define_error.text()
    assert window.arith.define_vector("9bad", "query", "male", "mean") is None
    assert "not a valid name" in window.arithmetic.define_error.text()


def test_balanced_and_boundary_vectors(window):
    b = window.arith.define_vector("glasses_b", "query", "glasses", "balanced")
    assert b is not None and "balanced over male, smiling, hat, beard" in b.origin
    d = window.arith.define_vector("glasses_d", "query", "glasses", "boundary")
    assert d is not None and 0.0 <= d.accuracy <= 1.0
    assert "accuracy" in window.arithmetic.vector_list.item(1).text()


def test_lasso_selection_defines_a_mean_vector(qtbot, window):
    pts = window.session.points
    lo, hi = pts.min(0), pts.max(0)
    mid = (lo + hi) / 2
    square = np.array([[lo[0] - 1, lo[1] - 1], [mid[0], lo[1] - 1], [mid[0], mid[1]], [lo[0] - 1, mid[1]]])
    window.scatter.lassoFinished.emit(square)
    inside = (pts[:, 0] < mid[0]) & (pts[:, 1] < mid[1])
    assert np.array_equal(window.session.selection, inside)
    item = window.arith.define_vector("corner", "selection", "", "mean")
    assert np.allclose(item.vector, window.session.bank.latents[inside].mean(0), atol=1e-5)


def test_direction_slider_keeps_the_chosen_attributes(qtbot, window):
    window.arith.define_vector("glasses", "query", "glasses", "attribute")
    window.arith.define_vector("male", "query", "male", "attribute")
    window.points.select_point(10)
    base = window.session.bank.latents[10].copy()
    panel = window.arithmetic
    panel.direction.setCurrentText("glasses")
    panel.keep.item(1).setCheckState(panel.keep.item(1).checkState().Checked)
    with qtbot.waitSignal(window.client.decoded, timeout=10000):
        panel.amount.setValue(20)
    label, latent = window.session.current
    moved = latent - base
    male = window.session.vectors["male"].vector
    assert abs(moved @ male) < 1e-3 * np.linalg.norm(moved) * np.linalg.norm(male)
    assert np.linalg.norm(moved) == pytest.approx(2.0 * np.linalg.norm(window.session.vectors["glasses"].vector), rel=1e-4)


def test_analogy_grid_is_one_image(qtbot, window, tmp_path):
    for name, query in (("a", "male & !glasses"), ("b", "male & glasses"), ("c", "!male & !glasses")):
        window.arith.define_vector(name, "query", query, "mean")
    with qtbot.waitSignal(window.client.decoded, timeout=10000):
        window.arith.analogy_grid("a", "b", "c", 4)
    assert window.arith.grid_image.shape == (4 * 17 + 1, 4 * 17 + 1, 3)
    assert not window.arithmetic.grid_image.pixmap().isNull()
    out = tmp_path / "grid.png"
    assert window.figures.save_figure("Analogy grid", str(out))  # the labelled figure (tests/ui/test_figures_window.py)
    from PIL import Image

    assert Image.open(out).size[0] == 2048
    assert window.figures.save_figure("Analogy grid", str(tmp_path / "missing" / "dir" / "grid.png"))  # folders made
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not window.figures.save_figure("Analogy grid", str(blocker / "grid.png"))
    assert "Could not save" in window.message_bar.text()


def test_neighbours_are_highlighted_and_listed(qtbot, window):
    window.points.select_point(5)
    window.nearest.find_neighbours(6, "cosine")
    assert window.neighbours.strip.count() == 6
    assert "neighbours" in window.scatter.overlays
    idx = window.neighbours.indices
    assert 5 not in idx
    window.neighbours.strip.setCurrentRow(2)
    assert window.session.selected == idx[2]


def test_tsne_runs_in_the_background_is_cached_and_places_new_points(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))  # no layout from an earlier test's run
    window.arith.define_vector("man", "query", "male & !glasses", "mean")
    window.arith.evaluate_expression("man")
    pca_points = window.session.points.copy()
    window.layout_bar.layout_combo.setCurrentText("t-SNE")
    assert window.jobs.cancel_button.isVisibleTo(window)
    qtbot.waitUntil(lambda: window.session.layout_method == "t-SNE", timeout=120000)
    pts = window.session.points
    assert pts.shape == pca_points.shape and not np.allclose(pts, pca_points)
    # The arithmetic result was re-placed among its neighbours in the new layout.
    placed = window.scatter.overlays["result"].data["x"][0], window.scatter.overlays["result"].data["y"][0]
    assert pts[:, 0].min() <= placed[0] <= pts[:, 0].max() and pts[:, 1].min() <= placed[1] <= pts[:, 1].max()
    window.layout_bar.layout_combo.setCurrentText("PCA")
    assert np.allclose(window.session.points, pca_points)
    window.layout_bar.layout_combo.setCurrentText("t-SNE")  # from the cache: no background job this time
    assert window.session.layout_method == "t-SNE" and np.array_equal(window.session.points, pts)
    # A restart (a new session of the same bank) finds it on disk: no recomputation either.
    window.session.layout_cache.clear()
    window.layout_bar.layout_combo.setCurrentText("PCA")
    window.layout_bar.layout_combo.setCurrentText("t-SNE")
    assert window.layouts.projection_job is None or not window.layouts.projection_job.is_running()
    assert window.session.layout_method == "t-SNE" and np.array_equal(window.session.points, pts)


def test_a_background_layout_can_be_cancelled(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_CACHE_DIR", str(tmp_path))  # no layout from an earlier test's run
    window.layout_bar.layout_combo.setCurrentText("t-SNE")
    with qtbot.waitSignal(window.layouts.projection_job.cancelled, timeout=10000):
        window.jobs.cancel_button.click()
    assert window.session.layout_method == "PCA"
    assert not window.jobs.progress_bar.isVisibleTo(window)


def test_attribute_axes_layout(window):
    window.arith.define_vector("glasses", "query", "glasses", "attribute")
    window.arith.define_vector("male", "query", "male", "attribute")
    window.layout_bar.layout_combo.setCurrentText("attribute axes")
    window.layout_bar.axis_x.setCurrentText("glasses")
    window.layout_bar.axis_y.setCurrentText("male")
    assert window.session.layout_method == "glasses × male"
    bank = window.session.bank
    g = window.session.vectors["glasses"].vector
    expected_x = (bank.latents - bank.latents.mean(0)) @ (g / np.linalg.norm(g))
    assert np.allclose(window.session.points[:, 0], expected_x, atol=1e-4)
    glasses = bank.attributes["glasses"] >= 0.5
    assert window.session.points[glasses, 0].mean() > window.session.points[~glasses, 0].mean()


def test_umap_layout(qtbot, window):
    """UMAP compiles itself with numba in its process (tens of seconds); it runs in the background."""
    window.layout_bar.layout_combo.setCurrentText("UMAP")
    qtbot.waitUntil(lambda: window.session.layout_method == "UMAP" or bool(window.message_bar.text()), timeout=300000)
    assert window.message_bar.text() == ""
    assert window.session.points.shape == (200, 2) and np.isfinite(window.session.points).all()


def test_diffusion_walks_keep_x_t_on_the_shell(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["ldm"]), bank_size=60, threads=1)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    try:
        for i in (1, 2):
            w.points.select_point(i)
            w.walks.add_waypoint()
        w.walk.method.setCurrentText("lerp")
        w.walks.walk_path("lerp", 7)
        norms = np.linalg.norm(w.walks.frames, axis=1)
        a, b = (np.linalg.norm(w.session.bank.latents[i]) for i in (1, 2))
        assert np.allclose(norms, np.linspace(a, b, 7), rtol=1e-4)
        qtbot.waitUntil(lambda: w.walk.filmstrip.count() == 7, timeout=30000)
    finally:
        w.close()
