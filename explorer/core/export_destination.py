"""Where an export goes: what may be replaced, the temporary folder it is written in, and the final rename.

An export is written into ``.OUT.export-partial`` beside OUT (holding a marker
file while it is unfinished) and renamed to OUT once complete; a previous
export at OUT is moved to ``.OUT.export-old`` for that moment and then
removed. Whatever an interrupted export leaves is one of those two, and the
next export to OUT removes it — only after checking that an export made it.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

METADATA, LATENTS, README = "metadata.jsonl", "latents.npy", "README.md"
#: The first line of an export's README.md: how a folder is known as a previous export.
README_TITLE = "# Latent Explorer export"
#: Inside a temporary folder while it is being written: the proof that it is ours to remove.
PARTIAL_MARKER = ".latent-explorer-export-partial"
# Files an operating system drops into any folder a person opened; neither ours nor the user's work.
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


class ExportError(ValueError):
    """An export folder cannot be written or read; the message names the folder and the cause.

    Attributes
    ----------
    path : str
        The folder (or the file in it) as the caller named it.
    cause : str
        What is wrong, without the path.
    """

    def __init__(self, path: str | os.PathLike, cause: str) -> None:
        self.path, self.cause = os.fspath(path), cause
        super().__init__(f"{self.path}: {cause}")


def temporary_folder(out: Path) -> Path:
    """Where an export to ``out`` is written before it is renamed into place."""
    return out.parent / f".{out.name}.export-partial"


def _old_folder(out: Path) -> Path:
    # A previous export is moved here while the new one takes its place, then removed.
    return out.parent / f".{out.name}.export-old"


def is_export_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder an export wrote (by its README.md title and metadata.jsonl)."""
    path = Path(path)
    try:
        with open(path / README, encoding="utf-8") as f:
            first = f.readline(len(README_TITLE) + 2).rstrip("\n")
        return first == README_TITLE and (path / METADATA).is_file() and not (path / METADATA).is_symlink()
    except (OSError, UnicodeDecodeError):
        return False


def _only_export_files(path: Path) -> bool:
    """Whether ``path`` holds nothing but what an export writes (so replacing it loses nothing of the user's)."""
    for entry in path.iterdir():
        if entry.name in SYSTEM_FILES or (entry.name in (METADATA, LATENTS, README) and entry.is_file()):
            continue
        if not entry.is_dir() or entry.is_symlink():
            return False
        for image in entry.iterdir():
            if image.name not in SYSTEM_FILES and not (image.suffix == ".png" and image.is_file()
                                                       and not image.is_symlink()):
                return False
    return True


def destination(out: Path) -> str:
    """What is at ``out`` now: ``new``, ``empty`` or ``previous`` (an earlier export); ExportError otherwise."""
    if not os.path.lexists(out):
        return "new"
    if out.is_symlink() or not out.is_dir():
        raise ExportError(out, "is a file, not a folder; choose a new or empty folder for the export")
    try:
        entries = [e for e in out.iterdir() if e.name not in SYSTEM_FILES]
        if not entries:
            return "empty"
        if is_export_folder(out) and _only_export_files(out):
            return "previous"
    except OSError as exc:
        raise ExportError(out, f"cannot be read ({exc.strerror or exc})") from None
    names = ", ".join(sorted(e.name for e in entries)[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
    raise ExportError(out, f"already holds files that are not an export ({names}); choose a new or empty folder")


def clear_leftovers(out: Path) -> None:
    """Remove what an interrupted export to ``out`` left beside it (only if it is provably ours)."""
    for leftover in (temporary_folder(out), _old_folder(out)):
        if not os.path.lexists(leftover):
            continue
        ours = leftover.is_dir() and not leftover.is_symlink() and (
            (leftover / PARTIAL_MARKER).exists() or (is_export_folder(leftover) and _only_export_files(leftover)))
        if not ours:
            raise ExportError(leftover, "is in the way of the export and was not written by one; remove or rename it")
        try:
            shutil.rmtree(leftover)
        except OSError as exc:
            raise ExportError(leftover, f"left by an interrupted export, cannot be removed "
                                        f"({exc.strerror or exc})") from None


def put_in_place(tmp: Path, out: Path, kind: str) -> None:
    """Rename the finished export to ``out``; a previous export there is moved aside first, then removed."""
    if kind == "empty":
        for system_file in out.iterdir():
            system_file.unlink()
        out.rmdir()
    if kind == "previous":
        old = _old_folder(out)
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)  # put the previous export back: out never goes missing because of us
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    os.rename(tmp, out)


def write_error(out: Path, exc: OSError) -> ExportError:
    """The one-line error for an OSError met while writing the export to ``out``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExportError(out, "the disk is full; nothing was exported (free some space and export again)")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(out, f"cannot be written there ({exc.strerror}); nothing was exported")
    return ExportError(out, f"could not be written ({exc.strerror or exc}); nothing was exported")
