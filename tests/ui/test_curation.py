"""Curating in the window: selection tools and operations, tags and their keys,
diversity and duplicates — each an undoable edit, each shown."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from explorer.ui.main_window import MainWindow
from tests.ui.test_big_bank_gestures import _drag

BANK = 150


@pytest.fixture
def window(qtbot, config_dir, tiny_checkpoints):
    w = MainWindow(str(tiny_checkpoints["vae"]), bank_size=BANK, threads=1)
    qtbot.addWidget(w)
    w.resize(1200, 760)
    w.show()
    qtbot.waitUntil(lambda: w.session.bank is not None, timeout=30000)
    w.docks["Curate"].show()
    w.docks["Curate"].raise_()
    yield w
    w.close()


def _press(qtbot, w, key, modifier=Qt.KeyboardModifier.NoModifier):
    w.scatter.plot.setFocus()
    qtbot.keyClick(w.scatter.plot, key, modifier)


def test_keys_tag_the_selection_or_the_current_point_and_undo(qtbot, window):
    s = window.session
    window.curation.select_where("male")
    males = np.flatnonzero(s.bank.attributes["male"] >= 0.5)
    assert np.array_equal(np.flatnonzero(s.selection), males)
    _press(qtbot, window, Qt.Key.Key_K)
    assert s.tags.counts()["keep"] == len(males)
    window.curation.clear_selection()
    window.points.select_point(int(males[0]))
    _press(qtbot, window, Qt.Key.Key_R)  # the current point: reject replaces its keep
    assert s.tags.of(int(males[0])) == ["reject"] and s.tags.counts()["keep"] == len(males) - 1
    assert f"keep (K) — {len(males) - 1}" in [window.curate.tags.item(i).text() for i in range(window.curate.tags.count())]
    window.sessions.undo()
    assert s.tags.of(int(males[0])) == ["keep"]


def test_a_custom_tag_takes_a_number_key_and_colours_the_scatter(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    s = window.session
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("smile", True))
    assert window.curation.new_tag() == "smile"
    window.points.select_point(3)
    _press(qtbot, window, Qt.Key.Key_1)
    assert s.tags.of(3) == ["smile"]
    s.set_colour_field("tags")
    drawn = window.scatter.scatter
    colour = dict(zip(drawn.indices.tolist(), (drawn.colours[c] for c in drawn.categories)))
    assert colour[3] != colour[4]
    assert "smile" in window.scatter.legend.text()
    image = window.scatter.plot.grab()
    assert not image.isNull() and not window.curate.grab().isNull()


def test_invert_all_and_the_count_everywhere(window):
    s = window.session
    window.curation.select_where("glasses")
    k = int(s.selection.sum())
    assert window.curation.count_label.text() == f"{k:,} selected"
    assert window.curate.count.text().startswith(f"{k:,} of {BANK}")
    window.curation.invert_selection()
    assert int(s.selection.sum()) == BANK - k
    window.curation.select_all()
    assert s.selection.all()
    window.curation.select_where("glasses & (")
    assert "Select where" in window.message_bar.text() and s.selection.all()  # a bad query changes nothing


def test_the_lasso_tool_adds_with_shift_and_removes_with_ctrl(qtbot, window):
    s, plot = window.session, window.scatter.plot
    vb = plot.getPlotItem().vb
    window.curation.set_tool("lasso")
    assert window.scatter.tool == "lasso" and window.curate.tool_buttons["lasso"].isChecked()
    (x0, x1), (y0, y1) = window.scatter.view_range()

    def px(fx, fy):
        return QPointF(plot.mapFromScene(vb.mapViewToScene(QPointF(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)))))

    def left_half(mods):  # a thin diagonal drag is a sliver; drag a box-ish lasso via the box tool instead
        _drag(plot.viewport(), px(0.0, 0.0), px(0.5, 1.0), mods)

    window.curation.set_tool("box")
    left_half(Qt.KeyboardModifier.NoModifier)
    first = s.selection.copy()
    assert 0 < first.sum() < BANK
    _drag(plot.viewport(), px(0.5, 0.0), px(1.0, 1.0), Qt.KeyboardModifier.ShiftModifier)  # add the right half
    assert s.selection.sum() > first.sum() and (s.selection | first).sum() == s.selection.sum()
    _drag(plot.viewport(), px(0.0, 0.0), px(0.5, 1.0), Qt.KeyboardModifier.ControlModifier)  # remove the left
    assert not (s.selection & first).any()
    assert window.scatter.view_range() == ((x0, x1), (y0, y1))  # no drag panned
    window.sessions.undo()
    assert (s.selection & first).any()


def test_most_diverse_and_near_duplicates_select(window):
    s = window.session
    window.curation.select_most_diverse(7)
    assert int(s.selection.sum()) == 7
    window.curation.clear_selection()
    s.bank.latents[5] = s.bank.latents[9]  # a duplicate pair, as a collapsed generator makes
    window.curation.select_near_duplicates(1e-3)
    assert np.flatnonzero(s.selection).tolist() == [9]


def test_select_where_a_tag(window):
    s = window.session
    window.curation.tag("keep", indices=[2, 4, 6])
    window.curation.select_where("tag: keep")
    assert np.flatnonzero(s.selection).tolist() == [2, 4, 6]
    window.curation.select_where("tag: nope")
    assert "no tag 'nope'" in window.message_bar.text()


def test_the_scatter_shows_only_a_tag_when_filtered(qtbot, window):
    s = window.session
    window.curation.tag("keep", indices=[1, 2, 3])
    combo = window.curate.filter_combo
    combo.setCurrentIndex(combo.findData("keep"))
    assert sorted(window.scatter.scatter.indices.tolist()) == [1, 2, 3]  # only they are drawn
    vb = window.scatter.plot.getPlotItem().vb
    hidden = 10
    scene = vb.mapViewToScene(QPointF(*map(float, s.points[hidden])))
    assert window.scatter.point_under(scene) in (None, 1, 2, 3)  # a hidden point cannot be picked
    scene = vb.mapViewToScene(QPointF(*map(float, s.points[2])))
    assert window.scatter.point_under(scene) == 2
    assert not window.scatter.plot.grab().isNull()
    window.curation.tag("keep", indices=[7])  # the filter follows the tags
    assert sorted(window.scatter.scatter.indices.tolist()) == [1, 2, 3, 7]
    combo.setCurrentIndex(combo.findData("untagged"))
    assert len(window.scatter.scatter.indices) == BANK - 4
    combo.setCurrentIndex(0)
    assert len(window.scatter.scatter.indices) == BANK


def test_most_diverse_in_classifier_feature_space(qtbot, config_dir):
    from models.loading import RESOURCES

    w = MainWindow(str(RESOURCES / "toyfaces_dcgan.safetensors"), bank_size=200, threads=1)
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: w.session.bank is not None, timeout=60000)
        s = w.session
        w.curation.select_where("glasses")
        glasses = s.selection.copy()
        w.curate.space.setCurrentText("classifier features")
        w.curation.select_most_diverse(6)
        qtbot.waitUntil(lambda: s.selection is not None and int(s.selection.sum()) == 6, timeout=30000)
        assert not (s.selection & ~glasses).any()  # chosen among the selection
        assert "classifier features" in s.history.undo_label()
    finally:
        w.close()
