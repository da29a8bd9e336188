"""The frame schedule of an animated walk: which latent each frame shows, in what order.

A walk passes through waypoints, ``frames_per_segment`` frames from each to
the next (every waypoint is itself a frame), optionally back to the first
(a loop). The play order then holds each waypoint for a few extra frames and,
for ping-pong, runs back to the start.

*Even pacing.* Equal steps in latent space do not give equal steps in the
picture: a decoder is flat in some places and steep in others, so a walk at
constant speed in latent space lingers on one face and then jumps to the
next. :func:`even_times` reparameterises a segment by the cumulative pixel
distance along a densely decoded copy of it, so that consecutive frames
change by similar amounts. Per segment, so the waypoints stay exact frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.interpolation import METHODS, lerp, slerp

#: Dense samples per output frame when measuring a segment's pixel distance.
DENSITY = 4


@dataclass(frozen=True)
class WalkSpec:
    """How a walk is paced and played.

    Parameters
    ----------
    frames_per_segment : int
        Frames from one waypoint up to (not including) the next.
    method : str
        ``slerp`` or ``lerp``.
    keep_norm : bool
        Rescale every frame to the norm interpolated between its segment's
        ends (a diffusion model's x_T must stay on the prior's shell).
    closed : bool
        Loop: a last segment from the last waypoint back to the first.
    ping_pong : bool
        Play forwards, then backwards to the start.
    hold : int
        Extra frames each waypoint is shown for.
    even : bool
        Space frames by pixel distance (see :func:`even_times`).
    """

    frames_per_segment: int = 12
    method: str = "slerp"
    keep_norm: bool = False
    closed: bool = False
    ping_pong: bool = False
    hold: int = 0
    even: bool = False

    def check(self, waypoints: int) -> None:
        """Refuse a spec that cannot make a walk through ``waypoints`` points (ValueError)."""
        if self.method not in METHODS:
            raise ValueError(f"unknown interpolation {self.method!r} (use {' or '.join(METHODS)})")
        if self.frames_per_segment < 1:
            raise ValueError(f"frames per segment must be at least 1, got {self.frames_per_segment}")
        if self.hold < 0:
            raise ValueError(f"hold must be 0 or more frames, got {self.hold}")
        if waypoints < 2:
            raise ValueError(f"a walk needs at least two waypoints, got {waypoints}")


def segment_frames(a: np.ndarray, b: np.ndarray, t: np.ndarray, method: str, keep_norm: bool) -> np.ndarray:
    """Latents at parameters ``t`` (0 = ``a``, 1 = ``b``) on the segment from ``a`` to ``b``."""
    t = np.asarray(t, np.float64)
    frames = (slerp if method == "slerp" else lerp)(a, b, t)
    if keep_norm and len(t):
        na, nb = np.linalg.norm(np.ravel(a)), np.linalg.norm(np.ravel(b))
        target = (1 - t) * na + t * nb
        current = np.linalg.norm(frames.reshape(len(t), -1).astype(np.float64), axis=1)
        scale = np.where(current > 0, target / np.where(current > 0, current, 1), 1.0)
        frames = frames * scale.reshape((len(t),) + (1,) * (frames.ndim - 1))
    return frames.astype(np.float32)


def segments(waypoints: np.ndarray, closed: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (start, end) pairs a walk through ``waypoints`` passes along."""
    w = np.asarray(waypoints, np.float32)
    pairs = [(w[i], w[i + 1]) for i in range(len(w) - 1)]
    return pairs + [(w[-1], w[0])] if closed else pairs


def uniform_times(frames: int) -> np.ndarray:
    """``frames`` parameters 0, 1/frames, … evenly spaced in [0, 1)."""
    return np.arange(frames, dtype=np.float64) / frames


