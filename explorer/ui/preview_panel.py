"""The large preview: one :class:`~explorer.core.preview.PreviewState` at a
time — the decoded image and the words about it, replaced together."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QSizePolicy, QWidget

from explorer.core.preview import EMPTY, PreviewState
from explorer.ui.images import to_pixmap

PREVIEW_SIDE = 224
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
EMPTY_TEXT = "Click a point to decode it"


class PreviewPanel(QWidget):
    """Decoded image on the left, its title and details beside it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image = QLabel(EMPTY_TEXT)
        self.image.setProperty("role", "image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setWordWrap(True)
        self.image.setFixedSize(PREVIEW_SIDE, PREVIEW_SIDE)
        self.details = QLabel("")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        # No taller than its image: the space below goes to the panels under the preview.
        self.setMaximumHeight(PREVIEW_SIDE + 12)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.details, 1)
        self.state: PreviewState = EMPTY
        self._side = PREVIEW_SIDE

    @property
    def shown_image(self) -> np.ndarray | None:
        """The image on screen (None when empty or still decoding)."""
        return self.state.image

    @shown_image.setter
    def shown_image(self, image: np.ndarray | None) -> None:  # tests reset it to wait for the next image
        self.state = PreviewState(image, self.state.title, self.state.rows, self.state.note)

    def show_state(self, state: PreviewState) -> None:
        """Show ``state`` whole: image and details together."""
        self.state = state
        if state.image is None:
            self.image.clear()
            self.image.setText(EMPTY_TEXT if not state.title else "decoding…")
        else:
            self.image.setPixmap(to_pixmap(state.image, self._side))
        self.details.setText(self._details_html(state))

    @staticmethod
    def _details_html(state: PreviewState) -> str:
        if not state.title:
            return ""
        from explorer.ui.theme import current_theme

        muted = current_theme().muted_text
        rows = "".join(f"<tr><td style='color:{muted};padding-right:12px'>{html.escape(k)}</td>"
                       f"<td><b>{html.escape(str(v))}</b></td></tr>" for k, v in state.rows)
        note = f"<p style='color:{muted}'>{html.escape(state.note)}</p>" if state.note else ""
        return f"<p><b>{html.escape(state.title)}</b></p><table>{rows}</table>{note}"

    def set_side(self, px: int | None) -> None:
        """Show the image ``px`` pixels square with its words under it, as presentation mode
        does (None: the usual size, words beside it)."""
        self._side = int(px or PREVIEW_SIDE)
        self.image.setFixedSize(self._side, self._side)
        self.layout().setDirection(QBoxLayout.Direction.TopToBottom if px else QBoxLayout.Direction.LeftToRight)
        self.setMaximumHeight(QWIDGETSIZE_MAX if px else PREVIEW_SIDE + 12)
        self.show_state(self.state)

    def clear(self) -> None:
        self.show_state(EMPTY)
