"""Slides: keep the view shown as a slide (an undoable edit), reorder, rename
and remove slides, and show one again — layout, range, colouring, selection,
the point in the preview and its walk."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from explorer.core.preview import latent_preview
from explorer.core.session import AXES
from explorer.core.slides import Slide, SlidesError, SlideWalk, slide_from_session
from explorer.ui.slides_export import SlidesExport
from explorer.ui.slides_panel import SlidesPanel


class SlidesController(QObject):
    """Glue between the :class:`SlidesPanel`, the session's slides and the views they restore.

    ``index`` is the slide shown last (-1: none); ``slideShown(index)`` says when it changes.
    """

    slideShown = Signal(int)

    def __init__(self, ctx, panel: SlidesPanel, layouts, walks, points):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        self.layouts, self.walks, self.points = layouts, walks, points
        self.index = -1
        self.export = SlidesExport(ctx, self)
        # A slide's walk plays once its frames are decoded; the walk controller says so by its images.
        s = ctx.session
        s.events.bank.connect(self._on_bank)
        s.events.slides.connect(self._show_slides)
        panel.addRequested.connect(self.add_slide)
        panel.updateRequested.connect(self.update_slide)
        panel.removeRequested.connect(self.remove_slide)
        panel.moveRequested.connect(self.move_slide)
        panel.renameRequested.connect(self.rename_slide)
        panel.goRequested.connect(self.go_to)
        panel.exportRequested.connect(self.choose_export)

    def fill_menu(self, menu) -> None:
        """The Slides menu: add the view as a slide, show the next or previous one, export them."""
        menu.addAction("&Add slide", QKeySequence("Ctrl+B"), self.add_slide)
        menu.addAction("&Next slide", QKeySequence("Ctrl+PgDown"), lambda: self.step(1))
        menu.addAction("&Previous slide", QKeySequence("Ctrl+PgUp"), lambda: self.step(-1))
        menu.addAction("&Export slides…", self.choose_export)

    # -- session → panel -------------------------------------------------------
    def _on_bank(self) -> None:
        self.index = -1
        self.panel.setEnabled(self.ctx.session.bank is not None)
        self._show_slides()

    def _show_slides(self) -> None:
        slides = self.ctx.session.slides
        self.index = min(self.index, len(slides) - 1)
        self.panel.set_slides(slides.names(), self.index)

    # -- editing the list --------------------------------------------------------
    def capture(self, name: str) -> Slide:
        """The view shown now as a slide called ``name``; with the walk when the preview shows
        one of its frames (a point clicked after walking makes a slide about that point)."""
        s = self.ctx.session
        walk = None
        frames = getattr(self.walks, "frames", None)
        on_walk = s.current is not None and str(s.current[0]).startswith("frame ")
        if frames is not None and len(s.waypoints) >= 2 and (on_walk or self.walks.is_playing()):
            walk = SlideWalk(tuple(s.waypoints), getattr(self.walks, "method", "slerp"), len(frames))
        return slide_from_session(s, name, self.ctx.scatter.view_range(), walk)

    def add_slide(self) -> int | None:
        """Keep the view shown now as a new slide after the chosen one; returns its position."""
        s = self.ctx.session
        if s.bank is None:
            self.ctx.message_bar.show_error("Nothing to keep as a slide yet: open a model first")
            return None
        row = self.panel.slide_list.currentRow()
        at = row + 1 if 0 <= row < len(s.slides) else len(s.slides)
        slide = self.capture(s.slides.next_name())
        self.index = at
        s.edit(f"Add {slide.name}", lambda: setattr(s, "slides", s.slides.added(slide, at)))
        self.ctx.window.statusBar().showMessage(f"Added {slide.name}: double-click or F2 renames it", 4000)
        return at

    def update_slide(self, i: int) -> None:
        """Slide ``i`` shows the view shown now (its name stays)."""
        s = self.ctx.session
        if 0 <= i < len(s.slides):
            slide = self.capture(s.slides[i].name)
            self.index = i
            s.edit(f"Update {slide.name}", lambda: setattr(s, "slides", s.slides.replaced(i, slide)))

    def remove_slide(self, i: int) -> None:
        s = self.ctx.session
        if 0 <= i < len(s.slides):
            name = s.slides[i].name
            self.index = min(i, len(s.slides) - 2)
            s.edit(f"Remove {name}", lambda: setattr(s, "slides", s.slides.removed(i)))

    def move_slide(self, i: int, to: int) -> None:
        s = self.ctx.session
        if 0 <= i < len(s.slides) and i != to:
            to = max(0, min(to, len(s.slides) - 1))
            self.index = to
            s.edit(f"Move {s.slides[i].name}", lambda: setattr(s, "slides", s.slides.moved(i, to)))
        else:
            self._show_slides()  # a drag that went nowhere: the list as the slides are

    def rename_slide(self, i: int, name: str) -> None:
        s = self.ctx.session
        if not 0 <= i < len(s.slides) or name.strip() == s.slides[i].name:
            self._show_slides()
            return
        try:
            renamed = s.slides.renamed(i, name)
        except SlidesError as exc:
            self.ctx.message_bar.show_error(f"Cannot rename the slide: {exc}")
            self._show_slides()
            return
        self.index = i
        s.edit(f"Rename {s.slides[i].name}", lambda: setattr(s, "slides", renamed))

    # -- showing a slide -------------------------------------------------------------
    def step(self, by: int) -> None:
        """Show the next (``by=1``) or previous (``-1``) slide; stays at either end."""
        n = len(self.ctx.session.slides)
        if n:
            self.go_to(max(0, min(n - 1, self.index + by)) if self.index >= 0 else 0)

    def go_to(self, i: int, *, record: bool = True, play: bool = True) -> bool:
        """Show slide ``i``: layout, range, colouring, selection, the preview and its walk.

        ``record``: one undoable step (else the session changes without history, as an
        export does); ``play``: decode the slide's walk. False when there is no slide ``i``.
        """
        s = self.ctx.session
        if s.bank is None or not 0 <= i < len(s.slides):
            return False
        self.index = i
        self.show_slide(s.slides[i], record=record, play=play)
        self.panel.set_slides(s.slides.names(), i)
        self.slideShown.emit(i)
        return True

    def show_slide(self, slide: Slide, *, record: bool = True, play: bool = True) -> None:
        """Restore what ``slide`` saved (see :meth:`go_to`)."""
        s = self.ctx.session
        problems, compute = [], None
        self._stop_walk()

        def change() -> None:
            nonlocal compute
            if (s.layout_kind(), s.layout_axes) != (slide.layout_method, slide.layout_axes):
                try:
                    s.apply_layout(slide.layout_method, slide.layout_axes if slide.layout_method == AXES else None)
                except KeyError:
                    compute = slide.layout_method  # not computed for this bank yet: in the background below
                except ValueError:
                    problems.append(f"its axes ({' × '.join(slide.layout_axes or ())}) are no longer named vectors")
            if slide.colour_field != s.colour_field and slide.colour_field in s.colour_fields() + [""]:
                s.set_colour_field(slide.colour_field)
            mask = slide.selection_mask(len(s.bank))
            if not _same_mask(mask, s.selection):
                s.set_selection(mask)
            if slide.walk is not None:
                s.waypoints = list(slide.walk.waypoints)

        if record:
            s.edit(f"Show {slide.name}", change)
        else:
            had = s.selection
            change()  # the layout and colour setters announce themselves; these two do not
            if s.selection is not had:
                s.events.selection.emit()
            if slide.walk is not None:
                s.events.waypoints.emit()
        if compute is not None:
            self.layouts.set_layout(compute)
        if compute is None or s.layout_kind() == slide.layout_method:
            if slide.view_range is not None:
                self.ctx.scatter.set_view_range(*slide.view_range)
            else:
                self.ctx.scatter.reset_view()
        self._show_current(slide)
        if play and slide.walk is not None:
            self.walks.walk_path(slide.walk.method, slide.walk.steps)
            self.walks.play()  # starts once the walk's frames are decoded
        if problems:
            self.ctx.message_bar.show_error(f"{slide.name} is not shown as saved: {'; '.join(problems)}")

    def _stop_walk(self) -> None:
        if self.walks.is_playing():
            self.walks.stop()  # the last slide's walk would keep replacing this slide's preview

    def _show_current(self, slide: Slide) -> None:
        s = self.ctx.session
        if slide.selected is not None and slide.selected < len(s.bank):
            self.points.select_point(slide.selected)
        elif slide.current is not None:
            label, z = slide.current
            s.set_current(label, z)
            state = latent_preview(label, z)
            self.ctx.preview.show_state(state)
            self.ctx.client.decode(np.asarray(z).reshape(s.bank.latent_shape)[None], "click", tag=state, owner=self)
        else:
            s.select(None)
            self.ctx.preview.clear()

    def on_response(self, request, images) -> None:
        if self.ctx.preview.state is request.tag:  # nothing else was shown meanwhile
            self.ctx.preview.show_state(request.tag.with_image(images[0]))

    def on_failed(self, request, message: str) -> None:
        self.ctx.message_bar.show_error(message)

    # -- export ------------------------------------------------------------------------
    def choose_export(self) -> None:
        """Slides ▸ Export slides…: ask for a folder (starting in the last one used), then export."""
        if not len(self.ctx.session.slides):
            self.ctx.message_bar.show_error("No slides to export yet: set up a view, then Add slide (Ctrl+B)")
            return
        folder = QFileDialog.getExistingDirectory(self.ctx.window, "Export slides into a folder",
                                                  self.ctx.settings.last_folder())
        if folder:
            self.export.start(folder)


def _same_mask(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and (b is None or not b.any())
    return a.shape == b.shape and bool(np.array_equal(a, b))
