"""Undo/redo of session edits, the events that announce them, and a session's
document round trip — all without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.history import Edit, History
from explorer.core.latent_bank import LatentBank
from explorer.core.session import ExplorerSession
from explorer.core.session_file import load_session, save_session
from explorer.core.session_io import apply_document, document_from_session
from explorer.core.vector_library import NamedVector


def make_bank(n=120, d=6, seed=0) -> LatentBank:
    rng = np.random.default_rng(seed)
    return LatentBank(latents=rng.standard_normal((n, d)).astype(np.float32), latent_shape=(d,), source="test",
                      seeds=np.zeros(n, np.int64), indices=np.arange(n, dtype=np.int64),
                      attributes={"male": (rng.random(n) > 0.5).astype(np.float32),
                                  "glasses": (rng.random(n) > 0.5).astype(np.float32)},
                      thumbnails=rng.integers(0, 255, (n, 4, 4, 3), dtype=np.uint8))


@pytest.fixture
def session():
    s = ExplorerSession()
    s.set_bank(make_bank(), "model.safetensors")
    return s


def vec(name, s, i):
    return NamedVector(name, s.bank.latents[i].copy(), f"point #{i}", source="current point")


def test_a_sequence_of_edits_undoes_and_redoes_in_order(session):
    s = session
    seen = []
    for name in ("vectors", "waypoints", "selection", "layout", "colour"):
        getattr(s.events, name).connect(lambda n=name: seen.append(n))
    s.edit("define a", lambda: s.vectors.add(vec("a", s, 0)))
    s.edit("define b", lambda: s.vectors.add(vec("b", s, 1)))
    mask = np.arange(len(s.bank)) < 10
    s.edit("select", lambda: s.set_selection(mask))
    s.edit("waypoint", lambda: s.waypoints.append(("#3", s.bank.latents[3])))
    s.edit("axes", lambda: s.use_attribute_axes("a", "b"))
    s.edit("colour", lambda: s.set_colour_field("male"))
    axes_points = s.points.copy()
    assert len(s.history) == 6 and s.history.undo_label() == "colour"
    assert {"vectors", "selection", "waypoints", "layout", "colour"} <= set(seen)

    assert s.history.undo() == "colour" and s.colour_field == "glasses"
    assert s.history.undo() == "axes" and s.layout_method == "PCA" and s.layout_axes is None
    assert s.history.undo() == "waypoint" and s.waypoints == []
    assert s.history.undo() == "select" and s.selection is None
    assert s.history.undo() == "define b" and s.vectors.names() == ["a"]
    assert s.history.undo() == "define a" and len(s.vectors) == 0
    assert s.history.undo() is None and not s.history.can_undo()

    for _ in range(6):
        s.history.redo()
    assert s.vectors.names() == ["a", "b"] and s.selection is mask and len(s.waypoints) == 1
    assert s.layout_method == "a × b" and np.array_equal(s.points, axes_points) and s.colour_field == "male"
    assert s.history.redo() is None


def test_a_new_edit_after_undo_drops_the_redo_tail(session):
    s = session
    s.edit("a", lambda: s.vectors.add(vec("a", s, 0)))
    s.edit("b", lambda: s.vectors.add(vec("b", s, 1)))
    s.history.undo()
    s.edit("c", lambda: s.vectors.add(vec("c", s, 2)))
    assert s.vectors.names() == ["a", "c"] and not s.history.can_redo()
    s.history.undo()
    s.history.undo()
    assert len(s.vectors) == 0


def test_a_failed_edit_records_nothing_and_a_no_op_records_nothing(session):
    s = session
    with pytest.raises(ValueError):
        s.edit("axes", lambda: s.use_attribute_axes("nope", "nada"))
    s.edit("same colour", lambda: s.set_colour_field(s.colour_field))
    assert len(s.history) == 0


def test_undoing_a_tsne_layout_returns_to_pca_and_redo_uses_the_cache(session):
    s = session
    pca = s.points.copy()
    coords = np.random.default_rng(1).standard_normal((len(s.bank), 2)).astype(np.float32)
    s.edit("t-SNE", lambda: s.use_embedding("t-SNE", coords))
    s.history.undo()
    assert s.layout_method == "PCA" and np.array_equal(s.points, pca)
    s.history.redo()
    assert s.layout_method == "t-SNE" and np.array_equal(s.points, coords)


def test_clean_mark_follows_saves_and_undo():
    h = History(restore=lambda state: None)
    assert h.is_clean()
    h.push(Edit("x", 0, 1))
    assert not h.is_clean()
    h.mark_clean()
    assert h.is_clean()
    h.undo()
    assert not h.is_clean()
    h.redo()
    assert h.is_clean()


def test_a_new_bank_clears_the_history_and_state(session):
    s = session
    s.edit("a", lambda: s.vectors.add(vec("a", s, 0)))
    s.set_bank(make_bank(seed=3))
    assert len(s.history) == 0 and len(s.vectors) == 0 and s.selection is None


def test_a_session_document_round_trips_through_a_file(session, tmp_path):
    s = session
    s.edit("a", lambda: s.vectors.add(vec("a", s, 0)))
    s.edit("b", lambda: s.vectors.add(vec("b", s, 5)))
    coords = np.random.default_rng(2).standard_normal((len(s.bank), 2)).astype(np.float32)
    s.use_embedding("t-SNE", coords)
    s.use_attribute_axes("a", "b")
    s.set_selection(np.arange(len(s.bank)) % 3 == 0)
    s.waypoints = [("#1", s.bank.latents[1]), ("#2", s.bank.latents[2])]
    s.select(7)
    path = tmp_path / "s.lesession"
    save_session(path, document_from_session(s, "abc", ((0.0, 1.0), (2.0, 3.0))))
    doc = load_session(path)
    t = ExplorerSession()
    apply_document(t, doc)
    assert np.array_equal(t.bank.latents, s.bank.latents) and np.array_equal(t.points, s.points)
    assert t.layout_method == "a × b" and t.layout_axes == ("a", "b")
    assert np.array_equal(t.cached_embedding("t-SNE"), coords)
    assert np.array_equal(t.selection, s.selection) and t.selected == 7
    assert [n for n, _ in t.waypoints] == ["#1", "#2"] and np.array_equal(t.waypoints[1][1], s.bank.latents[2])
    assert t.vectors.names() == ["a", "b"] and t.vectors["b"].source == "current point"
    assert len(t.history) == 0


def test_a_large_bank_is_saved_without_its_thumbnails(session, tmp_path, monkeypatch):
    import explorer.core.session_io as session_io

    monkeypatch.setattr(session_io, "THUMBNAILS_KEPT_UP_TO", 100)  # the bank holds 120 codes
    path = tmp_path / "big.lesession"
    save_session(path, document_from_session(session, "abc"))
    doc = load_session(path)
    assert doc.bank.thumbnails is None and np.array_equal(doc.bank.latents, session.bank.latents)
    assert session.bank.thumbnails is not None  # the open session keeps its own
    monkeypatch.setattr(session_io, "THUMBNAILS_KEPT_UP_TO", 120)
    save_session(path, document_from_session(session, "abc"))
    assert np.array_equal(load_session(path).bank.thumbnails, session.bank.thumbnails)
