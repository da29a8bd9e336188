"""What the window is showing: the bank, its layout, colouring and selection.

Plain Python, no Qt: widgets render from this and write user actions into it,
never the other way round.
"""

from __future__ import annotations

import numpy as np

from explorer.core.colouring import Colouring, colour_by
from explorer.core.latent_bank import LatentBank
from explorer.core.projection import AttributeAxes, NeighbourPlacement, PCAProjection
from explorer.core.vector_library import VectorLibrary


class ExplorerSession:
    """The current latent bank laid out by PCA, the colour field and the selection."""

    def __init__(self) -> None:
        self.bank: LatentBank | None = None
        self.projection: PCAProjection | None = None
        self.points = np.zeros((0, 2), np.float32)
        self.colour_field = ""
        self.selected: int | None = None
        self.vectors = VectorLibrary()
        self.waypoints: list[tuple[str, np.ndarray]] = []
        self.current: tuple[str, np.ndarray] | None = None  # the latent shown in the preview
        self.layout_method = "PCA"
        self.layout_cache: dict[tuple, np.ndarray] = {}  # (method, bank id) → coordinates

    def set_bank(self, bank: LatentBank) -> None:
        self.bank = bank
        self.projection = PCAProjection(2).fit(bank.latents)
        self.points = self.projection.transform(bank.latents)
        self.layout_method = "PCA"
        self.layout_cache = {}
        fields = bank.colour_fields()
        if self.colour_field not in fields:
            self.colour_field = default_colour_field(fields)
        self.selected = None
        self.vectors.clear()
        self.waypoints = []
        self.current = None

    def use_pca(self) -> None:
        self.projection = PCAProjection(2).fit(self.bank.latents)
        self.points = self.projection.transform(self.bank.latents)
        self.layout_method = "PCA"

    def use_embedding(self, method: str, coords: np.ndarray) -> None:
        """A t-SNE/UMAP layout of the bank; new latents are placed by neighbours."""
        coords = np.asarray(coords, np.float32)
        if coords.shape != (len(self.bank), 2):
            raise ValueError(f"{method}: {coords.shape} coordinates for {len(self.bank)} codes")
        self.layout_cache[(method, id(self.bank))] = coords
        self.projection = NeighbourPlacement(self.bank.latents, coords)
        self.points = coords
        self.layout_method = method

    def cached_embedding(self, method: str) -> np.ndarray | None:
        return self.layout_cache.get((method, id(self.bank)))

    def use_attribute_axes(self, x_name: str, y_name: str) -> None:
        """x along named vector ``x_name``, y along ``y_name``."""
        if x_name not in self.vectors or y_name not in self.vectors:
            raise ValueError("define two named vectors first (Arithmetic tab) to use them as axes")
        self.projection = AttributeAxes(self.vectors[x_name].vector, self.vectors[y_name].vector).fit(self.bank.latents)
        self.points = self.projection.transform(self.bank.latents)
        self.layout_method = f"{x_name} × {y_name}"

    def place(self, latents: np.ndarray) -> np.ndarray:
        """2-D positions of new latents in the current layout."""
        if self.projection is None:
            raise RuntimeError("no bank is laid out yet")
        return self.projection.transform(np.asarray(latents).reshape(len(latents), -1))

    def add_encoded(self, latents, thumbnails, files, errors, attributes=None, labels=None) -> np.ndarray:
        """Append a user's encoded images to the bank, placed in the current layout; returns their indices."""
        if self.bank is None:
            raise RuntimeError("no bank to add to")
        n0 = len(self.bank)
        self.bank = self.bank.extended(latents, thumbnails, files, errors, attributes, labels)
        new = self.bank.latents[n0:]
        self.points = np.vstack([self.points, self.place(new)]).astype(np.float32)
        return np.arange(n0, len(self.bank))

    def clear(self) -> None:
        self.__init__()

    def colouring(self) -> Colouring:
        if self.bank is None:
            return Colouring("", np.zeros(0, np.int64), ("all",), ((120, 160, 220),))
        return colour_by(self.bank, self.colour_field)

    def select(self, index: int | None) -> None:
        if index is not None and (self.bank is None or not 0 <= index < len(self.bank)):
            raise IndexError(f"no point {index}")
        self.selected = index
        if index is not None:
            self.current = (f"#{index}", self.bank.latents[index])


def default_colour_field(fields: list[str]) -> str:
    """``glasses`` for toyfaces (the headline attribute), else the first field."""
    for preferred in ("glasses", "label"):
        if preferred in fields:
            return preferred
    return fields[0] if fields else ""
