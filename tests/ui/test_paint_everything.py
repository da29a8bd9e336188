"""Open and paint every tab, menu, menu action, dialog and panel of the window
on each bundled model, and fail on any Python error raised inside Qt.

Why: ``NeighboursPanel`` once had ``self.metric = QComboBox()``, hiding Qt's
``QWidget.metric()``; clicking the Neighbours tab raised "TypeError: 'QComboBox'
object is not callable" from inside Qt's painting, and no test ever painted that
tab. The negative control at the end puts that bug back and proves this check
catches it.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QMenu

from explorer.ui.main_window import MainWindow
from tests.ui.evaluation_report import sample_report
from tests.ui.painting import PaintError, Painter, describe

BANK = 200  # each bundled model builds this bank in ~1 s here (the latent diffusion one included)
LONG_ERROR = ("Could not open /a/very/long/path/" + "deeply_nested_folder/" * 8 + "checkpoint_without_separators_"
              + "0123456789abcdef" * 6 + ".safetensors: " + "the file is not what it claims to be. " * 6)

# Named vectors (name, query) and an expression over them, per model's attributes or labels.
TOYFACES = ((("man", "male & !glasses"), ("glasses_man", "male & glasses"), ("woman", "!male & !glasses")),
            "glasses_man - man + woman")
DIGITS = ((("three", "label == 3"), ("eight", "label == 8"), ("one", "label == 1")), "eight - three + one")
MODELS = {"toyfaces_vae": TOYFACES, "toyfaces_dcgan": TOYFACES, "toyfaces_ldm": TOYFACES, "digits_vae": DIGITS,
          "toyfaces_vqvae": TOYFACES}


def _open(qtbot, checkpoint: str, bank_size: int) -> MainWindow:
    w = MainWindow(checkpoint, bank_size=bank_size, threads=1)
    qtbot.addWidget(w)  # closed at teardown even when the test fails half-way
    w.resize(1280, 800)
    with qtbot.waitExposed(w):
        w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    return w


def _menus(menu: QMenu, path: str = ""):
    """``(path, menu)`` for ``menu`` and each of its submenus, depth first."""
    path = f"{path} ▸ {menu.title().replace('&', '')}" if path else menu.title().replace("&", "")
    yield path, menu
    for action in menu.actions():
        if action.menu() is not None:
            yield from _menus(action.menu(), path)


def _actions(menu: QMenu, path: str):
    """``(path, action)`` for every plain action of ``menu`` (not separators, not submenus)."""
    return [(f"{path} ▸ {a.text().replace('&', '')}", a) for a in menu.actions()
            if not a.isSeparator() and a.menu() is None]


def _wait_bank(qtbot, w: MainWindow, trigger) -> None:
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        trigger()


def _paint_panels(qtbot, w: MainWindow, p: Painter, model: str) -> None:
    whole = p.paint(w, "the window", show=False)
    assert (whole.width(), whole.height()) == (1280, 800)
    for title in w.docks:
        p.paint_dock(w, title)
    sections = w.arithmetic.sections
    for i in range(sections.count()):
        sections.setCurrentIndex(i)
        p.paint(w.docks["Arithmetic"], f"the Arithmetic ▸ {sections.tabText(i)} tab")
    p.paint(w.layout_bar, "the layout bar")
    for name in ("layout_combo", "colour_combo"):
        p.paint_combo_popup(getattr(w.layout_bar, name), f"the layout bar's {name} list")
    p.paint(w.scatter, "the scatter")

    # A point in the preview.
    w.points.select_point(0)
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
    p.paint_dock(w, "Preview")
    p.paint(w.scatter, "the scatter with a selected point")

    # A short walk: two waypoints, four frames.
    w.walks.add_waypoint()
    w.points.select_point(1)
    w.walks.add_waypoint()
    w.walks.walk_path("slerp", 4)
    qtbot.waitUntil(lambda: w.walk.filmstrip.count() == 4, timeout=30000)
    w.walk.slider.setValue(2)
    p.paint_dock(w, "Walk")
    assert w.walks.play()  # Play: the Stop button and the moving slider
    p.paint_dock(w, "Walk")
    w.walks.stop()
    w.animations.choose()  # Export animation…: non-modal, painted, then closed unanswered
    p.paint(w.animations.dialog, "the Export animation dialog", show=False)
    w.animations.dialog.hide()

    # Named vectors, an expression, a direction, an analogy grid.
    vectors, expression = MODELS[model]
    for name, query in vectors:
        assert w.arith.define_vector(name, "query", query, "mean") is not None, w.arithmetic.define_error.text()
    w.arith.define_vector("bad", "query", "no_such_attribute", "mean")  # an error under the form
    assert w.arith.evaluate_expression(expression) is not None
    qtbot.waitUntil(lambda: not w.arithmetic.result_box.isHidden(), timeout=30000)
    w.arith.evaluate_expression(f"{vectors[0][0]} +* 2")  # an error pointing at a character
    w.points.select_point(2)
    w.arithmetic.direction.setCurrentText(vectors[1][0])
    w.arithmetic.keep.item(0).setCheckState(w.arithmetic.keep.item(0).checkState().Checked)
    w.arithmetic.amount.setValue(15)
    names = [n for n, _ in vectors]
    w.arith.analogy_grid(*names, 3)
    qtbot.waitUntil(lambda: w.arith.grid_image is not None, timeout=30000)
    for i in range(sections.count()):
        sections.setCurrentIndex(i)
        p.paint(w.docks["Arithmetic"], f"the Arithmetic ▸ {sections.tabText(i)} tab, filled in")
    w.arithmetic.saveGridRequested.emit()  # "Save image…": the Export figure dialog (non-modal), then Save…
    p.paint(w.figures.dialog, "the Export figure dialog", show=False)
    w.figures.dialog.accept()  # the save dialog, painted and cancelled
    for name in w.figures.sources:
        p.paint_menu(w.figures.context_menu(name), w, f"the {name} right-click menu")
    w.figures.choose_scatter()  # Export scatter…: non-modal, painted, then closed unanswered
    p.paint(w.figures.scatter_dialog, "the Export scatter dialog", show=False)
    w.figures.scatter_dialog.hide()
    p.paint(w.scatter, "the scatter with overlays")

    # Neighbours, listed with thumbnails.
    w.nearest.find_neighbours(6, "cosine")
    assert w.neighbours.strip.count() == 6
    p.paint_dock(w, "Neighbours")
    p.paint_combo_popup(w.neighbours.metric_combo, "the Neighbours distance list")

    # Slides: two in the Slides tab, then presented full screen (left again, so the rest paints as usual).
    w.slide_show.add_slide()
    w.points.select_point(4)
    w.slide_show.add_slide()
    p.paint_dock(w, "Slides")
    w.presenter.set_presenting(True)
    p.paint(w, "the window presenting the first slide", show=False)
    w.slide_show.step(1)
    p.paint(w, "the window presenting the second slide", show=False)
    w.presenter.set_presenting(False)

    # Evaluate: a collapsed generator's report in its tab (the tab is a view: no model is run for it).
    w.evaluate_panel.show_report(sample_report(collapsed=True))
    p.paint_dock(w, "Evaluate")
    p.paint_combo_popup(w.evaluate_panel.curve_combo, "the Evaluate tab's figure list")


def _paint_coverage_and_compare(qtbot, w: MainWindow, p: Painter) -> None:
    """View ▸ Coverage overlay (encoded, or a feature layout) with a click's nearest real
    images, then Model ▸ Compare checkpoints… with the open model against its truncated self."""
    with qtbot.waitSignal(w.coverage.shown, timeout=60000):
        w.coverage.toggle(True)
    p.paint(w.scatter, f"the scatter with the coverage overlay ({w.coverage.mode})")
    x, y = w.coverage.real_points[0]
    assert len(w.coverage.show_nearest(float(x), float(y), (1e-3, 1e-3)))
    p.paint(w.coverage.dialog, "the nearest real images", show=False)
    w.coverage.dialog.hide()
    w.coverage.toggle(False)
    w.comparison.choose()
    with qtbot.waitSignal(w.comparison.compared, timeout=60000):
        w.comparison.compare([(w.session.model_path, 1.0), (w.session.model_path, 0.5)], count=3)
    p.paint(w.comparison.dialog, "the Compare checkpoints dialog with two rows", show=False)
    w.comparison.dialog.hide()


def _paint_code_maps(qtbot, w: MainWindow, p: Painter) -> None:
    """A VQ-VAE's Explore ▸ Edit code map… (a stroke painted, Undo, colours on) and View ▸
    Codebook usage… (in code order and most used first); nothing for other families."""
    c = w.code_maps
    if w.models.info.family != "vqvae":
        assert not c.edit_action.isEnabled() and not c.usage_action.isEnabled()
        return
    w.points.select_point(0)
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
    with qtbot.waitSignal(c.opened, timeout=30000):
        c.open_editor()
    p.paint(c.editor, "the code-map editor")
    mask = np.zeros(c.edits.shape, bool)
    mask[:2, :2] = True
    with qtbot.waitSignal(c.edited, timeout=30000):
        assert c.paint_cells(mask, (int(c.edits.grid[0, 0]) + 1) % c.edits.codebook_size)
    c.editor.colours_box.setChecked(True)
    c.editor.tool_combo.setCurrentText("Rectangle")
    p.paint(c.editor, "the code-map editor after a stroke, a colour per code")
    p.paint_combo_popup(c.editor.tool_combo, "the code-map editor's brushes")
    c.undo()
    with qtbot.waitSignal(c.usageShown, timeout=60000):
        c.editor.usage_button.click()
    p.paint(c.usage_view, "the codebook usage view")
    c.usage_view.sorted_box.setChecked(True)
    p.paint(c.usage_view, "the codebook usage view, most used first")
    c.usage_view.hide()
    c.editor.hide()


def _paint_dialogs(qtbot, w: MainWindow, p: Painter, tmp_path) -> None:
    from explorer.core.session_file import SUFFIX
    from explorer.ui.hints_dialog import HintsDialog

    hints = HintsDialog("x.pt", ["latent_shape"], w)
    p.paint(hints, "the hints dialog")
    hints.hide()
    hints.deleteLater()
    # The same dialog as the app opens it (window-modal, not blocking); hidden, never accepted.
    w.models.on_hints_needed(SimpleNamespace(path="model_without_config.pt", device="cpu"), ["latent_shape", "channels"])
    p.paint(w.models.hints_dialog, "the hints dialog as the app opens it", show=False)
    w.models.hints_dialog.hide()

    # The recovery question: hidden, never answered (answering moves the autosave and opens a model).
    autosave = w.sessions.autosave_path
    autosave.parent.mkdir(parents=True, exist_ok=True)
    autosave.write_bytes(b"not really a session")
    try:
        assert w.sessions.offer_recovery()
        p.paint(w.sessions.dialog, "the recovery question", show=False)
        w.sessions.dialog.hide()
        p.settle()
        assert autosave.exists(), "hiding the recovery question answered it"
    finally:
        autosave.unlink(missing_ok=True)

    # The locate-model question: a session whose model is missing. (Saved with Save as, so it is
    # also a recent session for the File ▸ Open recent session menu.)
    session = tmp_path / f"moved{SUFFIX}"
    assert w.sessions.save_as(session)
    assert not w.sessions.open_session(session, str(tmp_path / "gone.safetensors"))
    p.paint(w.sessions.dialog, "the locate-model question", show=False)
    w.sessions.dialog.hide()
    p.paint(w.message_bar, "the message bar naming the missing model", show=False)

    w.message_bar.show_error(LONG_ERROR)
    p.paint(w.message_bar, "the message bar with a long error", show=False)
    p.paint(w, "the window with a long error", show=False)
    w.message_bar.show_message("Something to know", "info")
    p.paint(w.message_bar, "the message bar with a note", show=False)
    w.message_bar.hide()

    w.tip.show_at(0, w.session.bank.thumbnails[0], "caption", QPoint(10, 10))
    p.paint(w.tip, "the hover tip", show=False)
    w.tip.hide_tip()


def _paint_menus(qtbot, w: MainWindow, p: Painter) -> QAction:
    """Pop up every menu and trigger every action; returns Quit, untriggered.

    Actions that reopen the model (recent files and sessions, Rebuild latent bank)
    run last, so Undo and Redo still have a history to act on.
    """
    quit_action, reopening = None, []
    docks = [d.toggleViewAction() for d in w.docks.values()]
    for top in w.menuBar().actions():
        for path, menu in _menus(top.menu()):
            p.paint_menu(menu, w, f"the {path} menu")
            for name, action in _actions(menu, path):
                if action.text().replace("&", "") == "Quit":
                    quit_action = action
                elif action in w.theme_group.actions():
                    continue  # below: both themes, then back to the first
                elif action in w.models.device_group.actions():
                    if action.data() == "cpu":  # the others may be missing here
                        with qtbot.waitSignal(w.client.deviceChanged, timeout=30000):
                            action.trigger()
                        p.paint(w, f"the window after {name}", show=False)
                elif action in w.models.bank_size_group.actions():
                    continue  # each rebuilds the bank (1M codes: minutes; Other… asks); see tests/ui/test_bank_size.py
                elif action in docks or action in (w.presenter.action, w.coverage.action):  # on and off again
                    for _ in range(2):
                        action.trigger()
                        p.paint(w, f"the window after {name}", show=False)
                elif not action.isEnabled():
                    continue
                elif menu in (w.models.recent_menu, w.sessions.recent_menu) or "Rebuild" in name:
                    reopening.append((name, action))
                else:
                    action.trigger()
                    p.paint(w, f"the window after {name}", show=False)
    original = w.theme_group.checkedAction()
    for action in [*w.theme_group.actions(), original]:
        action.trigger()
        p.paint(w, f"the window in the {action.text()} theme", show=False)
        for title in w.docks:
            p.paint_dock(w, title)
    assert {n.split(" ▸ ")[1] for n, _ in reopening} == {"Open recent", "Open recent session", "Rebuild latent bank"}
    for name, action in reopening:
        _wait_bank(qtbot, w, action.trigger)
        p.paint(w, f"the window after {name}", show=False)
    assert quit_action is not None
    return quit_action


@pytest.mark.parametrize("model", list(MODELS))
def test_every_tab_menu_action_and_dialog_paints_without_errors(qtbot, config_dir, tmp_path, monkeypatch, model):
    with warnings.catch_warnings(record=True) as caught, qtbot.capture_exceptions() as exceptions:
        warnings.simplefilter("always")
        p = Painter(qtbot, exceptions)
        p.patch_dialogs(monkeypatch)
        w = _open(qtbot, model, BANK)
        assert w.models.info.name.replace("-", "_") == model
        _paint_panels(qtbot, w, p, model)
        _paint_coverage_and_compare(qtbot, w, p)
        _paint_code_maps(qtbot, w, p)
        _paint_dialogs(qtbot, w, p, tmp_path)
        quit_action = _paint_menus(qtbot, w, p)
        assert set(p.dialogs) >= {"Open checkpoint", "Open session", "Save session", "Save analogy grid", "Controls",
                                  "New tag", "Open export folder"}
        for what in ("Edit ▸ Undo", "Edit ▸ Redo"):
            assert any(n.startswith(f"the window after {what}") for n in p.painted), f"{what} was not run"
        quit_action.trigger()  # closes the window and joins its worker
        p.settle()
        assert not w.isVisible()
    assert exceptions == [], f"{len(exceptions)} Python error(s) inside Qt:\n{describe(exceptions)}"
    # pyqtgraph swallows exceptions in its own event handlers and reports them as RuntimeWarnings.
    swallowed = [str(c.message) for c in caught if "pyqtgraph" in c.filename and issubclass(c.category, RuntimeWarning)]
    assert swallowed == [], "\n".join(swallowed)
    assert len(p.painted) > 60


def test_the_painter_catches_a_shadowed_qt_virtual(qtbot, config_dir, tiny_checkpoints):
    """Negative control: put the Neighbours bug back; the same painting must fail on it."""
    w = _open(qtbot, str(tiny_checkpoints["vae"]), 60)
    try:
        with qtbot.capture_exceptions() as exceptions:
            p = Painter(qtbot, exceptions)
            p.paint_dock(w, "Walk")  # the Neighbours dock is behind it, unpainted so far
            w.neighbours.metric = QComboBox()  # hides QWidget.metric(), which Qt calls while painting
            with pytest.raises(PaintError, match="not callable"):
                p.paint_dock(w, "Neighbours")
    finally:
        w.neighbours.__dict__.pop("metric", None)  # Qt's metric() again, so the window can be painted and closed
    assert exceptions, "shadowing QWidget.metric raised nothing"
    assert any(isinstance(value, TypeError) and "not callable" in str(value) for _, value, _ in exceptions), \
        describe(exceptions)
    w.close()


def test_a_bundled_model_opened_by_name_is_remembered_by_its_file(qtbot, config_dir):
    from models.loading import RESOURCES

    w = _open(qtbot, "toyfaces_dcgan", 60)
    expected = str((RESOURCES / "toyfaces_dcgan.safetensors").resolve())
    try:
        assert w.settings.recent_files()[0] == expected
        assert w.settings.last_model() == expected
    finally:
        w.close()


def test_a_text_to_image_pipeline_paints_its_prompt_tab_dialogs_and_menus(qtbot, config_dir, tmp_path, monkeypatch):
    """The Prompt tab filled in (a prompt applied, an expression, its error, a walk), then the
    dialogs and every menu action on a tiny text-to-image pipeline: nothing raises, nothing blocks."""
    from tests.text_to_image_fixture import make_text_to_image_pipeline

    pipeline = make_text_to_image_pipeline(tmp_path / "tiny_sd")
    with qtbot.capture_exceptions() as exceptions:
        p = Painter(qtbot, exceptions)
        p.patch_dialogs(monkeypatch)
        w = _open(qtbot, str(pipeline), 20)
        panel, prompts = w.prompt_panel, w.prompts
        p.paint_dock(w, "Prompt")
        _wait_bank(qtbot, w, lambda: prompts.apply_prompt("a man", "glasses", 5.0, panel.steps_box.value()))
        w.points.select_point(0)
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        p.paint_dock(w, "Preview")
        prompts.evaluate('"a man" +* "a woman"')  # an error pointing at a character
        p.paint_dock(w, "Prompt")
        w.preview.shown_image = None
        prompts.evaluate('"a man with glasses" - "a man" + "a woman"')
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        prompts.walk("a man", "a woman", "slerp", 3)
        qtbot.waitUntil(lambda: panel.filmstrip.count() == 3, timeout=30000)
        p.paint_dock(w, "Prompt")
        p.paint_dock(w, "Preview")
        _paint_dialogs(qtbot, w, p, tmp_path)
        _paint_menus(qtbot, w, p).trigger()  # Quit: closes the window and joins its worker
        p.settle()
        assert not w.isVisible()
    assert exceptions == [], f"{len(exceptions)} Python error(s) inside Qt:\n{describe(exceptions)}"


def test_the_stylegan_tab_and_every_menu_action_paint_on_a_stylegan2_model(qtbot, config_dir, tmp_path, monkeypatch):
    """A tiny rosinality StyleGAN2 file: its tab in each state (ψ, a style mix, Z), every dock,
    then every menu and action, as for the bundled models (none may block or raise)."""
    from explorer.core.session_file import SUFFIX
    from tests.ui.stylegan_checkpoint import save_tiny_stylegan2

    with warnings.catch_warnings(record=True) as caught, qtbot.capture_exceptions() as exceptions:
        warnings.simplefilter("always")
        p = Painter(qtbot, exceptions)
        p.patch_dialogs(monkeypatch)
        w = _open(qtbot, str(save_tiny_stylegan2(tmp_path)), 100)
        sg, panel = w.stylegan, w.stylegan_panel
        qtbot.waitUntil(lambda: panel.layer_combo.count() == 3, timeout=30000)
        for title in w.docks:
            p.paint_dock(w, title)
        w.points.select_point(0)
        qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
        sg.use_current("a")
        w.points.select_point(1)
        sg.use_current("b")
        with qtbot.waitSignal(sg.stateChanged, timeout=30000):
            panel.psi_slider.setValue(70)
        with qtbot.waitSignal(sg.mixed, timeout=30000):
            panel.mix_button.click()
        p.paint_dock(w, "StyleGAN")
        p.paint_combo_popup(panel.layer_combo, "the StyleGAN tab's layer groups")
        _wait_bank(qtbot, w, panel.space_z.click)
        p.paint_dock(w, "StyleGAN")
        assert w.sessions.save_as(tmp_path / f"stylegan{SUFFIX}")  # for File ▸ Open recent session
        quit_action = _paint_menus(qtbot, w, p)
        quit_action.trigger()
        p.settle()
        assert not w.isVisible()
    assert exceptions == [], f"{len(exceptions)} Python error(s) inside Qt:\n{describe(exceptions)}"
    swallowed = [str(c.message) for c in caught if "pyqtgraph" in c.filename and issubclass(c.category, RuntimeWarning)]
    assert swallowed == [], "\n".join(swallowed)


def test_the_code_map_editor_and_every_menu_action_paint_on_a_vqvae_model(qtbot, config_dir, tmp_path, monkeypatch):
    """A tiny VQ-VAE: every dock, its code-map editor and codebook view, a walk (its frames
    re-quantised), then every menu and action, Explore ▸ Edit code map… and View ▸ Codebook
    usage… among them (enabled for this family only): none may block or raise."""
    from explorer.core.session_file import SUFFIX
    from tests.ui.vqvae_checkpoint import save_tiny_vqvae

    with warnings.catch_warnings(record=True) as caught, qtbot.capture_exceptions() as exceptions:
        warnings.simplefilter("always")
        p = Painter(qtbot, exceptions)
        p.patch_dialogs(monkeypatch)
        w = _open(qtbot, str(save_tiny_vqvae(tmp_path)), 100)
        for title in w.docks:
            p.paint_dock(w, title)
        _paint_code_maps(qtbot, w, p)
        for i in (1, 2):
            w.points.select_point(i)
            w.walks.add_waypoint()
        w.walks.walk_path("lerp", 3)
        qtbot.waitUntil(lambda: w.walk.filmstrip.count() == 3, timeout=30000)
        p.paint_dock(w, "Walk")
        p.paint_dock(w, "Preview")
        assert w.sessions.save_as(tmp_path / f"vqvae{SUFFIX}")  # for File ▸ Open recent session
        quit_action = _paint_menus(qtbot, w, p)
        assert {"the window after Explore ▸ Edit code map…",
                "the window after View ▸ Codebook usage…"} <= set(p.painted)
        quit_action.trigger()
        p.settle()
        assert not w.isVisible()
    assert exceptions == [], f"{len(exceptions)} Python error(s) inside Qt:\n{describe(exceptions)}"
    swallowed = [str(c.message) for c in caught if "pyqtgraph" in c.filename and issubclass(c.category, RuntimeWarning)]
    assert swallowed == [], "\n".join(swallowed)
