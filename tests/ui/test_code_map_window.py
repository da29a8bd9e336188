"""A VQ-VAE in the window: Explore ▸ Edit code map… paints cells of the current
point's grid of codebook indices and shows the decode beside the original;
Ctrl+Z and Reset take it back; "Use as current point" hands the edited map to
the session; View ▸ Codebook usage… counts each code over the bank; walks say
their frames are re-quantised. Everything is shown and grabbed."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from explorer.ui.main_window import MainWindow
from models.loading import RESOURCES, load_latent_model
from tests.ui.painting import Painter
from tests.ui.vqvae_checkpoint import save_tiny_vqvae

BANK = 60
FAR_CELLS = 5  # the bundled VQ-VAE's decoder carries a code's change this many cells at most


@pytest.fixture
def vqvae_path(tmp_path):
    return save_tiny_vqvae(tmp_path)


def _open(qtbot, path) -> MainWindow:
    w = MainWindow(str(path), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    return w


def _point(canvas, row: int, col: int) -> QPoint:
    x, y = canvas.cell_centre(row, col)
    return QPoint(int(x), int(y))


def test_paint_cells_see_the_decode_undo_reset_and_use_the_edit(qtbot, config_dir, vqvae_path):
    model = load_latent_model(vqvae_path)
    w = _open(qtbot, vqvae_path)
    c = w.code_maps
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        assert c.edit_action.isEnabled() and c.usage_action.isEnabled()
        w.points.select_point(3)
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        w.walks.add_waypoint()  # an edit on the window's own undo stack, which the editor's Ctrl+Z leaves alone
        with qtbot.waitSignal(c.opened, timeout=30000):
            c.edit_action.trigger()  # Explore ▸ Edit code map…
        e = c.editor
        assert e.isVisible() and not e.isModal()
        codes = model.code_indices(w.session.bank.latents[3:4])[0]
        assert np.array_equal(c.edits.original, codes)  # the point's own code map
        assert np.array_equal(c.original_image, w.preview.shown_image)  # decode re-quantises: the same image
        qtbot.waitUntil(lambda: c.swatches is not None, timeout=30000)  # the palette: a map of one code each
        assert np.array_equal(c.swatches[5], model.decode_codes(np.full((1, 8, 8), 5))[0])
        p.paint(e, "the code-map editor on a point")

        # A 2×2 brush stroke dragged over the top-left corner with a code none of those cells holds.
        code = int(next(k for k in range(model.codebook_size) if k not in codes[:2, :2]))
        e.code_box.setValue(code)
        e.tool_combo.setCurrentText("1 cell")
        e.activateWindow()
        e.code_box.setFocus()  # where the code was typed; a click on the grid takes the focus from it
        qtbot.mousePress(e.canvas, Qt.MouseButton.LeftButton, pos=_point(e.canvas, 0, 0))
        for row, col in ((0, 1), (1, 1), (1, 0)):
            qtbot.mouseMove(e.canvas, _point(e.canvas, row, col))
        with qtbot.waitSignal(c.edited, timeout=30000) as decoded:
            qtbot.mouseRelease(e.canvas, Qt.MouseButton.LeftButton, pos=_point(e.canvas, 1, 0))
        painted = np.zeros((8, 8), bool)
        painted[:2, :2] = True
        assert np.array_equal(c.edits.changed(), painted) and (c.edits.grid[:2, :2] == code).all()
        qtbot.waitUntil(lambda: np.array_equal(decoded.args[0], model.decode_codes(c.edits.grid[None])[0]),
                        timeout=30000)
        edited = model.decode_codes(c.edits.grid[None])[0]
        diff = np.abs(edited.astype(int) - c.original_image.astype(int)).sum(-1)
        assert diff[:4, :4].sum() > 0  # it changed where painted...
        assert diff[10:, :].sum() == 0 and diff[:, 10:].sum() == 0  # ...and not 5 cells (10 px) away
        assert "4 of 64 cells changed" in e.status_label.text()
        p.paint(e, "the code-map editor after a stroke")

        # A rectangle from (6, 6) to (7, 7): one more undo step.
        e.tool_combo.setCurrentText("Rectangle")
        qtbot.mousePress(e.canvas, Qt.MouseButton.LeftButton, pos=_point(e.canvas, 6, 6))
        qtbot.mouseMove(e.canvas, _point(e.canvas, 7, 7))
        qtbot.mouseRelease(e.canvas, Qt.MouseButton.LeftButton, pos=_point(e.canvas, 7, 7))
        assert (c.edits.grid[6:, 6:] == code).all()
        e.colours_box.setChecked(True)
        p.paint(e, "the code-map editor with a colour per code")

        assert QApplication.focusWidget() is e.canvas
        qtbot.keyClick(e.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Z in the editor
        assert (c.edits.grid[6:, 6:] == codes[6:, 6:]).all() and (c.edits.grid[:2, :2] == code).all()
        assert len(w.session.waypoints) == 1
        e.reset_button.click()
        assert np.array_equal(c.edits.grid, codes)
        assert np.array_equal(e.canvas._grid, codes)
        qtbot.keyClick(e, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Reset is undone too
        assert (c.edits.grid[:2, :2] == code).all()

        # Use as current point: the edited map's code vectors, decoded in the preview.
        w.preview.shown_image = None
        e.use_button.click()
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        label, latent = w.session.current
        assert label == "code map edit"
        assert np.allclose(latent, model.code_vectors(c.edits.grid[None]).ravel())
        assert np.array_equal(w.preview.shown_image, edited)
        p.paint_dock(w, "Preview")
        w.walks.add_waypoint()  # it can be a waypoint
        assert len(w.session.waypoints) == 2 and np.allclose(w.session.waypoints[1][1], latent)
    assert exceptions == []
    w.close()


def test_codebook_usage_counts_every_code_over_the_bank_and_marks_dead_ones(qtbot, config_dir, vqvae_path):
    model = load_latent_model(vqvae_path)
    w = _open(qtbot, vqvae_path)
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        with qtbot.waitSignal(w.code_maps.usageShown, timeout=30000) as shown:
            w.code_maps.usage_action.trigger()  # View ▸ Codebook usage…
        summary = shown.args[0]
        expected = model.codebook_usage(w.session.bank.latents)
        assert np.array_equal(summary.counts, expected) and summary.maps == BANK
        v = w.code_maps.usage_view
        assert v.isVisible() and not v.isModal()
        dead = np.flatnonzero(expected == 0)
        assert f"{len(dead)} dead" in v.headline.text()
        if len(dead):
            assert v.dead_label.text().startswith(f"Dead codes ({len(dead)}): {dead[0]}")
        p.paint(v, "the codebook usage view")
        v.sorted_box.setChecked(True)
        p.paint(v, "the codebook usage view, most used first")
        bars = [i for i in v.chart.getPlotItem().items if type(i).__name__ == "BarGraphItem"]
        assert len(bars) == 1 and np.array_equal(bars[0].opts["height"], np.sort(expected)[::-1])
    assert exceptions == []
    w.close()


def test_a_dead_codebook_is_counted_and_marked(qtbot, config_dir, vqvae_path):
    """A bank whose maps all use two codes: the other 14 are dead, counted and marked on the axis."""
    model = load_latent_model(vqvae_path)
    w = _open(qtbot, vqvae_path)
    grids = np.zeros((BANK, 8, 8), np.int64)
    grids[:, :4] = 5
    w.session.bank.latents[:] = model.code_vectors(grids).reshape(BANK, -1)
    with qtbot.waitSignal(w.code_maps.usageShown, timeout=30000) as shown:
        w.code_maps.show_usage()
    assert shown.args[0].dead.tolist() == [k for k in range(16) if k not in (0, 5)]
    v = w.code_maps.usage_view
    assert "14 dead (88 %)" in v.headline.text()
    marks = [i for i in v.chart.getPlotItem().items if type(i).__name__ == "ScatterPlotItem"]
    assert len(marks) == 1 and len(marks[0].data) == 14
    with qtbot.capture_exceptions() as exceptions:
        Painter(qtbot, exceptions).paint(v, "a collapsed codebook")
    assert exceptions == []
    w.close()


def test_a_vqvae_walk_says_its_frames_are_re_quantised(qtbot, config_dir, vqvae_path):
    w = _open(qtbot, vqvae_path)
    for i in (0, 1):
        w.points.select_point(i)
        w.walks.add_waypoint()
    w.walks.walk_path("lerp", 3)
    qtbot.waitUntil(lambda: w.walk.filmstrip.count() == 3, timeout=30000)
    assert dict(w.preview.state.rows)["frames"].startswith("interpolated in the continuous map and re-quantised")
    assert w.walk.family_note.isVisibleTo(w.walk) and "re-quantised" in w.walk.family_note.text()
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        p.paint_dock(w, "Walk")
        p.paint_dock(w, "Preview")
    assert exceptions == []
    w.close()


def test_other_families_have_no_code_map(qtbot, config_dir, tiny_checkpoints):
    w = _open(qtbot, tiny_checkpoints["vae"])
    c = w.code_maps
    assert not c.edit_action.isEnabled() and not c.usage_action.isEnabled()
    w.points.select_point(0)
    assert c.open_editor() is None and c.editor is None
    assert "no codebook" in w.message_bar.text()
    assert w.walk.family_note.isHidden()
    w.close()


def test_a_codebook_too_large_to_decode_shows_each_codes_colour_instead_of_a_swatch(qtbot, config_dir, vqvae_path,
                                                                                    monkeypatch):
    from explorer.core.code_grid import code_colours
    from explorer.ui import code_map_controller

    monkeypatch.setattr(code_map_controller, "SWATCH_PIXEL_BUDGET", 16 * 16 * 16 - 1)  # 16 codes of 16×16 px: over
    w = _open(qtbot, vqvae_path)
    w.points.select_point(0)
    with qtbot.waitSignal(w.code_maps.opened, timeout=30000):
        w.code_maps.open_editor()
    assert w.code_maps.swatch_request is None and w.code_maps.swatches is None
    icon = w.code_maps.editor.code_list.item(3).icon().pixmap(28, 28).toImage().pixelColor(10, 10)
    assert (icon.red(), icon.green(), icon.blue()) == tuple(int(v) for v in code_colours(16)[3])
    with qtbot.capture_exceptions() as exceptions:
        Painter(qtbot, exceptions).paint(w.code_maps.editor, "the editor's palette of colours")
    assert exceptions == []
    w.close()


@pytest.mark.skipif(not (RESOURCES / "toyfaces_vqvae.safetensors").exists(), reason="bundled model not built yet")
def test_the_bundled_vqvae_paints_decodes_where_painted_undoes_and_counts_its_codebook(qtbot, config_dir):
    model = load_latent_model("toyfaces_vqvae")
    w = _open(qtbot, "toyfaces_vqvae")
    c = w.code_maps
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        w.points.select_point(0)
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        with qtbot.waitSignal(c.opened, timeout=30000):
            c.edit_action.trigger()
        e, codes = c.editor, model.code_indices(w.session.bank.latents[:1])[0]
        assert np.array_equal(c.edits.original, codes) and codes.shape == model.code_grid_shape
        qtbot.waitUntil(lambda: c.swatches is not None, timeout=30000)
        p.paint(e, "the code-map editor on the bundled VQ-VAE")
        # The 3×3 brush at the corner cell paints the 2×2 corner block with a code none of it holds.
        code = int(next(k for k in np.argsort(-model.codebook_usage(w.session.bank.latents)) if k not in codes[:2, :2]))
        e.code_box.setValue(code)
        e.tool_combo.setCurrentText("3×3 cells")
        qtbot.mousePress(e.canvas, Qt.MouseButton.LeftButton, pos=_point(e.canvas, 0, 0))
        with qtbot.waitSignal(c.edited, timeout=30000):
            qtbot.mouseRelease(e.canvas, Qt.MouseButton.LeftButton, pos=_point(e.canvas, 0, 0))
        painted = np.zeros(codes.shape, bool)
        painted[:2, :2] = True
        assert np.array_equal(c.edits.changed(), painted)
        edited = model.decode_codes(c.edits.grid[None])[0]
        qtbot.waitUntil(lambda: np.array_equal(e.shown_edit, edited), timeout=30000)
        cell = model.info.image_size // codes.shape[0]
        diff = np.abs(edited.astype(int) - c.original_image.astype(int)).sum(-1)
        near, far = diff[:2 * cell, :2 * cell].sum(), diff[FAR_CELLS * cell:, FAR_CELLS * cell:].sum()
        assert near > 0 and far == 0, (near, far)  # the decode changed where painted, not across the image
        p.paint(e, "the bundled VQ-VAE's code map after a stroke")
        qtbot.keyClick(e, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert np.array_equal(c.edits.grid, codes) and np.array_equal(e.shown_edit, c.original_image)
        with qtbot.waitSignal(c.usageShown, timeout=30000) as shown:
            e.usage_button.click()
        assert np.array_equal(shown.args[0].counts, model.codebook_usage(w.session.bank.latents))
        p.paint(c.usage_view, "the bundled VQ-VAE's codebook usage")
    assert exceptions == []
    w.close()
