"""Free disk space, checked before a long write rather than discovered half-way through it."""

from __future__ import annotations

import shutil
from pathlib import Path


def existing_ancestor(path: Path) -> Path:
    """``path`` itself if it exists, else its nearest existing parent (where it would be made)."""
    path = Path(path).absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def human_size(nbytes: float) -> str:
    """``1.5 MB``-style sizes (powers of 1000, as disk makers and file managers count)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    raise AssertionError("unreachable")


def free_bytes(path: Path) -> int:
    """The free space on the file system where ``path`` is, or would be made."""
    return shutil.disk_usage(existing_ancestor(path)).free
