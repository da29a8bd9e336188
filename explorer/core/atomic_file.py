"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The content goes to a temporary file beside the target (same folder, so the
final ``os.replace`` is a rename within one file system), is flushed to disk,
and only then replaces the target. Any failure removes the temporary file and
leaves the old target as it was.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["NotARegularFileError", "atomic_write", "atomic_write_bytes"]


class NotARegularFileError(OSError):
    """The target exists and is not a regular file (a device, a FIFO, a folder).

    Replacing ``/dev/null`` or a named pipe with a regular file would silently
    break whatever else relies on it, so such targets are refused.

    Parameters
    ----------
    path : str or path-like
        The refused target, kept as ``filename``.
    what : str
        What it is instead, e.g. ``"a named pipe (FIFO)"``.
    """

    def __init__(self, path: str | os.PathLike, what: str) -> None:
        super().__init__(f"{os.fspath(path)}: is {what}, not a regular file; refusing to replace it")
        self.filename = os.fspath(path)

    def __str__(self) -> str:
        # OSError would format "[Errno None] None: path" once filename is set.
        return self.args[0]


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _current_umask() -> int:
    # os.umask can only be read by setting it, which races with other threads
    # creating files; Linux publishes it in /proc, so prefer that.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _resolve_target(path: Path) -> tuple[Path, int | None]:
    """The file to replace (symlinks followed) and the mode it has now (None if absent)."""
    # A symlink stays a link: write to what it points to, as open() would.
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, None
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFileError(path, _describe(st.st_mode))
    return target, stat.S_IMODE(st.st_mode)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, so best effort.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Write a file atomically by letting ``write`` fill a temporary file.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace. Missing parent folders are made. If it
        is a symbolic link, the file it points to is replaced and the link
        stays a link.
    write : callable
        Called with the temporary file's path (a ``str``); it must write the
        complete content there (it may reopen the file for writing).

    Raises
    ------
    NotARegularFileError
        If ``path`` exists and is not a regular file (a device such as
        ``/dev/null``, a FIFO, a folder); it is left untouched.
    OSError
        If writing fails; the message names ``path``, not the temporary file
        (an error ``write`` raises about another file keeps that file's name).
        Other exceptions raised by ``write`` propagate unchanged.

    Notes
    -----
    The new file gets the permissions a plain ``open(path, "w")`` would give:
    those of the file it replaces, or ``0o666`` less the umask for a new file.
    """
    path = Path(path)
    target, old_mode = _resolve_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as e:
        raise _naming(e, path, None) from e
    try:
        try:
            write(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            # mkstemp creates the file 0600; a plain open() would not.
            os.chmod(tmp, old_mode if old_mode is not None else 0o666 & ~_current_umask())
            os.replace(tmp, target)
        except OSError as e:
            raise _naming(e, path, tmp) from e
    except BaseException:
        # Also on KeyboardInterrupt: no half-written temporary files left behind.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)


def _naming(error: OSError, path: Path, tmp: str | None) -> OSError:
    """The same error, naming the target the user asked for instead of a temporary file.

    An error about some other file (one ``write`` reads, say) keeps its name.
    """
    if error.errno is None or isinstance(error, NotARegularFileError):
        return error
    if tmp is not None and error.filename not in (None, tmp):
        return error
    # OSError(errno, ...) picks the matching subclass (PermissionError, …).
    return OSError(error.errno, error.strerror, str(path))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see `atomic_write`).

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.
    data : bytes
        Its complete new content.
    """
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
