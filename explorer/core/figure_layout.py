"""Labelled image grids for papers and slides: rows × cols of decoded images
composed into one picture of an exact width, with optional column labels,
row labels, per-cell captions and a title, on a light or dark background.

Qt-free (Pillow and numpy), so the window and the command line make the same
figure. Text uses Pillow's bundled scalable font at a size that follows the
width, so labels stay crisp at 2048 px and beyond.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

__all__ = ["Figure", "FigureOptions", "compose", "write_png", "BACKGROUNDS"]

#: (background, text, muted text, highlight) per background name.
BACKGROUNDS = {
    "light": ((255, 255, 255), (24, 24, 24), (90, 90, 90), (230, 159, 0)),
    "dark": ((22, 22, 26), (236, 236, 236), (170, 170, 170), (230, 159, 0)),
}
MIN_WIDTH, MAX_WIDTH = 64, 16384  # past 16k px a figure is a mistake, and Pillow would need gigabytes


@dataclass(frozen=True)
class Figure:
    """What to draw: ``images`` row-major on a ``rows`` × ``cols`` grid.

    Each image is uint8 ``(h, w)``, ``(h, w, 1)`` or ``(h, w, 3)``; an entry
    may be None (an empty cell, e.g. the end of a last row). ``captions`` go
    under each cell (one per image, may hold newlines), ``col_labels`` above
    the columns, ``row_labels`` left of the rows; ``highlight`` frames one
    cell (the arithmetic result among its neighbours).
    """

    images: tuple
    rows: int
    cols: int
    title: str = ""
    col_labels: tuple[str, ...] = ()
    row_labels: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    highlight: int | None = None

    @classmethod
    def grid(cls, images, cols: int | None = None, **labels) -> "Figure":
        """Lay ``images`` out ``cols`` to a row (default: as square as possible)."""
        images = tuple(images)
        if not images:
            raise ValueError("a figure needs at least one image")
        cols = cols or math.ceil(math.sqrt(len(images)))
        cols = max(1, min(cols, len(images)))
        return cls(images, math.ceil(len(images) / cols), cols, **labels)


@dataclass(frozen=True)
class FigureOptions:
    """How to draw it: total ``width`` in pixels, labels or not, ``background``
    ``"light"`` or ``"dark"``, and ``smooth`` (Lanczos) or crisp (nearest) enlargement."""

    width: int = 2048
    labels: bool = True
    background: str = "light"
    smooth: bool = False


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=max(6, int(size)))
    except TypeError:  # Pillow < 10.1: only the small bitmap font
        return ImageFont.load_default()


#: Characters the bundled font lacks (they would print as boxes), and what stands in for them.
_STAND_INS = str.maketrans({"−": "-", "∶": ":"})


def _text_size(draw, text: str, font) -> tuple[int, int]:
    if not text:
        return 0, 0
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, spacing=_spacing(font))
    return int(math.ceil(right - min(left, 0))), int(math.ceil(bottom - min(top, 0)))


def _spacing(font) -> int:
    return max(2, int(getattr(font, "size", 10) * 0.25))


def _fitting_font(draw, texts, base: int, room: int):
    """The largest font (at most ``base`` px, at least half of it) in which every text fits ``room`` px."""
    size = base
    while size > max(6, base // 2):
        font = _font(size)
        if all(_text_size(draw, t, font)[0] <= room for t in texts):
            return font
        size = int(size * 0.9)
    return _font(size)


def _ellipsize(draw, text: str, font, room: int) -> str:
    lines = []
    for line in text.split("\n"):
        while line and _text_size(draw, line, font)[0] > room:
            line = line[:-2] + "…" if len(line) > 1 else ""
        lines.append(line)
    return "\n".join(lines)


def _as_rgb(image) -> np.ndarray:
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise ValueError(f"figure images must be uint8, not {a.dtype}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"figure images must be (h, w), (h, w, 1) or (h, w, 3), not {a.shape}")
    return a


def compose(figure: Figure, options: FigureOptions = FigureOptions()) -> np.ndarray:
    """Draw ``figure`` as one uint8 RGB image exactly ``options.width`` pixels wide.

    Raises
    ------
    ValueError
        On a width outside 64…16384 px, an unknown background, no images, or
        images that are not uint8 grey/RGB.
    """
    from PIL import Image, ImageDraw

    width = int(options.width)
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"figure width must be {MIN_WIDTH}…{MAX_WIDTH} px, not {width}")
    if options.background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, not {options.background!r}")
    present = [im for im in figure.images if im is not None]
    if not present:
        raise ValueError("a figure needs at least one image")
    bg, fg, muted, mark = BACKGROUNDS[options.background]
    rows, cols = max(1, figure.rows), max(1, figure.cols)
    h0, w0 = np.asarray(present[0]).shape[:2]
    base = max(10, round(width / 55))  # ~37 px at 2048: readable when the figure is shrunk onto a page
    margin, gap = max(4, base // 2), max(1, round(width / 400))
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    labels = options.labels

    row_labels = [str(t).translate(_STAND_INS) for t in figure.row_labels][:rows] if labels else []
    left = 0
    if row_labels:
        row_font = _fitting_font(scratch, row_labels, base, width // 4)
        left = max(_text_size(scratch, t, row_font)[0] for t in row_labels) + margin
    cell_w = max(1, (width - 2 * margin - left - gap * (cols - 1)) // cols)
    cell_h = max(1, round(cell_w * h0 / w0))
    right_slack = width - 2 * margin - left - gap * (cols - 1) - cols * cell_w  # rounding: centre the grid

    title = figure.title.translate(_STAND_INS) if labels else ""
    title_font = _fitting_font(scratch, [title], round(base * 1.3), width - 2 * margin) if title else None
    title_h = _text_size(scratch, title, title_font)[1] + margin if title else 0
    col_labels = [str(t).translate(_STAND_INS) for t in figure.col_labels][:cols] if labels else []
    col_font = _fitting_font(scratch, col_labels, base, cell_w) if col_labels else None
    col_h = max(_text_size(scratch, t, col_font)[1] for t in col_labels) + gap * 2 if col_labels else 0
    captions = [str(t).translate(_STAND_INS) for t in figure.captions] if labels else []
    cap_font = _fitting_font(scratch, captions, round(base * 0.8), cell_w) if captions else None
    cap_h = max(_text_size(scratch, t, cap_font)[1] for t in captions) + gap * 2 if captions else 0

    row_h = cell_h + cap_h
    height = margin + title_h + col_h + rows * row_h + (rows - 1) * gap + margin
    canvas = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(canvas)
    x0 = margin + left + right_slack // 2
    y0 = margin + title_h + col_h
    resample = Image.Resampling.LANCZOS if options.smooth else Image.Resampling.NEAREST

    if title:
        tw = _text_size(draw, title, title_font)[0]
        draw.multiline_text(((width - tw) // 2, margin), title, fill=fg, font=title_font, align="center")
    for c, text in enumerate(col_labels):
        text = _ellipsize(draw, text, col_font, cell_w)
        tw, th = _text_size(draw, text, col_font)
        x = x0 + c * (cell_w + gap) + (cell_w - tw) // 2
        draw.multiline_text((x, y0 - col_h + gap), text, fill=fg, font=col_font, align="center",
                            spacing=_spacing(col_font))
    for r, text in enumerate(row_labels):
        tw, th = _text_size(draw, text, row_font)
        y = y0 + r * (row_h + gap) + (cell_h - th) // 2
        draw.multiline_text((x0 - margin - tw, y), text, fill=fg, font=row_font, align="right",
                            spacing=_spacing(row_font))
    for i, image in enumerate(figure.images[:rows * cols]):
        r, c = divmod(i, cols)
        x, y = x0 + c * (cell_w + gap), y0 + r * (row_h + gap)
        if image is not None:
            cell = Image.fromarray(_as_rgb(image)).resize((cell_w, cell_h), resample)
            canvas.paste(cell, (x, y))
        if figure.highlight == i:
            line = max(2, gap)
            draw.rectangle((x - line, y - line, x + cell_w + line - 1, y + cell_h + line - 1), outline=mark, width=line)
        if i < len(captions) and captions[i]:
            text = _ellipsize(draw, captions[i], cap_font, cell_w)
            tw, _th = _text_size(draw, text, cap_font)
            draw.multiline_text((x + (cell_w - tw) // 2, y + cell_h + gap), text, fill=muted, font=cap_font,
                                align="center", spacing=_spacing(cap_font))
    return np.asarray(canvas)


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write a uint8 image (h, w) or (h, w, 1|3) as PNG, atomically.

    Raises
    ------
    OSError
        If the file cannot be written; the message names ``path`` and the old
        file, if any, is left as it was.
    """
    from PIL import Image

    from explorer.core.atomic_file import atomic_write

    picture = Image.fromarray(_as_rgb(image))
    atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))
