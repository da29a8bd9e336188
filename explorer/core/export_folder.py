"""The export folder: the images a user kept, in a layout other tools read as it is.

Layout (see :func:`write_export`)::

    OUT/
      README.md          what the folder holds, its columns, how to load and regenerate it
      metadata.jsonl     one JSON record per image; ``file_name`` names it relative to OUT
      latents.npy        float32 (n, d): row ``latent_row`` of a record is its latent, flattened
      keep/000000.png    the images, one sub-folder per class (the tag or label split by)
      reject/000001.png  (``images/`` when the export is not split)

Hugging Face ``datasets.load_dataset("imagefolder", data_dir=OUT)`` reads it
through metadata.jsonl (every column becomes a feature; ``file_name`` the
image); torchvision's ``ImageFolder(OUT)`` reads it through the class folders
(every first-level folder is a class and holds at least one image, and nothing
else at the root is a folder).

An export is written into a temporary sibling folder (``.OUT.export-partial``)
and renamed to OUT only once complete, so an interrupted export never looks
like a finished one; a crash leaves only that clearly-named folder, which the
next export to OUT removes. Nothing here imports torch or Qt: images come from
the caller's ``decode``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from explorer.core.disk_space import free_bytes, human_size
from explorer.core.export_destination import (LATENTS, METADATA, PARTIAL_MARKER, README, ExportError,
                                              clear_leftovers, destination, is_export_folder, put_in_place,
                                              temporary_folder, write_error)

__all__ = ["ExportError", "ExportItem", "ModelProvenance", "check_class_name", "is_export_folder",
           "temporary_folder", "write_export"]

UNSPLIT, UNTAGGED, UNLABELLED = "images", "untagged", "unlabelled"
MAX_SCALE = 32
_BLOCK = 4096  # a file takes at least one file-system block

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ModelProvenance:
    """The model every image of an export was decoded by (what ``reproduce`` needs to find it)."""

    name: str
    sha256: str
    checkpoint: str
    latent_shape: tuple[int, ...]
    image_size: int
    channels: int
    steps: int | None = None


@dataclass(frozen=True)
class ExportItem:
    """One image to export.

    Attributes
    ----------
    latent : ndarray of float32
        The code, flat or in the model's latent shape.
    label : str
        The class folder it goes into (a tag, a label, or ``images``).
    seed, index : int
        As in a :class:`~explorer.core.latent_bank.LatentBank`: the prior seed
        (-1 encoded data, -2 a user's image) and the index within it.
    recipe : dict or None
        How the latent was made (``{"kind": "prior", "seed": s, "index": i}``,
        ``{"kind": "interpolation", ...}``, ...); ``None``: a prior sample's, from seed and index.
    tags, attributes, category
        The point's tags, attribute probabilities (None where unknown) and its
        categorical label (None where it has none).
    """

    latent: np.ndarray
    label: str
    seed: int = -1
    index: int = -1
    recipe: dict | None = None
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, float | None] = field(default_factory=dict)
    category: str | None = None


def check_class_name(name: str) -> str:
    """``name`` if it can be a class folder of an export, else ValueError saying why."""
    import re

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_. -]{0,63}", name) \
            or name.endswith((" ", ".")) or name in (METADATA, LATENTS, README):
        raise ValueError(f"{name!r} cannot name a class folder: use 1–64 letters, digits, spaces, '_', '-' or '.', "
                         "starting with a letter, digit or '_' (and not README.md, metadata.jsonl or latents.npy)")
    return name


def bytes_needed(count: int, image_size: int, channels: int, scale: int, latent_size: int) -> int:
    """A generous bound on the disk an export of ``count`` images takes (PNGs, metadata, latents)."""
    side = image_size * scale
    raw = side * (side * channels + 1)  # incompressible pixels and a filter byte per row
    png = -(-(raw + raw // 1000 + 1024) // _BLOCK) * _BLOCK
    line = latent_size * 25 + 4096  # floats as JSON text, and the other columns
    return count * (png + line + latent_size * 4) + 2 * _BLOCK


def _recipe(item: ExportItem, row: int) -> dict:
    recipe = item.recipe if item.recipe is not None else {"kind": "prior", "seed": int(item.seed),
                                                           "index": int(item.index)}
    if not isinstance(recipe, dict) or not isinstance(recipe.get("kind"), str):
        raise ValueError(f"item {row}: a recipe is an object with a 'kind', got {recipe!r}")
    try:
        json.dumps(recipe, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"item {row}: its recipe is not plain JSON ({exc})") from None
    return recipe


def _attribute(value) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if np.isfinite(v) else None  # unknown (NaN) is null: JSON has no NaN


def _check(items: Sequence[ExportItem], model: ModelProvenance, scale: int) -> tuple[np.ndarray, list[dict]]:
    """Every item's flat latent (n, d) and its record's columns, refusing anything that cannot be exported."""
    if len(items) == 0:
        raise ValueError("there is nothing to export (no points chosen)")
    if not (isinstance(scale, int) and 1 <= scale <= MAX_SCALE):
        raise ValueError(f"scale {scale!r}: an export enlarges images by a whole factor from 1 to {MAX_SCALE}")
    size = int(np.prod(model.latent_shape))
    latents = np.empty((len(items), size), np.float32)
    columns = []
    for row, item in enumerate(items):
        z = np.asarray(item.latent, np.float32).reshape(-1)
        if z.size != size:
            raise ValueError(f"item {row}: a latent of {z.size} values, the model's has {size}")
        if not np.isfinite(z).all():
            raise ValueError(f"item {row}: its latent holds NaN or infinite values")
        latents[row] = z
        tags = [str(t) for t in item.tags]
        columns.append({"label": check_class_name(item.label), "index": int(item.index), "seed": int(item.seed),
                        "recipe": _recipe(item, row), "tags": tags,
                        "attributes": {str(k): _attribute(v) for k, v in item.attributes.items()},
                        "category": None if item.category is None else str(item.category)})
    return latents, columns


def _save_png(path: Path, image: np.ndarray, scale: int, smooth: bool) -> None:
    from PIL import Image

    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    if scale > 1:
        method = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
        pil = pil.resize((pil.width * scale, pil.height * scale), method)
    pil.save(path, format="PNG")


def write_export(out: str | os.PathLike, items: Sequence[ExportItem], model: ModelProvenance,
                 decode: Callable[[np.ndarray], np.ndarray], *, scale: int = 1, smooth: bool = False,
                 progress: Progress | None = None, batch_size: int = 64, split_by: str = "") -> dict:
    """Decode ``items`` and write them as an export folder at ``out``, atomically.

    Parameters
    ----------
    out : path
        The folder to make. It may be new, empty, or a previous export (replaced
        once the new one is complete); anything else is refused before any work.
    items : sequence of ExportItem
        The images, in the order of metadata.jsonl and latents.npy.
    model : ModelProvenance
        Recorded in every row (name, sha256, checkpoint, steps, latent shape).
    decode : callable
        Latents (b, *latent_shape) float32 → uint8 images (b, h, w, c); use
        ``models.reproducible.decode_for_keeps`` so the bytes can be reproduced.
    scale, smooth : int, bool
        Enlarge each image by a whole factor, with nearest-neighbour pixels
        (default) or Lanczos smoothing.
    progress : callable, optional
        ``progress(done, total)`` after every batch. Whatever it raises (the
        inference worker's ``Cancelled``, KeyboardInterrupt) ends the export:
        the temporary folder is removed, ``out`` is left as it was, and the
        exception propagates unchanged.
    split_by : str
        What the class folders mean (``tag``, ``label``, ``none``), for the README.

    Returns
    -------
    dict
        ``out``, ``count``, ``classes`` ({folder: count}), ``model``, ``sha256``, ``scale``.

    Raises
    ------
    ExportError
        ``out`` is a file or holds other files, the destination is unwritable,
        too small, or fills up; nothing half-written is left behind.
    ValueError
        The items cannot be exported (none, a latent of the wrong size or not finite, a bad class name).
    """
    out = Path(out)
    if out.name in ("", ".", ".."):  # "." or "dir/..": name the folder itself, so its siblings can be found
        out = Path(os.path.abspath(out))
    latents, columns = _check(items, model, scale)
    kind = destination(out)
    clear_leftovers(out)
    needed = bytes_needed(len(items), model.image_size, model.channels, scale, latents.shape[1])
    try:
        free = free_bytes(out.parent)
    except OSError as exc:
        raise ExportError(out, f"cannot be written there ({exc.strerror or exc})") from None
    if needed > free:
        raise ExportError(out, f"{len(items):,} images need up to {human_size(needed)}, only {human_size(free)} "
                               "free there")
    tmp = temporary_folder(out)
    report = progress or (lambda done, total: None)
    try:
        try:
            tmp.mkdir(parents=True)
            (tmp / PARTIAL_MARKER).write_bytes(b"")
            classes = _write_images(tmp, latents, columns, model, decode, scale, smooth, report, batch_size)
            np.save(tmp / LATENTS, latents, allow_pickle=False)
            from explorer.core.export_readme import export_readme

            (tmp / README).write_text(export_readme(len(items), model, classes, split_by, scale, smooth),
                                      encoding="utf-8")
            _fsync_tree(tmp)
            (tmp / PARTIAL_MARKER).unlink()
            put_in_place(tmp, out, kind)
        except OSError as exc:
            raise write_error(out, exc) from None
    except BaseException:
        # Cancelled, interrupted or failed: nothing of this export stays (out is as it was).
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"out": str(out), "count": len(items), "classes": classes, "model": model.name, "sha256": model.sha256,
            "scale": scale}


def _write_images(tmp: Path, latents: np.ndarray, columns: list[dict], model: ModelProvenance, decode,
                  scale: int, smooth: bool, report: Progress, batch_size: int) -> dict[str, int]:
    """The PNGs and metadata.jsonl, a batch at a time; returns the image count per class folder."""
    n, classes = len(latents), {}
    report(0, n)
    with open(tmp / METADATA, "w", encoding="utf-8") as meta:
        for start in range(0, n, batch_size):
            batch = latents[start:start + batch_size]
            images = np.asarray(decode(batch.reshape(len(batch), *model.latent_shape)))
            if images.dtype != np.uint8 or images.ndim != 4 or len(images) != len(batch):
                raise ValueError(f"decode gave {images.dtype} {images.shape} for {len(batch)} latents; "
                                 "expected uint8 (n, h, w, c)")
            for j, image in enumerate(images):
                row = start + j
                col = columns[row]
                folder = tmp / col["label"]
                if col["label"] not in classes:
                    folder.mkdir(exist_ok=True)
                    classes[col["label"]] = 0
                classes[col["label"]] += 1
                name = f"{col['label']}/{row:06d}.png"
                _save_png(tmp / name, image, scale, smooth)
                record = {"file_name": name, "label": col["label"], "index": col["index"], "seed": col["seed"],
                          "latent_row": row, "model": model.name, "sha256": model.sha256,
                          "checkpoint": model.checkpoint, "steps": model.steps,
                          "latent_shape": list(model.latent_shape), "scale": scale,
                          "resample": "lanczos" if smooth and scale > 1 else "nearest",
                          "recipe": col["recipe"], "tags": col["tags"], "attributes": col["attributes"],
                          "category": col["category"], "latent": latents[row].tolist()}
                meta.write(json.dumps(record, allow_nan=False) + "\n")
            report(min(start + batch_size, n), n)
    return dict(sorted(classes.items()))


def _fsync_tree(folder: Path) -> None:
    # The rename below must not become visible before the files it publishes are on disk.
    for path in [*folder.rglob("*"), folder]:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
