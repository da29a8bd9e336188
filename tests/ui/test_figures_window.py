"""Figures from the window, on a tiny model: the analogy grid at 2048 px with
labels, the scatter as PNG at 3000 px and as SVG, the preview saved and
copied, right-click menus on every figure, and everything new painted."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from explorer.core.figure_layout import BACKGROUNDS, FigureOptions
from explorer.ui.main_window import MainWindow
from tests.ui.painting import Painter, describe

BANK = 120
SVG = {"svg": "http://www.w3.org/2000/svg"}
VECTORS = (("a", "male & !glasses"), ("b", "male & glasses"), ("c", "!male & !glasses"))


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    with qtbot.waitExposed(w):
        w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()


def _analogy(qtbot, w, size: int = 3) -> None:
    for name, query in VECTORS:
        assert w.arith.define_vector(name, "query", query, "mean") is not None
    w.arith.analogy_grid("a", "b", "c", size)
    qtbot.waitUntil(lambda: w.arith.grid_cells is not None, timeout=30000)


def _no_temporary_files(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_the_analogy_grid_exports_2048_px_wide_with_labels(qtbot, window, tmp_path):
    _analogy(qtbot, window)
    out = tmp_path / "analogy.png"
    assert window.figures.save_figure("Analogy grid", str(out), FigureOptions(2048, labels=True))
    with Image.open(out) as im:
        labelled = np.asarray(im.convert("RGB"))
    assert labelled.shape[1] == 2048
    plain = window.figures.render("Analogy grid", FigureOptions(2048, labels=False))
    assert labelled.shape[0] > plain.shape[0]  # a band of title and column labels above the grid
    top = labelled[: labelled.shape[0] - plain.shape[0]]
    assert (top != BACKGROUNDS["light"][0]).any(axis=2).sum() > 500  # with text in it
    figure = window.arith.analogy_figure()
    assert figure.col_labels[0] == "a" and figure.col_labels[-1] == "b" and figure.row_labels[-1] == "c"
    assert "b − a + c" in figure.title
    dark = window.figures.render("Analogy grid", FigureOptions(1024, background="dark"))
    assert tuple(dark[0, 0]) == BACKGROUNDS["dark"][0]
    assert _no_temporary_files(tmp_path)

    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert not window.figures.save_figure("Analogy grid", str(blocker / "grid.png"))
    assert "Could not save" in window.message_bar.text() and str(blocker / "grid.png") in window.message_bar.text()
    assert blocker.read_text() == "x"


def test_the_scatter_exports_as_png_at_3000_px_and_as_svg(qtbot, window, tmp_path):
    view = window.scatter
    png = tmp_path / "scatter.png"
    window.layout_bar.colour_combo.setCurrentText("male")  # a legend to draw
    assert view.colouring.field == "male"
    assert window.figures.save_scatter(str(png), 3000, "light", title="tiny VAE")
    with Image.open(png) as im:
        image = np.asarray(im.convert("RGB"))
    assert image.shape[1] == 3000
    ratio = view.plot.height() / view.plot.width()
    assert image.shape[0] >= round(3000 * ratio)  # the plot keeps its proportions (title and legend add to it)
    colours = {tuple(c) for c in view.colouring.colours}
    drawn = sum(int((np.abs(image.astype(int) - c).sum(axis=2) < 30).sum()) for c in colours)
    assert drawn > len(view.shown) * 20  # the points are drawn, and enlarged with the plot (not 6 px dots)
    legend = image[-int(image.shape[0] * 0.06):]  # the band under the plot
    assert (np.abs(legend.astype(int) - view.colouring.colours[1]).sum(axis=2) < 30).sum() > 100

    svg = tmp_path / "scatter.svg"
    thumbs = "points spread over the view"
    assert window.figures.save_scatter(str(svg), 1600, "dark", title="tiny VAE", thumbnails=thumbs, count=5)
    root = ET.parse(svg).getroot()
    circles = root.find(".//svg:g[@id='points']", SVG).findall("svg:circle", SVG)
    x_range, y_range = view.view_range()
    pts = view.points[view.shown]
    inside = ((pts[:, 0] >= x_range[0]) & (pts[:, 0] <= x_range[1])
              & (pts[:, 1] >= y_range[0]) & (pts[:, 1] <= y_range[1]))
    assert len(circles) == int(inside.sum())
    x_label = view.plot.getPlotItem().getAxis("bottom").labelText
    assert x_label and root.find(".//svg:text[@id='x-label']", SVG).text == x_label
    assert len(root.find(".//svg:g[@id='thumbnails']", SVG).findall("svg:image", SVG)) == 5
    assert _no_temporary_files(tmp_path)
    assert not window.figures.save_scatter(str(tmp_path / "scatter.png" / "x.svg"))
    assert "Could not save" in window.message_bar.text()
    assert not window.figures.save_scatter(str(tmp_path / "huge.png"), 10**6)
    assert "width" in window.message_bar.text() and not (tmp_path / "huge.png").exists()

    # An image scatter as PNG: thumbnails at the selection are drawn over the plot.
    assert not window.figures.save_scatter(str(tmp_path / "none.png"), 1200, "light", thumbnails="the selection")
    assert "nothing is selected" in window.message_bar.text() and not (tmp_path / "none.png").exists()
    window.session.set_selection(np.arange(len(view.points)) < 20)
    plain = tmp_path / "plain.png"
    assert window.figures.save_scatter(str(plain), 1200, "light")  # the selection drawn, no thumbnails
    with_thumbs = tmp_path / "thumbs.png"
    assert window.figures.save_scatter(str(with_thumbs), 1200, "light", thumbnails="the selection", count=4, side=48)
    with Image.open(plain) as a, Image.open(with_thumbs) as b:
        differ = (np.asarray(a.convert("RGB")) != np.asarray(b.convert("RGB"))).any(axis=2)
    assert differ.sum() > 4 * (48 * 1200 / view.plot.width()) ** 2 * 0.5  # four thumbnails, enlarged with the plot


def test_a_scatter_drawn_as_density_exports_its_image_and_a_light_png_from_the_dark_theme(qtbot, window, tmp_path):
    view = window.scatter
    window.layout_bar.colour_combo.setCurrentText("male")
    view.point_budget = 10  # past it the scatter draws a density image instead of points
    view.refresh()
    assert view.density_mode and view.density.isVisible()
    theme_before = view.plot.backgroundBrush().color().name()
    out = tmp_path / "density.png"
    assert window.figures.save_scatter(str(out), 1500, "light")
    with Image.open(out) as im:
        image = np.asarray(im.convert("RGB")).astype(int)
    assert image.shape[1] == 1500
    from explorer.ui.theme import THEMES

    light = THEMES["light"].plot_background.lstrip("#")
    assert tuple(image[2, 2]) == tuple(int(light[i:i + 2], 16) for i in (0, 2, 4))  # the light background
    male = view.colouring.colours[1]
    assert (np.abs(image - male).sum(axis=2) < 60).sum() > 200  # the density image is in the file
    assert view.plot.backgroundBrush().color().name() == theme_before  # the window keeps its own theme


def test_preview_save_and_copy_image(qtbot, window, tmp_path):
    window.points.select_point(3)
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=30000)
    out = tmp_path / "preview.png"
    assert window.figures.save_figure("Preview", str(out), FigureOptions(512))
    with Image.open(out) as im:
        assert im.size[0] == 512
    copied = window.figures.copy_image("Preview")
    clip = QGuiApplication.clipboard().image()
    assert not clip.isNull()
    shown = window.preview.image.pixmap()
    assert (clip.width(), clip.height()) == (shown.width(), shown.height()) == (copied.width(), copied.height())
    # Ctrl+Shift+C copies the figure under focus: the analogy grid once it is clicked.
    _analogy(qtbot, window)
    window.docks["Arithmetic"].raise_()
    window.arithmetic.sections.setCurrentIndex(3)
    window.arithmetic.grid_image.setFocus()
    qtbot.waitUntil(lambda: window.arithmetic.grid_image.hasFocus(), timeout=5000)
    assert window.figures.focused_source() == "Analogy grid"
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(window.arithmetic.grid_image, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().image().width() == window.figures.options.width == 2048


def test_every_figure_has_a_context_menu_and_everything_new_paints(qtbot, window, tmp_path, monkeypatch):
    w = window
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        p.patch_dialogs(monkeypatch)
        w.points.select_point(0)
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        w.walks.add_waypoint()
        w.points.select_point(1)
        w.walks.add_waypoint()
        w.walks.walk_path("slerp", 4)
        qtbot.waitUntil(lambda: w.walk.filmstrip.count() == 4, timeout=30000)
        _analogy(qtbot, w)
        assert w.arith.evaluate_expression("b - a + c") is not None
        qtbot.waitUntil(lambda: w.arith.result_cells is not None, timeout=30000)
        w.nearest.find_neighbours(6, "euclidean")
        names = ["Preview", "Analogy grid", "Arithmetic result", "Neighbour grid", "Walk filmstrip"]
        assert list(w.figures.sources) == names
        for name in names:
            widget = w.figures.sources[name][0]
            assert widget.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
            menu = w.figures.context_menu(name)
            assert [a.text() for a in menu.actions()] == ["Save image…", "Copy image"]
            p.paint_menu(menu, w, f"the {name} right-click menu")
            figure = w.figures.render(name, FigureOptions(800))
            assert figure is not None and figure.shape[1] == 800, name
        w.figures.sources["Walk filmstrip"][0].customContextMenuRequested.emit(QPoint(5, 5))
        assert w.figures.menu is not None and w.figures.menu.isVisible()
        w.figures.menu.hide()
        scene_menu = [a.text() for a in w.scatter.plot.scene().contextMenu]
        assert scene_menu == ["Export scatter…"]  # pyqtgraph's Export… (broken SVG) is gone

        w.arithmetic.saveGridRequested.emit()  # the Analogy tab's Save image… button
        dialog = w.figures.dialog
        assert dialog.source.currentText() == "Analogy grid" and dialog.isVisible()  # open(), not a blocking exec()
        p.paint(dialog, "the Export figure dialog")
        dialog.width_px.setValue(1024)
        dialog.copyRequested.emit()
        assert QGuiApplication.clipboard().image().width() == 1024
        dialog.accept()  # Save…: the (painted, cancelled) file dialog
        assert "Save analogy grid" in p.dialogs
        w.figures.choose_scatter()
        p.paint(w.figures.scatter_dialog, "the Export scatter dialog")
        assert w.figures.scatter_dialog.isVisible()
        w.figures.scatter_dialog.accept()
        assert "Save scatter" in p.dialogs
        p.paint(w.scatter, "the scatter after an export")
        for title in ("Arithmetic", "Neighbours", "Walk", "Preview"):
            p.paint_dock(w, title)
    assert exceptions == [], describe(exceptions)


def test_file_dialogs_start_in_the_last_folder_and_remember_it(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    _analogy(qtbot, window)
    window.settings.set_last_folder(str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir()
    asked = []

    def answer(parent, caption, start, filter_):  # noqa: A002
        asked.append(start)
        return str(target / "grid.png"), filter_

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    window.figures.choose("Analogy grid")
    window.figures.dialog.accept()
    assert asked == [str(tmp_path / "analogy_grid.png")]
    assert (target / "grid.png").is_file()
    assert window.settings.last_folder() == str(target)
