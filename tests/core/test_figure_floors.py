"""Which figures of an evaluation report sit far from their real-vs-real floor, and how they read."""

from __future__ import annotations

import pytest

from explorer.core.figure_floors import far_from_floor, figure_rows, format_number


@pytest.mark.parametrize("figure, far", [
    ({"value": 0.40, "floor": 0.9, "better": "higher"}, True),  # below half its floor
    ({"value": 0.46, "floor": 0.9, "better": "higher"}, False),  # at 0.51 × the floor: near enough
    ({"value": 1.30, "floor": 1.0, "better": "higher"}, False),  # better than real data is never flagged
    ({"value": 0.0, "floor": 0.0, "better": "higher"}, False),  # no floor to fall below
    ({"value": 4.3, "floor": 2.1, "better": "lower"}, True),  # more than twice the floor
    ({"value": 4.1, "floor": 2.1, "better": "lower"}, False),
    # KID: its floor can be below zero; two standard errors of slack above 2 × max(floor, 0).
    ({"value": 0.0009, "std_error": 0.0005, "floor": -0.0001, "better": "lower"}, False),
    ({"value": 0.0011, "std_error": 0.0005, "floor": -0.0001, "better": "lower"}, True),
])
def test_a_figure_is_far_from_its_floor_only_on_the_bad_side(figure, far):
    assert far_from_floor(figure) is far


def test_rows_come_in_a_fixed_order_with_spread_and_direction_and_skip_absent_figures():
    figures = {"coverage": {"value": 0.18, "floor": 0.91, "better": "higher"},
               "kid": {"value": 0.0512, "std_error": 0.0004, "floor": 0.0003, "better": "lower"},
               "fid": {"value": 1234.5, "floor": 2.1, "better": "lower"},
               "inception_score": {"value": 2.6, "std": 0.12, "floor": 4.3, "better": "higher"}}
    rows = figure_rows(figures)
    assert [r.key for r in rows] == ["fid", "kid", "inception_score", "coverage"]
    fid, kid, score, coverage = rows
    assert (fid.value, fid.floor, fid.better, fid.far) == ("1,234", "2.1", "lower is better", True)
    assert (kid.value, kid.floor, kid.far) == ("0.0512 ± 0.0004", "0.0003", True)
    assert (score.value, score.better, score.far) == ("2.6 ± 0.12", "higher is better", False)
    assert (coverage.label, coverage.value, coverage.far) == ("Coverage", "0.18", True)


def test_numbers_read_with_four_significant_digits_and_nan_as_a_dash():
    assert [format_number(v) for v in (0.123456, 12.3456, 0.00012346, 0.0, 98765.4)] == \
        ["0.1235", "12.35", "0.0001235", "0", "98,765"]
    assert format_number(float("nan")) == "—"
