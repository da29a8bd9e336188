"""Sessions in the window: save, reopen bit-exactly, bad files, a missing or
changed model, an interrupted save, autosave and recovery after a crash, the
last session at start-up, and dropping a session file (offscreen, tiny models)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from explorer.core.session import AXES
from explorer.core.session_file import load_session, save_session
from explorer.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
BANK = 150


@pytest.fixture
def windows(qtbot, config_dir, state_dir):
    """Builds main windows and closes (joins) whatever a test leaves open."""
    made: list[MainWindow] = []

    def build(target=None, *, wait: bool = True, bank_size: int = BANK) -> MainWindow:
        w = MainWindow(None if target is None else str(target), bank_size=bank_size, threads=1)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        if wait:
            qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
        return w

    yield build
    for w in made:
        if w.isVisible():  # not closed by the test already
            w.close()


def _square_around_the_middle(points: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(points, 25, axis=0), np.percentile(points, 75, axis=0)
    return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]], np.float64)


def _wait_opened(qtbot, w: MainWindow, path: Path) -> None:
    qtbot.waitUntil(lambda: w.sessions.path == Path(path) and w.session.bank is not None, timeout=30000)


def _vectors(session) -> list:
    """The named vectors of a session, or of a loaded document, in order."""
    if isinstance(session.vectors, list):
        return session.vectors
    return [session.vectors[n] for n in session.vectors.names()]


def _assert_same_arrays(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b)


# ----------------------------------------------------------------------------- round trips

def test_a_saved_session_reopens_bit_exactly(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    s = w.session
    n = len(s.bank)
    tsne = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    umap = np.random.default_rng(1).normal(size=(n, 2)).astype(np.float32)
    s.layout_cache[("UMAP", id(s.bank))] = umap
    s.layout_cache[("t-SNE", id(s.bank))] = tsne
    w.layouts.set_layout("t-SNE")
    assert s.layout_method == "t-SNE" and np.array_equal(s.points, tsne)
    assert w.arith.define_vector("man", "query", "male", "mean") is not None
    assert w.arith.define_vector("specs", "query", "glasses & !hat", "balanced") is not None
    w.scatter.lassoFinished.emit(_square_around_the_middle(s.points))
    assert s.selection is not None and 0 < s.selection.sum() < n
    for i in (3, 17):
        w.points.select_point(i)
        w.walks.add_waypoint()
    w.layout_bar.colour_combo.setCurrentText("smiling")
    assert s.colour_field == "smiling"
    w.scatter.set_view_range((-1.25, 0.75), (-0.5, 1.5))
    view = w.scatter.view_range()
    assert w.sessions.is_dirty()

    path = tmp_path / "s.lesession"
    assert w.sessions.save_as(path)
    assert not w.sessions.is_dirty() and w.sessions.path == path and "s.lesession" in w.windowTitle()
    saved = dict(bank=s.bank, points=s.points.copy(), vectors=_vectors(s), waypoints=list(s.waypoints),
                 selection=s.selection.copy(), selected=s.selected)
    w.close()

    w2 = windows(path)
    _wait_opened(qtbot, w2, path)
    r, b = w2.session, saved["bank"]
    for name in ("latents", "seeds", "indices", "thumbnails"):
        _assert_same_arrays(getattr(r.bank, name), getattr(b, name))
    assert r.bank.thumbnails is not None and r.bank.latent_shape == b.latent_shape and r.bank.source == b.source
    assert list(r.bank.attributes) == list(b.attributes)
    for key in b.attributes:
        _assert_same_arrays(r.bank.attributes[key], b.attributes[key])
    assert r.layout_method == "t-SNE" and r.layout_kind() == "t-SNE"
    _assert_same_arrays(r.points, saved["points"])
    _assert_same_arrays(r.cached_embedding("UMAP"), umap)  # the other embedding is not recomputed either
    assert [v.name for v in _vectors(r)] == ["man", "specs"]
    for got, want in zip(_vectors(r), saved["vectors"]):
        _assert_same_arrays(got.vector, np.asarray(want.vector, np.float32).ravel())
        assert (got.origin, got.source, got.query, got.kind, got.count, got.accuracy) == \
            (want.origin, want.source, want.query, want.kind, want.count, want.accuracy)
    assert [label for label, _ in r.waypoints] == ["#3", "#17"]
    for (_, got), (_, want) in zip(r.waypoints, saved["waypoints"]):
        assert np.array_equal(got, np.asarray(want).ravel())
    _assert_same_arrays(r.selection, saved["selection"])
    assert r.colour_field == "smiling" and w2.layout_bar.colour_combo.currentText() == "smiling"
    assert r.selected == saved["selected"] == 17 and r.current[0] == "#17"
    # The preview shows the restored point again: its image and its words.
    qtbot.waitUntil(lambda: w2.preview.shown_image is not None, timeout=10000)
    assert w2.preview.state.title == "Point #17"
    assert w2.preview.shown_image.shape == w2.session.bank.thumbnails[17].shape
    assert w2.layout_bar.layout_combo.currentText() == "t-SNE"
    assert w2.walk.waypoints.count() == 2 and w2.arithmetic.vector_list.count() == 2
    assert w2.layouts.projection_job is None
    assert not r.history.can_undo() and not r.history.can_redo()
    assert not w2.sessions.is_dirty() and "*" not in w2.windowTitle()
    qtbot.wait(50)  # whatever the window does once it is on screen must not move the view
    (x0, x1), (y0, y1) = w2.scatter.view_range()
    assert np.allclose([x0, x1, y0, y1], [*view[0], *view[1]], atol=1e-6)
    assert not w2.message_bar.text()


def test_attribute_axes_layout_round_trips(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    s = w.session
    w.arith.define_vector("man", "query", "male", "mean")
    w.arith.define_vector("smile", "query", "smiling", "mean")
    w.layout_bar.axis_x.setCurrentText("smile")
    w.layout_bar.axis_y.setCurrentText("man")
    w.layouts.set_layout(AXES)
    assert s.layout_axes == ("smile", "man") and s.layout_kind() == AXES
    w.layout_bar.colour_combo.setCurrentText("(none)")
    assert s.colour_field == ""
    s.layout_cache[("UMAP", id(s.bank))] = np.zeros((3, 2), np.float32)  # stale: of an older bank with this id
    points = s.points.copy()
    path = tmp_path / "axes.lesession"
    assert w.sessions.save_as(path)
    w.close()

    w2 = windows(path)
    _wait_opened(qtbot, w2, path)
    r = w2.session
    assert r.layout_axes == ("smile", "man") and r.layout_kind() == AXES
    _assert_same_arrays(r.points, points)
    bar = w2.layout_bar
    assert bar.layout_combo.currentText() == AXES and bar.axis_x.isVisibleTo(w2)
    assert (bar.axis_x.currentText(), bar.axis_y.currentText()) == ("smile", "man")
    assert r.colour_field == "" and bar.colour_combo.currentText() == "(none)"
    assert r.cached_embedding("UMAP") is None
    assert w2.layouts.projection_job is None and not w2.sessions.is_dirty()


# ----------------------------------------------------------------------------- bad files

def _good_session(w: MainWindow, path: Path) -> None:
    save_session(path, w.sessions.document())  # not save_as: the window's own file stays mine.lesession


def _rewrite(path: Path, edit_json=None, drop: tuple = ()) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if edit_json:
        root = json.loads(members["session.json"])
        edit_json(root)
        members["session.json"] = json.dumps(root).encode()
    for name in drop:
        del members[name]
    path.unlink()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _truncated(w, path):
    _good_session(w, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_a_zip(w, path):
    path.write_bytes(np.random.default_rng(3).bytes(4000))


def _wrong_json(w, path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("session.json", b"{not json")


def _future_version(w, path):
    _good_session(w, path)
    _rewrite(path, lambda root: root.update(version=99))


def _missing_array(w, path):
    _good_session(w, path)
    _rewrite(path, drop=("arrays/latents.npy",))


@pytest.mark.parametrize("make, cause", [
    (_truncated, "zip"), (_not_a_zip, "not a zip"), (_wrong_json, "json"),
    (_future_version, "newer"), (_missing_array, "missing")])
def test_a_bad_session_file_is_named_and_the_session_is_untouched(qtbot, windows, tiny_checkpoints, tmp_path,
                                                                    make, cause):
    w = windows(tiny_checkpoints["vae"])
    w.arith.define_vector("man", "query", "male", "mean")
    w.sessions.save_as(tmp_path / "mine.lesession")
    bad = tmp_path / "bad.lesession"
    make(w, bad)
    bank, vectors, revision = w.session.bank, _vectors(w.session), w.session.revision
    assert not w.sessions.open_session(bad)
    text = w.message_bar.text()
    assert text.count(str(bad)) == 1 and cause in text.lower() and "\n" not in text, text
    qtbot.wait(100)  # nothing arrives later either
    assert w.session.bank is bank and _vectors(w.session) == vectors and w.session.revision == revision
    assert w.sessions.path == tmp_path / "mine.lesession" and w.models.info.name == "vae"
    assert w.sessions.dialog is None  # a broken file is not a missing model: nothing to locate


# ----------------------------------------------------------------------------- the model

def _session_on_a_copy(windows, tiny_checkpoints, tmp_path) -> tuple[Path, Path, list]:
    """A session saved on a copy of the tiny VAE in tmp_path; the window is closed."""
    model = tmp_path / "models" / "mine.safetensors"
    model.parent.mkdir()
    shutil.copy(tiny_checkpoints["vae"], model)
    w = windows(model)
    w.arith.define_vector("man", "query", "male", "mean")
    path = tmp_path / "on-copy.lesession"
    assert w.sessions.save_as(path)
    vectors = _vectors(w.session)
    w.close()
    return path, model, vectors


def test_a_missing_model_is_named_and_can_be_located(qtbot, windows, tiny_checkpoints, tmp_path, monkeypatch):
    path, model, vectors = _session_on_a_copy(windows, tiny_checkpoints, tmp_path)
    moved = tmp_path / "elsewhere" / "moved.safetensors"
    moved.parent.mkdir()
    shutil.move(model, moved)

    w = windows(tiny_checkpoints["gan"])
    assert not w.sessions.open_session(path)
    text = w.message_bar.text()
    assert str(path) in text and str(model) in text and "missing" in text
    dialog = w.sessions.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    labels = [b.text() for b in dialog.buttons()]
    assert "Locate…" in labels and "Open anyway" not in labels  # nothing to open anyway
    assert w.models.info.family == "gan"  # still the model that was open

    from explorer.ui import session_controller
    asked = []
    monkeypatch.setattr(session_controller.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (asked.append(a), (str(moved), ""))[1]))
    next(b for b in dialog.buttons() if b.text() == "Locate…").click()
    _wait_opened(qtbot, w, path)
    assert asked and not dialog.isVisible()
    assert w.models.info.family == "vae" and w.session.model_path == str(moved)
    assert [v.name for v in _vectors(w.session)] == ["man"]
    assert np.array_equal(_vectors(w.session)[0].vector, vectors[0].vector)
    assert not w.message_bar.text() and not w.sessions.is_dirty()


def test_open_session_with_a_located_model(qtbot, windows, tiny_checkpoints, tmp_path):
    path, model, vectors = _session_on_a_copy(windows, tiny_checkpoints, tmp_path)
    other = tmp_path / "other-copy.safetensors"
    shutil.copy(model, other)
    model.unlink()
    w = windows(path, wait=False)
    assert "missing" in w.message_bar.text() and w.sessions.dialog is not None
    w.sessions.dialog.reject()
    assert w.sessions.open_session(path, model_path=str(other))
    _wait_opened(qtbot, w, path)
    assert [v.name for v in _vectors(w.session)] == ["man"] and w.session.model_path == str(other)


def test_a_changed_model_is_named_and_can_be_opened_anyway(qtbot, windows, tiny_checkpoints, tmp_path):
    path, model, _ = _session_on_a_copy(windows, tiny_checkpoints, tmp_path)
    doc = load_session(path)
    shutil.copy(tiny_checkpoints["gan"], model)  # same latent size, different model

    w = windows(tiny_checkpoints["vae"])
    bank = w.session.bank
    assert not w.sessions.open_session(path)
    text = w.message_bar.text()
    assert str(model) in text and "has changed" in text
    dialog = w.sessions.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    labels = [b.text() for b in dialog.buttons()]
    assert "Locate…" in labels and "Open anyway" in labels
    assert w.session.bank is bank
    next(b for b in dialog.buttons() if b.text() == "Open anyway").click()
    _wait_opened(qtbot, w, path)
    assert w.models.info.family == "gan"
    assert np.array_equal(w.session.bank.latents, doc.bank.latents)  # the session's codes, decoded by the new model
    assert [v.name for v in _vectors(w.session)] == ["man"]


def test_a_session_whose_model_fails_to_open_is_not_applied_to_the_next_model(qtbot, windows, tiny_checkpoints,
                                                                             tmp_path):
    w = windows(tiny_checkpoints["vae"])
    w.arith.define_vector("man", "query", "male", "mean")
    path = tmp_path / "s.lesession"
    assert w.sessions.save_as(path)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"junk")
    with qtbot.waitSignal(w.client.failed, timeout=10000):
        assert w.sessions.open_session(path, model_path=str(junk), check=False)
    assert str(junk) in w.message_bar.text() and "still showing vae" in w.message_bar.text()
    w.arith.define_vector("specs", "query", "glasses", "mean")
    assert w.sessions.autosave(block=True)  # the session on screen is still autosaved

    with qtbot.waitSignal(w.client.bankReady, timeout=30000):
        w.models.open_checkpoint(str(tiny_checkpoints["gan"]))
    qtbot.wait(50)
    assert w.models.info.family == "gan" and w.session.bank.source.startswith("prior samples")
    assert w.session.vectors.names() == [] and w.sessions.path is None


def test_a_model_whose_latent_does_not_fit_the_session_is_refused_by_name(qtbot, windows, tiny_checkpoints,
                                                                          tmp_path):
    path, model, _ = _session_on_a_copy(windows, tiny_checkpoints, tmp_path)
    shutil.copy(tiny_checkpoints["ddpm"], model)  # latent 3×16×16, the session's codes are 8-d
    w = windows(tiny_checkpoints["vae"])
    assert w.sessions.open_session(path, check=False)  # "Open anyway"
    qtbot.waitUntil(lambda: w.models.info.family == "diffusion" and w.session.bank is not None
                    and w.session.bank.latents.shape[1] == 3 * 16 * 16, timeout=60000)
    text = w.message_bar.text()
    assert str(path) in text and "do not fit" in text and "3×16×16" in text, text
    assert w.sessions.path is None and w.session.vectors.names() == []


# ----------------------------------------------------------------------------- saving

def test_an_interrupted_save_keeps_the_old_file(qtbot, windows, tiny_checkpoints, tmp_path, monkeypatch,
                                                 disk_full_after_first_array):
    w = windows(tiny_checkpoints["vae"])
    folder = tmp_path / "work"
    path = folder / "s.lesession"
    assert w.sessions.save_as(path)
    before = path.read_bytes()
    w.arith.define_vector("man", "query", "male", "mean")
    assert w.sessions.is_dirty()
    calls = disk_full_after_first_array()
    assert not w.sessions.save()
    monkeypatch.undo()
    assert len(calls) == 2
    text = w.message_bar.text()
    assert str(path) in text and "No space left on device" in text and ".tmp" not in text
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["s.lesession"]
    assert w.sessions.is_dirty() and w.sessions.path == path and "*" in w.windowTitle()
    assert [v.name for v in _vectors(load_session(path))] == []

    assert w.sessions.save()  # space again: the same file, now with the vector
    assert [v.name for v in _vectors(load_session(path))] == ["man"] and not w.sessions.is_dirty()


# ----------------------------------------------------------------------------- autosave, recovery, the last session

CRASHING_SCRIPT = """
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.ui.main_window import MainWindow
w = MainWindow(sys.argv[1], bank_size=120, threads=1)
w.show()
deadline = time.monotonic() + 60
while w.session.bank is None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
assert w.arith.define_vector("crash_vec", "query", "male & glasses", "mean") is not None
assert w.sessions.autosave(block=True)
print("AUTOSAVED", flush=True)
time.sleep(600)
"""


def test_autosave_restores_the_session_after_a_kill(qtbot, windows, tiny_checkpoints, tmp_path, state_dir, config_dir):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "LATENT_EXPLORER_STATE_DIR": str(state_dir), "LATENT_EXPLORER_CONFIG_DIR": str(config_dir)}
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_SCRIPT, str(tiny_checkpoints["vae"])], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "AUTOSAVED", proc.stderr.read() if proc.poll() is not None else line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    autosave = state_dir / "autosave.lesession"
    assert autosave.is_file() and not (state_dir / "last.lesession").exists()
    saved = load_session(autosave)

    w = windows(None, wait=False)
    qtbot.waitUntil(lambda: w.sessions.dialog is not None and w.sessions.dialog.isVisible(), timeout=10000)
    dialog = w.sessions.dialog
    assert dialog.button(QMessageBox.StandardButton.Yes).text() == "Restore"
    assert dialog.button(QMessageBox.StandardButton.No).text() == "Discard"
    assert w.session.bank is None  # nothing opens behind the question
    dialog.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    assert [v.name for v in _vectors(w.session)] == ["crash_vec"]
    assert np.array_equal(_vectors(w.session)[0].vector, saved.vectors[0].vector)
    assert np.array_equal(w.session.bank.latents, saved.bank.latents)
    assert w.sessions.path is None  # a recovered session is not the user's file: Save asks where
    assert not autosave.exists()  # asked once

    w.close()
    assert not autosave.exists() and (state_dir / "last.lesession").is_file()

    w2 = windows(None)
    qtbot.wait(50)
    assert w2.sessions.dialog is None  # a clean close: nothing to recover, nothing asked
    assert [v.name for v in _vectors(w2.session)] == ["crash_vec"]
    assert np.array_equal(w2.session.bank.latents, saved.bank.latents)


def test_discarding_the_autosave_opens_the_last_model(qtbot, windows, tiny_checkpoints, state_dir):
    w = windows(tiny_checkpoints["vae"])
    w.arith.define_vector("man", "query", "male", "mean")
    assert w.sessions.autosave(block=True)
    autosave = w.sessions.autosave_path
    shutil.copy(autosave, state_dir / "kept.lesession")
    w.close()
    assert not autosave.exists()
    shutil.move(state_dir / "kept.lesession", autosave)  # as if it had crashed
    (state_dir / "last.lesession").unlink()

    w2 = windows(None, wait=False)
    qtbot.waitUntil(lambda: w2.sessions.dialog is not None and w2.sessions.dialog.isVisible(), timeout=10000)
    w2.sessions.dialog.button(QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: w2.session.bank is not None, timeout=30000)
    assert w2.models.info.family == "vae" and len(w2.session.vectors.names()) == 0
    assert not autosave.exists()


def test_autosave_writes_only_changes_and_never_the_users_file(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    autosave = w.sessions.autosave_path
    assert not w.sessions.autosave(block=True) and not autosave.exists()  # nothing changed since the bank came
    w.arith.define_vector("man", "query", "male", "mean")
    assert w.sessions.autosave(block=True) and autosave.is_file()
    assert not w.sessions.autosave(block=True)  # nothing new

    mine = tmp_path / "mine.lesession"
    assert w.sessions.save_as(mine)
    before, autosaved = mine.read_bytes(), autosave.read_bytes()
    assert not w.sessions.autosave(block=True)  # saving is not a change
    w.arith.define_vector("specs", "query", "glasses", "mean")
    assert w.sessions.autosave(block=True)
    assert mine.read_bytes() == before and autosave.read_bytes() != autosaved
    assert [v.name for v in _vectors(load_session(autosave))] == ["man", "specs"]
    assert w.sessions.path == mine and w.sessions.is_dirty()  # autosave does not make the user's file saved
    assert autosave.parent != mine.parent


# ----------------------------------------------------------------------------- opening by drop

def test_dropping_a_session_file_opens_it(qtbot, windows, tiny_checkpoints, tmp_path):
    w = windows(tiny_checkpoints["vae"])
    w.arith.define_vector("man", "query", "male", "mean")
    path = tmp_path / "dropped.lesession"
    assert w.sessions.save_as(path)
    w.close()

    w2 = windows(tiny_checkpoints["gan"])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    w2.dropEvent(event)
    _wait_opened(qtbot, w2, path)
    assert w2.models.info.family == "vae" and [v.name for v in _vectors(w2.session)] == ["man"]
    assert "dropped.lesession" in w2.windowTitle()


def test_autosave_writes_in_the_background_and_a_quit_waits_for_it(qtbot, windows, tiny_checkpoints, state_dir,
                                                                   monkeypatch):
    import threading

    import explorer.ui.session_controller as session_controller

    w = windows(tiny_checkpoints["vae"])
    w.arith.define_vector("man", "query", "male", "mean")
    gate, writer = threading.Event(), []
    real = session_controller.save_session

    def slow_save(path, doc):  # the real writer, held until the test lets it go
        writer.append(threading.current_thread())
        gate.wait(30)
        real(path, doc)

    monkeypatch.setattr(session_controller, "save_session", slow_save)
    assert w.sessions.autosave()  # returns while the write is held
    qtbot.waitUntil(lambda: bool(writer), timeout=5000)
    assert writer[0] is not threading.main_thread() and not w.sessions.autosave_path.exists()
    assert not w.sessions.autosave()  # one write at a time
    gate.set()
    w.sessions.wait_for_autosave()
    assert load_session(w.sessions.autosave_path).vectors[0].name == "man"
