"""A VQ-VAE's code map as something to edit: a grid of codebook indices,
painted a cell, a brush or a rectangle at a time, with an undo stack of grids;
and a summary of how a codebook is used (its dead codes).

Numpy only: the code-map editor and the codebook view draw from these and
write the user's strokes into them, never the other way round.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

#: Grids kept for Undo; a stroke is one step, so this is many minutes of painting.
UNDO_DEPTH = 200


def as_grid(codes: np.ndarray) -> np.ndarray:
    """A read-only int64 copy of a (H, W) index grid; grids are replaced, never changed in place."""
    grid = np.array(codes, np.int64, copy=True)
    if grid.ndim != 2:
        raise ValueError(f"a code map is a 2-D grid of indices, not an array of shape {grid.shape}")
    grid.setflags(write=False)
    return grid


def brush_cells(shape: tuple[int, int], row: int, col: int, radius: int = 0) -> np.ndarray:
    """Boolean (H, W) mask of the square brush of ``radius`` cells around ``(row, col)``
    (radius 0: the one cell), clipped to the grid."""
    h, w = shape
    mask = np.zeros((h, w), bool)
    r0, r1 = max(0, row - radius), min(h, row + radius + 1)
    c0, c1 = max(0, col - radius), min(w, col + radius + 1)
    if r0 < r1 and c0 < c1:
        mask[r0:r1, c0:c1] = True
    return mask


def rect_cells(shape: tuple[int, int], corner: tuple[int, int], other: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of the rectangle of cells between two corner cells (inclusive,
    either order), clipped to the grid."""
    h, w = shape
    (ra, ca), (rb, cb) = corner, other
    r0, r1 = max(0, min(ra, rb)), min(h - 1, max(ra, rb))
    c0, c1 = max(0, min(ca, cb)), min(w - 1, max(ca, cb))
    mask = np.zeros((h, w), bool)
    if r0 <= r1 and c0 <= c1:
        mask[r0:r1 + 1, c0:c1 + 1] = True
    return mask


def paint(grid: np.ndarray, mask: np.ndarray, code: int) -> np.ndarray:
    """A new grid: ``grid`` with the cells of ``mask`` set to ``code``."""
    out = np.array(grid, np.int64, copy=True)
    out[np.asarray(mask, bool)] = int(code)
    out.setflags(write=False)
    return out


def cell_at(x: float, y: float, shape: tuple[int, int], width: float, height: float) -> tuple[int, int] | None:
    """The (row, col) of the cell under pixel ``(x, y)`` of a grid drawn ``width`` × ``height``
    pixels; None outside it."""
    h, w = shape
    if width <= 0 or height <= 0 or not (0 <= x < width and 0 <= y < height):
        return None
    return min(h - 1, int(y * h / height)), min(w - 1, int(x * w / width))


