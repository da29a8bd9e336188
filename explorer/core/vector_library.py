"""Named latent vectors a user builds and combines in expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class NamedVector:
    """A latent vector with where it came from (and a boundary's accuracy).

    ``source``, ``query`` and ``kind`` are its definition as the user gave it
    (``"query"``, ``"male & glasses"``, ``"mean"``), kept so a saved session
    can say how each vector was made.
    """

    name: str
    vector: np.ndarray
    origin: str
    accuracy: float | None = None
    count: int = 1
    source: str = ""
    query: str = ""
    kind: str = ""

    def summary(self) -> str:
        acc = f", accuracy {self.accuracy:.0%}" if self.accuracy is not None else ""
        return f"{self.name} — {self.origin} (n={self.count}, |v|={np.linalg.norm(self.vector):.2f}{acc})"


class VectorLibrary:
    """An ordered set of named vectors, all of one latent size."""

    def __init__(self) -> None:
        self._items: dict[str, NamedVector] = {}

    def add(self, item: NamedVector) -> None:
        if not _NAME.match(item.name):
            raise ValueError(f"{item.name!r} is not a valid name (letters, digits and _, not starting with a digit)")
        if self._items:
            size = next(iter(self._items.values())).vector.size
            if item.vector.size != size:
                raise ValueError(f"{item.name}: a vector of size {item.vector.size}, the others have {size}")
        self._items[item.name] = item

    def remove(self, name: str) -> None:
        self._items.pop(name, None)

    def clear(self) -> None:
        self._items.clear()

    def names(self) -> list[str]:
        return list(self._items)

    def __getitem__(self, name: str) -> NamedVector:
        return self._items[name]

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def vectors(self) -> dict[str, np.ndarray]:
        return {k: v.vector for k, v in self._items.items()}
