"""Export from the window and open the export again: latents bit-exact, tags kept."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.ui.main_window import MainWindow

BANK = 60


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["gan"]), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    yield w
    w.close()


def test_a_tag_exports_and_the_folder_opens_with_its_points_and_tags(qtbot, window, tmp_path):
    s = window.session
    window.curation.tag("keep", indices=[3, 8, 21])
    window.curation.tag("reject", indices=[5])
    out = tmp_path / "keepers"
    with qtbot.assertNotEmitted(window.client.failed):
        req = window.exporter.export("tag: keep", str(out))
        assert req is not None
        qtbot.waitUntil(lambda: (out / "metadata.jsonl").is_file(), timeout=30000)
    assert sorted(p.name for p in (out / "keep").iterdir()) and len(list((out / "keep").iterdir())) == 3
    kept = np.asarray(s.bank.latents[[3, 8, 21]])
    window.exporter.open_folder(str(out))
    qtbot.waitUntil(lambda: len(s.bank) == 3, timeout=30000)
    assert np.array_equal(np.asarray(s.bank.latents), kept)  # bit-exact
    assert s.tags.counts() == {"keep": 3}
    assert "export folder" in s.bank.source


def test_a_cancelled_export_leaves_nothing_and_a_bad_destination_is_named(qtbot, window, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with qtbot.waitSignal(window.client.failed, timeout=30000):
        window.exporter.export("everything", str(blocker))
    assert str(blocker) in window.message_bar.text() and blocker.read_text() == "not a folder"
    out = tmp_path / "never"
    req = window.exporter.export("everything", str(out))
    window.client.cancel(req)
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=30000)
    assert not out.exists() or (out / "metadata.jsonl").is_file()  # cancelled in time: nothing; else complete
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written folder left


def test_samples_along_a_direction_record_the_edit_in_the_export_and_the_session(qtbot, window, tmp_path):
    import json

    from explorer.core.session import ExplorerSession
    from explorer.core.session_file import load_session, save_session
    from explorer.core.session_io import apply_document, document_from_session
    from explorer.core.vector_library import NamedVector
    from models.loading import load_latent_model

    s = window.session
    s.vectors.add(NamedVector("up", np.full(s.bank.latents.shape[1], 0.5, np.float32), "test",
                              source="query", query="all", kind="mean"))
    n0 = len(s.bank)
    window.generator.generate(6, seed=9, direction="up", strength=2.0)
    qtbot.waitUntil(lambda: len(s.bank) == n0 + 6, timeout=30000)
    model = load_latent_model(window.models.info.path)
    base = model.sample_latents(9, np.arange(6)).reshape(6, -1)
    assert np.allclose(s.bank.latents[n0:], base + 1.0, atol=1e-6)
    assert s.recipes[n0]["kind"] == "direction" and s.recipes[n0]["strength"] == 2.0
    assert s.recipes[n0 + 5]["base"] == {"kind": "prior", "seed": 9, "index": 5}
    out = tmp_path / "moved"
    s.edit("sel", lambda: s.set_selection(np.arange(len(s.bank)) >= n0))
    window.exporter.export("the selection", str(out))
    qtbot.waitUntil(lambda: (out / "metadata.jsonl").is_file(), timeout=30000)
    records = [json.loads(line) for line in (out / "metadata.jsonl").read_text().splitlines()]
    assert records[0]["recipe"]["kind"] == "direction" and records[0]["recipe"]["vector"] == "up"
    path = tmp_path / "s.lesession"
    save_session(path, document_from_session(s, "x"))
    t = ExplorerSession()
    apply_document(t, load_session(path))
    assert t.recipes[n0 + 2]["base"]["index"] == 2
