"""What the window is showing: the bank, its layout, colouring, named vectors,
waypoints, the selection and the current point.

Plain Python, no Qt: widgets render from this and write user actions into it,
never the other way round. Every change is announced on ``events``; edits a
user would want to take back go through :meth:`ExplorerSession.edit` and land
on ``history`` (undo/redo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from explorer.core.colouring import TAGS_FIELD, Colouring, colour_by, colour_by_tags
from explorer.core.coverage import FEATURE_LAYOUTS
from explorer.core.events import Events
from explorer.core.history import Edit, History
from explorer.core.latent_bank import LatentBank
from explorer.core.projection import AttributeAxes, NeighbourPlacement, PCAProjection
from explorer.core.slides import Slides
from explorer.core.tags import Tags
from explorer.core.vector_library import NamedVector, VectorLibrary

EMBEDDINGS = ("t-SNE", "UMAP")
AXES = "attribute axes"


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The undoable part of a session. Arrays and vectors are shared, never copied:
    an edit replaces them, it does not change them in place."""

    vectors: tuple[NamedVector, ...]
    waypoints: tuple[tuple[str, np.ndarray], ...]
    selection: np.ndarray | None
    layout: tuple[str, tuple[str, str] | None]
    colour_field: str
    tags: Tags
    slides: Slides

    def same_as(self, other: "Snapshot") -> bool:
        return (_same(self.vectors, other.vectors) and _same(self.waypoints, other.waypoints)
                and self.selection is other.selection and self.layout == other.layout
                and self.colour_field == other.colour_field and self.tags is other.tags
                and self.slides is other.slides)


