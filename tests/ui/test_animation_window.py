"""Export animation… and Play in the window, on a tiny real GAN (offscreen)."""

from __future__ import annotations

import os

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from explorer.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, config_dir, state_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["gan"]), bank_size=120, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()


@pytest.fixture
def out_dir(tmp_path):
    """Where the tests write (tmp_path also holds the settings and state folders)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _walk_three(qtbot, w, steps: int = 7) -> None:
    for i in (3, 40, 77):
        w.points.select_point(i)
        w.walks.add_waypoint()
    w.walks.walk_path("slerp", steps)
    qtbot.waitUntil(lambda: w.walk.filmstrip.count() == steps, timeout=20000)


def _finish(qtbot, w) -> None:
    qtbot.waitUntil(lambda: not w.jobs.busy(), timeout=60000)


def test_export_the_walk_as_mp4_and_a_loop_as_gif(qtbot, window, out_dir):
    _walk_three(qtbot, window)
    mp4 = out_dir / "talk" / "walk.mp4"
    assert window.animations.export(str(mp4), "walk", frames_per_segment=5, width=45, fps=10) is not None
    assert window.jobs.busy()
    _finish(qtbot, window)
    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    assert meta["codec"] == "h264" and meta["size"] == (46, 46) and sum(1 for _ in reader) == 2 * 5 + 1
    assert str(mp4) in window.statusBar().currentMessage()
    assert window.settings.last_folder() == str(mp4.parent)

    gif = out_dir / "loop.gif"
    window.animations.export(str(gif), "loop", frames_per_segment=4, width=64, hold=1, caption=True)
    _finish(qtbot, window)
    with Image.open(gif) as im:
        assert im.info["loop"] == 0 and im.size[0] == 64 and im.size[1] > 64
    assert window.animations.last_result["frames"] == 3 * 4 + 3
    assert window.animations.last_result["distinct_frames"] == 12
    assert sorted(os.listdir(out_dir)) == ["loop.gif", "talk"]


def test_the_waypoints_are_the_images_the_walk_shows(qtbot, window, out_dir):
    """Frames written are decoded for keeps from the session's waypoints."""
    from models.loading import load_latent_model
    from models.reproducible import decode_for_keeps

    _walk_three(qtbot, window)
    out = out_dir / "frames"
    window.animations.export(str(out), "walk", frames_per_segment=3, width=None)
    _finish(qtbot, window)
    assert len(os.listdir(out)) == 7
    model = load_latent_model(window.session.model_path)
    bank = window.session.bank
    ends = decode_for_keeps(model, bank.latents[[3, 77]].reshape(2, *model.latent_shape))
    assert np.array_equal(np.asarray(Image.open(out / "frame_00000.png")), ends[0])
    assert np.array_equal(np.asarray(Image.open(out / "frame_00006.png")), ends[1])


def test_a_direction_sweep(qtbot, window, out_dir):
    s = window.session
    window.points.select_point(9)
    assert window.arith.define_vector("up", "current point", "", "mean") is not None
    window.arithmetic.direction.setCurrentText("up")
    window.points.select_point(5)
    out = out_dir / "sweep"
    window.animations.export(str(out), "sweep", frames_per_segment=6, width=None, amount=2.0)
    _finish(qtbot, window)
    assert window.animations.last_result["frames"] == 7 and len(os.listdir(out)) == 7
    from explorer.core.edits import move_along
    from models.loading import load_latent_model
    from models.reproducible import decode_for_keeps

    model = load_latent_model(s.model_path)
    start = move_along(s.bank.latents[5], s.vectors["up"].vector, -2.0)
    first = decode_for_keeps(model, start.reshape(1, *model.latent_shape))[0]
    assert np.array_equal(np.asarray(Image.open(out / "frame_00000.png")), first)


