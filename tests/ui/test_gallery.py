"""The gallery and review mode: virtualised, lazily decoded, linked with the scatter both ways."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from explorer.ui.gallery_panel import EVERYTHING
from explorer.ui.main_window import MainWindow

BANK = 150


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    w.show_gallery()
    yield w
    w.close()


def test_the_gallery_shows_the_selection_and_links_both_ways(qtbot, window):
    g, s = window.galleries, window.session
    window.curation.select_where("glasses")
    glasses = np.flatnonzero(s.selection)
    assert g.model.rows.tolist() == glasses.tolist() and window.gallery.count.text() == f"{len(glasses)} of {BANK}"
    assert not window.gallery.grab().isNull()
    first = g.model.index(0)
    assert g.model.data(first, Qt.ItemDataRole.DecorationRole).width() == 72
    window.gallery.hovered.emit(int(glasses[1]))
    assert "gallery" in window.scatter.overlays  # the hovered item is ringed in the scatter
    window.gallery.hovered.emit(-1)
    assert "gallery" not in window.scatter.overlays
    window.gallery.chosen.emit(int(glasses[2]))
    assert s.selected == glasses[2]  # clicking an item opens its point
    window.points.select_point(int(glasses[4]))  # and clicking the point finds its item
    assert window.gallery.view.currentIndex().row() == 4
    window.scatter.hovered.emit(int(glasses[6]), QPointF())  # hovering it highlights the item
    assert window.gallery.view.currentIndex().row() == 6


def test_orders_and_tags_choose_what_is_shown(window):
    g, s = window.galleries, window.session
    window.gallery.show_combo.setCurrentText(EVERYTHING)
    window.gallery.order_combo.setCurrentText("attribute confidence")
    window.gallery.attribute_combo.setCurrentText("male")
    p = s.bank.attributes["male"][g.model.rows]
    assert len(g.model.rows) == BANK and np.all(np.diff(np.abs(p - 0.5)) <= 1e-7)
    window.curation.tag("keep", indices=[5, 7])
    window.gallery.show_combo.setCurrentText("tag: keep")
    assert sorted(g.model.rows.tolist()) == [5, 7]
    window.curation.tag("reject", indices=[5])
    assert g.model.rows.tolist() == [7]  # the tag's view follows the tags


def test_review_mode_tags_with_keys_and_moves_on(qtbot, window):
    g, s = window.galleries, window.session
    window.gallery.show_combo.setCurrentText(EVERYTHING)
    g.open_review()
    review = g.review
    qtbot.waitExposed(review)
    review.activateWindow()  # the keys go to the review window, as when a user looks at it
    qtbot.waitUntil(review.isActiveWindow, timeout=3000)
    assert review.bank_index() == 0 and not review.grab().isNull()
    qtbot.keyClick(review, Qt.Key.Key_K)
    qtbot.keyClick(review, Qt.Key.Key_R)
    qtbot.keyClick(review, Qt.Key.Key_Right)
    qtbot.keyClick(review, Qt.Key.Key_Left)
    assert s.tags.of(0) == ["keep"] and s.tags.of(1) == ["reject"] and review.bank_index() == 2
    assert "#2" in review.caption.text()  # the caption follows the image shown
    window.sessions.undo()
    assert s.tags.of(1) == []


def test_without_kept_thumbnails_the_visible_items_are_decoded_in_batches(qtbot, window):
    g, s = window.galleries, window.session
    s.bank = dataclasses.replace(s.bank, thumbnails=None)  # as a large bank's session opens
    g.model._pixmaps.clear()
    asked = []
    real = window.client.decode
    window.client.decode = lambda latents, purpose="click", **k: asked.append((len(latents), purpose)) or \
        real(latents, purpose, **k)
    window.gallery.show_combo.setCurrentText(EVERYTHING)
    qtbot.waitUntil(lambda: bool(asked) and all(g.model._pixmaps.get(int(i)) is not None for i in g.model.rows[:5]),
                    timeout=10000)
    assert all(purpose == "gallery" for _, purpose in asked) and max(n for n, _ in asked) > 1  # batched


def test_a_hundred_thousand_items_cost_only_what_is_on_screen(qtbot, window):
    g = window.galleries
    calls = []
    real = g.model.pixmap
    g.model.pixmap = lambda i: calls.append(i) or real(i % BANK)
    g.model.set_rows(np.arange(100_000) % BANK)
    window.gallery.show_count(100_000, 100_000)
    window.gallery.view.scrollToBottom()
    qtbot.wait(50)
    assert not window.gallery.grab().isNull()
    assert 0 < len(calls) < 2000  # only the rows a screen shows were drawn


def test_generated_samples_join_the_bank_with_their_seeds(qtbot, window, tiny_checkpoints):
    s = window.session
    window.curation.tag("keep", indices=[3])
    n0 = len(s.bank)
    req = window.generator.generate(40, seed=7)
    assert req is not None
    qtbot.waitUntil(lambda: len(s.bank) == n0 + 40, timeout=10000)
    assert s.bank.seeds[n0:].tolist() == [7] * 40 and s.bank.indices[n0:].tolist() == list(range(40))
    assert s.points.shape == (n0 + 40, 2) and len(window.scatter.points) == n0 + 40
    assert s.tags.n == n0 + 40 and s.tags.of(3) == ["keep"]
    from models.loading import load_latent_model

    model = load_latent_model(tiny_checkpoints["vae"])
    assert np.array_equal(s.bank.latents[n0:], model.sample_latents(7, np.arange(40)).reshape(40, -1))
    window.generator.generate(5, seed=7)  # the next five of the same seed, not the same five again
    qtbot.waitUntil(lambda: len(s.bank) == n0 + 45, timeout=30000)
    assert s.bank.indices[n0 + 40:].tolist() == [40, 41, 42, 43, 44]
    window.generator.generate(0)
    assert "1 to 100,000" in window.message_bar.text()


def test_the_generate_dialog_asks_and_generates(qtbot, window):
    s = window.session
    n0 = len(s.bank)
    window.generator.choose()
    dialog = window.generator.dialog
    qtbot.waitExposed(dialog)
    assert not dialog.grab().isNull()
    dialog.n.setValue(12)
    dialog.accept()
    qtbot.waitUntil(lambda: len(s.bank) == n0 + 12, timeout=30000)


def test_conditional_generation_keeps_only_matching_samples_and_reports_the_rate(qtbot, config_dir):
    from models.loading import RESOURCES

    w = MainWindow(str(RESOURCES / "toyfaces_dcgan.safetensors"), bank_size=100, threads=1)
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
        s, n0 = w.session, len(w.session.bank)
        w.generator.generate(30, seed=11, where="glasses & !male", min_confidence=0.9)
        qtbot.waitUntil(lambda: len(s.bank) == n0 + 30, timeout=60000)
        assert (s.bank.attributes["glasses"][n0:] >= 0.9).all() and (s.bank.attributes["male"][n0:] <= 0.1).all()
        assert (s.bank.seeds[n0:] == 11).all() and np.all(np.diff(s.bank.indices[n0:]) > 0)
        assert "passed" in w.generator.last_message and "%" in w.generator.last_message
        w.generator.generate(5, seed=11, where="glasses & (")
        qtbot.waitUntil(lambda: "only where 'glasses & ('" in w.message_bar.text(), timeout=30000)
        assert "ends too soon" in w.message_bar.text() and len(s.bank) == n0 + 30
    finally:
        w.close()
