"""Model ▸ Compare checkpoints…: two or more checkpoints of one family (training
epochs, a model and its truncated self) decode the same seeds side by side,
each with quick figures, in the worker with progress and Cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from explorer.inference.requests import CompareCheckpoints
from explorer.ui.compare_dialog import CompareDialog

CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.pt *.pth *.ckpt);;All files (*)"


class CompareController(QObject):
    """Owns the Compare dialog and CompareCheckpoints requests."""

    compared = Signal(object)  # the worker's answer: {"rows", "seed", "indices"}

    def __init__(self, ctx):
        super().__init__(ctx.window)
        self.ctx = ctx
        self.dialog: CompareDialog | None = None
        self.request = None
        self.result: dict | None = None

    def choose(self) -> None:
        """Open the (non-modal) dialog with the open model listed first."""
        if self.ctx.session.bank is None or not self.ctx.session.model_path:
            self.ctx.message_bar.show_error("Compare checkpoints: open a model first")
            return
        if self.dialog is None:
            self.dialog = CompareDialog(self.ctx.window)
            self.dialog.addRequested.connect(self._choose_files)
            self.dialog.add_truncated.clicked.connect(self._add_truncated)
            self.dialog.compareRequested.connect(self._compare_listed)
            self.dialog.cancelRequested.connect(self.cancel)
        if not self.dialog.entries:
            self.dialog.add_entry(self.ctx.session.model_path)
        self.dialog.show()
        self.dialog.raise_()

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.ctx.window, "Checkpoints to compare",
                                                self.ctx.settings.last_folder(), CHECKPOINT_FILTER)
        for path in paths:
            self.dialog.add_entry(path)
        if paths:
            self.ctx.settings.set_last_folder(str(Path(paths[-1]).parent))

    def _add_truncated(self) -> None:
        self.dialog.add_entry(self.ctx.session.model_path, self.dialog.truncation.value())

    def _compare_listed(self) -> None:
        d = self.dialog
        self.compare(d.entries, d.count.value(), d.seed.value(), d.figures_n.value())

    def compare(self, entries, count: int = 8, seed: int = 0, figures_n: int = 0):
        """Decode ``count`` seeds with each ``(path, truncate)`` of ``entries``; returns the
        request (None when refused: fewer than two entries, no model open)."""
        if self.ctx.session.bank is None:
            self.ctx.message_bar.show_error("Compare checkpoints: open a model first")
            return None
        entries = tuple((str(p), float(t)) for p, t in entries)
        if len(entries) < 2:
            self.ctx.message_bar.show_error("Compare checkpoints: choose at least two (the open model and another, "
                                            "or the open model at a truncation)")
            return None
        if self.request is not None:
            self.cancel()
        req = self.ctx.client.submit(CompareCheckpoints(entries, seed, 0, count, figures_n), owner=self)
        self.request = req
        figures = f", figures on {figures_n} samples each" if figures_n else ""
        self.ctx.jobs.begin(req, f"Comparing {len(entries)} checkpoints on {count} seeds{figures}…", self.cancel)
        if self.dialog is not None:
            self.dialog.set_running(True)
            self.dialog.status.setText(f"Comparing {len(entries)} checkpoints…")
        return req

    def cancel(self) -> None:
        """Stop the comparison that is running."""
        if self.request is not None:
            self.ctx.client.cancel(self.request)

    # -- the worker's answers -------------------------------------------------------------
    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)
        if self.dialog is not None and request is self.request:
            self.dialog.set_progress(done, total)

    def _finish(self, request, message: str, error: bool = False) -> bool:
        self.ctx.jobs.end(request, "" if error else message)
        if request is not self.request:
            return False
        self.request = None
        if self.dialog is not None:
            self.dialog.set_running(False)
            self.dialog.status.setText(message)
        return True

    def on_response(self, request, payload: dict) -> None:
        n = len(payload["rows"])
        if self._finish(request, f"Compared {n} checkpoints on {len(payload['indices'])} seeds"):
            self.result = payload
            if self.dialog is not None:
                self.dialog.show_rows(payload["rows"], payload["seed"], payload["indices"])
            self.compared.emit(payload)

    def on_failed(self, request, message: str) -> None:
        if self._finish(request, f"Not compared: {message}", error=True):
            self.ctx.message_bar.show_error(f"Compare checkpoints: {message}")

    def on_cancelled(self, request) -> None:
        self._finish(request, "Comparison cancelled")
