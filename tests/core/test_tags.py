"""Tags: keep/reject exclude each other, undo, growth with the bank, session files."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.session import ExplorerSession
from explorer.core.session_file import load_session, save_session
from explorer.core.session_io import apply_document, document_from_session
from explorer.core.tags import Tags, check_name, from_document, to_document
from tests.core.test_session_history import make_bank


def test_keep_and_reject_exclude_each_other_and_custom_tags_stack():
    t = Tags(6).tagged("keep", [0, 1, 2]).tagged("reject", [2, 3]).tagged("smile", [1, 3])
    assert t.mask("keep").tolist() == [True, True, False, False, False, False]
    assert t.mask("reject").tolist() == [False, False, True, True, False, False]
    assert t.of(1) == ["keep", "smile"] and t.of(3) == ["reject", "smile"] and t.of(5) == []
    assert t.counts() == {"keep": 2, "reject": 2, "smile": 2}
    assert t.tagged("smile", [1], on=False).counts()["smile"] == 1
    assert Tags(6).mask("anything").sum() == 0
    grown = t.extended(9)
    assert grown.n == 9 and grown.counts() == t.counts() and not grown.mask("keep")[6:].any()


@pytest.mark.parametrize("bad", ["", " ", "../x", "a/b", ".hidden", "x" * 65, "é"])
def test_a_tag_name_must_be_a_safe_folder_name(bad):
    with pytest.raises(ValueError, match="tag"):
        check_name(bad)


def test_tagging_is_undoable_and_saved_with_the_session(tmp_path):
    s = ExplorerSession()
    s.set_bank(make_bank(), "model.safetensors")
    seen = []
    s.events.tags.connect(lambda: seen.append(1))
    s.edit("Keep 3", lambda: s.set_tag("keep", [0, 1, 2]))
    s.edit("Tag 2 smile", lambda: s.set_tag("smile", [4, 5]))
    assert s.tags.counts() == {"keep": 3, "smile": 2} and len(seen) == 2
    s.history.undo()
    assert s.tags.counts() == {"keep": 3} and len(seen) == 3
    s.history.redo()
    path = tmp_path / "t.lesession"
    save_session(path, document_from_session(s, "abc"))
    t = ExplorerSession()
    apply_document(t, load_session(path))
    assert t.tags.counts() == {"keep": 3, "smile": 2}
    assert np.array_equal(t.tags.mask("smile"), s.tags.mask("smile"))


def test_a_malformed_tags_section_is_named():
    sections, arrays = to_document(Tags(4).tagged("keep", [1]))
    assert from_document(sections, arrays, 4).counts() == {"keep": 1}
    with pytest.raises(ValueError, match="keep"):
        from_document(sections, {}, 4)
    with pytest.raises(ValueError, match="tag 'keep'"):
        from_document(sections, arrays, 5)
