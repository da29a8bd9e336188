"""The gallery's item model: bank points as thumbnails, decoded lazily in batches.

A ``QListView`` asks only for the rows it shows, so 100,000 items cost what
a screenful costs. Thumbnails come from the bank when it kept them; otherwise
the rows asked for are gathered for a moment and decoded by the inference
worker in one batch (only the newest batch counts while scrolling), and kept
in a bounded cache.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QPixmap

from explorer.ui.images import to_pixmap

ICON = 72  # pixels a side in the grid
CACHE = 4096  # decoded thumbnails kept
BATCH = 256


class GalleryModel(QAbstractListModel):
    """Rows are bank indices (``set_rows``); decoration is the thumbnail, tooltip the tags."""

    def __init__(self, session, client, parent=None):
        super().__init__(parent)
        self.session, self.client = session, client
        self.rows = np.zeros(0, np.intp)
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._wanted: set[int] = set()
        self._asked: set[int] = set()
        self._placeholder = QPixmap(ICON, ICON)
        self._placeholder.fill(Qt.GlobalColor.darkGray)
        self._batch_timer = QTimer(self)
        self._batch_timer.setSingleShot(True)
        self._batch_timer.setInterval(30)  # gather what one scroll step shows
        self._batch_timer.timeout.connect(self._decode_wanted)
        session.events.bank.connect(self._forget)
        session.events.tags.connect(self._tags_changed)

    # -- rows ---------------------------------------------------------------------------
    def set_rows(self, indices: np.ndarray) -> None:
        self.beginResetModel()
        self.rows = np.asarray(indices, np.intp)
        self.endResetModel()

    def row_of(self, bank_index: int) -> int:
        """The row showing bank point ``bank_index``, or -1."""
        hit = np.flatnonzero(self.rows == bank_index)
        return int(hit[0]) if len(hit) else -1

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        i = int(self.rows[index.row()])
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap(i)
        if role == Qt.ItemDataRole.DisplayRole:
            tags = self.session.tags.of(i) if i < self.session.tags.n else []
            return f"#{i}" + (f" · {', '.join(tags)}" if tags else "")
        if role == Qt.ItemDataRole.UserRole:
            return i
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(ICON + 16, ICON + 22)
        return None

    # -- thumbnails -----------------------------------------------------------------------
    def pixmap(self, i: int) -> QPixmap:
        pm = self._pixmaps.get(i)
        if pm is not None:
            self._pixmaps.move_to_end(i)
            return pm
        bank = self.session.bank
        if bank is not None and bank.thumbnails is not None:
            return self._keep(i, to_pixmap(np.asarray(bank.thumbnails[i]), ICON))
        if i not in self._asked:
            self._wanted.add(i)
            self._batch_timer.start()
        return self._placeholder

    def _keep(self, i: int, pm: QPixmap) -> QPixmap:
        self._pixmaps[i] = pm
        while len(self._pixmaps) > CACHE:
            self._pixmaps.popitem(last=False)
        return pm

    def _decode_wanted(self) -> None:
        bank = self.session.bank
        if bank is None or not self._wanted:
            return
        batch = np.array(sorted(self._wanted)[:BATCH], np.intp)
        self._wanted.difference_update(batch.tolist())
        self._asked.update(batch.tolist())
        self.client.decode(np.asarray(bank.latents[batch]), "gallery", tag=(bank, batch), owner=self)
        if self._wanted:
            self._batch_timer.start()

    def on_response(self, request, images) -> None:
        bank, batch = request.tag
        self._asked.difference_update(batch.tolist())
        if bank is not self.session.bank:
            return
        for i, image in zip(batch.tolist(), images):
            self._keep(i, to_pixmap(image, ICON))
        self._changed_rows(batch)

    def on_failed(self, request, message: str) -> None:
        self._asked.difference_update(request.tag[1].tolist())

    def on_cancelled(self, request) -> None:
        self.on_failed(request, "")

    def _changed_rows(self, bank_indices: np.ndarray) -> None:
        rows = np.flatnonzero(np.isin(self.rows, bank_indices))
        if len(rows):
            self.dataChanged.emit(self.index(int(rows.min())), self.index(int(rows.max())))

    def _forget(self) -> None:
        self._pixmaps.clear()
        self._wanted.clear()
        self._asked.clear()
        self.set_rows(np.zeros(0, np.intp))

    def _tags_changed(self) -> None:
        if len(self.rows):
            self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1), [Qt.ItemDataRole.DisplayRole])
