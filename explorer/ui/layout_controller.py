"""Layouts and colouring: PCA at once, t-SNE/UMAP in a background process,
attribute axes from named vectors; each choice is an undoable edit."""

from __future__ import annotations

from PySide6.QtCore import QObject

from explorer.core.session import AXES
from explorer.ui.layout_bar import LayoutBar


class LayoutController(QObject):
    """Glue between the :class:`LayoutBar`, the session and the projection job."""

    def __init__(self, ctx, bar: LayoutBar):
        super().__init__(ctx.window)
        self.ctx, self.bar = ctx, bar
        self.projection_job = None
        s = ctx.session
        s.events.bank.connect(self._on_bank)
        s.events.layout.connect(self._on_layout)
        s.events.colour.connect(lambda: bar.show_colour(s.colour_field))
        s.events.vectors.connect(self._on_vectors)
        bar.methodChosen.connect(self.set_layout)
        bar.axesChosen.connect(self._on_axes)
        bar.colourChosen.connect(self._on_colour)

    # -- session → bar ---------------------------------------------------------
    def _on_bank(self) -> None:
        self.cancel_job()
        s = self.ctx.session
        self.bar.setEnabled(s.bank is not None)
        self.bar.set_colour_fields(s.colour_fields(), s.colour_field)
        self._on_vectors()
        self._on_layout()

    def _on_layout(self) -> None:
        s = self.ctx.session
        self.bar.show_method(s.layout_kind(), s.layout_axes)
        if s.bank is None:
            self.bar.count_label.setText("")
            return
        x, y, title = s.layout_title()
        from explorer.core.projection import subsample_note

        # A t-SNE/UMAP of a large bank ran on a subsample: say so, or its layout is taken for the whole truth.
        note = subsample_note(s.layout_method, len(s.bank) - len(s.bank.user_files))
        title = f"{title} · {note}" if note else title
        self.ctx.scatter.set_axis_labels(x, y)
        mine = len(s.bank.user_files)
        text = f"{len(s.bank):,} points · {s.bank.source}" + (f" + {mine} of yours" if mine else "") + f" · {title}"
        self.bar.count_label.setText(text)
        self.bar.count_label.setToolTip(text)  # the bar may be too narrow for all of it

    def _on_vectors(self) -> None:
        self.bar.set_axis_names(self.ctx.session.vectors.names())

    # -- bar → session ---------------------------------------------------------
    def _on_colour(self, field: str) -> None:
        s = self.ctx.session
        if s.bank is not None and field != s.colour_field:
            s.edit(f"Colour by {field or 'nothing'}", lambda: s.set_colour_field(field))

    def _on_axes(self, x: str, y: str) -> None:
        if self.bar.layout_combo.currentText() == AXES:
            self._apply_axes(x, y)

    def set_layout(self, method: str) -> None:
        """PCA now; t-SNE/UMAP from the cache or a background process; attribute axes."""
        s = self.ctx.session
        if s.bank is None:
            return
        self.cancel_job()
        self.ctx.tip.hide_tip()
        if method == AXES:
            self.bar.show_axes(True)
            self._apply_axes(self.bar.axis_x.currentText(), self.bar.axis_y.currentText())
        elif method == "PCA" or s.cached_embedding(method) is not None:
            s.edit(f"Layout {method}", lambda: s.apply_layout(method))
        else:
            from explorer.inference import layout_cache

            coords = layout_cache.load(s.bank.latents, method)  # computed in an earlier run
            if coords is None:
                self._start_job(method)
            else:
                s.edit(f"Layout {method}", lambda: s.use_embedding(method, coords))

    def _apply_axes(self, x: str, y: str) -> None:
        s = self.ctx.session
        try:
            s.edit(f"Layout {x} × {y}", lambda: s.use_attribute_axes(x, y))
        except ValueError as exc:
            self.ctx.message_bar.show_error(str(exc))
            self.bar.show_method(s.layout_kind(), s.layout_axes)

    # -- background embeddings -------------------------------------------------
    def _start_job(self, method: str) -> None:
        from explorer.inference.projection_job import ProjectionJob

        from explorer.core.projection import subsample_note

        bank = self.ctx.session.bank
        job = ProjectionJob(method, bank.latents, 0, self)
        job.finished.connect(self._on_job_done)
        job.failed.connect(self._on_job_failed)
        job.cancelled.connect(self._on_job_cancelled)
        job.tick.connect(self._on_tick)
        self.projection_job = job
        note = subsample_note(method, len(bank))
        self.ctx.jobs.begin(job, f"Computing {note or method}…", self.cancel_job)
        job.start()

    def cancel_job(self) -> None:
        if self.projection_job is not None and self.projection_job.is_running():
            self.projection_job.cancel()

    def _on_tick(self, seconds: float) -> None:
        self.ctx.window.statusBar().showMessage(f"Computing {self.projection_job.method}… {seconds:.0f} s")

    def _on_job_done(self, coords) -> None:
        job, s = self.sender(), self.ctx.session
        self.ctx.jobs.end(job)
        if s.bank is not None and len(coords) == len(s.bank):
            from explorer.inference import layout_cache

            layout_cache.save(job.latents, job.method, coords)
            s.edit(f"Layout {job.method}", lambda: s.use_embedding(job.method, coords))

    def _on_job_failed(self, message: str) -> None:
        self.ctx.jobs.end(self.sender())
        self.ctx.message_bar.show_error(message)
        self._on_layout()

    def _on_job_cancelled(self) -> None:
        self.ctx.jobs.end(self.sender(), "Cancelled")
        self._on_layout()  # the bar shows the layout that is still on screen
