"""The session file: everything a user was looking at, in one ``.lesession`` file.

A session file is a zip archive holding ``session.json`` and ``.npy`` arrays
that the JSON names by member (``"arrays/latents.npy"``). Nothing in it is ever
unpickled: arrays are read with ``allow_pickle=False`` after their header has
been checked, and members the JSON does not name are ignored.

``session.json`` looks like this (``version`` 1)::

    {"format": "latent-explorer-session", "version": 1,
     "model": {"path": "...", "sha256": "..."},
     "bank": {"source": "...", "latent_shape": [8], "latents": "arrays/latents.npy",
              "seeds": "...", "indices": "...", "attributes": {"smile": "arrays/attributes/000.npy"},
              "labels": null, "label_names": [], "thumbnails": null,
              "user_files": {"12": "me.png"}, "user_errors": {"12": 0.01}},
     "layout": {"method": "PCA", "axes": null, "points": "...", "embeddings": {"t-SNE": "..."}},
     "colour_field": "smile",
     "vectors": [{"name": "smile", "vector": "...", "origin": "...", "accuracy": 0.9, "count": 40,
                  "source": "query", "query": "smile > 0.5", "kind": "mean"}],
     "waypoints": [{"label": "#3", "latent": "..."}], "current": {"label": "#3", "latent": "..."},
     "selected": 3, "selection": "arrays/selection.npy", "view_range": [[-1, 1], [-2, 2]],
     "sections": {"tags": {...}}, "arrays": {"tag_mask": "arrays/extra/000.npy"}}

New capabilities add a named entry to ``sections`` (free JSON, kept verbatim)
and their arrays to ``arrays``; neither needs a new version. ``version`` goes
up only when a reader of the old version would misread the new file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

from explorer.core.atomic_file import atomic_write
from explorer.core.file_hash import file_sha256  # noqa: F401  (part of this module's API)
from explorer.core.session_document import SessionDocument
from explorer.core.session_schema import (DOCUMENT, FORMAT, SESSION_VERSION, SchemaError, check_document,
                                          decode_document, read_root)

__all__ = ["SESSION_VERSION", "SUFFIX", "SessionDocument", "SessionFileError", "file_sha256", "load_session",
           "save_session"]

SUFFIX = ".lesession"
# Bounds checked against the zip's directory before anything is decompressed,
# so a hostile file (a zip bomb) is refused instead of filling memory.
MAX_TOTAL_BYTES = 8 << 30
MAX_MEMBERS = 65_536


class SessionFileError(Exception):
    """A session file cannot be read; the message names the file and the cause.

    Attributes
    ----------
    path : str
        The file as the caller named it.
    cause : str
        What is wrong, without the file name, e.g. ``"not a session file (not a zip archive)"``.
    """

    def __init__(self, path: str | os.PathLike, cause: str) -> None:
        self.path = os.fspath(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


def _flat32(z) -> np.ndarray:
    return np.asarray(z, np.float32).reshape(-1)


def _rows32(latents) -> np.ndarray:
    a = np.asarray(latents, np.float32)
    return a if a.ndim == 2 else a.reshape(len(a), -1)


def _canonical(doc: SessionDocument) -> SessionDocument:
    """``doc`` with every array in its stored dtype; a no-op for arrays that already are."""
    b = doc.bank
    bank = dataclasses.replace(
        b, latents=_rows32(b.latents),
        latent_shape=tuple(int(s) for s in b.latent_shape), source=str(b.source),
        seeds=np.asarray(b.seeds, np.int64), indices=np.asarray(b.indices, np.int64),
        attributes={str(k): np.asarray(v) for k, v in b.attributes.items()},
        labels=None if b.labels is None else np.asarray(b.labels, np.int64),
        label_names=tuple(str(s) for s in b.label_names),
        user_files={int(k): str(v) for k, v in b.user_files.items()},
        user_errors={int(k): float(v) for k, v in b.user_errors.items()})
    vectors = [dataclasses.replace(v, vector=_flat32(v.vector), count=int(v.count),
                                   accuracy=None if v.accuracy is None else float(v.accuracy)) for v in doc.vectors]
    return dataclasses.replace(
        doc, bank=bank, vectors=vectors,
        layout_axes=None if doc.layout_axes is None else (str(doc.layout_axes[0]), str(doc.layout_axes[1])),
        points=None if doc.points is None else np.asarray(doc.points, np.float32),
        embeddings={str(k): np.asarray(v, np.float32) for k, v in doc.embeddings.items()},
        waypoints=[(str(label), _flat32(z)) for label, z in doc.waypoints],
        current=None if doc.current is None else (str(doc.current[0]), _flat32(doc.current[1])),
        selected=None if doc.selected is None else int(doc.selected),
        selection=None if doc.selection is None else np.asarray(doc.selection, np.bool_),
        view_range=None if doc.view_range is None else tuple(tuple(float(v) for v in p) for p in doc.view_range),
        arrays={str(k): np.asarray(v) for k, v in doc.arrays.items()})


def _encode(doc: SessionDocument) -> tuple[dict, list[tuple[str, np.ndarray]]]:
    """The JSON document and the (member, array) pairs it names."""
    arrays: list[tuple[str, np.ndarray]] = []

    def ref(member: str, a: np.ndarray | None) -> str | None:
        if a is None:
            return None
        arrays.append((f"arrays/{member}.npy", a))
        return arrays[-1][0]

    b = doc.bank
    bank = {"source": b.source, "latent_shape": list(b.latent_shape), "latents": ref("latents", b.latents),
            "seeds": ref("seeds", b.seeds), "indices": ref("indices", b.indices),
            "attributes": {k: ref(f"attributes/{i:03d}", v) for i, (k, v) in enumerate(b.attributes.items())},
            "labels": ref("labels", b.labels), "label_names": list(b.label_names),
            "thumbnails": ref("thumbnails", b.thumbnails),
            "user_files": {str(k): v for k, v in b.user_files.items()},
            "user_errors": {str(k): v for k, v in b.user_errors.items()}}
    layout = {"method": doc.layout_method, "axes": None if doc.layout_axes is None else list(doc.layout_axes),
              "points": ref("points", doc.points),
              "embeddings": {k: ref(f"embeddings/{i:03d}", v) for i, (k, v) in enumerate(doc.embeddings.items())}}
    vectors = [{"name": v.name, "vector": ref(f"vectors/{i:03d}", v.vector), "origin": v.origin,
                "accuracy": v.accuracy, "count": v.count, "source": v.source, "query": v.query, "kind": v.kind}
               for i, v in enumerate(doc.vectors)]
    root = {"format": FORMAT, "version": SESSION_VERSION,
            "model": {"path": doc.model_path, "sha256": doc.model_sha256},
            "bank": bank, "layout": layout, "colour_field": doc.colour_field, "vectors": vectors,
            "waypoints": [{"label": label, "latent": ref(f"waypoints/{i:03d}", z)}
                          for i, (label, z) in enumerate(doc.waypoints)],
            "current": None if doc.current is None else {"label": doc.current[0], "latent": ref("current", doc.current[1])},
            "selected": doc.selected, "selection": ref("selection", doc.selection),
            "view_range": None if doc.view_range is None else [list(p) for p in doc.view_range],
            "sections": doc.sections,
            "arrays": {k: ref(f"extra/{i:03d}", v) for i, (k, v) in enumerate(doc.arrays.items())}}
    return root, arrays


def _write_zip(tmp: str, root: dict, arrays: list[tuple[str, np.ndarray]]) -> None:
    text = json.dumps(root, indent=1, ensure_ascii=False).encode("utf-8")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(DOCUMENT, text)
        for member, a in arrays:
            info = zipfile.ZipInfo(member)
            # Float latents barely compress and deflating them is the slow part of a
            # save; integer, boolean and uint8 (thumbnails) arrays shrink a lot.
            info.compress_type = zipfile.ZIP_STORED if a.dtype.kind in "fc" else zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.save(f, a, allow_pickle=False)


def save_session(path: str | os.PathLike, doc: SessionDocument) -> None:
    """Write ``doc`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        The session file; by convention it ends in `SUFFIX`.
    doc : SessionDocument
        Arrays are stored in their canonical dtype (latents, points, vectors and
        waypoints float32; seeds, indices, labels int64; selection bool);
        vectors and waypoints are stored flat.

    Raises
    ------
    ValueError
        If ``doc`` is inconsistent (e.g. points not (n, 2), a waypoint of the
        wrong size, non-JSON data in ``sections``); nothing is written.
    OSError
        If the file cannot be written; an existing file at ``path`` is left intact.
    """
    canon = _canonical(doc)
    try:
        check_document(canon)
        root, arrays = _encode(canon)
        json.dumps(root)  # refuse unserialisable sections before touching the disk
    except SchemaError as e:
        raise ValueError(f"{os.fspath(path)}: cannot save this session: {e}") from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"{os.fspath(path)}: cannot save this session: sections are not JSON ({e})") from None
    atomic_write(path, lambda tmp: _write_zip(tmp, root, arrays))


# ----------------------------------------------------------------------------- loading

def _load(path: Path) -> SessionDocument:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SchemaError("no such file") from None
    if stat.S_ISDIR(st.st_mode):
        raise SchemaError("is a folder, not a session file")
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would block forever
        raise SchemaError("not a regular file, so not a session file")
    if st.st_size == 0:
        raise SchemaError("empty file, not a session file")
    with open(path, "rb") as f:
        try:
            zf = zipfile.ZipFile(f)
        except zipfile.BadZipFile:
            raise SchemaError("not a session file (not a zip archive, or a truncated one)") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise SchemaError(f"holds {len(infos)} members, more than a session ever has ({MAX_MEMBERS})")
            total = sum(i.file_size for i in infos)
            if total > MAX_TOTAL_BYTES:
                raise SchemaError(f"declares {total / (1 << 30):.1f} GiB of uncompressed data, more than the "
                                  f"{MAX_TOTAL_BYTES >> 30} GiB a session may hold (a zip bomb?)")
            doc = SessionDocument(**decode_document(zf, read_root(zf)))
    check_document(doc)
    return doc


def load_session(path: str | os.PathLike) -> SessionDocument:
    """Read a session file, checking every part of it.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    SessionDocument
        Arrays come back with the dtype, shape and bytes they were saved with.

    Raises
    ------
    SessionFileError
        For every file that is not a complete, consistent session of a version
        this code reads; the message names the file and the cause. Nothing
        else escapes, whatever the file holds.
    """
    try:
        return _load(Path(path))
    except SchemaError as e:
        raise SessionFileError(path, str(e)) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
        raise SessionFileError(path, f"damaged zip archive ({e})") from None
    except OSError as e:
        raise SessionFileError(path, f"cannot be read ({e.strerror or e})") from None
    except MemoryError:
        raise SessionFileError(path, "too large to load into memory") from None
    except Exception as e:  # a last guard: a hostile file must not crash the caller
        raise SessionFileError(path, f"damaged session file ({type(e).__name__}: {e})") from None

