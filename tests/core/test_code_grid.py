"""The code map as an editable grid: brushes, rectangles, strokes undone as one,
Reset, and the codebook's usage summary (dead codes)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.code_grid import CodeMapEdits, brush_cells, cell_at, code_colours, paint, rect_cells, usage_summary


def test_a_brush_is_a_square_of_cells_clipped_to_the_grid():
    assert brush_cells((4, 5), 1, 2).sum() == 1 and brush_cells((4, 5), 1, 2)[1, 2]
    m = brush_cells((4, 5), 0, 0, radius=1)
    assert m.sum() == 4 and m[:2, :2].all()
    assert brush_cells((4, 5), 2, 2, radius=1).sum() == 9
    assert brush_cells((4, 5), 9, 9).sum() == 0  # off the grid: nothing


def test_a_rectangle_between_two_corners_in_either_order():
    a = rect_cells((6, 6), (1, 4), (3, 2))
    assert a.sum() == 9 and a[1:4, 2:5].all()
    assert np.array_equal(a, rect_cells((6, 6), (3, 2), (1, 4)))
    assert rect_cells((6, 6), (-3, -3), (0, 10)).sum() == 6  # clipped: the first row


def test_painting_returns_a_new_grid_and_leaves_the_old_one_alone():
    grid = np.zeros((3, 3), np.int64)
    new = paint(grid, brush_cells((3, 3), 1, 1), 7)
    assert new[1, 1] == 7 and new.sum() == 7 and grid.sum() == 0
    assert not new.flags.writeable


def test_cell_at_maps_pixels_to_cells_and_nothing_outside():
    assert cell_at(0, 0, (4, 8), 320, 160) == (0, 0)
    assert cell_at(319.9, 159.9, (4, 8), 320, 160) == (3, 7)
    assert cell_at(45, 85, (4, 8), 320, 160) == (2, 1)
    assert cell_at(320, 10, (4, 8), 320, 160) is None and cell_at(-1, 10, (4, 8), 320, 160) is None


def test_a_stroke_is_one_undo_step_and_reset_is_undoable():
    original = np.arange(16).reshape(4, 4) % 5
    e = CodeMapEdits(original, codebook_size=5)
    assert not e.can_undo() and not e.changed().any()
    e.begin_stroke()  # press, then a drag over three cells
    for col in range(3):
        e.stroke(brush_cells(e.shape, 0, col), 2)
    e.end_stroke()
    after_first = e.grid
    assert e.changed().tolist()[0] == [True, True, False, False]  # (0, 2) held code 2 already
    e.begin_stroke()  # a rectangle dragged from (1, 1) to (3, 3), then back to (2, 2)
    e.stroke(rect_cells(e.shape, (1, 1), (3, 3)), 0, replace=True)
    e.stroke(rect_cells(e.shape, (1, 1), (2, 2)), 0, replace=True)
    e.end_stroke()
    assert np.array_equal(e.grid[1:3, 1:3], np.zeros((2, 2))) and np.array_equal(e.grid[3], original[3])
    assert e.changed().sum() > 2
    assert e.undo() and np.array_equal(e.grid, after_first)
    assert e.undo() and np.array_equal(e.grid, original)
    assert not e.undo()
    assert e.paint_cells(brush_cells(e.shape, 3, 3, 1), 1)
    edited = e.grid
    assert e.reset() and np.array_equal(e.grid, original)
    assert not e.reset()  # nothing left to reset
    assert e.undo() and np.array_equal(e.grid, edited)


def test_a_stroke_that_changes_nothing_leaves_no_undo_step_and_codes_outside_the_book_are_refused():
    e = CodeMapEdits(np.full((2, 2), 3), codebook_size=4)
    assert not e.paint_cells(brush_cells(e.shape, 0, 0), 3)
    assert not e.can_undo()
    with pytest.raises(ValueError, match="not in the codebook"):
        e.paint_cells(brush_cells(e.shape, 0, 0), 4)
    assert not e.can_undo()


def test_the_original_grid_cannot_be_changed_through_the_editor():
    source = np.zeros((2, 2), np.int64)
    e = CodeMapEdits(source, 3)
    source[0, 0] = 2  # the caller's array is copied
    assert e.original[0, 0] == 0
    with pytest.raises(ValueError):
        e.grid[0, 0] = 1


def test_usage_counts_dead_codes_and_perplexity():
    codes = np.array([[[0, 0], [1, 3]], [[0, 1], [1, 0]]])  # code 2 and 4 never chosen
    counts = np.bincount(codes.ravel(), minlength=5)
    assert counts.tolist() == [4, 3, 0, 1, 0]
    u = usage_summary(counts, maps=2)
    assert u.dead.tolist() == [2, 4] and u.used == 3 and u.total == 8
    assert u.top(2) == [(0, 4), (1, 3)]
    p = np.array([4, 3, 1]) / 8
    assert u.perplexity == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    assert "3 of 5 codes used over 2 code maps; 2 dead (40 %)" in u.sentence()
    assert usage_summary(np.ones(8), 1).perplexity == pytest.approx(8.0)  # uniform: every code counts
    assert usage_summary(np.zeros(4), 0).perplexity == 0.0


def test_code_colours_are_distinct():
    colours = code_colours(64)
    assert colours.shape == (64, 3) and len({tuple(c) for c in colours}) == 64