def test_refusals_are_clear_messages(qtbot, window, out_dir):
    assert window.animations.export(str(out_dir / "w.mp4"), "walk") is None
    assert "two waypoints" in window.message_bar.text()
    _walk_three(qtbot, window, 4)
    assert window.animations.export(str(out_dir / "w.avi"), "walk") is None
    assert ".avi" in window.message_bar.text()
    assert window.animations.export(str(out_dir / "w.gif"), "sweep") is None
    assert "direction" in window.message_bar.text()
    assert os.listdir(out_dir) == []


def test_an_unwritable_target_is_a_message_naming_it(qtbot, window, out_dir):
    _walk_three(qtbot, window, 4)
    blocker = out_dir / "notes.txt"
    blocker.write_text("keep me")
    window.animations.export(str(blocker / "walk.mp4"), "walk", frames_per_segment=2, width=32)
    _finish(qtbot, window)
    assert str(blocker / "walk.mp4") in window.message_bar.text()
    assert blocker.read_text() == "keep me"


def test_cancel_leaves_nothing_behind(qtbot, window, out_dir):
    _walk_three(qtbot, window, 4)
    out = out_dir / "long.mp4"
    window.animations.export(str(out), "walk", frames_per_segment=400, width=1024)
    bar = window.jobs.progress_bar
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() > 0, timeout=30000)
    window.jobs.cancel()
    _finish(qtbot, window)
    assert "cancelled" in window.statusBar().currentMessage()
    assert not out.exists() and not [n for n in os.listdir(out_dir) if n.startswith(".")]


def test_the_dialog_is_painted_and_its_options_export(qtbot, window, out_dir):
    _walk_three(qtbot, window, 4)
    window.animations.choose()
    dialog = window.animations.dialog
    assert dialog.isVisible()  # open(): shown, and choose() returned without waiting for an answer
    qtbot.waitExposed(dialog)
    pixmap = dialog.grab()
    assert not pixmap.isNull() and pixmap.width() > 200
    assert dialog.path_edit.text().endswith("walk.mp4")
    dialog.path_edit.setText(str(out_dir / "from_dialog.gif"))
    dialog.per_segment.setValue(3)
    dialog.out_size.setValue(40)
    dialog.order.setCurrentText("ping-pong")
    dialog.accept()
    _finish(qtbot, window)
    with Image.open(out_dir / "from_dialog.gif") as im:
        assert im.size == (40, 40)
    assert window.animations.last_result["frames"] == 7 + 5


def test_play_advances_the_slider_and_stop_stops_it(qtbot, window):
    assert not window.walks.play()  # nothing decoded yet
    _walk_three(qtbot, window, 6)
    slider = window.walk.slider
    assert window.walk.play_button.isEnabled()
    window.walk.play_button.click()
    assert window.walks.is_playing() and window.walk.play_button.text() == "Stop"
    seen = set()
    qtbot.waitUntil(lambda: seen.add(slider.value()) or len(seen) >= 6, timeout=10000)  # round and round
    pixmap = window.docks["Walk"].grab()
    assert not pixmap.isNull()
    assert window.preview.shown_image is not None
    window.walk.play_button.click()
    assert not window.walks.is_playing() and window.walk.play_button.text() == "Play"
    stopped = slider.value()
    qtbot.wait(300)
    assert slider.value() == stopped
    window.walks.clear_waypoints()
    assert not window.walk.play_button.isEnabled()


def test_play_with_waypoints_but_no_walk_walks_first_then_plays(qtbot, window):
    """What a slide with a walk does when it opens: one call."""
    for i in (3, 40):
        window.points.select_point(i)
        window.walks.add_waypoint()
    window.walk.steps.setValue(5)
    assert window.walks.play() and window.walks.is_playing()
    qtbot.waitUntil(lambda: window.walk.filmstrip.count() == 5, timeout=10000)
    seen = set()
    qtbot.waitUntil(lambda: seen.add(window.walk.slider.value()) or len(seen) == 5, timeout=10000)
    window.walks.stop()
    assert not window.walks.is_playing()
