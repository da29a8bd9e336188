"""Toyfaces: a procedural face dataset made by our own code.

Every face is drawn from a handful of independent factors, so the latent space
of a model trained on it has real, known structure:

* binary attributes — ``male`` (squarer face, short hair; otherwise long hair),
  ``glasses``, ``smiling``, ``hat`` and ``beard`` (only ever on male faces);
* continuous nuisance factors — skin tone, hair colour, background colour,
  head turned left/right, small shifts and scale.

The whole set is a deterministic function of ``(n, seed, size)``: the same
arguments give the same bytes on every machine (numpy's PCG64 generator and
float32 arithmetic only).
"""

from __future__ import annotations

import numpy as np

ATTRIBUTES = ("male", "glasses", "smiling", "hat", "beard")

# Marginal probabilities. A beard appears on half of the male faces, so its
# overall frequency is 0.25 and it never appears on a female face.
P_MALE, P_GLASSES, P_SMILING, P_HAT, P_BEARD_GIVEN_MALE = 0.5, 0.4, 0.5, 0.3, 0.5

_HAIR_COLOURS = np.array(
    [
        [0.93, 0.80, 0.45],  # blond
        [0.45, 0.27, 0.12],  # brown
        [0.12, 0.09, 0.07],  # black
        [0.72, 0.30, 0.12],  # red
        [0.62, 0.60, 0.58],  # grey
    ],
    dtype=np.float32,
)
_SKIN_LIGHT = np.array([0.97, 0.82, 0.70], dtype=np.float32)
_SKIN_DARK = np.array([0.42, 0.28, 0.19], dtype=np.float32)

# Rendering happens at this multiple of the output size and is box-filtered
# down, which anti-aliases the thin strokes (glasses, mouth) at 32×32.
_SUPERSAMPLE = 2
_ZOOM = 0.85


