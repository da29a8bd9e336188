"""The latent scatter as an SVG file, written by hand.

pyqtgraph 0.14's SVG exporter fails on PySide6 ≥ 6.11 (pyqtgraph issue
#3495), and a hand-written file is also easier to edit in Inkscape or
Illustrator: one ``<circle>`` per point in its category's colour, the view
range as the axes (lines, ticks, labels), a legend, a title, and optionally
thumbnails of the decoded images at chosen points ("image scatter").

Qt-free: numpy and Pillow (for the thumbnails' PNG bytes).
"""

from __future__ import annotations

import base64
import io
import math
import os
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

__all__ = ["ScatterFigure", "scatter_svg", "write_scatter_svg", "spread_points", "nice_ticks", "POINT_CAP"]

#: At most this many circles; past it an even subset is drawn (a million
#: circles make a 60 MB file that no editor opens).
POINT_CAP = 50_000
_THEMES = {  # background, foreground, grid
    "light": ("#ffffff", "#1a1a1a", "#e4e4e4"),
    "dark": ("#16161a", "#ececec", "#34343a"),
}


@dataclass(frozen=True)
class ScatterFigure:
    """What the scatter shows.

    ``points`` (n, 2) in data coordinates, ``categories`` (n,) indexing
    ``colours`` (RGB) and ``names`` (the legend's entries; no legend when
    ``legend`` is False, e.g. when nothing colours the points). ``x_range`` /
    ``y_range`` are the view, ``thumbnails`` pairs ``(x, y, image)`` of uint8
    images drawn centred on those data coordinates.
    """

    points: np.ndarray
    categories: np.ndarray
    colours: tuple
    names: tuple[str, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_label: str = ""
    y_label: str = ""
    title: str = ""
    legend: bool = True
    thumbnails: tuple = ()


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10^k) inside ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    raw = (hi - lo) / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    count = int(math.floor((hi - first) / step + 1e-9)) + 1
    return [round(first + i * step, 12) for i in range(max(0, count))]


def _tick_text(value: float, step: float) -> str:
    decimals = max(0, -int(math.floor(math.log10(step)))) if step > 0 else 0
    return f"{value:.{decimals}f}".replace("-", "−")


