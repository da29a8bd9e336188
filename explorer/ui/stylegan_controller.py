"""The StyleGAN tab's glue: truncation ψ, Z or W, and style mixing of two points.

The model lives in the worker thread, so every change is a request
(:class:`SetTruncation`, :class:`SetLatentSpace`, :class:`StyleMix`). A new ψ
changes every later decode: the preview is decoded again at once, while the
bank's thumbnails keep the ψ they were drawn at until the bank is rebuilt (the
note under the slider and the status bar say so). A new space changes what the
bank's codes are, so the bank is rebuilt, as Model ▸ Rebuild latent bank does.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from superqt.utils import qthrottled

from explorer.inference.requests import Decode, SetLatentSpace, SetTruncation, StyleMix
from explorer.ui.stylegan_panel import StyleGANPanel

FAMILY = "stylegan2"
SPACE_NAMES = {"w": "W", "z": "Z"}


def layer_label(name: str, start: int, stop: int, image_size: int) -> str:
    """``coarse — layers 0–3, 4–8 px``: W+ layers ``start … stop−1`` and the resolutions they style
    (two layers per resolution from 4 px up, as the StyleGAN papers count them)."""
    if stop <= start:
        return f"{name} — no layers at {image_size} px"
    low, high = (min(image_size, 4 * 2 ** (j // 2)) for j in (start, stop - 1))
    pixels = f"{low} px" if low == high else f"{low}–{high} px"
    return f"{name} — layers {start}–{stop - 1}, {pixels}"


class StyleGANController(QObject):
    """Owns the StyleGAN tab; ``mixed(payload)`` says a style mix is shown, ``stateChanged()``
    that the model confirmed a new ψ or space."""

    mixed = Signal(object)
    stateChanged = Signal()

    def __init__(self, ctx, panel: StyleGANPanel):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        self.psi, self.space, self.bank_psi = 1.0, "w", 1.0
        self.image_size = 0
        self.sources: dict[str, tuple[str, np.ndarray] | None] = {"a": None, "b": None}
        self._mix_shown = False
        self._restoring: set[int] = set()  # SetLatentSpace requests that match a session's bank
        ctx.models.modelOpened.connect(self._on_model)
        ctx.models.bankShown.connect(self._on_bank)
        # A dragged slider sends at most one ψ per 80 ms; the last one always goes.
        self._send_psi = qthrottled(self.set_truncation, timeout=80, parent=self)
        panel.truncationChanged.connect(self._send_psi)
        panel.spaceChosen.connect(self.set_space)
        panel.sourceRequested.connect(self.use_current)
        panel.mixRequested.connect(self.mix)
        panel.set_available(False)

    @property
    def available(self) -> bool:
        info = self.ctx.models.info
        return info is not None and info.family == FAMILY

    # -- a model opens -------------------------------------------------------------------------
    def _on_model(self, info) -> None:
        self.psi, self.space, self.bank_psi, self.image_size = 1.0, "w", 1.0, info.image_size
        self.sources = {"a": None, "b": None}
        self._mix_shown = False
        self.panel.reset()
        self.panel.set_available(self.available)
        if self.available:  # the model's layer groups (and its ψ, 1 when just opened)
            self.ctx.client.submit(SetTruncation(1.0), owner=self)

    def _on_bank(self) -> None:
        bank = self.ctx.session.bank
        recipe = bank.recipe if bank is not None else {}
        if self.available and recipe.get("space") in ("w", "z") and recipe["space"] != self.space:
            # A session's bank of Z (or W) codes: the freshly opened model must decode that space.
            self._restoring.add(self.ctx.client.submit(SetLatentSpace(recipe["space"]), owner=self).id)
        if self.available and "truncation" in recipe and abs(float(recipe["truncation"]) - self.psi) > 1e-9:
            self.set_truncation(float(recipe["truncation"]))
            self.panel.show_psi(float(recipe["truncation"]))
        self.bank_psi = float(recipe.get("truncation", self.psi))  # the ψ this bank's thumbnails were made at
        self._show_thumbnail_note()

    # -- truncation ---------------------------------------------------------------------------
    def set_truncation(self, psi: float) -> None:
        """Decode with truncation ``psi`` from now on (1: none; 0: the mean W for every code)."""
        if self.available:
            self.ctx.client.submit(SetTruncation(float(psi)), owner=self)

    def _redecode_preview(self) -> None:
        """The preview shows the current point at the new ψ (its words stay; the image is replaced)."""
        state, current = self.ctx.preview.state, self.ctx.session.current
        if current is None or not state.title:
            return
        self.ctx.client.decode(np.asarray(current[1])[None], "click", tag=state, owner=self)

    def _show_thumbnail_note(self) -> None:
        if abs(self.psi - self.bank_psi) < 1e-6:
            self.panel.psi_note.setText("")
            return
        self.panel.psi_note.setText(f"Thumbnails and hover tips keep the bank's ψ = {self.bank_psi:.2f} until "
                                    "Model ▸ Rebuild latent bank.")
        self.ctx.window.statusBar().showMessage(f"ψ = {self.psi:.2f}: thumbnails show ψ = {self.bank_psi:.2f} until "
                                                "Model ▸ Rebuild latent bank", 8000)

    # -- latent space --------------------------------------------------------------------------
    def set_space(self, space: str) -> None:
        """Explore ``space`` (``"z"`` or ``"w"``): the bank is rebuilt with codes of that space."""
        if not self.available or space == self.space:
            return
        req = self.ctx.client.submit(SetLatentSpace(space), owner=self)
        self.ctx.jobs.begin(req, f"Switching to {SPACE_NAMES.get(space, space)} space…")

    # -- style mixing --------------------------------------------------------------------------
    def use_current(self, which: str) -> None:
        """The current point (the one in the preview) becomes source ``which`` (``"a"`` or ``"b"``)."""
        current = self.ctx.session.current
        if current is None:
            self.ctx.message_bar.show_error(f"Click a point first: it becomes style source {which.upper()}")
            return
        label, latent = current
        self.sources[which] = (label, np.array(latent, np.float32))
        self.panel.show_source(which, f"{label} ({SPACE_NAMES[self.space]})")

    def mix(self, group: str | None = None) -> bool:
        """Decode A, B and A with B's styles in ``group`` (the panel's choice when None); False
        (and a message) when A or B is missing."""
        missing = [k.upper() for k, v in self.sources.items() if v is None]
        if missing:
            self.ctx.message_bar.show_error(f"Choose style source {' and '.join(missing)} first: click a point, "
                                            "then Use current as A (or B)")
            return False
        group = group or self.panel.layer_group()
        (_, a), (_, b) = self.sources["a"], self.sources["b"]
        self.ctx.client.submit(StyleMix(a[None], b[None], group), owner=self)
        return True

    def _show_mix(self, request: StyleMix, payload: dict) -> None:
        (a_label, _), (b_label, _) = self.sources["a"], self.sources["b"]
        images = [payload["a"][0], payload["b"][0], payload["mix"][0]]
        captions = [f"A {a_label}", f"B {b_label}", f"A + B's {request.layers}"]
        self.panel.show_mix(images, captions)
        self._mix_shown = True
        self.mixed.emit(payload)

    # -- answers -------------------------------------------------------------------------------
    def on_response(self, request, payload) -> None:
        if isinstance(request, Decode):
            if self.ctx.preview.state is request.tag:  # still the point it was asked for
                self.ctx.preview.show_state(request.tag.with_image(payload[0]))
        elif isinstance(request, StyleMix):
            if all(self.sources.values()):
                self._show_mix(request, payload)
        elif isinstance(request, SetLatentSpace):
            self.ctx.jobs.end(request)
            self._show_state(payload)
            if request.id in self._restoring:  # the bank shown already is of this space
                self._restoring.discard(request.id)
                self.ctx.models.info = payload["info"]
                self.ctx.models.update_status()
                return
            self.sources = {"a": None, "b": None}  # codes of the other space
            for which in self.sources:
                self.panel.show_source(which, "")
            self.panel.clear_mix()
            self._mix_shown = False
            self.ctx.models.info = payload["info"]
            self.ctx.models.update_status()
            self.ctx.models.rebuild_bank()
        else:  # SetTruncation
            changed = abs(payload["truncation"] - self.psi) > 1e-9
            self._show_state(payload)
            if changed:
                self._redecode_preview()
                if self._mix_shown:
                    self.mix()
            self._show_thumbnail_note()

    def _show_state(self, payload: dict) -> None:
        # The slider is left where it is: it may be ahead of this answer while it is dragged.
        self.psi, self.space = payload["truncation"], payload["space"]
        self.panel.show_space(self.space)
        self.panel.set_layer_groups({name: layer_label(name, start, stop, self.image_size)
                                     for name, (start, stop) in payload["layer_groups"].items()})
        self.stateChanged.emit()

    def on_failed(self, request, message: str) -> None:
        if isinstance(request, SetLatentSpace):
            self.ctx.jobs.end(request)
            self.panel.show_space(self.space)  # the model kept its space
        elif isinstance(request, SetTruncation):
            self.panel.show_psi(self.psi)
        self.ctx.message_bar.show_error(message)

    def on_cancelled(self, request) -> None:
        if isinstance(request, SetLatentSpace):
            self.ctx.jobs.end(request, "Cancelled")
            self.panel.show_space(self.space)
