"""Export… and Open export folder…: a selection or a tag leaves as a dataset
folder (written by the worker, atomically, with progress and Cancel), and an
export folder comes back as a bank with its tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QLineEdit, QSpinBox

from explorer.ui.dialog_parts import accept_buttons, path_row
from explorer.core.export_bank import SPLITS, items_from_bank, open_export
from explorer.core.export_folder import ExportError
from explorer.core.file_hash import file_sha256, model_problem
from explorer.core.session_document import SessionDocument
from explorer.core.tags import to_document

EVERYTHING, SELECTION, TAG = "everything", "the selection", "tag: "


class ExportDialog(QDialog):
    """What to export, how to split it into class folders, the image scale, where."""

    def __init__(self, parent, choices: list[str], folder: str):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.what = QComboBox()
        self.what.addItems(choices)
        self.split = QComboBox()
        self.split.addItems(SPLITS)
        self.split.setToolTip("Class sub-folders (torchvision ImageFolder's classes): a point's first tag, "
                              "its label, or one folder for all")
        self.scale = QSpinBox()
        self.scale.setRange(1, 16)
        self.scale.setToolTip("Enlarge every image by this whole factor")
        self.smooth = QCheckBox("Smooth enlargement (else crisp pixels)")
        self.folder = QLineEdit(folder)
        where = path_row(self.folder, self._choose)
        buttons = accept_buttons(self, "Export")
        form = QFormLayout(self)
        form.addRow("Export", self.what)
        form.addRow("Folders by", self.split)
        form.addRow("Scale", self.scale)
        form.addRow("", self.smooth)
        form.addRow("Into", where)
        form.addRow(buttons)

    def _choose(self) -> None:
        chosen = QFileDialog.getSaveFileName(self, "Export into a new folder", self.folder.text())[0]
        if chosen:
            self.folder.setText(chosen)


class ExportController(QObject):
    """Builds export requests from the session and brings export folders back."""

    def __init__(self, ctx, sessions):
        super().__init__(ctx.window)
        self.ctx, self.sessions = ctx, sessions
        self.dialog: ExportDialog | None = None

    def choices(self) -> list[str]:
        s = self.ctx.session
        have = [SELECTION] if s.selection is not None and s.selection.any() else []
        return have + [TAG + t for t, n in s.tags.counts().items() if n] + [EVERYTHING]

    def choose(self) -> None:
        """File ▸ Export…: ask what and where (non-modal), then export."""
        if self.ctx.session.bank is None:
            self.ctx.message_bar.show_error("Nothing to export yet: open a model first")
            return
        folder = str(Path(self.ctx.settings.last_folder()) / "export")
        self.dialog = ExportDialog(self.ctx.window, self.choices(), folder)
        self.dialog.accepted.connect(lambda d=self.dialog: self.export(
            d.what.currentText(), d.folder.text(), d.split.currentText(), d.scale.value(), d.smooth.isChecked()))
        self.dialog.open()

    def rows(self, what: str) -> np.ndarray:
        s = self.ctx.session
        if what == SELECTION:
            return np.flatnonzero(s.selection) if s.selection is not None else np.zeros(0, np.intp)
        if what.startswith(TAG):
            return np.flatnonzero(s.tags.mask(what[len(TAG):]))
        return np.arange(len(s.bank))

    def export(self, what: str, out: str, split_by: str = "tag", scale: int = 1, smooth: bool = False):
        """Export the points ``what`` names into the folder ``out``; returns the request (None if refused)."""
        from explorer.inference.requests import ExportFolder

        s = self.ctx.session
        rows = self.rows(what)
        if not len(rows):
            self.ctx.message_bar.show_error(f"Export: {what} holds no points")
            return None
        if not out.strip():
            self.ctx.message_bar.show_error("Export: choose a folder to export into")
            return None
        try:
            items = items_from_bank(s.bank, s.tags, rows, split_by, s.recipes)
            sha = file_sha256(s.model_path)
        except (ValueError, OSError) as exc:
            self.ctx.message_bar.show_error(f"Export: {exc}")
            return None
        req = self.ctx.client.submit(ExportFolder(out, tuple(items), s.model_path, sha, scale, smooth, split_by),
                                     owner=self)
        self.ctx.jobs.begin(req, f"Exporting {len(items):,} images to {out}…", lambda: self.ctx.client.cancel(req))
        return req

    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_response(self, request, summary: dict) -> None:
        self.ctx.settings.set_last_folder(str(Path(summary["out"]).parent))
        self.ctx.jobs.end(request, f"Exported {summary['count']:,} images to {summary['out']}")

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        self.ctx.message_bar.show_error(f"Export to {request.out} failed: {message}")

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, f"Export cancelled: nothing was left at {request.out}")

    # -- bringing an export back ----------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.ctx.window, "Open export folder", self.ctx.settings.last_folder())
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str) -> bool:
        """Show an export (or sample) folder's points as the bank, with their tags, latents bit-exact."""
        try:
            opened = open_export(folder)
        except (ExportError, OSError, ValueError) as exc:
            self.ctx.message_bar.show_error(f"Could not open the export folder {folder}: {exc}")
            return False
        c = opened.contents
        from models.loading import resolve_checkpoint

        # A sample folder may name a bundled model by its name (model_problem says what else is wrong).
        checkpoint = str(resolve_checkpoint(c.checkpoint or c.model_name))
        problem = model_problem(checkpoint, c.model_sha256)
        if problem:
            self.ctx.message_bar.show_error(f"Could not open the export folder {folder}: {problem}")
            return False
        sections, arrays = to_document(opened.tags)
        self.sessions.open_document(SessionDocument(model_path=checkpoint, model_sha256=c.model_sha256,
                                                    bank=opened.bank, sections=sections, arrays=arrays))
        return True