def walk_latents(waypoints: np.ndarray, spec: WalkSpec, times: list[np.ndarray] | None = None) -> np.ndarray:
    """Every distinct frame of the walk, first waypoint to last (or back to the first).

    ``times`` gives each segment's parameters in [0, 1) (default: uniform);
    an open walk ends with its last waypoint as a frame of its own.
    """
    w = np.asarray(waypoints, np.float32)
    spec.check(len(w))
    pairs = segments(w, spec.closed)
    times = times or [uniform_times(spec.frames_per_segment)] * len(pairs)
    parts = [segment_frames(a, b, t, spec.method, spec.keep_norm) for (a, b), t in zip(pairs, times)]
    if not spec.closed:
        parts.append(w[-1][None])
    return np.concatenate(parts).astype(np.float32)


def waypoint_frames(waypoints: int, spec: WalkSpec) -> np.ndarray:
    """Indices into :func:`walk_latents`'s frames that are waypoints."""
    return np.arange(waypoints) * spec.frames_per_segment


def dense_times(spec: WalkSpec, density: int = DENSITY) -> np.ndarray:
    """Parameters in [0, 1] at which to decode a segment to measure its pixel distance."""
    return np.linspace(0.0, 1.0, max(2, spec.frames_per_segment * density) + 1)


def dense_latents(waypoints: np.ndarray, spec: WalkSpec, density: int = DENSITY) -> np.ndarray:
    """Each segment sampled at :func:`dense_times`, segment after segment: (segments × samples, …)."""
    spec.check(len(waypoints))
    t = dense_times(spec, density)
    return np.concatenate([segment_frames(a, b, t, spec.method, spec.keep_norm)
                           for a, b in segments(waypoints, spec.closed)])


def even_times(images: np.ndarray, t: np.ndarray, frames: int) -> np.ndarray:
    """``frames`` parameters in [0, 1) that split one segment into equal pixel distances.

    Parameters
    ----------
    images : ndarray
        The segment decoded at the parameters ``t`` (increasing, 0 … 1).
    t : ndarray
        Where ``images`` were decoded.
    frames : int
        How many frames the segment gets (its end is the next segment's first).

    Returns
    -------
    ndarray
        Parameters whose cumulative pixel distance from the start is
        0, D/frames, 2·D/frames, … where D is the segment's total; a segment
        whose images do not change keeps uniform parameters.
    """
    x = np.asarray(images, np.float32).reshape(len(images), -1)
    # Mean absolute difference: a distance in grey levels per pixel, whatever the image size.
    steps = np.abs(np.diff(x, axis=0)).mean(axis=1)
    distance = np.concatenate([[0.0], np.cumsum(steps)])
    if distance[-1] <= 0:
        return uniform_times(frames)
    wanted = np.arange(frames) * (distance[-1] / frames)
    # Piecewise-linear inverse of the (non-decreasing) distance along the segment.
    return np.interp(wanted, distance, np.asarray(t, np.float64))


def even_segment_times(dense_images: np.ndarray, spec: WalkSpec, density: int = DENSITY) -> list[np.ndarray]:
    """:func:`even_times` for every segment, from the images of :func:`dense_latents`."""
    t = dense_times(spec, density)
    per = len(t)
    if len(dense_images) % per:
        raise ValueError(f"{len(dense_images)} dense images do not split into segments of {per}")
    return [even_times(dense_images[i:i + per], t, spec.frames_per_segment)
            for i in range(0, len(dense_images), per)]


def play_order(frames: int, waypoint_index: np.ndarray, spec: WalkSpec) -> np.ndarray:
    """The index of the distinct frame shown at each tick of the animation.

    Forwards through ``frames``; for ping-pong, back again without repeating
    either end (so a looping player does not stutter); every waypoint frame
    is shown ``1 + hold`` times.
    """
    order = list(range(frames))
    if spec.ping_pong:
        order += list(range(frames - 2, 0, -1))
    if not spec.hold:
        return np.asarray(order, np.intp)
    stops = set(int(i) for i in waypoint_index)
    held = []
    for i in order:
        held.extend([i] * (1 + spec.hold if i in stops else 1))
    return np.asarray(held, np.intp)


def frame_count(waypoints: int, spec: WalkSpec) -> int:
    """How many frames the animation of a walk through ``waypoints`` points has."""
    n = waypoints * spec.frames_per_segment if spec.closed else (waypoints - 1) * spec.frames_per_segment + 1
    return len(play_order(n, waypoint_frames(waypoints, spec), spec))
