"""View ▸ Coverage overlay: real images placed among the generated points, by
encoding (a VAE) or in a feature layout (a GAN), and the nearest real images
of a click."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from explorer.core.coverage import CLASSIFIER_FEATURES
from explorer.ui.coverage_controller import LEGEND, REFERENCE_N
from explorer.ui.main_window import MainWindow

BANK = 60


def _window(qtbot, checkpoint: str) -> MainWindow:
    w = MainWindow(checkpoint, bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    return w


def _overlay_points(w: MainWindow) -> np.ndarray:
    x, y = w.scatter.overlays[LEGEND].getData()
    return np.column_stack([x, y])


def _click_at(qtbot, w: MainWindow, point) -> None:
    """A real left click on the plot where data point ``point`` is drawn."""
    vb = w.scatter.plot.getPlotItem().vb
    scene = vb.mapViewToScene(QPointF(float(point[0]), float(point[1])))
    pos = w.scatter.plot.mapFromScene(scene)
    qtbot.mouseClick(w.scatter.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))


@pytest.fixture
def vae_window(qtbot, config_dir, tiny_checkpoints):
    w = _window(qtbot, str(tiny_checkpoints["vae"]))
    yield w
    w.close()


def test_a_vae_encodes_the_real_images_into_the_layout_shown(qtbot, vae_window):
    from models.evaluation import held_out_sets
    from models.loading import load_latent_model

    w, s = vae_window, vae_window.session
    with qtbot.waitSignal(w.coverage.shown, timeout=60000):
        w.coverage.action.trigger()  # View ▸ Coverage overlay
    assert w.coverage.action.isChecked() and w.coverage.mode == "latent"
    assert s.layout_method == "PCA"  # the bank's own layout, not a feature one
    model = load_latent_model(s.model_path)
    real = held_out_sets(model, REFERENCE_N)[0].images
    expected = s.place(model.encode(real).reshape(len(real), -1))
    drawn = _overlay_points(w)
    assert drawn.shape == (REFERENCE_N, 2) and np.allclose(drawn, expected, atol=1e-4)
    assert "real (reference)" in w.scatter.legend.text()
    assert "latent space" in w.statusBar().currentMessage()
    pixmap = w.scatter.grab()
    assert not pixmap.isNull()

    # A click on a real point lists the real images nearest to it, that one first.
    target = int(np.argmax(np.linalg.norm(drawn - drawn.mean(0), axis=1)))  # an outlying one: no bank point on it
    with qtbot.waitSignal(w.coverage.nearestShown, timeout=10000) as shown:
        _click_at(qtbot, w, drawn[target])
    idx = shown.args[0]
    assert idx[0] == target
    dialog = w.coverage.dialog
    assert dialog.isVisible() and dialog.strip.count() == len(idx) and 1 <= len(idx) <= 8
    assert np.array_equal(dialog.strip.images[0], real[idx[0]])
    assert "Generated points as near" in dialog.note.text()
    assert not dialog.grab().isNull()

    # Off: the layer and its legend entry go.
    w.coverage.action.trigger()
    assert LEGEND not in w.scatter.overlays and "real (reference)" not in w.scatter.legend.text()
    assert not w.coverage.on


def test_turning_the_overlay_off_while_it_is_computed_draws_nothing(qtbot, vae_window):
    w = vae_window
    w.coverage.toggle(True)
    req = w.coverage.request
    w.coverage.toggle(False)
    qtbot.waitUntil(lambda: not w.jobs.busy(), timeout=60000)
    qtbot.wait(50)
    assert req is not None and w.coverage.request is None and not w.coverage.on
    assert LEGEND not in w.scatter.overlays and not w.coverage.action.isChecked()


def test_a_model_with_no_data_set_is_refused_with_its_name(qtbot):
    from types import SimpleNamespace

    from models.errors import LatentExplorerError

    from explorer.inference.coverage_job import reference_images

    info = SimpleNamespace(name="mystery", dataset="", image_size=32, channels=3)
    with pytest.raises(LatentExplorerError, match="mystery: the checkpoint names no data set"):
        reference_images(SimpleNamespace(info=info), 10)


def test_a_gan_shows_a_classifier_feature_layout_and_restores_the_previous_one(qtbot, config_dir):
    from explorer.core.projection import PCAProjection
    from models.evaluation import held_out_sets
    from models.loading import bundled_classifier_for, load_latent_model

    w = _window(qtbot, "toyfaces_dcgan")  # 32×32: the bundled classifier fits
    s = w.session
    try:
        before = s.points.copy()
        with qtbot.waitSignal(w.coverage.shown, timeout=60000):
            w.coverage.toggle(True)
        assert w.coverage.mode == "features" and s.layout_method == CLASSIFIER_FEATURES
        # Independently: the classifier's features of the bank's images and of the real ones, one PCA.
        model = load_latent_model(s.model_path)
        clf = bundled_classifier_for(model)
        real = held_out_sets(model, REFERENCE_N)[0].images
        gen_f, real_f = clf.features(s.bank.thumbnails), clf.features(real)
        pca = PCAProjection(2).fit(np.vstack([gen_f, real_f]).astype(np.float64))
        assert np.allclose(s.points, pca.transform(gen_f), atol=1e-3)
        assert np.allclose(_overlay_points(w), pca.transform(real_f), atol=1e-3)
        assert np.allclose(w.scatter.points, s.points)  # the scatter shows the feature layout
        assert "feature space" in w.statusBar().currentMessage()
        assert "feature space" in w.layout_bar.count_label.text()
        assert not w.scatter.grab().isNull()
        # Every generated point is painted: the view grew to hold the real points too, and the point
        # cloud once kept culling to the view it was first painted in (the bank's PCA range).
        assert len(w.scatter.scatter._in_view()) == len(s.bank)

        w.coverage.toggle(False)  # the layout shown before comes back
        assert s.layout_method == "PCA" and np.allclose(s.points, before)
        assert LEGEND not in w.scatter.overlays

        # Choosing another layout while it is on turns it off: real images have no latents to place.
        with qtbot.waitSignal(w.coverage.shown, timeout=60000):
            w.coverage.toggle(True)
        w.layouts.set_layout("PCA")
        assert not w.coverage.on and not w.coverage.action.isChecked() and LEGEND not in w.scatter.overlays
        assert "no place" in w.statusBar().currentMessage()
    finally:
        w.close()


def test_a_gan_no_classifier_fits_is_laid_out_in_pixel_space(qtbot, config_dir, tiny_checkpoints):
    from explorer.core.coverage import PIXELS

    w = _window(qtbot, str(tiny_checkpoints["gan"]))  # 16×16: the bundled 32×32 classifier does not fit
    try:
        with qtbot.waitSignal(w.coverage.shown, timeout=60000):
            w.coverage.toggle(True)
        assert w.session.layout_method == PIXELS and "pixel space" in w.statusBar().currentMessage()
        assert _overlay_points(w).shape == (REFERENCE_N, 2)
    finally:
        w.close()
