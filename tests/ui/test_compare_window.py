"""Model ▸ Compare checkpoints…: the same seeds decoded by each checkpoint of
one family, side by side, in the worker; another family is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.ui.main_window import MainWindow

BANK = 60


@pytest.fixture
def window(qtbot, config_dir):
    w = MainWindow("toyfaces_dcgan", bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
    yield w
    w.close()


@pytest.fixture
def later_epoch(tmp_path):
    """The bundled DCGAN's weights nudged, as a later training epoch would be (same family and latent)."""
    from models.checkpoint import read_checkpoint, save_checkpoint
    from models.loading import resolve_checkpoint

    config, tensors = read_checkpoint(resolve_checkpoint("toyfaces_dcgan"))
    gen = torch.Generator().manual_seed(0)
    nudged = {k: (v + 0.05 * torch.randn(v.shape, generator=gen) * v.abs().mean()) if v.is_floating_point() else v
              for k, v in tensors.items()}
    path = tmp_path / "dcgan_epoch_2.safetensors"
    save_checkpoint(path, nudged, {**config, "name": "dcgan_epoch_2"})
    return path


def test_the_same_seeds_side_by_side_for_the_model_itself_a_later_epoch_and_a_truncation(qtbot, window, later_epoch):
    from models.loading import load_latent_model

    w, s = window, window.session
    w.comparison.choose()  # Model ▸ Compare checkpoints…: non-modal, the open model listed
    d = w.comparison.dialog
    assert d.isVisible() and not d.isModal() and d.entries == [(s.model_path, 1.0)]
    d.add_entry(str(later_epoch))
    d.add_entry(s.model_path)  # listed already: not twice
    d.truncation.setValue(0.5)
    d.add_truncated.click()
    d.count.setValue(4)
    d.figures_n.setValue(0)
    assert len(d.entries) == 3
    with qtbot.waitSignal(w.comparison.compared, timeout=60000) as done:
        d.compare_button.click()
    rows = done.args[0]["rows"]
    assert [r["truncate"] for r in rows] == [1.0, 1.0, 0.5] and rows[1]["name"] == "dcgan_epoch_2"
    base = load_latent_model(s.model_path)
    z = base.sample_latents(0, np.arange(4))
    assert np.array_equal(rows[0]["images"], base.decode(z))
    assert np.array_equal(rows[1]["images"], load_latent_model(later_epoch).decode(z))
    assert np.array_equal(rows[2]["images"], base.decode(z * np.float32(0.5)))
    assert not np.array_equal(rows[0]["images"], rows[1]["images"])
    assert len(s.bank) == BANK and w.models.info.path == s.model_path  # the open model stayed open
    # The grid: a header row of seeds, then one row per checkpoint (its words, then its images).
    assert d.grid.rowCount() >= 4 and d.grid.itemAtPosition(2, 0).widget().text().count("dcgan_epoch_2") == 1
    assert d.grid.itemAtPosition(3, 4).widget().pixmap().width() > 0
    assert "Compared 3 checkpoints" in d.status.text() and not d.grab().isNull()


def test_another_family_or_latent_shape_is_refused_naming_the_file(qtbot, window, tiny_checkpoints):
    w, s = window, window.session
    for other, words in ((tiny_checkpoints["vae"], "a vae checkpoint"), (tiny_checkpoints["gan"], "latent shape (8,)")):
        with qtbot.waitSignal(w.client.failed, timeout=60000):
            w.comparison.compare([(s.model_path, 1.0), (str(other), 1.0)], count=2)
        text = w.message_bar.text()
        assert str(other) in text and words in text and "cannot be compared" in text
    assert w.comparison.compare([(s.model_path, 1.0)]) is None  # one checkpoint: nothing to compare
    assert "at least two" in w.message_bar.text()


def test_a_comparison_can_be_cancelled(qtbot, window):
    w, s = window, window.session
    req = w.comparison.compare([(s.model_path, 1.0), (s.model_path, 0.5)], count=32)
    with qtbot.waitSignal(w.client.cancelled, timeout=60000):
        w.jobs.cancel()  # the status bar's Cancel
    assert w.comparison.request is None and req is not None and w.comparison.result is None


def test_each_row_gets_its_quick_figures_and_verdict(qtbot, window):
    pytest.importorskip("models.fidelity_report")
    w, s = window, window.session
    w.comparison.choose()
    with qtbot.waitSignal(w.comparison.compared, timeout=120000) as done:
        w.comparison.compare([(s.model_path, 1.0), (s.model_path, 0.05)], count=2, figures_n=150)
    healthy, truncated = done.args[0]["rows"]
    for row in (healthy, truncated):
        assert set(row["figures"]) == {"fid", "precision", "recall", "coverage"}, row["note"]
        assert isinstance(row["collapse"], bool)
    # Truncated to 0.05 every sample is nearly the mean face: far less coverage than the model itself.
    assert truncated["figures"]["coverage"]["value"] < healthy["figures"]["coverage"]["value"]
    assert "floor" in w.comparison.dialog.grid.itemAtPosition(1, 0).widget().text()
