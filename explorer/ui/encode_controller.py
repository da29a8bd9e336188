"""Your own images: dropped files or folders are encoded (VAE encoder, DDIM or
GAN inversion, in the worker with progress and Cancel) into the bank."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

USER_STYLE = dict(symbol="t", size=14, colour=(213, 94, 0))


class EncodeController(QObject):
    """Owns EncodeImages requests; appends the results to the session's bank."""

    def __init__(self, ctx, select_point):
        super().__init__(ctx.window)
        self.ctx = ctx
        self._select_point = select_point
        ctx.session.events.bank.connect(self._on_bank)

    def _on_bank(self) -> None:
        s = self.ctx.session
        if s.bank is not None and s.bank.user_files:  # a restored session's images keep their triangles
            self.ctx.overlays.set("your images", s.bank.latents[s.bank.user_indices()], **USER_STYLE)

    def encode_images(self, paths: list[str]) -> None:
        """Encode the user's images (VAE encoder, DDIM or GAN inversion) into the bank."""
        if self.ctx.session.bank is None:
            self.ctx.message_bar.show_error("Open a model first, then drop images on it")
            return
        req = self.ctx.client.encode_images(paths, owner=self)
        self.ctx.jobs.begin(req, f"Encoding {len(paths)} item(s)…", lambda: self.ctx.client.cancel(req))

    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_response(self, request, payload: dict) -> None:
        self.ctx.jobs.end(request)
        s = self.ctx.session
        if s.bank is None:
            return
        idx = s.add_encoded(payload["latents"], payload["thumbnails"], payload["files"], payload["errors"],
                            payload["attributes"], payload["labels"])
        self.ctx.overlays.set("your images", s.bank.latents[s.bank.user_indices()], **USER_STYLE)
        err = float(np.mean(payload["errors"]))
        self.ctx.window.statusBar().showMessage(f"Encoded {len(idx)} image(s); mean reconstruction error {err:.3f}",
                                                8000)
        self._select_point(int(idx[0]))

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        self.ctx.message_bar.show_error(message)

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, "Cancelled")
