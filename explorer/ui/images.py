"""uint8 numpy images → QImage/QPixmap (copied, so numpy memory can go)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def to_qimage(image: np.ndarray) -> QImage:
    """(h, w, 3) RGB or (h, w, 1)/(h, w) grey uint8 → QImage."""
    a = np.ascontiguousarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = np.ascontiguousarray(a[..., 0])
    h, w = a.shape[:2]
    if a.ndim == 2:
        return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def to_pixmap(image: np.ndarray, side: int | None = None) -> QPixmap:
    """A pixmap, enlarged without smoothing to ``side`` pixels (pixels stay crisp)."""
    from PySide6.QtCore import Qt

    pm = QPixmap.fromImage(to_qimage(image))
    if side:
        pm = pm.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
    return pm


def png_data_uri(image: np.ndarray, side: int = 96) -> str:
    """A ``data:`` URI of the image as PNG, for rich-text tooltips."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    to_pixmap(image, side).save(buf, "PNG")
    return "data:image/png;base64," + bytes(data.toBase64()).decode()