def sample_factors(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw the generative factors of ``n`` faces.

    Returns a dict of arrays of length ``n``: the five binary attributes as
    float32 0/1 and the nuisance factors used by :func:`render`.
    """
    male = rng.random(n) < P_MALE
    f = {
        "male": male,
        "glasses": rng.random(n) < P_GLASSES,
        "smiling": rng.random(n) < P_SMILING,
        "hat": rng.random(n) < P_HAT,
        "beard": male & (rng.random(n) < P_BEARD_GIVEN_MALE),
        "skin": rng.random(n).astype(np.float32),
        "hair": rng.integers(0, len(_HAIR_COLOURS), n),
        "hair_jitter": rng.normal(0, 0.04, (n, 3)).astype(np.float32),
        "background": rng.uniform(0.15, 0.95, (n, 3)).astype(np.float32),
        "hat_colour": rng.uniform(0.0, 1.0, (n, 3)).astype(np.float32),
        "turn": rng.uniform(-1.0, 1.0, n).astype(np.float32),
        "dx": rng.uniform(-0.07, 0.07, n).astype(np.float32),
        "dy": rng.uniform(-0.05, 0.05, n).astype(np.float32),
        "scale": rng.uniform(0.92, 1.04, n).astype(np.float32),
    }
    # A hat keeps a saturated colour so it stands apart from hair and skin.
    hc = f["hat_colour"]
    hc[:] = 0.15 + 0.8 * (hc - hc.min(1, keepdims=True)) / (np.ptp(hc, 1, keepdims=True) + 1e-6)
    return f


def _paint(img: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> None:
    """Paint ``colour`` (n,3) where ``mask`` (n,h,w) is true, in place."""
    m = mask[..., None]
    np.copyto(img, np.broadcast_to(colour[:, None, None, :], img.shape), where=m)


def render(f: dict[str, np.ndarray], size: int) -> np.ndarray:
    """Render faces from their factors; returns uint8 (n, size, size, 3)."""
    n = len(f["male"])
    s = size * _SUPERSAMPLE
    # The frame spans [-_ZOOM, _ZOOM]: the head fills most of the picture.
    coords = ((np.arange(s, dtype=np.float32) + 0.5) / s * 2.0 - 1.0) * _ZOOM
    v, u = coords[None, :, None], coords[None, None, :]  # v runs down, u right

    def col(x):
        return np.asarray(x, np.float32)[:, None, None]

    male = f["male"]
    sc = col(f["scale"])
    cx, cy = col(f["dx"]), col(0.08 + f["dy"])
    turn = col(f["turn"])
    a = col(np.where(male, 0.47, 0.41) * f["scale"] * (1 - 0.06 * np.abs(f["turn"])))
    b = 0.56 * sc
    feat_x = cx + 0.13 * turn * sc  # features slide with the turn of the head

    skin = _SKIN_LIGHT + f["skin"][:, None] * (_SKIN_DARK - _SKIN_LIGHT)
    hair = np.clip(_HAIR_COLOURS[f["hair"]] + f["hair_jitter"], 0, 1)
    beard_col = hair * 0.7
    dark = np.tile(np.array([0.06, 0.06, 0.08], np.float32), (n, 1))
    lips = np.clip(skin * np.array([0.55, 0.2, 0.2], np.float32), 0, 1)

    img = np.empty((n, s, s, 3), np.float32)
    img[:] = f["background"][:, None, None, :]
    # A soft vertical gradient keeps backgrounds from being flat colour cards.
    img *= (1.05 - 0.15 * (v[..., None] + 1) / 2)

    du, dv = (u - cx) / a, (v - cy) / b
    exponent = col(np.where(male, 3.2, 2.0))  # squarer jaw on male faces
    face = (np.abs(du) ** exponent + np.abs(dv) ** 2) <= 1.0

    # Long hair: a wide rounded mass behind the head reaching the shoulders.
    long_hair = (~male)[:, None, None] & (
        (((u - cx) / (a + 0.17 * sc)) ** 2 + ((v - (cy + 0.05)) / (b + 0.12)) ** 2 <= 1.0)
        | ((np.abs(u - cx) <= a + 0.15 * sc) & (v >= cy) & (v <= cy + b + 0.45))
    )
    _paint(img, long_hair, hair)
    neck = (np.abs(u - cx) <= 0.16 * sc) & (v >= cy + 0.4 * b)
    _paint(img, neck & ~long_hair, skin * 0.88)
    _paint(img, face, skin)

    # Hair on top of the head: a cap over the forehead for both presentations.
    cap = ((du / 1.08) ** 2 + ((v - cy) / (b + 0.06)) ** 2 <= 1.0) & (v <= cy - 0.42 * b + 0.04 * (u - feat_x) ** 2)
    _paint(img, cap, hair)

    beard = f["beard"][:, None, None] & face & (v >= cy + 0.12 * b)
    _paint(img, beard, beard_col)

    eye_y = cy - 0.06
    eye_dx = 0.17 * sc
    for side in (-1.0, 1.0):
        ex = feat_x + side * eye_dx
        eye = ((u - ex) / 0.055) ** 2 + ((v - eye_y) / 0.045) ** 2 <= 1.0
        _paint(img, eye, dark)

    nose = ((u - feat_x) / 0.05) ** 2 + ((v - (cy + 0.08)) / 0.08) ** 2 <= 1.0
    _paint(img, nose, skin * 0.85)

    mouth_y = cy + 0.3 * b
    # Smiling: an open D-shaped grin; neutral: a short closed line.
    r = np.sqrt(((u - feat_x) / 1.1) ** 2 + (v - (mouth_y - 0.04)) ** 2)
    smile = (r <= 0.2 * sc) & (v >= mouth_y - 0.04)
    neutral = (np.abs(u - feat_x) <= 0.12 * sc) & (np.abs(v - (mouth_y + 0.04)) <= 0.028)
    mouth = np.where(f["smiling"][:, None, None], smile, neutral)
    _paint(img, mouth, lips)

    if f["glasses"].any():
        # Thick dark frames around tinted lenses: bold enough to survive at 32×32.
        g = f["glasses"][:, None, None]
        frame = np.zeros((n, s, s), bool)
        lens = np.zeros((n, s, s), bool)
        for side in (-1.0, 1.0):
            ex = feat_x + side * eye_dx
            d = np.sqrt(((u - ex) / 1.15) ** 2 + (v - eye_y) ** 2)
            frame |= (d >= 0.09) & (d <= 0.155)
            lens |= d < 0.09
        bridge = (np.abs(u - feat_x) <= eye_dx - 0.1) & (np.abs(v - (eye_y - 0.02)) <= 0.028)
        tinted = g & lens
        img[tinted] *= 0.55
        _paint(img, g & (frame | bridge), dark)

    if f["hat"].any():
        top = cy - 0.45 * b
        crown = (np.abs(u - cx) <= a + 0.03) & (v <= top) & (v >= top - 0.42)
        brim = (np.abs(u - cx) <= a + 0.2 * sc) & (np.abs(v - top) <= 0.06)
        _paint(img, f["hat"][:, None, None] & (crown | brim), f["hat_colour"])

    # Box-filter down to the output size.
    img = img.reshape(n, size, _SUPERSAMPLE, size, _SUPERSAMPLE, 3).mean(axis=(2, 4))
    return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)


def make_toyfaces(n: int, seed: int = 0, size: int = 64, chunk: int = 2048,
                  progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` toyfaces.

    Parameters
    ----------
    n : int
        Number of images.
    seed : int
        Seed of the generator; the result is a pure function of the arguments.
    size : int
        Side of the square RGB images (64 by default; 32 for fast training).
    chunk : int
        Images rendered at once; bounds memory, does not change the result.
    progress : callable, optional
        ``progress(done, n)`` after each chunk (it may raise to abort).

    Returns
    -------
    images : ndarray of uint8, shape (n, size, size, 3)
    attributes : ndarray of float32, shape (n, 5), columns in ``ATTRIBUTES`` order
    """
    if n < 0:
        raise ValueError(f"toyfaces: n must be >= 0, got {n}")
    if size < 16 or size > 512:
        raise ValueError(f"toyfaces: size must be between 16 and 512, got {size}")
    rng = np.random.default_rng(seed)
    factors = sample_factors(n, rng)
    images = np.empty((n, size, size, 3), np.uint8)
    for start in range(0, n, chunk):
        part = {k: val[start:start + chunk] for k, val in factors.items()}
        images[start:start + chunk] = render(part, size)
        if progress is not None:
            progress(min(start + chunk, n), n)
    attributes = np.stack([factors[name] for name in ATTRIBUTES], axis=1).astype(np.float32)
    return images, attributes
