"""Named layers of latents drawn over the bank (a path, a result, neighbours),
kept as latents so each is placed again whenever the layout changes."""

from __future__ import annotations

import numpy as np

from explorer.core.session import ExplorerSession
from explorer.ui.scatter_view import ScatterView


class OverlayLayers:
    """``set(name, latents, **style)`` draws; a new layout re-places; a new bank clears."""

    def __init__(self, session: ExplorerSession, scatter: ScatterView):
        self.session, self.scatter = session, scatter
        self._layers: dict[str, tuple[np.ndarray, dict]] = {}
        session.events.layout.connect(self._replace)
        session.events.bank.connect(self.clear)

    def set(self, name: str, latents: np.ndarray | None, **style) -> None:
        """Draw ``latents`` as layer ``name`` (``None`` removes it)."""
        if latents is None or len(latents) == 0 or self.session.projection is None:
            self._layers.pop(name, None)
            self.scatter.set_overlay(name, None)
            return
        latents = np.asarray(latents, np.float32).reshape(len(latents), -1)
        self._layers[name] = (latents, style)
        self.scatter.set_overlay(name, self.session.place(latents), **style)

    def names(self) -> list[str]:
        return list(self._layers)

    def clear(self) -> None:
        for name in list(self.scatter.overlays):
            self.scatter.set_overlay(name, None)
        self._layers.clear()

    def _replace(self) -> None:
        for name, (latents, style) in list(self._layers.items()):
            self.scatter.set_overlay(name, self.session.place(latents), **style)
