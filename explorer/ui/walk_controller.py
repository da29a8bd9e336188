"""Walks: waypoints (undoable), the interpolated path over the scatter, its
filmstrip, and the scrub slider with the preview following."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer
from superqt.utils import qthrottled

from explorer.core.interpolation import keeps_norm, path as interpolation_path
from explorer.core.preview import latent_preview
from explorer.ui.walk_panel import WalkPanel

PATH_STYLE = dict(symbol="o", size=5, colour=(86, 180, 233), line=True)
WAYPOINT_STYLE = dict(symbol="s", size=12, colour=None, filled=False)  # None: the plot's foreground
CURSOR_STYLE = dict(symbol="o", size=14, colour=None, filled=False)  # None: the plot's foreground
PLAY_FPS = 12.0
#: A VQ-VAE's walk, said in the Walk tab and beside every frame (when its model gives no note of its own).
VQ_WALK_NOTE = "interpolated in the continuous map and re-quantised to the nearest codes"


class WalkController(QObject):
    """Owns the walk's decode requests (the whole path, then one frame per slider move)."""

    def __init__(self, ctx, panel: WalkPanel, select_point):
        super().__init__(ctx.window)
        self.ctx, self.panel, self._select_point = ctx, panel, select_point
        self.frames: np.ndarray | None = None
        self._current_at_walk = None  # what the preview showed when the path was sent
        self.images: np.ndarray | None = None  # the decoded path, shown while playing
        self.method = "slerp"
        s = ctx.session
        s.events.bank.connect(self._on_bank)
        s.events.waypoints.connect(self._show_waypoints)
        ctx.scatter.shiftClicked.connect(self.add_point)
        panel.addRequested.connect(self.add_waypoint)
        panel.clearRequested.connect(self.clear_waypoints)
        panel.walkRequested.connect(self.walk_path)
        panel.frameChanged.connect(self._on_frame)
        panel.playToggled.connect(lambda on: self.play() if on else self.stop())
        self._player = QTimer(self)
        self._play_when_decoded = False  # play() came before the path's images
        self._player.timeout.connect(self._next_frame)
        # Slider scrubbing: at most one decode request per 40 ms (the worker also drops superseded ones).
        self._throttled_frame = qthrottled(self._decode_frame, timeout=40, parent=self)

    def _on_bank(self) -> None:
        self.stop()
        self.frames = self.images = None
        self.panel.reset()
        self.panel.setEnabled(self.ctx.session.bank is not None)
        info = self.ctx.models.info
        self.panel.set_default_method(info.walk if info else "slerp")
        note = walk_note(info)
        self.panel.set_family_note(f"This model's walk frames are {note}." if note else "")

    def add_point(self, index: int) -> None:
        """Shift+click: show bank point ``index`` and add it as a waypoint."""
        self._select_point(index)
        self.add_waypoint()

    def add_waypoint(self) -> None:
        s = self.ctx.session
        if s.current is None:
            self.ctx.message_bar.show_error("Select a point (or evaluate an expression) first, then add it as a waypoint")
            return
        s.edit(f"Add waypoint {s.current[0]}", lambda: s.waypoints.append(s.current))

    def clear_waypoints(self) -> None:
        s = self.ctx.session
        if s.waypoints:
            s.edit("Clear waypoints", lambda: setattr(s, "waypoints", []))

    def _show_waypoints(self) -> None:
        s = self.ctx.session
        self.panel.set_waypoints([label for label, _ in s.waypoints])
        self.ctx.overlays.set("waypoints", np.stack([z for _, z in s.waypoints]) if s.waypoints else None,
                              **WAYPOINT_STYLE)
        if len(s.waypoints) < 2 and self.frames is not None:
            self.stop()
            self.frames = self.images = None
            self.ctx.overlays.set("path", None)
            self.ctx.overlays.set("cursor", None)
            self.panel.reset_path()

    def walk_path(self, method: str, steps: int) -> None:
        """Interpolate through the waypoints, draw the path, decode every frame."""
        s = self.ctx.session
        if len(s.waypoints) < 2 or s.bank is None:
            self.ctx.message_bar.show_error("A walk needs at least two waypoints (Shift+click points to add them)")
            return
        info = self.ctx.models.info
        # A diffusion model's x_T must keep its norm to stay on the prior's shell.
        keep_norm = keeps_norm(info.family if info is not None else None)
        frames = interpolation_path(np.stack([z for _, z in s.waypoints]), steps, method, keep_norm)
        self.stop()
        self.frames, self.method, self.images = frames.reshape(len(frames), -1), method, None
        self.ctx.overlays.set("path", self.frames, **PATH_STYLE)
        self.panel.start_path(len(frames))
        self._current_at_walk = s.current
        self.ctx.client.decode(self.frames, "path", owner=self)

    def _frame_state(self, i: int):
        n = len(self.frames)
        rows = (("interpolation", self.method), ("waypoints", str(len(self.ctx.session.waypoints))))
        note = walk_note(self.ctx.models.info)
        return latent_preview(f"Walk frame {i + 1} of {n}", self.frames[i], rows + ((("frames", note),) if note else ()))

    def on_response(self, request, images) -> None:
        if request.purpose == "path":
            if self.frames is None or len(images) != len(self.frames):
                return  # a path from before the bank changed
            self.images = images
            self.panel.show_frames(images)
            if self._play_when_decoded:
                self._play_when_decoded = False
                self._player.start()
            elif self.ctx.session.current is not self._current_at_walk:
                return  # another point was shown while the path decoded: it keeps the preview
            i = self.panel.slider.value()
            self.ctx.session.set_current(f"frame {i + 1}", self.frames[i])
            self.ctx.preview.show_state(self._frame_state(i).with_image(images[i]))
        elif self.frames is not None and request.tag < len(self.frames):
            self.ctx.preview.show_state(self._frame_state(request.tag).with_image(images[0]))

    def on_failed(self, request, message: str) -> None:
        self.ctx.message_bar.show_error(message)

    def _on_frame(self, i: int) -> None:
        if self.frames is not None and 0 <= i < len(self.frames):
            self.ctx.session.set_current(f"frame {i + 1}", self.frames[i])
            self.ctx.overlays.set("cursor", self.frames[i:i + 1], **CURSOR_STYLE)
            if self.is_playing() and self.images is not None:  # already decoded: no request per tick
                self.ctx.preview.show_state(self._frame_state(i).with_image(self.images[i]))
            else:
                self._throttled_frame(i)

    # -- playing -------------------------------------------------------------------------
    def play(self, fps: float = PLAY_FPS) -> bool:
        """Move the slider through the walk, frame after frame, round and round.

        With waypoints but no walk yet, it walks first (the panel's interpolation
        and frames) and plays once the frames are decoded. Returns False, and
        does nothing, when there are fewer than two waypoints.
        """
        s = self.ctx.session
        if self.frames is None and len(s.waypoints) >= 2 and s.bank is not None:
            self.walk_path(self.panel.method.currentText(), self.panel.steps.value())
        if self.frames is None or len(self.frames) < 2:
            self.panel.set_playing(False)
            return False
        self._player.setInterval(max(1, int(round(1000.0 / fps))))
        if self.images is None:
            self._play_when_decoded = True
        else:
            self._player.start()
        self.panel.set_playing(True)
        return True

    def stop(self) -> None:
        """Stop playing; the slider stays on the frame shown."""
        self._player.stop()
        self._play_when_decoded = False
        self.panel.set_playing(False)

    def is_playing(self) -> bool:
        """Whether :meth:`play` is moving the slider (or will, once the walk is decoded)."""
        return self._player.isActive() or self._play_when_decoded

    def _next_frame(self) -> None:
        if self.images is None or self.frames is None:
            self.stop()
            return
        slider = self.panel.slider
        slider.setValue((slider.value() + 1) % (slider.maximum() + 1))

    def _decode_frame(self, i: int) -> None:
        if self.frames is not None and i < len(self.frames):
            self.ctx.client.decode(self.frames[i:i + 1], "slider", tag=i, owner=self)


def walk_note(info) -> str:
    """What a model's walk frames are, where they are not what the interpolation alone says
    (a VQ-VAE's: interpolated in its continuous map, then re-quantised); "" for the others."""
    if info is None or info.family != "vqvae":
        return ""
    return VQ_WALK_NOTE
