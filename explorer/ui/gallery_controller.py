"""The gallery's glue: which points it shows and in what order, its link with
the scatter both ways, and review mode."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QObject

from explorer.core import curation
from explorer.core.tags import KEEP, REJECT
from explorer.ui.gallery_model import GalleryModel
from explorer.ui.gallery_panel import EVERYTHING, SELECTION, GalleryPanel
from explorer.ui.review_dialog import ReviewDialog

HOVER_STYLE = dict(symbol="o", size=18, colour=(86, 180, 233), filled=False)
TAG_PREFIX = "tag: "


class GalleryController(QObject):
    """Fills the gallery from the session; hovering or clicking an item marks or
    opens its point; clicking a point in the scatter finds its item."""

    def __init__(self, ctx, panel: GalleryPanel, curation_controller, select_point):
        super().__init__(ctx.window)
        self.ctx, self.panel, self.curation, self.select_point = ctx, panel, curation_controller, select_point
        self.model = GalleryModel(ctx.session, ctx.client, self)
        panel.view.setModel(self.model)
        self.show, self.order, self.attribute = SELECTION, "bank order", ""
        self.review: ReviewDialog | None = None
        s = ctx.session
        s.events.bank.connect(self._on_bank)
        s.events.selection.connect(lambda: self._refresh_if(SELECTION))
        s.events.tags.connect(self._on_tags)
        s.events.current.connect(self._follow_current)
        ctx.scatter.hovered.connect(self._follow_hover)
        panel.showChosen.connect(self.set_show)
        panel.orderChosen.connect(self.set_order)
        panel.hovered.connect(self._mark)
        panel.chosen.connect(self._choose)
        panel.reviewRequested.connect(self.open_review)

    # -- what is shown ----------------------------------------------------------------
    def _on_bank(self) -> None:
        self._fill_choices()
        self.refresh()

    def _on_tags(self) -> None:
        self._fill_choices()
        self._refresh_if(TAG_PREFIX)

    def _fill_choices(self) -> None:
        s = self.ctx.session
        shows = [SELECTION, EVERYTHING] + [TAG_PREFIX + t for t in s.tags.names()]
        attributes = list(s.bank.attributes) if s.bank is not None else []
        self.panel.set_choices(shows, attributes)

    def _refresh_if(self, show_prefix: str) -> None:
        if self.show.startswith(show_prefix):
            self.refresh()

    def set_show(self, show: str) -> None:
        if show:
            self.show = show
            self.refresh()

    def set_order(self, order: str, attribute: str) -> None:
        self.order, self.attribute = order, attribute
        self.refresh()

    def indices(self) -> np.ndarray:
        """Bank indices the gallery shows, in its order."""
        s = self.ctx.session
        if s.bank is None:
            return np.zeros(0, np.intp)
        if self.show == EVERYTHING:
            idx = np.arange(len(s.bank))
        elif self.show.startswith(TAG_PREFIX):
            idx = np.flatnonzero(s.tags.mask(self.show[len(TAG_PREFIX):]))
        else:
            idx = np.flatnonzero(s.selection) if s.selection is not None else np.zeros(0, np.intp)
        current = s.current[1] if s.current is not None else None
        try:
            return curation.order(idx, self.order, s.bank.latents, s.bank.attributes, self.attribute, current)
        except ValueError as exc:
            self.ctx.message_bar.show_error(f"Gallery: {exc}")
            return np.sort(idx)

    def refresh(self) -> None:
        s = self.ctx.session
        self.model.set_rows(self.indices())
        self.panel.show_count(len(self.model.rows), len(s.bank) if s.bank is not None else 0)

    # -- linked with the scatter ----------------------------------------------------------
    def _mark(self, index: int) -> None:
        s = self.ctx.session
        if index < 0 or s.bank is None or index >= len(s.points):
            self.ctx.scatter.set_overlay("gallery", None)
        else:
            self.ctx.scatter.set_overlay("gallery", s.points[index:index + 1], **HOVER_STYLE)

    def _choose(self, index: int) -> None:
        if index >= 0:
            self.select_point(index)

    def _follow_current(self) -> None:
        """The point clicked in the scatter: its item becomes current and scrolls into view."""
        self._show_item(self.ctx.session.selected)

    def _follow_hover(self, index: int, _pos=None) -> None:
        """The point under the pointer in the scatter is highlighted in the gallery, if it is there."""
        if index >= 0 and self.panel.isVisible():
            self._show_item(index)

    def _show_item(self, i: int | None) -> None:
        row = self.model.row_of(i) if i is not None else -1
        if row >= 0:
            index = self.model.index(row)
            self.panel.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.panel.view.scrollTo(index)

    # -- review -----------------------------------------------------------------------------
    def open_review(self) -> None:
        if not len(self.model.rows):
            self.ctx.message_bar.show_error("Nothing to review: choose what the gallery shows first")
            return
        current = self.panel.view.currentIndex()
        if self.review is not None:
            self.review.close()
        self.review = ReviewDialog(self.model, current.row() if current.isValid() else 0, self.ctx.window)
        self.review.tagRequested.connect(self._tag_from_review)
        self.review.moved.connect(self._mark)
        self.review.show()

    def _tag_from_review(self, index: int, key: str) -> None:
        if key == "K":
            name = KEEP
        elif key == "R":
            name = REJECT
        else:
            custom = self.curation.custom_tags()
            if int(key) > len(custom):
                self.ctx.window.statusBar().showMessage(f"No tag on key {key} yet: Tags ▸ New tag…", 4000)
                return
            name = custom[int(key) - 1]
        self.curation.tag(name, indices=[index])
