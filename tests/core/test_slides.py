"""Slides (Qt-free): editing the list, saving it in a session file and reading it
back bit-exactly, undo, and a clear error for every kind of bad slide data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from explorer.core.session import ExplorerSession
from explorer.core.session_file import SessionFileError, load_session, save_session
from explorer.core.session_io import apply_document, document_from_session
from explorer.core.slides import Slide, Slides, SlidesError, SlideWalk, from_document, slide_from_session, to_document
from tests.core.test_session_file import D, N, full_doc


def _slide(name: str, seed: int = 0, **kw) -> Slide:
    rng = np.random.default_rng(seed)
    fields = dict(layout_method="PCA", view_range=((-1.0, 2.5), (0.25, 3.0)), colour_field="smile",
                  selection=np.array([1, 4, 7], np.int64), selected=4,
                  current=("#4", rng.normal(size=D).astype(np.float32)),
                  walk=SlideWalk((("#1", rng.normal(size=D).astype(np.float32)),
                                  ("#2", rng.normal(size=D).astype(np.float32))), "lerp", 12))
    return Slide(name, **{**fields, **kw})


def _three() -> Slides:
    return (Slides().added(_slide("Intro", 0)).added(_slide("Glasses", 1, layout_method="attribute axes",
                                                            layout_axes=("smile_dir", "glasses"), walk=None))
            .added(Slide("Plain")))


def _assert_same_slide(a: Slide, b: Slide) -> None:
    assert (a.name, a.layout_method, a.layout_axes, a.view_range, a.colour_field, a.selected) == \
           (b.name, b.layout_method, b.layout_axes, b.view_range, b.colour_field, b.selected)
    for x, y in ((a.selection, b.selection), (a.current and a.current[1], b.current and b.current[1])):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y)
    assert (a.current is None) == (b.current is None) and (a.current is None or a.current[0] == b.current[0])
    assert (a.walk is None) == (b.walk is None)
    if a.walk is not None:
        assert (a.walk.method, a.walk.steps) == (b.walk.method, b.walk.steps)
        assert [lbl for lbl, _ in a.walk.waypoints] == [lbl for lbl, _ in b.walk.waypoints]
        assert all(np.array_equal(z, w) and w.dtype == np.float32
                   for (_, z), (_, w) in zip(a.walk.waypoints, b.walk.waypoints))


# ----------------------------------------------------------------------------- editing

def test_add_move_rename_remove_return_new_lists_and_leave_the_old_one():
    slides = _three()
    assert slides.names() == ["Intro", "Glasses", "Plain"]
    moved = slides.moved(2, 0)
    assert moved.names() == ["Plain", "Intro", "Glasses"]
    assert slides.names() == ["Intro", "Glasses", "Plain"]  # unchanged: the undo stack keeps it
    assert slides.moved(0, 99).names() == ["Glasses", "Plain", "Intro"]  # clamped to the end
    renamed = moved.renamed(1, "  Opening  ")
    assert renamed.names() == ["Plain", "Opening", "Glasses"]
    assert renamed[1].selected == 4 and renamed[1].view_range == slides[0].view_range  # only the name changed
    assert renamed.removed(0).names() == ["Opening", "Glasses"]
    assert slides.added(Slide("First"), at=0).names()[0] == "First"


def test_next_name_skips_names_in_use():
    slides = Slides().added(Slide("Slide 2"))
    assert slides.next_name() == "Slide 3"
    assert Slides().next_name() == "Slide 1"


@pytest.mark.parametrize("bad, cause", [("", "needs a name"), ("   ", "needs a name"), ("two\nlines", "one line"),
                                        ("x" * 200, "at most 120"), (3, "should be text")])
def test_a_bad_name_is_refused_with_the_reason(bad, cause):
    with pytest.raises(SlidesError, match=cause):
        Slides().added(Slide(bad))
    with pytest.raises(SlidesError, match=cause):
        _three().renamed(0, bad)


@pytest.mark.parametrize("edit", [lambda s: s.removed(3), lambda s: s.moved(-1, 0), lambda s: s.renamed(5, "x"),
                                  lambda s: s[3]])
def test_a_missing_slide_is_named(edit):
    with pytest.raises(SlidesError, match=r"there is no slide -?\d \(there are 3\)"):
        edit(_three())


# ----------------------------------------------------------------------------- documents

def test_slides_round_trip_through_sections_and_arrays_as_json():
    slides = _three()
    sections, arrays = to_document(slides)
    sections = json.loads(json.dumps(sections))  # what a session file keeps
    back = from_document(sections, arrays, N, D)
    assert back.names() == slides.names()
    for a, b in zip(slides, back):
        _assert_same_slide(a, b)
    assert set(sections["slides"]["arrays"]) == set(arrays)


def test_no_slides_write_nothing_and_a_file_without_them_reads_as_none():
    assert to_document(Slides()) == ({}, {})
    assert len(from_document({}, {}, N, D)) == 0


def test_slides_survive_a_session_file_and_undo(tmp_path):
    s = ExplorerSession()
    s.set_bank(full_doc().bank)
    s.edit("Select", lambda: s.set_selection(np.arange(N) % 3 == 0))
    s.select(5)
    first = slide_from_session(s, "Every third", view_range=((0, 1), (2, 3)))
    assert np.array_equal(first.selection, np.arange(0, N, 3)) and first.selected == 5
    assert first.current[0] == "#5" and np.array_equal(first.current[1], s.bank.latents[5])
    s.edit("Add slide", lambda: setattr(s, "slides", s.slides.added(first)))
    s.edit("Add slide", lambda: setattr(s, "slides", s.slides.added(_slide("Walk", 3))))
    assert s.history.undo_label() == "Add slide"
    s.history.undo()
    assert s.slides.names() == ["Every third"]
    s.history.redo()
    assert s.slides.names() == ["Every third", "Walk"]

    path = tmp_path / "s.lesession"
    save_session(path, document_from_session(s, ""))
    doc = load_session(path)
    t = ExplorerSession()
    apply_document(t, doc)
    assert t.slides.names() == ["Every third", "Walk"]
    for a, b in zip(s.slides, t.slides):
        _assert_same_slide(a, b)
    assert not t.history.can_undo()  # opening a session starts a fresh history


def _saved_with(tmp_path, edit) -> Path:
    """A session file with two slides whose JSON or arrays ``edit`` spoils."""
    s = ExplorerSession()
    s.set_bank(full_doc().bank)
    s.slides = Slides().added(_slide("Intro", 0)).added(_slide("Second", 1))
    path = tmp_path / "bad.lesession"
    save_session(path, document_from_session(s, ""))
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    root = json.loads(members["session.json"])
    edit(root["sections"]["slides"]["slides"], root, members)
    members["session.json"] = json.dumps(root).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _npy(a: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _replace_array(root, members, key, a):
    members[root["arrays"][key]] = _npy(a)


BAD = [
    ("no name", lambda sl, r, m: sl[1].update(name=""), "slide 2: a slide needs a name"),
    ("selection out of range", lambda sl, r, m: _replace_array(r, m, "slide:1:selection", np.array([2, 99])),
     "slide 2 \\('Second'\\): the selection names point 99, but the bank has 12 codes"),
    ("latent of another model", lambda sl, r, m: _replace_array(r, m, "slide:0:current", np.zeros(5, np.float32)),
     "slide 1 \\('Intro'\\): the current latent has shape \\(5,\\).*another model"),
    ("NaN waypoint", lambda sl, r, m: _replace_array(r, m, "slide:0:walk", np.full((2, D), np.nan, np.float32)),
     "walk waypoints holds non-finite values"),
    ("unknown walk", lambda sl, r, m: sl[0]["walk"].update(method="zigzag"), "walk method 'zigzag' is not one of"),
    ("bad view", lambda sl, r, m: sl[0].update(view_range=[[0, "a"], [1, 2]]), "view range should be"),
    ("selected out of range", lambda sl, r, m: sl[0].update(selected=12), "selected point 12 is not in the bank"),
    ("not a list", lambda sl, r, m: r["sections"]["slides"].update(slides={"a": 1}), "should be an object with a list"),
]


@pytest.mark.parametrize("edit, cause", [pytest.param(e, c, id=i) for i, e, c in BAD])
def test_bad_slides_in_a_file_give_one_clear_error(tmp_path, edit, cause):
    path = _saved_with(tmp_path, edit)
    with pytest.raises(SessionFileError, match=cause) as info:
        load_session(path)
    assert str(path) in str(info.value)


def test_a_session_with_slides_that_do_not_fit_is_not_saved(tmp_path):
    s = ExplorerSession()
    s.set_bank(full_doc().bank)
    s.slides = Slides().added(_slide("Too far", 0, selection=np.array([N + 3], np.int64)))
    path = tmp_path / "never.lesession"
    with pytest.raises(ValueError, match="selection names point 15"):
        save_session(path, document_from_session(s, ""))
    assert not path.exists() and list(tmp_path.iterdir()) == []
