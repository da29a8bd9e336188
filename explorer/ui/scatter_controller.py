"""The scatter's glue: draws the session's points, hover thumbnails, click to
decode into the preview, and the lasso selection (an undoable edit)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QPointF
from superqt.utils import qthrottled

from explorer.core.colouring import TAGS_FIELD
from explorer.core.preview import point_preview
from explorer.core.selection import lasso_mask
from explorer.inference.requests import Decode

UNTAGGED = "untagged"
SELECTION_STYLE = dict(symbol="o", size=9, colour=(240, 228, 66), filled=False)


class ScatterController(QObject):
    """Renders ``session`` into the scatter and turns pointer gestures into session changes."""

    def __init__(self, ctx):
        super().__init__(ctx.window)
        self.ctx = ctx
        s, view = ctx.session, ctx.scatter
        s.events.bank.connect(self._on_bank)
        s.events.layout.connect(self._redraw)
        s.events.colour.connect(lambda: view.set_colouring(s.colouring()))
        s.events.selection.connect(self._show_selection)
        s.events.current.connect(self._mark)
        view.clicked.connect(self.select_point)
        view.hovered.connect(self._on_hover)
        view.lassoFinished.connect(self._on_lasso)
        # Hover fires on every mouse move; at most one thumbnail update per 40 ms.
        self._throttled_hover = qthrottled(self._show_hover, timeout=40, parent=self)
        self._hovering = -1  # the point under the pointer now
        self.filter = ""  # a tag the scatter is filtered to (see set_filter)
        s.events.tags.connect(self._on_tags)

    def set_filter(self, tag: str) -> None:
        """Show only the points tagged ``tag`` (``"untagged"``: those without a tag; ``""``: all)."""
        self.filter = tag
        self._redraw()

    def shown(self) -> np.ndarray | None:
        s = self.ctx.session
        if not self.filter or s.bank is None:
            return None
        if self.filter == UNTAGGED:
            return ~np.any([s.tags.mask(t) for t in s.tags.names()], axis=0) if s.tags.names() \
                else np.ones(len(s.bank), bool)
        return s.tags.mask(self.filter)

    def _on_bank(self) -> None:
        self.filter = ""  # a new bank has no tags yet
        self._redraw()

    def _on_tags(self) -> None:
        """The points follow the tags: redrawn when filtered by one, recoloured when coloured by them."""
        if self.filter:
            self._redraw()  # colours included
        elif self.ctx.session.colour_field == TAGS_FIELD:
            self.ctx.scatter.set_colouring(self.ctx.session.colouring())

    def _redraw(self) -> None:
        s = self.ctx.session
        self.ctx.tip.hide_tip()
        self.ctx.scatter.set_points(s.points, s.colouring(), self.shown())
        self._show_selection()
        self._mark()

    def _mark(self) -> None:
        self.ctx.scatter.mark(self.ctx.session.selected)

    # -- click -------------------------------------------------------------------
    def select_point(self, index: int) -> None:
        """Make bank point ``index`` current and decode it into the preview."""
        s = self.ctx.session
        if s.bank is None:
            return
        s.select(index)
        state = point_preview(s.bank, index)
        self.ctx.preview.show_state(state)  # its details now, "decoding…" until its image comes: never the old image
        self.ctx.client.decode(s.bank.latent(index)[None], "click", tag=(index, state), owner=self)

    def on_response(self, request: Decode, images) -> None:
        if request.purpose == "hover":
            index, caption, pos = request.tag
            if self._hovering == index:
                self.ctx.tip.show_at(index, images[0], caption, pos)
            return
        index, state = request.tag
        if self.ctx.session.selected == index:
            self.ctx.preview.show_state(state.with_image(images[0]))

    def on_failed(self, request, message: str) -> None:
        self.ctx.message_bar.show_error(message)

    # -- hover -------------------------------------------------------------------
    def _on_hover(self, index: int, global_pos: QPointF) -> None:
        self._hovering = index
        if index < 0:  # leaving a point hides at once, not after the throttle
            self._throttled_hover.cancel()
            self.ctx.tip.hide_tip()
            return
        self._throttled_hover(index, global_pos)

    def _show_hover(self, index: int, global_pos: QPointF) -> None:
        bank = self.ctx.session.bank
        if bank is None or index >= len(bank) or not self.ctx.window.isActiveWindow():
            self.ctx.tip.hide_tip()
            return
        info = bank.describe(index)
        caption = f"#{index}" + (f"  {info['label']}" if "label" in info else "")
        on = [k for k, v in info["attributes"].items() if v >= 0.5]
        if on:
            caption += "\n" + ", ".join(on)
        if bank.thumbnails is None:
            # A bank whose thumbnails were not kept (a large one from a session file):
            # decode this one (a few ms); only the newest hover's answer is shown.
            self.ctx.client.decode(bank.latent(index)[None], "hover", tag=(index, caption, global_pos.toPoint()),
                                   owner=self)
            return
        self.ctx.tip.show_at(index, bank.thumbnails[index], caption, global_pos.toPoint())

    # -- lasso selection ---------------------------------------------------------
    def _on_lasso(self, vertices) -> None:
        s = self.ctx.session
        if s.bank is None:
            return
        inside = lasso_mask(s.points, vertices)
        shown = self.shown()
        if shown is not None:  # filtered: what is hidden cannot be lassoed
            inside &= shown
        mode = self.ctx.scatter.gesture_mode
        before = s.selection if s.selection is not None else np.zeros(len(s.bank), bool)
        if mode == "add":
            mask, label = before | inside, f"Add {int((inside & ~before).sum())} points to the selection"
        elif mode == "remove":
            mask, label = before & ~inside, f"Remove {int((inside & before).sum())} points from the selection"
        else:
            mask, label = inside, f"Select {int(inside.sum())} points"
        s.edit(label, lambda: s.set_selection(mask))

    def clear_selection(self) -> bool:
        """Drop the lasso selection (undoably); False when there was none."""
        s = self.ctx.session
        if s.selection is None:
            return False
        s.edit("Clear selection", lambda: s.set_selection(None))
        return True

    def _show_selection(self) -> None:
        s = self.ctx.session
        sel = s.selection
        if sel is None or s.bank is None or s.points is None:
            self.ctx.scatter.set_overlay("selection", None)
            self.ctx.scatter.clear_lasso()
            return
        # The selected bank points are already placed: no re-placing of their latents
        # (a t-SNE placement of 300k lassoed codes took seconds). A new layout redraws.
        self.ctx.scatter.set_overlay("selection", s.points[sel], **SELECTION_STYLE)
        self.ctx.window.statusBar().showMessage(f"{int(sel.sum())} points selected — Arithmetic ▸ From: selection", 5000)
