"""Curation's glue: selection tools and operations, tags and their keys,
diversity and near-duplicates; every change an undoable session edit."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog, QLabel

from explorer.core.curation import most_diverse, near_duplicates
from explorer.core.expressions import ExpressionError
from explorer.core.queries import query_mask
from explorer.core.tags import DEFAULT_TAGS, KEEP, REJECT, check_name
from explorer.ui.curation_panel import TOOLS, CurationPanel


class CurationController(QObject):
    """Owns the Curate tab, the Select and Tags menus and the selection count in the status bar."""

    def __init__(self, ctx, panel: CurationPanel):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        s = ctx.session
        self.count_label = QLabel("")
        ctx.window.statusBar().addPermanentWidget(self.count_label)
        for name in ("bank", "selection", "layout"):
            getattr(s.events, name).connect(self._show_count)
        s.events.bank.connect(self._on_bank)
        s.events.tags.connect(self._show_tags)
        panel.toolChosen.connect(self.set_tool)
        panel.selectAll.connect(self.select_all)
        panel.invert.connect(self.invert_selection)
        panel.clear.connect(self.clear_selection)
        panel.queryEntered.connect(self.select_where)
        panel.tagRequested.connect(self.tag)
        panel.newTagRequested.connect(self.new_tag)
        panel.diverseRequested.connect(self.select_most_diverse)
        panel.duplicatesRequested.connect(self.select_near_duplicates)
        self._diverse = None  # (request, bank, among, k) while features are computed

    def fill_menus(self, menubar) -> None:
        """The Select and Tags menus, with the curation keys."""
        select = menubar.addMenu("&Select")
        for name, text, key, _tip in TOOLS:
            select.addAction(f"{text} tool", QKeySequence(key), lambda n=name: self.set_tool(n))
        select.addSeparator()
        select.addAction("Select &all", QKeySequence.StandardKey.SelectAll, self.select_all)
        select.addAction("&Invert selection", QKeySequence("Ctrl+I"), self.invert_selection)
        select.addAction("Select &where…", QKeySequence("Ctrl+F"), self.panel.query.setFocus)
        tags = menubar.addMenu("&Tags")
        tags.addAction("&Keep", QKeySequence(Qt.Key.Key_K), lambda: self.tag(KEEP))
        tags.addAction("&Reject", QKeySequence(Qt.Key.Key_R), lambda: self.tag(REJECT))
        for k in range(1, 10):
            tags.addAction(f"Custom tag {k}", QKeySequence(str(k)), lambda k=k: self.tag_by_key(k))
        tags.addAction("&New tag…", self.new_tag)
        tags.addAction("Colour by &tags", lambda: self.ctx.session.set_colour_field("tags"))

    # -- state shown -----------------------------------------------------------
    def _on_bank(self) -> None:
        self.panel.setEnabled(self.ctx.session.bank is not None)
        self._show_tags()

    def _show_count(self) -> None:
        s = self.ctx.session
        n = len(s.bank) if s.bank is not None else 0
        k = int(s.selection.sum()) if s.selection is not None else 0
        self.panel.show_count(k, n)
        self.count_label.setText(f"{k:,} selected" if k else "")

    def custom_tags(self) -> list[str]:
        """The user's own tags, in the order made: keys 1–9 tag with the first nine."""
        return [t for t in self.ctx.session.tags.names() if t not in DEFAULT_TAGS]

    def _show_tags(self) -> None:
        keys = {KEEP: "K", REJECT: "R"} | {t: str(i + 1) for i, t in enumerate(self.custom_tags()[:9])}
        counts = {KEEP: 0, REJECT: 0} | self.ctx.session.tags.counts()
        self.panel.show_tags(counts, keys)
        self.panel.show_filters(self.ctx.session.tags.names(), self.panel.filter_combo.currentData() or "")

    # -- selection -------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """What a plain drag in the scatter does: pan, lasso or box."""
        self.ctx.scatter.set_tool(tool)
        self.panel.show_tool(tool)
        self.ctx.window.statusBar().showMessage(dict((t[0], t[3]) for t in TOOLS)[tool], 4000)

    def _select(self, label: str, mask: np.ndarray | None) -> None:
        s = self.ctx.session
        if s.bank is None:
            return
        s.edit(label, lambda: s.set_selection(mask))

    def select_all(self) -> None:
        s = self.ctx.session
        if s.bank is not None:
            self._select("Select all", np.ones(len(s.bank), bool))

    def invert_selection(self) -> None:
        s = self.ctx.session
        if s.bank is not None:
            current = s.selection if s.selection is not None else np.zeros(len(s.bank), bool)
            self._select("Invert selection", ~current)

    def clear_selection(self) -> None:
        if self.ctx.session.selection is not None:
            self._select("Clear selection", None)

    def select_where(self, text: str) -> None:
        """Select the points matching an attribute query (``glasses & !male``)."""
        s = self.ctx.session
        if s.bank is None:
            return
        if text.strip().startswith("tag:"):  # "tag: keep" selects what carries a tag
            name = text.strip()[4:].strip()
            if name not in s.tags.names():
                have = ", ".join(s.tags.names()) or "none"
                self.ctx.message_bar.show_error(f"Select where: no tag {name!r} (have: {have})")
                return
            self._select(f"Select tag {name}", s.tags.mask(name).copy())
            return
        try:
            mask = query_mask(s.bank, text)
        except ExpressionError as exc:
            self.ctx.message_bar.show_error(f"Select where: {exc}")
            return
        self._select(f"Select where {text.strip()}", mask)

    def _set_or_all(self) -> np.ndarray:
        """Indices of the selection, or of every point when nothing is selected."""
        s = self.ctx.session
        return np.flatnonzero(s.selection) if s.selection is not None and s.selection.any() \
            else np.arange(len(s.bank))

    def select_most_diverse(self, k: int) -> None:
        """Select the ``k`` points of the selection (or of all) that cover it best, in the
        space the panel names (classifier features are computed by the worker first)."""
        s = self.ctx.session
        if s.bank is None:
            return
        among = self._set_or_all()
        if self.panel.space.currentText() == "classifier features":
            from explorer.inference.requests import ClassifierFeatures

            req = self.ctx.client.submit(ClassifierFeatures(np.asarray(s.bank.latents[among])), owner=self)
            self._diverse = (req, s.bank, among, k)
            self.ctx.jobs.begin(req, f"Classifier features of {len(among):,} images…",
                                lambda: self.ctx.client.cancel(req))
            return
        self._select_picks(most_diverse(s.bank.latents, k, among), "latent space")

    def _select_picks(self, picks: np.ndarray, space: str) -> None:
        s = self.ctx.session
        mask = np.zeros(len(s.bank), bool)
        mask[picks] = True
        self._select(f"Select the {len(picks)} most diverse ({space})", mask)

    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_response(self, request, features) -> None:
        self.ctx.jobs.end(request)
        req, bank, among, k = self._diverse
        if req is request and bank is self.ctx.session.bank:
            self._select_picks(among[most_diverse(features, k)], "classifier features")

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        self.ctx.message_bar.show_error(f"Most diverse: {message}")

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, "Cancelled")

    def select_near_duplicates(self, distance: float) -> None:
        """Select the later point of each pair closer than ``distance`` (what to drop)."""
        s = self.ctx.session
        if s.bank is None:
            return
        try:
            pairs = near_duplicates(s.bank.latents, distance, self._set_or_all())
        except ValueError as exc:
            self.ctx.message_bar.show_error(f"Near-duplicates: {exc}")
            return
        mask = np.zeros(len(s.bank), bool)
        mask[[j for _i, j, _d in pairs]] = True
        self._select(f"Select {int(mask.sum())} near-duplicates", mask)
        self.ctx.window.statusBar().showMessage(
            f"{len(pairs):,} pairs closer than {distance:g}: the later point of each is selected", 6000)

    # -- tags ------------------------------------------------------------------
    def targets(self) -> np.ndarray:
        """What a tag key applies to: the selection, else the current point."""
        s = self.ctx.session
        if s.selection is not None and s.selection.any():
            return np.flatnonzero(s.selection)
        return np.array([s.selected]) if s.selected is not None else np.zeros(0, np.intp)

    def tag(self, name: str, on: bool = True, indices=None) -> None:
        """Tag (``on=False``: untag) ``indices`` — by default the selection or the current point."""
        s = self.ctx.session
        idx = self.targets() if indices is None else np.asarray(indices, np.intp)
        if s.bank is None or not name:
            return
        if not len(idx):
            self.ctx.message_bar.show_error("Nothing to tag: select points or click one first")
            return
        what = f"{len(idx)} points" if len(idx) > 1 else f"#{int(idx[0])}"
        s.edit(f"{'Tag' if on else 'Untag'} {what} {name}", lambda: s.set_tag(name, idx, on))

    def tag_by_key(self, k: int) -> None:
        custom = self.custom_tags()
        if k <= len(custom):
            self.tag(custom[k - 1])
        else:
            self.ctx.window.statusBar().showMessage(f"No tag on key {k} yet: Tags ▸ New tag…", 4000)

    def new_tag(self) -> str:
        name, ok = QInputDialog.getText(self.ctx.window, "New tag", "Name of the tag:")
        if not ok or not name.strip():
            return ""
        try:
            name = check_name(name)
        except ValueError as exc:
            self.ctx.message_bar.show_error(str(exc))
            return ""
        s = self.ctx.session
        if name not in s.tags.names():  # an empty tag: it shows in the list and takes the next key
            s.edit(f"New tag {name}", lambda: s.set_tag(name, [], True))
        return name
