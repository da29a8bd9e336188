"""Slides in the window: three slides with different views, shown again exactly;
kept in a saved session and its autosave; presented full screen with the keys
that step and leave; exported as PNGs and one PDF (offscreen, a tiny model)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from explorer.core.session_file import load_session
from explorer.core.slides import from_document
from explorer.ui.main_window import MainWindow
from explorer.ui.preview_panel import PREVIEW_SIDE
from explorer.ui.slides_export import PDF_NAME, SLIDE_SIZE

BANK = 80
VIEWS = (((-1.5, 0.5), (-0.75, 1.25)), ((0.0, 2.0), (-2.0, -0.5)), ((-3.0, 3.0), (-3.0, 3.0)))


@pytest.fixture
def windows(qtbot, config_dir, state_dir):
    made: list[MainWindow] = []

    def build(target) -> MainWindow:
        w = MainWindow(str(target), bank_size=BANK, threads=1)
        qtbot.addWidget(w)
        w.resize(1280, 800)
        with qtbot.waitExposed(w):
            w.show()
        made.append(w)
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
        return w

    yield build
    for w in made:
        if w.isVisible():
            w.close()


def _grab(w, what) -> None:
    QApplication.processEvents()
    pixmap = what.grab()
    assert not pixmap.isNull() and pixmap.width() > 0 and pixmap.height() > 0


def _wait_preview(qtbot, w, title: str) -> None:
    qtbot.waitUntil(lambda: w.preview.state.title == title and w.preview.shown_image is not None, timeout=20000)


def _mask(n: int, idx) -> np.ndarray:
    m = np.zeros(n, bool)
    m[list(idx)] = True
    return m


def _three_slides(qtbot, w) -> list[dict]:
    """Slide 1: point #3, a selection, the default colours; slide 2: point #7, another selection and
    colouring; slide 3: a latent that is no bank point, nothing selected. Returns what each showed."""
    s = w.session
    n = len(s.bank)
    mean = s.bank.latents.mean(0)
    fields = s.colour_fields()
    made = []
    for k, (view, sel) in enumerate(zip(VIEWS, (range(0, 10), range(20, 35), None))):
        if k < 2:
            w.points.select_point((3, 7)[k])
            _wait_preview(qtbot, w, f"Point #{(3, 7)[k]}")
        else:
            s.set_current("the mean code", mean)
        if k == 1:
            s.edit("Colour", lambda: s.set_colour_field(fields[1]))
        mask = None if sel is None else _mask(n, sel)
        s.edit("Select", lambda m=mask: s.set_selection(m))
        w.scatter.set_view_range(*view)
        made.append(dict(view=w.scatter.view_range(), selection=mask, colour=s.colour_field,
                         title=("Point #3", "Point #7", "the mean code")[k]))
        assert w.slide_show.add_slide() == k
    assert s.slides.names() == ["Slide 1", "Slide 2", "Slide 3"]
    return made


def _assert_shows(qtbot, w, want: dict) -> None:
    s = w.session
    assert np.allclose(np.ravel(w.scatter.view_range()), np.ravel(want["view"]), atol=1e-6)
    if want["selection"] is None:
        assert s.selection is None or not s.selection.any()
    else:
        assert np.array_equal(s.selection, want["selection"])
    assert s.colour_field == want["colour"] and w.layout_bar.colour_combo.currentText() == want["colour"]
    _wait_preview(qtbot, w, want["title"])


def test_three_slides_show_their_view_selection_and_preview_again(qtbot, windows, tiny_checkpoints):
    w = windows(tiny_checkpoints["vae"])
    made = _three_slides(qtbot, w)
    s = w.session
    s.edit("Select", lambda: s.set_selection(None))
    w.scatter.reset_view()
    for i in (0, 2, 1, 0):
        assert w.slide_show.go_to(i)
        _assert_shows(qtbot, w, made[i])
        assert w.slides_panel.slide_list.currentRow() == i
    assert s.selected == 3 and s.current[0] == "#3"
    w.slide_show.go_to(2)
    _assert_shows(qtbot, w, made[2])
    assert s.selected is None and s.current[0] == "the mean code"
    assert np.allclose(s.current[1], s.bank.latents.mean(0))
    assert s.history.undo_label() == "Show Slide 3"  # showing a slide is one undoable step
    s.history.undo()
    assert np.array_equal(s.selection, made[0]["selection"])
    w.docks["Slides"].raise_()
    _grab(w, w.docks["Slides"])


def test_slides_are_renamed_reordered_and_removed_from_the_panel(qtbot, windows, tiny_checkpoints):
    w = windows(tiny_checkpoints["vae"])
    _three_slides(qtbot, w)
    s, panel = w.session, w.slides_panel
    w.docks["Slides"].show()
    w.docks["Slides"].raise_()
    panel.slide_list.item(0).setText("Intro")  # what the in-place editor (F2, double-click) does
    qtbot.waitUntil(lambda: s.slides.names()[0] == "Intro", timeout=5000)
    panel.slide_list.item(1).setText("   ")  # no name: refused, the list shows the slide's name again
    qtbot.waitUntil(lambda: "needs a name" in w.message_bar.text(), timeout=5000)
    assert s.slides.names() == ["Intro", "Slide 2", "Slide 3"] and panel.slide_list.item(1).text() == "Slide 2"
    panel.slide_list.setCurrentRow(0)
    panel.buttons["down"].click()
    assert s.slides.names() == ["Slide 2", "Intro", "Slide 3"] and panel.slide_list.currentRow() == 1
    assert not panel.buttons["down"].isEnabled() or panel.slide_list.currentRow() < 2
    panel.slide_list.model().moveRow(panel.slide_list.rootIndex(), 2, panel.slide_list.rootIndex(), 0)  # a drag
    qtbot.waitUntil(lambda: s.slides.names() == ["Slide 3", "Slide 2", "Intro"], timeout=5000)
    assert [panel.slide_list.item(i).text() for i in range(3)] == s.slides.names()
    # Double-click edits the name in place; Enter shows the chosen slide.
    lst = panel.slide_list
    w.slide_show.index = -1
    centre = lst.visualItemRect(lst.item(2)).center()
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert lst.state() == lst.State.EditingState and w.slide_show.index == -1  # renaming, not showing
    editor = lst.findChild(QLineEdit)
    editor.setText("Closing")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: s.slides.names() == ["Slide 3", "Slide 2", "Closing"], timeout=5000)
    s.history.undo()
    assert s.slides.names() == ["Slide 3", "Slide 2", "Intro"]
    lst.setCurrentRow(2)
    qtbot.keyClick(lst, Qt.Key.Key_Return)
    assert w.slide_show.index == 2
    panel.slide_list.setCurrentRow(1)
    panel.buttons["remove"].click()
    assert s.slides.names() == ["Slide 3", "Intro"]
    s.history.undo()
    assert s.slides.names() == ["Slide 3", "Slide 2", "Intro"] and panel.slide_list.count() == 3
    _grab(w, w.docks["Slides"])


def test_slides_survive_saving_reopening_and_the_autosave(qtbot, windows, tiny_checkpoints, tmp_path, state_dir):
    w = windows(tiny_checkpoints["vae"])
    made = _three_slides(qtbot, w)
    w.slide_show.rename_slide(1, "Glasses")
    assert w.sessions.autosave(block=True)
    saved = load_session(state_dir / "autosave.lesession")
    n, d = saved.bank.latents.shape
    assert from_document(saved.sections, saved.arrays, n, d).names() == ["Slide 1", "Glasses", "Slide 3"]
    path = tmp_path / "talk.lesession"
    assert w.sessions.save_as(path)
    w.close()

    w2 = windows(path)
    qtbot.waitUntil(lambda: w2.sessions.path == path, timeout=30000)
    assert w2.session.slides.names() == ["Slide 1", "Glasses", "Slide 3"]
    assert w2.slides_panel.slide_list.count() == 3
    for i in (1, 2, 0):
        w2.slide_show.go_to(i)
        _assert_shows(qtbot, w2, made[i])


def test_presentation_mode_hides_the_chrome_steps_with_keys_and_restores_everything(qtbot, windows,
                                                                                    tiny_checkpoints):
    w = windows(tiny_checkpoints["vae"])
    made = _three_slides(qtbot, w)
    s = w.session
    docks = {t: d.isVisible() for t, d in w.docks.items()}
    font = QApplication.font().pointSizeF()
    w.slide_show.index = -1
    qtbot.keyClick(w, Qt.Key.Key_F11)
    assert w.presenter.presenting and w.presenter.action.isChecked()
    assert w.isFullScreen() and w.windowState() & Qt.WindowState.WindowFullScreen
    assert not w.menuBar().isVisible() and not w.statusBar().isVisible() and not w.layout_bar.isVisible()
    assert [t for t, d in w.docks.items() if d.isVisible()] == ["Preview"]
    assert QApplication.font().pointSizeF() > font
    # every widget takes the larger font, not just new ones (the theme's style sheet once kept the old one)
    for label in (w.preview.details, w.scatter.legend):
        assert label.fontInfo().pointSizeF() >= QApplication.font().pointSizeF() - 0.5
    assert w.preview.image.width() > PREVIEW_SIDE
    _assert_shows(qtbot, w, made[0])  # presenting starts at the first slide
    assert w.presenter.caption.isVisible() and w.presenter.caption.text() == "Slide 1  ·  1 / 3"
    _grab(w, w)
    for key, index in ((Qt.Key.Key_Right, 1), (Qt.Key.Key_PageDown, 2), (Qt.Key.Key_Space, 2),
                       (Qt.Key.Key_Left, 1), (Qt.Key.Key_PageUp, 0), (Qt.Key.Key_Left, 0), (Qt.Key.Key_Right, 1)):
        qtbot.keyClick(w, key)
        assert w.slide_show.index == index
        _assert_shows(qtbot, w, made[index])
        assert w.presenter.caption.text().endswith(f"{index + 1} / 3")
        _grab(w, w)
    selection = s.selection
    qtbot.keyClick(w, Qt.Key.Key_Escape)  # leaves; does not also clear the selection
    assert not w.presenter.presenting and not w.presenter.action.isChecked()
    assert s.selection is selection
    assert not w.isFullScreen() and w.menuBar().isVisible() and w.statusBar().isVisible()
    assert w.layout_bar.isVisible() and not w.presenter.caption.isVisible()
    assert {t: d.isVisible() for t, d in w.docks.items()} == docks
    assert QApplication.font().pointSizeF() == font and w.preview.image.width() == PREVIEW_SIDE
    assert abs(w.preview.details.fontInfo().pointSizeF() - font) < 0.5
    qtbot.keyClick(w, Qt.Key.Key_Escape)  # now Esc is the window's again: it clears the selection
    assert s.selection is None or not s.selection.any()
    _grab(w, w)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_presentation_mode_in_each_theme(qtbot, windows, tiny_checkpoints, theme):
    from explorer.ui.theme import THEMES

    w = windows(tiny_checkpoints["vae"])
    w.set_theme(theme)
    w.slide_show.add_slide()
    w.presenter.action.trigger()
    assert w.presenter.presenting and "Slide 1" in w.presenter.caption.text()
    assert THEMES[theme].text in w.presenter.caption.styleSheet()
    _grab(w, w)
    _grab(w, w.presenter.caption)
    qtbot.keyClick(w, Qt.Key.Key_F11)  # F11 again leaves, with the menu bar that holds it hidden
    assert not w.presenter.presenting and w.menuBar().isVisible()


def test_presenting_without_slides_says_how_to_make_one(qtbot, windows, tiny_checkpoints):
    w = windows(tiny_checkpoints["vae"])
    w.slides_panel.buttons["present"].setEnabled(True)
    w.slides_panel.buttons["present"].click()
    assert w.presenter.presenting and "Ctrl+B" in w.presenter.caption.text()
    qtbot.keyClick(w, Qt.Key.Key_Right)  # nothing to step to, nothing breaks
    assert w.slide_show.index == -1
    w.close()  # closing while presenting keeps the docks as they were, not hidden
    assert not w.presenter.presenting


def _pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def test_export_writes_a_png_per_slide_and_one_pdf(qtbot, windows, tiny_checkpoints, tmp_path, monkeypatch):
    w = windows(tiny_checkpoints["vae"])
    made = _three_slides(qtbot, w)
    w.slide_show.go_to(1)
    _assert_shows(qtbot, w, made[1])
    history = len(w.session.history)
    w.settings.set_last_folder(str(tmp_path))
    asked = []
    out = tmp_path / "talk"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: asked.append(a) or str(out))
    with qtbot.waitSignal(w.slide_show.export.finished, timeout=60000):
        w.slide_show.choose_export()
    assert asked[0][2] == str(tmp_path)  # the dialog opened in the last folder used
    names = sorted(p.name for p in out.iterdir())
    assert names == ["slide-01-slide-1.png", "slide-02-slide-2.png", "slide-03-slide-3.png", PDF_NAME]  # no temp files
    for name in names[:3]:
        image = QImage(str(out / name))
        assert not image.isNull() and (image.width(), image.height()) == SLIDE_SIZE
    assert (out / PDF_NAME).read_bytes().startswith(b"%PDF") and _pdf_pages(out / PDF_NAME) == 3
    assert w.settings.last_folder() == str(out)
    # The view is the one shown before the export, and the export left no undo steps.
    _assert_shows(qtbot, w, made[1])
    assert len(w.session.history) == history and w.slide_show.index == 1
    # Each slide's image is the slide's own: slide 1 and 2 differ where their previews are.
    one, two = (QImage(str(out / n)) for n in names[:2])
    assert one != two


def test_export_into_an_unusable_folder_says_so_and_writes_nothing(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    w.slide_show.add_slide()
    blocker = tmp_path / "out" / "a-file"
    blocker.parent.mkdir()
    blocker.write_text("not a folder")
    with qtbot.waitSignal(w.slide_show.export.failed, timeout=10000) as failed:
        assert not w.slide_show.export.start(blocker / "slides")
    assert str(blocker / "slides") in failed.args[0] and "Not a directory" in failed.args[0]
    assert failed.args[0] in w.message_bar.text() and w.message_bar.isVisible()
    assert sorted(p.name for p in blocker.parent.iterdir()) == ["a-file"]
    assert not w.slide_show.export.busy()


def test_a_file_that_cannot_be_written_is_named_and_the_old_pdf_stays(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    w.slide_show.add_slide()
    w.slide_show.add_slide()
    out = tmp_path / "out"
    (out / "slide-02-slide-2.png").mkdir(parents=True)  # something in the way of the second slide
    (out / PDF_NAME).write_bytes(b"the old PDF")
    with qtbot.waitSignal(w.slide_show.export.failed, timeout=60000) as failed:
        assert w.slide_show.export.start(out)
    assert str(out / "slide-02-slide-2.png") in failed.args[0]
    assert (out / PDF_NAME).read_bytes() == b"the old PDF"
    assert sorted(p.name for p in out.iterdir()) == sorted([PDF_NAME, "slide-01-slide-1.png", "slide-02-slide-2.png"])
    assert not w.slide_show.export.busy() and w.jobs.key is None


def test_a_slide_with_a_walk_plays_it_when_shown_and_stops_it_after(qtbot, windows, tiny_checkpoints):
    w = windows(tiny_checkpoints["vae"])
    s = w.session
    for i in (2, 9):
        w.points.select_point(i)
        w.walks.add_waypoint()
    w.walks.walk_path("lerp", 6)
    qtbot.waitUntil(lambda: w.walk.filmstrip.count() == 6, timeout=20000)
    w.slide_show.add_slide()
    walk = s.slides[0].walk
    assert walk is not None and (walk.method, walk.steps) == ("lerp", 6)
    assert [label for label, _ in walk.waypoints] == ["#2", "#9"]
    w.points.select_point(5)  # a point clicked after walking (the path still drawn): a slide about that point
    w.slide_show.add_slide()
    assert s.slides[1].walk is None
    w.slide_show.remove_slide(1)
    w.walks.clear_waypoints()
    w.points.select_point(4)
    w.slide_show.add_slide()
    assert s.slides[1].walk is None  # no walk drawn, none kept
    w.slide_show.go_to(0)
    assert [label for label, _ in s.waypoints] == ["#2", "#9"]
    qtbot.waitUntil(w.walks.is_playing, timeout=20000)
    w.slide_show.go_to(1)
    assert not w.walks.is_playing()
    _wait_preview(qtbot, w, "Point #4")
