"""Figures: *Save image…* and *Copy image* for the preview and every figure
(analogy grid, arithmetic result, walk filmstrip, neighbour grid), from their
right-click menus, the *Export figure* dialog and Ctrl+Shift+C; and *Export
scatter…* as PNG or SVG, optionally with thumbnails ("image scatter").

Each figure is made from the decoded uint8 images its controller keeps (never
from the panels' pixmaps) by :mod:`explorer.core.figure_layout`, so it is
crisp at any width; every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QWidget

from explorer.core.figure_layout import Figure, FigureOptions, compose, write_png
from explorer.ui.figure_export import FigureExportDialog
from explorer.ui.images import to_qimage
from explorer.ui.scatter_export import THUMBNAILS, ScatterExportDialog, render_scatter_png, scatter_figure

PREVIEW = "Preview"
MAX_SELECTION_THUMBNAILS = 200
STRIP_COLUMNS = 10  # a long walk wraps into rows of this many frames


def strip_source(name: str, strip, title: str) -> tuple:
    """``(name, widget, make)`` for a :class:`~explorer.ui.filmstrip.Filmstrip`: its frames, captioned."""

    def make() -> Figure | None:
        if not strip.images:
            return None
        return Figure.grid(strip.images, min(len(strip.images), STRIP_COLUMNS), title=title,
                           captions=tuple(strip.captions))

    return name, strip, make


class FigureController(QObject):
    """Owns the figure sources (name → widget and a function making its :class:`Figure`)."""

    def __init__(self, ctx):
        super().__init__(ctx.window)
        self.ctx = ctx
        self.options = FigureOptions()  # the last used, for the next dialog and for Copy
        self.sources: dict[str, tuple[QWidget, Callable[[], Figure | None]]] = {}
        self.dialog: FigureExportDialog | None = None
        self.scatter_dialog: ScatterExportDialog | None = None
        self.menu: QMenu | None = None
        self.add_source(PREVIEW, ctx.preview.image, self.preview_figure)
        # pyqtgraph's own Export… (scene menu) fails on SVG with PySide6 ≥ 6.11: ours instead.
        scene = ctx.scatter.plot.scene()
        self.scatter_action = QAction("Export scatter…", scene)
        self.scatter_action.triggered.connect(self.choose_scatter)
        scene.contextMenu = [self.scatter_action]

    # -- sources ----------------------------------------------------------------------------
    def add_source(self, name: str, widget: QWidget, make: Callable[[], Figure | None]) -> None:
        """Offer ``make()``'s figure as ``name``, with a right-click menu on ``widget``."""
        self.sources[name] = (widget, make)
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # so Ctrl+Shift+C knows which one was clicked
        widget.customContextMenuRequested.connect(partial(self._popup, name))

    def add_sources(self, sources) -> None:
        """``add_source`` for each ``(name, widget, make)``."""
        for name, widget, make in sources:
            self.add_source(name, widget, make)

    def preview_figure(self) -> Figure | None:
        """The preview's image under its title (None while it is empty)."""
        state = self.ctx.preview.state
        return None if state.image is None else Figure.grid([state.image], title=state.title)

    def figure(self, name: str) -> Figure | None:
        """The figure ``name`` shows now; None (and a message saying why) when it shows nothing."""
        figure = self.sources[name][1]()
        if figure is None:
            self.ctx.message_bar.show_error(f"{name}: it shows no images yet")
        return figure

    def focused_source(self) -> str:
        """The figure whose widget (or a child of it) has the keyboard focus, else the preview."""
        widget = QApplication.focusWidget()
        while widget is not None:
            for name, (source, _make) in self.sources.items():
                if widget is source:
                    return name
            widget = widget.parentWidget()
        return PREVIEW

    # -- menus ---------------------------------------------------------------------------------
    def context_menu(self, name: str) -> QMenu:
        """The right-click menu of figure ``name``: Save image…, Copy image."""
        menu = QMenu(self.sources[name][0])
        menu.addAction("Save image…", partial(self.choose, name))
        menu.addAction("Copy image", partial(self.copy_image, name))
        return menu

    def _popup(self, name: str, pos: QPoint) -> None:
        widget = self.sources[name][0]
        # A list (the filmstrips) reports the position in its viewport's coordinates.
        origin = widget.viewport() if hasattr(widget, "viewport") else widget
        self.menu = self.context_menu(name)
        self.menu.popup(origin.mapToGlobal(pos))

    def fill_file_menu(self, menu: QMenu) -> None:
        """File ▸ Export figure…, Export scatter…."""
        menu.addAction("Export &figure…", self.choose_focused)
        menu.addAction("Export s&catter…", self.choose_scatter)

    def fill_edit_menu(self, menu: QMenu) -> None:
        """Edit ▸ Copy image (Ctrl+Shift+C): the figure under focus, else the preview."""
        menu.addAction("Copy &image", QKeySequence("Ctrl+Shift+C"), self.copy_focused)

    # -- figures -------------------------------------------------------------------------------
    def choose_focused(self) -> None:
        """File ▸ Export figure…: the dialog on the figure under focus, else the preview."""
        self.choose(self.focused_source())

    def choose(self, name: str = PREVIEW) -> None:
        """Open the Export figure dialog (non-modal) on figure ``name``."""
        self.dialog = FigureExportDialog(self.ctx.window, list(self.sources), name, self.options)
        self.dialog.accepted.connect(partial(self._save_from_dialog, self.dialog))
        self.dialog.copyRequested.connect(partial(self._copy_from_dialog, self.dialog))
        self.dialog.open()

    def choose_analogy(self) -> None:
        """The Analogy tab's Save image… button."""
        self.choose("Analogy grid")

    def _save_from_dialog(self, dialog: FigureExportDialog) -> None:
        self.options = dialog.options()
        name = dialog.source.currentText()
        if self.figure(name) is None:
            return
        stem = name.lower().replace(" ", "_")
        start = str(Path(self.ctx.settings.last_folder()) / f"{stem}.png")
        path, _ = QFileDialog.getSaveFileName(self.ctx.window, f"Save {name.lower()}", start, "PNG image (*.png)")
        if path:
            self.ctx.settings.set_last_folder(str(Path(path).parent))
            self.save_figure(name, path, self.options)

    def _copy_from_dialog(self, dialog: FigureExportDialog) -> None:
        self.options = dialog.options()
        self.copy_image(dialog.source.currentText())

    def render(self, name: str, options: FigureOptions | None = None) -> np.ndarray | None:
        """Figure ``name`` drawn with ``options`` (the last used by default); None if it is empty."""
        figure = self.figure(name)
        if figure is None:
            return None
        try:
            return compose(figure, options or self.options)
        except ValueError as exc:
            self.ctx.message_bar.show_error(f"{name}: {exc}")
            return None

    def save_figure(self, name: str, path: str, options: FigureOptions | None = None) -> bool:
        """Write figure ``name`` to ``path`` as PNG, atomically; False (and a message) if it cannot."""
        image = self.render(name, options)
        if image is None:
            return False
        try:
            write_png(path, image)
        except OSError as exc:
            self.ctx.message_bar.show_error(f"Could not save {path}: {exc.strerror or exc}")
            return False
        self.ctx.window.statusBar().showMessage(f"Saved {path} ({image.shape[1]}×{image.shape[0]})", 4000)
        return True

    def copy_image(self, name: str) -> QImage | None:
        """Put figure ``name`` on the clipboard: the preview as it is shown, a figure as it would be saved."""
        if name == PREVIEW:
            pixmap = self.ctx.preview.image.pixmap()
            if self.ctx.preview.state.image is None or pixmap is None or pixmap.isNull():
                self.ctx.message_bar.show_error("Preview: nothing to copy yet — click a point first")
                return None
            image = pixmap.toImage()
        else:
            array = self.render(name)
            if array is None:
                return None
            image = to_qimage(array)
        QGuiApplication.clipboard().setImage(image)
        self.ctx.window.statusBar().showMessage(f"Copied the {name.lower()} ({image.width()}×{image.height()})", 4000)
        return image

    def copy_focused(self) -> QImage | None:
        """Ctrl+Shift+C: copy the figure under focus, else the preview."""
        return self.copy_image(self.focused_source())

    # -- the scatter -------------------------------------------------------------------------------
    def _default_title(self) -> str:
        info = self.ctx.models.info if self.ctx.models is not None else None
        return "" if info is None else info.name

    def choose_scatter(self) -> None:
        """File ▸ Export scatter… (and the scatter's right-click menu): ask how (non-modal), then where."""
        if self.ctx.session.bank is None or not len(self.ctx.scatter.points):
            self.ctx.message_bar.show_error("Nothing to export yet: open a model first")
            return
        from explorer.ui.theme import current_theme

        self.scatter_dialog = ScatterExportDialog(self.ctx.window, current_theme().name, self._default_title())
        self.scatter_dialog.accepted.connect(partial(self._scatter_from_dialog, self.scatter_dialog))
        self.scatter_dialog.open()

    def _scatter_from_dialog(self, d: ScatterExportDialog) -> None:
        fmt = d.format.currentText()
        suffix = fmt.lower()
        start = str(Path(self.ctx.settings.last_folder()) / f"scatter.{suffix}")
        path, _ = QFileDialog.getSaveFileName(self.ctx.window, "Save scatter", start, f"{fmt} (*.{suffix})")
        if not path:
            return
        self.ctx.settings.set_last_folder(str(Path(path).parent))
        self.save_scatter(path, d.width_px.value(), d.background.currentText(), d.title.text(),
                          d.thumbnails.currentText(), d.count.value(), d.side.value())

    def thumbnail_points(self, which: str, count: int) -> tuple | None:
        """``(x, y, image)`` for the chosen thumbnails: none, the selection, or points spread over the view;
        None (and a message) when the selection is asked for and empty."""
        from explorer.core.scatter_svg import spread_points

        s, view = self.ctx.session, self.ctx.scatter
        if which == THUMBNAILS[0] or s.bank is None or s.bank.thumbnails is None:
            return ()
        if which == THUMBNAILS[1]:
            if s.selection is None or not s.selection.any():
                self.ctx.message_bar.show_error("Thumbnails at the selection: nothing is selected")
                return None
            candidates = np.flatnonzero(s.selection)
        else:
            candidates = view.shown
        x_range, y_range = view.view_range()
        chosen = candidates[spread_points(view.points[candidates], min(count, MAX_SELECTION_THUMBNAILS),
                                          x_range, y_range)]
        return tuple((float(view.points[i, 0]), float(view.points[i, 1]), s.bank.thumbnails[i]) for i in chosen)

    def save_scatter(self, path: str, width: int = 2048, background: str = "light", title: str = "",
                     thumbnails: str = THUMBNAILS[0], count: int = 12, side: int = 64) -> bool:
        """Write the scatter to ``path``: SVG if it ends in .svg, else PNG ``width`` px wide; atomically."""
        from explorer.core.atomic_file import atomic_write
        from explorer.core.scatter_svg import write_scatter_svg

        view = self.ctx.scatter
        thumbs = self.thumbnail_points(thumbnails, count)
        if thumbs is None:
            return False
        try:
            if str(path).lower().endswith(".svg"):
                height = round(width * max(1, view.plot.height()) / max(1, view.plot.width()))
                write_scatter_svg(path, scatter_figure(view, title, thumbs), width=width, height=max(150, height),
                                  background=background, thumbnail_side=side)
            else:
                image = render_scatter_png(view, width, background, title, thumbs, side)

                def write(tmp: str) -> None:
                    if not image.save(tmp, "PNG"):
                        raise OSError(f"Qt could not write a PNG to {path}")

                atomic_write(path, write)
        except (OSError, ValueError) as exc:
            self.ctx.message_bar.show_error(f"Could not save {path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.ctx.window.statusBar().showMessage(f"Saved {path}", 4000)
        return True
