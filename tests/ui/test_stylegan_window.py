"""The StyleGAN tab on a tiny rosinality StyleGAN2 file: the truncation ψ slider, style
mixing of two points, Z or W; disabled for a model of another family."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.ui.main_window import MainWindow
from tests.ui.stylegan_checkpoint import STYLE_DIM, save_tiny_stylegan2

BANK = 100


@pytest.fixture
def window(qtbot, config_dir, tmp_path):
    w = MainWindow(str(save_tiny_stylegan2(tmp_path)), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    qtbot.waitUntil(lambda: w.stylegan_panel.layer_combo.count() == 3, timeout=30000)
    w.docks["StyleGAN"].raise_()
    yield w
    w.close()


def _grab(qtbot, w) -> None:
    """Paint the StyleGAN dock as the user sees it."""
    w.docks["StyleGAN"].raise_()
    qtbot.wait(5)
    pixmap = w.docks["StyleGAN"].grab()
    assert not pixmap.isNull() and pixmap.width() > 100 and pixmap.height() > 100


def _click(qtbot, w, index: int) -> np.ndarray:
    w.preview.shown_image = None
    w.points.select_point(index)
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)
    return w.preview.shown_image.copy()


def _set_psi(qtbot, w, psi: float) -> None:
    with qtbot.waitSignal(w.stylegan.stateChanged, timeout=30000):
        w.stylegan_panel.psi_slider.setValue(round(psi * 100))
    assert w.stylegan.psi == pytest.approx(psi)


def test_the_psi_slider_redecodes_the_preview_and_at_zero_every_point_is_the_mean_image(qtbot, window):
    w, panel = window, window.stylegan_panel
    assert panel.isEnabled() and panel.hint.isHidden()
    assert panel.psi_value.text() == "ψ = 1.00" and panel.space_w.isChecked()
    assert [panel.layer_combo.itemText(i) for i in range(3)] == [
        "coarse — layers 0–3, 4–8 px", "middle — layers 4–5, 16 px", "fine — layers 6–7, 32 px"]
    first, second = _click(qtbot, w, 0), _click(qtbot, w, 1)
    assert not np.array_equal(first, second)
    assert np.array_equal(second, w.session.bank.thumbnails[1])  # ψ = 1: as the bank was drawn

    w.preview.shown_image = None
    _set_psi(qtbot, w, 0.0)
    qtbot.waitUntil(lambda: w.preview.shown_image is not None, timeout=30000)  # the point in the preview, again
    mean = w.preview.shown_image.copy()
    assert w.preview.state.title == "Point #1" and not np.array_equal(mean, second)
    for index in (0, 7, 42):
        assert np.array_equal(_click(qtbot, w, index), mean)
    assert "ψ = 1.00" in panel.psi_note.text() and "Rebuild" in panel.psi_note.text()
    assert "Rebuild" in w.statusBar().currentMessage()
    _grab(qtbot, w)

    # Rebuilt at ψ = 0, the bank's thumbnails are the mean image too, and the note goes.
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        w.models.rebuild_bank()
    assert (w.session.bank.thumbnails == mean).all() and panel.psi_note.text() == ""

    # A drag: the worker ends at the slider's last value, whatever it skipped on the way.
    for value in (120, 90, 40, 100):
        panel.psi_slider.setValue(value)
    qtbot.waitUntil(lambda: w.stylegan.psi == 1.0, timeout=30000)
    assert panel.psi_value.text() == "ψ = 1.00" and "ψ = 0.00" in panel.psi_note.text()
    assert not np.array_equal(_click(qtbot, w, 42), mean)


def test_style_mixing_shows_a_b_and_the_mix_and_coarse_differs_from_fine(qtbot, window):
    w, panel, sg = window, window.stylegan_panel, window.stylegan
    assert not sg.mix() and "A and B" in w.message_bar.text()  # nothing chosen yet
    image_a = _click(qtbot, w, 3)
    sg.use_current("a")
    image_b = _click(qtbot, w, 60)
    sg.use_current("b")
    assert panel.source_labels["a"].text() == "#3 (W)" and panel.source_labels["b"].text() == "#60 (W)"

    mixes = {}
    for group in ("coarse", "fine"):
        panel.layer_combo.setCurrentIndex(panel.layer_combo.findData(group))
        with qtbot.waitSignal(sg.mixed, timeout=30000) as done:
            panel.mix_button.click()
        payload = done.args[0]
        assert np.array_equal(payload["a"][0], image_a) and np.array_equal(payload["b"][0], image_b)
        mixes[group] = payload["mix"][0]
        assert all(not label.pixmap().isNull() for label in panel.mix_images)
        assert [c.text() for c in panel.mix_captions] == ["A #3", "B #60", f"A + B's {group}"]
        _grab(qtbot, w)
    # At the window's first size, the tab's controls and the three images need no scrolling.
    assert (w.width(), w.height()) == (1280, 800)
    for widget in (panel.psi_slider, panel.space_z, panel.layer_combo, panel.mix_button, *panel.mix_images):
        assert widget.isVisible() and widget.visibleRegion().boundingRect().height() == widget.height(), widget
    coarse, fine = (mixes[g].astype(np.int16) for g in ("coarse", "fine"))
    assert not np.array_equal(coarse, fine)
    # B's coarse styles (pose, shape) change A more than B's fine ones (colour, texture at 32 px).
    a = image_a.astype(np.int16)
    assert np.abs(coarse - a).mean() > np.abs(fine - a).mean() > 0


def test_switching_to_z_rebuilds_the_bank_with_the_same_images_and_back(qtbot, window):
    from models.contract import prior_latents

    w, panel = window, window.stylegan_panel
    w_latents, w_thumbs = w.session.bank.latents.copy(), w.session.bank.thumbnails.copy()
    _click(qtbot, w, 2)
    w.stylegan.use_current("a")
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        panel.space_z.click()
    bank = w.session.bank
    assert w.stylegan.space == "z" and panel.space_z.isChecked() and "in Z" in panel.space_note.text()
    assert np.allclose(bank.latents, prior_latents((STYLE_DIM,), 0, np.arange(BANK)))  # the prior's codes
    assert not np.allclose(bank.latents, w_latents)
    # Each Z code maps to the W code it was drawn with: the same images.
    assert np.abs(bank.thumbnails.astype(int) - w_thumbs).max() <= 1
    assert "in Z" in w.models.model_label.toolTip() and w.models.info.walk == "slerp"
    assert panel.source_labels["a"].text() == "— none yet"  # a W code is no Z code
    _grab(qtbot, w)

    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        panel.space_w.click()
    assert w.stylegan.space == "w" and np.allclose(w.session.bank.latents, w_latents)
    assert np.array_equal(w.session.bank.thumbnails, w_thumbs)


def test_the_tab_is_disabled_for_a_dcgan_and_the_worker_refuses_stylegan_requests(qtbot, config_dir):
    from explorer.inference.requests import SetTruncation

    w = MainWindow("toyfaces_dcgan", bank_size=60, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    try:
        panel = w.stylegan_panel
        assert not w.docks["StyleGAN"].isVisible()  # no tab for a model it does not apply to
        w.docks["StyleGAN"].show()  # View ▸ Panels ▸ StyleGAN: the panel says why it is off
        assert not panel.isEnabled() and panel.hint.isVisible() and "StyleGAN2" in panel.hint.text()
        assert not w.stylegan.available
        _grab(qtbot, w)
        with qtbot.waitSignal(w.client.failed, timeout=30000) as failed:
            w.client.submit(SetTruncation(0.5))
        assert "for StyleGAN2 models, not a gan model" in failed.args[1]
    finally:
        w.close()


def test_a_session_of_z_codes_at_a_psi_reopens_in_z_at_that_psi(qtbot, window, state_dir, tmp_path):
    """A bank's codes mean something only in their space: a session saved in Z (at ψ 0.5) must reopen
    with the model in Z at ψ 0.5, or its points would be decoded as W codes at ψ 1."""
    w, panel = window, window.stylegan_panel
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        panel.space_z.click()
    _set_psi(qtbot, w, 0.5)
    with qtbot.waitSignal(w.models.bankShown, timeout=60000):
        w.models.rebuild_bank()
    assert w.session.bank.recipe == {"space": "z", "truncation": 0.5}
    path = tmp_path / "z.lesession"
    assert w.sessions.save_as(str(path))
    thumb = np.array(w.session.bank.thumbnails[4])
    again = MainWindow(str(path), threads=1)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.session.bank is not None, timeout=60000)
    qtbot.waitUntil(lambda: again.stylegan.space == "z" and abs(again.stylegan.psi - 0.5) < 1e-9, timeout=30000)
    image = _click(qtbot, again, 4)
    assert np.abs(image.astype(int) - thumb.astype(int)).max() <= 1
    assert again.stylegan_panel.psi_value.text() == "ψ = 0.50"
    again.close()