def spread_points(points: np.ndarray, n: int, x_range=None, y_range=None, seed: int = 0) -> np.ndarray:
    """Indices of up to ``n`` points spread over the view (farthest-point sampling).

    Only points inside ``x_range`` × ``y_range`` (when given) are chosen; the
    first is the one nearest the view's centre, each next the farthest from
    those chosen so far, so thumbnails at them overlap as little as possible.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    ok = np.isfinite(pts).all(axis=1)
    if x_range is not None and y_range is not None:
        ok &= (pts[:, 0] >= x_range[0]) & (pts[:, 0] <= x_range[1])
        ok &= (pts[:, 1] >= y_range[0]) & (pts[:, 1] <= y_range[1])
    candidates = np.flatnonzero(ok)
    if n <= 0 or not len(candidates):
        return np.zeros(0, np.intp)
    p = pts[candidates]
    scale = np.maximum(p.max(0) - p.min(0), 1e-12)  # distances in view proportions, not data units
    p = (p - p.min(0)) / scale
    chosen = [int(np.argmin(((p - 0.5) ** 2).sum(1)))]
    dist = ((p - p[chosen[0]]) ** 2).sum(1)
    while len(chosen) < min(n, len(p)):
        k = int(np.argmax(dist))
        if dist[k] <= 0:
            break
        chosen.append(k)
        dist = np.minimum(dist, ((p - p[k]) ** 2).sum(1))
    return candidates[np.array(chosen, np.intp)]


def _png_base64(image: np.ndarray, side: int) -> str:
    from PIL import Image

    a = np.asarray(image, np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    im = Image.fromarray(a)
    # Enlarged here with crisp pixels: viewers disagree on image-rendering hints.
    k = max(1, side // max(im.size))
    im = im.resize((im.width * k, im.height * k), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb[:3])


def scatter_svg(figure: ScatterFigure, *, width: int = 1200, height: int = 900, background: str = "light",
                point_radius: float = 3.0, thumbnail_side: int = 64, cap: int = POINT_CAP) -> str:
    """The SVG document (a string) of ``figure`` at ``width`` × ``height`` user units (px).

    Raises
    ------
    ValueError
        On an unknown background, a size too small to hold the axes, or an empty view range.
    """
    if background not in _THEMES:
        raise ValueError(f"background must be one of {', '.join(_THEMES)}, not {background!r}")
    if width < 200 or height < 150:
        raise ValueError(f"an SVG scatter needs at least 200 × 150 px, not {width} × {height}")
    (x0, x1), (y0, y1) = (tuple(map(float, figure.x_range)), tuple(map(float, figure.y_range)))
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"empty view range x {x0}…{x1}, y {y0}…{y1}")
    bg, fg, grid = _THEMES[background]
    font = max(11, round(width / 80))
    pts = np.asarray(figure.points, np.float64).reshape(-1, 2)
    cats = np.asarray(figure.categories, np.intp).reshape(-1)
    counts = np.bincount(cats, minlength=len(figure.names)) if len(cats) else np.zeros(len(figure.names), int)
    entries = [f"{name} ({int(n):,})" for name, n in zip(figure.names, counts)] if figure.legend else []
    legend_w = (max(len(e) for e in entries) * 0.6 * font + 3 * font) if entries else 0
    left, right = 5 * font, font * 1.5 + legend_w
    top, bottom = (3.2 if figure.title else 1.5) * font, 4.2 * font
    pw, ph = width - left - right, height - top - bottom
    if pw < 50 or ph < 50:
        raise ValueError(f"{width} × {height} px leaves no room for the plot beside the legend")

    def sx(x):
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y):
        return top + (y1 - y) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{font}">',
           f'<rect id="background" x="0" y="0" width="{width}" height="{height}" fill="{bg}"/>',
           f'<defs><clipPath id="plot-area"><rect x="{left:.2f}" y="{top:.2f}" width="{pw:.2f}" '
           f'height="{ph:.2f}"/></clipPath></defs>']
    if figure.title:
        out.append(f'<text id="title" x="{width / 2:.1f}" y="{1.9 * font:.1f}" text-anchor="middle" '
                   f'font-size="{round(font * 1.3)}" fill="{fg}">{escape(figure.title)}</text>')

    xt, yt = nice_ticks(x0, x1), nice_ticks(y0, y1)
    out.append(f'<g id="grid" stroke="{grid}" stroke-width="1">')
    out += [f'<line x1="{sx(t):.2f}" y1="{top:.2f}" x2="{sx(t):.2f}" y2="{top + ph:.2f}"/>' for t in xt]
    out += [f'<line x1="{left:.2f}" y1="{sy(t):.2f}" x2="{left + pw:.2f}" y2="{sy(t):.2f}"/>' for t in yt]
    out.append("</g>")

    inside = (np.isfinite(pts).all(axis=1) & (pts[:, 0] >= x0) & (pts[:, 0] <= x1)
              & (pts[:, 1] >= y0) & (pts[:, 1] <= y1))
    index = np.flatnonzero(inside)
    out.append('<g id="points" clip-path="url(#plot-area)" fill-opacity="0.8">')
    if len(index) > cap:
        out.append(f"<!-- {len(index):,} points in view; {cap:,} drawn, chosen evenly -->")
        index = index[np.linspace(0, len(index) - 1, cap).round().astype(np.intp)]
    fills = [_hex(c) for c in figure.colours]
    cx, cy = sx(pts[index, 0]), sy(pts[index, 1])
    r = f"{point_radius:g}"
    out += [f'<circle cx="{a:.2f}" cy="{b:.2f}" r="{r}" fill="{fills[c % len(fills)]}"/>'
            for a, b, c in zip(cx.tolist(), cy.tolist(), cats[index].tolist())]
    out.append("</g>")

    if figure.thumbnails:
        out.append(f'<g id="thumbnails" clip-path="url(#plot-area)" stroke="{fg}">')
        half = thumbnail_side / 2
        for x, y, image in figure.thumbnails:
            data = _png_base64(image, thumbnail_side)
            tx, ty = sx(float(x)) - half, sy(float(y)) - half
            out.append(f'<image x="{tx:.2f}" y="{ty:.2f}" width="{thumbnail_side}" height="{thumbnail_side}" '
                       f'href="data:image/png;base64,{data}" xlink:href="data:image/png;base64,{data}"/>')
            out.append(f'<rect x="{tx:.2f}" y="{ty:.2f}" width="{thumbnail_side}" height="{thumbnail_side}" '
                       f'fill="none" stroke-width="1"/>')
        out.append("</g>")

    out.append(f'<g id="axes" stroke="{fg}" stroke-width="1.2" fill="none">'
               f'<rect x="{left:.2f}" y="{top:.2f}" width="{pw:.2f}" height="{ph:.2f}"/>')
    tick = font * 0.4
    out += [f'<line x1="{sx(t):.2f}" y1="{top + ph:.2f}" x2="{sx(t):.2f}" y2="{top + ph + tick:.2f}"/>' for t in xt]
    out += [f'<line x1="{left - tick:.2f}" y1="{sy(t):.2f}" x2="{left:.2f}" y2="{sy(t):.2f}"/>' for t in yt]
    out.append("</g>")
    out.append(f'<g id="tick-labels" fill="{fg}">')
    xstep = xt[1] - xt[0] if len(xt) > 1 else 1.0
    ystep = yt[1] - yt[0] if len(yt) > 1 else 1.0
    out += [f'<text x="{sx(t):.2f}" y="{top + ph + tick + font:.2f}" text-anchor="middle">'
            f'{_tick_text(t, xstep)}</text>' for t in xt]
    out += [f'<text x="{left - tick - 3:.2f}" y="{sy(t) + font * 0.35:.2f}" text-anchor="end">'
            f'{_tick_text(t, ystep)}</text>' for t in yt]
    out.append("</g>")
    if figure.x_label:
        out.append(f'<text id="x-label" x="{left + pw / 2:.2f}" y="{height - font:.2f}" text-anchor="middle" '
                   f'fill="{fg}">{escape(figure.x_label)}</text>')
    if figure.y_label:
        yx, yy = font * 1.2, top + ph / 2
        out.append(f'<text id="y-label" x="{yx:.2f}" y="{yy:.2f}" text-anchor="middle" fill="{fg}" '
                   f'transform="rotate(-90 {yx:.2f} {yy:.2f})">{escape(figure.y_label)}</text>')

    if entries:
        lx = left + pw + font * 1.5
        out.append(f'<g id="legend" fill="{fg}">')
        for k, (entry, colour) in enumerate(zip(entries, figure.colours)):
            ly = top + font * (0.6 + 1.6 * k)
            out.append(f'<circle cx="{lx + font * 0.4:.2f}" cy="{ly:.2f}" r="{font * 0.4:.2f}" fill="{_hex(colour)}"/>')
            out.append(f'<text x="{lx + font * 1.3:.2f}" y="{ly + font * 0.35:.2f}">{escape(entry)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_scatter_svg(path: str | os.PathLike, figure: ScatterFigure, **options) -> None:
    """Write `scatter_svg` of ``figure`` to ``path`` atomically (UTF-8).

    Raises
    ------
    OSError
        If the file cannot be written; the message names ``path``.
    ValueError
        As `scatter_svg`.
    """
    from explorer.core.atomic_file import atomic_write_bytes

    atomic_write_bytes(path, scatter_svg(figure, **options).encode("utf-8"))
