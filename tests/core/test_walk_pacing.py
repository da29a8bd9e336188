"""The frame schedule of an animated walk: counts, waypoints, holds, loops, ping-pong, even pacing."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.walk_pacing import (WalkSpec, dense_latents, even_segment_times, frame_count, play_order,
                                       walk_latents, waypoint_frames)

RNG = np.random.default_rng(0)
WAYPOINTS = RNG.standard_normal((3, 16)).astype(np.float32)


def test_an_open_walk_passes_through_every_waypoint_and_ends_on_the_last():
    spec = WalkSpec(frames_per_segment=5)
    frames = walk_latents(WAYPOINTS, spec)
    assert frames.shape == (11, 16)
    for i, j in enumerate(waypoint_frames(3, spec)):
        assert np.allclose(frames[j], WAYPOINTS[i], atol=1e-5)
    assert frame_count(3, spec) == 11


def test_a_loop_goes_back_towards_the_first_waypoint_without_repeating_it():
    spec = WalkSpec(frames_per_segment=5, closed=True)
    frames = walk_latents(WAYPOINTS, spec)
    assert frames.shape == (15, 16)  # the first frame again would stutter when the player loops
    assert np.allclose(frames[0], WAYPOINTS[0]) and np.allclose(frames[10], WAYPOINTS[2], atol=1e-5)
    # The last frame lies between the last waypoint and the first, one step short of it.
    assert np.linalg.norm(frames[-1] - WAYPOINTS[0]) < np.linalg.norm(frames[10] - WAYPOINTS[0])
    assert frame_count(3, spec) == 15


def test_ping_pong_runs_back_without_repeating_either_end():
    spec = WalkSpec(frames_per_segment=5, ping_pong=True)
    order = play_order(11, waypoint_frames(3, spec), spec)
    assert order.tolist() == list(range(11)) + list(range(9, 0, -1))
    assert frame_count(3, spec) == 20


def test_hold_shows_each_waypoint_for_extra_frames():
    spec = WalkSpec(frames_per_segment=5, hold=2)
    order = play_order(11, waypoint_frames(3, spec), spec).tolist()
    assert len(order) == 11 + 3 * 2 == frame_count(3, spec)
    assert order[:4] == [0, 0, 0, 1] and order.count(5) == 3 and order[-3:] == [10, 10, 10]
    both = WalkSpec(frames_per_segment=5, hold=1, ping_pong=True)
    # Waypoint 1 (frame 5) is passed twice, the ends once each.
    assert frame_count(3, both) == 20 + 1 + 2 + 1


def test_keep_norm_keeps_lerp_frames_on_the_shell():
    a, b = WAYPOINTS[0], WAYPOINTS[1]
    plain = walk_latents(np.stack([a, b]), WalkSpec(frames_per_segment=8, method="lerp"))
    kept = walk_latents(np.stack([a, b]), WalkSpec(frames_per_segment=8, method="lerp", keep_norm=True))
    t = np.arange(9) / 8
    target = (1 - t) * np.linalg.norm(a) + t * np.linalg.norm(b)
    assert np.allclose(np.linalg.norm(kept, axis=1), target, rtol=1e-5)
    assert np.linalg.norm(plain[4]) < 0.9 * target[4]  # lerp alone cuts inside the shell


@pytest.mark.parametrize("spec, n, match", [(WalkSpec(method="cubic"), 3, "interpolation"),
                                           (WalkSpec(frames_per_segment=0), 3, "at least 1"),
                                           (WalkSpec(hold=-1), 3, "hold"),
                                           (WalkSpec(), 1, "two waypoints")])
def test_a_walk_that_cannot_be_made_is_refused(spec, n, match):
    with pytest.raises(ValueError, match=match):
        walk_latents(WAYPOINTS[:n], spec)


def _decode(latents: np.ndarray) -> np.ndarray:
    """A decoder that is flat at the start and steep at the end: brightness = 255 · z⁴."""
    z = np.clip(latents[:, 0], 0, 1)
    return np.repeat((255 * z ** 4)[:, None, None, None], 8, 1).repeat(8, 2).repeat(3, 3)


def _steps(images: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(images.reshape(len(images), -1), axis=0)).mean(1)


def test_even_pacing_makes_consecutive_frames_change_by_similar_amounts():
    waypoints = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]], np.float32)  # up the steep curve and back down
    spec = WalkSpec(frames_per_segment=12, method="lerp")
    plain = _steps(_decode(walk_latents(waypoints, spec)))
    assert plain.max() > 20 * plain.min()  # constant speed in latent space: a crawl, then a jump
    even = WalkSpec(frames_per_segment=12, method="lerp", even=True)
    times = even_segment_times(_decode(dense_latents(waypoints, even)), even)
    frames = walk_latents(waypoints, even, times)
    assert len(frames) == len(walk_latents(waypoints, spec))  # the same frames, spaced differently
    assert np.allclose(frames[waypoint_frames(3, even)], waypoints, atol=1e-6)  # waypoints stay exact
    steps = _steps(_decode(frames))
    assert steps.max() < 1.25 * steps.min(), steps


def test_even_pacing_leaves_a_segment_that_does_not_change_uniform():
    waypoints = np.array([[2.0, 0.0], [3.0, 0.0]], np.float32)  # clipped: every image the same
    spec = WalkSpec(frames_per_segment=4, method="lerp", even=True)
    times = even_segment_times(_decode(dense_latents(waypoints, spec)), spec)
    assert np.allclose(times[0], [0, 0.25, 0.5, 0.75])
