"""View ▸ Coverage overlay: real (reference) images drawn among the generated
points in a second colour, so a mode the model misses shows as a region of
real points with no generated ones; a click there lists the real images nearest
to it.

A model with a fast encoder (a VAE) encodes the real images into the layout
shown. Any other (a GAN, a diffusion model) cannot, so while the overlay is on
the scatter shows a feature layout instead — one PCA of the bundled
classifier's features of the bank's images and the real ones — and the layout
shown before comes back when it is turned off. The status bar says which
space is shown.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction

from explorer.core.coverage import FEATURE_LAYOUTS, bounds, count_within, nearest_real
from explorer.inference.coverage_job import MAX_FEATURE_BANK
from explorer.inference.requests import ReferenceEmbedding
from explorer.ui.nearest_real_dialog import NearestRealDialog

LEGEND = "real (reference)"
# Hollow magenta diamonds: a hue no colouring uses, and hollow so the generated points under them still show.
REAL_STYLE = dict(symbol="d", size=9, colour=(255, 40, 200), filled=False)
#: Real images shown; held out from training, the same ones every time.
REFERENCE_N = 500
#: A click this close (screen pixels) to a real point picks it; one in empty space
#: (no bank point under it) this close to real points lists the nearest of them.
ON_POINT_PX, NEAR_PX = 8, 40


class CoverageController(QObject):
    """Owns ReferenceEmbedding requests, the overlay's layer and the nearest-real window."""

    shown = Signal()  # the overlay is drawn
    nearestShown = Signal(object)  # indices of the real images listed after a click

    def __init__(self, ctx):
        super().__init__(ctx.window)
        self.ctx = ctx
        self.action = QAction("&Coverage overlay", ctx.window)
        self.action.setCheckable(True)
        self.action.setToolTip("Draw held-out real images among the generated points: gaps are missing modes")
        self.action.toggled.connect(self.toggle)
        self.dialog: NearestRealDialog | None = None
        self.request = None  # the embedding asked for and not answered yet
        self.on = False  # the overlay is drawn
        self.mode = ""  # "latent" (real images encoded) or "features" (a feature layout is shown)
        self.space = ""  # the space shown, in words
        self.images: np.ndarray | None = None  # the real images
        self.latents: np.ndarray | None = None  # their codes (latent mode)
        self.real_points: np.ndarray | None = None  # where they are drawn now
        self._previous_layout: tuple[str, tuple | None] | None = None  # to restore after a feature layout
        ctx.session.events.bank.connect(self._on_bank)
        ctx.session.events.layout.connect(self._on_layout)
        ctx.scatter.plot.scene().sigMouseClicked.connect(self._on_click)

    # -- on and off ---------------------------------------------------------------------
    def toggle(self, on: bool) -> None:
        """Show (``True``) or remove the overlay; the View menu's check mark follows."""
        self._check(on)
        if on and not self.on and self.request is None:
            self._start()
        elif not on:
            self._stop()

    def _check(self, on: bool) -> None:
        if self.action.isChecked() != on:
            self.action.blockSignals(True)
            self.action.setChecked(on)
            self.action.blockSignals(False)

    def _start(self) -> None:
        s = self.ctx.session
        if s.bank is None:
            self.ctx.message_bar.show_error("Coverage overlay: open a model first")
            self._check(False)
            return
        n = len(s.bank)
        images = s.bank.thumbnails if s.bank.thumbnails is not None and n <= MAX_FEATURE_BANK else None
        latents = s.bank.latents if images is None and n <= MAX_FEATURE_BANK else None
        req = self.ctx.client.submit(ReferenceEmbedding(REFERENCE_N, n, latents, images), owner=self)
        self.request = req
        self.ctx.jobs.begin(req, f"Coverage overlay: placing {REFERENCE_N} real images…", self._cancel)

    def _cancel(self) -> None:
        if self.request is not None:
            self.ctx.client.cancel(self.request)

    def _stop(self, restore: bool = True, note: str = "Coverage overlay off") -> None:
        if self.request is not None:
            self._cancel()
            self.request = None
        was_features = self.mode == "features"
        self.ctx.overlays.set(LEGEND, None)
        self.ctx.scatter.set_overlay(LEGEND, None)
        self.ctx.scatter.set_legend_entry(LEGEND, None)
        self.on, self.mode, self.real_points, self.latents = False, "", None, None
        s = self.ctx.session
        if restore and was_features and s.bank is not None and s.layout_method in FEATURE_LAYOUTS:
            method, axes = self._previous_layout or ("PCA", None)
            try:
                s.apply_layout(method, axes)
            except (KeyError, ValueError):  # its vectors are gone: PCA always works
                s.use_pca()
        self._previous_layout = None
        if note and s.bank is not None:
            self.ctx.window.statusBar().showMessage(note, 4000)

    # -- the worker's answers -------------------------------------------------------------
    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        if request is self.request:
            self.request = None
            self._check(False)
            self.ctx.message_bar.show_error(f"Coverage overlay: {message}")

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, "Coverage overlay cancelled")
        if request is self.request:
            self.request = None
            self._check(False)

    def on_response(self, request, payload: dict) -> None:
        self.ctx.jobs.end(request)
        s = self.ctx.session
        if request is not self.request:
            return  # turned off (or the bank changed) while it was computed
        self.request = None
        if s.bank is None or (payload["mode"] == "features" and len(payload["bank_points"]) != len(s.bank)):
            self._check(False)
            self.ctx.message_bar.show_error("Coverage overlay: the bank changed while the real images were "
                                            "placed; turn the overlay on again")
            return
        self.images, self.space, self.on = payload["images"], payload["space"], True
        if payload["mode"] == "latent":
            self.mode, self.latents = "latent", payload["latents"]
            self.ctx.overlays.set(LEGEND, self.latents, **REAL_STYLE)
            self.real_points = s.place(self.latents)
        else:
            self.mode = "features"
            if s.layout_method not in FEATURE_LAYOUTS:
                self._previous_layout = (s.layout_method, s.layout_axes)
            s.use_embedding(payload["method"], payload["bank_points"])
            self.real_points = np.asarray(payload["real_points"], np.float32)
            self.ctx.scatter.set_overlay(LEGEND, self.real_points, **REAL_STYLE)
        self.ctx.scatter.set_legend_entry(LEGEND, REAL_STYLE["colour"], "◇")
        view = bounds(s.points, self.real_points)
        if view is not None:  # real points outside the bank's range are the point of the overlay: show them
            self.ctx.scatter.set_view_range(*view)
        self.ctx.window.statusBar().showMessage(f"Coverage overlay: {len(self.images)} real images ◇ in {self.space}")
        self.shown.emit()

    # -- session changes ------------------------------------------------------------------
    def _on_bank(self) -> None:
        """A new bank: the overlay goes (its layers were cleared with the bank)."""
        if self.on or self.request is not None:
            self._stop(restore=False, note="")
            self._check(False)

    def _on_layout(self) -> None:
        if not self.on:
            return
        s = self.ctx.session
        if self.mode == "latent":
            self.real_points = s.place(self.latents)  # the overlay layer itself re-places on its own
        elif s.layout_method not in FEATURE_LAYOUTS:
            # Another layout was chosen: real images have no latents, so no place in it.
            self._previous_layout = None
            self._stop(restore=False, note=f"Coverage overlay off: real images have no place in the "
                                           f"{s.layout_kind()} layout of a model that cannot encode them")
            self._check(False)

    # -- clicks ---------------------------------------------------------------------------
    def _on_click(self, event) -> None:
        if not self.on or event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        vb = self.ctx.scatter.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        on_bank_point = self.ctx.scatter.point_under(event.scenePos()) is not None
        self.show_nearest(p.x(), p.y(), vb.viewPixelSize(), on_bank_point)

    def show_nearest(self, x: float, y: float, pixel: tuple[float, float], on_bank_point: bool = False) -> np.ndarray:
        """List the real images nearest to data point ``(x, y)`` (``pixel``: data units per
        screen pixel): when a real point is under it, or — off the bank's points — when real
        points are near. Returns their indices (none: nothing shown)."""
        if not self.on or self.real_points is None:
            return np.zeros(0, np.intp)
        px, py = float(pixel[0]), float(pixel[1])
        idx = nearest_real(self.real_points, x, y, (ON_POINT_PX * px, ON_POINT_PX * py))
        if not len(idx) and not on_bank_point:
            idx = nearest_real(self.real_points, x, y, (NEAR_PX * px, NEAR_PX * py))
        if not len(idx):
            return idx
        # As many generated points within the same distance say whether the model reaches here.
        radius = float(np.hypot((self.real_points[idx, 0] - x) / px, (self.real_points[idx, 1] - y) / py).max())
        generated = count_within(self.ctx.session.points, x, y, (px, py), radius)
        gap = " — none: a region of the data the model does not reach" if generated == 0 else ""
        if self.dialog is None:
            self.dialog = NearestRealDialog(self.ctx.window)
        self.dialog.show_images(self.images[idx], idx, f"The {len(idx)} real images nearest to the click, in "
                                                       f"{self.space}. Generated points as near: {generated}{gap}.")
        self.nearestShown.emit(idx)
        return idx
