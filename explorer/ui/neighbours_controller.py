"""Neighbours: the k nearest bank codes of the current latent, ringed on the
scatter and listed with thumbnails; choosing one makes it current."""

from __future__ import annotations

from PySide6.QtCore import QObject

from explorer.core.neighbours import nearest
from explorer.ui.neighbours_panel import NeighboursPanel

NEIGHBOUR_STYLE = dict(symbol="o", size=13, colour=(0, 158, 115), filled=False)


class NeighboursController(QObject):
    def __init__(self, ctx, panel: NeighboursPanel, select_point):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        ctx.session.events.bank.connect(self._on_bank)
        panel.findRequested.connect(self.find_neighbours)
        panel.chosen.connect(select_point)

    def _on_bank(self) -> None:
        self.panel.reset()
        self.panel.setEnabled(self.ctx.session.bank is not None)

    def find(self) -> None:
        """Find with the panel's k and distance (the menu's Ctrl+N)."""
        self.find_neighbours(self.panel.k.value(), self.panel.metric_combo.currentText())

    def find_neighbours(self, k: int, metric: str) -> None:
        s = self.ctx.session
        if s.bank is None or s.current is None:
            self.ctx.message_bar.show_error("Select a point (or evaluate an expression) first")
            return
        label, z = s.current
        idx, dist = nearest(s.bank.latents, z, k, metric, exclude=s.selected)
        self.ctx.overlays.set("neighbours", s.bank.latents[idx], **NEIGHBOUR_STYLE)
        self.panel.show_neighbours(idx, dist, s.bank.thumbnails, label)

    # -- figures (explorer.ui.figure_controller saves and copies them) -----------------------
    def figure_sources(self) -> list:
        """``(name, widget, make_figure)`` for the neighbour grid."""
        return [("Neighbour grid", self.panel.strip, self.neighbours_figure)]

    def neighbours_figure(self):
        """The listed neighbours, each captioned with its id and distance (None before a search)."""
        from explorer.core.figure_layout import Figure

        strip = self.panel.strip
        if not strip.images:
            return None
        return Figure.grid(strip.images, min(len(strip.images), 8), title=self.panel.summary.text(),
                           captions=tuple(c.replace("\n", "  ") for c in strip.captions))