class CodeMapEdits:
    """The grid being edited: the original, what it is now, and the grids before each stroke.

    A stroke (press, drag, release) is one undo step. Its cells are painted onto
    the grid as it was when the stroke began, so a rectangle dragged bigger and
    smaller again leaves only its final cells painted.
    """

    def __init__(self, original: np.ndarray, codebook_size: int):
        self.original = as_grid(original)
        self.codebook_size = int(codebook_size)
        self.grid = self.original
        self._undo: list[np.ndarray] = []
        self._stroke_mask: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.original.shape)  # type: ignore[return-value]

    def begin_stroke(self) -> None:
        """Remember the grid as it is, so the stroke that follows is undone as one."""
        self._undo.append(self.grid)
        del self._undo[:-UNDO_DEPTH]
        self._stroke_mask = np.zeros(self.shape, bool)

    def stroke(self, mask: np.ndarray, code: int, replace: bool = False) -> bool:
        """Paint ``code`` on the stroke's cells: ``mask`` added to them (a brush dragged on),
        or instead of them (``replace``: a rectangle whose corner moved). True when the
        grid changed."""
        if not 0 <= int(code) < self.codebook_size:
            raise ValueError(f"code {code} is not in the codebook (0–{self.codebook_size - 1})")
        if self._stroke_mask is None:
            raise RuntimeError("begin_stroke() first")
        mask = np.asarray(mask, bool)
        self._stroke_mask = mask.copy() if replace else (self._stroke_mask | mask)
        new = paint(self._undo[-1], self._stroke_mask, code)
        if np.array_equal(new, self.grid):
            return False
        self.grid = new
        return True

    def end_stroke(self) -> None:
        """Close the stroke; one that changed nothing leaves no undo step."""
        if self._stroke_mask is not None and np.array_equal(self._undo[-1], self.grid):
            self._undo.pop()
        self._stroke_mask = None

    def paint_cells(self, mask: np.ndarray, code: int) -> bool:
        """One whole stroke: ``code`` on the cells of ``mask``; True when the grid changed."""
        self.begin_stroke()
        try:
            return self.stroke(mask, code)
        finally:
            self.end_stroke()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> bool:
        """Back to the grid before the last stroke; False when there is none."""
        if not self._undo:
            return False
        self.grid = self._undo.pop()
        return True

    def reset(self) -> bool:
        """Back to the original grid (itself undoable); False when nothing was changed."""
        if np.array_equal(self.grid, self.original):
            return False
        self._undo.append(self.grid)
        self.grid = self.original
        return True

    def changed(self) -> np.ndarray:
        """Boolean (H, W): the cells whose code differs from the original's."""
        return self.grid != self.original


@dataclass(frozen=True)
class UsageSummary:
    """How often each code of a codebook was chosen over a set of code maps."""

    counts: np.ndarray  # (K,) int64
    maps: int  # how many code maps were counted

    @property
    def codebook_size(self) -> int:
        return int(len(self.counts))

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def dead(self) -> np.ndarray:
        """Indices of the codes never chosen: the VQ-VAE's mode collapse."""
        return np.flatnonzero(self.counts == 0)

    @property
    def used(self) -> int:
        return self.codebook_size - len(self.dead)

    @property
    def perplexity(self) -> float:
        """exp(entropy) of the usage: the number of codes in effective use (K when uniform)."""
        if self.total == 0:
            return 0.0
        p = self.counts[self.counts > 0] / self.total
        return float(np.exp(-(p * np.log(p)).sum()))

    def top(self, n: int = 5) -> list[tuple[int, int]]:
        """The ``n`` most used codes as (code, count), most used first."""
        order = np.argsort(-self.counts, kind="stable")[:n]
        return [(int(k), int(self.counts[k])) for k in order if self.counts[k] > 0]

    def sentence(self) -> str:
        """One line for people: used, dead (with the share), effective number of codes."""
        k, d = self.codebook_size, len(self.dead)
        share = 100.0 * d / k if k else 0.0
        return (f"{self.used} of {k} codes used over {self.maps} code maps; {d} dead ({share:.0f} %), "
                f"perplexity {self.perplexity:.1f}")


def usage_summary(counts: np.ndarray, maps: int) -> UsageSummary:
    """A :class:`UsageSummary` of per-code counts (K,) over ``maps`` code maps."""
    counts = np.array(counts, np.int64, copy=True).ravel()
    if (counts < 0).any():
        raise ValueError("code usage counts cannot be negative")
    counts.setflags(write=False)
    return UsageSummary(counts, int(maps))


def code_colours(codebook_size: int) -> np.ndarray:
    """A distinct colour per code, uint8 (K, 3): hues spaced by the golden angle, so
    neighbouring indices (often unrelated codes) never get look-alike colours."""
    out = np.empty((int(codebook_size), 3), np.uint8)
    for k in range(int(codebook_size)):
        hue = (k * 0.618033988749895) % 1.0
        light = 0.55 if k % 2 == 0 else 0.42
        out[k] = np.round(np.array(colorsys.hls_to_rgb(hue, light, 0.75)) * 255)
    return out
