"""Walking between latent codes: lerp, slerp, and paths through waypoints.

Why slerp for Gaussian priors: in d dimensions almost all of N(0, I)'s mass
lies on a thin shell of radius ≈ √d. The straight line between two codes cuts
inside that shell — its midpoint has norm ≈ √(d/2) — where the model has
rarely been trained, so lerp frames look washed out. Slerp follows the great
circle and keeps frames on the shell (White, *Sampling Generative Networks*).
"""

from __future__ import annotations

import numpy as np

METHODS = ("slerp", "lerp")


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """(1 − t)·a + t·b for each t; returns (len(t), *a.shape) or a.shape."""
    t_arr = np.asarray(t, np.float64)
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    out = (1 - t_arr[..., None]) * a64.ravel() + t_arr[..., None] * b64.ravel()
    return out.reshape(t_arr.shape + a64.shape).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation (Shoemake); exact at t = 0 and t = 1.

    The norm is interpolated linearly between |a| and |b|, so two codes on the
    prior's shell give frames on the shell. Nearly parallel codes fall back
    to lerp, where the two coincide.
    """
    t_arr = np.asarray(t, np.float64)
    a64, b64 = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na == 0 or nb == 0:
        return lerp(a, b, t)
    ua, ub = a64 / na, b64 / nb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-4:
        return lerp(a, b, t)
    so = np.sin(omega)
    tt = t_arr[..., None]
    direction = (np.sin((1 - tt) * omega) / so) * ua + (np.sin(tt * omega) / so) * ub
    norm = (1 - tt) * na + tt * nb
    out = direction * norm
    # Pin the endpoints exactly (no rounding drift).
    out = np.where(tt == 0, a64, np.where(tt == 1, b64, out))
    return out.reshape(t_arr.shape + np.asarray(a).shape).astype(np.float32)


def path(waypoints: np.ndarray, steps: int, method: str = "slerp", keep_norm: bool = False) -> np.ndarray:
    """``steps`` frames from the first waypoint to the last, through every one.

    Frames are spread over the segments in proportion to the segments' angle
    (slerp) or length (lerp), and every waypoint is itself a frame. With
    ``keep_norm`` every frame is rescaled to the norm interpolated between its
    segment's ends — what a diffusion model's x_T needs to stay on the prior's
    shell even when walked by lerp (slerp already does this).
    """
    w = np.asarray(waypoints, np.float32)
    if len(w) < 2:
        raise ValueError("a path needs at least two waypoints")
    if method not in METHODS:
        raise ValueError(f"unknown interpolation {method!r} (use {' or '.join(METHODS)})")
    if steps < len(w):
        raise ValueError(f"{steps} steps cannot pass through {len(w)} waypoints")
    fn = slerp if method == "slerp" else lerp
    flat = w.reshape(len(w), -1).astype(np.float64)
    seg = np.array([_segment_size(flat[i], flat[i + 1], method) for i in range(len(w) - 1)])
    # Each segment gets at least one interval; the rest in proportion to its size.
    intervals = steps - 1
    share = np.ones(len(seg), int)
    extra = intervals - len(seg)
    if extra > 0:
        weights = seg / seg.sum() if seg.sum() > 0 else np.full(len(seg), 1 / len(seg))
        ideal = weights * extra
        share += np.floor(ideal).astype(int)
        for i in np.argsort(-(ideal - np.floor(ideal)))[: intervals - share.sum()]:
            share[i] += 1
    frames = [w[0][None]]
    for i, k in enumerate(share):
        t = np.arange(1, k + 1) / k
        seg_frames = fn(w[i], w[i + 1], t)
        if keep_norm:
            target = (1 - t) * np.linalg.norm(flat[i]) + t * np.linalg.norm(flat[i + 1])
            current = np.linalg.norm(seg_frames.reshape(k, -1), axis=1)
            scale = np.where(current > 0, target / np.where(current > 0, current, 1), 1.0)
            seg_frames = seg_frames * scale.reshape((k,) + (1,) * (seg_frames.ndim - 1))
        frames.append(seg_frames)
    return np.concatenate(frames).astype(np.float32)


def _segment_size(a: np.ndarray, b: np.ndarray, method: str) -> float:
    if method == "lerp":
        return float(np.linalg.norm(b - a))
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return float(np.linalg.norm(b - a))
    return float(np.arccos(np.clip(a @ b / (na * nb), -1, 1))) + 1e-9


#: Families whose latent is diffusion noise x_T: a walk must keep each frame on the prior's shell.
NOISE_LATENT_FAMILIES = frozenset({"diffusion", "text2image"})


def keeps_norm(family: str | None) -> bool:
    """Whether walks of a model of ``family`` rescale frames to the interpolated norm (see :func:`path`)."""
    return family in NOISE_LATENT_FAMILIES
