"""Slides: bookmarks of what the window showed, to present them in order (Qt-free).

A :class:`Slide` holds a saved view — the layout, the scatter's range, the
colouring — with the selection, the point in the preview and, optionally, a
walk that plays when the slide opens. :class:`Slides` is the ordered list of
them; like :class:`~explorer.core.tags.Tags` it is immutable (every change
returns a new value), so the session keeps old lists on its undo stack. A
session file stores them in a section ``slides`` plus a few arrays per slide
(see :func:`to_document` / :func:`from_document`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

SECTION = "slides"
MAX_NAME = 120
WALK_METHODS = ("slerp", "lerp")


class SlidesError(ValueError):
    """Slides data (a session file's section, a name, an index) is not usable; the message says why."""


def check_name(name: Any) -> str:
    """``name`` stripped, or SlidesError saying why it cannot name a slide."""
    if not isinstance(name, str):
        raise SlidesError(f"a slide's name should be text, not {type(name).__name__}")
    name = name.strip()
    if not name:
        raise SlidesError("a slide needs a name")
    if len(name) > MAX_NAME or "\n" in name or "\r" in name:
        raise SlidesError(f"slide name {name[:40]!r}…: use one line of at most {MAX_NAME} characters")
    return name


@dataclass(frozen=True, eq=False)
class SlideWalk:
    """A walk through ``waypoints`` (label, flat float32 latent) that plays when its slide opens."""

    waypoints: tuple[tuple[str, np.ndarray], ...]
    method: str = "slerp"
    steps: int = 16


@dataclass(frozen=True, eq=False)
class Slide:
    """One saved view.

    Attributes
    ----------
    name : str
    layout_method : str
        As :meth:`ExplorerSession.layout_kind` names it: ``"PCA"``, ``"t-SNE"``,
        ``"UMAP"`` or ``"attribute axes"``.
    layout_axes : (str, str) or None
        The named vectors on x and y, for attribute axes.
    view_range : ((x0, x1), (y0, y1)) or None
        The scatter's range (None: fit the points).
    colour_field : str
    selection : ndarray of int64 or None
        Indices of the selected bank points (indices survive the bank growing).
    selected : int or None
        The clicked bank point shown in the preview.
    current : (str, ndarray of float32 (d,)) or None
        Label and latent in the preview, as the session's ``current``.
    walk : SlideWalk or None
    """

    name: str
    layout_method: str = "PCA"
    layout_axes: tuple[str, str] | None = None
    view_range: tuple[tuple[float, float], tuple[float, float]] | None = None
    colour_field: str = ""
    selection: np.ndarray | None = None
    selected: int | None = None
    current: tuple[str, np.ndarray] | None = None
    walk: SlideWalk | None = None

    def selection_mask(self, n: int) -> np.ndarray | None:
        """The selection as a bool mask over a bank of ``n`` points (None when nothing was selected)."""
        if self.selection is None:
            return None
        mask = np.zeros(n, bool)
        mask[self.selection[self.selection < n]] = True
        return mask


class Slides:
    """An ordered list of slides; immutable (each change returns a new list)."""

    def __init__(self, items=()):
        self._items: tuple[Slide, ...] = tuple(items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def __getitem__(self, i: int) -> Slide:
        return self._items[self._index(i)]

    def _index(self, i: int) -> int:
        if not isinstance(i, (int, np.integer)) or not 0 <= i < len(self._items):
            raise SlidesError(f"there is no slide {i} (there are {len(self._items)})")
        return int(i)

    def names(self) -> list[str]:
        return [s.name for s in self._items]

    def next_name(self) -> str:
        """``"Slide N"`` for the first N not yet used."""
        used, k = set(self.names()), len(self._items) + 1
        while f"Slide {k}" in used:
            k += 1
        return f"Slide {k}"

    def added(self, slide: Slide, at: int | None = None) -> "Slides":
        """A copy with ``slide`` inserted at ``at`` (default: at the end)."""
        slide = replace(slide, name=check_name(slide.name))
        items = list(self._items)
        items.insert(len(items) if at is None else max(0, min(int(at), len(items))), slide)
        return Slides(items)

    def removed(self, i: int) -> "Slides":
        i = self._index(i)
        return Slides(self._items[:i] + self._items[i + 1:])

    def moved(self, i: int, to: int) -> "Slides":
        """A copy with slide ``i`` moved to position ``to`` (clamped to the list)."""
        i = self._index(i)
        items = list(self._items)
        slide = items.pop(i)
        items.insert(max(0, min(int(to), len(items))), slide)
        return Slides(items)

    def renamed(self, i: int, name: str) -> "Slides":
        i = self._index(i)
        items = list(self._items)
        items[i] = replace(items[i], name=check_name(name))
        return Slides(items)

    def replaced(self, i: int, slide: Slide) -> "Slides":
        """A copy with slide ``i`` replaced (updated to the view shown now, say)."""
        i = self._index(i)
        items = list(self._items)
        items[i] = replace(slide, name=check_name(slide.name))
        return Slides(items)


def slide_from_session(session, name: str, view_range=None, walk: SlideWalk | None = None) -> Slide:
    """What ``session`` shows now, as a slide called ``name`` (``view_range`` is the scatter's)."""
    sel = session.selection
    current = None
    if session.current is not None:
        current = (str(session.current[0]), np.asarray(session.current[1], np.float32).ravel().copy())
    return Slide(
        name=check_name(name), layout_method=session.layout_kind(),
        layout_axes=None if session.layout_axes is None else tuple(session.layout_axes),
        view_range=None if view_range is None else _range(view_range, "view range"),
        colour_field=session.colour_field,
        selection=None if sel is None or not np.any(sel) else np.flatnonzero(sel).astype(np.int64),
        selected=session.selected, current=current, walk=walk)


# ----------------------------------------------------------------------------- session file

def to_document(slides: Slides) -> tuple[dict, dict]:
    """``(sections, arrays)`` entries that store ``slides`` in a session file.

    The section ``slides`` holds ``{"slides": [...], "arrays": [keys]}``; each
    slide's latents and selection are arrays named ``slide:I:current``,
    ``slide:I:selection`` and ``slide:I:walk``. No slides: nothing at all.
    """
    if not len(slides):
        return {}, {}
    arrays: dict[str, np.ndarray] = {}

    def put(key: str, a: np.ndarray) -> str:
        arrays[key] = a
        return key

    entries = []
    for i, s in enumerate(slides):
        entry = {"name": s.name, "layout": {"method": s.layout_method,
                                            "axes": None if s.layout_axes is None else list(s.layout_axes)},
                 "view_range": None if s.view_range is None else [list(p) for p in s.view_range],
                 "colour_field": s.colour_field, "selected": s.selected,
                 "selection": None if s.selection is None else put(f"slide:{i}:selection",
                                                                    np.asarray(s.selection, np.int64)),
                 "current": None if s.current is None else {
                     "label": s.current[0], "latent": put(f"slide:{i}:current", np.asarray(s.current[1], np.float32))},
                 "walk": None}
        if s.walk is not None:
            entry["walk"] = {"method": s.walk.method, "steps": s.walk.steps,
                             "labels": [label for label, _ in s.walk.waypoints],
                             "latents": put(f"slide:{i}:walk", np.stack([np.asarray(z, np.float32).ravel()
                                                                         for _, z in s.walk.waypoints]))}
        entries.append(entry)
    return {SECTION: {"slides": entries, "arrays": list(arrays)}}, arrays


def from_document(sections: dict, arrays: dict, n: int, d: int) -> Slides:
    """The slides a session file's ``sections`` and ``arrays`` hold, for a bank of
    ``n`` codes of ``d`` numbers (no section: no slides).

    Raises SlidesError naming the slide and what is wrong with it.
    """
    section = sections.get(SECTION)
    if section is None:
        return Slides()
    if not isinstance(section, dict) or not isinstance(section.get("slides"), list):
        raise SlidesError("the slides section should be an object with a list of slides")
    return Slides(_slide(entry, i, arrays, n, d) for i, entry in enumerate(section["slides"]))


def _slide(entry: Any, i: int, arrays: dict, n: int, d: int) -> Slide:
    where = f"slide {i + 1}"
    if not isinstance(entry, dict):
        raise SlidesError(f"{where} should be an object")
    try:
        name = check_name(entry.get("name"))
    except SlidesError as e:
        raise SlidesError(f"{where}: {e}") from None
    where = f"slide {i + 1} ({name!r})"
    layout = _typed(entry.get("layout"), dict, where, "layout")
    method = _typed(layout.get("method"), str, where, "layout method")
    axes = layout.get("axes")
    if axes is not None and (not isinstance(axes, list) or len(axes) != 2 or not all(isinstance(a, str) for a in axes)):
        raise SlidesError(f"{where}: layout axes should name two vectors")
    if method == "attribute axes" and axes is None:
        raise SlidesError(f"{where}: attribute axes without the axes")
    view = entry.get("view_range")
    if view is not None:
        try:
            view = _range(view, "view range")
        except SlidesError as e:
            raise SlidesError(f"{where}: {e}") from None
    selected = entry.get("selected")
    if selected is not None and (not isinstance(selected, int) or isinstance(selected, bool)
                                 or not 0 <= selected < n):
        raise SlidesError(f"{where}: selected point {selected!r} is not in the bank of {n} codes")
    selection = None
    if entry.get("selection") is not None:
        selection = _array(arrays, entry["selection"], where, "selection")
        if selection.ndim != 1 or selection.dtype.kind not in "iu":
            raise SlidesError(f"{where}: the selection should be a list of point indices")
        if len(selection) and (selection.min() < 0 or selection.max() >= n):
            raise SlidesError(f"{where}: the selection names point {int(selection.max())}, "
                              f"but the bank has {n} codes")
        selection = selection.astype(np.int64)
    current = None
    if entry.get("current") is not None:
        cur = _typed(entry["current"], dict, where, "current point")
        z = _latents(arrays, cur.get("latent"), where, "current latent", d, (d,))
        current = (_typed(cur.get("label"), str, where, "current label"), z)
    walk = None
    if entry.get("walk") is not None:
        w = _typed(entry["walk"], dict, where, "walk")
        walk_method = _typed(w.get("method"), str, where, "walk method")
        if walk_method not in WALK_METHODS:
            raise SlidesError(f"{where}: walk method {walk_method!r} is not one of {', '.join(WALK_METHODS)}")
        steps = w.get("steps")
        if not isinstance(steps, int) or isinstance(steps, bool) or not 2 <= steps <= 10_000:
            raise SlidesError(f"{where}: walk steps should be a count from 2 to 10000, not {steps!r}")
        labels = w.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels) or len(labels) < 2:
            raise SlidesError(f"{where}: a walk needs the labels of at least two waypoints")
        z = _latents(arrays, w.get("latents"), where, "walk waypoints", d, (len(labels), d))
        walk = SlideWalk(tuple(zip(labels, z)), walk_method, steps)
    return Slide(name, method, None if axes is None else tuple(axes), view,
                 _typed(entry.get("colour_field", ""), str, where, "colour field"), selection, selected, current, walk)


def _typed(value: Any, kind: type, where: str, what: str) -> Any:
    if not isinstance(value, kind):
        word = {dict: "an object", str: "text"}.get(kind, kind.__name__)
        raise SlidesError(f"{where}: the {what} should be {word}")
    return value


def _array(arrays: dict, key: Any, where: str, what: str) -> np.ndarray:
    if not isinstance(key, str) or key not in arrays:
        raise SlidesError(f"{where}: its {what} is missing from the session")
    return np.asarray(arrays[key])


def _latents(arrays: dict, key: Any, where: str, what: str, d: int, shape: tuple) -> np.ndarray:
    a = _array(arrays, key, where, what)
    if a.dtype.kind != "f" or a.shape != shape:
        raise SlidesError(f"{where}: the {what} has shape {a.shape}, expected {shape} numbers "
                          f"(is the slide from another model?)")
    if not np.isfinite(a).all():
        raise SlidesError(f"{where}: the {what} holds non-finite values")
    return a.astype(np.float32)


def _range(view: Any, what: str) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = view
        numbers = (x0, x1, y0, y1)
    except (TypeError, ValueError):
        numbers = ()
    if not numbers or not all(isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) for v in numbers):
        raise SlidesError(f"the {what} should be [[x0, x1], [y0, y1]]")
    out = ((float(x0), float(x1)), (float(y0), float(y1)))
    if not all(math.isfinite(v) for p in out for v in p):
        raise SlidesError(f"the {what} holds non-finite values")
    return out
