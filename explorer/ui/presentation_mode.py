"""Presentation mode (F11): the window full screen with the scatter and a large
preview only, no menus or bars, larger type, and a caption naming the slide.
Right/Left, Page Down/Up and Space step through the slides; Esc or F11 leaves,
and everything comes back as it was."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from explorer.ui.preview_panel import PREVIEW_SIDE

FONT_SCALE = 1.6
PREVIEW_SHARE = 0.45  # of the screen's width, for the preview dock
NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space, Qt.Key.Key_Down)
PREVIOUS_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace, Qt.Key.Key_Up)
LEAVE_KEYS = (Qt.Key.Key_Escape,)
NO_SLIDES = "No slides yet — leave (Esc), set up a view and press Ctrl+B to keep it as a slide"


class PresentationMode(QObject):
    """Enters and leaves presentation mode for ``window`` (a MainWindow: its docks,
    layout bar, menu and status bar), stepping through ``slides`` (a SlidesController)."""

    toggled = Signal(bool)

    def __init__(self, window, ctx, slides):
        super().__init__(window)
        self.window, self.ctx, self.slides = window, ctx, slides
        self.presenting = False
        self._saved: dict = {}
        self.action = QAction("&Presentation mode", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence(Qt.Key.Key_F11))
        self.action.setToolTip("Full screen, large preview, arrows step through the slides, Esc leaves")
        self.action.toggled.connect(self.set_presenting)
        window.addAction(self.action)  # its key must work while the menu bar is hidden
        self.caption = QLabel(ctx.scatter)
        self.caption.setObjectName("slideCaption")
        self.caption.hide()
        slides.slideShown.connect(self._show_caption)
        slides.panel.presentRequested.connect(lambda: self.set_presenting(True))

    # -- entering and leaving --------------------------------------------------------------
    def set_presenting(self, on: bool) -> None:
        """Enter (``True``) or leave presentation mode; nothing happens when already there."""
        if on == self.presenting:
            return
        self.presenting = on
        if on:
            self._enter()
        else:
            self._leave()
        self.action.setChecked(on)  # when entered by the Present button, or left by Esc
        self.toggled.emit(on)

    def _enter(self) -> None:
        w, app = self.window, QApplication.instance()
        self.ctx.tip.hide_tip()
        self._saved = {"state": w.saveState(), "window": w.windowState(), "geometry": w.saveGeometry(),
                       "font": app.font(),
                       "menu": w.menuBar().isVisible(), "status": w.statusBar().isVisible(),
                       "bar": w.layout_bar.isVisible()}
        for title, dock in w.docks.items():
            dock.setVisible(title == "Preview")
        w.docks["Preview"].setTitleBarWidget(QWidget())  # no title bar or buttons over the preview
        w.menuBar().hide()
        w.statusBar().hide()
        w.layout_bar.hide()
        font = app.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        else:  # a font sized in pixels
            font.setPixelSize(round(font.pixelSize() * FONT_SCALE))
        _set_app_font(app, font)
        screen = (w.screen() or QApplication.primaryScreen()).geometry()
        w.setGeometry(screen)  # what a window manager does for full screen; X without one (Xvfb) would not
        w.showFullScreen()
        width = int(screen.width() * PREVIEW_SHARE)
        self.ctx.preview.set_side(max(PREVIEW_SIDE, min(width - 32, int(screen.height() * 0.6))))  # words under it
        w.resizeDocks([w.docks["Preview"]], [width], Qt.Orientation.Horizontal)
        app.installEventFilter(self)
        if self.slides.index < 0 and len(self.ctx.session.slides):
            self.slides.go_to(0)
        self._show_caption(self.slides.index)
        self.ctx.scatter.setFocus()

    def _leave(self) -> None:
        w, app = self.window, QApplication.instance()
        app.removeEventFilter(self)
        self.caption.hide()
        _set_app_font(app, self._saved["font"])
        self.ctx.preview.set_side(None)
        w.docks["Preview"].setTitleBarWidget(None)
        w.setWindowState(self._saved["window"])
        w.restoreGeometry(self._saved["geometry"])
        w.restoreState(self._saved["state"])
        w.menuBar().setVisible(self._saved["menu"])
        w.statusBar().setVisible(self._saved["status"])
        w.layout_bar.setVisible(self._saved["bar"])

    # -- the caption -------------------------------------------------------------------------
    def _show_caption(self, index: int) -> None:
        if not self.presenting:
            return
        from explorer.ui.theme import current_theme

        slides = self.ctx.session.slides
        t = current_theme()
        text = NO_SLIDES if not len(slides) else (
            f"{slides[index].name}  ·  {index + 1} / {len(slides)}" if 0 <= index < len(slides)
            else f"{len(slides)} slides: → starts")
        self.caption.setText(text)
        font = self.caption.font()  # the presenting font, a little larger again: the caption is the title
        if font.pointSizeF() > 0:
            font.setPointSizeF(QApplication.font().pointSizeF() * 1.25)
        self.caption.setFont(font)
        self.caption.setStyleSheet(f"QLabel#slideCaption {{ color: {t.text}; background-color: {t.alt_base}; "
                                   f"border: 1px solid {t.border}; border-radius: 4px; padding: 6px 12px; }}")
        self.caption.adjustSize()
        self.caption.move(12, 12)
        self.caption.show()
        self.caption.raise_()

    # -- keys ------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Close and watched is self.window:
            self.set_presenting(False)  # before the window keeps its dock layout for the next start
            return False
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        key = event.key()
        if key not in NEXT_KEYS + PREVIOUS_KEYS + LEAVE_KEYS or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False  # a dialog's own keys stay its own
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # these keys are ours, not a shortcut's (Esc also clears the selection)
            return True
        if key in LEAVE_KEYS:
            self.set_presenting(False)
        else:
            self.slides.step(1 if key in NEXT_KEYS else -1)
        return True


def _set_app_font(app: QApplication, font) -> None:
    """Set the application's font so every widget takes it: with an application style
    sheet (the theme) Qt keeps the old font on widgets already polished (the preview's
    words, the legend stayed small while presenting), until the sheet is applied again."""
    app.setFont(font)
    app.setStyleSheet(app.styleSheet())
