"""One coherent look: a dark and a light theme for widgets, messages and plots.

A :class:`Theme` names every colour the UI uses. :func:`apply_theme` turns it
into the application's palette (so ordinary widgets follow it), a small
application stylesheet (for what a palette cannot express: the message bar,
error and hint labels, image cells) and pyqtgraph's defaults. Widgets never
hard-code colours; they set ``role`` properties or read :func:`current_theme`.
Every text colour is chosen to reach WCAG 2 contrast 4.5:1 on its background;
``tests/ui/test_theme.py`` holds us to it through :func:`text_pairs`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

# Grid lines are the axis tick pen at this opacity; the colour comes from the theme.
GRID_ALPHA = 0.25


@dataclass(frozen=True)
class Theme:
    """Named colours (``#rrggbb``) of one look; ``name`` is ``"dark"`` or ``"light"``.

    ``base`` is the background of inputs and lists, ``alt_base`` of alternate
    rows and tooltips; ``muted_text`` is secondary text, readable on ``window``,
    ``base`` and ``alt_base``; ``disabled_text`` only needs 3:1. ``*_bg`` /
    ``*_text`` colour the message bar by kind, and ``error_text`` is also the
    colour of inline error labels on ``window``. ``image_background`` sits behind
    decoded images, with ``empty_text`` for hints shown in their place.
    """

    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted_text: str
    disabled_text: str
    button: str
    button_text: str
    highlight: str
    highlighted_text: str
    link: str
    border: str
    error_bg: str
    error_text: str
    warning_bg: str
    warning_text: str
    info_bg: str
    info_text: str
    plot_background: str
    plot_foreground: str
    plot_grid: str
    image_background: str
    empty_text: str

    def message_colours(self, kind: str) -> tuple[str, str]:
        """(background, text) of a message of ``kind`` "error", "warning" or "info"."""
        return {"error": (self.error_bg, self.error_text), "warning": (self.warning_bg, self.warning_text),
                "info": (self.info_bg, self.info_text)}[kind]


DARK = Theme(
    name="dark", window="#202124", base="#17181b", alt_base="#26282c", text="#e8e8ea", muted_text="#a8abb2",
    disabled_text="#7c7f86", button="#2e3035", button_text="#e8e8ea", highlight="#2f5f9e",
    highlighted_text="#ffffff", link="#8ab4f8", border="#4a4d54", error_bg="#5c1f1f", error_text="#ffb4b4",
    warning_bg="#4a3a0c", warning_text="#ffe08a", info_bg="#173a5e", info_text="#d6e8ff",
    plot_background="#17181b", plot_foreground="#c4c7cc", plot_grid="#9aa0a6", image_background="#0f1012",
    empty_text="#a8abb2",
)

LIGHT = Theme(
    name="light", window="#f3f3f5", base="#ffffff", alt_base="#eef0f3", text="#1f2023", muted_text="#5c6066",
    disabled_text="#7a7d83", button="#e4e6ea", button_text="#1f2023", highlight="#2b63b8",
    highlighted_text="#ffffff", link="#1a55b0", border="#b9bcc3", error_bg="#fde2e2", error_text="#9b1c1c",
    warning_bg="#fff1c7", warning_text="#5e4300", info_bg="#e0ecfb", info_text="#163c6a",
    plot_background="#ffffff", plot_foreground="#3c4043", plot_grid="#5f6368", image_background="#e6e7ea",
    empty_text="#50545a",
)

THEMES = {"dark": DARK, "light": LIGHT}
DEFAULT_THEME = "dark"

_current = THEMES[DEFAULT_THEME]


def theme_named(name: str | None) -> Theme:
    """The theme called ``name``; the default one for an unknown or missing name (e.g. an old setting)."""
    return THEMES.get(name or DEFAULT_THEME, THEMES[DEFAULT_THEME])


def current_theme() -> Theme:
    """The theme last passed to :func:`apply_theme` (the default before any)."""
    return _current


def _luminance(hex_colour: str) -> float:
    c = QColor(hex_colour)
    channels = []
    for v in (c.redF(), c.greenF(), c.blueF()):
        channels.append(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg_hex: str, bg_hex: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1.0 (same) to 21.0 (black on white)."""
    a, b = sorted((_luminance(fg_hex), _luminance(bg_hex)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_pairs(theme: Theme) -> list[tuple[str, str, str]]:
    """Every (description, foreground, background) pair the UI draws text with.

    Disabled text is left out on purpose: WCAG exempts inactive controls, and
    it is checked separately against a 3:1 floor.
    """
    t = theme
    pairs = [
        ("window text", t.text, t.window), ("input text", t.text, t.base), ("alternate row text", t.text, t.alt_base),
        ("muted text on window", t.muted_text, t.window), ("muted text on input", t.muted_text, t.base),
        ("muted text on alternate row", t.muted_text, t.alt_base), ("placeholder text", t.muted_text, t.base),
        ("button text", t.button_text, t.button), ("selected text", t.highlighted_text, t.highlight),
        ("link on window", t.link, t.window), ("link on input", t.link, t.base),
        ("tooltip text", t.text, t.alt_base), ("error label", t.error_text, t.window),
        ("plot axes and labels", t.plot_foreground, t.plot_background),
        ("empty-state hint", t.empty_text, t.image_background), ("empty-state hint on window", t.empty_text, t.window),
    ]
    for kind in ("error", "warning", "info"):
        bg, fg = t.message_colours(kind)
        pairs.append((f"{kind} message", fg, bg))
    return pairs


def _palette(t: Theme) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: t.window, role.WindowText: t.text, role.Base: t.base, role.AlternateBase: t.alt_base,
        role.Text: t.text, role.PlaceholderText: t.muted_text, role.Button: t.button, role.ButtonText: t.button_text,
        role.BrightText: t.error_text, role.Highlight: t.highlight, role.HighlightedText: t.highlighted_text,
        role.Link: t.link, role.LinkVisited: t.link, role.ToolTipBase: t.alt_base, role.ToolTipText: t.text,
        role.Accent: t.highlight,
    }
    for r, hex_colour in colours.items():
        p.setColor(r, QColor(hex_colour))
    # Fusion draws bevels and frames from these; derive them so both themes keep the same relief.
    button = QColor(t.button)
    dark = t.name == "dark"
    p.setColor(role.Light, button.lighter(140 if dark else 112))
    p.setColor(role.Midlight, button.lighter(120 if dark else 106))
    p.setColor(role.Mid, QColor(t.border))
    p.setColor(role.Dark, button.darker(160 if dark else 135))
    p.setColor(role.Shadow, QColor("#000000"))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText, role.PlaceholderText):
        p.setColor(disabled, r, QColor(t.disabled_text))
    # A disabled selection keeps its text readable rather than turning grey-on-blue.
    p.setColor(disabled, role.Highlight, QColor(t.border))
    p.setColor(disabled, role.HighlightedText, QColor(t.text))
    return p


def _stylesheet(t: Theme) -> str:
    rules = []
    for kind in ("error", "warning", "info"):
        bg, fg = t.message_colours(kind)
        bar = f'QWidget#messageBar[kind="{kind}"]'
        rules.append(f"{bar} {{ background-color: {bg}; border-bottom: 1px solid {t.border}; }}")
        rules.append(f"{bar} QLabel, {bar} QToolButton {{ color: {fg}; background: transparent; }}")
    return "\n".join(rules + [
        "QWidget#messageBar QLabel { padding: 4px; }",
        "QWidget#messageBar QToolButton { border: 1px solid transparent; border-radius: 3px; padding: 1px 5px; }",
        "QWidget#messageBar QToolButton:hover { border-color: palette(mid); }",
        f'QLabel[role="error"] {{ color: {t.error_text}; }}',
        f'QLabel[role="muted"] {{ color: {t.muted_text}; }}',
        f'QLabel[role="empty"] {{ color: {t.empty_text}; background-color: {t.image_background}; '
        "qproperty-alignment: AlignCenter; padding: 8px; }",
        # An image cell also shows hints ("decoding…") while it has no picture.
        f'QLabel[role="image"] {{ color: {t.empty_text}; background-color: {t.image_background}; '
        f"border: 1px solid {t.border}; }}",
        f'QLabel[role="image"][current="true"] {{ border: 2px solid {t.highlight}; }}',
        f"QWidget#thumbnailTip {{ background-color: {t.alt_base}; color: {t.text}; border: 1px solid {t.border}; }}",
        # The scatter's tool in use (Pan / Lasso / Box) must be visible at a glance.
        f"QToolButton:checked {{ background-color: {t.highlight}; color: {t.highlighted_text}; "
        f"border: 1px solid {t.border}; border-radius: 3px; padding: 2px 6px; }}",
    ])


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Make ``theme`` the look of the whole application, now and for widgets made later.

    Sets the Fusion style (the one style that honours a palette everywhere), the
    palette, the application stylesheet and pyqtgraph's default colours. Plots
    that already exist keep their colours: pass them to :func:`style_plot`.
    """
    global _current
    import pyqtgraph as pg

    _current = theme
    # Fusion draws with the palette alone; native styles (macOS, Windows 11) would override it.
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(_palette(theme))
    app.setStyleSheet(_stylesheet(theme))
    pg.setConfigOption("background", theme.plot_background)
    pg.setConfigOption("foreground", theme.plot_foreground)


def _mix(fg: str, bg: str, alpha: float) -> str:
    """The colour ``fg`` at opacity ``alpha`` over ``bg`` (``#rrggbb``)."""
    a, b = QColor(fg), QColor(bg)
    mixed = [round(alpha * x + (1 - alpha) * y) for x, y in
             zip((a.red(), a.green(), a.blue()), (b.red(), b.green(), b.blue()))]
    return QColor(*mixed).name()


def style_plot(plot_widget, theme: Theme) -> None:
    """Restyle an existing pyqtgraph ``PlotWidget``: background, axes, labels, grid, legend.

    The grid stays on or off as it was; only its colour and opacity follow the theme.
    """
    import pyqtgraph as pg

    plot_widget.setBackground(theme.plot_background)
    item = plot_widget.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(theme.plot_foreground))
        axis.setTextPen(pg.mkPen(theme.plot_foreground))
        axis.setTickPen(pg.mkPen(theme.plot_grid))
        if axis.grid is not False:
            axis.setGrid(GRID_ALPHA)
            # Translucent full-length lines cost ~10 ms a frame at 1200×800 (alpha
            # blending in the raster engine); opaque ones of the colour they would
            # blend to cost nothing. Drawn behind the view box so points cover them.
            axis.setTickPen(pg.mkPen(_mix(theme.plot_grid, theme.plot_background, GRID_ALPHA)))
            axis.setStyle(tickAlpha=255)
            axis.setZValue(-200)
    if item.titleLabel.text:
        item.titleLabel.setText(item.titleLabel.text, color=theme.plot_foreground)
    legend = item.legend
    if legend is not None:
        fill = pg.mkColor(theme.plot_background)
        fill.setAlpha(200)  # translucent, so points under the legend still show
        legend.setBrush(fill)
        legend.setPen(pg.mkPen(theme.border))
        legend.setLabelTextColor(theme.plot_foreground)
        for _sample, label in legend.items:
            label.setText(label.text, color=theme.plot_foreground)
