"""Model ▸ Evaluate…: measure the open model's samples against real images in the
worker (progress and Cancel in the status bar) and show the report in the
Evaluate tab."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget

from explorer.ui.evaluate_panel import EvaluatePanel


class EvaluateController(QObject):
    """Runs one evaluation at a time (a new one cancels the last) and keeps its report."""

    def __init__(self, ctx, panel: EvaluatePanel):
        super().__init__(ctx.window)
        self.ctx, self.panel = ctx, panel
        self.request = None
        self.report: dict | None = None
        panel.evaluateRequested.connect(self._on_requested)
        if ctx.models is not None:  # a report belongs to the model it measured
            ctx.models.modelOpened.connect(self._on_model_opened)

    def show_panel(self) -> None:
        """Model ▸ Evaluate…: bring the Evaluate tab forward, its Evaluate button focused."""
        widget = self.panel.parentWidget()
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        if widget is not None:
            widget.show()
            widget.raise_()
        self.panel.run_button.setFocus()

    def _on_requested(self, n: int, truncate: float, seed: int) -> None:
        self.evaluate(n, truncate or None, seed)

    def evaluate(self, n: int = 1000, truncate: float | None = None, seed: int = 0, features: str = "classifier"):
        """Evaluate ``n`` samples of the open model (latents × ``truncate`` when given); returns the request."""
        from explorer.inference.requests import EvaluateModel

        info = self.ctx.models.info if self.ctx.models is not None else None
        if info is None:
            self.ctx.message_bar.show_error("Evaluate: open a model first")
            return None
        if self.request is not None:  # the newer run replaces it; its answer would be dropped anyway
            self.ctx.client.cancel(self.request)
        req = self.ctx.client.submit(EvaluateModel(n, truncate, seed, features), owner=self)
        self.request = req
        shrunk = "" if truncate is None else f", truncated to S = {truncate:g}"
        self.ctx.jobs.begin(req, f"Evaluating {n:,} samples of {info.name}{shrunk}…",
                            lambda: self.ctx.client.cancel(req))
        return req

    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_response(self, request, report: dict) -> None:
        self._finish(request)
        self.report = report
        self.panel.show_report(report)
        verdict = "mode collapse" if report["collapse"] else "no sign of mode collapse"
        self.ctx.jobs.end(request, f"Evaluated {report['n_generated']:,} samples: {verdict}")

    def on_failed(self, request, message: str) -> None:
        self._finish(request)
        self.ctx.jobs.end(request)
        self.ctx.message_bar.show_error(f"Evaluate: {message}")

    def on_cancelled(self, request) -> None:
        self._finish(request)
        self.ctx.jobs.end(request, "Evaluation cancelled")

    def _finish(self, request) -> None:
        if request is self.request:
            self.request = None

    def _on_model_opened(self, _info) -> None:
        if self.request is not None:
            self.ctx.client.cancel(self.request)
        self.report = None
        self.panel.show_report(None)
