"""The main window, driven with qtbot on tiny real models (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from explorer.ui.main_window import MainWindow
from models.loading import load_latent_model

BANK = 150


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()  # joins the worker thread


def test_opens_with_a_latent_bank_laid_out_and_coloured(window):
    bank = window.session.bank
    assert len(bank) == BANK and bank.source == "encoded toyfaces images"
    assert window.scatter.points.shape == (BANK, 2)
    assert len(window.scatter.scatter) == BANK
    assert window.layout_bar.colour_combo.currentText() == "glasses"
    assert [window.layout_bar.colour_combo.itemText(i) for i in range(window.layout_bar.colour_combo.count())] == \
        ["(none)", "male", "glasses", "smiling", "hat", "beard", "tags"]
    status = window.models.model_label.text()
    assert "vae" in status and "device cpu" in status
    assert "idle" in window.worker_label.text()
    assert "samples from: N(0, I)" in window.models.model_label.toolTip()  # the tiny VAE has no fitted prior


def _scene_pos(window, index):
    vb = window.scatter.plot.getPlotItem().vb
    x, y = window.scatter.points[index]
    return vb.mapViewToScene(QPointF(float(x), float(y)))


def test_clicking_a_point_decodes_it_into_the_preview(qtbot, window, tiny_checkpoints):
    index = int(np.argmax(window.scatter.points[:, 0]))  # an outlying point: nothing else within the pick radius
    scene = _scene_pos(window, index)
    view = window.scatter.plot
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=10000)
    assert window.session.selected == index
    model = load_latent_model(tiny_checkpoints["vae"])
    expected = model.decode(window.session.bank.latent(index)[None])[0]
    assert np.array_equal(window.preview.shown_image, expected)
    text = window.preview.details.text()
    assert f"<b>{index}</b>" in text and "latent norm" in text and "glasses" in text


def test_hover_shows_a_thumbnail(qtbot, window):
    index = int(np.argmin(window.scatter.points[:, 1]))
    window.scatter._on_mouse_moved(_scene_pos(window, index))
    qtbot.waitUntil(lambda: window.tip.isVisible(), timeout=3000)
    assert window.tip.index == index
    assert window.tip.picture.pixmap().width() == 96
    window.scatter._on_mouse_moved(QPointF(-5000, -5000))
    qtbot.waitUntil(lambda: not window.tip.isVisible(), timeout=3000)


def test_zooming_hides_the_hovered_thumbnail(qtbot, window):
    index = int(np.argmin(window.scatter.points[:, 1]))
    window.scatter._on_mouse_moved(_scene_pos(window, index))
    qtbot.waitUntil(lambda: window.tip.isVisible(), timeout=3000)
    (x0, x1), (y0, y1) = window.scatter.view_range()
    window.scatter.set_view_range((x0, (x0 + x1) / 2), (y0, (y0 + y1) / 2))  # as a wheel step does, pointer still
    assert not window.tip.isVisible()


def test_colour_by_another_attribute(window):
    window.layout_bar.colour_combo.setCurrentText("male")
    assert window.session.colour_field == "male"
    drawn = window.scatter.scatter
    male = window.session.bank.attributes["male"] >= 0.5
    colour = {i: drawn.colours[c] for i, c in zip(drawn.indices, drawn.categories)}
    assert colour[np.flatnonzero(male)[0]] != colour[np.flatnonzero(~male)[0]]
    window.layout_bar.colour_combo.setCurrentText("(none)")
    assert len(set(drawn.categories.tolist())) == 1


def test_a_bad_checkpoint_is_named_and_the_model_stays_usable(qtbot, window, tmp_path):
    bank_before = window.session.bank
    bad = tmp_path / "not_a_model.safetensors"
    bad.write_bytes(b"\x00" * 64)
    with qtbot.waitSignal(window.client.failed, timeout=10000):
        window.models.open_checkpoint(str(bad))
    assert str(bad) in window.message_bar.text() and "still showing vae" in window.message_bar.text()
    assert window.session.bank is bank_before and window.models.info.name == "vae"
    window.points.select_point(3)
    qtbot.waitUntil(lambda: window.preview.shown_image is not None, timeout=10000)


def test_dropping_a_checkpoint_opens_it_and_records_it_as_recent(qtbot, window, tiny_checkpoints):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tiny_checkpoints["gan"]))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.client.bankReady, timeout=30000):
        window.dropEvent(event)
    assert window.models.info.family == "gan"
    assert window.session.bank.source.startswith("prior samples")
    recent = [a.text() for a in window.models.recent_menu.actions()]
    assert recent[0] == str(tiny_checkpoints["gan"].resolve()) and str(tiny_checkpoints["vae"].resolve()) in recent


def test_device_menu_offers_only_what_exists(qtbot, window):
    import torch

    assert window.models.device_actions["cpu"].isEnabled()
    assert window.models.device_actions["cuda"].isEnabled() == torch.cuda.is_available()
    with qtbot.waitSignal(window.client.deviceChanged, timeout=10000):
        window.models.device_actions["cpu"].trigger()
    assert "device cpu" in window.models.model_label.text()
    assert window.settings.device() == "cpu"


def test_cancel_the_bank_build(qtbot, window):
    window.models.bank_size = 6000
    window.models.rebuild_bank()
    assert window.jobs.cancel_button.isVisibleTo(window)
    with qtbot.waitSignal(window.client.cancelled, timeout=30000):
        window.jobs.cancel_button.click()
    assert not window.jobs.progress_bar.isVisibleTo(window)


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_dropping_images_encodes_them_into_the_scatter(qtbot, config_dir, tiny_checkpoints, tmp_path, family):
    from PIL import Image

    from models.data.toyfaces import make_toyfaces

    images, _ = make_toyfaces(3, seed=9, size=16)
    folder = tmp_path / "mine"
    folder.mkdir()
    for i, im in enumerate(images):
        Image.fromarray(im).save(folder / f"face{i}.png")
    w = MainWindow(str(tiny_checkpoints[family]), bank_size=80, threads=1)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    try:
        if family == "gan":
            w.client._worker.model.inversion_steps = 15
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(folder))])
        event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        with qtbot.waitSignal(w.client.encoded, timeout=60000):
            w.dropEvent(event)
        bank = w.session.bank
        assert len(bank) == 83 and w.session.points.shape == (83, 2)
        assert sorted(bank.user_files) == [80, 81, 82] and bank.user_files[80].endswith("face0.png")
        assert "your images" in w.scatter.overlays
        assert w.session.selected == 80 and "reconstruction error" in w.preview.details.text()
        # An encoded image is a point like any other: it can be a waypoint and a named vector.
        w.walks.add_waypoint()
        w.points.select_point(81)
        w.walks.add_waypoint()
        w.walks.walk_path("slerp", 4)
        assert np.allclose(w.walks.frames[0], bank.latents[80], atol=1e-5)
        assert w.arith.define_vector("mine", "current point", "", "mean") is not None
    finally:
        w.close()


def test_a_file_that_cannot_describe_itself_asks_and_opens(qtbot, window, tmp_path):
    """A TorchScript decoder without its JSON: the dialog asks, the model opens, the window says what it found."""
    from tests.models.test_readers import save_scripted

    path = save_scripted(tmp_path / "dec.pt")
    with qtbot.waitSignal(window.client.hintsNeeded, timeout=10000):
        window.models.open_checkpoint(str(path))
    qtbot.waitUntil(lambda: getattr(window.models, "hints_dialog", None) is not None and window.models.hints_dialog.isVisible(),
                    timeout=5000)
    dialog = window.models.hints_dialog
    dialog.latent.setText("16")
    dialog.size.setValue(8)
    dialog.channels.setValue(3)
    with qtbot.waitSignal(window.client.bankReady, timeout=30000):
        dialog._check()
    assert window.models.info.latent_shape == (16,) and window.models.info.image_size == 8
    assert "TorchScript decoder" in window.models.model_label.toolTip()


def test_gan_inversion_of_dropped_images_can_be_cancelled(qtbot, config_dir, tiny_checkpoints, tmp_path):
    from PIL import Image

    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(tmp_path / "grey.png")
    w = MainWindow(str(tiny_checkpoints["gan"]), bank_size=40, threads=1)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    try:
        w.client._worker.model.inversion_steps = 100000  # far longer than the test waits
        progress = []
        w.client.progress.connect(lambda req, done, total: progress.append(done))
        w.encoder.encode_images([str(tmp_path / "grey.png")])
        assert w.jobs.cancel_button.isVisibleTo(w)
        qtbot.waitUntil(lambda: len(progress) >= 3, timeout=20000)
        with qtbot.waitSignal(w.client.cancelled, timeout=20000):
            w.jobs.cancel_button.click()
        assert len(w.session.bank) == 40 and not w.jobs.progress_bar.isVisibleTo(w)
    finally:
        w.close()
