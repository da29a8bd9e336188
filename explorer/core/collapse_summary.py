"""An evaluation report's verdict told briefly, for a view with little room.

The report's own ``verdict.reasons`` say everything, one sentence per missing
mode: twenty of them bury the two facts that matter most (which modes are
gone, which one took over). These lines are built from the report's structure
instead — missing modes, the dominant mode, coverage and recall against their
floors — and a view keeps the full reasons for a tooltip. Qt-free.
"""

from __future__ import annotations

from explorer.core.figure_floors import HIGHER_BAR, format_number

#: Missing modes named in the verdict itself; more are counted and left to the list beside it.
NAMED_MISSING = 3
HEALTHY = ("No sign of mode collapse: every frequent real mode appears among the samples, none dominates, "
           "and coverage and recall are near their real-vs-real floors.")


def _percent(share: float) -> str:
    return f"{100 * float(share):.1f} %"


def missing_modes(report: dict) -> list[tuple[str, float, float]]:
    """``(mode, share of the real images, share of the samples)`` of each missing mode, commonest real one first."""
    modes = report["modes"]
    index = {name: i for i, name in enumerate(modes["names"])}
    rows = [(name, float(modes["reference"][index[name]]), float(modes["generated"][index[name]]))
            if name in index else (name, float("nan"), float("nan"))
            for name in report["verdict"].get("missing_modes", [])]
    return sorted(rows, key=lambda row: -row[1] if row[1] == row[1] else 0.0)


def summary_text(report: dict) -> str:
    """What was measured against what: counts, model, truncation, features, k and seed."""
    what = f"{report['n_generated']:,} samples"
    if report.get("model"):
        what += f" of {report['model']}"
    s = report.get("truncate")
    what += " (no truncation)" if s is None else f" (truncated: S = {s:g})"
    return (f"{what} against {report['n_reference']:,} real images · features: {report['features']} · "
            f"k = {report['k']} · seed {report['seed']}")


def verdict_lines(report: dict) -> list[str]:
    """The verdict: a heading, then one line per kind of evidence (or the report's own reasons)."""
    if not report["collapse"]:
        return [HEALTHY]
    lines = []
    missing = missing_modes(report)
    if missing:
        named = ", ".join(f"'{m}' ({_percent(ref)} of the real images, {_percent(gen)} of the samples)"
                          for m, ref, gen in missing[:NAMED_MISSING])
        more = len(missing) - NAMED_MISSING
        lines.append(f"Missing: {named}" + (f" and {more} more mode{'s' * (more > 1)}, listed below." if more > 0
                                             else "."))
    dominant = report["verdict"].get("dominant_mode")
    modes = report["modes"]
    if dominant is not None and dominant in modes["names"]:
        i = modes["names"].index(dominant)
        lines.append(f"'{dominant}' dominates: {_percent(modes['generated'][i])} of the samples against "
                     f"{_percent(modes['reference'][i])} of the real images.")
    for key in ("coverage", "recall"):
        fig = report["figures"].get(key)
        if fig is not None and float(fig["floor"]) > 0 and float(fig["value"]) < HIGHER_BAR * float(fig["floor"]):
            lines.append(f"{key.capitalize()} {format_number(fig['value'])} is far below its real-vs-real floor "
                         f"{format_number(fig['floor'])}.")
    if not lines:  # a reason the structure does not show: say it as the report does
        lines = [str(r) for r in report["verdict"].get("reasons", [])]
    return ["Mode collapse:", *lines]
