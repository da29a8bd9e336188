"""Write an animation: MP4, GIF, or a folder of numbered PNGs, atomically.

The format follows the path: ``walk.mp4``, ``walk.gif``, or anything else
without a suffix (``frames/``) for a folder. Frames arrive at the model's
native size and are enlarged here (nearest: crisp pixels; smooth: Lanczos),
with an optional caption line on a band below the image or over its foot.

*MP4* is H.264 in yuv420p with even dimensions and the index at the front
(``-movflags +faststart``): what browsers, QuickTime, PowerPoint and Keynote
play. It is encoded by the ffmpeg that imageio-ffmpeg ships, so no system
ffmpeg is needed. *GIF* loops forever when asked; Pillow folds a run of
identical frames (a hold on a waypoint) into one frame shown that much
longer, so the play time is what was asked for. Either file is written to a
temporary file beside the target and renamed over it, a folder is filled as
a hidden temporary folder and then renamed: a failure or a cancel (the
progress callback raising) leaves no temporary file and the old target as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.core.atomic_file import _current_umask, atomic_write

FORMATS = ("mp4", "gif", "frames")
FRAME_NAME = "frame_{:05d}.png"
_FRAME_FILE = re.compile(r"frame_\d{5}\.png")


@dataclass(frozen=True)
class OutputSpec:
    """How the frames are written.

    Parameters
    ----------
    fps : float
        Frames per second.
    size : int or None
        Output width of the image in pixels (images are square; None: the
        model's own size). MP4 rounds it up to an even number.
    smooth : bool
        Enlarge with Lanczos instead of repeating pixels.
    caption_over : bool
        Draw captions over the foot of the image instead of on a band below it.
    loop : bool
        GIF: play forever (MP4 looping is the player's choice).
    """

    fps: float = 12.0
    size: int | None = None
    smooth: bool = False
    caption_over: bool = False
    loop: bool = True


def animation_format(path: str | os.PathLike) -> str:
    """``mp4``, ``gif`` or ``frames`` (a folder) from the path; ValueError for another suffix."""
    text = os.fspath(path)
    suffix = Path(text).suffix.lower()
    if suffix in (".mp4", ".gif"):
        return suffix[1:]
    if suffix and not text.endswith(("/", os.sep)):
        raise ValueError(f"{text}: cannot write an animation as {suffix} (use .mp4, .gif, or a folder for PNG frames)")
    return "frames"


def frame_size(native: int, spec: OutputSpec, fmt: str, captioned: bool) -> tuple[int, int]:
    """(width, height) of a written frame: the image side, plus a caption band below it."""
    side = int(spec.size or native)
    if fmt == "mp4" and side % 2:
        side += 1  # yuv420p halves the chroma planes: odd sizes are refused by players and by libx264
    height = side + (_band_height(side) if captioned and not spec.caption_over else 0)
    if fmt == "mp4" and height % 2:
        height += 1
    return side, height


def _band_height(side: int) -> int:
    return _font_size(side) * 3 // 2 + 4


def _font_size(side: int) -> int:
    return max(9, min(32, side // 24))


def render_frame(image: np.ndarray, width: int, height: int, spec: OutputSpec, caption: str | None = None) -> np.ndarray:
    """One output frame, RGB uint8 (height, width, 3): enlarged, captioned."""
    from PIL import Image, ImageDraw, ImageFont

    a = np.asarray(image, np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    img = Image.fromarray(a).convert("RGB")
    resample = Image.Resampling.LANCZOS if spec.smooth else Image.Resampling.NEAREST
    if img.size != (width, width):
        img = img.resize((width, width), resample)
    if caption is None and height == width:
        return np.asarray(img)
    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    canvas.paste(img, (0, 0))
    if caption:
        font = ImageFont.load_default(size=_font_size(width))
        text = _fit(caption, font, width - 8)
        band = _band_height(width)
        top = height - band if spec.caption_over or height == width else width
        draw = ImageDraw.Draw(canvas, "RGBA")
        if spec.caption_over or height == width:
            draw.rectangle((0, top, width, height), fill=(0, 0, 0, 150))
        draw.text((4, top + (band - _font_size(width)) // 2), text, fill=(255, 255, 255), font=font)
    return np.asarray(canvas)


def _fit(text: str, font, width: int) -> str:
    """``text`` cut (with an ellipsis) to ``width`` pixels in ``font``."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def write_animation(path: str | os.PathLike, frames: Sequence[np.ndarray], spec: OutputSpec,
                    captions: Sequence[str] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """Write ``frames`` (uint8, (h, w, c), the model's size) as the animation ``path`` names.

    Parameters
    ----------
    path : str or path-like
        ``….mp4``, ``….gif`` or a folder (created; an earlier folder of frames is replaced).
    frames : sequence of ndarray
        Every frame in play order.
    spec : OutputSpec
        Frame rate, size, enlargement, caption placement, looping.
    captions : sequence of str, optional
        One line per frame.
    progress : callable, optional
        ``progress(done, total)`` after each frame; raising from it cancels
        the write, and nothing is left behind.

    Returns
    -------
    dict
        ``out``, ``format``, ``frames``, ``size`` ([width, height]), ``fps``, ``seconds``.

    Raises
    ------
    ValueError
        No frames, or a path whose suffix is no animation format.
    OSError
        The target cannot be written; the message names it.
    """
    fmt = animation_format(path)
    if not len(frames):
        raise ValueError(f"{os.fspath(path)}: an animation needs at least one frame")
    if captions is not None and len(captions) != len(frames):
        raise ValueError(f"{len(captions)} captions for {len(frames)} frames")
    if not spec.fps > 0:
        raise ValueError(f"frames per second must be > 0, got {spec.fps}")
    width, height = frame_size(int(np.asarray(frames[0]).shape[1]), spec, fmt, captions is not None)
    total = len(frames)

    def rendered():
        for i, image in enumerate(frames):
            yield render_frame(image, width, height, spec, captions[i] if captions is not None else None)
            if progress is not None:
                progress(i + 1, total)

    if fmt == "mp4":
        atomic_write(path, lambda tmp: _write_mp4(tmp, rendered(), width, height, spec.fps))
    elif fmt == "gif":
        atomic_write(path, lambda tmp: _write_gif(tmp, rendered(), spec))
    else:
        _write_folder(Path(path), rendered())
    return {"out": os.fspath(path), "format": fmt, "frames": total, "size": [width, height], "fps": spec.fps,
            "seconds": round(total / spec.fps, 3)}


def _write_mp4(tmp: str, frames, width: int, height: int, fps: float) -> None:
    import imageio_ffmpeg

    # -f mp4: the temporary file's name does not end in .mp4, so ffmpeg cannot guess the container.
    writer = imageio_ffmpeg.write_frames(tmp, (width, height), fps=fps, codec="libx264", pix_fmt_in="rgb24",
                                         pix_fmt_out="yuv420p", quality=7, macro_block_size=2,
                                         output_params=["-movflags", "+faststart", "-f", "mp4"])
    writer.send(None)
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()  # on an exception: stops ffmpeg before atomic_write removes its file


def _write_gif(tmp: str, frames, spec: OutputSpec) -> None:
    from PIL import Image

    frames = iter(frames)
    first = Image.fromarray(next(frames))
    # GIF durations are whole hundredths of a second.
    duration = max(20, int(round(100.0 / spec.fps)) * 10)
    extra = {"loop": 0} if spec.loop else {}
    # A generator: Pillow keeps each frame as 8-bit palette indices, not a full RGB copy of all of them.
    first.save(tmp, format="GIF", save_all=True, append_images=(Image.fromarray(f) for f in frames),
               duration=duration, disposal=1, **extra)


def _write_folder(target: Path, frames) -> None:
    """Numbered PNGs filled in a hidden folder beside ``target``, then renamed to it."""
    from PIL import Image

    _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise _naming(exc, target) from exc
    try:
        for i, frame in enumerate(frames):
            Image.fromarray(frame).save(tmp / FRAME_NAME.format(i), format="PNG")
        os.chmod(tmp, 0o777 & ~_current_umask())  # mkdtemp makes it 0700; a plain mkdir would not
        _swap_in(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _naming(exc, target) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_replaceable(target: Path) -> None:
    """Refuse to replace a file, or a folder holding anything but earlier frames."""
    if not target.exists():
        return
    if not target.is_dir():
        raise FileExistsError(f"{target}: exists and is not a folder; refusing to replace it with PNG frames")
    others = [p.name for p in target.iterdir() if not _FRAME_FILE.fullmatch(p.name)]
    if others:
        raise FileExistsError(f"{target}: the folder holds other files ({others[0]}…); choose a new or empty folder "
                              "or one of earlier frames")


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an earlier ``target`` is set aside first and put back on failure."""
    if not target.exists():
        os.replace(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.replace(target, old / "frames")
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old / "frames", target)
        os.rmdir(old)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _naming(error: OSError, path: Path) -> OSError:
    """The same error, naming the folder the user asked for rather than a temporary one."""
    if error.errno is None:
        return error
    return OSError(error.errno, error.strerror, str(path))
