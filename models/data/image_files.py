"""Reading a user's image file into uint8 pixels, whatever its mode and bit depth.

Pillow opens 16-bit greyscale PNGs as ``I;16`` and 32-bit ones as ``I`` or
``F``; its ``convert("L")`` clips those to 255 (an almost white picture), so
they are scaled here. Palette, alpha and CMYK images go through RGB, alpha
composited over white. Decoded pixel counts are bounded by Pillow's
decompression-bomb limit, checked on the header before any pixel is decoded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from models.errors import DatasetError
from models.paths import display_path


def max_pixels() -> int:
    """The most pixels one image may decode to (Pillow's decompression-bomb limit)."""
    from PIL import Image

    return int(Image.MAX_IMAGE_PIXELS or 89_478_485)


def _scaled_to_8_bits(im) -> "Image.Image":
    """A greyscale image of more than 8 bits (modes I;16*, I, F) → mode L."""
    from PIL import Image

    a = np.asarray(im)
    if im.mode.startswith("I;16"):
        a = a.astype(np.float64) / 257.0
    elif im.mode == "I":
        a = a.astype(np.float64)
        # 16-bit PNGs and TIFFs also open as "I" in some Pillow versions: their range is 0..65535.
        a = a / 257.0 if a.max(initial=0) > 255 else a
    else:  # "F": 0..1 as most tools write it, else its own range
        a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(a.min(initial=0)), float(a.max(initial=0))
        if lo >= 0 and hi <= 1:
            a = a * 255.0
        elif lo < 0 or hi > 255:
            a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "L")


def _to_mode(im, channels: int):
    """``im`` as mode L (one channel) or RGB, bit depth and alpha handled."""
    from PIL import Image

    if im.mode in ("I", "F") or im.mode.startswith("I;16"):
        im = _scaled_to_8_bits(im)
    elif im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("L" if channels == 1 else "RGB")


def load_image_file(path: Path, size: int, channels: int = 3) -> np.ndarray:
    """Read one image, centre-crop it square and resize it; uint8 (size, size, c).

    Raises :class:`DatasetError` naming the file when it is not a readable
    image or would decode to more pixels than :func:`max_pixels` allows.
    """
    from PIL import Image, UnidentifiedImageError

    name = display_path(path)
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > limit:
                    raise DatasetError(f"{name}: the image is {w}×{h} pixels, more than the {limit:,} allowed "
                                       f"(a decompression bomb, or a picture to scale down first)")
                if im.format == "JPEG":
                    im.draft("RGB" if channels != 1 else "L", (size, size))  # decode at a reduced scale
                im = _to_mode(im, channels)
                w, h = im.size
                side = min(w, h)
                left, top = (w - side) // 2, (h - side) // 2
                im = im.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
                arr = np.asarray(im, dtype=np.uint8)
    except DatasetError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DatasetError(f"{name}: the image would decode to too many pixels ({exc})") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError) as exc:
        raise DatasetError(f"{name}: not a readable image ({exc})") from exc
    except MemoryError:
        raise DatasetError(f"{name}: not enough memory to decode the image") from None
    return arr[..., None] if arr.ndim == 2 else arr
