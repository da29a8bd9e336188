"""How an evaluation report's figures read beside their real-vs-real floors.

A figure alone says little: FID 3.1 is good or bad only against the distance
between two real sets of the same size in the same features (its *floor*).
This module turns the ``figures`` of a report (see ``models.fidelity_report``)
into rows a view can show, and decides which figures sit far from their floor,
so the window and any other view flag the same ones. Numpy-free, Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The report's figures in the order they are shown, with a readable name and what each measures.
FIGURES = (
    ("fid", "FID", "Fréchet distance between Gaussians fitted to the generated and the real features"),
    ("kid", "KID", "Kernel inception distance: unbiased squared MMD with a cubic kernel, ± its standard error"),
    ("inception_score", "Inception score", "exp(E KL(p(mode | image) ‖ p(mode))): high when each image is of one "
                                           "clear mode and the modes are varied; ± its spread over splits"),
    ("precision", "Precision", "Share of the samples inside the real images' k-NN manifold (quality)"),
    ("recall", "Recall", "Share of the real images inside the samples' k-NN manifold (diversity)"),
    ("density", "Density", "How many real k-NN balls hold each sample, over k (quality; 1 ≈ like real data)"),
    ("coverage", "Coverage", "Share of the real images whose k-NN ball holds a sample (diversity)"),
)
#: A "higher is better" figure below this share of its floor is far from it (the collapse rule's own bar).
HIGHER_BAR = 0.5
#: A "lower is better" figure above this multiple of its floor (plus two standard errors) is far from it.
LOWER_BAR = 2.0


@dataclass(frozen=True)
class FigureRow:
    """One figure as shown: its key and name, value and floor as text, direction, and whether it is far."""

    key: str
    label: str
    value: str
    floor: str
    better: str
    far: bool
    tip: str


def far_from_floor(figure: dict) -> bool:
    """Is this figure far from its real-vs-real floor, on the bad side?

    A "higher" figure is far below ``HIGHER_BAR`` × its floor; a "lower" one is
    far above ``LOWER_BAR`` × its floor, with two standard errors of slack where
    the figure has one (KID's floor can be zero or just below it).
    """
    value, floor = float(figure["value"]), float(figure["floor"])
    if figure.get("better") == "higher":
        return floor > 0 and value < HIGHER_BAR * floor
    slack = 2.0 * float(figure.get("std_error", 0.0))
    return value > LOWER_BAR * max(floor, 0.0) + slack + 1e-12


def format_number(value: float) -> str:
    """Four significant digits (whole numbers with thousands separators from 1,000 up); "—" for NaN."""
    v = float(value)
    if v != v:  # a figure the data could not give
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def figure_rows(figures: dict) -> list[FigureRow]:
    """The report's ``figures`` as rows, in :data:`FIGURES` order; figures it lacks are left out."""
    rows = []
    for key, label, tip in FIGURES:
        fig = figures.get(key)
        if fig is None:
            continue
        spread = fig.get("std_error", fig.get("std"))
        value = format_number(fig["value"]) + (f" ± {format_number(spread)}" if spread is not None else "")
        rows.append(FigureRow(key, label, value, format_number(fig["floor"]),
                              f"{fig.get('better', 'lower')} is better", far_from_floor(fig), tip))
    return rows
