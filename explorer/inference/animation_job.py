"""Render an animated walk with a model: pace it, decode every frame for keeps, write the file.

Shared by the window's worker (a :class:`~explorer.inference.requests.RenderAnimation`
request) and ``latent-explorer walk``, so both write the same bytes for the
same walk. Torch is imported by the model, not here; no Qt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from explorer.core.animation_writer import OutputSpec, animation_format, write_animation
from explorer.core.walk_pacing import (WalkSpec, dense_latents, even_segment_times, play_order, walk_latents,
                                       waypoint_frames)

Progress = Callable[[int, int], None]
#: Progress is reported in thousandths of the whole job, over its phases.
_SCALE = 1000


def render_walk(model, waypoints: np.ndarray, walk: WalkSpec, output: OutputSpec, out: str, title: str = "",
                caption: bool = False, progress: Progress | None = None) -> dict:
    """Decode a walk through ``waypoints`` with ``model`` and write it to ``out``.

    Parameters
    ----------
    model : LatentModel
        Decodes through :func:`models.reproducible.decode_for_keeps`.
    waypoints : ndarray
        (n, *latent_shape) or flattened (n, d).
    walk, output : WalkSpec, OutputSpec
        Pacing and play order; file format options.
    out : str
        ``….mp4``, ``….gif`` or a folder.
    title : str
        Caption text before the frame number (model, waypoints or expression).
    caption : bool
        Draw ``title · frame i/n`` on every frame.
    progress : callable, optional
        ``progress(done, total)``; raising from it cancels (nothing is written).

    Returns
    -------
    dict
        :func:`~explorer.core.animation_writer.write_animation`'s summary plus
        ``distinct_frames`` and ``waypoints``.
    """
    from models.reproducible import decode_for_keeps

    animation_format(out)  # a bad suffix is refused before minutes of decoding
    shape = tuple(model.latent_shape)
    w = np.asarray(waypoints, np.float32).reshape((len(waypoints),) + shape)
    walk.check(len(w))
    phases = _Phases(progress, [2.0 if walk.even else 0.0, 1.0, 1.0])
    times = None
    if walk.even:
        dense = dense_latents(w, walk)
        images = decode_for_keeps(model, dense, phases.report(0))
        times = even_segment_times(images, walk)
    latents = walk_latents(w, walk, times)
    images = decode_for_keeps(model, latents, phases.report(1))
    order = play_order(len(latents), waypoint_frames(len(w), walk), walk)
    captions = None
    if caption:
        head = f"{title} · " if title else ""
        captions = [f"{head}frame {i + 1}/{len(latents)}" for i in order]
    summary = write_animation(out, images[order], output, captions, phases.report(2))
    return {**summary, "distinct_frames": int(len(latents)), "waypoints": int(len(w))}


class _Phases:
    """One progress bar over consecutive phases of different weights."""

    def __init__(self, progress: Progress | None, weights: list[float]):
        self.progress = progress
        total = sum(weights)
        self.starts = np.cumsum([0.0] + weights[:-1]) / total
        self.widths = np.asarray(weights) / total

    def report(self, phase: int) -> Progress | None:
        if self.progress is None:
            return None
        start, width = float(self.starts[phase]), float(self.widths[phase])

        def report(done: int, total: int) -> None:
            fraction = start + width * (done / total if total else 1.0)
            self.progress(min(_SCALE, int(round(fraction * _SCALE))), _SCALE)
        return report


def render_animation(model, request, progress: Progress | None = None) -> dict:
    """Serve a :class:`~explorer.inference.requests.RenderAnimation` request."""
    return render_walk(model, request.waypoints, request.walk, request.output, request.out, request.title,
                       request.caption, progress)
