"""The collapse verdict told briefly: missing modes named (the commonest first), the
dominant mode, coverage and recall against their floors; a healthy report says so."""

from __future__ import annotations

from explorer.core.collapse_summary import HEALTHY, missing_modes, summary_text, verdict_lines


def _report(missing, dominant=None, coverage=0.9, collapse=True, reasons=()):
    names = ["a", "b", "c", "d", "e", "f"]
    return {
        "n_generated": 1200, "n_reference": 900, "k": 5, "seed": 3, "truncate": 0.5, "features": "f (8-d)",
        "model": "m",
        "modes": {"names": names, "reference": [0.05, 0.30, 0.10, 0.20, 0.15, 0.20],
                  "generated": [0.0, 0.01, 0.0, 0.0, 0.0, 0.99]},
        "figures": {"coverage": {"value": coverage, "floor": 0.95, "better": "higher"},
                    "recall": {"value": 0.9, "floor": 0.95, "better": "higher"}},
        "collapse": collapse,
        "verdict": {"reasons": list(reasons), "missing_modes": missing, "dominant_mode": dominant},
    }


def test_missing_modes_come_commonest_real_mode_first_with_both_shares():
    assert missing_modes(_report(["a", "b", "c"])) == [("b", 0.30, 0.01), ("c", 0.10, 0.0), ("a", 0.05, 0.0)]


def test_the_verdict_names_three_missing_modes_counts_the_rest_and_says_who_dominates():
    lines = verdict_lines(_report(["a", "b", "c", "d", "e"], dominant="f", coverage=0.4))
    assert lines == [
        "Mode collapse:",
        "Missing: 'b' (30.0 % of the real images, 1.0 % of the samples), 'd' (20.0 % of the real images, "
        "0.0 % of the samples), 'e' (15.0 % of the real images, 0.0 % of the samples) and 2 more modes, "
        "listed below.",
        "'f' dominates: 99.0 % of the samples against 20.0 % of the real images.",
        "Coverage 0.4 is far below its real-vs-real floor 0.95."]  # recall 0.9 is near its floor: not named


def test_a_verdict_the_structure_does_not_explain_falls_back_to_the_reports_reasons():
    assert verdict_lines(_report([], reasons=["Something else is wrong."])) == ["Mode collapse:",
                                                                                "Something else is wrong."]


def test_a_healthy_report_says_so_and_the_summary_names_what_was_measured():
    assert verdict_lines(_report([], collapse=False)) == [HEALTHY]
    assert summary_text(_report([])) == ("1,200 samples of m (truncated: S = 0.5) against 900 real images · "
                                         "features: f (8-d) · k = 5 · seed 3")
