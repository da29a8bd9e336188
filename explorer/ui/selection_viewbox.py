"""The scatter's view box: a left drag pans, lassoes or draws a selection box."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal


class LassoViewBox(pg.ViewBox):
    """A ViewBox whose left drag pans, lassoes or draws a box, by tool and modifiers.

    ``tool`` is ``"pan"`` (drag pans; Ctrl+drag lassoes, Shift+drag draws a
    box), ``"lasso"`` or ``"box"`` (drag selects; with Shift it adds to the
    selection, with Ctrl or Alt it removes from it). ``lassoDone(vertices,
    mode)`` gives the polygon in data coordinates and ``replace``/``add``/``remove``.
    """

    lassoMoved = Signal(object)
    lassoDone = Signal(object, str)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lasso: list[tuple[float, float]] = []
        self._gesture: tuple[str, str] | None = None  # (shape, mode) of the drag under way
        self.tool = "pan"

    def _gesture_for(self, mods) -> tuple[str, str] | None:
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier))
        if self.tool == "pan":
            if ctrl:
                return "lasso", "replace"
            return ("box", "replace") if shift else None
        return self.tool, "add" if shift else "remove" if ctrl else "replace"

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        if ev.isStart():
            self._gesture = self._gesture_for(ev.modifiers())
        if self._gesture is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        shape, mode = self._gesture
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():  # from where the button went down, not where the drag was recognised
            down = self.mapSceneToView(ev.buttonDownScenePos())
            self._lasso = [(down.x(), down.y())]
        self._lasso.append((p.x(), p.y()))
        if shape == "box":  # a rectangle from where the drag began to where it is
            (x0, y0), (x1, y1) = self._lasso[0], self._lasso[-1]
            self._lasso = [(x0, y0), (x1, y1)]
            vertices = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], np.float64)
        else:
            vertices = np.asarray(self._lasso, np.float64)
        if ev.isFinish():
            self._gesture = None
            self.lassoDone.emit(vertices, mode)
        else:
            self.lassoMoved.emit(vertices)
