"""Reading an export folder (or a ``sample`` folder) back, checking every part of it.

A folder is untrusted input: every record of metadata.jsonl is checked (types,
file names that stay inside the folder and exist, one model, one latent
shape), latents.npy is read with ``allow_pickle=False`` after its header has
been checked against the records, and each of its rows must equal its record's
``latent`` bit for bit. Whatever the folder holds, the only exception that
escapes is :class:`~explorer.core.export_folder.ExportError`, naming the file
and the cause.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.core.export_destination import LATENTS, METADATA, ExportError, is_export_folder
from explorer.core.tags import check_name

#: The most images a folder may hold to be opened: what a latent bank holds at most.
MAX_ROWS = 5_000_000
# A record holds one latent as JSON text; 64 MB is a latent of ~2.5 million values.
MAX_LINE = 64 << 20
_FILE_NAME = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_. -]{0,63}/)?\d{6,}\.png")


@dataclass
class ExportContents:
    """What an export (or ``sample``) folder holds, checked.

    Attributes
    ----------
    folder : Path
    kind : str
        ``"export"`` or ``"sample"``.
    latents : ndarray of float32, shape (n, d)
        Bit-exact as written; ``latent_shape`` restores each row's shape.
    files : list of str
        Each image, relative to ``folder``.
    labels : list of str or None
        The class folder of each image (None where it has none: a sample folder).
    seeds, indices : ndarray of int64 (n,)
    tags : list of list of str
    attributes : dict of str → ndarray of float32 (n,)
        NaN where an image's record does not know the attribute.
    categories : list of str or None
    recipes : list of dict or None
    model_name, model_sha256 : str
    checkpoint : str or None
        The checkpoint's path when the folder was written (sample folders do not record it).
    steps : int or None
    columns : list of str
        Every column the records hold, in order of first appearance.
    """

    folder: Path
    kind: str
    latents: np.ndarray
    latent_shape: tuple[int, ...]
    files: list[str]
    labels: list[str | None]
    seeds: np.ndarray
    indices: np.ndarray
    tags: list[list[str]]
    attributes: dict[str, np.ndarray]
    categories: list[str | None]
    recipes: list[dict | None]
    model_name: str
    model_sha256: str
    checkpoint: str | None
    steps: int | None
    columns: list[str]

    def __len__(self) -> int:
        return len(self.latents)

    def tag_names(self) -> list[str]:
        """The tags any image carries, in order of first appearance."""
        return list(dict.fromkeys(t for row in self.tags for t in row))


def _int(rec: dict, key: str, default=None):
    value = rec.get(key, default)
    if value is default:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} should be a whole number, got {value!r}")
    return value


def _string(rec: dict, key: str, optional: bool = True):
    value = rec.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} should be text, got {value!r}")
    return value


def _latent(rec: dict, size: int) -> np.ndarray:
    values = rec.get("latent")
    if not isinstance(values, list) or len(values) != size:
        raise ValueError(f"latent should be a list of {size} numbers")
    try:  # vectorised: a record may hold a million values
        z = np.asarray(values)
    except (ValueError, TypeError):
        z = np.asarray([], object)
    if z.ndim != 1 or z.dtype.kind not in "fi" or not np.isfinite(z).all():
        raise ValueError("latent should hold finite numbers only")
    z = z.astype(np.float64)
    if np.any(np.abs(z) > np.finfo(np.float32).max):
        raise ValueError("latent holds values beyond float32's range")
    return z.astype(np.float32)


def _file(folder: Path, rec: dict) -> str:
    name = _string(rec, "file_name", optional=False)
    if not _FILE_NAME.fullmatch(name):
        raise ValueError(f"file_name {name!r} should be NNNNNN.png or CLASS/NNNNNN.png inside the folder")
    try:
        if "/" in name and not stat.S_ISDIR(os.lstat(folder / name.split("/")[0]).st_mode):
            raise ValueError(f"file_name {name!r}: its class folder is not a plain folder (a link?)")
        st = os.lstat(folder / name)
    except OSError:
        raise ValueError(f"file_name {name!r}: no such image in the folder") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"file_name {name!r}: not a plain file (a link or a folder)")
    return name


def _attributes(rec: dict) -> dict[str, float]:
    attrs = rec.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise ValueError("attributes should be an object of probabilities")
    out = {}
    for name, p in attrs.items():
        if p is None:
            continue
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"attribute {name!r} should be a probability from 0 to 1 or null, got {p!r}")
        out[name] = float(p)
    return out


def _tags(rec: dict) -> list[str]:
    tags = rec.get("tags") or []
    if not isinstance(tags, list):
        raise ValueError("tags should be a list of names")
    if not all(isinstance(t, str) for t in tags):
        raise ValueError("tags should be a list of names")
    return list(dict.fromkeys(check_name(t) for t in tags))


class _Records:
    """The columns of metadata.jsonl, checked record by record."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files, self.labels, self.seeds, self.indices, self.tags = [], [], [], [], []
        self.attrs, self.categories, self.recipes, self.latents = [], [], [], []
        self.columns: dict[str, None] = {}
        self.rows: dict[str, int] = {}  # file name → row, to refuse two records of one image
        self.first: dict | None = None

    def add(self, rec) -> None:
        if not isinstance(rec, dict):
            raise ValueError("not a JSON object")
        row = len(self.files)
        if self.first is None:
            self.first = rec
            shape = rec.get("latent_shape")
            if not isinstance(shape, list) or not shape or not all(isinstance(s, int) and not isinstance(s, bool)
                                                                   and 0 < s <= 1 << 24 for s in shape):
                raise ValueError(f"latent_shape should be a list of positive sizes, got {shape!r}")
            self.shape = tuple(shape)
            self.size = int(np.prod(self.shape))
            if self.size > 1 << 24:
                raise ValueError(f"latent_shape {shape} is larger than any model's")
            for key in ("model", "sha256"):
                _string(rec, key, optional=False)
        for key in ("latent_shape", "model", "sha256"):
            if rec.get(key) != self.first.get(key):
                raise ValueError(f"{key} differs from line 1's: a folder holds images of one model")
        self.columns.update(dict.fromkeys(rec))
        latent_row = _int(rec, "latent_row")
        if latent_row is not None and latent_row != row:
            raise ValueError(f"latent_row is {latent_row}, but this is record {row} (rows follow the records)")
        name = _file(self.folder, rec)
        if name in self.rows:
            raise ValueError(f"file_name {name!r} is also line {self.rows[name] + 1}'s")
        self.rows[name] = row
        self.files.append(name)
        label = _string(rec, "label")
        self.labels.append(label)
        self.seeds.append(_int(rec, "seed", -1))
        self.indices.append(_int(rec, "index", -1))
        self.tags.append(_tags(rec))
        self.attrs.append(_attributes(rec))
        self.categories.append(_string(rec, "category"))
        recipe = rec.get("recipe")
        if recipe is not None and not isinstance(recipe, dict):
            raise ValueError("recipe should be an object")
        self.recipes.append(recipe)
        self.latents.append(_latent(rec, self.size))


