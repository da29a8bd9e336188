"""Bounds on what a checkpoint may ask of the machine, checked before anything is allocated.

A checkpoint's configuration is untrusted input: one number in it decides how
much memory a network, a latent or an image takes, and how long a decode runs.
Every reader checks those numbers here, against the tensors actually present
where it can, so a 1 MB file cannot make the process take gigabytes or hours.

The two bounds a real model could exceed can be raised by the environment::

    LATENT_EXPLORER_MAX_LATENT_ELEMENTS   elements of one latent   (default 2**20)
    LATENT_EXPLORER_MAX_IMAGE_SIDE        pixels per image side    (default 4096)

Every refusal is a :class:`~models.errors.CheckpointError` naming the file
and, where a bound decided it, the value and how to raise the bound.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any, Mapping

from models.errors import CheckpointError

LATENT_ENV = "LATENT_EXPLORER_MAX_LATENT_ELEMENTS"
IMAGE_ENV = "LATENT_EXPLORER_MAX_IMAGE_SIDE"
DEFAULT_MAX_LATENT_ELEMENTS = 2**20
DEFAULT_MAX_IMAGE_SIDE = 4096
# safetensors itself reads headers up to 100 MB; ours hold a few hundred
# tensor entries (~100 bytes each) and a config, so 16 MB leaves ample room
# while keeping a hostile header's parse well under a second and 200 MB.
MAX_HEADER_BYTES = 16 << 20
MAX_TENSORS = 20_000
# Our configurations nest three or four levels; diffusers' a little more.
MAX_JSON_DEPTH = 32
MAX_TIMESTEPS = 100_000

_OS_CAUSES = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a part of the path is not a folder",
}


def max_latent_elements() -> int:
    """The largest latent (elements of one code) a model may have; see the module doc."""
    return _env_int(LATENT_ENV, DEFAULT_MAX_LATENT_ELEMENTS)


def max_image_side() -> int:
    """The largest image side a model may declare; see the module doc."""
    return _env_int(IMAGE_ENV, DEFAULT_MAX_IMAGE_SIDE)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CheckpointError(f"{name}={raw!r}: expected a positive integer") from None
    if value <= 0:
        raise CheckpointError(f"{name}={raw!r}: expected a positive integer")
    return value


def check_image_side(path: Path | str, side: Any, what: str = "image_size") -> None:
    """Refuse an image side beyond :func:`max_image_side`, naming the file and the value."""
    bound = max_image_side()
    if isinstance(side, int) and side > bound:
        raise CheckpointError(f"{path}: {what} {side} is larger than the {bound} pixels this app decodes "
                              f"(set {IMAGE_ENV} to allow more)")


def check_latent(path: Path | str, shape: tuple[int, ...]) -> None:
    """Refuse a latent of more than :func:`max_latent_elements` elements, naming the shape."""
    count = 1
    for s in shape:
        count *= int(s)
    bound = max_latent_elements()
    if count > bound:
        words = "×".join(str(int(s)) for s in shape)
        raise CheckpointError(f"{path}: a latent of {words} = {count} elements is larger than the {bound} this app "
                              f"handles (set {LATENT_ENV} to allow more)")


def os_cause(exc: OSError) -> str:
    """An OS error in a few words, by its errno, never by the exception's class name."""
    return _OS_CAUSES.get(exc.errno) or (exc.strerror or type(exc).__name__).lower()


def check_readable(path: Path | str) -> os.stat_result:
    """Stat and open ``path`` for reading; a CheckpointError with the true cause if either fails.

    ``Path.exists()`` answers False for a symbolic-link loop and a folder we
    may not enter, which would be reported as "no such file"; asking the OS
    directly keeps its reason.
    """
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return st
        if not stat.S_ISREG(st.st_mode):
            # A FIFO would block the open below, a device would stream forever.
            raise CheckpointError(f"{path}: not a regular file (a device, pipe or socket)")
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        raise CheckpointError(f"{path}: {os_cause(exc)}") from exc
    return st


def parse_json(text: str | bytes, source: Path | str, what: str = "JSON") -> Any:
    """``json.loads`` that refuses nesting deeper than :data:`MAX_JSON_DEPTH` in one line.

    Python's parser recurses per level and ends in a RecursionError on a few
    thousand; a shallower but still absurd nesting is caught by an iterative
    walk, so nothing downstream ever recurses through it either.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise CheckpointError(f"{source}: the {what} is nested too deeply (more than {MAX_JSON_DEPTH} levels)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{source}: the {what} is not valid JSON ({exc})") from exc
    if json_depth(value) > MAX_JSON_DEPTH:
        raise CheckpointError(f"{source}: the {what} is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
    return value


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON, computed without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((c, depth + 1) for c in children)
    return deepest


def check_finite(path: Path | str, tensors: Mapping[str, Any]) -> None:
    """Refuse NaN or Inf in any floating tensor, naming the first bad one.

    Such weights decode black or garbage images with no error at all; saying
    so at load is the only place the user learns the file is broken.
    """
    import torch

    for name, t in tensors.items():
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.device.type != "meta":
            if not bool(torch.isfinite(t).all()):
                what = "NaN" if bool(torch.isnan(t).any()) else "infinite values"
                raise CheckpointError(f"{path}: tensor {name} holds {what}; the weights are broken")