class ExplorerSession:
    """The current latent bank laid out in 2-D, and what the user made of it.

    Events (each called with no arguments): ``bank`` (a new bank: everything
    else was reset), ``layout`` (new coordinates), ``colour``, ``vectors``,
    ``waypoints``, ``selection`` (the lasso/box mask), ``current`` (the
    clicked point or the latent in the preview), ``tags`` and ``slides``.
    """

    def __init__(self) -> None:
        self.events = Events("bank", "layout", "colour", "vectors", "waypoints", "selection", "current", "tags",
                             "slides")
        self.history = History(self.restore)
        self.revision = 0  # bumped on every change, so a saver can tell whether anything changed
        for name in self.events.names:
            getattr(self.events, name).connect(self._bump)
        self._reset()

    def _bump(self) -> None:
        self.revision += 1

    def _reset(self) -> None:
        self.bank: LatentBank | None = None
        self.model_path = ""
        self.projection = None
        self.points = np.zeros((0, 2), np.float32)
        self.colour_field = ""
        self.selected: int | None = None
        self.vectors = VectorLibrary()
        self.waypoints: list[tuple[str, np.ndarray]] = []
        self.current: tuple[str, np.ndarray] | None = None  # the latent shown in the preview
        self.selection: np.ndarray | None = None  # (n,) bool
        self.tags = Tags(0)  # keep / reject / the user's own, over the bank
        self.slides = Slides()  # saved views to present, in order
        # How points that are not plain prior samples or encodings were made (a sample
        # moved along a direction): bank index → recipe, for exports and sessions.
        self.recipes: dict[int, dict] = {}
        self.layout_method = "PCA"
        self.layout_axes: tuple[str, str] | None = None
        self.layout_cache: dict[tuple, np.ndarray] = {}  # (method, bank id) → coordinates
        # The PCA of the bank shown, (bank, projection, points): switching back to PCA
        # (or undoing to it) reuses it instead of refitting a large bank in the GUI thread.
        self._pca: tuple | None = None

    # -- the bank ---------------------------------------------------------------
    def set_bank(self, bank: LatentBank, model_path: str = "", projection=None) -> None:
        """Show a new bank laid out by PCA; vectors, waypoints, selection and history start afresh.

        ``projection`` is a PCA already fitted to this bank off the GUI thread (the inference
        worker fits one with every bank it builds): a :class:`PCAProjection`, or a pair of it
        and the bank's 2-D points. Without one the PCA is fitted here.
        """
        colour = self.colour_field
        self._reset()
        self.bank, self.model_path = bank, model_path
        if projection is not None:
            fitted, points = projection if isinstance(projection, tuple) else (projection, None)
            if points is None:
                points = fitted.transform(bank.latents)
            points = np.asarray(points, np.float32)
            if points.shape != (len(bank), 2):
                raise ValueError(f"a precomputed PCA of {points.shape} points for a bank of {len(bank)}")
            self._pca = (bank, fitted, points)
        self._fit_pca()
        self.tags = Tags(len(bank))
        fields = bank.colour_fields()
        self.colour_field = colour if colour in fields else default_colour_field(fields)
        self.history.clear()
        self.events.bank.emit()

    def clear(self) -> None:
        """No bank at all (a model is opening)."""
        self._reset()
        self.history.clear()
        self.events.bank.emit()

    def add_encoded(self, latents, thumbnails, files, errors, attributes=None, labels=None) -> np.ndarray:
        """Append a user's encoded images to the bank, placed in the current layout; returns their indices."""
        if self.bank is None:
            raise RuntimeError("no bank to add to")
        return self._grow(self.bank.extended(latents, thumbnails, files, errors, attributes, labels))

    def add_generated(self, samples: LatentBank, recipe: dict | None = None) -> np.ndarray:
        """Append generated samples (with their seeds, indices and labels), placed in the
        current layout; returns their indices in the bank. ``recipe``, if given, says how
        they were made beyond their seed and index (each gets it, with its own ``base``)."""
        if self.bank is None:
            raise RuntimeError("no bank to add to")
        added = self._grow(self.bank.joined(samples))
        if recipe:
            for i in added.tolist():
                base = {"kind": "prior", "seed": int(self.bank.seeds[i]), "index": int(self.bank.indices[i])}
                self.recipes[i] = {**recipe, "base": base}
        return added

    def _grow(self, bank: LatentBank) -> np.ndarray:
        n0, old = len(self.bank), self.bank
        self.bank = bank
        new = self.bank.latents[n0:]
        self.points = np.vstack([self.points, self.place(new)]).astype(np.float32)
        # Computed t-SNE/UMAP layouts stay usable (undo, switching back): the new codes are
        # placed among their neighbours, as the shown layout just did. Older banks' entries go.
        self.layout_cache = {
            (m, id(self.bank)): np.vstack([c, NeighbourPlacement(old.latents, c).transform(new)]).astype(np.float32)
            for (m, key), c in self.layout_cache.items() if key == id(old)}
        if self.layout_method in EMBEDDINGS:
            self.layout_cache[(self.layout_method, id(self.bank))] = self.points
        if self.selection is not None:
            self.selection = np.concatenate([self.selection, np.zeros(len(self.bank) - n0, bool)])
        self.tags = self.tags.extended(len(self.bank))
        self.events.layout.emit()
        return np.arange(n0, len(self.bank))

    # -- layouts ----------------------------------------------------------------
    def _fit_pca(self) -> None:
        if self._pca is None or self._pca[0] is not self.bank:
            fitted = PCAProjection(2).fit(self.bank.latents)
            self._pca = (self.bank, fitted, fitted.transform(self.bank.latents))
        _, self.projection, self.points = self._pca
        self.layout_method, self.layout_axes = "PCA", None

    def use_pca(self) -> None:
        self._fit_pca()
        self.events.layout.emit()

    def use_embedding(self, method: str, coords: np.ndarray) -> None:
        """A t-SNE/UMAP layout of the bank; new latents are placed by neighbours."""
        coords = np.asarray(coords, np.float32)
        if coords.shape != (len(self.bank), 2):
            raise ValueError(f"{method}: {coords.shape} coordinates for {len(self.bank)} codes")
        self.layout_cache[(method, id(self.bank))] = coords
        self.projection = NeighbourPlacement(self.bank.latents, coords)
        self.points = coords
        self.layout_method, self.layout_axes = method, None
        self.events.layout.emit()

    def cached_embedding(self, method: str) -> np.ndarray | None:
        return self.layout_cache.get((method, id(self.bank)))

    def embeddings(self) -> dict[str, np.ndarray]:
        """The t-SNE/UMAP coordinates computed for this bank, by method."""
        return {m: c for (m, key), c in self.layout_cache.items() if key == id(self.bank)}

    def use_attribute_axes(self, x_name: str, y_name: str) -> None:
        """x along named vector ``x_name``, y along ``y_name``."""
        if x_name not in self.vectors or y_name not in self.vectors:
            raise ValueError("define two named vectors first (Arithmetic tab) to use them as axes")
        self.projection = AttributeAxes(self.vectors[x_name].vector, self.vectors[y_name].vector).fit(self.bank.latents)
        self.points = self.projection.transform(self.bank.latents)
        self.layout_method, self.layout_axes = f"{x_name} × {y_name}", (x_name, y_name)
        self.events.layout.emit()

    def apply_layout(self, method: str, axes: tuple[str, str] | None = None) -> None:
        """Show a layout already at hand: PCA, a cached embedding, or attribute axes."""
        if method == "PCA":
            self.use_pca()
        elif axes:
            self.use_attribute_axes(*axes)
        elif method in EMBEDDINGS and self.cached_embedding(method) is not None:
            self.use_embedding(method, self.cached_embedding(method))
        else:
            raise KeyError(f"{method} is not computed for this bank")

    def layout_title(self) -> tuple[str, str, str]:
        """Axis labels and a one-line description of the layout shown."""
        m = self.layout_method
        if m == "PCA" and self.projection is not None:
            r = self.projection.explained_variance_ratio_
            return f"PC1 ({r[0]:.0%} of variance)", f"PC2 ({r[1]:.0%})", f"PCA, {r.sum():.0%} of variance"
        if self.layout_axes:
            x, y = self.layout_axes
            return f"along {x}", f"along {y}", f"attribute axes: {x} × {y}"
        if m in FEATURE_LAYOUTS:  # the coverage overlay's: a PCA of images' features, not of latents
            return f"{m} PC1", f"{m} PC2", f"{m} of generated and real images (coverage overlay)"
        return f"{m} 1", f"{m} 2", f"{m} (distances between clusters mean little)"

    def layout_kind(self) -> str:
        """The layout's kind as the menu names it: PCA, t-SNE, UMAP or attribute axes."""
        return AXES if self.layout_axes else self.layout_method

    def place(self, latents: np.ndarray) -> np.ndarray:
        """2-D positions of new latents in the current layout."""
        if self.projection is None:
            raise RuntimeError("no bank is laid out yet")
        return self.projection.transform(np.asarray(latents).reshape(len(latents), -1))

    # -- colour, current point ------------------------------------------------------
    def colouring(self) -> Colouring:
        if self.bank is None:
            return Colouring("", np.zeros(0, np.int64), ("all",), ((120, 160, 220),))
        if self.colour_field == TAGS_FIELD:
            return colour_by_tags(self.tags)
        return colour_by(self.bank, self.colour_field)

    def colour_fields(self) -> list[str]:
        """What the points can be coloured by: the bank's labels and attributes, and the tags."""
        return [] if self.bank is None else self.bank.colour_fields() + [TAGS_FIELD]

    def set_colour_field(self, field: str) -> None:
        if self.bank is not None and field and field not in self.colour_fields():
            raise KeyError(f"no attribute {field!r}")
        self.colour_field = field
        self.events.colour.emit()

    def select(self, index: int | None) -> None:
        """Make bank point ``index`` the current point (``None``: no clicked point)."""
        if index is not None and (self.bank is None or not 0 <= index < len(self.bank)):
            raise IndexError(f"no point {index}")
        self.selected = index
        if index is not None:
            self.current = (f"#{index}", self.bank.latents[index])
        self.events.current.emit()

    def set_current(self, label: str, latent: np.ndarray) -> None:
        """A latent that is not a bank point (a walk frame, a result, an edit) is now current."""
        self.selected = None
        self.current = (label, np.asarray(latent, np.float32).ravel())
        self.events.current.emit()

    # -- undoable edits -----------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(tuple(self.vectors[n] for n in self.vectors.names()), tuple(self.waypoints),
                        self.selection, (self.layout_method, self.layout_axes), self.colour_field, self.tags,
                        self.slides)

    def restore(self, snap: Snapshot) -> None:
        """Put the undoable state back as it was in ``snap``, announcing what changed."""
        now = self.snapshot()
        if not _same(now.vectors, snap.vectors):
            self.vectors.clear()
            for item in snap.vectors:
                self.vectors.add(item)
            self.events.vectors.emit()
        if not _same(now.waypoints, snap.waypoints):
            self.waypoints = list(snap.waypoints)
            self.events.waypoints.emit()
        if now.selection is not snap.selection:
            self.selection = snap.selection
            self.events.selection.emit()
        if now.slides is not snap.slides:
            self.slides = snap.slides
            self.events.slides.emit()
        if now.tags is not snap.tags:
            n = len(self.bank) if self.bank is not None else 0
            # Undoing a tag made before images were added: the new points stay untagged.
            self.tags = snap.tags if snap.tags.n == n else snap.tags.extended(n)
            self.events.tags.emit()
        if now.layout != snap.layout:
            try:
                self.apply_layout(*snap.layout)
            except (KeyError, ValueError):  # a layout that can no longer be rebuilt (its vectors are gone)
                self.use_pca()
        if now.colour_field != snap.colour_field:
            self.set_colour_field(snap.colour_field)

    def edit(self, label: str, change: Callable[[], None]) -> None:
        """Run ``change`` (which edits this session) as one undoable step called ``label``.

        Exceptions from ``change`` propagate and nothing is recorded; the events
        of the parts it changed are emitted here.
        """
        before = self.snapshot()
        change()
        after = self.snapshot()
        if not _same(before.vectors, after.vectors):
            self.events.vectors.emit()
        if not _same(before.waypoints, after.waypoints):
            self.events.waypoints.emit()
        if before.selection is not after.selection:
            self.events.selection.emit()
        if before.tags is not after.tags:
            self.events.tags.emit()
        if before.slides is not after.slides:
            self.events.slides.emit()
        if before.same_as(after):
            return
        self.history.push(Edit(label, before, after))

    def set_tag(self, name: str, indices, on: bool = True) -> None:
        """Tag (or untag) bank points ``indices`` with ``name``; use inside :meth:`edit`."""
        self.tags = self.tags.tagged(name, indices, on)

    def set_selection(self, mask: np.ndarray | None) -> None:
        """Replace the lasso/box selection (a bool mask over the bank); use inside :meth:`edit`."""
        if mask is not None:
            mask = np.asarray(mask, bool)
            if self.bank is None or mask.shape != (len(self.bank),):
                raise ValueError("a selection must have one entry per bank point")
            mask.setflags(write=False)
        self.selection = mask


def _same(a: tuple, b: tuple) -> bool:
    """Element-wise identity: snapshots share objects, so an unchanged part is the same object."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def default_colour_field(fields: list[str]) -> str:
    """``glasses`` for toyfaces (the headline attribute), else the first field."""
    for preferred in ("glasses", "label"):
        if preferred in fields:
            return preferred
    return fields[0] if fields else ""