def _read_records(folder: Path) -> _Records:
    path = folder / METADATA
    try:
        st = os.lstat(path)
    except OSError:
        raise ExportError(folder, f"no {METADATA}: not an export or sample folder") from None
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(path, "is not a plain file (a link, a folder or a device)")
    records = _Records(folder)
    with open(path, "rb") as f:
        for number in range(1, MAX_ROWS + 2):
            line = f.readline(MAX_LINE + 1)
            if not line:
                break
            if len(line) > MAX_LINE:
                raise ExportError(path, f"line {number} is longer than {MAX_LINE >> 20} MB")
            if number > MAX_ROWS:
                raise ExportError(path, f"holds more than {MAX_ROWS:,} images, more than a latent bank holds")
            if not line.strip():
                continue
            try:
                rec = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ExportError(path, f"line {number} is not JSON ({exc})") from None
            try:
                records.add(rec)
            except ValueError as exc:
                raise ExportError(path, f"line {number}: {exc}") from None
    if not records.files:
        raise ExportError(path, "lists no images")
    return records


def _read_latents(folder: Path, n: int, size: int) -> np.ndarray | None:
    """latents.npy, its header checked before any data is read (None if the folder has none)."""
    path = folder / LATENTS
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(path, "is not a plain file (a link, a folder or a device)")
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f"an .npy format version {version} this reader does not know")
            shape, fortran, dtype = read_header(f, max_header_size=10_000)
            offset = f.tell()
        if dtype != np.dtype("<f4") or fortran or shape != (n, size):
            raise ValueError(f"holds a {dtype} array of shape {shape}; expected float32 ({n}, {size}), one row "
                             f"per record of {METADATA}")
        if st.st_size != offset + n * size * 4:
            raise ValueError("is truncated or has trailing data")
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ExportError(path, f"not the latents of this folder ({exc})") from None


def read_export(folder: str | os.PathLike) -> ExportContents:
    """Read and check an export folder, or a finished ``sample`` folder.

    Raises
    ------
    ExportError
        For anything that is not a complete, consistent folder: the message
        names the file (and the line) and the cause.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportError(folder, "no such folder" if not folder.exists() else "is a file, not an export folder")
    try:
        records = _read_records(folder)
        from_records = np.stack(records.latents)
        latents = _read_latents(folder, len(from_records), records.size)
    except OSError as exc:
        raise ExportError(folder, f"cannot be read ({exc.strerror or exc})") from None
    except MemoryError:
        raise ExportError(folder, "too large to load into memory") from None
    if latents is None:
        latents = from_records  # an older sample folder: its records hold the latents exactly
    else:
        differ = np.flatnonzero((latents.view(np.uint32) != from_records.view(np.uint32)).any(axis=1))
        if len(differ):
            raise ExportError(folder / LATENTS, f"row {differ[0]} differs from the latent of line {differ[0] + 1} "
                                                f"of {METADATA}")
    names = list(dict.fromkeys(k for a in records.attrs for k in a))
    attributes = {k: np.array([a.get(k, np.nan) for a in records.attrs], np.float32) for k in names}
    first = records.first
    steps = first.get("steps")
    return ExportContents(
        folder=folder, kind="export" if is_export_folder(folder) else "sample",
        latents=latents, latent_shape=records.shape, files=records.files, labels=records.labels,
        seeds=np.asarray(records.seeds, np.int64), indices=np.asarray(records.indices, np.int64),
        tags=records.tags, attributes=attributes, categories=records.categories, recipes=records.recipes,
        model_name=first["model"], model_sha256=first["sha256"],
        checkpoint=first.get("checkpoint") if isinstance(first.get("checkpoint"), str) else None,
        steps=steps if isinstance(steps, int) and not isinstance(steps, bool) else None,
        columns=list(records.columns))
