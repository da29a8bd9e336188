"""The themes: every text colour is readable, and the message bar paints and wraps."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from explorer.ui import theme as theme_module
from explorer.ui.message_bar import MessageBar
from explorer.ui.theme import (DARK, DEFAULT_THEME, LIGHT, THEMES, apply_theme, contrast, current_theme,
                               style_plot, text_pairs, theme_named)
from explorer.ui.thumbnail_tip import ThumbnailTip

LONG_PATH = "/home/someone/" + "/".join(f"experiments_run{i:02d}" for i in range(22)) + "/model.safetensors"


@pytest.fixture
def app(qtbot):
    """The application, with its look restored afterwards so other tests see what they expect."""
    import pyqtgraph as pg

    application = QApplication.instance()
    saved = (application.style().name(), QPalette(application.palette()), application.styleSheet(),
             pg.getConfigOption("background"), pg.getConfigOption("foreground"), theme_module._current)
    yield application
    style, palette, sheet, background, foreground, current = saved
    application.setStyle(style)
    application.setPalette(palette)
    application.setStyleSheet(sheet)
    pg.setConfigOption("background", background)
    pg.setConfigOption("foreground", foreground)
    theme_module._current = current


def pixels(widget: QWidget) -> np.ndarray:
    """The widget as rendered: an (h, w, 3) uint8 RGB array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8, h * stride).reshape(h, stride)[:, : w * 3].reshape(h, w, 3).copy()


def hex_of(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb))


def dominant(rgb: np.ndarray) -> str:
    colours, counts = np.unique(rgb.reshape(-1, 3), axis=0, return_counts=True)
    return hex_of(colours[counts.argmax()])


def luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.float64) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def show_long_error(qtbot, kind: str = "error"):
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = QVBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    bar = MessageBar()
    layout.addWidget(bar)
    layout.addStretch(1)
    parent.resize(600, 400)
    parent.show()
    qtbot.waitExposed(parent)
    bar.show_message(f"Could not open {LONG_PATH}: the file is not a checkpoint", kind)
    qtbot.waitUntil(lambda: bar.isVisible() and bar.label.height() > 0)
    return parent, bar


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_text_pair_reaches_4_5_to_1(name):
    failures = [f"{d}: {fg} on {bg} is {contrast(fg, bg):.2f}:1" for d, fg, bg in text_pairs(THEMES[name])
                if contrast(fg, bg) < 4.5]
    assert not failures, failures


def test_contrast_matches_wcag():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fdd", "#ececec") < 1.2  # the old message bar's colours, which nobody could read


def test_theme_lookup():
    assert THEMES == {"dark": DARK, "light": LIGHT} and DEFAULT_THEME == "dark"
    assert theme_named("light") is LIGHT and theme_named("sepia") is THEMES[DEFAULT_THEME]
    assert theme_named(None) is THEMES[DEFAULT_THEME]


@pytest.mark.parametrize("name", sorted(THEMES))
def test_applied_palette_is_readable(app, name):
    apply_theme(app, THEMES[name])
    assert current_theme() is THEMES[name]
    p = app.palette()
    role, disabled = QPalette.ColorRole, QPalette.ColorGroup.Disabled
    for fg, bg in [(role.WindowText, role.Window), (role.Text, role.Base), (role.ButtonText, role.Button),
                   (role.HighlightedText, role.Highlight), (role.ToolTipText, role.ToolTipBase),
                   (role.PlaceholderText, role.Base), (role.Text, role.AlternateBase)]:
        ratio = contrast(p.color(fg).name(), p.color(bg).name())
        assert ratio >= 4.5, (fg, bg, ratio)
    for fg, bg in [(role.WindowText, role.Window), (role.Text, role.Base), (role.ButtonText, role.Button)]:
        ratio = contrast(p.color(disabled, fg).name(), p.color(disabled, bg).name())
        assert ratio >= 3.0, ("disabled", fg, bg, ratio)
        # Disabled must still look different from enabled.
        assert p.color(disabled, fg) != p.color(fg)
    app.setStyleSheet("")  # with a stylesheet, style() is Qt's stylesheet wrapper around the real style
    assert app.style().name().lower() == "fusion"


@pytest.mark.parametrize("name", sorted(THEMES))
def test_long_error_wraps_and_is_readable(app, qtbot, name):
    theme = THEMES[name]
    apply_theme(app, theme)
    parent, bar = show_long_error(qtbot)
    assert bar.width() <= parent.width() == 600
    assert parent.minimumSizeHint().width() <= 600  # the message never forces the window wider
    assert bar.label.height() > 2 * bar.label.fontMetrics().lineSpacing()  # wrapped onto several lines
    assert LONG_PATH in bar.text()
    rgb = pixels(bar)
    assert rgb.shape[1] <= 600 * bar.devicePixelRatioF()
    assert dominant(rgb) == theme.error_bg  # the background really paints
    lum = luminance(rgb.reshape(-1, 3))
    bg_lum = luminance(np.array(QColor(theme.error_bg).getRgb()[:3]))
    strongest = rgb.reshape(-1, 3)[np.abs(lum - bg_lum).argmax()]
    assert contrast(hex_of(strongest), theme.error_bg) >= 4.5
    # Glyph stems are drawn in the text colour itself, not only in anti-aliased blends of it.
    text_rgb = np.array(QColor(theme.error_text).getRgb()[:3])
    assert (np.abs(rgb.astype(int) - text_rgb).max(axis=-1) <= 12).sum() >= 20


