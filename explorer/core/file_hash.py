"""SHA-256 of a checkpoint (a file, or a folder such as a diffusers model),
computed once per version of it: cached by path, size and modification time,
so a session's autosave or a second command does not read gigabytes again."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_cache: dict[tuple, str] = {}


def _files(path: Path) -> list[tuple[str, Path]]:
    return sorted((Path(folder, name).relative_to(path).as_posix(), Path(folder, name))
                  for folder, _, names in os.walk(path) for name in names)


def _signature(path: Path) -> tuple:
    """What identifies this version of ``path`` without reading it."""
    if not path.is_dir():
        st = path.stat()
        return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    return (str(path.resolve()),) + tuple((rel, f.stat().st_size, f.stat().st_mtime_ns)
                                          for rel, f in _files(path) if f.is_file())


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, or of a folder's files.

    For a folder: the hash of each file's relative path (``/``-separated), size
    and content, in sorted path order, so renaming a file changes it. Symbolic
    links to folders are not followed. Raises OSError when it cannot be read.
    """
    path = Path(path)
    key = _signature(path)
    if key in _cache:
        return _cache[key]
    if not path.is_dir():
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    else:
        h = hashlib.sha256()
        for rel, file in _files(path):
            if not file.is_file():
                continue
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + file.stat().st_size.to_bytes(8, "little"))
            with open(file, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        digest = h.hexdigest()
    _cache[key] = digest
    return digest


def model_problem(checkpoint: str | os.PathLike | None, sha256: str, since: str = "") -> str:
    """Why ``checkpoint`` is not the model that was recorded with ``sha256`` ("" when it is).

    ``since`` completes "has changed since…" (e.g. ``" the session was saved"``).
    """
    if not checkpoint:
        return "the folder does not record its checkpoint's path"
    path = Path(checkpoint)
    if not path.exists():
        return f"its model {path} is missing"
    try:
        if sha256 and file_sha256(path) != sha256:
            return f"its model {path} has changed since{since} (its checksum differs)"
    except OSError as exc:
        return f"its model {path} cannot be read ({exc.strerror or exc})"
    return ""
