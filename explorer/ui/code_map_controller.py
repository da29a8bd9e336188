"""A VQ-VAE's code maps in the window: Explore ▸ Edit code map… (paint cells of
the current point's grid of codebook indices with another code and see the
decode) and View ▸ Codebook usage… (per-code use over the bank, dead codes).

Both actions are enabled only while a ``vqvae`` model is open. The grid being
edited lives here (:class:`~explorer.core.code_grid.CodeMapEdits`); the editor
and the usage view only show it. Every decode runs in the worker
(:class:`DecodeCodes`, :class:`CodeInfo`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from superqt.utils import qthrottled

from explorer.core.code_grid import CodeMapEdits, brush_cells, rect_cells, usage_summary
from explorer.core.preview import latent_preview
from explorer.inference.requests import CodeInfo, DecodeCodes
from explorer.ui.code_map_editor import CodeMapEditor
from explorer.ui.codebook_view import CodebookView

FAMILY = "vqvae"
#: Pixels decoded for the palette's swatches at most (one image per code): beyond it (a large codebook, large
#: images) the palette shows each code's colour instead, as a swatch decode would keep the worker for minutes.
SWATCH_PIXEL_BUDGET = 1024 * 32 * 32
MAX_USAGE_MAPS = 20_000  # code maps counted for the usage view (evenly spread over a larger bank)


class CodeMapController(QObject):
    """Owns the code-map editor, the codebook view and their requests.

    ``opened`` says the editor shows a new code map; ``edited(image)`` that the
    edited grid's decode is shown; ``usageShown(summary)`` that the usage view is drawn.
    """

    opened = Signal()
    edited = Signal(object)
    usageShown = Signal(object)

    def __init__(self, ctx):
        super().__init__(ctx.window)
        self.ctx = ctx
        self.edits: CodeMapEdits | None = None
        self.original_image: np.ndarray | None = None
        self.editor: CodeMapEditor | None = None
        self.usage_view: CodebookView | None = None
        self.swatches: np.ndarray | None = None
        self.usage: np.ndarray | None = None
        self.usage_request = None
        self.editor_request = None
        self.swatch_request = None
        self._usage_source = ""
        self._anchor: tuple[int, int] | None = None  # where a rectangle stroke began
        self._title = ""
        self.edit_action = QAction("Edit &code map…", ctx.window)
        self.edit_action.setToolTip("Paint the current point's grid of codebook indices (VQ-VAE models)")
        self.edit_action.triggered.connect(self.open_editor)
        self.usage_action = QAction("Code&book usage…", ctx.window)
        self.usage_action.setToolTip("How often each code is used over the bank; dead codes (VQ-VAE models)")
        self.usage_action.triggered.connect(self.show_usage)
        self._set_family(None)
        ctx.models.modelOpened.connect(self._set_family)
        # Painting fires per cell entered; at most one decode request per 40 ms (the worker drops superseded ones).
        self._throttled_decode = qthrottled(self._decode_edit, timeout=40, parent=self)

    def _is_vqvae(self) -> bool:
        info = self.ctx.models.info if self.ctx.models is not None else None
        return info is not None and info.family == FAMILY

    def _set_family(self, info) -> None:
        """A model opened: the actions follow its family; a code map of the previous model goes."""
        on = info is not None and info.family == FAMILY
        self.edit_action.setEnabled(on)
        self.usage_action.setEnabled(on)
        self.edits, self.swatches, self.usage, self.original_image = None, None, None, None
        self.editor_request = self.swatch_request = None  # their answers would be the previous model's
        if self.usage_request is not None:
            self._cancel_usage()
            self.usage_request = None
        for view in (self.editor, self.usage_view):
            if view is not None:
                view.hide()

    # -- the editor ------------------------------------------------------------------------
    def open_editor(self):
        """Open the editor on the point in the preview; returns the request (None when refused)."""
        s = self.ctx.session
        if not self._is_vqvae():
            self.ctx.message_bar.show_error("Edit code map: the open model has no codebook (a VQ-VAE's latent "
                                            "is a grid of codebook indices)")
            return None
        if s.current is None:
            self.ctx.message_bar.show_error("Edit code map: click a point first, then edit its code map")
            return None
        if self.editor is None:
            self.editor = CodeMapEditor(self.ctx.window)
            c = self.editor.canvas
            c.strokeStarted.connect(self._on_stroke_started)
            c.cellEntered.connect(self._on_cell)
            c.strokeEnded.connect(self._on_stroke_ended)
            self.editor.undoRequested.connect(self.undo)
            self.editor.resetRequested.connect(self.reset)
            self.editor.useRequested.connect(self.use_as_current)
            self.editor.usageRequested.connect(self.show_usage)
        label, latent = s.current
        self._title = f"Code map of {label}"
        self.editor.heading.setText(f"Reading the code map of {label}…")
        self.editor.show()
        self.editor.raise_()
        self.editor_request = self.ctx.client.submit(CodeInfo(np.asarray(latent)[None], with_images=True), owner=self)
        return self.editor_request

    def _opened(self, payload: dict) -> None:
        k = int(payload["codebook_size"])
        self.edits = CodeMapEdits(payload["codes"][0], k)
        self.original_image = payload["images"][0]
        self.editor.start(self._title, self.edits.grid, k, self.original_image)
        self._refresh()
        side = self.ctx.models.info.image_size
        if self.swatches is None and self.swatch_request is None and k * side * side <= SWATCH_PIXEL_BUDGET:
            filled = np.broadcast_to(np.arange(k)[:, None, None], (k, *self.edits.shape))
            self.swatch_request = self.ctx.client.submit(DecodeCodes(filled, "swatches"), owner=self)
        elif self.swatches is not None:
            self.editor.set_swatches(self.swatches, self.usage)
        self.opened.emit()

    def paint_cells(self, mask: np.ndarray, code: int) -> bool:
        """Paint ``code`` on the cells of ``mask`` as one stroke and decode; True when a cell changed."""
        if self.edits is None:
            return False
        changed = self.edits.paint_cells(mask, code)
        if changed:
            self._after_change()
        return changed

    def _on_stroke_started(self, row: int, col: int) -> None:
        if self.edits is None:
            return
        self.edits.begin_stroke()
        self._anchor = (row, col)
        self._on_cell(row, col)

    def _on_cell(self, row: int, col: int) -> None:
        if self.edits is None or self._anchor is None:
            return
        radius = self.editor.brush_radius()
        code = self.editor.code_box.value()
        if radius is None:
            changed = self.edits.stroke(rect_cells(self.edits.shape, self._anchor, (row, col)), code, replace=True)
        else:
            changed = self.edits.stroke(brush_cells(self.edits.shape, row, col, radius), code)
        if changed:
            self._after_change()

    def _on_stroke_ended(self) -> None:
        if self.edits is not None and self._anchor is not None:
            self.edits.end_stroke()
            self._refresh()
        self._anchor = None

    def undo(self) -> None:
        """Ctrl+Z in the editor: take back the last stroke (or Reset)."""
        if self.edits is not None and self._anchor is None and self.edits.undo():
            self._after_change()

    def reset(self) -> None:
        """Back to the point's own code map."""
        if self.edits is not None and self._anchor is None and self.edits.reset():
            self._after_change()

    def _after_change(self) -> None:
        self._refresh()
        if np.array_equal(self.edits.grid, self.edits.original):
            self._show_edited(self.original_image)  # no decode needed: it is the original's
        else:
            self._throttled_decode()

    def _refresh(self) -> None:
        e = self.edits
        self.editor.show_edit(e.grid, e.changed(), e.codebook_size, None)
        self.editor.set_enabled_actions(e.can_undo(), bool(e.changed().any()))

    def _decode_edit(self) -> None:
        if self.edits is not None:
            self.ctx.client.submit(DecodeCodes(self.edits.grid[None], "edit"), owner=self)

    def _show_edited(self, image: np.ndarray) -> None:
        self.editor.show_edited_image(image)
        self.edited.emit(image)

    def use_as_current(self):
        """Put the edited map's code vectors in the preview as the current point; returns the request."""
        if self.edits is None:
            return None
        return self.ctx.client.submit(DecodeCodes(self.edits.grid[None], "use"), owner=self)

    # -- the codebook view -------------------------------------------------------------------
    def show_usage(self):
        """Count each code's use over the bank's code maps and draw it; returns the request."""
        s = self.ctx.session
        if not self._is_vqvae() or s.bank is None:
            self.ctx.message_bar.show_error("Codebook usage: open a VQ-VAE model first")
            return None
        if self.usage_view is None:
            self.usage_view = CodebookView(self.ctx.window)
            self.usage_view.codeClicked.connect(self._pick_code)
        n = len(s.bank)
        rows = np.arange(n) if n <= MAX_USAGE_MAPS else np.linspace(0, n - 1, MAX_USAGE_MAPS).astype(np.int64)
        self._usage_source = (f"over the latent bank's {n} code maps" if len(rows) == n else
                              f"over {len(rows)} code maps spread evenly over the bank's {n}")
        self.usage_view.show_counting(f"Counting codebook usage {self._usage_source}…")
        self.usage_view.show()
        self.usage_view.raise_()
        if self.usage_request is not None:
            self.ctx.client.cancel(self.usage_request)
        req = self.ctx.client.submit(CodeInfo(s.bank.latents[rows], purpose="usage"), owner=self)
        self.usage_request = req
        self.ctx.jobs.begin(req, f"Counting codebook usage over {len(rows)} code maps…", self._cancel_usage)
        return req

    def _cancel_usage(self) -> None:
        if self.usage_request is not None:
            self.ctx.client.cancel(self.usage_request)

    def _pick_code(self, code: int) -> None:
        if self.editor is not None and self.editor.isVisible():
            self.editor.code_box.setValue(code)

    # -- the worker's answers -------------------------------------------------------------------
    def on_response(self, request, payload: dict) -> None:
        if isinstance(request, CodeInfo) and request.purpose == "usage":
            self._usage_done(request, payload)
        elif isinstance(request, CodeInfo):
            if request is self.editor_request:
                self.editor_request = None
                self._opened(payload)
        elif request.purpose == "swatches":
            if request is self.swatch_request and self.edits is not None:
                self.swatch_request = None
                self.swatches = payload["images"]
                self.editor.set_swatches(self.swatches, self.usage)
        elif request.purpose == "edit":
            # Only the decode of the grid shown now (an older stroke's, or another point's, is dropped).
            if self.edits is not None and np.array_equal(request.codes[0], self.edits.grid):
                self._show_edited(payload["images"][0])
        elif request.purpose == "use":
            self._use(request, payload)

    def _use(self, request, payload: dict) -> None:
        n = int((np.asarray(request.codes[0]) != self.edits.original).sum()) if self.edits is not None else 0
        latent = payload["latents"][0]
        self.ctx.session.set_current("code map edit", latent)
        rows = (("cells changed", str(n)), ("latent", "the edited map's code vectors"))
        self.ctx.preview.show_state(latent_preview(self._title.replace("Code map of", "Edited code map of"), latent,
                                                   rows).with_image(payload["images"][0]))
        self.ctx.window.statusBar().showMessage("The edited code map is the current point: add it as a waypoint "
                                                "(Ctrl+Shift+W) or use it in arithmetic", 6000)

    def _usage_done(self, request, payload: dict) -> None:
        self.ctx.jobs.end(request)
        if request is not self.usage_request:
            return
        self.usage_request = None
        self.usage = np.asarray(payload["usage"])
        summary = usage_summary(self.usage, payload["maps"])
        if self.usage_view is not None:
            self.usage_view.show_usage(summary, self._usage_source)
        if self.editor is not None and self.swatches is not None:
            self.editor.set_usage(self.usage)
        self.usageShown.emit(summary)

    @staticmethod
    def _counting(request) -> bool:
        return isinstance(request, CodeInfo) and request.purpose == "usage"

    def on_progress(self, request, done: int, total: int) -> None:
        if self._counting(request):
            self.ctx.jobs.progress(request, done, total)

    def on_failed(self, request, message: str) -> None:
        if self._counting(request):
            self.ctx.jobs.end(request)
        if request is self.usage_request:
            self.usage_request = None
        if request is self.editor_request:
            self.editor_request = None
        if request is self.swatch_request:
            self.swatch_request = None
        self.ctx.message_bar.show_error(f"Code map: {message}")

    def on_cancelled(self, request) -> None:
        if self._counting(request):
            self.ctx.jobs.end(request, "Codebook usage cancelled" if request is self.usage_request else "")
        if request is self.usage_request:
            self.usage_request = None
