"""The one writer behind every file the command line and the model side write.

Atomic replacement (a temporary file beside the target, renamed over it) is
right for regular files only: renamed over ``/dev/null``, a named pipe or a
symbolic link it would replace something that is not ours. So the target
decides how it is written:

- a regular file or a new path: atomic replacement (temporary file beside it,
  flushed to disk, permissions as a plain ``open()`` would give, renamed over
  it; any failure removes the temporary file and leaves the old file intact);
- a symbolic link: followed, the file it points to is replaced and the link
  stays a link; a dangling link gets the file it names created (as
  ``open(link, "w")`` would), so the link then resolves;
- a character or block device, a named pipe (FIFO), or a file descriptor link
  such as ``/dev/stdout``: the bytes are written *through* to it, never
  replacing it (``--out /dev/null`` discards, ``/dev/full`` fails with "No
  space left on device");
- a folder or a socket: refused.

Every error is an :class:`OSError` naming the path the caller gave, never a
temporary file. The rules and messages mirror ``explorer.core.atomic_file``
(which the numpy side uses and which may not be imported from here); that one
refuses devices instead of writing through.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["NotARegularFileError", "write_file"]

_CHUNK = 1 << 20
# /proc/<pid>/fd and /proc/<pid>/task/<tid>/fd: what /dev/stdout, /dev/fd/N
# and /proc/self/fd/N resolve through.
_FD_FOLDER = re.compile(r"/proc/(\d+|self|thread-self)(/task/\d+)?/fd")


class NotARegularFileError(OSError):
    """The target is something that can be neither replaced nor written through (a folder, a socket).

    Parameters
    ----------
    path : str or path-like
        The refused target, kept as ``filename``.
    what : str
        What it is instead, e.g. ``"a folder"``.
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
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _current_umask() -> int:
    # os.umask can only be read by setting it, which races with threads creating
    # files; Linux publishes it in /proc, so prefer that.
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


def _descriptor(path: str) -> int | None:
    """The open descriptor of this process that ``path`` names (``/dev/stdout`` → 1), else None.

    Such "magic" links name what the descriptor has open (``pipe:[123]``, a
    deleted file, a terminal), which is no path one could replace; the caller
    asked to write to the descriptor, so it is written to, sharing its offset
    (reopening a redirected stdout with truncation would wipe what was printed).
    Another process's descriptors count as not ours: -1.
    """
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        match = _FD_FOLDER.fullmatch(os.path.realpath(os.path.dirname(current)))
        if match:
            own = match.group(1) in ("self", "thread-self", str(os.getpid()))
            name = os.path.basename(current)
            return int(name) if own and name.isdigit() else -1
        if not os.path.islink(current):
            return None
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return None


def _naming(error: OSError, path: str, tmp: str | None) -> OSError:
    """The same error naming the user's path instead of a temporary file.

    An error about some other file (one ``write`` reads, say) keeps its name.
    """
    if error.errno is None or isinstance(error, NotARegularFileError):
        return error
    if error.filename not in (None, tmp, path):
        return error
    # OSError(errno, ...) picks the matching subclass (PermissionError, …).
    return OSError(error.errno, error.strerror, path)


def _write_through(path: str, write: Callable[[str], None], descriptor: int | None = None) -> None:
    """Let ``write`` fill a private temporary file, then stream it into ``path``.

    ``path`` is opened without ``O_CREAT`` (or ``O_TRUNC``): should the device
    vanish meanwhile, the write fails instead of leaving a regular file in its
    place. ``descriptor``: write to this open descriptor of ours instead.
    """
    with tempfile.TemporaryDirectory(prefix="latent-explorer-") as folder:
        tmp = os.path.join(folder, "content")
        try:
            write(tmp)
        except OSError as e:
            raise _naming(e, path, tmp) from e
        if descriptor is not None:
            for stream in (sys.stdout, sys.stderr):  # what was printed before comes first
                if stream is not None and not stream.closed:
                    stream.flush()
        try:
            fd = os.dup(descriptor) if descriptor is not None else os.open(path, os.O_WRONLY)
        except OSError as e:
            raise _naming(e, path, None) from e
        try:
            with open(tmp, "rb") as src:
                for block in iter(lambda: src.read(_CHUNK), b""):
                    view = memoryview(block)
                    while view:
                        view = view[os.write(fd, view):]
        except OSError as e:
            raise _naming(e, path, tmp) from e
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible everywhere, so best effort.
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


def _replace(path: str, target: Path, old_mode: int | None, write: Callable[[str], None]) -> None:
    """Atomic replacement of the regular file (or new path) ``target``."""
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
        # Also on KeyboardInterrupt: no half-written temporary file left behind.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(target.parent)


def write_file(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Write ``path`` by letting ``write`` fill a temporary file, never replacing what is not a regular file.

    Parameters
    ----------
    path : str or path-like
        Where to write: a regular file or new path (replaced atomically;
        missing parent folders are made), a symbolic link (its target is
        written, the link stays), a device, FIFO or descriptor link such as
        ``/dev/stdout`` (written through).
    write : callable
        Called with a temporary file's path (a ``str``); it must write the
        complete content there.

    Raises
    ------
    NotARegularFileError
        ``path`` is a folder or a socket; it is left untouched.
    OSError
        Writing failed; the message names ``path`` and the cause, never the
        temporary file. Other exceptions from ``write`` propagate unchanged.
    """
    user = os.fspath(path)
    try:
        st = os.stat(user)  # follows links: what a plain open() would write to
    except FileNotFoundError:
        st = None  # a new file, or a dangling link whose target gets created
    except OSError as e:  # a link loop, a file where a folder should be, no permission
        raise _naming(e, user, None) from e
    descriptor = None if st is None else _descriptor(user)
    if descriptor is not None:
        _write_through(user, write, descriptor if descriptor >= 0 else None)
        return
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        _write_through(user, write)
        return
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise NotARegularFileError(user, _describe(st.st_mode))
    target = Path(os.path.realpath(user)) if os.path.islink(user) else Path(user)
    _replace(user, target, None if st is None else stat.S_IMODE(st.st_mode), write)
