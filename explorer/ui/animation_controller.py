"""Export animation…: a walk, a loop through its waypoints or a direction sweep, written as
MP4, GIF or PNG frames by the worker (decoded for keeps, atomically), with progress and Cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject

from explorer.core.animation_writer import OutputSpec, animation_format
from explorer.core.interpolation import keeps_norm
from explorer.core.walk_pacing import WalkSpec
from explorer.ui.animation_dialog import AnimationDialog

SOURCES = ("walk", "loop", "sweep")


class AnimationController(QObject):
    """Builds :class:`~explorer.inference.requests.RenderAnimation` requests from the session.

    Parameters
    ----------
    ctx : WindowContext
    walk_panel : WalkPanel
        Its *Export animation…* button opens the dialog; its interpolation is the default.
    arith : ArithmeticController
        Says where a direction sweep starts and ends (:meth:`direction_sweep`).
    """

    def __init__(self, ctx, walk_panel, arith):
        super().__init__(ctx.window)
        self.ctx, self.walk_panel, self.arith = ctx, walk_panel, arith
        self.dialog: AnimationDialog | None = None
        self.last_result: dict | None = None  # the summary of the last animation written
        walk_panel.exportRequested.connect(self.choose)

    def choose(self) -> None:
        """File ▸ Export animation…: ask what and where (non-modal), then export."""
        if self.ctx.session.bank is None:
            self.ctx.message_bar.show_error("Nothing to animate yet: open a model first")
            return
        out = str(Path(self.ctx.settings.last_folder()) / "walk.mp4")
        self.dialog = AnimationDialog(self.ctx.window, out, self.walk_panel.method.currentText())
        self.dialog.accepted.connect(lambda d=self.dialog: self.export(**d.options()))
        self.dialog.open()

    def export(self, out: str, source: str = "walk", *, method: str | None = None, fps: float = 24,
               frames_per_segment: int = 24, width: int | None = 512, smooth: bool = False, ping_pong: bool = False,
               hold: int = 0, even: bool = False, caption: bool = False, amount: float = 3.0):
        """Render ``source`` (``walk``, ``loop`` or ``sweep``) to ``out`` (.mp4, .gif or a folder).

        Returns the request sent to the worker, or None when refused (the message bar says why).
        """
        from explorer.inference.requests import RenderAnimation

        info = self.ctx.models.info
        try:
            if not out.strip():
                raise ValueError("choose where to save the animation")
            animation_format(out)
            waypoints, walk, what = self._walk(source, method, frames_per_segment, ping_pong, hold, even, amount)
            if waypoints is None:
                return None
            walk.check(len(waypoints))
        except ValueError as exc:
            self.ctx.message_bar.show_error(f"Export animation: {exc}")
            return None
        output = OutputSpec(fps=float(fps), size=width, smooth=smooth)
        title = f"{info.name} · {what}" if info else what
        req = self.ctx.client.submit(RenderAnimation(out, waypoints, walk, output, title, caption), owner=self)
        self.ctx.jobs.begin(req, f"Rendering the animation {out}…", lambda: self.ctx.client.cancel(req))
        return req

    def _walk(self, source: str, method, frames_per_segment, ping_pong, hold, even, amount):
        """(waypoints, WalkSpec, words for the caption) of ``source``; waypoints None if refused."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r} (use {', '.join(SOURCES)})")
        info = self.ctx.models.info
        spec = dict(frames_per_segment=frames_per_segment, ping_pong=ping_pong, hold=hold, even=even)
        if source == "sweep":
            sweep = self.arith.direction_sweep(amount)
            if sweep is None:
                return None, WalkSpec(**spec), ""
            start, end, what = sweep
            # A straight line, as the Direction slider moves: no slerp, no norm kept.
            return np.stack([start, end]), WalkSpec(method="lerp", **spec), what
        s = self.ctx.session
        if len(s.waypoints) < 2:
            raise ValueError("a walk needs at least two waypoints (Shift+click points to add them)")
        labels = [str(label) for label, _ in s.waypoints]
        method = method or self.walk_panel.method.currentText()
        # A diffusion model's x_T must keep its norm to stay on the prior's shell (as the Walk tab does).
        keep_norm = keeps_norm(info.family if info is not None else None)
        walk = WalkSpec(method=method, keep_norm=keep_norm, closed=source == "loop", **spec)
        what = " → ".join(labels + ([labels[0]] if source == "loop" else []))
        return np.stack([np.ravel(z) for _, z in s.waypoints]), walk, f"{what} · {method}"

    # -- answers from the worker ----------------------------------------------------------
    def on_progress(self, request, done: int, total: int) -> None:
        self.ctx.jobs.progress(request, done, total)

    def on_response(self, request, summary: dict) -> None:
        self.last_result = summary
        self.ctx.settings.set_last_folder(str(Path(summary["out"]).parent))
        w, h = summary["size"]
        self.ctx.jobs.end(request, f"Animation written to {summary['out']} ({summary['frames']} frames, {w}×{h}, "
                                   f"{summary['seconds']:g} s)")

    def on_failed(self, request, message: str) -> None:
        self.ctx.jobs.end(request)
        self.ctx.message_bar.show_error(f"Could not write the animation {request.out}: {message}")

    def on_cancelled(self, request) -> None:
        self.ctx.jobs.end(request, f"Animation cancelled: nothing was written to {request.out}")