def test_switching_theme_repaints_the_bar(app, qtbot):
    apply_theme(app, DARK)
    _, bar = show_long_error(qtbot)
    assert dominant(pixels(bar)) == DARK.error_bg
    apply_theme(app, LIGHT)
    qtbot.wait(1)
    assert dominant(pixels(bar)) == LIGHT.error_bg


@pytest.mark.parametrize("kind", ["warning", "info", "error"])
def test_message_kinds_have_their_own_colours(app, qtbot, kind):
    apply_theme(app, LIGHT)
    _, bar = show_long_error(qtbot, "info" if kind != "info" else "warning")
    bar.show_message("Decoded 64 images", kind)
    assert bar.kind() == kind and bar.text() == "Decoded 64 images"
    background, text = LIGHT.message_colours(kind)
    rgb = pixels(bar)
    assert dominant(rgb) == background
    assert (np.abs(rgb.astype(int) - np.array(QColor(text).getRgb()[:3])).max(axis=-1) <= 12).any()


def test_show_error_and_text_keep_their_meaning(app, qtbot):
    apply_theme(app, DARK)
    bar = MessageBar()
    qtbot.addWidget(bar)
    assert bar.text() == ""
    bar.show_error("Could not save C:\\Users\\someone\\grid.png: disk full")
    assert bar.text() == "Could not save C:\\Users\\someone\\grid.png: disk full" and bar.kind() == "error"
    bar.close_button.click()
    assert bar.text() == "" and not bar.isVisible()
    with pytest.raises(ValueError):
        bar.show_message("hello", "shout")


def test_unbroken_text_still_wraps(app, qtbot):
    apply_theme(app, DARK)
    parent, bar = show_long_error(qtbot)
    digest = "f" * 400
    bar.show_error(f"checksum {digest} does not match")
    qtbot.waitUntil(lambda: bar.label.height() > 2 * bar.label.fontMetrics().lineSpacing())
    assert bar.width() <= 600 and digest in bar.text()


def test_thumbnail_tip_follows_theme(app, qtbot):
    apply_theme(app, LIGHT)
    tip = ThumbnailTip()
    qtbot.addWidget(tip)
    tip.caption.setText("#12 seed 3")
    tip.picture.setFixedSize(40, 40)
    tip.adjustSize()
    rgb = pixels(tip)
    assert dominant(rgb) == LIGHT.alt_base
    lum = luminance(rgb.reshape(-1, 3))
    strongest = rgb.reshape(-1, 3)[np.abs(lum - luminance(np.array(QColor(LIGHT.alt_base).getRgb()[:3]))).argmax()]
    assert contrast(hex_of(strongest), LIGHT.alt_base) >= 4.5


@pytest.mark.parametrize("name", sorted(THEMES))
def test_plots_follow_the_theme(app, qtbot, name):
    import pyqtgraph as pg

    theme = THEMES[name]
    other = LIGHT if theme is DARK else DARK
    apply_theme(app, other)
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.showGrid(x=True, y=True, alpha=0.5)
    plot.addLegend().addItem(pg.ScatterPlotItem(), "cats")
    plot.setLabel("bottom", "UMAP 1")
    style_plot(plot, theme)
    assert plot.backgroundBrush().color().name() == theme.plot_background
    axis = plot.getPlotItem().getAxis("bottom")
    assert axis.textPen().color().name() == theme.plot_foreground
    assert axis.grid == int(theme_module.GRID_ALPHA * 255)
    assert theme.plot_foreground in axis.label.toHtml()
    assert plot.getPlotItem().legend.labelTextColor().name() == theme.plot_foreground
    apply_theme(app, theme)
    fresh = pg.PlotWidget()
    qtbot.addWidget(fresh)
    assert fresh.backgroundBrush().color().name() == theme.plot_background


@pytest.mark.parametrize("name", sorted(THEMES))
def test_label_roles(app, qtbot, name):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    theme = THEMES[name]
    apply_theme(app, theme)
    labels = {}
    for role in ("error", "muted", "empty", "image"):
        labels[role] = QLabel("Click a point to decode it")
        labels[role].setProperty("role", role)
        labels[role].resize(240, 120)
        qtbot.addWidget(labels[role])
        labels[role].ensurePolished()
    assert labels["error"].palette().color(QPalette.ColorRole.WindowText).name() == theme.error_text
    assert labels["muted"].palette().color(QPalette.ColorRole.WindowText).name() == theme.muted_text
    assert labels["empty"].alignment() & Qt.AlignmentFlag.AlignHCenter
    for role in ("empty", "image"):
        rgb = pixels(labels[role])
        assert dominant(rgb) == theme.image_background
        lum = luminance(rgb.reshape(-1, 3))
        bg_lum = luminance(np.array(QColor(theme.image_background).getRgb()[:3]))
        strongest = hex_of(rgb.reshape(-1, 3)[np.abs(lum - bg_lum).argmax()])
        assert contrast(strongest, theme.image_background) >= 4.5
