"""The large preview of the decoded point, with what is known about it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.ui.images import to_pixmap

PREVIEW_SIDE = 256


class PreviewPanel(QWidget):
    """Decoded image on top, id / seed / attributes / latent norm below."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image = QLabel("Click a point to decode it")
        self.image.setObjectName("previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(PREVIEW_SIDE, PREVIEW_SIDE)
        self.image.setStyleSheet("QLabel#previewImage { background: #111; color: #aaa; border: 1px solid #333; }")
        self.details = QLabel("")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image)
        layout.addWidget(self.details)
        self.shown_image: np.ndarray | None = None

    def show_details(self, info: dict, source: str = "") -> None:
        rows = [("id", info["id"])]
        if "expression" in info:
            rows.append(("expression", info["expression"]))
        elif "file" in info:
            rows += [("your image", info["file"].split("/")[-1]),
                     ("reconstruction error", f"{info['reconstruction_error']:.3f}")]
        elif info.get("seed", -1) >= 0:
            rows += [("seed", info["seed"]), ("index", info["index"])]
        elif info.get("seed", -1) == -1 and "index" in info:
            rows.append(("image", f"#{info['index']} of the data set"))
        rows.append(("latent norm", f"{info['norm']:.3f}"))
        if "label" in info:
            rows.append(("label", info["label"]))
        for k, v in info.get("attributes", {}).items():
            rows.append((k, f"{v:.2f}" if 0 < v < 1 else ("yes" if v >= 0.5 else "no")))
        html = "".join(f"<tr><td style='color:#999;padding-right:12px'>{k}</td><td><b>{v}</b></td></tr>" for k, v in rows)
        foot = f"<p style='color:#888'>{source}</p>" if source else ""
        self.details.setText(f"<table>{html}</table>{foot}")

    def show_pending(self) -> None:
        if self.shown_image is None:
            self.image.setText("decoding…")

    def show_image(self, image: np.ndarray) -> None:
        self.shown_image = image
        self.image.setPixmap(to_pixmap(image, PREVIEW_SIDE))

    def clear(self) -> None:
        self.shown_image = None
        self.image.clear()
        self.image.setText("Click a point to decode it")
        self.details.setText("")
